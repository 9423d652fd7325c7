#include "tributary/base/uint256.h"

#include <gtest/gtest.h>

#include <random>

namespace tributary {
namespace {

using u128 = unsigned __int128;

TEST(U256Test, SmallValuesBehaveLikeAmounts) {
  U256 a = Amount{1000}, b = Amount{7};
  EXPECT_EQ(*U256::Add(a, b), U256(Amount{1007}));
  EXPECT_EQ(*U256::Sub(a, b), U256(Amount{993}));
  EXPECT_FALSE(U256::Sub(b, a).has_value());
  EXPECT_EQ(*U256::Mul(a, 7), U256(Amount{7000}));
  auto qr = U256::DivMod(a, 7);
  EXPECT_EQ(qr.quotient, U256(Amount{142}));
  EXPECT_EQ(qr.remainder, Amount{6});
  EXPECT_EQ(*qr.quotient.ToAmount(), Amount{142});
  EXPECT_EQ(U256().ToString(), "0");
  EXPECT_EQ(a.ToString(), "1000");
}

TEST(U256Test, ProductsBeyond128BitsDivideBackExactly) {
  // 10^27 x 10^27 = 10^54: the staking accumulator's largest product.
  const Amount supply = Pow10(27);
  U256 p = *U256::Mul(supply, supply);
  EXPECT_EQ(p.ToString(), "1" + std::string(54, '0'));
  EXPECT_FALSE(p.ToAmount().has_value());
  auto qr = U256::DivMod(p, supply);
  EXPECT_EQ(qr.quotient, U256(supply));
  EXPECT_EQ(qr.remainder, Amount{0});
  // Division by a divisor above 2^127 (the remainder's shifted-out bit).
  const Amount big = (Amount{1} << 127) + 12345;
  U256 x = *U256::Add(*U256::Mul(big, 3), Amount{99});
  auto q2 = U256::DivMod(x, big);
  EXPECT_EQ(q2.quotient, U256(Amount{3}));
  EXPECT_EQ(q2.remainder, Amount{99});
}

TEST(U256Test, OverflowIsReported) {
  std::array<uint8_t, 32> max{};
  max.fill(0xff);
  U256 top = U256::FromBytes(max);
  EXPECT_FALSE(U256::Add(top, Amount{1}).has_value());
  EXPECT_FALSE(U256::Mul(top, 2).has_value());
  EXPECT_EQ(*U256::Mul(top, 1), top);
  EXPECT_EQ(top.ToString(),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
}

TEST(U256Test, BytesRoundTripMostSignificantFirst) {
  U256 v = *U256::Mul(Amount{0x0102030405060708ULL}, Amount{1} << 100);
  auto bytes = v.ToBytes();
  EXPECT_EQ(U256::FromBytes(bytes), v);
  EXPECT_EQ(bytes[31], 0);
  EXPECT_NE(bytes[0] | bytes[1] | bytes[2] | bytes[3] | bytes[4] | bytes[5] | bytes[6] | bytes[7] |
                bytes[8] | bytes[9] | bytes[10] | bytes[11] | bytes[12] | bytes[13] | bytes[14] |
                bytes[15] | bytes[16] | bytes[17],
            0);
}

TEST(U256Test, RandomMulDivAgreesWithIdentity) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const Amount a = (u128{rng()} << 64) | rng();
    const Amount b = (u128{rng() >> (rng() % 64)} << 64) | rng();
    const Amount d = ((u128{rng() >> (rng() % 64)} << 64) | rng()) | 1;
    U256 p = *U256::Mul(a, b);
    auto qr = U256::DivMod(p, d);
    ASSERT_LT(qr.remainder, d);
    // q x d + r == a x b
    U256 back = *U256::Add(*U256::Mul(qr.quotient, d), qr.remainder);
    ASSERT_EQ(back, p);
    ASSERT_EQ(*U256::Sub(p, p), U256());
  }
}

}  // namespace
}  // namespace tributary
