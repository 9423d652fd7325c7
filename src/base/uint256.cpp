#include "tributary/base/uint256.h"

#include <algorithm>

namespace tributary {
namespace {
using u128 = unsigned __int128;
}  // namespace

std::optional<U256> U256::Add(const U256& a, const U256& b) {
  U256 r;
  u128 carry = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 sum = u128{a.limbs_[i]} + b.limbs_[i] + carry;
    r.limbs_[i] = static_cast<uint64_t>(sum);
    carry = sum >> 64;
  }
  if (carry) return std::nullopt;
  return r;
}

std::optional<U256> U256::Sub(const U256& a, const U256& b) {
  if (a < b) return std::nullopt;
  U256 r;
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 diff = u128{a.limbs_[i]} - b.limbs_[i] - borrow;  // wraps when it borrows
    r.limbs_[i] = static_cast<uint64_t>(diff);
    borrow = (diff >> 64) != 0 ? 1 : 0;
  }
  return r;
}

std::optional<U256> U256::Mul(const U256& a, Amount b) {
  const uint64_t b_limbs[2] = {static_cast<uint64_t>(b), static_cast<uint64_t>(b >> 64)};
  uint64_t out[6] = {};
  for (int i = 0; i < 4; ++i) {
    u128 carry = 0;
    for (int j = 0; j < 2; ++j) {
      const u128 cur = u128{a.limbs_[i]} * b_limbs[j] + out[i + j] + carry;
      out[i + j] = static_cast<uint64_t>(cur);
      carry = cur >> 64;
    }
    for (int k = i + 2; carry != 0 && k < 6; ++k) {
      const u128 cur = u128{out[k]} + carry;
      out[k] = static_cast<uint64_t>(cur);
      carry = cur >> 64;
    }
  }
  if (out[4] != 0 || out[5] != 0) return std::nullopt;
  U256 r;
  std::copy(out, out + 4, r.limbs_.begin());
  return r;
}

U256::DivModResult U256::DivMod(const U256& a, Amount d) {
  DivModResult out;
  // Bit-at-a-time long division; the remainder stays below d < 2^128, and `top` holds the bit
  // that shifting it left may push out.
  u128 rem = 0;
  for (int bit = 255; bit >= 0; --bit) {
    const bool top = (rem >> 127) != 0;
    rem = (rem << 1) | ((a.limbs_[bit / 64] >> (bit % 64)) & 1);
    if (top || rem >= d) {
      rem -= d;
      out.quotient.limbs_[bit / 64] |= uint64_t{1} << (bit % 64);
    }
  }
  out.remainder = rem;
  return out;
}

std::optional<Amount> U256::ToAmount() const {
  if (limbs_[2] != 0 || limbs_[3] != 0) return std::nullopt;
  return (u128{limbs_[1]} << 64) | limbs_[0];
}

std::array<uint8_t, 32> U256::ToBytes() const {
  std::array<uint8_t, 32> out{};
  for (int i = 0; i < 32; ++i) out[31 - i] = static_cast<uint8_t>(limbs_[i / 8] >> (8 * (i % 8)));
  return out;
}

U256 U256::FromBytes(const std::array<uint8_t, 32>& bytes) {
  U256 r;
  for (int i = 0; i < 32; ++i) r.limbs_[i / 8] |= uint64_t{bytes[31 - i]} << (8 * (i % 8));
  return r;
}

std::string U256::ToString() const {
  if (IsZero()) return "0";
  std::string digits;
  U256 v = *this;
  const Amount chunk = Pow10(19);
  while (!v.IsZero()) {
    DivModResult qr = DivMod(v, chunk);
    std::string part = AmountToString(qr.remainder);
    v = qr.quotient;
    if (!v.IsZero()) part.insert(0, 19 - part.size(), '0');
    digits.insert(0, part);
  }
  return digits;
}

std::strong_ordering operator<=>(const U256& a, const U256& b) {
  for (int i = 3; i >= 0; --i) {
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] <=> b.limbs_[i];
  }
  return std::strong_ordering::equal;
}

}  // namespace tributary
