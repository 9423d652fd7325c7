#include "tributary/base/encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace tributary {
namespace {

TEST(EncodingTest, IntegersAreBigEndianFixedWidth) {
  EXPECT_EQ(ToHex(Writer().U8(0xab).bytes()), "ab");
  EXPECT_EQ(ToHex(Writer().U32(0x01020304).bytes()), "01020304");
  EXPECT_EQ(ToHex(Writer().U32(0).bytes()), "00000000");
  EXPECT_EQ(ToHex(Writer().U64(0x0102030405060708ULL).bytes()), "0102030405060708");
  EXPECT_EQ(
      ToHex(Writer().U128((Amount{0x0102030405060708ULL} << 64) | 0x090a0b0c0d0e0f10ULL).bytes()),
      "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(ToHex(Writer().U128(1).bytes()), "00000000000000000000000000000001");
  EXPECT_EQ(ToHex(Writer().Str("abc").bytes()), "00000003616263");
  EXPECT_EQ(ToHex(Writer().Blob(Bytes{}).bytes()), "00000000");
  EXPECT_EQ(ToHex(Writer().Raw(Bytes{1, 2}).bytes()), "0102");
  std::array<uint8_t, 3> fixed = {9, 8, 7};
  EXPECT_EQ(ToHex(Writer().Fixed(fixed).bytes()), "090807");
}

TEST(EncodingTest, RoundTripAllTypes) {
  std::array<uint8_t, 4> fixed = {0xde, 0xad, 0xbe, 0xef};
  Bytes blob = {0, 1, 2, 255};
  Writer w;
  w.U8(0)
      .U8(255)
      .U32(0)
      .U32(0xffffffffu)
      .U64(0)
      .U64(~uint64_t{0})
      .U128(0)
      .U128(kAmountMax)
      .U128(Pow10(30) + 7)
      .Blob(blob)
      .Blob(Bytes{})
      .Str("hello")
      .Str("")
      .Fixed(fixed)
      .Raw(Bytes{42});
  Bytes enc = w.bytes();

  Reader r(enc);
  uint8_t u8a, u8b;
  uint32_t u32a, u32b;
  uint64_t u64a, u64b;
  Amount a, b, c;
  Bytes bl, empty;
  std::string s, es;
  std::array<uint8_t, 4> f;
  uint8_t raw;
  ASSERT_TRUE(r.U8(&u8a).ok());
  ASSERT_TRUE(r.U8(&u8b).ok());
  ASSERT_TRUE(r.U32(&u32a).ok());
  ASSERT_TRUE(r.U32(&u32b).ok());
  ASSERT_TRUE(r.U64(&u64a).ok());
  ASSERT_TRUE(r.U64(&u64b).ok());
  ASSERT_TRUE(r.U128(&a).ok());
  ASSERT_TRUE(r.U128(&b).ok());
  ASSERT_TRUE(r.U128(&c).ok());
  ASSERT_TRUE(r.Blob(&bl).ok());
  ASSERT_TRUE(r.Blob(&empty).ok());
  ASSERT_TRUE(r.Str(&s).ok());
  ASSERT_TRUE(r.Str(&es).ok());
  ASSERT_TRUE(r.Fixed(&f).ok());
  ASSERT_TRUE(r.Raw(&raw, 1).ok());
  EXPECT_TRUE(r.ExpectEnd().ok());
  EXPECT_EQ(r.remaining(), 0u);

  EXPECT_EQ(u8a, 0);
  EXPECT_EQ(u8b, 255);
  EXPECT_EQ(u32a, 0u);
  EXPECT_EQ(u32b, 0xffffffffu);
  EXPECT_EQ(u64a, 0u);
  EXPECT_EQ(u64b, ~uint64_t{0});
  EXPECT_EQ(a, Amount{0});
  EXPECT_EQ(b, kAmountMax);
  EXPECT_EQ(c, Pow10(30) + 7);
  EXPECT_EQ(bl, blob);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(es, "");
  EXPECT_EQ(f, fixed);
  EXPECT_EQ(raw, 42);
}

TEST(EncodingTest, RvalueBytesMovesOut) {
  Bytes b = Writer().U32(5).Str("x").bytes();
  EXPECT_EQ(b.size(), 4u + 4u + 1u);
}

// Every read of every type fails cleanly on each truncation, with reason malformed_encoding.
TEST(EncodingTest, TruncationFailsForEveryType) {
  auto check = [](const Bytes& full, auto read) {
    for (size_t n = 0; n < full.size(); ++n) {
      Reader r(ByteView(full.data(), n));
      Status s = read(r);
      EXPECT_FALSE(s.ok()) << "prefix of " << n << " bytes of " << ToHex(full);
      EXPECT_EQ(s.reason(), "malformed_encoding");
      EXPECT_EQ(s.code(), Code::kInvalidArgument);
    }
    Reader r(full);
    EXPECT_TRUE(read(r).ok());
    EXPECT_TRUE(r.ExpectEnd().ok());
  };
  check(Writer().U8(1).bytes(), [](Reader& r) {
    uint8_t v;
    return r.U8(&v);
  });
  check(Writer().U32(1).bytes(), [](Reader& r) {
    uint32_t v;
    return r.U32(&v);
  });
  check(Writer().U64(1).bytes(), [](Reader& r) {
    uint64_t v;
    return r.U64(&v);
  });
  check(Writer().U128(1).bytes(), [](Reader& r) {
    Amount v;
    return r.U128(&v);
  });
  check(Writer().Blob(Bytes{1, 2, 3}).bytes(), [](Reader& r) {
    Bytes v;
    return r.Blob(&v);
  });
  check(Writer().Str("abcd").bytes(), [](Reader& r) {
    std::string v;
    return r.Str(&v);
  });
  check(Writer().Raw(Bytes(32, 7)).bytes(), [](Reader& r) {
    std::array<uint8_t, 32> v;
    return r.Fixed(&v);
  });
}

TEST(EncodingTest, BlobLengthBeyondInputFails) {
  // Claims 0xffffffff bytes but has 2.
  Bytes enc = Writer().U32(0xffffffffu).Raw(Bytes{1, 2}).bytes();
  Reader r(enc);
  Bytes v;
  Status s = r.Blob(&v);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.reason(), "malformed_encoding");
}

TEST(EncodingTest, BlobMaxLen) {
  Bytes enc = Writer().Blob(Bytes(10, 0xaa)).bytes();
  {
    Reader r(enc);
    Bytes v;
    EXPECT_TRUE(r.Blob(&v, 10).ok());  // exactly at the limit
    EXPECT_EQ(v.size(), 10u);
  }
  {
    Reader r(enc);
    Bytes v;
    Status s = r.Blob(&v, 9);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.reason(), "malformed_encoding");
  }
  {
    Reader r(enc);
    std::string v;
    Status s = r.Str(&v, 0);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.reason(), "malformed_encoding");
  }
  // The limit is checked before the length, so a huge claimed length with a small limit fails
  // on the limit.
  Bytes huge = Writer().U32(1u << 30).bytes();
  Reader r(huge);
  Bytes v;
  Status s = r.Blob(&v, 100);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.reason(), "malformed_encoding");
}

TEST(EncodingTest, ExpectEnd) {
  Bytes enc = Writer().U32(7).U8(1).bytes();
  Reader r(enc);
  uint32_t v;
  ASSERT_TRUE(r.U32(&v).ok());
  EXPECT_EQ(r.remaining(), 1u);
  Status s = r.ExpectEnd();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.reason(), "malformed_encoding");
  uint8_t b;
  ASSERT_TRUE(r.U8(&b).ok());
  EXPECT_TRUE(r.ExpectEnd().ok());
  // Reading past the end after consuming everything fails and leaves the reader usable.
  EXPECT_FALSE(r.U8(&b).ok());
  EXPECT_TRUE(r.ExpectEnd().ok());

  Reader empty(ByteView{});
  EXPECT_TRUE(empty.ExpectEnd().ok());
  EXPECT_EQ(empty.remaining(), 0u);
}

TEST(EncodingTest, FailedReadConsumesNothing) {
  Bytes enc = {1, 2, 3};
  Reader r(enc);
  uint32_t v;
  EXPECT_FALSE(r.U32(&v).ok());
  EXPECT_EQ(r.remaining(), 3u);
  uint8_t a;
  ASSERT_TRUE(r.U8(&a).ok());
  EXPECT_EQ(a, 1);
  // A blob whose length prefix is fine but whose body is short consumes only the prefix check.
  Bytes blob = Writer().U32(5).Raw(Bytes{1, 2}).bytes();
  Reader rb(blob);
  Bytes out;
  EXPECT_FALSE(rb.Blob(&out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace tributary
