#include "tributary/base/amount.h"

#include <gtest/gtest.h>

#include <string>

namespace tributary {
namespace {

// 2^128 - 1 and 2^128 in decimal.
constexpr const char* kMaxText = "340282366920938463463374607431768211455";
constexpr const char* kMaxPlusOneText = "340282366920938463463374607431768211456";

TEST(AmountTest, Pow10) {
  EXPECT_EQ(Pow10(0), Amount{1});
  EXPECT_EQ(Pow10(1), Amount{10});
  EXPECT_EQ(Pow10(18), Amount{1000000000000000000ULL});
  EXPECT_EQ(AmountToString(Pow10(38)), "1" + std::string(38, '0'));
}

TEST(AmountTest, AmountToString) {
  EXPECT_EQ(AmountToString(0), "0");
  EXPECT_EQ(AmountToString(7), "7");
  EXPECT_EQ(AmountToString(1500000000000000000ULL), "1500000000000000000");
  EXPECT_EQ(AmountToString(kAmountMax), kMaxText);
}

TEST(AmountTest, ParseAmountValid) {
  auto zero = ParseAmount("0");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, Amount{0});
  auto v = ParseAmount("1500000000000000000");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Amount{1500000000000000000ULL});
  auto max = ParseAmount(kMaxText);
  ASSERT_TRUE(max.ok()) << max.status().ToString();
  EXPECT_EQ(*max, kAmountMax);
}

TEST(AmountTest, ParseAmountRoundTrip) {
  for (Amount a : {Amount{0}, Amount{1}, Amount{9}, Amount{10}, Pow10(18), Pow10(38) - 1, Pow10(38),
                   kAmountMax - 1, kAmountMax, Amount{123456789} * Pow10(20) + 42}) {
    auto r = ParseAmount(AmountToString(a));
    ASSERT_TRUE(r.ok()) << AmountToString(a);
    EXPECT_EQ(*r, a);
  }
}

TEST(AmountTest, ParseAmountOverflowAt2To128) {
  auto r = ParseAmount(kMaxPlusOneText);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "amount_overflow");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  // Far beyond, and overflowing in the multiply rather than the add.
  auto big = ParseAmount(std::string(kMaxText) + "0");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().reason(), "amount_overflow");
  auto huge = ParseAmount(std::string(60, '9'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().reason(), "amount_overflow");
}

TEST(AmountTest, ParseAmountRejectsMalformed) {
  for (const char* text : {"", "-1", "+1", "-0", " 1", "1 ", "1.0", "1e5", "0x10", "abc", "1,000",
                           "00", "01", "007"}) {
    auto r = ParseAmount(text);
    ASSERT_FALSE(r.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(r.status().reason(), "bad_amount") << text;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << text;
  }
}

TEST(AmountTest, FormatTokens) {
  EXPECT_EQ(FormatTokens(0), "0");
  EXPECT_EQ(FormatTokens(Pow10(18)), "1");
  EXPECT_EQ(FormatTokens(Pow10(18) * 3 / 2), "1.5");
  EXPECT_EQ(FormatTokens(1), "0.000000000000000001");
  EXPECT_EQ(FormatTokens(Pow10(18) * 1000), "1000");
  EXPECT_EQ(FormatTokens(Pow10(18) + Pow10(17) + 1), "1.100000000000000001");
  EXPECT_EQ(FormatTokens(kAmountMax), "340282366920938463463.374607431768211455");
  EXPECT_EQ(FormatTokens(1234, 2), "12.34");
  EXPECT_EQ(FormatTokens(1200, 2), "12");
  EXPECT_EQ(FormatTokens(1205, 2), "12.05");
  EXPECT_EQ(FormatTokens(42, 0), "42");
}

TEST(AmountTest, ParseTokensValid) {
  struct Case {
    const char* text;
    Amount want;
  } cases[] = {
      {"0", 0},
      {"1", Pow10(18)},
      {"1.5", Pow10(18) * 3 / 2},
      {"1000", Pow10(21)},
      {"0.000000000000000001", 1},
      {"0.1", Pow10(17)},
      {"0.10", Pow10(17)},
      {"12.000000000000000000", Pow10(18) * 12},
      // Leading zeros are fine in a typed quantity.
      {"007", Pow10(18) * 7},
      {"00.5", Pow10(17) * 5},
      {"0000", 0},
      {"340282366920938463463.374607431768211455", kAmountMax},
  };
  for (const auto& c : cases) {
    auto r = ParseTokens(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.text;
  }
  auto two = ParseTokens("12.34", 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, Amount{1234});
  auto zero_dec = ParseTokens("12", 0);
  ASSERT_TRUE(zero_dec.ok());
  EXPECT_EQ(*zero_dec, Amount{12});
}

TEST(AmountTest, ParseTokensFormatTokensRoundTrip) {
  for (Amount a : {Amount{0}, Amount{1}, Pow10(17), Pow10(18), Pow10(18) * 3 / 2,
                   Pow10(27) + 123456789, kAmountMax - 1, kAmountMax}) {
    std::string text = FormatTokens(a);
    auto r = ParseTokens(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    EXPECT_EQ(*r, a) << text;
  }
}

TEST(AmountTest, ParseTokensTooManyDecimals) {
  auto r = ParseTokens("0.0000000000000000001");  // 19 places
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "bad_amount");
  auto two = ParseTokens("1.234", 2);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().reason(), "bad_amount");
  auto none = ParseTokens("1.5", 0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().reason(), "bad_amount");
}

TEST(AmountTest, ParseTokensOverflow) {
  // One base unit past 2^128 - 1.
  auto r = ParseTokens("340282366920938463463.374607431768211456");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "amount_overflow");
  // Whole part too large once scaled.
  auto w = ParseTokens("340282366920938463464");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().reason(), "amount_overflow");
  // Whole part too large even unscaled.
  auto u = ParseTokens(kMaxPlusOneText);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().reason(), "amount_overflow");
  // With zero decimals the limit is 2^128 - 1 exactly.
  auto z = ParseTokens(kMaxText, 0);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*z, kAmountMax);
  auto z1 = ParseTokens(kMaxPlusOneText, 0);
  ASSERT_FALSE(z1.ok());
  EXPECT_EQ(z1.status().reason(), "amount_overflow");
}

TEST(AmountTest, ParseTokensRejectsMalformed) {
  for (const char* text : {"", ".", ".5", "1.", "-1", "+1", "-0.5", "1.-5", "1.+5", " 1", "1 ",
                           "1.2.3", "1,5", "1e18", "abc", "0x1", "1. 5"}) {
    auto r = ParseTokens(text);
    ASSERT_FALSE(r.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(r.status().reason(), "bad_amount") << text;
  }
}

TEST(AmountTest, CheckedAdd) {
  EXPECT_EQ(CheckedAdd(1, 2), Amount{3});
  EXPECT_EQ(CheckedAdd(0, 0), Amount{0});
  EXPECT_EQ(CheckedAdd(kAmountMax, 0), kAmountMax);
  EXPECT_EQ(CheckedAdd(0, kAmountMax), kAmountMax);
  EXPECT_EQ(CheckedAdd(kAmountMax - 1, 1), kAmountMax);
  EXPECT_EQ(CheckedAdd(kAmountMax, 1), std::nullopt);
  EXPECT_EQ(CheckedAdd(1, kAmountMax), std::nullopt);
  EXPECT_EQ(CheckedAdd(kAmountMax, kAmountMax), std::nullopt);
  Amount half = kAmountMax / 2;  // 2^127 - 1
  EXPECT_EQ(CheckedAdd(half, half + 1), kAmountMax);
  EXPECT_EQ(CheckedAdd(half + 1, half + 1), std::nullopt);
}

TEST(AmountTest, CheckedSub) {
  EXPECT_EQ(CheckedSub(3, 2), Amount{1});
  EXPECT_EQ(CheckedSub(2, 2), Amount{0});
  EXPECT_EQ(CheckedSub(0, 0), Amount{0});
  EXPECT_EQ(CheckedSub(2, 3), std::nullopt);
  EXPECT_EQ(CheckedSub(0, 1), std::nullopt);
  EXPECT_EQ(CheckedSub(kAmountMax, kAmountMax), Amount{0});
  EXPECT_EQ(CheckedSub(kAmountMax, 1), kAmountMax - 1);
  EXPECT_EQ(CheckedSub(kAmountMax - 1, kAmountMax), std::nullopt);
}

TEST(AmountTest, CheckedMul) {
  EXPECT_EQ(CheckedMul(6, 7), Amount{42});
  EXPECT_EQ(CheckedMul(0, kAmountMax), Amount{0});
  EXPECT_EQ(CheckedMul(kAmountMax, 0), Amount{0});
  EXPECT_EQ(CheckedMul(1, kAmountMax), kAmountMax);
  EXPECT_EQ(CheckedMul(kAmountMax, 1), kAmountMax);
  EXPECT_EQ(CheckedMul(kAmountMax, 2), std::nullopt);
  EXPECT_EQ(CheckedMul(2, kAmountMax), std::nullopt);
  Amount two64 = Amount{1} << 64;
  EXPECT_EQ(CheckedMul(two64, two64), std::nullopt);  // exactly 2^128
  EXPECT_EQ(CheckedMul(two64, two64 - 1), kAmountMax - (two64 - 1));
  EXPECT_EQ(CheckedMul(Amount{1} << 127, 2), std::nullopt);
  EXPECT_EQ(CheckedMul((Amount{1} << 126), 2), Amount{1} << 127);
  // 3 * ((2^128 - 1) / 3) fits exactly (2^128 - 1 is divisible by 3).
  EXPECT_EQ(CheckedMul(3, kAmountMax / 3), kAmountMax);
  EXPECT_EQ(CheckedMul(3, kAmountMax / 3 + 1), std::nullopt);
  EXPECT_EQ(CheckedMul(Pow10(19), Pow10(19)), Pow10(38));
  EXPECT_EQ(CheckedMul(Pow10(19), Pow10(20)), std::nullopt);
}

}  // namespace
}  // namespace tributary
