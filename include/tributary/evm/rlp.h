// Recursive Length Prefix encoding (Ethereum Yellow Paper, appendix B).
//
// An item is a byte string or a list of items. Integers are byte strings holding the value
// big-endian without leading zeros (zero is the empty string). Decoding is strict: it accepts
// only the one canonical encoding of an item (a single byte below 0x80 as itself, the short form
// for payloads under 56 bytes, length prefixes without leading zeros), the whole input must be
// exactly one item, and nesting is bounded.
//
// RlpItem is a value type; the functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/uint256.h"

namespace tributary::evm {

//! A decoded or to-be-encoded RLP item. Value type.
class RlpItem {
 public:
  //! The empty byte string.
  RlpItem() = default;

  static RlpItem String(ByteView bytes);
  static RlpItem List(std::vector<RlpItem> items);
  //! An integer: minimal big-endian bytes, the empty string for zero.
  static RlpItem Uint(const U256& value);

  bool is_list() const { return is_list_; }
  //! The bytes of a string item (empty for a list).
  const Bytes& bytes() const { return bytes_; }
  //! The items of a list (empty for a string).
  const std::vector<RlpItem>& items() const { return items_; }

  //! A string item read as an integer. InvalidArgument with reason "rlp_expected_string" for a
  //! list, "rlp_non_canonical" for a leading zero byte, "rlp_integer_too_large" over 32 bytes.
  Result<U256> AsUint() const;
  //! The same, for values that must fit 64 bits.
  Result<uint64_t> AsUint64() const;

  friend bool operator==(const RlpItem&, const RlpItem&) = default;

 private:
  bool is_list_ = false;
  Bytes bytes_;
  std::vector<RlpItem> items_;
};

//! The encoding of `item`.
Bytes RlpEncode(const RlpItem& item);
//! Appends the encoding of `item` to `out`.
void RlpEncodeTo(const RlpItem& item, Bytes& out);

//! Nesting deeper than this is refused by RlpDecode's default.
inline constexpr size_t kRlpMaxDepth = 64;

//! Decodes exactly one item spanning all of `data`. InvalidArgument with reason:
//! "rlp_empty" (no input), "rlp_truncated" (a length points past the end),
//! "rlp_trailing_bytes" (input after the item), "rlp_non_canonical" (a form other than the
//! canonical one), "rlp_too_deep" (lists nested beyond `max_depth`). A length larger than the
//! input (up to 2^64 - 1) is "rlp_truncated", its message giving both sizes.
Result<RlpItem> RlpDecode(ByteView data, size_t max_depth = kRlpMaxDepth);

}  // namespace tributary::evm
