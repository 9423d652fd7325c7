#include "tributary/evm/quantity.h"

#include <gtest/gtest.h>

namespace tributary::evm {
namespace {

// The JSON-RPC specification's examples (ethereum.org, "JSON-RPC API", Quantities).
TEST(QuantityTest, SpecExamples) {
  EXPECT_EQ(FormatQuantity(uint64_t{65}), "0x41");
  EXPECT_EQ(FormatQuantity(uint64_t{1024}), "0x400");
  EXPECT_EQ(FormatQuantity(uint64_t{0}), "0x0");
  EXPECT_EQ(*ParseQuantity64("0x41"), 65u);
  EXPECT_EQ(*ParseQuantity64("0x400"), 1024u);
  EXPECT_EQ(*ParseQuantity64("0x0"), 0u);
  // Wrong per the spec, refused: no prefix, empty.
  EXPECT_EQ(ParseQuantity("ff").status().reason(), "bad_quantity");
  EXPECT_EQ(ParseQuantity("0x").status().reason(), "bad_quantity");
  // Leading zeros are accepted from servers (the spec calls them wrong, some send them).
  EXPECT_EQ(*ParseQuantity64("0x0400"), 1024u);
}

TEST(QuantityTest, Bounds) {
  std::array<uint8_t, 32> ff;
  ff.fill(0xff);
  const U256 max = U256::FromBytes(ff);
  EXPECT_EQ(FormatQuantity(max), "0x" + std::string(64, 'f'));
  EXPECT_EQ(*ParseQuantity("0x" + std::string(64, 'F')), max);
  EXPECT_EQ(*ParseQuantity("0x000" + std::string(64, 'f')), max);
  EXPECT_EQ(ParseQuantity("0x1" + std::string(64, '0')).status().reason(), "bad_quantity");
  EXPECT_EQ(*ParseQuantity64("0xffffffffffffffff"), UINT64_MAX);
  EXPECT_EQ(ParseQuantity64("0x10000000000000000").status().reason(), "quantity_too_large");
  for (const char* bad : {"", "0", "0x-1", "0x 1", "0x1g", "-0x1", "0x1 ", "1x1"}) {
    EXPECT_EQ(ParseQuantity(bad).status().reason(), "bad_quantity") << bad;
  }
  EXPECT_EQ(ToHex(MinimalBigEndian(U256(Amount{0x0102}))), "0102");
  EXPECT_TRUE(MinimalBigEndian(U256()).empty());
  EXPECT_EQ(*U256FromBigEndian(Bytes{0, 0, 1}), U256(Amount{1}));
  EXPECT_EQ(U256FromBigEndian(Bytes(33, 0)).status().reason(), "integer_too_large");
}

}  // namespace
}  // namespace tributary::evm
