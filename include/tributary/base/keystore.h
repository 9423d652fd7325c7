// The local keystore: named Ed25519 keys in $TRIBUTARY_HOME/keys (default ~/.tributary).
//
// One JSON file per key, NAME.json, mode 0600 in a 0700 directory:
//   {"name": ..., "public_key": hex, "address": "trb…", "seed": hex}
// The seed is stored unencrypted; protect the directory as you would an SSH key.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tributary/base/keys.h"

namespace tributary {

struct StoredKey {
  std::string name;
  KeyPair key;
  Address address() const { return Address::FromPublicKey(key.public_key()); }
};

class Keystore {
 public:
  //! $TRIBUTARY_HOME, else $HOME/.tributary.
  static std::filesystem::path DefaultHome();
  explicit Keystore(std::filesystem::path home) : home_(std::move(home)) {}

  //! Creates a new random key; AlreadyExists if the name is taken, InvalidArgument for a bad name.
  Result<StoredKey> Create(const std::string& name);
  Result<StoredKey> Load(const std::string& name) const;
  //! Names in sorted order.
  Result<std::vector<std::string>> List() const;

  //! Writes `key` to `path` (mode 0600, atomically via a temporary file).
  static Status WriteKeyFile(const std::filesystem::path& path, const std::string& name,
                             const KeyPair& key);
  static Result<StoredKey> ReadKeyFile(const std::filesystem::path& path);

 private:
  std::filesystem::path dir() const { return home_ / "keys"; }
  std::filesystem::path home_;
};

}  // namespace tributary
