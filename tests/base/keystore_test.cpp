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

  auto alice = ks.Create("alice", KeyProtection::kPlaintext);
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  EXPECT_EQ(alice->name, "alice");
  auto bob = ks.Create("bob", KeyProtection::kPlaintext);
  ASSERT_TRUE(bob.ok());
  auto carol = ks.Create("Carol-2_x.y", KeyProtection::kPlaintext);
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
  auto k = ks.Create("alice", KeyProtection::kPlaintext);
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
  auto first = ks.Create("alice", KeyProtection::kPlaintext);
  ASSERT_TRUE(first.ok());
  auto dup = ks.Create("alice", KeyProtection::kPlaintext);
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
    auto c = ks.Create(name, KeyProtection::kPlaintext);
    ASSERT_FALSE(c.ok()) << "created '" << name << "'";
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument) << name;
    EXPECT_EQ(c.status().reason(), "bad_key_name") << name;
    auto l = ks.Load(name);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().reason(), "bad_key_name") << name;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "escape.json"));
  // 64 characters is the longest allowed.
  EXPECT_TRUE(ks.Create(std::string(64, 'a'), KeyProtection::kPlaintext).ok());
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
  auto k = ks.Create("alice", KeyProtection::kPlaintext);
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
  auto k = ks.Create("alice", KeyProtection::kPlaintext);
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
  ASSERT_TRUE(ks.Create("b", KeyProtection::kPlaintext).ok());
  ASSERT_TRUE(ks.Create("a", KeyProtection::kPlaintext).ok());
  WriteAll(tmp.path() / "keys" / "notes.txt", "hello");
  WriteAll(tmp.path() / "keys" / "x.json.tmp", "{}");
  auto names = ks.List();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
}

// Encrypted keys. Tests use Argon2id's minimum cost so that they stay fast; one test checks the
// default cost end to end.
constexpr KdfCost kCheap{1, 8192};

// A passphrase provider that records how it was asked.
struct FakeTerminal {
  explicit FakeTerminal(std::string a) : answer(std::move(a)) {}
  std::string answer;
  std::vector<std::pair<std::string, bool>> asked;
  PassphraseProvider Provider() {
    return [this](const std::string& purpose, bool confirm) -> Result<std::string> {
      asked.emplace_back(purpose, confirm);
      return answer;
    };
  }
};

TEST(KeystoreTest, EncryptedKeyRoundTrips) {
  TempDir tmp;
  FakeTerminal term("correct horse battery staple");
  Keystore ks(tmp.path(), term.Provider(), kCheap);
  auto k = ks.Create("alice", KeyProtection::kEncrypted);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  ASSERT_EQ(term.asked.size(), 1u);
  EXPECT_EQ(term.asked[0], (std::pair<std::string, bool>{"key 'alice'", true}));

  auto file = tmp.path() / "keys" / "alice.json";
  EXPECT_EQ(ModeOf(file), 0600u);
  const std::string text = ReadAll(file);
  EXPECT_EQ(text.find(ToHex(k->key.seed())), std::string::npos) << "the seed is in the clear";
  auto j = nlohmann::json::parse(text);
  EXPECT_FALSE(j.contains("seed"));
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["public_key"], ToHex(k->key.public_key()));
  EXPECT_EQ(j["address"], k->address().ToString());
  EXPECT_EQ(j["crypto"]["kdf"], "argon2id13");
  EXPECT_EQ(j["crypto"]["cipher"], "xsalsa20poly1305");
  EXPECT_EQ(j["crypto"]["opslimit"], 1);
  EXPECT_EQ(j["crypto"]["ciphertext"].get<std::string>().size(), 2u * 48);

  auto loaded = ks.Load("alice");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->key.seed(), k->key.seed());
  EXPECT_EQ(term.asked.back(), (std::pair<std::string, bool>{"key 'alice'", false}));

  // Info and List never ask.
  const size_t asked = term.asked.size();
  auto info = ks.Info("alice");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->encrypted);
  EXPECT_EQ(info->address(), k->address());
  EXPECT_EQ(term.asked.size(), asked);

  // Two keys under one passphrase get different salts and nonces.
  ASSERT_TRUE(ks.Create("bob", KeyProtection::kEncrypted).ok());
  auto jb = nlohmann::json::parse(ReadAll(tmp.path() / "keys" / "bob.json"));
  EXPECT_NE(jb["crypto"]["salt"], j["crypto"]["salt"]);
  EXPECT_NE(jb["crypto"]["nonce"], j["crypto"]["nonce"]);
}

TEST(KeystoreTest, EncryptedKeyRefusesWrongOrMissingPassphrase) {
  TempDir tmp;
  FakeTerminal term("right");
  ASSERT_TRUE(Keystore(tmp.path(), term.Provider(), kCheap)
                  .Create("alice", KeyProtection::kEncrypted)
                  .ok());

  FakeTerminal wrong("wrong");
  auto w = Keystore(tmp.path(), wrong.Provider()).Load("alice");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(w.status().reason(), "bad_passphrase");
  EXPECT_NE(w.status().message().find("alice"), std::string::npos) << w.status().message();

  auto none = Keystore(tmp.path()).Load("alice");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().reason(), "passphrase_required");

  FakeTerminal empty("");
  auto e = Keystore(tmp.path(), empty.Provider()).Load("alice");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().reason(), "empty_passphrase");

  // A provider that cannot ask passes its refusal through.
  PassphraseProvider refusing = [](const std::string&, bool) -> Result<std::string> {
    return Status::FailedPrecondition("no terminal", "passphrase_required");
  };
  auto r = Keystore(tmp.path(), refusing).Load("alice");
  EXPECT_EQ(r.status().reason(), "passphrase_required");

  // Creating an encrypted key without a way to ask writes nothing.
  auto c = Keystore(tmp.path()).Create("bob", KeyProtection::kEncrypted);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason(), "passphrase_required");
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "keys" / "bob.json"));
  auto ce = Keystore(tmp.path(), empty.Provider(), kCheap).Create("bob", KeyProtection::kEncrypted);
  EXPECT_EQ(ce.status().reason(), "empty_passphrase");
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "keys" / "bob.json"));
}

TEST(KeystoreTest, DefaultCostIsArgon2idModerate) {
  TempDir tmp;
  FakeTerminal term("pass");
  Keystore ks(tmp.path(), term.Provider());
  auto k = ks.Create("alice", KeyProtection::kEncrypted);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  auto j = nlohmann::json::parse(ReadAll(tmp.path() / "keys" / "alice.json"));
  EXPECT_EQ(j["crypto"]["opslimit"], 3);
  EXPECT_EQ(j["crypto"]["memlimit"], 256u << 20);
  auto loaded = ks.Load("alice");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->key.seed(), k->key.seed());
}

// A keystore written by an earlier version (plaintext files) is read as it is and can be
// upgraded in place.
TEST(KeystoreTest, PlaintextKeysOfEarlierVersionsAreReadAndUpgradedInPlace) {
  TempDir tmp;
  const auto seed = std::array<uint8_t, 32>{7, 7, 7};
  const KeyPair kp = KeyPair::FromSeed(seed);
  std::filesystem::create_directories(tmp.path() / "keys");
  auto file = tmp.path() / "keys" / "old.json";
  // Exactly what version 1 wrote.
  WriteAll(file, "{\n  \"address\": \"" + Address::FromPublicKey(kp.public_key()).ToString() +
                     "\",\n  \"name\": \"old\",\n  \"public_key\": \"" + ToHex(kp.public_key()) +
                     "\",\n  \"seed\": \"" + ToHex(seed) + "\"\n}\n");
  FakeTerminal term("upgrade me");
  Keystore ks(tmp.path(), term.Provider(), kCheap);
  auto before = ks.Load("old");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->key.public_key(), kp.public_key());
  EXPECT_TRUE(term.asked.empty()) << "a plaintext key needs no passphrase";
  EXPECT_FALSE(ks.Info("old")->encrypted);

  ASSERT_TRUE(ks.Encrypt("old").ok());
  EXPECT_EQ(ModeOf(file), 0600u);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  EXPECT_EQ(ReadAll(file).find(ToHex(seed)), std::string::npos);
  EXPECT_TRUE(ks.Info("old")->encrypted);
  auto after = ks.Load("old");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->key.seed(), seed);
  EXPECT_EQ(after->name, "old");

  Status again = ks.Encrypt("old");
  EXPECT_EQ(again.reason(), "already_encrypted");
  EXPECT_EQ(ks.Encrypt("nobody").code(), Code::kNotFound);
  // Upgrading without a passphrase leaves the plaintext file as it was.
  ASSERT_TRUE(Keystore::WriteKeyFile(tmp.path() / "keys" / "plain.json", "plain", kp).ok());
  const std::string plain = ReadAll(tmp.path() / "keys" / "plain.json");
  EXPECT_EQ(Keystore(tmp.path()).Encrypt("plain").reason(), "passphrase_required");
  EXPECT_EQ(ReadAll(tmp.path() / "keys" / "plain.json"), plain);
}

TEST(KeystoreTest, ImportStoresAKeyUnderANewName) {
  TempDir tmp;
  FakeTerminal term("pw");
  Keystore ks(tmp.path(), term.Provider(), kCheap);
  const KeyPair kp = KeyPair::FromSeed(std::array<uint8_t, 32>{9});
  auto k = ks.Import("imported", kp, KeyProtection::kEncrypted);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  auto back = ks.Load("imported");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->key.public_key(), kp.public_key());
  EXPECT_EQ(ks.Import("imported", kp, KeyProtection::kPlaintext).status().reason(), "key_exists");
  EXPECT_EQ(ks.Import("../x", kp, KeyProtection::kPlaintext).status().reason(), "bad_key_name");

  // The text of a key file of either version, from elsewhere.
  auto text = ReadAll(tmp.path() / "keys" / "imported.json");
  auto t = Keystore::ReadKeyText(text, "stdin", term.Provider());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->key.public_key(), kp.public_key());
  auto bad = Keystore::ReadKeyText("not a key", "stdin");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kCorruption);
  EXPECT_NE(bad.status().message().find("stdin"), std::string::npos);
}

TEST(KeystoreTest, TamperedEncryptedFileIsRefused) {
  TempDir tmp;
  FakeTerminal term("pw");
  Keystore ks(tmp.path(), term.Provider(), kCheap);
  auto k = ks.Create("alice", KeyProtection::kEncrypted);
  ASSERT_TRUE(k.ok());
  auto file = tmp.path() / "keys" / "alice.json";
  const auto j = nlohmann::json::parse(ReadAll(file));

  auto expect = [&](const nlohmann::json& c, Code code, const char* what) {
    WriteAll(file, c.dump());
    auto r = ks.Load("alice");
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), code) << what << ": " << r.status().ToString();
  };
  auto flip = [](std::string hex) {
    hex[4] = hex[4] == '0' ? '1' : '0';
    return hex;
  };
  {
    auto c = j;
    c["crypto"]["ciphertext"] = flip(j["crypto"]["ciphertext"]);
    expect(c, Code::kPermissionDenied, "ciphertext flipped: authentication fails");
  }
  {
    auto c = j;
    c["crypto"]["nonce"] = flip(j["crypto"]["nonce"]);
    expect(c, Code::kPermissionDenied, "nonce flipped");
  }
  {
    auto c = j;
    c["crypto"]["salt"] = flip(j["crypto"]["salt"]);
    expect(c, Code::kPermissionDenied, "salt flipped: another key is derived");
  }
  {
    auto c = j;
    c["public_key"] = ToHex(KeyPair::Generate().public_key());
    expect(c, Code::kCorruption, "public key replaced: it no longer matches the sealed seed");
  }
  {
    auto c = j;
    c["crypto"]["opslimit"] = 1000000;
    expect(c, Code::kCorruption, "a cost that would run for hours");
  }
  {
    auto c = j;
    c["crypto"]["memlimit"] = uint64_t{1} << 40;
    expect(c, Code::kCorruption, "a cost of a terabyte");
  }
  {
    auto c = j;
    c["crypto"]["opslimit"] = -1;
    expect(c, Code::kCorruption, "negative cost");
  }
  {
    auto c = j;
    c["crypto"]["kdf"] = "scrypt";
    expect(c, Code::kCorruption, "unknown kdf");
  }
  {
    auto c = j;
    c["crypto"]["cipher"] = "aes-128-ctr";
    expect(c, Code::kCorruption, "unknown cipher");
  }
  {
    auto c = j;
    c.erase("version");
    expect(c, Code::kCorruption, "no version");
  }
  {
    auto c = j;
    c["crypto"]["nonce"] = j["crypto"]["nonce"].get<std::string>().substr(2);
    expect(c, Code::kCorruption, "short nonce");
  }
  {
    auto c = j;
    c["crypto"].erase("ciphertext");
    expect(c, Code::kCorruption, "no ciphertext");
  }
  {
    auto c = j;
    c["crypto"] = "sealed";
    expect(c, Code::kCorruption, "crypto not an object");
  }
  {
    auto c = j;
    c["seed"] = ToHex(k->key.seed());
    expect(c, Code::kCorruption, "both a seed and crypto");
  }
  WriteAll(file, j.dump());
  EXPECT_TRUE(ks.Load("alice").ok());
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
