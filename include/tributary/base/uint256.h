//! Unsigned 256-bit integers for the few ledger computations whose products outgrow 128 bits
//! (the staking reward accumulator: an amount times 10^18, divided by the total staked).
//!
//! Only what those computations need: add, subtract, multiply and divide by a 128-bit amount,
//! compare, and a fixed 32-byte big-endian encoding. Every operation that could wrap is checked.
//! A value type; thread-compatible.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "tributary/base/amount.h"

namespace tributary {

class U256 {
 public:
  constexpr U256() = default;
  constexpr U256(Amount low)  // NOLINT(google-explicit-constructor): widening is lossless
      : limbs_{static_cast<uint64_t>(low), static_cast<uint64_t>(low >> 64), 0, 0} {}

  //! a + b, or nullopt on overflow.
  static std::optional<U256> Add(const U256& a, const U256& b);
  //! a - b, or nullopt when b > a.
  static std::optional<U256> Sub(const U256& a, const U256& b);
  //! a x b, or nullopt on overflow.
  static std::optional<U256> Mul(const U256& a, Amount b);

  struct DivModResult;
  //! floor(a / d) and a mod d; d must be positive.
  static DivModResult DivMod(const U256& a, Amount d);

  //! The value as an Amount, or nullopt when it does not fit.
  std::optional<Amount> ToAmount() const;
  bool IsZero() const { return (limbs_[0] | limbs_[1] | limbs_[2] | limbs_[3]) == 0; }

  //! 32 bytes, most significant first.
  std::array<uint8_t, 32> ToBytes() const;
  static U256 FromBytes(const std::array<uint8_t, 32>& bytes);
  //! Decimal digits.
  std::string ToString() const;

  friend bool operator==(const U256&, const U256&) = default;
  friend std::strong_ordering operator<=>(const U256& a, const U256& b);

 private:
  std::array<uint64_t, 4> limbs_{};  // least significant first
};

struct U256::DivModResult {
  U256 quotient;
  Amount remainder = 0;
};

}  // namespace tributary
