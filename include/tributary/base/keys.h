// Ed25519 keys and signatures (libsodium) and account addresses.
//
// An address is derived from a public key: the first 20 bytes of
// BLAKE2b-256("tributary/address/v1" || public key). Its one text form is
// "trb" followed by the 20 bytes in lowercase hex and a 4-byte checksum
// (the first 4 bytes of BLAKE2b-256 over the 20 bytes), 51 characters in
// all; parsing rejects any other form, so a mistyped address is caught.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "tributary/base/bytes.h"

namespace tributary {

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

//! An Ed25519 key pair. Holds secret material: the destructor wipes it.
class KeyPair {
 public:
  //! A fresh random key pair.
  static KeyPair Generate();
  //! The key pair for a 32-byte seed (deterministic; used by tests and the keystore).
  static KeyPair FromSeed(const std::array<uint8_t, 32>& seed);

  KeyPair(const KeyPair&) = default;
  KeyPair& operator=(const KeyPair&) = default;
  ~KeyPair();

  const PublicKey& public_key() const { return public_key_; }
  const std::array<uint8_t, 32>& seed() const { return seed_; }
  Signature Sign(ByteView message) const;

 private:
  KeyPair() = default;
  PublicKey public_key_{};
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 64> secret_{};  // libsodium's expanded form: seed || public key
};

//! True when `signature` is a valid Ed25519 signature of `message` by `key`.
bool VerifySignature(const PublicKey& key, ByteView message, const Signature& signature);

//! A 20-byte account address.
struct Address {
  std::array<uint8_t, 20> bytes{};

  static Address FromPublicKey(const PublicKey& key);
  //! Parses the "trb…" text form, checksum included.
  static Result<Address> Parse(std::string_view text);
  std::string ToString() const;

  auto operator<=>(const Address&) const = default;
};

}  // namespace tributary
