// The local keystore: named Ed25519 keys in $TRIBUTARY_HOME/keys (default ~/.tributary).
//
// One JSON file per key, NAME.json, mode 0600 in a 0700 directory. An encrypted key (version 2):
//   {"version": 2, "name": ..., "public_key": hex, "address": "trb…",
//    "crypto": {"kdf": "argon2id13", "opslimit": N, "memlimit": N, "salt": hex16,
//               "cipher": "xsalsa20poly1305", "nonce": hex24, "ciphertext": hex48}}
// The seed is sealed with libsodium's secretbox under a key that Argon2id derives from the
// passphrase; the cost is stored with each file so that it can be raised later. The public key
// and address stay readable, so listing keys and resolving a name to an address never ask for the
// passphrase. A plaintext key (version 1, what earlier versions wrote, still read):
//   {"name": ..., "public_key": hex, "address": "trb…", "seed": hex}
//
// Thread-safety: a Keystore holds no mutable state; concurrent calls are safe as far as the files
// are (each write is atomic: a temporary file renamed over the old one).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/keys.h"

namespace tributary {

struct StoredKey {
  std::string name;
  KeyPair key;
  Address address() const { return Address::FromPublicKey(key.public_key()); }
};

//! What a key file says without its passphrase.
struct KeyInfo {
  std::string name;
  PublicKey public_key{};
  bool encrypted = false;
  Address address() const { return Address::FromPublicKey(public_key); }
};

//! Argon2id cost for keys being encrypted.
struct KdfCost {
  uint64_t opslimit = 3;             //!< libsodium's MODERATE
  uint64_t memlimit = 256ull << 20;  //!< bytes; libsodium's MODERATE
  static KdfCost Default() { return {}; }
};

//! Supplies a passphrase. `purpose` says what for ("key 'alice'"); `confirm` asks for a new one
//! (typed twice on a terminal). Returns FailedPrecondition "passphrase_required" when there is no
//! way to get one.
using PassphraseProvider =
    std::function<Result<std::string>(const std::string& purpose, bool confirm)>;

enum class KeyProtection { kEncrypted, kPlaintext };

class Keystore {
 public:
  //! $TRIBUTARY_HOME, else $HOME/.tributary.
  static std::filesystem::path DefaultHome();
  //! `passphrase` is asked only to encrypt or decrypt a key; without one, encrypted keys cannot
  //! be loaded or created (FailedPrecondition "passphrase_required").
  explicit Keystore(std::filesystem::path home, PassphraseProvider passphrase = nullptr,
                    KdfCost cost = KdfCost::Default())
      : home_(std::move(home)), passphrase_(std::move(passphrase)), cost_(cost) {}

  //! Creates a new random key; AlreadyExists if the name is taken, InvalidArgument for a bad name.
  Result<StoredKey> Create(const std::string& name, KeyProtection protection);
  //! Stores `key` under a new name (same refusals as Create).
  Result<StoredKey> Import(const std::string& name, const KeyPair& key, KeyProtection protection);
  //! The key with its secret; asks for the passphrase when the file is encrypted.
  //! PermissionDenied "bad_passphrase" when the passphrase does not open it.
  Result<StoredKey> Load(const std::string& name) const;
  //! Name, public key and whether it is encrypted; never asks for a passphrase.
  Result<KeyInfo> Info(const std::string& name) const;
  //! Encrypts a plaintext key in place (the upgrade of an earlier version's keystore).
  //! FailedPrecondition "already_encrypted" when it is.
  Status Encrypt(const std::string& name);
  //! Names in sorted order.
  Result<std::vector<std::string>> List() const;
  //! Where the key named `name` is (or would be) stored.
  std::filesystem::path PathOf(const std::string& name) const { return dir() / (name + ".json"); }

  //! Writes `key` unencrypted to `path` (mode 0600, atomically via a temporary file).
  static Status WriteKeyFile(const std::filesystem::path& path, const std::string& name,
                             const KeyPair& key);
  //! Writes `key` to `path` sealed under `passphrase` (not empty).
  static Status WriteEncryptedKeyFile(const std::filesystem::path& path, const std::string& name,
                                      const KeyPair& key, const std::string& passphrase,
                                      KdfCost cost = KdfCost::Default());
  //! Reads a key file of either version; `passphrase` is asked only for an encrypted one.
  static Result<StoredKey> ReadKeyFile(const std::filesystem::path& path,
                                       const PassphraseProvider& passphrase = nullptr);
  //! The text of a key file of either version from elsewhere (an import); `where` names it in
  //! errors.
  static Result<StoredKey> ReadKeyText(std::string_view text, const std::string& where,
                                       const PassphraseProvider& passphrase = nullptr);
  static Result<KeyInfo> ReadKeyInfo(const std::filesystem::path& path);
  //! Encrypts the plaintext key file at `path` in place.
  static Status EncryptKeyFile(const std::filesystem::path& path,
                               const PassphraseProvider& passphrase,
                               KdfCost cost = KdfCost::Default());

 private:
  Status CheckNewName(const std::string& name) const;
  //! InvalidArgument for a bad name, NotFound when no such key is stored.
  Status CheckStored(const std::string& name) const;
  Status Write(const std::string& name, const KeyPair& key, KeyProtection protection);
  std::filesystem::path dir() const { return home_ / "keys"; }
  std::filesystem::path home_;
  PassphraseProvider passphrase_;
  KdfCost cost_;
};

}  // namespace tributary
