// Near-duplicate detection for Datanet rows: MinHash signatures over word
// 5-gram shingles, indexed by locality-sensitive hashing (LSH) over bands.
//
// Everything here is deterministic: the same text and seed give the same
// signature, and the same inserts give the same candidates, on every machine
// (no std::hash, no pointer- or iteration-order-dependent results).
//
// Pipeline:
//  1. Words. The text is split on Unicode whitespace (the White_Space
//     property: U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680,
//     U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, recognised by
//     their UTF-8 byte sequences). ASCII 'A'..'Z' become 'a'..'z'; every other
//     byte (punctuation, digits, non-ASCII letters, invalid UTF-8) is kept as
//     it is. Runs of separators produce no empty words.
//  2. Shingles. Each window of 5 consecutive words, joined by one 0x20 byte,
//     is a shingle. A text of 1..4 words has one shingle of all its words; a
//     text with no words has no shingles. Shingles form a set.
//  3. Shingle hash. The first 8 bytes of SHA-256(shingle), read little-endian.
//  4. Signature. For i in [0, num_perm): value_i = min over shingle hashes x of
//     h_i(x) = (a_i * (x mod p) + b_i) mod p, p = 2^61 - 1. The pairs are drawn
//     from SplitMix64 started at `seed`, in the order a_0, b_0, a_1, b_1, ...:
//     a_i = 1 + next() mod (p - 1), b_i = next() mod p. A text with no
//     shingles has every value equal to kEmptyMinHashValue.
//  5. Estimated Jaccard similarity = fraction of positions with equal values.
//
// Thread-safety: MinHasher and MinHashSignature are immutable values, safe to
// share between threads. MinHashLsh is NOT thread-safe: concurrent calls need
// external synchronisation (const calls may run concurrently with each other).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/slot_table.h"
#include "tributary/base/status.h"

namespace tributary::datanet {

//! The Mersenne prime 2^61 - 1, modulus of the permutation hashes.
inline constexpr uint64_t kMersenne61 = (uint64_t{1} << 61) - 1;
//! Every value of the signature of a text with no shingles (never a real value, all are < p).
inline constexpr uint64_t kEmptyMinHashValue = ~uint64_t{0};
//! Words per shingle.
inline constexpr size_t kShingleWords = 5;
inline constexpr size_t kDefaultNumPerm = 128;
inline constexpr size_t kMinNumPerm = 16;
//! Upper bound on num_perm, so a bad option cannot ask for unbounded memory or work.
inline constexpr size_t kMaxNumPerm = 1024;
//! Default permutation seed ("TRIBUTRY" in ASCII). Changing it changes every signature.
inline constexpr uint64_t kDefaultMinHashSeed = 0x5452494255545259ULL;
inline constexpr double kDefaultLshThreshold = 0.8;

//! Splits `text` into words as described at the top of this file.
std::vector<std::string> SplitWords(std::string_view text);

//! The 64-bit hash of one shingle: the first 8 bytes of SHA-256(shingle), little-endian.
uint64_t ShingleHash(std::string_view shingle);

//! The set of shingle hashes of `text`, sorted ascending, without duplicates.
std::vector<uint64_t> ShingleHashes(std::string_view text);

//! SplitMix64 (Steele, Lea, Flood 2014): the generator behind the permutation parameters.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();

 private:
  uint64_t state_;
};

//! A MinHash signature: num_perm values. A plain value type.
class MinHashSignature {
 public:
  MinHashSignature() = default;
  explicit MinHashSignature(std::vector<uint64_t> values) : values_(std::move(values)) {}

  const std::vector<uint64_t>& values() const { return values_; }
  size_t num_perm() const { return values_.size(); }
  //! True when the signature came from a text with no shingles.
  bool IsEmptySet() const;

  //! num_perm little-endian u64s, 8 * num_perm bytes, no header.
  Bytes Serialize() const;
  //! Inverse of Serialize. InvalidArgument unless the length is a multiple of 8 giving
  //! kMinNumPerm..kMaxNumPerm values, each < 2^61 - 1, or all equal to kEmptyMinHashValue.
  static Result<MinHashSignature> Deserialize(ByteView bytes);

  friend bool operator==(const MinHashSignature&, const MinHashSignature&) = default;

 private:
  std::vector<uint64_t> values_;
};

//! Fraction of equal positions, in [0, 1]; InvalidArgument when the lengths differ or are 0.
//! Two empty-set signatures are equal everywhere, so they estimate 1.
Result<double> EstimateJaccard(const MinHashSignature& a, const MinHashSignature& b);

struct MinHashOptions {
  size_t num_perm = kDefaultNumPerm;  //!< kMinNumPerm..kMaxNumPerm
  uint64_t seed = kDefaultMinHashSeed;
};

//! Computes signatures. Immutable after Create; cheap to copy (2 * num_perm u64s).
class MinHasher {
 public:
  //! InvalidArgument when num_perm is outside [kMinNumPerm, kMaxNumPerm].
  static Result<MinHasher> Create(const MinHashOptions& options = {});

  size_t num_perm() const { return a_.size(); }
  uint64_t seed() const { return seed_; }

  //! Signature of a text: SplitWords, shingles, then FromShingleHashes.
  MinHashSignature FromText(std::string_view text) const;
  //! Signature of a set of shingle hashes (duplicates and order do not matter).
  MinHashSignature FromShingleHashes(std::span<const uint64_t> shingle_hashes) const;

 private:
  MinHasher() = default;
  uint64_t seed_ = 0;
  std::vector<uint64_t> a_;
  std::vector<uint64_t> b_;
};

//! LSH banding: the first bands * rows signature values, cut into `bands` bands of `rows`.
//! Two signatures become candidates when some band is equal in both; for true similarity s
//! the probability is 1 - (1 - s^rows)^bands, an S-curve rising near (1/bands)^(1/rows).
struct LshParams {
  size_t bands = 0;
  size_t rows = 0;
  //! (1/bands)^(1/rows): where the S-curve is steepest.
  double SCurveThreshold() const;
};

//! The (bands, rows) with bands * rows <= num_perm minimising
//!   fp_weight * integral_0^t P(s) ds + fn_weight * integral_t^1 (1 - P(s)) ds,
//! P(s) = 1 - (1 - s^rows)^bands, as datasketch's `_optimal_param` does (same search
//! order, bands then rows ascending, first strict minimum wins), the integrals by composite
//! Simpson's rule with 1000 intervals. For t = 0.8, num_perm = 128, weights 0.5/0.5 this is
//! bands = 9, rows = 13 (S-curve threshold ~0.845; 117 of the 128 values are banded, all
//! 128 feed the similarity estimate). InvalidArgument when t is not in (0, 1), num_perm is
//! outside [kMinNumPerm, kMaxNumPerm], or a weight is negative, not finite, or both are 0.
Result<LshParams> OptimalLshParams(double threshold, size_t num_perm,
                                   double false_positive_weight = 0.5,
                                   double false_negative_weight = 0.5);

struct LshOptions {
  double threshold = kDefaultLshThreshold;  //!< target similarity, in (0, 1)
  size_t num_perm = kDefaultNumPerm;        //!< must equal the signatures' num_perm
  double false_positive_weight = 0.5;
  double false_negative_weight = 0.5;
};

//! Bits of each signature value MinHashLsh keeps (b-bit minwise hashing, Li and König 2010).
inline constexpr int kFingerprintBits = 8;

//! The `kFingerprintBits`-bit fingerprint MinHashLsh keeps of a signature value: the low byte
//! of the value passed through the SplitMix64 output function.
uint8_t MinHashFingerprint(uint64_t value);

//! The similarity MinHashLsh reports: the fraction f of positions whose fingerprints agree,
//! corrected for the chance c = 2^-kFingerprintBits that two different values share one,
//! (f - c) / (1 - c), computed as (256 k - n) / (255 n) for k agreeing of n positions and at
//! least 0. Equal signatures give exactly 1. Its variance is within 1% of EstimateJaccard's for
//! similarities of 0.5 and above. InvalidArgument when the lengths differ or are 0.
Result<double> EstimateJaccardFromFingerprints(const MinHashSignature& a,
                                               const MinHashSignature& b);

//! A candidate found by FindNearDuplicates.
struct NearDuplicate {
  uint64_t id = 0;
  double similarity = 0;  //!< EstimateJaccardFromFingerprints
  friend bool operator==(const NearDuplicate&, const NearDuplicate&) = default;
};

//! An LSH index of signatures by id. Not thread-safe (see the top of this file).
//! Recall: a pair right at the configured threshold becomes a candidate only about half the
//! time (S-curve). To catch pairs of similarity >= s reliably, build the index with a
//! threshold somewhat below s (e.g. 0.6 catches 0.84 with probability ~0.998) and pass s as
//! FindNearDuplicates' min_similarity. With 5-word shingles one interior word edit replaces
//! about 5 shingles, so 2-3 edits in an 80-word row already give a similarity near 0.7.
//! Memory: an entry keeps its id and one 8-bit fingerprint per signature value (8 + num_perm
//! bytes, in chunks of 1,024 entries) and one 4-byte slot per band in a SlotTable per band, whose
//! position comes from the band's fingerprints. Bands are compared on fingerprints, so a
//! position whose values differ still agrees 1 time in 256: a band matches with probability
//! s'^rows for s' = s + (1 - s) / 256, as if the pair were very slightly more similar. Every
//! exact band match is found; the few extra candidates are filtered by FindNearDuplicates. At
//! num_perm 128 and 18 bands that is about 250-350 bytes an entry, against 3 KB for full
//! signatures in node-based maps.
class MinHashLsh {
 public:
  //! Picks (bands, rows) with OptimalLshParams; its errors are returned.
  static Result<MinHashLsh> Create(const LshOptions& options = {});

  const LshParams& params() const { return params_; }
  size_t num_perm() const { return num_perm_; }
  double threshold() const { return threshold_; }
  size_t size() const { return by_id_.size(); }
  bool Contains(uint64_t id) const { return SlotOf(id) != SlotTable::kEmpty; }
  //! Heap bytes held by the index.
  size_t MemoryBytes() const;

  //! AlreadyExists when `id` is present; InvalidArgument when the signature's num_perm differs;
  //! ResourceExhausted past 2^32 - 2 entries.
  Status Insert(uint64_t id, const MinHashSignature& signature);
  //! NotFound when `id` is absent.
  Status Remove(uint64_t id);

  //! Ids sharing at least one band with `signature`, ascending. InvalidArgument on a
  //! num_perm mismatch.
  Result<std::vector<uint64_t>> Query(const MinHashSignature& signature) const;

  //! Candidates from Query whose estimated similarity (EstimateJaccardFromFingerprints) with
  //! `signature` is >= `min_similarity`, by similarity descending then id ascending.
  //! InvalidArgument when min_similarity is not in (0, 1] or on a num_perm mismatch.
  Result<std::vector<NearDuplicate>> FindNearDuplicates(const MinHashSignature& signature,
                                                        double min_similarity) const;

 private:
  static constexpr size_t kChunkEntries = 1024;

  MinHashLsh() = default;
  Status CheckSignature(const MinHashSignature& signature) const;
  std::vector<uint8_t> Fingerprints(const MinHashSignature& signature) const;
  uint64_t BandHash(size_t band, const uint8_t* fingerprints) const;
  uint64_t IdHash(uint64_t id) const;
  //! Entry `slot`: its id (8 bytes, native order) then num_perm_ fingerprints.
  uint8_t* EntryAt(uint32_t slot) const {
    return chunks_[slot / kChunkEntries].get() + (slot % kChunkEntries) * (8 + num_perm_);
  }
  uint64_t IdAt(uint32_t slot) const;
  uint32_t SlotOf(uint64_t id) const;
  //! Slots sharing a band with `fingerprints`, ascending.
  std::vector<uint32_t> CandidateSlots(const std::vector<uint8_t>& fingerprints) const;

  LshParams params_;
  size_t num_perm_ = 0;
  double threshold_ = 0;
  uint64_t hash_key_ = 0;  // per index, from std::random_device: see SlotTable on crafted input
  std::vector<std::unique_ptr<uint8_t[]>> chunks_;
  uint32_t next_slot_ = 0;  // slots below it were used; the free ones are in free_slots_
  std::vector<uint32_t> free_slots_;
  SlotTable by_id_;
  std::vector<SlotTable> bands_;
};

}  // namespace tributary::datanet
