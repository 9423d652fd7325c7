// Byte strings, fixed-size digests and their hex text form.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/status.h"

namespace tributary {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

//! A 32-byte digest (SHA-256 or BLAKE2b-256). Value type, zero by default.
using Hash32 = std::array<uint8_t, 32>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

//! Lowercase hex, no prefix.
std::string ToHex(ByteView data);
template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& a) {
  return ToHex(ByteView(a.data(), a.size()));
}

//! Parses hex (either case, optional "0x" prefix); fails on odd length or bad digits.
Result<Bytes> FromHex(std::string_view hex);

//! Parses hex of exactly N bytes.
template <size_t N>
Result<std::array<uint8_t, N>> FixedFromHex(std::string_view hex) {
  auto bytes = FromHex(hex);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != N) {
    return Status::InvalidArgument("expected " + std::to_string(N) + " bytes of hex, got " +
                                   std::to_string(bytes->size()));
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace tributary
