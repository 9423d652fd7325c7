#include "tributary/base/multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tributary {
namespace {

std::string Part(const std::string& boundary, const std::string& headers,
                 const std::string& content) {
  return "--" + boundary + "\r\n" + headers + "\r\n\r\n" + content + "\r\n";
}

std::string FilePart(const std::string& boundary, const std::string& filename,
                     const std::string& content) {
  return Part(boundary,
              "Content-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                  "\"\r\nContent-Type: text/plain",
              content);
}

// The error's reason and whether its message holds `fragment`.
::testing::AssertionResult FailsWith(const Result<std::vector<FormPart>>& r,
                                     const std::string& fragment) {
  if (r.ok()) return ::testing::AssertionFailure() << "parsed " << r->size() << " parts";
  if (r.status().reason() != "bad_multipart") {
    return ::testing::AssertionFailure() << "reason " << r.status().reason();
  }
  if (r.status().message().find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure() << "message: " << r.status().message();
  }
  return ::testing::AssertionSuccess();
}

TEST(MultipartTest, ReadsTheBoundaryFromTheContentType) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b'c\""), "a b'c");
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=----WebKitFormBoundaryX3a; x=1"),
            "----WebKitFormBoundaryX3a");
  for (const char* bad :
       {"application/json", "multipart/form-data", "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"unterminated", "multipart/form-data; boundary=a\x01z",
        "multipart/form-data; boundary=\"ends with space \"", "multipart/mixed; boundary=abc"}) {
    auto b = MultipartBoundary(bad);
    EXPECT_FALSE(b.ok()) << bad;
    if (!b.ok()) {
      EXPECT_EQ(b.status().reason(), "bad_multipart") << bad;
    }
  }
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
  EXPECT_TRUE(MultipartBoundary("multipart/form-data; boundary=" + std::string(70, 'x')).ok());
}

TEST(MultipartTest, RecognisesTheFormContentTypeWithoutRegardToCase) {
  EXPECT_TRUE(IsMultipartFormData("multipart/form-data; boundary=x"));
  EXPECT_TRUE(IsMultipartFormData("Multipart/Form-Data"));
  EXPECT_TRUE(IsMultipartFormData(" multipart/form-data ;boundary=x"));
  EXPECT_FALSE(IsMultipartFormData("multipart/form-datax; boundary=x"));
  EXPECT_FALSE(IsMultipartFormData("multipart/mixed; boundary=x"));
  EXPECT_FALSE(IsMultipartFormData("application/json"));
  EXPECT_FALSE(IsMultipartFormData(""));
}

TEST(MultipartTest, ReadsPartsInTheOrderSent) {
  const std::string body = "preamble, ignored\r\n" + FilePart("XyZ", "b.txt", "second file") +
                           FilePart("XyZ", "a.txt", "first\r\nline two\r\n") +
                           Part("XyZ", "content-disposition: FORM-DATA; name=tx", "{\"k\":1}") +
                           "--XyZ--\r\nepilogue, ignored";
  auto parts = ParseMultipartForm(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "file");
  EXPECT_EQ((*parts)[0].filename, "b.txt");
  EXPECT_EQ((*parts)[0].content_type, "text/plain");
  EXPECT_EQ((*parts)[0].content, "second file");
  EXPECT_EQ((*parts)[1].filename, "a.txt");
  EXPECT_EQ((*parts)[1].content, "first\r\nline two\r\n") << "CRLFs inside content are kept";
  EXPECT_EQ((*parts)[2].name, "tx");
  EXPECT_EQ((*parts)[2].filename, "");
  EXPECT_EQ((*parts)[2].content_type, "");
  EXPECT_EQ((*parts)[2].content, "{\"k\":1}");
}

TEST(MultipartTest, KeepsContentThatOnlyStartsLikeTheBoundary) {
  // "--XyZabc" at a line start is not a delimiter (a delimiter line ends after the boundary).
  const std::string content = "line\r\n--XyZabc not a boundary\r\n--XyZ-- x\r\n--Xy";
  const std::string body = FilePart("XyZ", "a.txt", content) + "--XyZ--";
  auto parts = ParseMultipartForm(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  // "--XyZ--" after a CRLF closes the form: the content ends before it.
  EXPECT_EQ((*parts)[0].content, "line\r\n--XyZabc not a boundary");
}

TEST(MultipartTest, AcceptsPaddingEmptyContentAndBinaryBytes) {
  std::string binary("\0\xff\r\n\r\n\0", 7);
  const std::string body =
      "--b \t\r\nContent-Disposition: form-data; name=\"e\"; filename=\"\"\r\n"
      "\r\n\r\n" +
      FilePart("b", "bin.dat", binary) + "--b--";
  auto parts = ParseMultipartForm(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].content, "");
  EXPECT_EQ((*parts)[1].content, binary);
  // A form with no parts at all is well formed (the caller decides that it is empty).
  auto none = ParseMultipartForm("--b--\r\n", "b");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(MultipartTest, QuotedValuesEndAtTheNextQuoteAndBackslashesStay) {
  const std::string body =
      Part("q", "Content-Disposition: form-data; filename=\"C:\\dir\\a;b=c.txt\"; name=\"f\"",
           "x") +
      "--q--";
  auto parts = ParseMultipartForm(body, "q");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  EXPECT_EQ((*parts)[0].filename, "C:\\dir\\a;b=c.txt");
  EXPECT_EQ((*parts)[0].name, "f");
}

TEST(MultipartTest, RefusesMalformedBodiesNamingTheProblem) {
  const std::string ok_part = FilePart("b", "a.txt", "text");
  EXPECT_TRUE(FailsWith(ParseMultipartForm("no boundary here", "b"), "never starts a part"));
  EXPECT_TRUE(FailsWith(ParseMultipartForm("", "b"), "never starts a part"));
  EXPECT_TRUE(FailsWith(ParseMultipartForm(ok_part, "b"), "part 1 never ends"));
  EXPECT_TRUE(FailsWith(ParseMultipartForm(ok_part + FilePart("b", "c.txt", "x"), "b"),
                        "part 2 never ends"));
  EXPECT_TRUE(FailsWith(ParseMultipartForm("--b\r\nContent-Disposition: form-data; name=x", "b"),
                        "headers never end"));
  EXPECT_TRUE(
      FailsWith(ParseMultipartForm("--b\r\n\r\ncontent\r\n--b--", "b"), "no Content-Disposition"));
  EXPECT_TRUE(
      FailsWith(ParseMultipartForm(Part("b", "Content-Type: text/plain", "x") + "--b--", "b"),
                "part 1: no Content-Disposition"));
  EXPECT_TRUE(FailsWith(
      ParseMultipartForm(Part("b", "Content-Disposition: attachment; name=x", "x") + "--b--", "b"),
      "not form-data"));
  EXPECT_TRUE(FailsWith(
      ParseMultipartForm(Part("b", "Content-Disposition: form-data; filename=a.txt", "x") + "--b--",
                         "b"),
      "has no name"));
  EXPECT_TRUE(FailsWith(
      ParseMultipartForm(Part("b", "Content-Disposition: form-data; name=\"x", "x") + "--b--", "b"),
      "no closing quote"));
  EXPECT_TRUE(FailsWith(
      ParseMultipartForm(Part("b",
                              "Content-Disposition: form-data; name=x\r\nContent-Disposition: "
                              "form-data; name=y",
                              "x") +
                             "--b--",
                         "b"),
      "two Content-Disposition"));
  EXPECT_TRUE(
      FailsWith(ParseMultipartForm(
                    Part("b", "Content-Disposition: form-data;\r\n name=x", "x") + "--b--", "b"),
                "folded"));
  EXPECT_TRUE(FailsWith(
      ParseMultipartForm(
          Part("b", "Content-Disposition: form-data; name=x\r\nbroken", "x") + "--b--", "b"),
      "has no name (\"Name: value\""));
  // The delimiter line must end with CRLF (after optional padding).
  EXPECT_TRUE(FailsWith(ParseMultipartForm("--b\r\nx", "b"), "headers never end"));
}

TEST(MultipartTest, EnforcesItsLimits) {
  MultipartLimits limits;
  limits.max_parts = 3;
  limits.max_header_bytes = 100;
  std::string three;
  for (int i = 0; i < 3; ++i) three += FilePart("b", "f" + std::to_string(i) + ".txt", "x");
  EXPECT_TRUE(ParseMultipartForm(three + "--b--", "b", limits).ok());
  EXPECT_TRUE(
      FailsWith(ParseMultipartForm(three + FilePart("b", "g.txt", "x") + "--b--", "b", limits),
                "more than 3 parts"));
  const std::string long_header =
      Part("b", "Content-Disposition: form-data; name=x\r\nX-Pad: " + std::string(100, 'p'), "x") +
      "--b--";
  EXPECT_TRUE(FailsWith(ParseMultipartForm(long_header, "b", limits), "headers longer than 100"));
  // Exactly at the limit is fine.
  const std::string headers = "Content-Disposition: form-data; name=x\r\nX-Pad: ";
  const std::string exact =
      Part("b", headers + std::string(100 - headers.size(), 'p'), "x") + "--b--";
  EXPECT_TRUE(ParseMultipartForm(exact, "b", limits).ok());
}

TEST(MultipartTest, ALargeBodyParsesInLinearTime) {
  // Many lines that start like the boundary but are not delimiters, and many small parts.
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "--bnd-\r\n";
  std::string body;
  for (int i = 0; i < 1000; ++i) body += FilePart("bnd", "f.txt", content.substr(0, 64));
  body += FilePart("bnd", "big.txt", content) + "--bnd--";
  auto parts = ParseMultipartForm(body, "bnd");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  EXPECT_EQ(parts->size(), 1001u);
  EXPECT_EQ(parts->back().content, content);
}

}  // namespace
}  // namespace tributary
