#include "tributary/datanet/rows.h"

#include <gtest/gtest.h>

namespace tributary::datanet {
namespace {

RowSchema Text(bool paragraphs = true) {
  RowSchema s;
  s.paragraphs = paragraphs;
  return s;
}
RowSchema PromptResponse() {
  RowSchema s;
  s.kind = RowSchema::Kind::kPromptResponse;
  return s;
}

std::vector<std::string> Canon(const ParsedFile& f) {
  std::vector<std::string> out;
  for (const auto& r : f.rows) out.push_back(r.canonical);
  return out;
}

TEST(RowsTest, TextFilesSplitIntoParagraphs) {
  auto f =
      ParseFile("notes.md", "# Title\r\n\r\nFirst para\nstill first.\n   \n\n  Second  \n", Text());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->type, "md");
  ASSERT_EQ(f->rows.size(), 3u);
  EXPECT_EQ(f->rows[0].canonical, R"({"text":"# Title"})");
  EXPECT_EQ(f->rows[1].canonical, R"({"text":"First para\nstill first."})");
  EXPECT_EQ(f->rows[1].line, 3u);
  EXPECT_EQ(f->rows[2].canonical, R"({"text":"Second"})");
  EXPECT_EQ(f->rows[2].line, 7u);
  auto whole = ParseFile("a.txt", "\n one\n\ntwo \n", Text(false));
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(Canon(*whole), std::vector<std::string>{R"({"text":"one\n\ntwo"})"});
}

TEST(RowsTest, NormalisationMakesEqualTextOneRow) {
  // NFD vs NFC and CRLF vs LF give the same row id.
  auto a = ParseFile("a.jsonl", "{\"text\":\"cafe\\u0301\\r\\nbar\"}\n", Text());
  auto b = ParseFile("b.jsonl", "{\"text\":\"caf\xC3\xA9\\nbar\"}\n", Text());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->rows.size(), 1u);
  ASSERT_EQ(b->rows.size(), 1u);
  EXPECT_EQ(a->rows[0].canonical, b->rows[0].canonical);
  EXPECT_EQ(a->rows[0].id, b->rows[0].id);
  EXPECT_EQ(NormalizeValue("a\rb\r\nc"), "a\nb\nc");
}

TEST(RowsTest, JsonlRowsKeepTheSchemaFieldsAndRejectBadLines) {
  std::string file =
      "{\"prompt\":\"2+2?\",\"response\":\"4\",\"extra\":1}\n"
      "\n"
      "not json\n"
      "{\"prompt\":\"x\"}\n"
      "{\"prompt\":\"x\",\"response\":5}\n"
      "[1,2]\n"
      "{\"response\":\"b\",\"prompt\":\"a\"}";
  auto f = ParseFile("qa.jsonl", file, PromptResponse());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Canon(*f), (std::vector<std::string>{R"({"prompt":"2+2?","response":"4"})",
                                                 R"({"prompt":"a","response":"b"})"}));
  EXPECT_EQ(f->rows[1].line, 7u);
  EXPECT_EQ(f->rows[0].text, "2+2?\n4");
  ASSERT_EQ(f->rejected.size(), 4u);
  EXPECT_EQ(f->rejected[0].line, 3u);
  EXPECT_EQ(f->rejected[0].reason, "bad_json");
  EXPECT_EQ(f->rejected[1].reason, "missing_field");
  EXPECT_NE(f->rejected[1].message.find("'response'"), std::string::npos);
  EXPECT_EQ(f->rejected[2].reason, "not_a_string");
  EXPECT_EQ(f->rejected[3].line, 6u);
}

TEST(RowsTest, CsvFollowsRfc4180) {
  std::string file =
      "id,prompt,response\r\n"
      "1,\"Say \"\"hi\"\"\",\"line one\r\nline two\"\r\n"
      "2,plain,text\r\n"
      "3,too,many,cells\r\n"
      "\r\n"
      "4,\"unterminated,x\r\n";
  auto f = ParseFile("data.CSV", file, PromptResponse());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->type, "csv");
  ASSERT_EQ(f->rows.size(), 2u);
  EXPECT_EQ(f->rows[0].canonical, R"({"prompt":"Say \"hi\"","response":"line one\nline two"})");
  EXPECT_EQ(f->rows[0].line, 2u);
  EXPECT_EQ(f->rows[1].line, 4u);
  ASSERT_EQ(f->rejected.size(), 2u);
  EXPECT_EQ(f->rejected[0].line, 5u);
  EXPECT_EQ(f->rejected[0].reason, "bad_csv");
  EXPECT_NE(f->rejected[1].message.find("not closed"), std::string::npos);
}

TEST(RowsTest, FileLevelErrorsNameTheFile) {
  auto r = ParseFile("a.pdf", "x", Text());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "unsupported_file");
  r = ParseFile("bad.txt", "fine\nfine\nbr\xC3oken\n", Text());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "invalid_utf8");
  EXPECT_NE(r.status().message().find("bad.txt: invalid UTF-8 at line 3"), std::string::npos)
      << r.status().message();
  r = ParseFile("a.txt", "x", PromptResponse());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "schema_mismatch");
  r = ParseFile("a.csv", "id,question\n1,x\n", PromptResponse());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no column 'prompt'"), std::string::npos);
  // A BOM is skipped, an empty file has no rows.
  auto bom = ParseFile("b.txt", "\xEF\xBB\xBFhello", Text());
  ASSERT_TRUE(bom.ok());
  EXPECT_EQ(Canon(*bom), std::vector<std::string>{R"({"text":"hello"})"});
  auto empty = ParseFile("e.jsonl", "", Text());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->rows.empty());
}

TEST(RowsTest, SchemasRoundTripAndBadOnesAreRefused) {
  auto s = RowSchema::FromJson({{"kind", "fields"}, {"fields", {"question", "answer", "source"}}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->FieldNames(), (std::vector<std::string>{"question", "answer", "source"}));
  auto again = RowSchema::FromJson(s->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), s->ToJson());
  for (const auto& bad :
       {nlohmann::json{{"kind", "image"}}, nlohmann::json{{"kind", "fields"}},
        nlohmann::json{{"kind", "fields"}, {"fields", {"a", "a"}}},
        nlohmann::json{{"kind", "text"}, {"paragraphs", "yes"}}, nlohmann::json::array()}) {
    auto r = RowSchema::FromJson(bad);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.status().reason(), "bad_schema");
  }
  // Field order in the schema does not change the canonical form (keys are sorted).
  auto f = ParseFile("x.jsonl", R"({"source":"s","question":"q","answer":"a"})", *s);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->rows[0].canonical, R"({"answer":"a","question":"q","source":"s"})");
}

}  // namespace
}  // namespace tributary::datanet
