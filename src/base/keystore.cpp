#include "tributary/base/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "tributary/base/file_io.h"

namespace tributary {
namespace {

using json = nlohmann::json;

constexpr const char* kKdfName = "argon2id13";
constexpr const char* kCipherName = "xsalsa20poly1305";
// Bounds on the cost a file may ask for: a hostile file must not make the CLI allocate gigabytes.
constexpr uint64_t kMaxOpslimit = 16;
constexpr uint64_t kMaxMemlimit = 1ull << 30;

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                     }) &&
         name[0] != '.';
}

Status BadName(const std::string& name) {
  return Status::InvalidArgument(
      "bad key name '" + name + "': 1-64 characters of letters, digits, '-', '_' or '.'",
      "bad_key_name");
}

Status EnsurePrivateDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  return Status::OK();
}

Status WritePrivate(const std::filesystem::path& path, const std::string& text) {
  TRIB_RETURN_IF_ERROR(EnsurePrivateDir(path.parent_path()));
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

json PublicFields(const std::string& name, const KeyPair& key) {
  return {{"name", name},
          {"public_key", ToHex(key.public_key())},
          {"address", Address::FromPublicKey(key.public_key()).ToString()}};
}

// Argon2id(passphrase, salt) -> a secretbox key.
Status DeriveKey(const std::string& passphrase, const std::array<uint8_t, 16>& salt, KdfCost cost,
                 std::array<uint8_t, crypto_secretbox_KEYBYTES>* key) {
  static_assert(crypto_pwhash_SALTBYTES == 16);
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  if (crypto_pwhash(key->data(), key->size(), passphrase.data(), passphrase.size(), salt.data(),
                    cost.opslimit, cost.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::ResourceExhausted(
        "Argon2id ran out of memory (" + std::to_string(cost.memlimit >> 20) + " MiB)",
        "kdf_out_of_memory");
  }
  return Status::OK();
}

// The parsed file: what every version holds, and the sealed or plain seed.
struct KeyFile {
  KeyInfo info;
  std::array<uint8_t, 32> seed{};  // plaintext files only
  KdfCost cost;
  std::array<uint8_t, 16> salt{};
  std::array<uint8_t, crypto_secretbox_NONCEBYTES> nonce{};
  std::array<uint8_t, 32 + crypto_secretbox_MACBYTES> ciphertext{};
};

template <size_t N>
Status HexField(const json& obj, const char* key, const std::string& where,
                std::array<uint8_t, N>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return Status::Corruption(where + ": '" + key + "' is missing or not a string");
  }
  auto v = FixedFromHex<N>(it->template get<std::string>());
  if (!v.ok()) {
    return Status::Corruption(where + ": '" + key + "' is not " + std::to_string(N) +
                              " bytes of hex");
  }
  *out = *v;
  return Status::OK();
}

Result<uint64_t> UintField(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned()) {
    return Status::Corruption(where + ": '" + key + "' is missing or not a whole number");
  }
  return it->get<uint64_t>();
}

Result<KeyFile> ParseKeyText(std::string_view text, const std::string& where,
                             const std::string& default_name) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::Corruption(where + " is not a JSON object");
  if (j.contains("name") && !j["name"].is_string()) {
    return Status::Corruption(where + ": 'name' is not a string");
  }
  KeyFile f;
  f.info.name = j.value("name", default_name);
  const bool encrypted = j.contains("crypto");
  f.info.encrypted = encrypted;
  if (!encrypted) {
    if (!j.contains("seed")) return Status::Corruption(where + " is not a valid key (no seed)");
    TRIB_RETURN_IF_ERROR(HexField(j, "seed", where, &f.seed));
    f.info.public_key = KeyPair::FromSeed(f.seed).public_key();
    if (j.contains("public_key") && j["public_key"] != ToHex(f.info.public_key)) {
      return Status::Corruption(where + ": public key does not match the seed");
    }
    return f;
  }
  if (j.contains("seed")) return Status::Corruption(where + " holds both a seed and 'crypto'");
  if (!j.contains("version") || j["version"] != 2) {
    return Status::Corruption(where + ": an encrypted key must say \"version\": 2");
  }
  TRIB_RETURN_IF_ERROR(HexField(j, "public_key", where, &f.info.public_key));
  const json& c = j["crypto"];
  if (!c.is_object()) return Status::Corruption(where + ": 'crypto' is not an object");
  if (c.value("kdf", "") != kKdfName) {
    return Status::Corruption(where + ": unsupported kdf (expected \"" + kKdfName + "\")");
  }
  if (c.value("cipher", "") != kCipherName) {
    return Status::Corruption(where + ": unsupported cipher (expected \"" + kCipherName + "\")");
  }
  auto ops = UintField(c, "opslimit", where);
  if (!ops.ok()) return ops.status();
  auto mem = UintField(c, "memlimit", where);
  if (!mem.ok()) return mem.status();
  if (*ops < crypto_pwhash_OPSLIMIT_MIN || *ops > kMaxOpslimit ||
      *mem < crypto_pwhash_MEMLIMIT_MIN || *mem > kMaxMemlimit) {
    return Status::Corruption(where + ": Argon2id cost out of range (opslimit " +
                              std::to_string(*ops) + ", memlimit " + std::to_string(*mem) + ")");
  }
  f.cost = {*ops, *mem};
  TRIB_RETURN_IF_ERROR(HexField(c, "salt", where, &f.salt));
  TRIB_RETURN_IF_ERROR(HexField(c, "nonce", where, &f.nonce));
  TRIB_RETURN_IF_ERROR(HexField(c, "ciphertext", where, &f.ciphertext));
  return f;
}

Result<KeyFile> ParseKeyFile(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (!std::filesystem::exists(path))
      return Status::NotFound("no key file " + path.string(), "key_not_found");
    return text.status();
  }
  auto f = ParseKeyText(*text, "key file " + path.string(), path.stem().string());
  sodium_memzero(text->data(), text->size());
  return f;
}

Result<std::string> AskPassphrase(const PassphraseProvider& provider, const std::string& purpose,
                                  bool confirm) {
  if (!provider) {
    return Status::FailedPrecondition(
        purpose + (confirm ? " needs a passphrase to be encrypted" : " is encrypted") +
            " and no passphrase was given",
        "passphrase_required");
  }
  auto p = provider(purpose, confirm);
  if (!p.ok()) return p.status();
  if (p->empty()) return Status::InvalidArgument("the passphrase is empty", "empty_passphrase");
  return p;
}

// The key in a parsed file; asks for the passphrase when it is sealed. `where` names it in errors.
Result<StoredKey> OpenKey(KeyFile* f, const std::string& where,
                          const PassphraseProvider& passphrase) {
  if (!f->info.encrypted) {
    StoredKey k{f->info.name, KeyPair::FromSeed(f->seed)};
    sodium_memzero(f->seed.data(), f->seed.size());
    return k;
  }
  auto pass = AskPassphrase(passphrase, "key '" + f->info.name + "'", false);
  if (!pass.ok()) return pass.status();
  std::array<uint8_t, crypto_secretbox_KEYBYTES> box_key{};
  Status derived = DeriveKey(*pass, f->salt, f->cost, &box_key);
  sodium_memzero(pass->data(), pass->size());
  TRIB_RETURN_IF_ERROR(derived);
  std::array<uint8_t, 32> seed{};
  int opened = crypto_secretbox_open_easy(seed.data(), f->ciphertext.data(), f->ciphertext.size(),
                                          f->nonce.data(), box_key.data());
  sodium_memzero(box_key.data(), box_key.size());
  if (opened != 0) {
    return Status::PermissionDenied(
        "wrong passphrase for key '" + f->info.name + "' (or " + where + " was altered)",
        "bad_passphrase");
  }
  StoredKey k{f->info.name, KeyPair::FromSeed(seed)};
  sodium_memzero(seed.data(), seed.size());
  if (k.key.public_key() != f->info.public_key) {
    return Status::Corruption(where + ": the public key does not match the sealed seed");
  }
  return k;
}

}  // namespace

std::filesystem::path Keystore::DefaultHome() {
  if (const char* h = std::getenv("TRIBUTARY_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".tributary";
}

Status Keystore::WriteKeyFile(const std::filesystem::path& path, const std::string& name,
                              const KeyPair& key) {
  json j = PublicFields(name, key);
  j["seed"] = ToHex(key.seed());
  std::string text = j.dump(2) + "\n";
  Status s = WritePrivate(path, text);
  sodium_memzero(text.data(), text.size());
  return s;
}

Status Keystore::WriteEncryptedKeyFile(const std::filesystem::path& path, const std::string& name,
                                       const KeyPair& key, const std::string& passphrase,
                                       KdfCost cost) {
  if (passphrase.empty()) {
    return Status::InvalidArgument("the passphrase is empty", "empty_passphrase");
  }
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  std::array<uint8_t, 16> salt{};
  std::array<uint8_t, crypto_secretbox_NONCEBYTES> nonce{};
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());
  std::array<uint8_t, crypto_secretbox_KEYBYTES> box_key{};
  TRIB_RETURN_IF_ERROR(DeriveKey(passphrase, salt, cost, &box_key));
  std::array<uint8_t, 32 + crypto_secretbox_MACBYTES> sealed{};
  crypto_secretbox_easy(sealed.data(), key.seed().data(), key.seed().size(), nonce.data(),
                        box_key.data());
  sodium_memzero(box_key.data(), box_key.size());
  json j = PublicFields(name, key);
  j["version"] = 2;
  j["crypto"] = {{"kdf", kKdfName},
                 {"opslimit", cost.opslimit},
                 {"memlimit", cost.memlimit},
                 {"salt", ToHex(salt)},
                 {"cipher", kCipherName},
                 {"nonce", ToHex(nonce)},
                 {"ciphertext", ToHex(sealed)}};
  return WritePrivate(path, j.dump(2) + "\n");
}

Result<KeyInfo> Keystore::ReadKeyInfo(const std::filesystem::path& path) {
  auto f = ParseKeyFile(path);
  if (!f.ok()) return f.status();
  return f->info;
}

Result<StoredKey> Keystore::ReadKeyFile(const std::filesystem::path& path,
                                        const PassphraseProvider& passphrase) {
  auto f = ParseKeyFile(path);
  if (!f.ok()) return f.status();
  return OpenKey(&*f, "key file " + path.string(), passphrase);
}

Result<StoredKey> Keystore::ReadKeyText(std::string_view text, const std::string& where,
                                        const PassphraseProvider& passphrase) {
  auto f = ParseKeyText(text, where, "imported");
  if (!f.ok()) return f.status();
  return OpenKey(&*f, where, passphrase);
}

Status Keystore::EncryptKeyFile(const std::filesystem::path& path,
                                const PassphraseProvider& passphrase, KdfCost cost) {
  auto info = ReadKeyInfo(path);
  if (!info.ok()) return info.status();
  if (info->encrypted) {
    return Status::FailedPrecondition("key '" + info->name + "' is already encrypted",
                                      "already_encrypted");
  }
  auto k = ReadKeyFile(path);
  if (!k.ok()) return k.status();
  auto pass = AskPassphrase(passphrase, "key '" + k->name + "'", true);
  if (!pass.ok()) return pass.status();
  Status s = WriteEncryptedKeyFile(path, k->name, k->key, *pass, cost);
  sodium_memzero(pass->data(), pass->size());
  return s;
}

Status Keystore::CheckNewName(const std::string& name) const {
  if (!ValidName(name)) return BadName(name);
  if (std::filesystem::exists(PathOf(name))) {
    return Status::AlreadyExists("a key named '" + name + "' already exists", "key_exists");
  }
  return Status::OK();
}

Status Keystore::Write(const std::string& name, const KeyPair& key, KeyProtection protection) {
  TRIB_RETURN_IF_ERROR(EnsurePrivateDir(home_));
  if (protection == KeyProtection::kPlaintext) return WriteKeyFile(PathOf(name), name, key);
  auto pass = AskPassphrase(passphrase_, "key '" + name + "'", true);
  if (!pass.ok()) return pass.status();
  Status s = WriteEncryptedKeyFile(PathOf(name), name, key, *pass, cost_);
  sodium_memzero(pass->data(), pass->size());
  return s;
}

Result<StoredKey> Keystore::Create(const std::string& name, KeyProtection protection) {
  TRIB_RETURN_IF_ERROR(CheckNewName(name));
  StoredKey k{name, KeyPair::Generate()};
  TRIB_RETURN_IF_ERROR(Write(name, k.key, protection));
  return k;
}

Result<StoredKey> Keystore::Import(const std::string& name, const KeyPair& key,
                                   KeyProtection protection) {
  TRIB_RETURN_IF_ERROR(CheckNewName(name));
  TRIB_RETURN_IF_ERROR(Write(name, key, protection));
  return StoredKey{name, key};
}

Result<StoredKey> Keystore::Load(const std::string& name) const {
  TRIB_RETURN_IF_ERROR(CheckStored(name));
  return ReadKeyFile(PathOf(name), passphrase_);
}

Status Keystore::CheckStored(const std::string& name) const {
  if (!ValidName(name)) return BadName(name);
  if (!std::filesystem::exists(PathOf(name))) {
    return Status::NotFound("no key named '" + name + "' in " + dir().string() +
                                " (create one with `tributary keys new --name " + name + "`)",
                            "key_not_found");
  }
  return Status::OK();
}

Result<KeyInfo> Keystore::Info(const std::string& name) const {
  TRIB_RETURN_IF_ERROR(CheckStored(name));
  return ReadKeyInfo(PathOf(name));
}

Status Keystore::Encrypt(const std::string& name) {
  TRIB_RETURN_IF_ERROR(CheckStored(name));
  return EncryptKeyFile(PathOf(name), passphrase_, cost_);
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
