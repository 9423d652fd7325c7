#include "tributary/base/bytes.h"

#include <gtest/gtest.h>

#include <string>

#include "tributary/base/hash.h"

namespace tributary {
namespace {

TEST(BytesTest, ToHexIsLowercaseWithoutPrefix) {
  EXPECT_EQ(ToHex(Bytes{}), "");
  EXPECT_EQ(ToHex(Bytes{0x00}), "00");
  EXPECT_EQ(ToHex(Bytes{0x01, 0xab, 0xCD, 0xff, 0x10}), "01abcdff10");
  std::array<uint8_t, 3> a = {0xde, 0xad, 0x0f};
  EXPECT_EQ(ToHex(a), "dead0f");
}

TEST(BytesTest, HexRoundTripAllByteValues) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  std::string hex = ToHex(all);
  EXPECT_EQ(hex.size(), 512u);
  auto back = FromHex(hex);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, all);
}

TEST(BytesTest, FromHexAcceptsEitherCaseAndPrefix) {
  Bytes want = {0xab, 0xcd, 0xef};
  for (const char* text : {"abcdef", "ABCDEF", "AbCdEf", "0xabcdef", "0XABCDEF"}) {
    auto r = FromHex(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(*r, want) << text;
  }
  auto empty = FromHex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto empty_prefixed = FromHex("0x");
  ASSERT_TRUE(empty_prefixed.ok());
  EXPECT_TRUE(empty_prefixed->empty());
}

TEST(BytesTest, FromHexRejectsBadInput) {
  for (const char* text : {"a", "abc", "0xa", "zz", "0g", "g0", "ab cd", " abcd", "abcd ", "--",
                           "0x0x00", "xx", "\xff\xff", "12+4"}) {
    auto r = FromHex(text);
    EXPECT_FALSE(r.ok()) << "accepted '" << text << "'";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << text;
    }
  }
  // An embedded NUL is not a hex digit.
  std::string with_nul("ab\0d", 4);
  EXPECT_FALSE(FromHex(with_nul).ok());
}

TEST(BytesTest, FixedFromHex) {
  auto ok = FixedFromHex<4>("00112233");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0], 0x00);
  EXPECT_EQ((*ok)[3], 0x33);
  EXPECT_FALSE(FixedFromHex<4>("001122").ok());      // too short
  EXPECT_FALSE(FixedFromHex<4>("0011223344").ok());  // too long
  EXPECT_FALSE(FixedFromHex<4>("0011223").ok());     // odd
  EXPECT_FALSE(FixedFromHex<4>("zz112233").ok());    // not hex
  Hash32 h = Sha256(AsBytes("abc"));
  auto h2 = FixedFromHex<32>(ToHex(h));
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(*h2, h);
}

TEST(BytesTest, AsBytesAndAsString) {
  std::string s = "hi\x01";
  ByteView v = AsBytes(s);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], 'h');
  EXPECT_EQ(v[2], 0x01);
  EXPECT_EQ(AsString(v), s);
}

// Known answers pin the hash functions everything else depends on.
TEST(HashTest, Sha256KnownAnswers) {
  EXPECT_EQ(ToHex(Sha256(AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher h;
  h.Update(AsBytes("a")).Update(static_cast<uint8_t>('b')).Update(AsBytes("c"));
  EXPECT_EQ(h.Finish(), Sha256(AsBytes("abc")));
}

TEST(HashTest, Blake2b256KnownAnswer) {
  // BLAKE2b-256("abc") (RFC 7693 parameters, 32-byte output, no key).
  EXPECT_EQ(ToHex(Blake2b256(AsBytes("abc"))),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

}  // namespace
}  // namespace tributary
