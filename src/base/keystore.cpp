#include "tributary/base/keystore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tributary {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                     }) &&
         name[0] != '.';
}

Status EnsurePrivateDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  return Status::OK();
}

}  // namespace

std::filesystem::path Keystore::DefaultHome() {
  if (const char* h = std::getenv("TRIBUTARY_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".tributary";
}

Status Keystore::WriteKeyFile(const std::filesystem::path& path, const std::string& name,
                              const KeyPair& key) {
  TRIB_RETURN_IF_ERROR(EnsurePrivateDir(path.parent_path()));
  nlohmann::json j = {{"name", name},
                      {"public_key", ToHex(key.public_key())},
                      {"address", Address::FromPublicKey(key.public_key()).ToString()},
                      {"seed", ToHex(key.seed())}};
  std::string text = j.dump(2) + "\n";
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::IOError("cannot write " + tmp.string());
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError("cannot write " + path.string());
  }
  return Status::OK();
}

Result<StoredKey> Keystore::ReadKeyFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("no key file " + path.string(), "key_not_found");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("seed") || !j["seed"].is_string()) {
    return Status::Corruption("key file " + path.string() + " is not a valid key");
  }
  auto seed = FixedFromHex<32>(j["seed"].get<std::string>());
  if (!seed.ok()) return Status::Corruption("key file " + path.string() + " has a bad seed");
  if (j.contains("name") && !j["name"].is_string()) {
    return Status::Corruption("key file " + path.string() + ": 'name' is not a string");
  }
  StoredKey k{j.value("name", path.stem().string()), KeyPair::FromSeed(*seed)};
  if (j.contains("public_key") && j["public_key"] != ToHex(k.key.public_key())) {
    return Status::Corruption("key file " + path.string() + ": public key does not match the seed");
  }
  return k;
}

Result<StoredKey> Keystore::Create(const std::string& name) {
  if (!ValidName(name)) {
    return Status::InvalidArgument(
        "key name must be 1-64 characters of letters, digits, '-', '_' or '.'", "bad_key_name");
  }
  TRIB_RETURN_IF_ERROR(EnsurePrivateDir(home_));
  auto path = dir() / (name + ".json");
  if (std::filesystem::exists(path)) {
    return Status::AlreadyExists("a key named '" + name + "' already exists", "key_exists");
  }
  StoredKey k{name, KeyPair::Generate()};
  TRIB_RETURN_IF_ERROR(WriteKeyFile(path, name, k.key));
  return k;
}

Result<StoredKey> Keystore::Load(const std::string& name) const {
  if (!ValidName(name))
    return Status::InvalidArgument("bad key name '" + name + "'", "bad_key_name");
  auto path = dir() / (name + ".json");
  if (!std::filesystem::exists(path)) {
    return Status::NotFound("no key named '" + name + "' in " + dir().string() +
                                " (create one with `tributary keys new --name " + name + "`)",
                            "key_not_found");
  }
  return ReadKeyFile(path);
}

Result<std::vector<std::string>> Keystore::List() const {
  std::vector<std::string> names;
  std::error_code ec;
  if (!std::filesystem::exists(dir())) return names;
  for (const auto& e : std::filesystem::directory_iterator(dir(), ec)) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  if (ec) return Status::IOError("cannot list " + dir().string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tributary
