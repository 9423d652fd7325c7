#include "tributary/evm/quantity.h"

#include <algorithm>

namespace tributary::evm {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string FormatQuantity(const U256& value) {
  if (value.IsZero()) return "0x0";
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto bytes = value.ToBytes();
  std::string out = "0x";
  bool started = false;
  for (uint8_t b : bytes) {
    for (int nibble : {b >> 4, b & 0xf}) {
      if (nibble == 0 && !started) continue;
      started = true;
      out.push_back(kDigits[nibble]);
    }
  }
  return out;
}

std::string FormatQuantity(uint64_t value) { return FormatQuantity(U256(Amount{value})); }

Result<U256> ParseQuantity(std::string_view text) {
  auto bad = [&](std::string why) {
    return Status::InvalidArgument("bad quantity '" + std::string(text.substr(0, 80)) + "': " + why,
                                   "bad_quantity");
  };
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return bad("expected 0x and hex digits");
  }
  std::string_view digits = text.substr(2);
  std::array<uint8_t, 32> bytes{};
  // Skip leading zeros so that long zero-padded forms still fit.
  size_t first = digits.find_first_not_of('0');
  if (first == std::string_view::npos) first = digits.size();
  for (char c : digits) {
    if (HexDigit(c) < 0) return bad("not a hex digit");
  }
  std::string_view significant = digits.substr(first);
  if (significant.size() > 64) return bad("more than 256 bits");
  for (size_t i = 0; i < significant.size(); ++i) {
    const size_t nibble_from_end = significant.size() - 1 - i;
    const size_t byte = 31 - nibble_from_end / 2;
    const int v = HexDigit(significant[i]);
    bytes[byte] |= static_cast<uint8_t>(nibble_from_end % 2 ? v << 4 : v);
  }
  return U256::FromBytes(bytes);
}

Result<uint64_t> ParseQuantity64(std::string_view text) {
  TRIB_ASSIGN_OR_RETURN(U256 v, ParseQuantity(text));
  return ToUint64(v);
}

Result<uint64_t> ToUint64(const U256& value) {
  auto small = value.ToAmount();
  if (!small || *small > Amount{UINT64_MAX}) {
    return Status::InvalidArgument("value " + value.ToString() + " does not fit 64 bits",
                                   "quantity_too_large");
  }
  return static_cast<uint64_t>(*small);
}

Bytes MinimalBigEndian(const U256& value) {
  const auto bytes = value.ToBytes();
  auto first = std::find_if(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
  return Bytes(first, bytes.end());
}

Result<U256> U256FromBigEndian(ByteView bytes) {
  if (bytes.size() > 32) {
    return Status::InvalidArgument(
        "integer of " + std::to_string(bytes.size()) + " bytes is wider than 256 bits",
        "integer_too_large");
  }
  std::array<uint8_t, 32> padded{};
  std::copy(bytes.begin(), bytes.end(), padded.begin() + (32 - bytes.size()));
  return U256::FromBytes(padded);
}

}  // namespace tributary::evm
