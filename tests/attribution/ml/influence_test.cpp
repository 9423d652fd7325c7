// Influence attribution (attribution/influence.h): scores against naive double-precision
// references, planted and hand-computed aggregation cases, the cache's reuse and invalidation,
// float16 files, validation, determinism.
#include "tributary/attribution/influence.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "support/temp_dir.h"
#include "tributary/base/hash.h"

namespace tributary::attribution {
namespace {

namespace fs = std::filesystem;

using tributary::testing::TempDir;

std::string Hex64(uint64_t tag, uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(tag << 48 | v));
  return std::string(buf) + buf + buf + buf;
}

// Sketches G (row-major) and their keys; contribution c has id Hex64(2, c).
struct Sketches {
  int64_t count = 0, dim = 0;
  std::vector<float> g;
  std::vector<int> contribution;  // per row
  float at(int64_t i, int64_t j) const { return g[static_cast<size_t>(i * dim + j)]; }
  std::span<const float> row(int64_t i) const {
    return {g.data() + i * dim, static_cast<size_t>(dim)};
  }
};

Sketches Random(int64_t count, int64_t dim, int per_contribution, uint64_t seed) {
  Sketches s;
  s.count = count;
  s.dim = dim;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  for (int64_t k = 0; k < count * dim; ++k) s.g.push_back(normal(rng));
  for (int64_t i = 0; i < count; ++i)
    s.contribution.push_back(static_cast<int>(i) / per_contribution);
  return s;
}

void PutU32(std::string& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
void PutU64(std::string& b, size_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); }

// A sketch file in the format of factory/sketch.h, written directly (WriteSketches needs a model).
void WriteSketchFile(const fs::path& path, const Sketches& s, bool half = false) {
  const std::string desc = R"({"method":"test","k":1})";
  auto align = [](size_t n) { return (n + 63) / 64 * 64; };
  const size_t keys = align(128 + desc.size());
  const size_t matrix = align(keys + static_cast<size_t>(s.count) * 128);
  std::string b(matrix, '\0');
  std::memcpy(b.data(), "TRBSKCH1", 8);
  PutU32(b, 8, 1);
  PutU32(b, 12, half ? 1 : 0);
  PutU32(b, 16, static_cast<uint32_t>(s.dim));
  PutU64(b, 24, static_cast<uint64_t>(s.count));
  PutU64(b, 32, 42);
  PutU64(b, 40, 128);
  PutU64(b, 48, desc.size());
  PutU64(b, 56, keys);
  PutU64(b, 64, matrix);
  std::memcpy(b.data() + 128, desc.data(), desc.size());
  for (int64_t i = 0; i < s.count; ++i) {
    char* rec = b.data() + keys + static_cast<size_t>(i) * 128;
    const auto row = FromHex(Hex64(1, static_cast<uint64_t>(i)));
    const auto c = FromHex(Hex64(2, static_cast<uint64_t>(s.contribution[static_cast<size_t>(i)])));
    std::memcpy(rec, row->data(), 32);
    std::memcpy(rec + 32, c->data(), 32);
    const std::string who =
        "trb1contributor" + std::to_string(s.contribution[static_cast<size_t>(i)]);
    std::memcpy(rec + 64, who.data(), who.size());
  }
  for (float v : s.g) {
    if (half) {
      const c10::Half h(v);
      b.append(reinterpret_cast<const char*>(&h.x), 2);
    } else {
      b.append(reinterpret_cast<const char*>(&v), 4);
    }
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << b;
}

// x = A^-1 b by Gaussian elimination with partial pivoting (A is n x n, row-major).
std::vector<double> Solve(std::vector<double> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r) {
      if (std::abs(a[r * n + c]) > std::abs(a[p * n + c])) p = r;
    }
    for (size_t k = 0; k < n; ++k) std::swap(a[c * n + k], a[p * n + k]);
    std::swap(b[c], b[p]);
    for (size_t r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / a[c * n + c];
      for (size_t k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (size_t c = n; c-- > 0;) {
    double v = b[c];
    for (size_t k = c + 1; k < n; ++k) v -= a[c * n + k] * x[k];
    x[c] = v / a[c * n + c];
  }
  return x;
}

// G^T G + λI with λ = damping · trace(G^T G) / min(count, dim), in double.
std::vector<double> DampedGram(const Sketches& s, double damping) {
  const auto d = static_cast<size_t>(s.dim);
  std::vector<double> a(d * d, 0.0);
  for (int64_t i = 0; i < s.count; ++i) {
    for (size_t j = 0; j < d; ++j) {
      for (size_t k = 0; k < d; ++k) {
        a[j * d + k] += double{s.at(i, static_cast<int64_t>(j))} * s.at(i, static_cast<int64_t>(k));
      }
    }
  }
  double trace = 0;
  for (size_t j = 0; j < d; ++j) trace += a[j * d + j];
  const auto rank = static_cast<double>(std::min<int64_t>(s.count, s.dim));
  for (size_t j = 0; j < d; ++j) a[j * d + j] += damping * trace / rank;
  return a;
}

double Dot(std::span<const float> a, const std::vector<double>& b) {
  double v = 0;
  for (size_t k = 0; k < a.size(); ++k) v += a[k] * b[k];
  return v;
}

std::vector<float> RandomQuery(int64_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> q(static_cast<size_t>(dim));
  for (float& v : q) v = normal(rng);
  return q;
}

InfluenceOptions Method(InfluenceMethod m) {
  InfluenceOptions o;
  o.method = m;
  return o;
}

std::unique_ptr<InfluenceIndex> OpenOk(const fs::path& path, const InfluenceOptions& o,
                                       const InfluenceProgressFn& progress = {}) {
  auto index = InfluenceIndex::Open(path, o, progress);
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(*index) : nullptr;
}

TEST(InfluenceTest, TracInIsGq) {
  TempDir dir;
  const Sketches s = Random(40, 24, 4, 1);
  WriteSketchFile(dir.path() / "s.bin", s);
  auto index = OpenOk(dir.path() / "s.bin", Method(InfluenceMethod::kTracIn));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->count(), 40);
  EXPECT_EQ(index->dim(), 24);
  EXPECT_EQ(index->seed(), 42u);
  EXPECT_EQ(index->description()["method"], "test");
  const std::vector<float> q = RandomQuery(24, 2);
  auto all = index->ScoreAll(q);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 40u);
  for (int64_t i = 0; i < s.count; ++i) {
    double want = 0;
    for (int64_t k = 0; k < s.dim; ++k) want += double{s.at(i, k)} * q[static_cast<size_t>(k)];
    EXPECT_NEAR((*all)[static_cast<size_t>(i)], want, 1e-4 * (1 + std::abs(want))) << i;
  }
  auto r = index->Score(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->method, "tracin");
  double qn = 0;
  for (float v : q) qn += double{v} * v;
  EXPECT_NEAR(r->query_norm, std::sqrt(qn), 1e-9 * std::sqrt(qn));
  ASSERT_EQ(r->top.size(), 10u);
  for (const ExampleInfluence& e : r->top) {
    EXPECT_EQ(e.score, (*all)[static_cast<size_t>(e.index)]);
    double gn = 0;
    for (float v : s.row(e.index)) gn += double{v} * v;
    EXPECT_NEAR(e.cosine, e.score / std::sqrt(qn * gn), 1e-5);
    EXPECT_EQ(e.row_id, Hex64(1, static_cast<uint64_t>(e.index)));
  }
}

TEST(InfluenceTest, TrakIsWhitenedInnerProduct) {
  TempDir dir;
  // More sketches than dims, as many, and fewer (G^T G singular: only λ keeps it invertible;
  // trak then whitens on the count x count side, which must give the same numbers).
  for (auto [count, dim] :
       {std::pair<int64_t, int64_t>{60, 16}, {16, 16}, {15, 16}, {10, 32}, {1, 24}, {3, 200}}) {
    const Sketches s = Random(count, dim, 3, static_cast<uint64_t>(count));
    const fs::path path = dir.path() / ("s" + std::to_string(count) + ".bin");
    WriteSketchFile(path, s);
    InfluenceOptions o = Method(InfluenceMethod::kTrak);
    o.damping = 0.05;
    auto index = OpenOk(path, o);
    ASSERT_TRUE(index);
    const std::vector<float> q = RandomQuery(dim, 7);
    const std::vector<double> a = DampedGram(s, o.damping);
    const std::vector<double> u = Solve(a, std::vector<double>(q.begin(), q.end()));
    auto all = index->ScoreAll(q);
    ASSERT_TRUE(all.ok());
    double scale = 0;
    std::vector<double> want(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      want[static_cast<size_t>(i)] = Dot(s.row(i), u);
      scale = std::max(scale, std::abs(want[static_cast<size_t>(i)]));
    }
    for (int64_t i = 0; i < count; ++i) {
      EXPECT_NEAR((*all)[static_cast<size_t>(i)], want[static_cast<size_t>(i)], 1e-4 * scale)
          << count << " " << i;
    }
    // Self-influence g_i^T M g_i and |q|_M.
    const std::vector<float> self = index->SelfInfluence();
    for (int64_t i = 0; i < count; ++i) {
      const std::vector<double> x = Solve(a, std::vector<double>(s.row(i).begin(), s.row(i).end()));
      const double sii = Dot(s.row(i), x);
      EXPECT_NEAR(self[static_cast<size_t>(i)], sii, 1e-5 * (1 + sii)) << i;
    }
    auto r = index->Score(q);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->method, "trak");
    const double qmq = Dot(q, u);
    EXPECT_NEAR(r->query_norm, std::sqrt(qmq), 1e-6 * std::sqrt(qmq));
  }
}

TEST(InfluenceTest, PlantedExampleRanksFirst) {
  TempDir dir;
  const Sketches s = Random(60, 128, 6, 3);
  WriteSketchFile(dir.path() / "s.bin", s);
  std::vector<float> q(s.row(7).begin(), s.row(7).end());
  std::mt19937_64 rng(4);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  for (float& v : q) v += noise(rng);
  for (InfluenceMethod m : {InfluenceMethod::kTracIn, InfluenceMethod::kTrak}) {
    InfluenceOptions o = Method(m);
    o.aggregate_examples = 3;
    auto index = OpenOk(dir.path() / "s.bin", o);
    ASSERT_TRUE(index);
    auto r = index->Score(q);
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->top.empty());
    EXPECT_EQ(r->top[0].index, 7) << r->method;
    EXPECT_GT(r->top[0].cosine, 0.999) << r->method;
    EXPECT_LT(r->top[1].cosine, 0.9) << r->method;
    EXPECT_NEAR(r->max_cosine, r->top[0].cosine, 1e-12);
    EXPECT_EQ(r->top[0].contribution, Hex64(2, 1));
    EXPECT_EQ(r->top[0].contributor, "trb1contributor1");
    ASSERT_EQ(r->contributions.size(), 10u);
    EXPECT_EQ(r->contributions[0].contribution, Hex64(2, 1)) << r->method;
    EXPECT_EQ(r->contributions[0].examples, 6);
    EXPECT_NEAR(r->contributions[0].best_cosine, r->top[0].cosine, 1e-12);
  }
}

// Hand-computed: with q = e_0 (tracin) every score is the row's first value.
TEST(InfluenceTest, AggregatesPerContribution) {
  TempDir dir;
  Sketches s;
  s.dim = 2;
  // row: score, contribution
  const std::vector<std::pair<float, int>> rows = {{5, 0}, {-1, 0},   {3, 1}, {3, 1},  {-10, 1},
                                                   {4, 2}, {0.5f, 2}, {1, 3}, {-2, 4}, {2, 5}};
  for (auto [v, c] : rows) {
    s.g.push_back(v);
    s.g.push_back(1);
    s.contribution.push_back(c);
  }
  s.count = static_cast<int64_t>(rows.size());
  WriteSketchFile(dir.path() / "s.bin", s);
  InfluenceOptions o = Method(InfluenceMethod::kTracIn);
  o.top_examples = 4;
  o.aggregate_examples = 4;  // best aligned: rows 0 (c0), 5 (c2), 2 and 3 (c1)
  auto index = OpenOk(dir.path() / "s.bin", o);
  ASSERT_TRUE(index);
  const std::vector<float> q = {1, 0};
  auto r = index->Score(q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->top.size(), 4u);
  const std::vector<int64_t> top = {0, 5, 2, 3};  // tie at 3: lower index first
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(r->top[k].index, top[k]);
  EXPECT_DOUBLE_EQ(r->top[0].cosine, 5 / std::sqrt(26.0));
  // positive sums the cosines (relative influence): c1 2·3/√10, c0 5/√26, c2 4/√17, the rest 0
  // (outside the best 4), ordered then by score: c5 2 > c3 1 > c4 -2. A raw-score sum would
  // give the same order here; RelativeInfluenceIsNotBoughtByGradientSize shows where not.
  struct Want {
    int id;
    double score, positive;
    int64_t examples;
  };
  const std::vector<Want> want = {{1, -4, 6 / std::sqrt(10.0), 3},
                                  {0, 4, 5 / std::sqrt(26.0), 2},
                                  {2, 4.5, 4 / std::sqrt(17.0), 2},
                                  {5, 2, 0, 1},
                                  {3, 1, 0, 1},
                                  {4, -2, 0, 1}};
  ASSERT_EQ(r->contributions.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    const ContributionInfluence& c = r->contributions[k];
    EXPECT_EQ(c.contribution, Hex64(2, static_cast<uint64_t>(want[k].id))) << k;
    EXPECT_EQ(c.contributor, "trb1contributor" + std::to_string(want[k].id));
    EXPECT_DOUBLE_EQ(c.score, want[k].score) << k;
    EXPECT_DOUBLE_EQ(c.positive, want[k].positive) << k;
    EXPECT_EQ(c.examples, want[k].examples);
  }
  EXPECT_DOUBLE_EQ(r->contributions[0].best_cosine, 3 / std::sqrt(10.0));
  EXPECT_DOUBLE_EQ(r->contributions[5].best_cosine, -2 / std::sqrt(5.0));
  EXPECT_DOUBLE_EQ(r->max_cosine, 5 / std::sqrt(26.0));

  // Equal positive and score: contribution id ascending. Every score <= 0: max_cosine is 0.
  const std::vector<float> neg = {-1, 0};
  auto n = index->Score(neg);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->max_cosine, std::max(0.0, 10 / std::sqrt(101.0)));  // row 4 (-10) scores +10
  const std::vector<float> zero = {0, 0};
  auto z = index->Score(zero);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->max_cosine, 0);
  EXPECT_EQ(z->query_norm, 0);
  for (size_t k = 0; k < z->contributions.size(); ++k) {
    EXPECT_EQ(z->contributions[k].contribution, Hex64(2, k));
    EXPECT_EQ(z->contributions[k].best_cosine, 0);
  }

  const nlohmann::json j = r->ToJson(2);
  EXPECT_EQ(j["method"], "tracin");
  EXPECT_EQ(j["top"].size(), 4u);
  EXPECT_EQ(j["top"][0]["index"], 0);
  EXPECT_EQ(j["top"][0]["row_id"], Hex64(1, 0));
  EXPECT_EQ(j["top"][0]["contributor"], "trb1contributor0");
  EXPECT_EQ(j["top"][0]["score"], 5.0);
  EXPECT_TRUE(j["top"][0].contains("cosine"));
  EXPECT_TRUE(j["top"][0].contains("contribution"));
  ASSERT_EQ(j["contributions"].size(), 2u);
  EXPECT_EQ(j["contributions"][0]["contribution"], Hex64(2, 1));
  EXPECT_DOUBLE_EQ(j["contributions"][0]["positive"].get<double>(), 6 / std::sqrt(10.0));
  EXPECT_EQ(j["contributions"][0]["score"], -4.0);
  EXPECT_EQ(j["contributions"][0]["examples"], 3);
  EXPECT_TRUE(j["contributions"][0].contains("best_cosine"));
  EXPECT_TRUE(j["contributions"][0].contains("contributor"));
  EXPECT_EQ(j["contributions_total"], 6);
  EXPECT_DOUBLE_EQ(j["max_cosine"].get<double>(), r->max_cosine);
  EXPECT_EQ(j["query_norm"], 1.0);
}

// One example identical to the query against a contribution of many large, loosely aligned
// ones: raw scores favour the big contribution, relative influence the aligned example's.
TEST(InfluenceTest, RelativeInfluenceIsNotBoughtByGradientSize) {
  TempDir dir;
  Sketches s;
  s.dim = 2;
  s.g = {1, 0};  // row 0, contribution 0: the query itself
  s.contribution = {0};
  for (int i = 0; i < 5; ++i) {  // rows 1-5, contribution 1: norm ~20, cosine 0.6
    s.g.insert(s.g.end(), {12, 16});
    s.contribution.push_back(1);
  }
  s.count = 6;
  WriteSketchFile(dir.path() / "s.bin", s);
  auto index = OpenOk(dir.path() / "s.bin", Method(InfluenceMethod::kTracIn));
  ASSERT_TRUE(index);
  const std::vector<float> q = {1, 0};
  auto r = index->Score(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->top[0].index, 1);  // the raw score 12 beats the identical example's 1
  ASSERT_EQ(r->contributions.size(), 2u);
  EXPECT_EQ(r->contributions[0].contribution, Hex64(2, 1));  // 5 · 0.6 = 3 > 1
  // Only alignment above a floor counts: then the identical example wins.
  InfluenceOptions o = Method(InfluenceMethod::kTracIn);
  o.cosine_floor = 0.7;
  auto narrow = OpenOk(dir.path() / "s.bin", o);
  ASSERT_TRUE(narrow);
  auto n = narrow->Score(q);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->contributions[0].contribution, Hex64(2, 0));
  EXPECT_NEAR(n->contributions[0].positive, 0.3, 1e-6);
  EXPECT_EQ(n->contributions[1].positive, 0);
  o.cosine_floor = 1;
  EXPECT_EQ(InfluenceIndex::Open(dir.path() / "s.bin", o).status().reason(), "bad_option");
}

// Both forms of trak's factor (dim x dim, and count x count for fewer sketches than dims).
class InfluenceCacheTest : public ::testing::TestWithParam<std::pair<int64_t, int64_t>> {};

INSTANTIATE_TEST_SUITE_P(Shapes, InfluenceCacheTest,
                         ::testing::Values(std::pair<int64_t, int64_t>{50, 20},
                                           std::pair<int64_t, int64_t>{50, 120}));

TEST_P(InfluenceCacheTest, CacheIsReusedAndInvalidated) {
  const auto [n, d] = GetParam();
  TempDir dir;
  const fs::path path = dir.path() / "s.bin";
  const fs::path cache = dir.path() / "s.bin.influence";
  const Sketches s = Random(n, d, 5, 11);
  WriteSketchFile(path, s);
  const std::vector<float> q = RandomQuery(d, 12);
  int calls = 0;
  int64_t last_done = -1;
  auto progress = [&](int64_t done, int64_t total) {
    ++calls;
    EXPECT_EQ(total, n);
    EXPECT_GE(done, last_done);
    last_done = done;
  };
  // Opens and scores; `computed` says whether the one-time pass ran.
  auto open = [&](InfluenceMethod m, double damping, bool* computed) {
    calls = 0;
    last_done = -1;
    InfluenceOptions o = Method(m);
    o.damping = damping;
    auto index = OpenOk(path, o, progress);
    *computed = calls > 0;
    if (calls > 0) {
      EXPECT_EQ(last_done, n);
    }
    if (!index) return std::make_pair(std::vector<float>(), std::vector<float>());
    auto r = index->ScoreAll(q);
    EXPECT_TRUE(r.ok());
    return std::make_pair(*r, index->SelfInfluence());
  };
  bool computed = false;
  const auto tracin = open(InfluenceMethod::kTracIn, 0.1, &computed);
  EXPECT_TRUE(computed);
  EXPECT_TRUE(fs::exists(cache));
  EXPECT_EQ(open(InfluenceMethod::kTracIn, 0.1, &computed), tracin);
  EXPECT_FALSE(computed);
  // trak adds its section once; tracin still reuses the file.
  const auto trak = open(InfluenceMethod::kTrak, 0.1, &computed);
  EXPECT_TRUE(computed);
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_FALSE(computed);
  EXPECT_EQ(open(InfluenceMethod::kTracIn, 0.1, &computed), tracin);
  EXPECT_FALSE(computed);
  // Another damping replaces the section.
  const auto damped = open(InfluenceMethod::kTrak, 0.5, &computed);
  EXPECT_TRUE(computed);
  EXPECT_NE(damped.first, trak.first);
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_TRUE(computed);
  // A new mtime on the sketch file forces a recompute.
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_TRUE(computed);
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_FALSE(computed);
  // A corrupted or truncated cache is ignored and rewritten.
  std::string bytes;
  {
    std::ifstream in(cache, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // A cache from before λ was scaled by min(count, dim) (flag bit 2 clear, its checksum valid):
  // a dual factor was computed with another λ and is recomputed; a dim x dim one is still right.
  {
    std::string old = bytes;
    ASSERT_EQ(old[12] & 4, 4);
    old[12] = static_cast<char>(old[12] & ~4);
    const Hash32 sum = Sha256(AsBytes(std::string_view(old).substr(0, old.size() - 32)));
    std::memcpy(old.data() + old.size() - 32, sum.data(), 32);
    std::ofstream(cache, std::ios::binary | std::ios::trunc) << old;
    EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
    EXPECT_EQ(computed, n < d);
    std::ofstream(cache, std::ios::binary | std::ios::trunc) << bytes;
  }
  std::string flipped = bytes;
  flipped[200] ^= 0x10;
  std::ofstream(cache, std::ios::binary | std::ios::trunc) << flipped;
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_TRUE(computed);
  std::ofstream(cache, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_TRUE(computed);
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_FALSE(computed);
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2);
  // Where the cache cannot be written (here its name is taken by a directory) it stays in memory.
  fs::remove(cache);
  fs::create_directory(cache);
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_TRUE(computed);
  EXPECT_EQ(open(InfluenceMethod::kTrak, 0.1, &computed), trak);
  EXPECT_TRUE(computed);
}

// Fewer sketches than dims, but more than one chunk of rows (the one-time pass over G G^T pairs
// chunks): every score must equal the self-influence computed from the Gram matrix, and scores
// must be symmetric.
TEST(InfluenceTest, DualFormAcrossRowChunks) {
  TempDir dir;
  // A chunk is 2^23 values: 2,892 rows of 2,900; 2,899 rows make two chunks.
  const Sketches s = Random(2899, 2900, 7, 31);
  WriteSketchFile(dir.path() / "s.bin", s);
  int64_t last = -1;
  auto index = OpenOk(dir.path() / "s.bin", Method(InfluenceMethod::kTrak),
                      [&](int64_t done, int64_t total) {
                        EXPECT_EQ(total, 2899);
                        EXPECT_GE(done, last);
                        last = done;
                      });
  ASSERT_TRUE(index);
  EXPECT_EQ(last, 2899);
  const std::vector<float> self = index->SelfInfluence();
  std::vector<std::vector<float>> rows;
  for (int64_t i : {0, 1, 2891, 2892, 2898}) {
    const std::span<const float> g = s.row(i);
    auto all = index->ScoreAll(std::vector<float>(g.begin(), g.end()));
    ASSERT_TRUE(all.ok());
    const double sii = self[static_cast<size_t>(i)];
    EXPECT_NEAR((*all)[static_cast<size_t>(i)], sii, 1e-4 * sii) << i;
    auto r = index->Score(std::vector<float>(g.begin(), g.end()));
    ASSERT_TRUE(r.ok());
    EXPECT_NEAR(r->query_norm, std::sqrt(sii), 1e-4 * std::sqrt(sii)) << i;
    EXPECT_EQ(r->top[0].index, i);
    rows.push_back(std::move(*all));
  }
  const int64_t picked[] = {0, 1, 2891, 2892, 2898};
  for (size_t a = 0; a < rows.size(); ++a) {
    for (size_t b = 0; b < rows.size(); ++b) {
      const float x = rows[a][static_cast<size_t>(picked[b])];
      const float y = rows[b][static_cast<size_t>(picked[a])];
      EXPECT_NEAR(x, y, 1e-4 * (std::abs(x) + self[0])) << a << " " << b;
    }
  }
}

TEST(InfluenceTest, HalfPrecisionScoresCloseToSingle) {
  TempDir dir;
  // More sketches than dims, and fewer (trak's dual form reads the float16 rows itself).
  for (auto [count, dim] : {std::pair<int64_t, int64_t>{300, 64}, {40, 203}}) {
    const Sketches s = Random(count, dim, 10, 21);
    const std::string tag = std::to_string(count);
    WriteSketchFile(dir.path() / ("f" + tag + ".bin"), s, false);
    WriteSketchFile(dir.path() / ("h" + tag + ".bin"), s, true);
    const std::vector<float> q = RandomQuery(dim, 22);
    for (InfluenceMethod m : {InfluenceMethod::kTracIn, InfluenceMethod::kTrak}) {
      auto f = OpenOk(dir.path() / ("f" + tag + ".bin"), Method(m));
      auto h = OpenOk(dir.path() / ("h" + tag + ".bin"), Method(m));
      ASSERT_TRUE(f && h);
      auto sf = f->ScoreAll(q);
      auto sh = h->ScoreAll(q);
      ASSERT_TRUE(sf.ok() && sh.ok());
      double scale = 0;
      for (float v : *sf) scale = std::max(scale, double{std::abs(v)});
      for (size_t i = 0; i < sf->size(); ++i) EXPECT_NEAR((*sh)[i], (*sf)[i], 2e-3 * scale) << i;
      auto rf = f->Score(q);
      auto rh = h->Score(q);
      ASSERT_TRUE(rf.ok() && rh.ok());
      EXPECT_EQ(rf->top[0].index, rh->top[0].index);
      EXPECT_NEAR(rf->max_cosine, rh->max_cosine, 2e-3);
      EXPECT_NEAR(rh->query_norm, rf->query_norm, 2e-3 * rf->query_norm);
      EXPECT_NE(f->sketches_sha256(), h->sketches_sha256());
    }
  }
}

TEST(InfluenceTest, RejectsBadInput) {
  TempDir dir;
  const Sketches s = Random(8, 4, 2, 31);
  WriteSketchFile(dir.path() / "s.bin", s);
  for (double damping : {0.0, -1.0, std::nan("")}) {
    InfluenceOptions o;
    o.damping = damping;
    auto r = InfluenceIndex::Open(dir.path() / "s.bin", o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().reason(), "bad_option");
  }
  auto missing = InfluenceIndex::Open(dir.path() / "missing.bin", {});
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  std::ofstream(dir.path() / "garbage.bin") << std::string(300, 'x');
  auto garbage = InfluenceIndex::Open(dir.path() / "garbage.bin", {});
  EXPECT_EQ(garbage.status().code(), Code::kCorruption);
  EXPECT_EQ(garbage.status().reason(), "bad_sketches");
  // A sketch that is not finite.
  Sketches nan = s;
  nan.g[9] = std::numeric_limits<float>::infinity();
  WriteSketchFile(dir.path() / "nan.bin", nan);
  auto bad = InfluenceIndex::Open(dir.path() / "nan.bin", {});
  EXPECT_EQ(bad.status().code(), Code::kCorruption);
  EXPECT_EQ(bad.status().reason(), "bad_sketches");

  for (InfluenceMethod m : {InfluenceMethod::kTracIn, InfluenceMethod::kTrak}) {
    auto index = OpenOk(dir.path() / "s.bin", Method(m));
    ASSERT_TRUE(index);
    const std::vector<std::vector<float>> queries = {
        {1, 2, 3}, {1, 2, 3, 4, 5}, {}, {1, std::nanf(""), 3, 4}, {1, 2, -INFINITY, 4}};
    for (const auto& q : queries) {
      auto r = index->Score(q);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
      EXPECT_EQ(r.status().reason(), "bad_query");
      auto a = index->ScoreAll(q);
      EXPECT_EQ(a.status().reason(), "bad_query");
    }
  }
}

TEST(InfluenceTest, DeterministicAndSelfInfluence) {
  TempDir dir;
  Sketches s = Random(200, 32, 7, 41);
  // Interleaved contributions: a row's contribution is not its neighbour's.
  for (int64_t i = 0; i < s.count; ++i) s.contribution[static_cast<size_t>(i)] = (i * 11) % 29;
  WriteSketchFile(dir.path() / "s.bin", s);
  const std::vector<float> q = RandomQuery(32, 42);
  std::string bytes;
  {
    std::ifstream in(dir.path() / "s.bin", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string sha = ToHex(Sha256(AsBytes(bytes)));
  for (InfluenceMethod m : {InfluenceMethod::kTracIn, InfluenceMethod::kTrak}) {
    InfluenceOptions o = Method(m);
    o.top_examples = 25;
    auto a = OpenOk(dir.path() / "s.bin", o);
    fs::remove(dir.path() / "s.bin.influence");  // the second one computes afresh
    auto b = OpenOk(dir.path() / "s.bin", o);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->sketches_sha256(), sha);
    EXPECT_EQ(b->sketches_sha256(), sha);
    EXPECT_EQ(a->options().top_examples, 25u);
    auto ra = a->Score(q);
    auto rb = b->Score(q);
    ASSERT_TRUE(ra.ok() && rb.ok());
    EXPECT_EQ(ra->ToJson(1000).dump(), rb->ToJson(1000).dump());
    EXPECT_EQ(ra->contributions.size(), 29u);
    // Each contribution's score is the sum of its rows' scores.
    auto all = a->ScoreAll(q);
    ASSERT_TRUE(all.ok());
    std::vector<double> sums(29, 0.0);
    std::vector<int64_t> rows(29, 0);
    for (int64_t i = 0; i < s.count; ++i) {
      sums[static_cast<size_t>(s.contribution[static_cast<size_t>(i)])] +=
          (*all)[static_cast<size_t>(i)];
      ++rows[static_cast<size_t>(s.contribution[static_cast<size_t>(i)])];
    }
    for (const ContributionInfluence& c : ra->contributions) {
      const int id = std::stoi(c.contribution.substr(4, 12), nullptr, 16);
      EXPECT_EQ(c.contribution, Hex64(2, static_cast<uint64_t>(id)));
      EXPECT_NEAR(c.score, sums[static_cast<size_t>(id)], 1e-9 * (1 + std::abs(c.score)));
      EXPECT_EQ(c.examples, rows[static_cast<size_t>(id)]);
      EXPECT_EQ(c.contributor, "trb1contributor" + std::to_string(id));
    }
    EXPECT_EQ(a->SelfInfluence(), b->SelfInfluence());
    // Concurrent queries give the same answer.
    std::vector<std::string> out(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < out.size(); ++t) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < 20; ++k) {
          auto r = a->Score(q);
          if (r.ok()) out[t] = r->ToJson(1000).dump();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& o2 : out) EXPECT_EQ(o2, ra->ToJson(1000).dump());
    if (m == InfluenceMethod::kTracIn) {
      // s_ii = |g_i|^2; scoring g_i itself gives it too.
      const std::vector<float> self = a->SelfInfluence();
      for (int64_t i = 0; i < s.count; ++i) {
        double n2 = 0;
        for (float v : s.row(i)) n2 += double{v} * v;
        EXPECT_NEAR(self[static_cast<size_t>(i)], n2, 1e-5 * n2);
      }
    }
    const std::vector<float> self = a->SelfInfluence();
    for (int64_t i : {0, 17, 199}) {
      auto r = a->ScoreAll(s.row(i));
      ASSERT_TRUE(r.ok());
      EXPECT_NEAR((*r)[static_cast<size_t>(i)], self[static_cast<size_t>(i)],
                  1e-4 * self[static_cast<size_t>(i)]);
    }
  }
}

TEST(InfluenceTest, EmptySketchFile) {
  TempDir dir;
  Sketches s;
  s.dim = 8;
  WriteSketchFile(dir.path() / "s.bin", s);
  for (InfluenceMethod m : {InfluenceMethod::kTracIn, InfluenceMethod::kTrak}) {
    auto index = OpenOk(dir.path() / "s.bin", Method(m));
    ASSERT_TRUE(index);
    EXPECT_EQ(index->count(), 0);
    auto r = index->Score(RandomQuery(8, 1));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->top.empty());
    EXPECT_TRUE(r->contributions.empty());
    EXPECT_EQ(r->max_cosine, 0);
    EXPECT_EQ(r->ToJson()["contributions_total"], 0);
    EXPECT_TRUE(index->SelfInfluence().empty());
  }
}

}  // namespace
}  // namespace tributary::attribution
