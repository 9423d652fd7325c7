#include "tributary/base/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/test_util.h"

namespace tributary {
namespace {

using testing::TempDir;

mode_t ModeOf(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
}

TEST(KeystoreTest, CreateLoadList) {
  TempDir tmp;
  Keystore ks(tmp.path() / "home");
  auto empty = ks.List();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  auto alice = ks.Create("alice");
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  EXPECT_EQ(alice->name, "alice");
  auto bob = ks.Create("bob");
  ASSERT_TRUE(bob.ok());
  auto carol = ks.Create("Carol-2_x.y");
  ASSERT_TRUE(carol.ok()) << carol.status().ToString();
  EXPECT_NE(alice->key.public_key(), bob->key.public_key());

  auto loaded = ks.Load("alice");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->name, "alice");
  EXPECT_EQ(loaded->key.public_key(), alice->key.public_key());
  EXPECT_EQ(loaded->key.seed(), alice->key.seed());
  EXPECT_EQ(loaded->address(), alice->address());

  auto names = ks.List();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"Carol-2_x.y", "alice", "bob"}));  // sorted

  // A second Keystore on the same home sees the same keys.
  Keystore again(tmp.path() / "home");
  auto bob2 = again.Load("bob");
  ASSERT_TRUE(bob2.ok());
  EXPECT_EQ(bob2->key.public_key(), bob->key.public_key());
}

TEST(KeystoreTest, FileFormatAndPermissions) {
  TempDir tmp;
  auto home = tmp.path() / "home";
  Keystore ks(home);
  auto k = ks.Create("alice");
  ASSERT_TRUE(k.ok());
  auto file = home / "keys" / "alice.json";
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(ModeOf(file), 0600u);
  EXPECT_EQ(ModeOf(home / "keys"), 0700u);
  EXPECT_EQ(ModeOf(home), 0700u);
  EXPECT_FALSE(std::filesystem::exists(home / "keys" / "alice.json.tmp"));

  auto j = nlohmann::json::parse(ReadAll(file));
  EXPECT_EQ(j["name"], "alice");
  EXPECT_EQ(j["public_key"], ToHex(k->key.public_key()));
  EXPECT_EQ(j["address"], k->address().ToString());
  EXPECT_EQ(j["seed"], ToHex(k->key.seed()));
}

TEST(KeystoreTest, WriteKeyFileIsPrivateAndReadable) {
  TempDir tmp;
  // Even under a permissive umask the file is 0600.
  mode_t old = ::umask(0);
  KeyPair kp = KeyPair::FromSeed(std::array<uint8_t, 32>{1, 2, 3});
  auto path = tmp.path() / "d" / "k.json";
  Status s = Keystore::WriteKeyFile(path, "k", kp);
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(tmp.path() / "d"), 0700u);
  auto back = Keystore::ReadKeyFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "k");
  EXPECT_EQ(back->key.public_key(), kp.public_key());
  // Overwriting replaces it atomically and keeps the mode.
  KeyPair kp2 = KeyPair::FromSeed(std::array<uint8_t, 32>{4});
  ASSERT_TRUE(Keystore::WriteKeyFile(path, "k2", kp2).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  auto back2 = Keystore::ReadKeyFile(path);
  ASSERT_TRUE(back2.ok());
  EXPECT_EQ(back2->name, "k2");
  EXPECT_EQ(back2->key.public_key(), kp2.public_key());
}

TEST(KeystoreTest, DuplicateNameRefused) {
  TempDir tmp;
  Keystore ks(tmp.path());
  auto first = ks.Create("alice");
  ASSERT_TRUE(first.ok());
  auto dup = ks.Create("alice");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup.status().reason(), "key_exists");
  // The original key is untouched.
  auto loaded = ks.Load("alice");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->key.public_key(), first->key.public_key());
}

TEST(KeystoreTest, BadNamesRefused) {
  TempDir tmp;
  Keystore ks(tmp.path() / "home");
  for (const std::string& name :
       {std::string(""), std::string(".hidden"), std::string("."), std::string(".."),
        std::string("../escape"), std::string("a/b"), std::string("a b"), std::string("tab\t"),
        std::string("semi;colon"), std::string("uni\xc3\xa9"), std::string(65, 'a'),
        std::string("nul\0x", 5)}) {
    auto c = ks.Create(name);
    ASSERT_FALSE(c.ok()) << "created '" << name << "'";
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument) << name;
    EXPECT_EQ(c.status().reason(), "bad_key_name") << name;
    auto l = ks.Load(name);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().reason(), "bad_key_name") << name;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "escape.json"));
  // 64 characters is the longest allowed.
  EXPECT_TRUE(ks.Create(std::string(64, 'a')).ok());
  auto names = ks.List();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 1u);
}

TEST(KeystoreTest, LoadMissingKey) {
  TempDir tmp;
  Keystore ks(tmp.path());
  auto r = ks.Load("nobody");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().reason(), "key_not_found");
  auto f = Keystore::ReadKeyFile(tmp.path() / "nope.json");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Code::kNotFound);
}

TEST(KeystoreTest, CorruptedKeyFileGivesError) {
  TempDir tmp;
  Keystore ks(tmp.path());
  auto k = ks.Create("alice");
  ASSERT_TRUE(k.ok());
  auto file = tmp.path() / "keys" / "alice.json";
  const std::string original = ReadAll(file);
  auto j = nlohmann::json::parse(original);

  auto expect_corrupt = [&](const std::string& text, const char* what) {
    WriteAll(file, text);
    auto r = ks.Load("alice");
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), Code::kCorruption) << what << ": " << r.status().ToString();
  };
  expect_corrupt("", "empty file");
  expect_corrupt("{not json", "not JSON");
  expect_corrupt(original.substr(0, original.size() / 2), "truncated");
  expect_corrupt("[]", "array");
  expect_corrupt("\"seed\"", "string");
  {
    auto c = j;
    c.erase("seed");
    expect_corrupt(c.dump(), "no seed");
  }
  {
    auto c = j;
    c["seed"] = 12345;
    expect_corrupt(c.dump(), "numeric seed");
  }
  {
    auto c = j;
    c["seed"] = "zz" + j["seed"].get<std::string>().substr(2);
    expect_corrupt(c.dump(), "non-hex seed");
  }
  {
    auto c = j;
    c["seed"] = j["seed"].get<std::string>().substr(2);
    expect_corrupt(c.dump(), "short seed");
  }
  {
    // Seed flipped: the stored public key no longer matches.
    auto c = j;
    std::string seed = j["seed"].get<std::string>();
    seed[0] = seed[0] == '0' ? '1' : '0';
    c["seed"] = seed;
    expect_corrupt(c.dump(), "seed does not match public key");
  }

  // Restoring the original makes it loadable again.
  WriteAll(file, original);
  auto r = ks.Load("alice");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->key.public_key(), k->key.public_key());
}

// The keystore must turn any malformed file into a Status: exceptions never cross a library
// boundary (status.h). A non-string "name" field is such a malformed file.
TEST(KeystoreTest, NonStringNameIsAnErrorNotAnException) {
  TempDir tmp;
  Keystore ks(tmp.path());
  auto k = ks.Create("alice");
  ASSERT_TRUE(k.ok());
  auto file = tmp.path() / "keys" / "alice.json";
  auto j = nlohmann::json::parse(ReadAll(file));
  j["name"] = 42;
  WriteAll(file, j.dump());
  auto r = ks.Load("alice");  // must not throw across the library boundary
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
}

TEST(KeystoreTest, ListIgnoresOtherFiles) {
  TempDir tmp;
  Keystore ks(tmp.path());
  ASSERT_TRUE(ks.Create("b").ok());
  ASSERT_TRUE(ks.Create("a").ok());
  WriteAll(tmp.path() / "keys" / "notes.txt", "hello");
  WriteAll(tmp.path() / "keys" / "x.json.tmp", "{}");
  auto names = ks.List();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
}

TEST(KeystoreTest, DefaultHome) {
  const char* saved_home = std::getenv("HOME");
  const char* saved_trib = std::getenv("TRIBUTARY_HOME");
  std::string saved_home_s = saved_home ? saved_home : "";
  std::string saved_trib_s = saved_trib ? saved_trib : "";

  ::setenv("TRIBUTARY_HOME", "/some/where", 1);
  EXPECT_EQ(Keystore::DefaultHome(), std::filesystem::path("/some/where"));
  ::setenv("TRIBUTARY_HOME", "", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(Keystore::DefaultHome(), std::filesystem::path("/home/u/.tributary"));
  ::unsetenv("TRIBUTARY_HOME");
  EXPECT_EQ(Keystore::DefaultHome(), std::filesystem::path("/home/u/.tributary"));

  if (saved_home)
    ::setenv("HOME", saved_home_s.c_str(), 1);
  else
    ::unsetenv("HOME");
  if (saved_trib)
    ::setenv("TRIBUTARY_HOME", saved_trib_s.c_str(), 1);
  else
    ::unsetenv("TRIBUTARY_HOME");
}

}  // namespace
}  // namespace tributary
