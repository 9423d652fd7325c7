// EIP-1559 (type 2) transactions: building, signing, encoding and decoding.
//
// Unsigned: 0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to,
// value, data, accessList]); the signing hash is its keccak256. Signed: the same list with
// yParity, r, s appended; the transaction hash is the keccak256 of the signed encoding (what
// eth_sendRawTransaction takes).
//
// The structs are value types; the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/uint256.h"
#include "tributary/evm/address.h"
#include "tributary/evm/keys.h"

namespace tributary::evm {

//! One access-list entry: an address and the storage keys the transaction will touch there.
struct AccessListEntry {
  Address address;
  std::vector<Hash32> storage_keys;

  friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};

//! The fields of a type-2 transaction. Value type.
struct Eip1559Transaction {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  U256 max_priority_fee_per_gas;
  U256 max_fee_per_gas;
  uint64_t gas_limit = 0;
  std::optional<Address> to;  //!< none: contract creation
  U256 value;
  Bytes data;
  std::vector<AccessListEntry> access_list;

  //! 0x02 || rlp(the nine fields).
  Bytes EncodeUnsigned() const;
  //! keccak256(EncodeUnsigned()): the digest the sender signs.
  Hash32 SigningHash() const;

  friend bool operator==(const Eip1559Transaction&, const Eip1559Transaction&) = default;
};

//! A transaction with its signature.
struct SignedEip1559Transaction {
  Eip1559Transaction tx;
  Signature signature;

  //! 0x02 || rlp(the nine fields, yParity, r, s): the raw transaction.
  Bytes Encode() const;
  //! keccak256(Encode()): the transaction hash.
  Hash32 Hash() const;
  //! The address that signed it (recovered from the signature).
  Result<Address> Sender() const;

  friend bool operator==(const SignedEip1559Transaction&,
                         const SignedEip1559Transaction&) = default;
};

//! Signs `tx` with `key`.
SignedEip1559Transaction SignTransaction(const Eip1559Transaction& tx, const PrivateKey& key);

//! Decodes a raw signed type-2 transaction. InvalidArgument with reasons: "tx_type" (first byte
//! not 0x02), any RlpDecode reason, "tx_shape" (not a list of twelve, or a field of the wrong
//! kind or size), "tx_field" (a non-canonical or oversized integer; the message names the
//! field), "high_s"/"bad_signature" (signature values out of range). Does not recover the
//! sender; Sender() does.
Result<SignedEip1559Transaction> DecodeSignedTransaction(ByteView raw);
//! Decodes an unsigned encoding (EncodeUnsigned's form), with the same reasons.
Result<Eip1559Transaction> DecodeUnsignedTransaction(ByteView encoded);

}  // namespace tributary::evm
