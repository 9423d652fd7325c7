// Ethereum account addresses: 20 bytes, written as EIP-55 mixed-case checksummed hex.
// A value type; thread-compatible.
#pragma once

#include <array>
#include <compare>
#include <string>
#include <string_view>

#include "tributary/base/bytes.h"

namespace tributary::evm {

//! A 20-byte Ethereum address. Value type, zero by default.
struct Address {
  std::array<uint8_t, 20> bytes{};

  //! The EIP-55 text form: "0x" and 40 hex digits, letters upper-cased where the matching nibble
  //! of keccak256(lowercase hex) is 8 or more.
  std::string ToChecksumString() const;
  //! "0x" and 40 lowercase hex digits (the JSON-RPC form).
  std::string ToLowerHex() const;

  //! Parses "0x" and 40 hex digits. All-lowercase or all-uppercase text carries no checksum and
  //! is accepted as is; mixed case must be the exact EIP-55 form (reason "bad_checksum").
  //! Other text: InvalidArgument, reason "bad_address".
  static Result<Address> Parse(std::string_view text);
  //! Exactly 20 bytes (reason "bad_address" otherwise).
  static Result<Address> FromBytes(ByteView bytes);

  friend auto operator<=>(const Address&, const Address&) = default;
};

}  // namespace tributary::evm
