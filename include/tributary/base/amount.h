// Money: unsigned 128-bit integers in base units, with checked arithmetic.
//
// The native token has 18 decimals like the ERC-20 OPEN: 1 OPEN = 10^18 base
// units. Every addition and subtraction on a balance goes through the
// checked helpers here; none wraps.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tributary/base/status.h"

namespace tributary {

using Amount = unsigned __int128;

inline constexpr Amount kAmountMax = ~Amount{0};

//! a + b, or nullopt on overflow.
inline std::optional<Amount> CheckedAdd(Amount a, Amount b) {
  Amount r = a + b;
  if (r < a) return std::nullopt;
  return r;
}
//! a - b, or nullopt when b > a.
inline std::optional<Amount> CheckedSub(Amount a, Amount b) {
  if (b > a) return std::nullopt;
  return a - b;
}
//! a * b, or nullopt on overflow.
inline std::optional<Amount> CheckedMul(Amount a, Amount b) {
  if (a != 0 && b > kAmountMax / a) return std::nullopt;
  return a * b;
}

//! Base units as a decimal integer string ("1500000000000000000").
std::string AmountToString(Amount a);
//! Parses a decimal integer string of base units; rejects signs, spaces, overflow.
Result<Amount> ParseAmount(std::string_view text);

//! Base units as a token quantity with `decimals` places ("1.5"), trailing zeros dropped.
std::string FormatTokens(Amount a, int decimals = 18);
//! Parses a token quantity ("1.5", "1000", "0.000000000000000001") into base units.
Result<Amount> ParseTokens(std::string_view text, int decimals = 18);

//! 10^n, n <= 38.
Amount Pow10(int n);

}  // namespace tributary
