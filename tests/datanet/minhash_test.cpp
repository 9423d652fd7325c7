#include "tributary/datanet/minhash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/hash.h"

namespace tributary::datanet {
namespace {

// A 60-word paragraph used by several tests.
constexpr std::string_view kParagraph =
    "The community datanet collects rows of text written by volunteers who translate short "
    "stories, recipes and weather reports into many languages so that small models can learn "
    "from them. Each contribution is reviewed by other members before it is accepted, and rows "
    "that repeat what is already there earn nothing because the ledger pays only for new and "
    "useful data.";

MinHasher DefaultHasher() {
  auto hasher = MinHasher::Create();
  EXPECT_TRUE(hasher.ok()) << hasher.status().ToString();
  return std::move(hasher).value();
}

MinHashLsh MakeLsh(double threshold) {
  LshOptions options;
  options.threshold = threshold;
  auto lsh = MinHashLsh::Create(options);
  EXPECT_TRUE(lsh.ok()) << lsh.status().ToString();
  return std::move(lsh).value();
}

// True Jaccard similarity of the shingle sets of two texts.
double TrueJaccard(std::string_view x, std::string_view y) {
  std::vector<uint64_t> a = ShingleHashes(x);
  std::vector<uint64_t> b = ShingleHashes(y);
  std::vector<uint64_t> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  size_t uni = a.size() + b.size() - both.size();
  return uni == 0 ? 1.0 : static_cast<double>(both.size()) / static_cast<double>(uni);
}

std::vector<std::string> Words(std::string_view text) { return SplitWords(text); }

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  return out;
}

TEST(MinHashWordsTest, SplitsOnUnicodeWhitespaceAndLowercasesAscii) {
  EXPECT_EQ(SplitWords(""), std::vector<std::string>{});
  EXPECT_EQ(SplitWords(" \t\n\r\v\f "), std::vector<std::string>{});
  EXPECT_EQ(SplitWords("  Hello,\tWORLD!\n"), (std::vector<std::string>{"hello,", "world!"}));
  // U+00A0 NO-BREAK SPACE, U+3000 IDEOGRAPHIC SPACE, U+2009 THIN SPACE, U+0085 NEL.
  EXPECT_EQ(SplitWords("a\xC2\xA0"
                       "b\xE3\x80\x80"
                       "c\xE2\x80\x89"
                       "d\xC2\x85"
                       "e"),
            (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  // Non-ASCII letters are kept as they are (no Unicode case folding); U+200B is not whitespace.
  EXPECT_EQ(SplitWords("\xC3\x89t\xC3\xA9 A\xE2\x80\x8B"
                       "B"),
            (std::vector<std::string>{"\xC3\x89t\xC3\xA9",
                                      "a\xE2\x80\x8B"
                                      "b"}));
  // Invalid UTF-8 bytes are kept.
  EXPECT_EQ(SplitWords("x\xFF\xC2 y"), (std::vector<std::string>{"x\xFF\xC2", "y"}));
}

TEST(MinHashShingleTest, WordFiveGrams) {
  EXPECT_TRUE(ShingleHashes("").empty());
  EXPECT_TRUE(ShingleHashes(" \n ").empty());
  // Fewer than five words: one shingle of all of them.
  EXPECT_EQ(ShingleHashes("one two three"), std::vector<uint64_t>{ShingleHash("one two three")});
  EXPECT_EQ(ShingleHashes("One  TWO\tthree"), ShingleHashes("one two three"));
  // n >= 5 words: n - 4 shingles.
  std::vector<uint64_t> six = ShingleHashes("a b c d e f");
  std::vector<uint64_t> expected = {ShingleHash("a b c d e"), ShingleHash("b c d e f")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(six, expected);
  // A set: repeated shingles count once.
  EXPECT_EQ(ShingleHashes("x x x x x x x x").size(), 1u);
  EXPECT_EQ(ShingleHashes(kParagraph).size(), Words(kParagraph).size() - 4);
}

TEST(MinHashShingleTest, ShingleHashIsLittleEndianSha256Prefix) {
  // SHA-256("abc") = ba7816bf 8f01cfea ...
  EXPECT_EQ(ShingleHash("abc"), 0xeacf018fbf1678baULL);
  Hash32 d = Sha256(AsBytes("hello world"));
  uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | d[k];
  EXPECT_EQ(ShingleHash("hello world"), v);
}

TEST(MinHashTest, SplitMix64KnownValues) {
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng.Next(), 0x06c45d188009454fULL);
}

TEST(MinHashTest, SignatureMatchesReferenceModularArithmetic) {
  // Rebuild (a_i, b_i) from the documented derivation and compare with plain % arithmetic,
  // including shingle hashes at and above p, where the fold trick could go wrong.
  MinHasher hasher = DefaultHasher();
  const unsigned __int128 p = kMersenne61;
  for (uint64_t x : {uint64_t{0}, uint64_t{1}, kMersenne61 - 1, kMersenne61, kMersenne61 + 5,
                     ~uint64_t{0}, uint64_t{0x0123456789abcdef}}) {
    std::vector<uint64_t> one = {x};
    MinHashSignature sig = hasher.FromShingleHashes(one);
    SplitMix64 rng(kDefaultMinHashSeed);
    for (size_t i = 0; i < hasher.num_perm(); ++i) {
      uint64_t a = 1 + rng.Next() % (kMersenne61 - 1);
      uint64_t b = rng.Next() % kMersenne61;
      uint64_t want = static_cast<uint64_t>((a * ((unsigned __int128)x % p) + b) % p);
      ASSERT_EQ(sig.values()[i], want) << "x=" << x << " i=" << i;
    }
  }
}

TEST(MinHashTest, DeterministicSignaturePrefix) {
  // Pinned values (cross-checked with an independent Python implementation of the documented
  // steps): a change here changes every stored signature. Update only on purpose.
  MinHasher hasher = DefaultHasher();
  MinHashSignature sig = hasher.FromText(kParagraph);
  ASSERT_EQ(sig.num_perm(), 128u);
  EXPECT_EQ(sig.values()[0], 0x001f8e015f811726ULL);
  EXPECT_EQ(sig.values()[1], 0x0110d6a9cb043aaeULL);
  EXPECT_EQ(sig.values()[2], 0x00910213ea8d2c4eULL);
  EXPECT_EQ(sig.values()[3], 0x004d5de75cabd3c4ULL);

  auto seeded = MinHasher::Create({.num_perm = 16, .seed = 42});
  ASSERT_TRUE(seeded.ok());
  MinHashSignature small = seeded->FromText("the quick brown fox jumps over the lazy dog");
  EXPECT_EQ(small.values()[0], 0x0b965bce1b287e38ULL);
  EXPECT_EQ(small.values()[1], 0x075fae68be742246ULL);
  EXPECT_EQ(small.values()[2], 0x03a5282ff2f46bd4ULL);
  EXPECT_EQ(small.values()[3], 0x01315d5ab1195e62ULL);
}

TEST(MinHashTest, IdenticalTextsHaveSimilarityOne) {
  MinHasher hasher = DefaultHasher();
  MinHashSignature a = hasher.FromText(kParagraph);
  // Same words, different case and spacing: same shingles.
  std::string respaced = Join(Words(kParagraph));
  std::transform(respaced.begin(), respaced.end(), respaced.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
  respaced = "  " + respaced + "\n";
  MinHashSignature b = hasher.FromText(respaced);
  EXPECT_EQ(a, b);
  EXPECT_EQ(*EstimateJaccard(a, b), 1.0);

  MinHashLsh lsh = MakeLsh(kDefaultLshThreshold);
  ASSERT_TRUE(lsh.Insert(7, a).ok());
  auto found = lsh.FindNearDuplicates(b, 1.0);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, (std::vector<NearDuplicate>{{7, 1.0}}));
}

TEST(MinHashTest, EmptyText) {
  MinHasher hasher = DefaultHasher();
  MinHashSignature empty = hasher.FromText(" \n");
  EXPECT_TRUE(empty.IsEmptySet());
  EXPECT_FALSE(hasher.FromText("word").IsEmptySet());
  EXPECT_EQ(*EstimateJaccard(empty, hasher.FromText("")), 1.0);
  EXPECT_EQ(*EstimateJaccard(empty, hasher.FromText(kParagraph)), 0.0);
}

TEST(MinHashLshTest, OneWordChangedInSixtyIsANearDuplicate) {
  std::vector<std::string> words = Words(kParagraph);
  ASSERT_EQ(words.size(), 60u);
  std::string original = Join(words);
  words[30] = "deliberately";  // an interior word: 5 of the 56 shingles change
  std::string edited = Join(words);
  const double truth = TrueJaccard(original, edited);
  EXPECT_GT(truth, 0.8);

  MinHasher hasher = DefaultHasher();
  MinHashSignature a = hasher.FromText(original);
  MinHashSignature b = hasher.FromText(edited);
  const double estimate = *EstimateJaccard(a, b);
  EXPECT_NEAR(estimate, truth, 0.15);  // 128 permutations: standard error ~0.035

  // An index set below the similarity to catch gets it with probability ~0.998 (S-curve of
  // (18, 7) at 0.84); the estimate then filters out the merely similar.
  MinHashLsh lsh = MakeLsh(0.6);
  ASSERT_TRUE(lsh.Insert(1, a).ok());
  ASSERT_TRUE(lsh.Insert(2, hasher.FromText("an unrelated row about something else entirely, "
                                            "with its own words in its own order"))
                  .ok());
  auto found = lsh.FindNearDuplicates(b, 0.7);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, 1u);
  EXPECT_EQ((*found)[0].similarity, *EstimateJaccardFromFingerprints(a, b));
  EXPECT_NEAR((*found)[0].similarity, estimate, 0.05);
}

TEST(MinHashLshTest, FingerprintEstimateCorrectsForChanceAgreement) {
  MinHasher hasher = DefaultHasher();
  MinHashSignature a = hasher.FromText(kParagraph);
  EXPECT_EQ(*EstimateJaccardFromFingerprints(a, a), 1.0);  // exactly
  // k of n fingerprints agreeing give (256 k - n) / (255 n), and never less than 0.
  std::vector<uint64_t> values = a.values();
  size_t changed = 0;
  for (size_t i = 0; i < values.size() && changed < 25; ++i) {
    const uint64_t other = (values[i] + 1) % kMersenne61;
    if (MinHashFingerprint(other) == MinHashFingerprint(values[i])) continue;
    values[i] = other;
    ++changed;
  }
  ASSERT_EQ(changed, 25u);
  const double n = static_cast<double>(values.size());
  EXPECT_EQ(*EstimateJaccardFromFingerprints(a, MinHashSignature(values)),
            (256 * (n - 25) - n) / (255 * n));
  MinHashSignature unrelated = hasher.FromText(
      "Mix the flour with two eggs and a cup of milk, then let the batter rest for an hour.");
  EXPECT_GE(*EstimateJaccardFromFingerprints(a, unrelated), 0.0);
  EXPECT_LT(*EstimateJaccardFromFingerprints(a, unrelated), 0.05);
  EXPECT_FALSE(EstimateJaccardFromFingerprints(a, MinHashSignature()).ok());
}

// The compact index answers what an exact scan over full signatures would: same candidates for a
// band match, and a similarity within sampling noise of the full estimate.
TEST(MinHashLshTest, CompactIndexAgreesWithAnExactScanAndStaysSmall) {
  MinHasher hasher = DefaultHasher();
  MinHashLsh lsh = MakeLsh(0.6);
  std::mt19937_64 rng(11);
  std::vector<std::string> words = Words(kParagraph);
  std::vector<MinHashSignature> held;
  for (uint64_t id = 0; id < 3000; ++id) {
    std::vector<std::string> w = words;
    for (int e = 0; e < 1 + static_cast<int>(id % 40); ++e)
      w[rng() % w.size()] = "w" + std::to_string(rng() % 1000);
    held.push_back(hasher.FromText(Join(w)));
    ASSERT_TRUE(lsh.Insert(id * 7919, held.back()).ok());
  }
  const LshParams p = lsh.params();
  for (int q = 0; q < 20; ++q) {
    std::vector<std::string> w = words;
    w[rng() % w.size()] = "query";
    MinHashSignature sig = hasher.FromText(Join(w));
    std::vector<uint64_t> want;
    for (uint64_t id = 0; id < held.size(); ++id) {
      for (size_t band = 0; band < p.bands; ++band) {
        if (std::equal(sig.values().begin() + band * p.rows,
                       sig.values().begin() + (band + 1) * p.rows,
                       held[id].values().begin() + band * p.rows)) {
          want.push_back(id * 7919);
          break;
        }
      }
    }
    // Every exact band match is found. A band also matches on fingerprints where a value
    // differs but its fingerprint collides (1 in 256 a position), so a few more may come.
    const std::vector<uint64_t> got = *lsh.Query(sig);
    std::vector<uint64_t> missing, extra;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                        std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                        std::back_inserter(extra));
    EXPECT_TRUE(missing.empty()) << missing.size() << " of " << want.size() << " missing";
    EXPECT_LE(extra.size() * 4, want.size() + 10) << extra.size() << " extra";
    const std::vector<NearDuplicate> found = *lsh.FindNearDuplicates(sig, 0.5);
    for (const NearDuplicate& d : found) {
      EXPECT_NEAR(d.similarity, *EstimateJaccard(sig, held[d.id / 7919]), 0.03);
    }
  }
  // 128 fingerprints and an id, and 18 four-byte band slots at most 3/4 full.
  EXPECT_LT(lsh.MemoryBytes() / lsh.size(), 400u);
  // Removing every other entry leaves the rest findable, and their slots are reused.
  for (uint64_t id = 0; id < held.size(); id += 2) ASSERT_TRUE(lsh.Remove(id * 7919).ok());
  const size_t bytes = lsh.MemoryBytes();
  for (uint64_t id = 1; id < held.size(); id += 2) {
    auto found = lsh.FindNearDuplicates(held[id], 1.0);
    ASSERT_TRUE(found.ok());
    ASSERT_FALSE(found->empty());
    EXPECT_TRUE(std::any_of(found->begin(), found->end(),
                            [&](const NearDuplicate& d) { return d.id == id * 7919; }));
  }
  for (uint64_t id = 0; id < held.size(); id += 2)
    ASSERT_TRUE(lsh.Insert(id * 7919, held[id]).ok());
  EXPECT_EQ(lsh.MemoryBytes(), bytes);
  EXPECT_EQ(lsh.size(), held.size());
}

TEST(MinHashLshTest, UnrelatedTextsAreNotFound) {
  MinHasher hasher = DefaultHasher();
  MinHashLsh lsh = MakeLsh(kDefaultLshThreshold);
  ASSERT_TRUE(lsh.Insert(1, hasher.FromText(kParagraph)).ok());
  MinHashSignature other = hasher.FromText(
      "Mix the flour with two eggs and a cup of milk, then let the batter rest for an hour "
      "before frying thin pancakes in a hot pan with a little butter on each side.");
  EXPECT_LT(*EstimateJaccard(hasher.FromText(kParagraph), other), 0.1);
  EXPECT_TRUE(lsh.Query(other)->empty());
  EXPECT_TRUE(lsh.FindNearDuplicates(other, 0.5)->empty());
}

TEST(MinHashLshTest, ResultsSortedBySimilarityThenId) {
  MinHasher hasher = DefaultHasher();
  std::vector<std::string> words = Words(kParagraph);
  std::string base = Join(words);
  std::vector<std::string> one = words;
  one[20] = "changed";
  std::vector<std::string> two = one;
  two[40] = "changed";
  MinHashLsh lsh = MakeLsh(0.5);
  ASSERT_TRUE(lsh.Insert(30, hasher.FromText(Join(two))).ok());
  ASSERT_TRUE(lsh.Insert(20, hasher.FromText(Join(one))).ok());
  ASSERT_TRUE(lsh.Insert(11, hasher.FromText(base)).ok());
  ASSERT_TRUE(lsh.Insert(10, hasher.FromText(base)).ok());
  auto found = lsh.FindNearDuplicates(hasher.FromText(base), 0.5);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 4u);
  EXPECT_EQ((*found)[0], (NearDuplicate{10, 1.0}));
  EXPECT_EQ((*found)[1], (NearDuplicate{11, 1.0}));
  EXPECT_EQ((*found)[2].id, 20u);
  EXPECT_EQ((*found)[3].id, 30u);
  EXPECT_GT((*found)[2].similarity, (*found)[3].similarity);
  EXPECT_EQ(*lsh.Query(hasher.FromText(base)), (std::vector<uint64_t>{10, 11, 20, 30}));
}

TEST(MinHashLshTest, InsertAndRemove) {
  MinHasher hasher = DefaultHasher();
  MinHashSignature sig = hasher.FromText(kParagraph);
  MinHashLsh lsh = MakeLsh(kDefaultLshThreshold);
  ASSERT_TRUE(lsh.Insert(5, sig).ok());
  ASSERT_TRUE(lsh.Insert(6, sig).ok());
  EXPECT_EQ(lsh.Insert(5, sig).code(), Code::kAlreadyExists);
  EXPECT_EQ(lsh.size(), 2u);
  EXPECT_EQ(*lsh.Query(sig), (std::vector<uint64_t>{5, 6}));

  ASSERT_TRUE(lsh.Remove(5).ok());
  EXPECT_FALSE(lsh.Contains(5));
  EXPECT_TRUE(lsh.Contains(6));
  EXPECT_EQ(lsh.Remove(5).code(), Code::kNotFound);
  EXPECT_EQ(*lsh.Query(sig), (std::vector<uint64_t>{6}));
  EXPECT_EQ(lsh.FindNearDuplicates(sig, 0.9)->size(), 1u);

  ASSERT_TRUE(lsh.Remove(6).ok());
  EXPECT_EQ(lsh.size(), 0u);
  EXPECT_TRUE(lsh.Query(sig)->empty());
  // The id can come back after removal.
  ASSERT_TRUE(lsh.Insert(5, sig).ok());
  EXPECT_EQ(*lsh.Query(sig), (std::vector<uint64_t>{5}));
}

TEST(MinHashTest, SerializationRoundTrip) {
  MinHasher hasher = DefaultHasher();
  for (std::string_view text : {kParagraph, std::string_view("short text"), std::string_view("")}) {
    MinHashSignature sig = hasher.FromText(text);
    Bytes bytes = sig.Serialize();
    ASSERT_EQ(bytes.size(), 8 * 128u);
    auto back = MinHashSignature::Deserialize(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, sig);
  }
  // Little-endian u64s.
  MinHashSignature sig = hasher.FromText(kParagraph);
  Bytes bytes = sig.Serialize();
  uint64_t first = 0;
  for (int k = 7; k >= 0; --k) first = (first << 8) | bytes[k];
  EXPECT_EQ(first, sig.values()[0]);

  EXPECT_EQ(MinHashSignature::Deserialize(ByteView(bytes.data(), 8 * 128 - 1)).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(MinHashSignature::Deserialize(ByteView(bytes.data(), 8 * 15)).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(MinHashSignature::Deserialize(Bytes{}).status().code(), Code::kInvalidArgument);
  Bytes too_big = bytes;
  for (int k = 0; k < 8; ++k) too_big[k] = 0xFF;  // an empty-set slot among real values
  EXPECT_EQ(MinHashSignature::Deserialize(too_big).status().code(), Code::kInvalidArgument);
  too_big[0] = 0xFE;  // 2^64 - 2 >= p
  EXPECT_EQ(MinHashSignature::Deserialize(too_big).status().code(), Code::kInvalidArgument);
}

TEST(MinHashTest, Validation) {
  EXPECT_EQ(MinHasher::Create({.num_perm = 15}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(MinHasher::Create({.num_perm = 0}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(MinHasher::Create({.num_perm = kMaxNumPerm + 1}).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(MinHasher::Create({.num_perm = 16}).ok());

  for (double bad : {0.0, 1.0, -0.1, 1.5, std::nan("")}) {
    LshOptions options;
    options.threshold = bad;
    EXPECT_EQ(MinHashLsh::Create(options).status().code(), Code::kInvalidArgument) << bad;
  }
  LshOptions few;
  few.num_perm = 8;
  EXPECT_EQ(MinHashLsh::Create(few).status().code(), Code::kInvalidArgument);
  LshOptions weights;
  weights.false_positive_weight = 0;
  weights.false_negative_weight = 0;
  EXPECT_EQ(MinHashLsh::Create(weights).status().code(), Code::kInvalidArgument);
  weights.false_positive_weight = -1;
  weights.false_negative_weight = 1;
  EXPECT_EQ(MinHashLsh::Create(weights).status().code(), Code::kInvalidArgument);

  MinHashLsh lsh = MakeLsh(kDefaultLshThreshold);
  MinHashSignature sig = DefaultHasher().FromText(kParagraph);
  for (double bad : {0.0, -0.5, 1.01, std::nan("")}) {
    EXPECT_EQ(lsh.FindNearDuplicates(sig, bad).status().code(), Code::kInvalidArgument) << bad;
  }
  MinHashSignature short_sig = MinHasher::Create({.num_perm = 64})->FromText(kParagraph);
  EXPECT_EQ(lsh.Insert(1, short_sig).code(), Code::kInvalidArgument);
  EXPECT_EQ(lsh.Query(short_sig).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(EstimateJaccard(sig, short_sig).status().code(), Code::kInvalidArgument);
}

TEST(MinHashLshTest, OptimalParams) {
  auto p = OptimalLshParams(0.8, 128);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->bands, 9u);  // as datasketch's MinHashLSH(threshold=0.8, num_perm=128)
  EXPECT_EQ(p->rows, 13u);
  EXPECT_NEAR(p->SCurveThreshold(), 0.845, 0.001);
  EXPECT_EQ(MakeLsh(kDefaultLshThreshold).params().bands, 9u);
  for (double t : {0.3, 0.5, 0.6, 0.7, 0.9}) {
    auto q = OptimalLshParams(t, 128);
    ASSERT_TRUE(q.ok());
    EXPECT_LE(q->bands * q->rows, 128u);
    EXPECT_NEAR(q->SCurveThreshold(), t, 0.1) << t;
  }
  // Weighting false negatives more lowers the S-curve.
  auto recall_heavy = OptimalLshParams(0.8, 128, 0.2, 0.8);
  ASSERT_TRUE(recall_heavy.ok());
  EXPECT_LT(recall_heavy->SCurveThreshold(), p->SCurveThreshold());
}

// Deterministic synthetic corpus: SplitMix64 only, so it is the same on every platform.
struct Corpus {
  std::vector<std::string> base, near, unrelated;
  std::vector<double> near_jaccard;
};

Corpus MakeCorpus() {
  SplitMix64 rng(20240601);
  auto below = [&](uint64_t n) { return rng.Next() % n; };
  std::vector<std::string> vocab;
  vocab.reserve(5000);
  for (int i = 0; i < 5000; ++i) {
    std::string w;
    size_t len = 3 + below(8);
    for (size_t k = 0; k < len; ++k) w.push_back(static_cast<char>('a' + below(26)));
    vocab.push_back(w + std::to_string(i));  // suffix keeps the 5,000 words distinct
  }
  auto random_words = [&](size_t n) {
    std::vector<std::string> words(n);
    for (auto& w : words) w = vocab[below(vocab.size())];
    return words;
  };
  Corpus c;
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> words = random_words(80);
    c.base.push_back(Join(words));
    size_t edits = 2 + below(2);  // 2 or 3 word edits: substitute, insert or delete
    for (size_t e = 0; e < edits; ++e) {
      size_t pos = below(words.size());
      switch (below(3)) {
        case 0:
          words[pos] = vocab[below(vocab.size())];
          break;
        case 1:
          words.insert(words.begin() + static_cast<ptrdiff_t>(pos), vocab[below(vocab.size())]);
          break;
        default:
          words.erase(words.begin() + static_cast<ptrdiff_t>(pos));
      }
    }
    c.near.push_back(Join(words));
    c.near_jaccard.push_back(TrueJaccard(c.base.back(), c.near.back()));
    c.unrelated.push_back(Join(random_words(80)));
  }
  return c;
}

struct Measured {
  double recall = 0, false_positive_rate = 0, precision = 0;
};

Measured Measure(const Corpus& c, const MinHasher& hasher, double threshold) {
  MinHashLsh lsh = MakeLsh(threshold);
  for (size_t i = 0; i < c.base.size(); ++i) {
    EXPECT_TRUE(lsh.Insert(i, hasher.FromText(c.base[i])).ok());
  }
  size_t hits = 0, returned = 0, correct = 0, false_alarms = 0;
  for (size_t i = 0; i < c.near.size(); ++i) {
    auto found = lsh.FindNearDuplicates(hasher.FromText(c.near[i]), threshold);
    EXPECT_TRUE(found.ok());
    returned += found->size();
    for (const NearDuplicate& d : *found) correct += d.id == i ? 1 : 0;
    hits += std::any_of(found->begin(), found->end(),
                        [&](const NearDuplicate& d) { return d.id == i; });
  }
  for (const std::string& text : c.unrelated) {
    auto found = lsh.FindNearDuplicates(hasher.FromText(text), threshold);
    EXPECT_TRUE(found.ok());
    false_alarms += found->empty() ? 0 : 1;
  }
  Measured m;
  m.recall = static_cast<double>(hits) / c.near.size();
  m.false_positive_rate = static_cast<double>(false_alarms) / c.unrelated.size();
  m.precision = returned == 0 ? 1.0 : static_cast<double>(correct) / returned;
  return m;
}

TEST(MinHashLshTest, SyntheticRecallAndFalsePositives) {
  const Corpus c = MakeCorpus();
  // With 5-word shingles each interior edit replaces ~5 of 76 shingles, so 2-3 edits put
  // the true Jaccard of a near-copy at ~0.6-0.8; an index at 0.5 is the one that targets them.
  double min_j = 1, sum_j = 0;
  for (double j : c.near_jaccard) {
    min_j = std::min(min_j, j);
    sum_j += j;
  }
  MinHasher hasher = DefaultHasher();
  Measured m = Measure(c, hasher, 0.5);
  std::cout << "near-copy true Jaccard: min " << min_j << ", mean " << sum_j / c.near.size()
            << "\nthreshold 0.5: recall " << m.recall << ", false-positive rate "
            << m.false_positive_rate << ", precision " << m.precision << "\n";
  EXPECT_GE(m.recall, 0.95);
  EXPECT_LE(m.false_positive_rate, 0.02);
  EXPECT_GE(m.precision, 0.95);

  // For information: the default 0.8 index on the same near-copies, most of which are below
  // 0.8, so low recall there is the intended behaviour.
  Measured d = Measure(c, hasher, kDefaultLshThreshold);
  std::cout << "threshold 0.8: recall " << d.recall << ", false-positive rate "
            << d.false_positive_rate << ", precision " << d.precision << "\n";
  EXPECT_LE(d.false_positive_rate, 0.02);
}

}  // namespace
}  // namespace tributary::datanet
