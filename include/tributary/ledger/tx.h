// Signed transactions: canonical encoding, signature, JSON form.
//
// Canonical encoding (all integers big-endian, see base/encoding.h):
//   body = u8 version(=1) | str chain_id | 32B sender public key | u64 nonce |
//          u128 max_fee | str kind | blob payload
//   signing bytes = "tributary/tx/v1" || body
//   encoded tx    = body | 64B Ed25519 signature over the signing bytes
// The tx hash is SHA-256 of the encoded tx. The payload's encoding belongs to
// the kind (see tx_kind.h).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"

namespace tributary {

class TxKindRegistry;

inline constexpr size_t kMaxChainIdBytes = 64;
inline constexpr size_t kMaxKindBytes = 64;
//! Hard ceiling on any encoded tx; the chain's own limit (ChainParams) may be lower.
inline constexpr size_t kMaxTxBytesCeiling = 1 << 20;

struct Transaction {
  std::string chain_id;
  PublicKey sender{};
  uint64_t nonce = 0;
  Amount max_fee = 0;
  std::string kind;
  Bytes payload;
  Signature signature{};

  Address sender_address() const { return Address::FromPublicKey(sender); }
  Bytes SigningBytes() const;
  Bytes Encode() const;
  Hash32 Hash() const;
  void SignWith(const KeyPair& key);
  bool SignatureValid() const;

  //! Decodes an encoded tx; fails with reason "malformed_encoding" or "oversized".
  static Result<Transaction> Decode(ByteView encoded);

  //! JSON form: chain_id, sender (hex key), from (address), nonce, max_fee (base units as a
  //! string), kind, payload (the kind's JSON), signature (hex), hash, raw (hex encoding).
  Result<nlohmann::json> ToJson(const TxKindRegistry& kinds) const;
  //! Reads the JSON form (`raw` alone suffices; otherwise the fields are re-encoded).
  static Result<Transaction> FromJson(const nlohmann::json& j, const TxKindRegistry& kinds);
};

}  // namespace tributary
