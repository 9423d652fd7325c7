#include "tributary/base/unicode.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace tributary {
namespace {

TEST(UnicodeTest, FindsTheFirstInvalidByte) {
  EXPECT_FALSE(FirstInvalidUtf8("plain ascii").has_value());
  EXPECT_FALSE(FirstInvalidUtf8("caf\xC3\xA9 \xF0\x9F\x99\x82").has_value());
  EXPECT_EQ(FirstInvalidUtf8("ab\xFF"), 2u);
  EXPECT_EQ(FirstInvalidUtf8("ab\xC3"), 2u);              // truncated sequence
  EXPECT_EQ(FirstInvalidUtf8("x\xED\xA0\x80"), 1u);       // surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xC0\xAF"), 0u);            // overlong
  EXPECT_EQ(FirstInvalidUtf8("ok\xF4\x90\x80\x80"), 2u);  // above U+10FFFF
  EXPECT_TRUE(IsValidUtf8(""));
}

TEST(UnicodeTest, ReplacesLikePython) {
  // b"a\xf0\x9f\x99b\xff".decode("utf-8", "replace") == "a\ufffdb\ufffd"
  EXPECT_EQ(ReplaceInvalidUtf8("a\xF0\x9F\x99"
                               "b\xFF"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(UnicodeTest, DecodesAndEncodesCodePointsWhateverTheInput) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  std::vector<std::pair<uint32_t, size_t>> seen;
  std::string again;
  for (size_t i = 0; i < text.size();) {
    const DecodedCodePoint d = DecodeUtf8(text, i);
    seen.emplace_back(d.cp, d.len);
    AppendUtf8(d.cp, &again);
    i += d.len;
  }
  EXPECT_EQ(seen, (std::vector<std::pair<uint32_t, size_t>>{
                      {0x61, 1}, {0xE9, 2}, {0x20AC, 3}, {0x1F600, 4}}));
  EXPECT_EQ(again, text);
  EXPECT_EQ(DecodeUtf8Before(text, text.size()).cp, 0x1F600u);
  EXPECT_EQ(DecodeUtf8Before(text, text.size()).len, 4u);
  EXPECT_EQ(DecodeUtf8Before(text, 3).cp, 0xE9u);
  EXPECT_EQ(DecodeUtf8Before(text, 1).cp, 0x61u);
  // Ill-formed parts decode to U+FFFD and are stepped over as ScanUtf8 measures them: a lone
  // continuation byte (0x85 is not NEL here), a truncated sequence, an overlong.
  const std::string bad = "\x85x\xE2\x82y\xC0\xAF";
  std::vector<std::pair<uint32_t, size_t>> parts;
  for (size_t i = 0; i < bad.size();) {
    const DecodedCodePoint d = DecodeUtf8(bad, i);
    parts.emplace_back(d.cp, d.len);
    i += d.len;
  }
  EXPECT_EQ(parts, (std::vector<std::pair<uint32_t, size_t>>{
                       {0xFFFD, 1}, {0x78, 1}, {0xFFFD, 2}, {0x79, 1}, {0xFFFD, 1}, {0xFFFD, 1}}));
  EXPECT_EQ(DecodeUtf8Before(bad, 1).cp, 0xFFFDu);
  EXPECT_EQ(DecodeUtf8Before(bad, 1).len, 1u);
  EXPECT_EQ(DecodeUtf8Before("x\x82", 2).len, 1u);
}

TEST(UnicodeTest, NormalizesToNfc) {
  EXPECT_EQ(NormalizeNfc("e\xCC\x81"), "\xC3\xA9");  // e + combining acute -> é
  EXPECT_EQ(NormalizeNfc("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(NormalizeNfc("ascii stays"), "ascii stays");
  // Hangul jamo compose.
  EXPECT_EQ(NormalizeNfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");
}

}  // namespace
}  // namespace tributary
