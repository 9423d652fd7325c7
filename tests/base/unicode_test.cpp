#include "tributary/base/unicode.h"

#include <gtest/gtest.h>

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

TEST(UnicodeTest, NormalizesToNfc) {
  EXPECT_EQ(NormalizeNfc("e\xCC\x81"), "\xC3\xA9");  // e + combining acute -> é
  EXPECT_EQ(NormalizeNfc("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(NormalizeNfc("ascii stays"), "ascii stays");
  // Hangul jamo compose.
  EXPECT_EQ(NormalizeNfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");
}

}  // namespace
}  // namespace tributary
