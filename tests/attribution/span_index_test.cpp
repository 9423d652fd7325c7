// Span attribution index: the suffix array against a brute-force sort, Count/Locate against a
// brute-force search (random token streams and real text), Trace on small planted corpora,
// several shards, damaged files refused, and deterministic bytes.
#include "tributary/attribution/span_index.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <unordered_map>

#include "support/fortunes.h"
#include "support/temp_dir.h"
#include "tributary/attribution/shard_builder.h"

namespace tributary::attribution {
namespace {

namespace fs = std::filesystem;

using tributary::testing::TempDir;

std::string Hex(uint64_t tag, uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  char t[17];
  std::snprintf(t, sizeof(t), "%016llx", static_cast<unsigned long long>(tag));
  return std::string(t) + buf + buf + buf;
}
std::string RowId(uint64_t i) { return Hex(1, i); }
std::string ContributionId(uint64_t i) { return Hex(2, i); }
std::string Contributor(uint64_t i) { return "trb1contributor" + std::to_string(i); }

IndexRow MakeRow(uint64_t i, std::vector<uint32_t> tokens, uint64_t contribution = 0) {
  return {RowId(i), ContributionId(contribution), Contributor(contribution % 3), std::move(tokens)};
}

ShardOptions Options(std::string tokenizer = "test-tokenizer") {
  ShardOptions o;
  o.info.tokenizer = std::move(tokenizer);
  o.info.sources = {{1, 1, 0, 0}};
  return o;
}

std::unique_ptr<ShardReader> BuildAndOpen(const std::vector<IndexRow>& rows, const fs::path& path,
                                          const ShardOptions& options) {
  Status s = BuildShard(rows, path, options);
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto r = ShardReader::Open(path, {.verify = true});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// The stream as the format defines it: each row's tokens, then the separator.
std::vector<uint32_t> Stream(const std::vector<IndexRow>& rows, uint32_t sep) {
  std::vector<uint32_t> s;
  for (const auto& r : rows) {
    s.insert(s.end(), r.tokens.begin(), r.tokens.end());
    s.push_back(sep);
  }
  return s;
}

// (row, offset) of every occurrence of q, in stream order.
std::vector<std::pair<uint64_t, uint64_t>> BruteLocate(const std::vector<IndexRow>& rows,
                                                       const std::vector<uint32_t>& q) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  if (q.empty()) return out;
  for (uint64_t r = 0; r < rows.size(); ++r) {
    const auto& t = rows[r].tokens;
    for (size_t i = 0; i + q.size() <= t.size(); ++i) {
      if (std::equal(q.begin(), q.end(), t.begin() + i)) out.emplace_back(r, i);
    }
  }
  return out;
}

size_t BruteLongest(const std::vector<IndexRow>& rows, const std::vector<uint32_t>& q) {
  size_t best = 0;
  for (const auto& row : rows) {
    const auto& t = row.tokens;
    for (size_t i = 0; i < t.size(); ++i) {
      size_t k = 0;
      while (k < q.size() && i + k < t.size() && t[i + k] == q[k]) ++k;
      best = std::max(best, k);
    }
  }
  return best;
}

std::vector<IndexRow> RandomRows(std::mt19937_64& rng, size_t rows, size_t max_len,
                                 uint32_t alphabet, uint32_t base = 0) {
  std::vector<IndexRow> out;
  for (size_t i = 0; i < rows; ++i) {
    const size_t len = rng() % 4 == 0 ? rng() % 2 : rng() % (max_len + 1);  // empty, 1-token
    std::vector<uint32_t> t(len);
    for (auto& x : t) x = base + static_cast<uint32_t>(rng() % alphabet);
    out.push_back(MakeRow(i, std::move(t), i / 4));
  }
  return out;
}

void CheckSuffixArray(const std::vector<IndexRow>& rows, const ShardReader& r) {
  const std::vector<uint32_t> s = Stream(rows, r.separator());
  ASSERT_EQ(r.stream_length(), s.size());
  ASSERT_EQ(r.rows(), rows.size());
  std::vector<uint64_t> expect;
  for (uint64_t p = 0; p < s.size(); ++p) {
    if (s[p] != r.separator()) expect.push_back(p);
  }
  std::sort(expect.begin(), expect.end(), [&](uint64_t a, uint64_t b) {
    return std::lexicographical_compare(s.begin() + a, s.end(), s.begin() + b, s.end());
  });
  ASSERT_EQ(r.tokens(), expect.size());
  for (uint64_t i = 0; i < expect.size(); ++i) ASSERT_EQ(r.SuffixAt(i), expect[i]) << i;
  for (uint64_t p = 0; p < s.size(); ++p) ASSERT_EQ(r.TokenAt(p), s[p]);
  for (uint64_t i = 0; i < rows.size(); ++i) {
    const RowInfo info = r.Row(i);
    EXPECT_EQ(info.row_id, rows[i].row_id);
    EXPECT_EQ(info.contribution, rows[i].contribution);
    EXPECT_EQ(info.contributor, rows[i].contributor);
    EXPECT_EQ(info.length, rows[i].tokens.size());
    EXPECT_EQ(r.RowTokens(i), rows[i].tokens);
    for (uint64_t k = 0; k <= info.length; ++k) ASSERT_EQ(r.RowOf(info.begin + k), i);
  }
}

void CheckQueries(const std::vector<IndexRow>& rows, const ShardReader& r, std::mt19937_64& rng,
                  int queries, uint32_t alphabet) {
  std::vector<const IndexRow*> nonempty;
  for (const auto& row : rows) {
    if (!row.tokens.empty()) nonempty.push_back(&row);
  }
  for (int qi = 0; qi < queries; ++qi) {
    std::vector<uint32_t> q;
    if (qi % 3 != 0 && !nonempty.empty()) {  // a substring of a row, sometimes extended
      const auto& t = nonempty[rng() % nonempty.size()]->tokens;
      const size_t b = rng() % t.size();
      const size_t len = 1 + rng() % std::min<size_t>(12, t.size() - b);
      q.assign(t.begin() + b, t.begin() + b + len);
      if (qi % 3 == 2) q.push_back(static_cast<uint32_t>(rng() % alphabet));
    } else {
      q.resize(1 + rng() % 6);
      for (auto& x : q) x = static_cast<uint32_t>(rng() % alphabet);
    }
    const auto expect = BruteLocate(rows, q);
    ASSERT_EQ(r.Count(q), expect.size());
    std::vector<std::pair<uint64_t, uint64_t>> got;
    for (const Occurrence& o : r.Locate(q, SIZE_MAX)) {
      got.emplace_back(o.row, o.offset);
      EXPECT_EQ(o.row_id, rows[o.row].row_id);
      EXPECT_EQ(o.contribution, rows[o.row].contribution);
      EXPECT_EQ(o.contributor, rows[o.row].contributor);
      EXPECT_EQ(o.output_begin, 0);
      EXPECT_EQ(o.output_end, static_cast<int64_t>(q.size()));
    }
    ASSERT_EQ(got, expect);
    const auto few = r.Locate(q, 2);
    EXPECT_EQ(few.size(), std::min<size_t>(2, expect.size()));
    for (const Occurrence& o : few) {
      EXPECT_TRUE(std::find(expect.begin(), expect.end(), std::make_pair(o.row, o.offset)) !=
                  expect.end());
    }
    ASSERT_EQ(r.LongestPrefix(q), BruteLongest(rows, q));
  }
}

TEST(SpanIndexTest, SuffixArrayMatchesBruteForceOnRandomStreams) {
  TempDir dir;
  std::mt19937_64 rng(7);
  struct Case {
    uint32_t alphabet, base;
    size_t rows, max_len;
    ShardOptions options;
  };
  ShardOptions wide = Options();
  wide.wide_sort = true;
  ShardOptions pos5 = Options();
  pos5.position_bytes = 5;
  ShardOptions tok4 = Options();
  tok4.token_bytes = 4;
  std::vector<Case> cases = {
      {1, 0, 60, 30, Options()},         // one token: every suffix shares long prefixes
      {2, 0, 80, 40, Options()},         // many repeats
      {3, 0, 100, 20, wide},             // the 64-bit sort
      {5, 0, 100, 20, pos5},             // 5-byte positions
      {4, 65533, 50, 20, Options()},     // ids up to 65536: 3-byte tokens
      {300, 0, 80, 30, tok4},            // forced 4-byte tokens
      {7, 1u << 24, 40, 20, Options()},  // 4-byte tokens
      {50000, 0, 60, 30, Options()},     // few repeats
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE("case " + std::to_string(n));
    auto rows = RandomRows(rng, c.rows, c.max_len, c.alphabet, c.base);
    // Whole repeated rows, and a row repeated as a prefix of another.
    rows.push_back(MakeRow(1000, rows[3].tokens));
    std::vector<uint32_t> ext = rows[3].tokens;
    ext.push_back(c.base);
    rows.push_back(MakeRow(1001, ext));
    auto r = BuildAndOpen(rows, dir.path() / ("sa" + std::to_string(n++)), c.options);
    ASSERT_TRUE(r);
    if (c.options.position_bytes == 5) {
      EXPECT_EQ(r->position_bytes(), 5u);
    }
    CheckSuffixArray(rows, *r);
    CheckQueries(rows, *r, rng, 150, c.alphabet + c.base);
  }
  // Token widths chosen from the ids.
  auto r2 = ShardReader::Open(dir.path() / "sa1");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)->token_bytes(), 2u);
  auto r3 = ShardReader::Open(dir.path() / "sa4");
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ((*r3)->token_bytes(), 3u);
  auto r4 = ShardReader::Open(dir.path() / "sa6");
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ((*r4)->token_bytes(), 4u);
}

TEST(SpanIndexTest, EmptyInputs) {
  TempDir dir;
  auto none = BuildAndOpen({}, dir.path() / "none", Options());
  ASSERT_TRUE(none);
  EXPECT_EQ(none->tokens(), 0u);
  EXPECT_EQ(none->rows(), 0u);
  const std::vector<uint32_t> q = {1, 2};
  EXPECT_EQ(none->Count(q), 0u);
  EXPECT_TRUE(none->Locate(q, 10).empty());
  EXPECT_EQ(none->LongestPrefix(q), 0u);

  auto empty_rows = BuildAndOpen({MakeRow(0, {}), MakeRow(1, {})}, dir.path() / "e", Options());
  ASSERT_TRUE(empty_rows);
  EXPECT_EQ(empty_rows->tokens(), 0u);
  EXPECT_EQ(empty_rows->rows(), 2u);
  EXPECT_EQ(empty_rows->Count(q), 0u);

  auto index = SpanIndex::Open({dir.path() / "none", dir.path() / "e"});
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  TraceResult t = index->Trace(std::span<const uint32_t>(q));
  EXPECT_TRUE(t.spans.empty());
  EXPECT_EQ(t.longest, (std::vector<uint32_t>{0, 0}));
  EXPECT_TRUE(index->Trace(std::span<const uint32_t>()).spans.empty());
  EXPECT_EQ(SpanIndex().Count(q), 0u);
  // An empty query matches nothing.
  auto one = BuildAndOpen({MakeRow(0, {1, 2, 3})}, dir.path() / "one", Options());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->Count({}), 0u);
  EXPECT_EQ(one->Count(q), 1u);
  // Ids at or above the separator match nothing.
  const std::vector<uint32_t> big = {1, 0xFFFF};
  EXPECT_EQ(one->Count(big), 0u);
  EXPECT_EQ(one->LongestPrefix(big), 1u);
}

// Fortune entries as rows, tokenized by whitespace-separated words or by bytes.
std::vector<std::string> Fortunes(const fs::path& file) { return testing::ReadFortunes(file); }

TEST(SpanIndexTest, CountAndLocateMatchBruteForceOnRealText) {
  const fs::path file = "/usr/share/games/fortunes/computers";
  if (!fs::exists(file)) GTEST_SKIP() << "no fortunes installed";
  const auto texts = Fortunes(file);
  ASSERT_GT(texts.size(), 500u);
  TempDir dir;
  std::mt19937_64 rng(11);
  // Words.
  {
    std::unordered_map<std::string, uint32_t> vocab;
    std::vector<IndexRow> rows;
    for (size_t i = 0; i < texts.size(); ++i) {
      std::istringstream ss(texts[i]);
      std::vector<uint32_t> t;
      std::string w;
      while (ss >> w) t.push_back(vocab.try_emplace(w, vocab.size()).first->second);
      rows.push_back(MakeRow(i, std::move(t), i / 10));
    }
    auto r = BuildAndOpen(rows, dir.path() / "words", Options());
    ASSERT_TRUE(r);
    CheckQueries(rows, *r, rng, 300, static_cast<uint32_t>(vocab.size()));
  }
  // Bytes: a small alphabet with long repeats (the sort sees every suffix).
  {
    std::vector<IndexRow> rows;
    for (size_t i = 0; i < texts.size(); ++i) {
      std::vector<uint32_t> t(texts[i].begin(), texts[i].end());
      for (auto& x : t) x &= 0xFF;
      rows.push_back(MakeRow(i, std::move(t), i / 10));
    }
    auto r = BuildAndOpen(rows, dir.path() / "bytes", Options());
    ASSERT_TRUE(r);
    CheckQueries(rows, *r, rng, 200, 256);
    // A spot check of the whole suffix array: sorted, and a permutation of the token positions.
    std::vector<bool> seen(r->stream_length(), false);
    for (uint64_t i = 0; i < r->tokens(); ++i) {
      const uint64_t p = r->SuffixAt(i);
      ASSERT_LT(p, r->stream_length());
      ASSERT_FALSE(seen[p]);
      seen[p] = true;
      if (i % 97 == 0 && i + 1 < r->tokens()) {
        const uint64_t a = p, b = r->SuffixAt(i + 1);
        const uint64_t n = r->stream_length();
        size_t k = 0;
        while (a + k < n && b + k < n && r->TokenAt(a + k) == r->TokenAt(b + k)) ++k;
        ASSERT_LT(b + k, n);  // a is not longer with b as its prefix
        if (a + k < n) {
          ASSERT_LT(r->TokenAt(a + k), r->TokenAt(b + k));
        }
      }
    }
  }
}

// A corpus of random rows (ids 1000..59999, so matches do not happen by chance) with planted
// text; outputs use ids >= 60000 as novel tokens.
struct Corpus {
  std::vector<IndexRow> rows;
  std::mt19937_64 rng{3};
  uint32_t next_novel = 60000;

  std::vector<uint32_t> Random(size_t n) {
    std::vector<uint32_t> t(n);
    for (auto& x : t) x = 1000 + static_cast<uint32_t>(rng() % 59000);
    return t;
  }
  std::vector<uint32_t> Novel(size_t n) {
    std::vector<uint32_t> t(n);
    for (auto& x : t) x = next_novel++;
    return t;
  }
  size_t Add(std::vector<uint32_t> tokens, uint64_t contribution) {
    rows.push_back(MakeRow(rows.size(), std::move(tokens), contribution));
    return rows.size() - 1;
  }
};

template <typename T>
void Append(std::vector<T>& a, const std::vector<T>& b, size_t from = 0, size_t to = SIZE_MAX) {
  a.insert(a.end(), b.begin() + from, b.begin() + std::min(to, b.size()));
}

// The planted corpus and an output with known spans:
//   [0, 20)   rows A[5, 25)                       one occurrence
//   [25, 37)  row B[0, 12)                        one occurrence
//   [42, 47)  row C[3, 8): 5 tokens, below min_len
//   [52, 67)  a phrase in 150 rows: above max_count
//   [72, 80)  row D[10, 18): exactly min_len, in rows D and D2
//   [85, 120) E[5, 30) + F[10, 20): E = e0..e29, F = e20..e29 f0..f19: overlapping pieces
//   [125,132) row D[0, 7): 7 tokens, below min_len
struct Planted {
  Corpus corpus;
  std::vector<uint32_t> output;
  size_t a, b, c, d, d2, e, f;
};

Planted MakePlanted() {
  Planted p;
  Corpus& c = p.corpus;
  for (int i = 0; i < 40; ++i) c.Add(c.Random(20 + i), 100 + i);
  const auto phrase = c.Random(15);
  for (int i = 0; i < 150; ++i) {
    auto t = c.Random(5);
    Append(t, phrase);
    Append(t, c.Random(5));
    c.Add(std::move(t), 200 + i % 7);
  }
  p.a = c.Add(c.Random(40), 1);
  p.b = c.Add(c.Random(30), 2);
  p.c = c.Add(c.Random(30), 3);
  p.d = c.Add(c.Random(30), 4);
  p.d2 = c.Add(std::vector<uint32_t>(c.rows[p.d].tokens.begin() + 8, c.rows[p.d].tokens.end()), 5);
  const auto e = c.Random(30);
  p.e = c.Add(e, 6);
  auto f = std::vector<uint32_t>(e.begin() + 20, e.end());
  Append(f, c.Random(20));
  p.f = c.Add(f, 7);
  for (int i = 0; i < 40; ++i) c.Add(c.Random(25), 300 + i);

  auto& o = p.output;
  Append(o, c.rows[p.a].tokens, 5, 25);
  Append(o, c.Novel(5));
  Append(o, c.rows[p.b].tokens, 0, 12);
  Append(o, c.Novel(5));
  Append(o, c.rows[p.c].tokens, 3, 8);
  Append(o, c.Novel(5));
  Append(o, phrase);
  Append(o, c.Novel(5));
  Append(o, c.rows[p.d].tokens, 10, 18);
  Append(o, c.Novel(5));
  Append(o, e, 5, 30);
  Append(o, f, 10, 20);
  Append(o, c.Novel(5));
  Append(o, c.rows[p.d].tokens, 0, 7);
  Append(o, c.Novel(3));
  return p;
}

const Span* FindSpan(const TraceResult& t, int64_t begin) {
  for (const Span& s : t.spans) {
    if (s.begin == begin) return &s;
  }
  return nullptr;
}

void CheckPlantedTrace(const Planted& p, const SpanIndex& index) {
  const auto& rows = p.corpus.rows;
  TraceResult t = index.Trace(std::span<const uint32_t>(p.output));
  ASSERT_EQ(t.longest.size(), p.output.size());
  EXPECT_EQ(t.longest[0], 20u);
  EXPECT_EQ(t.longest[20], 0u);
  EXPECT_EQ(t.longest[25], 12u);
  EXPECT_EQ(t.longest[42], 5u);
  EXPECT_EQ(t.longest[52], 15u);
  EXPECT_EQ(t.index_tokens, index.tokens());

  ASSERT_EQ(t.spans.size(), 4u);
  // The merged E/F span ranks first (35 tokens), then A, B, D.
  EXPECT_EQ(t.spans[0].begin, 85);
  EXPECT_EQ(t.spans[1].begin, 0);
  EXPECT_EQ(t.spans[2].begin, 25);
  EXPECT_EQ(t.spans[3].begin, 72);
  for (size_t i = 1; i < t.spans.size(); ++i) EXPECT_GE(t.spans[i - 1].score, t.spans[i].score);

  const double lnN = std::log(static_cast<double>(index.tokens()));
  const Span* a = FindSpan(t, 0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->end, 20);
  EXPECT_EQ(a->count, 1u);
  EXPECT_EQ(a->pieces, 1u);
  EXPECT_NEAR(a->score, 20 * lnN, 1e-9);
  ASSERT_EQ(a->occurrences.size(), 1u);
  EXPECT_EQ(a->occurrences[0].row_id, rows[p.a].row_id);
  EXPECT_EQ(a->occurrences[0].contribution, rows[p.a].contribution);
  EXPECT_EQ(a->occurrences[0].contributor, rows[p.a].contributor);
  EXPECT_EQ(a->occurrences[0].offset, 5u);
  EXPECT_EQ(a->occurrences[0].output_begin, 0);
  EXPECT_EQ(a->occurrences[0].output_end, 20);

  const Span* b = FindSpan(t, 25);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->end, 37);
  ASSERT_EQ(b->occurrences.size(), 1u);
  EXPECT_EQ(b->occurrences[0].row_id, rows[p.b].row_id);
  EXPECT_EQ(b->occurrences[0].offset, 0u);

  EXPECT_FALSE(FindSpan(t, 42));   // too short
  EXPECT_FALSE(FindSpan(t, 52));   // too frequent
  EXPECT_FALSE(FindSpan(t, 125));  // too short

  const Span* d = FindSpan(t, 72);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->end, 80);
  EXPECT_EQ(d->count, 2u);
  EXPECT_NEAR(d->score, 8 * std::log(index.tokens() / 2.0), 1e-9);
  ASSERT_EQ(d->occurrences.size(), 2u);
  std::set<std::pair<std::string, uint64_t>> dplaces;
  for (const auto& o : d->occurrences) dplaces.emplace(o.row_id, o.offset);
  EXPECT_EQ(dplaces, (std::set<std::pair<std::string, uint64_t>>{{rows[p.d].row_id, 10},
                                                                 {rows[p.d2].row_id, 2}}));

  const Span* ef = FindSpan(t, 85);
  ASSERT_TRUE(ef);
  EXPECT_EQ(ef->end, 120);
  EXPECT_EQ(ef->pieces, 2u);
  EXPECT_EQ(ef->count, 2u);
  EXPECT_NEAR(ef->score, 35 * lnN, 1e-9);
  ASSERT_EQ(ef->occurrences.size(), 2u);
  // The longer occurrence first: E covers [85, 110), F [100, 120).
  EXPECT_EQ(ef->occurrences[0].row_id, rows[p.e].row_id);
  EXPECT_EQ(ef->occurrences[0].offset, 5u);
  EXPECT_EQ(ef->occurrences[0].output_begin, 85);
  EXPECT_EQ(ef->occurrences[0].output_end, 110);
  EXPECT_EQ(ef->occurrences[1].row_id, rows[p.f].row_id);
  EXPECT_EQ(ef->occurrences[1].contribution, rows[p.f].contribution);
  EXPECT_EQ(ef->occurrences[1].contributor, rows[p.f].contributor);
  EXPECT_EQ(ef->occurrences[1].offset, 0u);
  EXPECT_EQ(ef->occurrences[1].output_begin, 100);
  EXPECT_EQ(ef->occurrences[1].output_end, 120);

  // Looser limits bring the short and the frequent spans in; occurrences are capped.
  TraceOptions loose;
  loose.min_len = 5;
  loose.max_count = 1000;
  loose.max_occurrences = 10;
  TraceResult l = index.Trace(std::span<const uint32_t>(p.output), loose);
  EXPECT_EQ(l.spans.size(), 7u);
  const Span* phrase = FindSpan(l, 52);
  ASSERT_TRUE(phrase);
  EXPECT_EQ(phrase->end, 67);
  EXPECT_EQ(phrase->count, 150u);
  EXPECT_EQ(phrase->occurrences.size(), 10u);
  EXPECT_NEAR(phrase->score, 15 * std::log(index.tokens() / 150.0), 1e-9);
  ASSERT_TRUE(FindSpan(l, 42));
  EXPECT_EQ(FindSpan(l, 42)->occurrences[0].row_id, rows[p.c].row_id);
  loose.max_spans = 2;
  TraceResult top = index.Trace(std::span<const uint32_t>(p.output), loose);
  ASSERT_EQ(top.spans.size(), 2u);
  EXPECT_EQ(top.spans[0].begin, 85);
  EXPECT_EQ(top.spans[1].begin, 0);
}

TEST(SpanIndexTest, MinLenForOutputIsHalfAShortOutputWithinThreeAndTheRule) {
  EXPECT_EQ(MinLenForOutput(100, 8), 8);  // a long output keeps the rule
  EXPECT_EQ(MinLenForOutput(16, 8), 8);
  EXPECT_EQ(MinLenForOutput(12, 8), 6);  // a short one needs half of itself
  EXPECT_EQ(MinLenForOutput(6, 8), 3);
  EXPECT_EQ(MinLenForOutput(2, 8), 3);  // never below 3, so one common token is no span
  EXPECT_EQ(MinLenForOutput(0, 8), 3);
  EXPECT_EQ(MinLenForOutput(6, 2), 2);  // a looser rule stays looser
}

TEST(SpanIndexTest, TraceFindsPlantedSpans) {
  TempDir dir;
  Planted p = MakePlanted();
  auto r = BuildAndOpen(p.corpus.rows, dir.path() / "planted", Options());
  ASSERT_TRUE(r);
  auto index = SpanIndex::FromShards({std::shared_ptr<const ShardReader>(std::move(r))});
  ASSERT_TRUE(index.ok());
  CheckPlantedTrace(p, *index);

  // int64 ids: out-of-range ids match nothing and cut spans.
  std::vector<int64_t> out64(p.output.begin(), p.output.end());
  out64[10] = -1;
  TraceResult t = index->Trace(std::span<const int64_t>(out64));
  EXPECT_EQ(t.longest[0], 10u);
  EXPECT_EQ(t.longest[11], 9u);
  EXPECT_EQ(FindSpan(t, 0)->end, 10);
  EXPECT_EQ(FindSpan(t, 11)->end, 20);
}

TEST(SpanIndexTest, SeveralShardsAnswerLikeOne) {
  TempDir dir;
  Planted p = MakePlanted();
  const auto& rows = p.corpus.rows;
  // Three shards in row order (like three versions), E and F in different shards.
  ASSERT_LT(p.e, p.f);
  const size_t cut1 = rows.size() / 3, cut2 = p.f;
  std::vector<fs::path> paths;
  std::vector<std::vector<IndexRow>> parts = {{rows.begin(), rows.begin() + cut1},
                                              {rows.begin() + cut1, rows.begin() + cut2},
                                              {rows.begin() + cut2, rows.end()}};
  for (size_t i = 0; i < parts.size(); ++i) {
    ShardOptions o = Options();
    o.info.sources = {{1, static_cast<uint32_t>(i + 1), 0, parts[i].size()}};
    paths.push_back(dir.path() / ("v" + std::to_string(i + 1)));
    ASSERT_TRUE(BuildShard(parts[i], paths.back(), o).ok());
  }
  auto index = SpanIndex::Open(paths);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_EQ(index->shards(), 3u);
  EXPECT_EQ(index->shard(1).info().sources[0].version, 2u);
  CheckPlantedTrace(p, *index);
  const TraceResult traced = index->Trace(std::span<const uint32_t>(p.output));
  const Span* ef = FindSpan(traced, 85);
  ASSERT_TRUE(ef);
  EXPECT_EQ(ef->occurrences[0].shard, 1u);
  EXPECT_EQ(ef->occurrences[1].shard, 2u);
  EXPECT_EQ(ef->occurrences[1].row, 0u);

  // Searching the positions on threads (as when the index is out of the page cache) answers
  // exactly as on one: here from the first position on, and from the one threshold.
  TraceOptions one, threads;
  one.io_threads = 1;
  threads.slow_position_us = 0;
  for (const TraceOptions& other : {threads, TraceOptions{}}) {
    const TraceResult a = index->Trace(std::span<const uint32_t>(p.output), one);
    const TraceResult b = index->Trace(std::span<const uint32_t>(p.output), other);
    EXPECT_EQ(a.longest, b.longest);
    ASSERT_EQ(a.spans.size(), b.spans.size());
    for (size_t i = 0; i < a.spans.size(); ++i) {
      EXPECT_EQ(a.spans[i].begin, b.spans[i].begin);
      EXPECT_EQ(a.spans[i].end, b.spans[i].end);
      EXPECT_EQ(a.spans[i].score, b.spans[i].score);
      EXPECT_EQ(a.spans[i].occurrences, b.spans[i].occurrences);
    }
  }

  // Count and Locate sum and concatenate over the shards.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100; ++i) {
    const auto& t = rows[rng() % rows.size()].tokens;
    const size_t b = rng() % t.size(), len = 1 + rng() % std::min<size_t>(4, t.size() - b);
    std::vector<uint32_t> q(t.begin() + b, t.begin() + b + len);
    const auto expect = BruteLocate(rows, q);
    ASSERT_EQ(index->Count(q), expect.size());
    const auto got = index->Locate(q, SIZE_MAX);
    ASSERT_EQ(got.size(), expect.size());
    for (size_t k = 0; k < got.size(); ++k) {
      const size_t base = got[k].shard == 0 ? 0 : got[k].shard == 1 ? cut1 : cut2;
      EXPECT_EQ(base + got[k].row, expect[k].first);
      EXPECT_EQ(got[k].offset, expect[k].second);
      EXPECT_EQ(got[k].row_id, rows[expect[k].first].row_id);
    }
    EXPECT_EQ(index->Locate(q, 1).size(), std::min<size_t>(1, expect.size()));
  }

  // Shards of another tokenizer do not mix.
  ASSERT_TRUE(BuildShard(parts[0], dir.path() / "other", Options("another-tokenizer")).ok());
  auto mixed = SpanIndex::Open({paths[0], dir.path() / "other"});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().reason(), "tokenizer_mismatch");
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void WriteFile(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}
uint64_t Le64(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

TEST(SpanIndexTest, DamagedFilesAreRefused) {
  TempDir dir;
  Planted p = MakePlanted();
  const fs::path good = dir.path() / "good";
  ASSERT_TRUE(BuildShard(p.corpus.rows, good, Options()).ok());
  const std::string bytes = ReadFile(good);

  auto missing = ShardReader::Open(dir.path() / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);

  auto expect_corrupt = [&](const std::string& name, const std::string& content, bool verify) {
    SCOPED_TRACE(name);
    const fs::path path = dir.path() / name;
    WriteFile(path, content);
    auto r = ShardReader::Open(path, {.verify = verify});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorruption);
    EXPECT_EQ(r.status().reason(), "bad_span_index");
  };
  expect_corrupt("empty", "", false);
  expect_corrupt("garbage", std::string(4096, 'x'), false);
  expect_corrupt("truncated", bytes.substr(0, bytes.size() - 1), false);
  expect_corrupt("half", bytes.substr(0, bytes.size() / 2), false);
  expect_corrupt("header-only", bytes.substr(0, 320), false);
  expect_corrupt("v1-header-only", bytes.substr(0, 256), false);
  expect_corrupt("extended", bytes + "x", false);
  for (size_t at : {size_t{9}, size_t{21}, size_t{30}, size_t{70}, size_t{240}, size_t{257}}) {
    std::string b = bytes;
    b[at] ^= 0x01;
    expect_corrupt("header" + std::to_string(at), b, false);
  }
  // A byte of each section (offsets from the section table).
  for (int id = 0; id < 8; ++id) {
    const uint64_t off = Le64(bytes, 64 + id * 24), len = Le64(bytes, 64 + id * 24 + 8);
    ASSERT_GT(len, 0u);
    std::string b = bytes;
    b[off + len / 2] ^= 0x40;
    const std::string name = "section" + std::to_string(id);
    if (id < 5 || id == 7) {
      expect_corrupt(name, b, false);
    } else {
      // The text and the suffix array are checked by Verify (or Open with verify).
      expect_corrupt(name + "-verify", b, true);
      WriteFile(dir.path() / name, b);
      auto r = ShardReader::Open(dir.path() / name);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ((*r)->Verify().code(), Code::kCorruption);
    }
  }
  // A suffix array of garbage answers wrongly but safely.
  {
    std::string b = bytes;
    const uint64_t off = Le64(bytes, 64 + 6 * 24), len = Le64(bytes, 64 + 6 * 24 + 8);
    std::mt19937_64 rng(1);
    for (uint64_t i = 0; i < len; ++i)
      b[off + i] = static_cast<char>(rng() % 3 == 0 ? 0xFF : rng());
    WriteFile(dir.path() / "garbage-sa", b);
    auto r = ShardReader::Open(dir.path() / "garbage-sa");
    ASSERT_TRUE(r.ok());
    auto index = SpanIndex::FromShards({std::shared_ptr<const ShardReader>(std::move(*r))});
    ASSERT_TRUE(index.ok());
    TraceOptions loose;
    loose.min_len = 1;
    loose.max_count = 1000;
    (void)index->Trace(std::span<const uint32_t>(p.output), loose);
    (void)index->Locate(std::span<const uint32_t>(p.output.data(), 3), 100);
  }
}

void PutLe32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}
// Recomputes the header CRC of a version 2 file after an edit.
void FixHeaderCrc(std::string& s) {
  PutLe32(s, 260, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(s.data()), 260)));
}

TEST(SpanIndexTest, SampledSearchesAnswerLikeTheFullSearch) {
  TempDir dir;
  std::mt19937_64 rng(11);
  struct Case {
    uint32_t alphabet;
    uint32_t interval, tokens;
  };
  // Small alphabets give long shared prefixes, so searches run past a sample's tokens to the
  // disk; intervals that do not divide N leave a short last interval.
  const std::vector<Case> cases = {{1, 1, 1},  {2, 2, 1},   {2, 3, 2},    {3, 7, 8},   {5, 64, 8},
                                   {50, 5, 3}, {2, 256, 4}, {400, 1, 64}, {3, 1000, 8}};
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE("alphabet " + std::to_string(c.alphabet) + " interval " +
                 std::to_string(c.interval) + " tokens " + std::to_string(c.tokens));
    auto rows = RandomRows(rng, 90, 30, c.alphabet);
    ShardOptions o = Options();
    o.sample_interval = c.interval;
    o.sample_tokens = c.tokens;
    auto r = BuildAndOpen(rows, dir.path() / ("s" + std::to_string(n++)), o);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->sample_interval(), c.interval);
    EXPECT_EQ(r->sample_tokens(), c.tokens);
    const uint64_t samples = (r->tokens() + c.interval - 1) / c.interval;
    EXPECT_GE(r->memory_bytes(), samples * c.tokens * r->token_bytes());
    CheckSuffixArray(rows, *r);
    CheckQueries(rows, *r, rng, 200, c.alphabet);
  }
}

TEST(SpanIndexTest, VersionOneShardsWithoutSamplesAreStillRead) {
  TempDir dir;
  Planted p = MakePlanted();
  ShardOptions v1 = Options();
  v1.sample_interval = 0;  // the version 1 format
  ASSERT_TRUE(BuildShard(p.corpus.rows, dir.path() / "v1", v1).ok());
  ASSERT_TRUE(BuildShard(p.corpus.rows, dir.path() / "v2", Options()).ok());
  const std::string a = ReadFile(dir.path() / "v1"), b = ReadFile(dir.path() / "v2");
  EXPECT_EQ(a[8], 1);
  EXPECT_EQ(b[8], 2);
  auto r1 = ShardReader::Open(dir.path() / "v1", {.verify = true});
  auto r2 = ShardReader::Open(dir.path() / "v2", {.verify = true});
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ((*r1)->sample_interval(), 0u);
  EXPECT_EQ((*r2)->sample_interval(), ShardOptions().sample_interval);
  // The same text and suffix array, 64 more header bytes and the sample table.
  EXPECT_LT(a.size(), b.size());
  auto index1 = SpanIndex::FromShards({std::shared_ptr<const ShardReader>(std::move(*r1))});
  auto index2 = SpanIndex::FromShards({std::shared_ptr<const ShardReader>(std::move(*r2))});
  ASSERT_TRUE(index1.ok() && index2.ok());
  const TraceResult t1 = index1->Trace(std::span<const uint32_t>(p.output));
  const TraceResult t2 = index2->Trace(std::span<const uint32_t>(p.output));
  EXPECT_EQ(t1.longest, t2.longest);
  ASSERT_EQ(t1.spans.size(), t2.spans.size());
  for (size_t i = 0; i < t1.spans.size(); ++i) {
    EXPECT_EQ(t1.spans[i].begin, t2.spans[i].begin);
    EXPECT_EQ(t1.spans[i].end, t2.spans[i].end);
    EXPECT_EQ(t1.spans[i].occurrences, t2.spans[i].occurrences);
  }
  EXPECT_FALSE(t1.spans.empty());
}

TEST(SpanIndexTest, BadSampleTablesAreRefused) {
  TempDir dir;
  Planted p = MakePlanted();
  for (auto [interval, tokens] :
       {std::pair<uint32_t, uint32_t>{1, 0}, {1, 65}, {(1u << 20) + 1, 8}}) {
    ShardOptions o = Options();
    o.sample_interval = interval;
    o.sample_tokens = tokens;
    Status s = BuildShard(p.corpus.rows, dir.path() / "bad", o);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << interval << " " << tokens;
    EXPECT_FALSE(fs::exists(dir.path() / "bad"));
  }
  const fs::path good = dir.path() / "good";
  ASSERT_TRUE(BuildShard(p.corpus.rows, good, Options()).ok());
  const std::string bytes = ReadFile(good);
  auto open = [&](const std::string& name, const std::string& content, bool verify) {
    WriteFile(dir.path() / name, content);
    return ShardReader::Open(dir.path() / name, {.verify = verify});
  };
  // Parameters out of range, or not those the section was written with (its length differs),
  // under a header CRC that matches.
  for (auto [at, value] : {std::pair<size_t, uint32_t>{20, 0},
                           {20, (1u << 20) + 1},
                           {256, 0},
                           {256, 65},
                           {20, 65},
                           {256, 7}}) {
    std::string b = bytes;
    PutLe32(b, at, value);
    FixHeaderCrc(b);
    auto r = open("param", b, false);
    ASSERT_FALSE(r.ok()) << at << " " << value;
    EXPECT_EQ(r.status().reason(), "bad_span_index");
  }
  // A sample table whose CRC matches but whose tokens are not its suffixes': Open accepts it
  // (it reads only the table), Verify refuses it, and searches stay safe.
  std::string b = bytes;
  const uint64_t off = Le64(bytes, 64 + 7 * 24), len = Le64(bytes, 64 + 7 * 24 + 8);
  std::mt19937_64 rng(3);
  for (uint64_t i = 0; i < len; ++i) b[off + i] = static_cast<char>(rng());
  PutLe32(b, 64 + 7 * 24 + 16,
          static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(b.data() + off), len)));
  FixHeaderCrc(b);
  auto r = open("scrambled", b, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->Verify().code(), Code::kCorruption);
  auto index = SpanIndex::FromShards({std::shared_ptr<const ShardReader>(std::move(*r))});
  ASSERT_TRUE(index.ok());
  (void)index->Trace(std::span<const uint32_t>(p.output));
  EXPECT_FALSE(open("scrambled-verify", b, true).ok());
}

TEST(SpanIndexTest, BytesAreDeterministic) {
  TempDir dir;
  Planted p = MakePlanted();
  std::vector<IndexRow> rows = p.corpus.rows;
  ASSERT_TRUE(BuildShard(rows, dir.path() / "a", Options()).ok());
  ASSERT_TRUE(BuildShard(rows, dir.path() / "b", Options()).ok());
  ShardOptions wide = Options();
  wide.wide_sort = true;  // the 64-bit sort gives the same suffix array
  ASSERT_TRUE(BuildShard(rows, dir.path() / "c", wide).ok());
  const std::string a = ReadFile(dir.path() / "a");
  EXPECT_EQ(a, ReadFile(dir.path() / "b"));
  EXPECT_EQ(a, ReadFile(dir.path() / "c"));
  EXPECT_FALSE(fs::exists(dir.path() / "a.partial"));
  // Another row order is another shard.
  std::swap(rows[0], rows[1]);
  ASSERT_TRUE(BuildShard(rows, dir.path() / "d", Options()).ok());
  EXPECT_NE(a, ReadFile(dir.path() / "d"));
  // Progress reaches the end of every stage.
  std::map<std::string, std::pair<uint64_t, uint64_t>> last;
  ASSERT_TRUE(BuildShard(rows, dir.path() / "e", Options(), [&](const BuildProgress& pr) {
                EXPECT_LE(pr.done, pr.total);
                last[std::string(pr.stage)] = {pr.done, pr.total};
              }).ok());
  for (const char* stage : {"encode", "sort", "filter", "write"}) {
    ASSERT_TRUE(last.count(stage)) << stage;
    EXPECT_EQ(last[stage].first, last[stage].second) << stage;
  }
  // The meta section round-trips.
  auto r = ShardReader::Open(dir.path() / "e");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->info().tokenizer, "test-tokenizer");
  EXPECT_EQ((*r)->info().sources, Options().info.sources);
}

TEST(SpanIndexTest, BadRowsAreRefused) {
  TempDir dir;
  ShardBuilder b(Options());
  const std::vector<uint32_t> t = {1, 2, 3};
  EXPECT_EQ(b.Add("zz", ContributionId(0), "a", t).code(), Code::kInvalidArgument);
  EXPECT_EQ(b.Add(RowId(0), "00", "a", t).code(), Code::kInvalidArgument);
  EXPECT_EQ(b.Add(RowId(0), ContributionId(0), std::string(65, 'a'), t).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(b.Add(RowId(0), ContributionId(0), "a b", t).code(), Code::kInvalidArgument);
  const std::vector<uint32_t> sep = {1, 0xFFFFFFFFu};
  EXPECT_EQ(b.Add(RowId(0), ContributionId(0), "a", sep).code(), Code::kInvalidArgument);
  EXPECT_TRUE(b.Add(RowId(0), ContributionId(0), "a", t).ok());
  EXPECT_EQ(b.Add(RowId(1), ContributionId(0), "b", t).code(), Code::kInvalidArgument);
  EXPECT_EQ(b.rows(), 1u);
  EXPECT_EQ(b.tokens(), 3u);
  ShardOptions two = Options();
  two.token_bytes = 2;
  ShardBuilder b2(two);
  const std::vector<uint32_t> big = {0xFFFF};
  EXPECT_EQ(b2.Add(RowId(0), ContributionId(0), "a", big).code(), Code::kInvalidArgument);
  ShardBuilder b3(Options(""));
  EXPECT_EQ(b3.Finish(dir.path() / "x").code(), Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir.path() / "x"));
}

}  // namespace
}  // namespace tributary::attribution
