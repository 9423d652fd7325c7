#include "tributary/datanet/validate.h"

#include <gtest/gtest.h>

#include <random>

#include "tributary/base/hash.h"

namespace tributary::datanet {
namespace {

// A readable paragraph of `n` words drawn from a small vocabulary, fixed by `seed`.
std::string Paragraph(int n, uint32_t seed) {
  static const std::vector<std::string> words = {
      "river",  "data",   "model",   "contributor", "ledger",   "token",   "answer",
      "reward", "stone",  "forest",  "signal",      "market",   "garden",  "window",
      "engine", "harbor", "pattern", "voice",       "mountain", "lantern", "thread",
      "circle", "meadow", "copper",  "falcon",      "orchard"};
  std::mt19937 rng(seed);
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? " " : "") + words[rng() % words.size()];
  return out + ".";
}

std::string Jsonl(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) out += nlohmann::json{{"text", t}}.dump() + "\n";
  return out;
}

ParsedFile Parse(const std::vector<std::string>& texts, const std::string& name = "c.jsonl") {
  auto f = ParseFile(name, Jsonl(texts), RowSchema{});
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return *f;
}

const RowVerdict& VerdictAt(const ValidationReport& r, size_t line) {
  for (const auto& v : r.verdicts) {
    if (v.line == line) return v;
  }
  static RowVerdict none;
  ADD_FAILURE() << "no verdict for line " << line;
  return none;
}

TEST(ValidateTest, GoodRowsAreAcceptedAndScored) {
  auto index = RowIndex::Create();
  ASSERT_TRUE(index.ok());
  auto report = Validate({Parse({Paragraph(40, 1), Paragraph(40, 2), Paragraph(40, 3)})}, *index);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->accepted, 3u);
  EXPECT_EQ(report->rejected, 0u);
  EXPECT_DOUBLE_EQ(report->score, 1.0);
  EXPECT_EQ(report->accepted_rows.size(), 3u);
  // The report hash is deterministic.
  auto again = Validate({Parse({Paragraph(40, 1), Paragraph(40, 2), Paragraph(40, 3)})}, *index);
  EXPECT_EQ(report->Hash(), again->Hash());
}

TEST(ValidateTest, DuplicatesExactAndNearAreCaughtWithWhatTheyMatch) {
  auto index = RowIndex::Create();
  ASSERT_TRUE(index.ok());
  std::string held = Paragraph(60, 10);
  auto held_rows = Parse({held});
  ASSERT_TRUE(index->Add(held_rows.rows[0].id, held_rows.rows[0].text).ok());

  std::string fresh = Paragraph(60, 11);
  std::string near_held = held;  // one word changed at the end
  near_held.replace(near_held.rfind(' ') + 1, std::string::npos, "zeppelin.");
  std::string near_fresh = fresh;
  near_fresh.replace(near_fresh.rfind(' ') + 1, std::string::npos, "quasar.");
  auto report = Validate({Parse({fresh, fresh, held, near_held, near_fresh})}, *index);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(VerdictAt(*report, 1).accepted);
  EXPECT_EQ(VerdictAt(*report, 2).reason, "duplicate_in_contribution");
  EXPECT_EQ(VerdictAt(*report, 3).reason, "duplicate_in_datanet");
  const RowVerdict& n1 = VerdictAt(*report, 4);
  EXPECT_EQ(n1.reason, "near_duplicate");
  EXPECT_EQ(*n1.matches, held_rows.rows[0].id);
  EXPECT_GE(n1.similarity, 0.8);
  EXPECT_NE(n1.message.find("in the Datanet"), std::string::npos);
  const RowVerdict& n2 = VerdictAt(*report, 5);
  EXPECT_EQ(n2.reason, "near_duplicate");
  EXPECT_NE(n2.message.find("earlier in this contribution"), std::string::npos);
  EXPECT_EQ(report->accepted, 1u);
  EXPECT_DOUBLE_EQ(report->score, 0.2);
  // Removing the held row lets the exact duplicate through.
  ASSERT_TRUE(index->Remove(held_rows.rows[0].id).ok());
  EXPECT_FALSE(index->Contains(held_rows.rows[0].id));
}

// Validate hashes each row once and hands the accepted rows' signatures on; another index with
// different options takes them, and finds what it would find from the text.
TEST(ValidateTest, AcceptedRowsCarryTheirSignaturesForAnyIndex) {
  auto index = RowIndex::Create();
  ASSERT_TRUE(index.ok());
  const std::string a = Paragraph(50, 21), b = Paragraph(50, 22);
  auto report = Validate({Parse({a, a, b})}, *index);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->accepted_rows.size(), 2u);
  ASSERT_EQ(report->accepted_signatures.size(), 2u);
  EXPECT_EQ(report->accepted_signatures[0], index->Sign(a));
  EXPECT_EQ(report->accepted_signatures[1], index->Sign(b));
  ValidationOptions strict;
  strict.near_duplicate_threshold = 0.95;
  auto other = RowIndex::Create(strict);
  ASSERT_TRUE(other.ok());
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(other->Add(report->accepted_rows[i].id, report->accepted_signatures[i]).ok());
  }
  std::string near_a = a;
  near_a.replace(near_a.rfind(' ') + 1, std::string::npos, "zeppelin.");
  auto by_text = other->NearestDuplicate(near_a, 0.8);
  auto by_signature = other->NearestDuplicate(other->Sign(near_a), 0.8);
  ASSERT_TRUE(by_text.ok() && by_signature.ok());
  ASSERT_TRUE(by_text->has_value());
  EXPECT_EQ((*by_text)->first, report->accepted_rows[0].id);
  EXPECT_EQ(*by_text, *by_signature);
  // The signatures are not part of what the contributor signs.
  ValidationReport without = *report;
  without.accepted_signatures.clear();
  EXPECT_EQ(without.Hash(), report->Hash());
}

TEST(ValidateTest, LowQualityRowsAreRejectedWithTheReason) {
  auto index = RowIndex::Create();
  ASSERT_TRUE(index.ok());
  std::string repeated_lines = "buy now\nbuy now\nbuy now\nbuy now\nbuy now\nok then";
  std::string char_run = "Great product " + std::string(60, '!') + " really";
  std::string not_text =
      "\u2591\u2592\u2593\u2588\u2591\u2592\u2593\u2588 \u25a0\u25a1\u25aa\u25ab"
      "\u2591\u2592\u2593\u2588\u2591\u2592\u2593\u2588 \u25a0\u25a1\u25aa\u25ab ok";
  ValidationOptions o;
  o.max_row_bytes = 2000;
  auto report = Validate({Parse({"too short", repeated_lines, char_run, not_text,
                                 std::string(2500, 'a') + " " + Paragraph(10, 3)})},
                         *index, o);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(VerdictAt(*report, 1).reason, "too_short");
  EXPECT_EQ(VerdictAt(*report, 2).reason, "repeated_lines");
  EXPECT_EQ(VerdictAt(*report, 3).reason, "repeated_characters");
  EXPECT_EQ(VerdictAt(*report, 4).reason, "not_text");
  EXPECT_EQ(VerdictAt(*report, 5).reason, "too_large");
  EXPECT_EQ(report->accepted, 0u);
  EXPECT_DOUBLE_EQ(report->score, 0.0);
}

TEST(ValidateTest, ParserRejectionsAppearInTheReport) {
  auto index = RowIndex::Create();
  ASSERT_TRUE(index.ok());
  auto f =
      ParseFile("mixed.jsonl", nlohmann::json{{"text", Paragraph(30, 7)}}.dump() + "\n{broken\n",
                RowSchema{});
  ASSERT_TRUE(f.ok());
  auto report = Validate({*f}, *index);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->accepted, 1u);
  EXPECT_EQ(report->rejected, 1u);
  EXPECT_EQ(VerdictAt(*report, 2).reason, "bad_json");
  auto j = report->ToJson();
  EXPECT_EQ(j["rows"][1]["reason"], "bad_json");
  EXPECT_EQ(j["files"][0], "mixed.jsonl");
  ValidationOptions bad;
  bad.near_duplicate_threshold = 1.5;
  EXPECT_FALSE(RowIndex::Create(bad).ok());
}

// Row ids are content hashes anyone can grind: ids sharing their first 8 bytes (what the index
// hashes) stay distinct rows, and removing one leaves the other.
TEST(RowIndexTest, RowIdsSharingAPrefixStayDistinct) {
  auto index = RowIndex::Create();
  ASSERT_TRUE(index.ok());
  Hash32 a{}, b{};
  a.fill(0x11);
  b.fill(0x11);
  b[31] = 0x22;
  ASSERT_TRUE(index->Add(a, Paragraph(40, 21)).ok());
  ASSERT_TRUE(index->Add(b, Paragraph(40, 22)).ok());
  ASSERT_TRUE(index->Add(a, Paragraph(40, 23)).ok());  // present: a no-op
  EXPECT_EQ(index->size(), 2u);
  auto hit = index->NearestDuplicate(Paragraph(40, 22), 0.9);
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->first, b);
  EXPECT_EQ((*hit)->second, 1.0);
  ASSERT_TRUE(index->Remove(a).ok());
  EXPECT_FALSE(index->Contains(a));
  EXPECT_TRUE(index->Contains(b));
  EXPECT_FALSE(index->NearestDuplicate(Paragraph(40, 21), 0.9)->has_value());
  ASSERT_TRUE(index->Remove(a).ok());  // absent: a no-op
}

// A rejected contribution's rows leave the index; their slots take later rows, and the index's
// memory stays what it was.
TEST(RowIndexTest, RemovedRowsFreeTheirPlaceAndTheRestAreStillFound) {
  auto index = RowIndex::Create();
  ASSERT_TRUE(index.ok());
  auto id = [](int i) { return Sha256(AsBytes("row " + std::to_string(i))); };
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(index->Add(id(i), Paragraph(30, 1000 + i)).ok());
  for (int i = 0; i < 2000; i += 3) ASSERT_TRUE(index->Remove(id(i)).ok());
  const size_t bytes = index->MemoryBytes();
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(index->Contains(id(i)), i % 3 != 0) << i;
    if (i % 51 != 1) continue;  // held: 1 + 51k is never a multiple of 3
    auto hit = index->NearestDuplicate(Paragraph(30, 1000 + i), 0.99);
    ASSERT_TRUE(hit.ok() && hit->has_value()) << i;
    EXPECT_EQ((*hit)->first, id(i));
  }
  for (int i = 0; i < 2000; i += 3)
    ASSERT_TRUE(index->Add(id(i + 5000), Paragraph(30, 9000 + i)).ok());
  EXPECT_EQ(index->MemoryBytes(), bytes);
  auto hit = index->NearestDuplicate(Paragraph(30, 9000 + 3), 0.99);
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->first, id(5003));
  EXPECT_LT(index->MemoryBytes() / index->size(), 500u);
}

}  // namespace
}  // namespace tributary::datanet
