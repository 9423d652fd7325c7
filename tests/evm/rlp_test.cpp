#include "tributary/evm/rlp.h"

#include <gtest/gtest.h>

#include "evm/evm_vectors.h"

namespace tributary::evm {
namespace {

using testing::Hex;

RlpItem S(std::string_view s) { return RlpItem::String(AsBytes(s)); }
RlpItem L(std::vector<RlpItem> items) { return RlpItem::List(std::move(items)); }

void ExpectRoundTrip(const RlpItem& item, std::string_view hex) {
  EXPECT_EQ(ToHex(RlpEncode(item)), hex);
  auto decoded = RlpDecode(Hex(hex));
  ASSERT_TRUE(decoded.ok()) << hex << ": " << decoded.status().ToString();
  EXPECT_EQ(*decoded, item) << hex;
}

// The examples of the RLP specification (ethereum.org, "Recursive-length prefix (RLP)
// serialization", Examples).
TEST(RlpTest, SpecExamples) {
  ExpectRoundTrip(S("dog"), "83646f67");
  ExpectRoundTrip(L({S("cat"), S("dog")}), "c88363617483646f67");
  ExpectRoundTrip(S(""), "80");
  ExpectRoundTrip(L({}), "c0");
  ExpectRoundTrip(RlpItem::Uint(U256()), "80");         // the integer 0
  ExpectRoundTrip(RlpItem::String(Bytes{0x00}), "00");  // the byte '\x00'
  ExpectRoundTrip(RlpItem::String(Bytes{0x0f}), "0f");  // the byte '\x0f'
  ExpectRoundTrip(RlpItem::String(Bytes{0x04, 0x00}), "820400");
  ExpectRoundTrip(RlpItem::Uint(Amount{15}), "0f");
  ExpectRoundTrip(RlpItem::Uint(Amount{1024}), "820400");
  // The set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ].
  ExpectRoundTrip(L({L({}), L({L({})}), L({L({}), L({L({})})})}), "c7c0c1c0c3c0c1c0");
  ExpectRoundTrip(S("Lorem ipsum dolor sit amet, consectetur adipisicing elit"),
                  "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465"
                  "747572206164697069736963696e6720656c6974");
}

TEST(RlpTest, LengthBoundaries) {
  // 55 bytes: short form; 56: long form with one length byte; 256: two length bytes.
  ExpectRoundTrip(RlpItem::String(Bytes(55, 0xaa)), "b7" + std::string(110, 'a'));
  ExpectRoundTrip(RlpItem::String(Bytes(56, 0xaa)), "b838" + std::string(112, 'a'));
  ExpectRoundTrip(RlpItem::String(Bytes(256, 0xbb)), "b90100" + std::string(512, 'b'));
  ExpectRoundTrip(RlpItem::String(Bytes{0x80}), "8180");  // a single byte >= 0x80 needs a prefix
  // A list of 56 one-byte items: payload 56 bytes, long list form.
  std::vector<RlpItem> items(56, RlpItem::String(Bytes{0x01}));
  std::string ones;
  for (int i = 0; i < 56; ++i) ones += "01";
  ExpectRoundTrip(L(items), "f838" + ones);
  // A nested list longer than 55 bytes inside a list.
  auto big = RlpDecode(RlpEncode(L({L(items), S("x")})));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->items()[0].items().size(), 56u);
}

TEST(RlpTest, Integers) {
  EXPECT_EQ(ToHex(RlpEncode(RlpItem::Uint(Amount{127}))), "7f");
  EXPECT_EQ(ToHex(RlpEncode(RlpItem::Uint(Amount{128}))), "8180");
  EXPECT_EQ(ToHex(RlpEncode(RlpItem::Uint(Amount{0x0100}))), "820100");
  std::array<uint8_t, 32> ff;
  ff.fill(0xff);
  const U256 max = U256::FromBytes(ff);
  const Bytes enc = RlpEncode(RlpItem::Uint(max));
  EXPECT_EQ(ToHex(enc), "a0" + std::string(64, 'f'));
  auto back = RlpDecode(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back->AsUint(), max);

  EXPECT_EQ(*RlpItem::String(Bytes{}).AsUint64(), 0u);
  EXPECT_EQ(*RlpItem::String(Bytes{0x04, 0x00}).AsUint64(), 1024u);
  // A leading zero is not the canonical integer.
  EXPECT_EQ(RlpItem::String(Bytes{0x00}).AsUint().status().reason(), "rlp_non_canonical");
  EXPECT_EQ(RlpItem::String(Bytes{0x00, 0x01}).AsUint().status().reason(), "rlp_non_canonical");
  EXPECT_EQ(RlpItem::String(Bytes(33, 1)).AsUint().status().reason(), "rlp_integer_too_large");
  EXPECT_EQ(RlpItem::String(Bytes(9, 1)).AsUint64().status().reason(), "rlp_integer_too_large");
  EXPECT_EQ(L({}).AsUint().status().reason(), "rlp_expected_string");
}

void ExpectBad(std::string_view hex, std::string_view reason) {
  auto r = RlpDecode(Hex(hex));
  ASSERT_FALSE(r.ok()) << hex;
  EXPECT_EQ(r.status().reason(), reason) << hex << ": " << r.status().ToString();
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST(RlpTest, RejectsTruncated) {
  ExpectBad("", "rlp_empty");
  ExpectBad("83646f", "rlp_truncated");  // "dog" missing a byte
  ExpectBad("b838" + std::string(110, 'a'), "rlp_truncated");
  ExpectBad("b9", "rlp_truncated");  // length bytes missing
  ExpectBad("b901", "rlp_truncated");
  ExpectBad("c88363617483646f", "rlp_truncated");  // list payload short
  ExpectBad("c3836361", "rlp_truncated");          // an item runs past its list
}

TEST(RlpTest, RejectsOversizedLengths) {
  // Lengths far beyond the input, up to 2^64 - 1: refused, nothing allocated.
  ExpectBad("bbffffffff", "rlp_truncated");
  ExpectBad("bfffffffffffffffff", "rlp_truncated");
  ExpectBad("ffffffffffffffffff", "rlp_truncated");
  ExpectBad("f9ffff00", "rlp_truncated");
}

TEST(RlpTest, RejectsNonCanonical) {
  ExpectBad("8100", "rlp_non_canonical");  // a single byte < 0x80 encoded as a string
  ExpectBad("817f", "rlp_non_canonical");
  ExpectBad("b80161", "rlp_non_canonical");                        // long form for a 1-byte payload
  ExpectBad("b837" + std::string(110, 'a'), "rlp_non_canonical");  // long form for 55 bytes
  ExpectBad("b90038" + std::string(112, 'a'), "rlp_non_canonical");  // length with a leading zero
  ExpectBad("f800", "rlp_non_canonical");    // long list form for an empty list
  ExpectBad("c28100", "rlp_non_canonical");  // inside a list too
}

TEST(RlpTest, RejectsTrailingBytesAndDeepNesting) {
  ExpectBad("83646f6700", "rlp_trailing_bytes");
  ExpectBad("c0c0", "rlp_trailing_bytes");
  // 66 nested lists: deeper than the default limit of 64.
  RlpItem item = L({});
  for (int i = 0; i < 65; ++i) item = L({item});
  auto r = RlpDecode(RlpEncode(item));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "rlp_too_deep");
  EXPECT_TRUE(RlpDecode(RlpEncode(item), 100).ok());
}

}  // namespace
}  // namespace tributary::evm
