// secp256k1 keys and recoverable ECDSA signatures as Ethereum uses them, on Debian's
// libsecp256k1 (bitcoin-core/secp256k1 with its recovery module).
//
// Signing is deterministic (RFC 6979 nonces, the library's default) and always gives a low s
// (s <= n/2, EIP-2), so the same key and digest give the same signature as ethers or geth.
// Recovery and verification refuse high-s signatures.
//
// Thread-safety: every function here may be called from any thread; the library context they
// share is created once and only read after that.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "tributary/base/bytes.h"
#include "tributary/evm/address.h"

namespace tributary::evm {

//! A valid public key (a point on the curve). Value type.
struct PublicKey {
  std::array<uint8_t, 65> uncompressed{};  //!< 0x04 || x || y

  //! 0x02 or 0x03 (the parity of y) || x.
  std::array<uint8_t, 33> Compressed() const;
  //! The last 20 bytes of keccak256(x || y).
  Address ToAddress() const;

  //! A 33-byte compressed or 65-byte uncompressed key; InvalidArgument (reason
  //! "bad_public_key") when it is not a point on the curve.
  static Result<PublicKey> Parse(ByteView bytes);

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

//! An ECDSA signature with its recovery bit, as EIP-1559 transactions carry it.
struct Signature {
  Hash32 r{};
  Hash32 s{};
  uint8_t y_parity = 0;  //!< 0 or 1: the parity of the y coordinate of the nonce point R

  //! r || s || v with v = 27 + y_parity (the 65-byte form of eth_sign and ethers'
  //! `signature.serialized`).
  std::array<uint8_t, 65> ToBytes() const;
  //! Parses r || s || v, v one of 0, 1, 27, 28 (reason "bad_signature" otherwise). Checks only
  //! the form; Recover and Verify check the values.
  static Result<Signature> FromBytes(ByteView bytes);

  friend bool operator==(const Signature&, const Signature&) = default;
};

//! A secp256k1 private key: 32 bytes, 0 < key < n. Holds secret material: the destructor wipes
//! it. Copyable (each copy wipes its own).
class PrivateKey {
 public:
  //! A fresh random key (libsodium's randombytes).
  static PrivateKey Generate();
  //! Exactly 32 bytes of a valid key; InvalidArgument (reason "bad_private_key") for another
  //! length, zero, or a value >= n.
  static Result<PrivateKey> FromBytes(ByteView bytes);
  //! The same from hex (with or without "0x").
  static Result<PrivateKey> FromHex(std::string_view hex);

  PrivateKey(const PrivateKey&) = default;
  PrivateKey& operator=(const PrivateKey&) = default;
  ~PrivateKey();

  const std::array<uint8_t, 32>& bytes() const { return key_; }
  const PublicKey& public_key() const { return public_key_; }
  const Address& address() const { return address_; }

  //! Signs a 32-byte digest (RFC 6979 nonce, low s).
  Signature Sign(const Hash32& digest) const;

 private:
  PrivateKey() = default;
  std::array<uint8_t, 32> key_{};
  PublicKey public_key_;
  Address address_;
};

//! OK when the signature's values are in range: r and s in [1, n), s <= n/2, y_parity 0 or 1.
//! InvalidArgument with reason "high_s" or "bad_signature" otherwise. Says nothing about whether
//! it signs anything.
Status CheckSignatureValues(const Signature& signature);

//! The public key that produced `signature` over `digest`. InvalidArgument with reason
//! "high_s" for s > n/2, "bad_signature" for r or s zero or >= n or a y_parity other than 0 or 1,
//! "unrecoverable" when no key matches.
Result<PublicKey> RecoverPublicKey(const Hash32& digest, const Signature& signature);
//! The address of the key RecoverPublicKey finds.
Result<Address> RecoverAddress(const Hash32& digest, const Signature& signature);

//! OK when `signature` (r and s; y_parity is ignored) is a valid low-s signature of `digest` by
//! `key`; InvalidArgument (reason "high_s" or "bad_signature") otherwise.
Status VerifySignature(const PublicKey& key, const Hash32& digest, const Signature& signature);

//! EIP-191 version 0x45 ("personal_sign"): keccak256("\x19Ethereum Signed Message:\n" ||
//! decimal length || message).
Hash32 PersonalMessageHash(ByteView message);

}  // namespace tributary::evm
