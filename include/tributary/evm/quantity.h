// Integers in the forms Ethereum uses them: JSON-RPC quantities ("0x" and lowercase hex digits
// without leading zeros, "0x0" for zero) and minimal big-endian bytes (RLP integers).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tributary/base/bytes.h"
#include "tributary/base/uint256.h"

namespace tributary::evm {

//! "0x" followed by the value in lowercase hex without leading zeros; "0x0" for zero.
std::string FormatQuantity(const U256& value);
std::string FormatQuantity(uint64_t value);

//! Parses a JSON-RPC quantity: "0x" then 1 to 64 hex digits, either case. Leading zeros are
//! accepted (some servers send them); "0x" alone, signs, spaces and other digits are not
//! (InvalidArgument, reason "bad_quantity").
Result<U256> ParseQuantity(std::string_view text);
//! The same, for values that must fit 64 bits (block numbers, nonces, gas); reason
//! "quantity_too_large" when one does not.
Result<uint64_t> ParseQuantity64(std::string_view text);

//! The value as big-endian bytes without leading zeros; empty for zero.
Bytes MinimalBigEndian(const U256& value);
//! Up to 32 big-endian bytes as a value (leading zeros allowed). InvalidArgument beyond 32.
Result<U256> U256FromBigEndian(ByteView bytes);

//! The value as a uint64_t, or InvalidArgument with reason "quantity_too_large".
Result<uint64_t> ToUint64(const U256& value);

}  // namespace tributary::evm
