#include "tributary/datanet/minhash.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <tuple>

#include "tributary/base/hash.h"

namespace tributary::datanet {

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// x mod (2^61 - 1) for any 64-bit x.
uint64_t ReduceMersenne(uint64_t x) {
  uint64_t r = (x & kMersenne61) + (x >> 61);  // < 2^61 + 8
  return r >= kMersenne61 ? r - kMersenne61 : r;
}

// (a * x + b) mod (2^61 - 1) for a, x, b < 2^61 - 1, folding 2^61 = 1 (mod p).
uint64_t MulAddMod(uint64_t a, uint64_t x, uint64_t b) {
  unsigned __int128 z = static_cast<unsigned __int128>(a) * x + b;  // < 2^122 + 2^61
  uint64_t r = static_cast<uint64_t>(z & kMersenne61) + static_cast<uint64_t>(z >> 61);
  r = (r & kMersenne61) + (r >> 61);  // r was < 2^62 + 1, now <= 2^61 + 1
  return r >= kMersenne61 ? r - kMersenne61 : r;
}

// Length of the UTF-8 encoded White_Space code point starting at s[i], or 0.
size_t WhitespaceLength(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100u;
  };
  const unsigned c = at(0);
  if (c == 0x20 || (c >= 0x09 && c <= 0x0D)) return 1;
  if (c == 0xC2) return (at(1) == 0x85 || at(1) == 0xA0) ? 2 : 0;  // U+0085, U+00A0
  if (c == 0xE1) return (at(1) == 0x9A && at(2) == 0x80) ? 3 : 0;  // U+1680
  if (c == 0xE2) {
    const unsigned c1 = at(1), c2 = at(2);
    if (c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8A) ||  // U+2000..U+200A
                       c2 == 0xA8 || c2 == 0xA9 ||    // U+2028, U+2029
                       c2 == 0xAF)) {                 // U+202F
      return 3;
    }
    if (c1 == 0x81 && c2 == 0x9F) return 3;  // U+205F
    return 0;
  }
  if (c == 0xE3) return (at(1) == 0x80 && at(2) == 0x80) ? 3 : 0;  // U+3000
  return 0;
}

// Composite Simpson's rule over [lo, hi] with an even number of intervals.
template <typename F>
double Integrate(F f, double lo, double hi) {
  constexpr int kIntervals = 1000;
  const double h = (hi - lo) / kIntervals;
  double sum = f(lo) + f(hi);
  for (int k = 1; k < kIntervals; ++k) sum += (k % 2 == 1 ? 4.0 : 2.0) * f(lo + k * h);
  return sum * h / 3.0;
}

Status CheckNumPerm(size_t num_perm) {
  if (num_perm < kMinNumPerm || num_perm > kMaxNumPerm) {
    return Status::InvalidArgument("num_perm must be in [" + std::to_string(kMinNumPerm) + ", " +
                                       std::to_string(kMaxNumPerm) + "], got " +
                                       std::to_string(num_perm),
                                   "bad_num_perm");
  }
  return Status::OK();
}

}  // namespace

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  size_t i = 0;
  while (i < text.size()) {
    const size_t ws = WhitespaceLength(text, i);
    if (ws > 0) {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
      i += ws;
      continue;
    }
    char c = text[i++];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    current.push_back(c);
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

uint64_t ShingleHash(std::string_view shingle) {
  const Hash32 digest = Sha256(AsBytes(shingle));
  uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | digest[k];
  return v;
}

std::vector<uint64_t> ShingleHashes(std::string_view text) {
  const std::vector<std::string> words = SplitWords(text);
  std::vector<uint64_t> out;
  if (words.empty()) return out;
  const size_t window = std::min(words.size(), kShingleWords);
  const size_t count = words.size() - window + 1;
  out.reserve(count);
  std::string shingle;
  for (size_t start = 0; start < count; ++start) {
    shingle.clear();
    for (size_t k = 0; k < window; ++k) {
      if (k > 0) shingle.push_back(' ');
      shingle += words[start + k];
    }
    out.push_back(ShingleHash(shingle));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

uint64_t SplitMix64::Next() {
  state_ += kGolden;
  return Mix64(state_);
}

bool MinHashSignature::IsEmptySet() const {
  return !values_.empty() && std::all_of(values_.begin(), values_.end(),
                                         [](uint64_t v) { return v == kEmptyMinHashValue; });
}

Bytes MinHashSignature::Serialize() const {
  Bytes out;
  out.reserve(values_.size() * 8);
  for (uint64_t v : values_) {
    for (int k = 0; k < 8; ++k) out.push_back(static_cast<uint8_t>(v >> (8 * k)));
  }
  return out;
}

Result<MinHashSignature> MinHashSignature::Deserialize(ByteView bytes) {
  if (bytes.size() % 8 != 0) {
    return Status::InvalidArgument(
        "signature length " + std::to_string(bytes.size()) + " is not a multiple of 8",
        "bad_signature_length");
  }
  TRIB_RETURN_IF_ERROR(CheckNumPerm(bytes.size() / 8));
  std::vector<uint64_t> values(bytes.size() / 8);
  size_t empty_slots = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t v = 0;
    for (int k = 7; k >= 0; --k) v = (v << 8) | bytes[8 * i + k];
    if (v == kEmptyMinHashValue) {
      ++empty_slots;
    } else if (v >= kMersenne61) {
      return Status::InvalidArgument(
          "signature value " + std::to_string(i) + " is not below 2^61-1", "bad_signature_value");
    }
    values[i] = v;
  }
  if (empty_slots != 0 && empty_slots != values.size()) {
    return Status::InvalidArgument("signature mixes empty-set and real values",
                                   "bad_signature_value");
  }
  return MinHashSignature(std::move(values));
}

Result<double> EstimateJaccard(const MinHashSignature& a, const MinHashSignature& b) {
  if (a.num_perm() != b.num_perm() || a.num_perm() == 0) {
    return Status::InvalidArgument("cannot compare signatures of " + std::to_string(a.num_perm()) +
                                       " and " + std::to_string(b.num_perm()) + " values",
                                   "num_perm_mismatch");
  }
  size_t equal = 0;
  for (size_t i = 0; i < a.num_perm(); ++i) equal += a.values()[i] == b.values()[i] ? 1 : 0;
  return static_cast<double>(equal) / static_cast<double>(a.num_perm());
}

Result<MinHasher> MinHasher::Create(const MinHashOptions& options) {
  TRIB_RETURN_IF_ERROR(CheckNumPerm(options.num_perm));
  MinHasher hasher;
  hasher.seed_ = options.seed;
  hasher.a_.resize(options.num_perm);
  hasher.b_.resize(options.num_perm);
  SplitMix64 rng(options.seed);
  for (size_t i = 0; i < options.num_perm; ++i) {
    hasher.a_[i] = 1 + rng.Next() % (kMersenne61 - 1);
    hasher.b_[i] = rng.Next() % kMersenne61;
  }
  return hasher;
}

MinHashSignature MinHasher::FromText(std::string_view text) const {
  return FromShingleHashes(ShingleHashes(text));
}

MinHashSignature MinHasher::FromShingleHashes(std::span<const uint64_t> shingle_hashes) const {
  const size_t n = a_.size();
  std::vector<uint64_t> values(n, kEmptyMinHashValue);
  for (uint64_t hash : shingle_hashes) {
    const uint64_t x = ReduceMersenne(hash);
    for (size_t i = 0; i < n; ++i) values[i] = std::min(values[i], MulAddMod(a_[i], x, b_[i]));
  }
  return MinHashSignature(std::move(values));
}

double LshParams::SCurveThreshold() const {
  if (bands == 0 || rows == 0) return 0;
  return std::pow(1.0 / static_cast<double>(bands), 1.0 / static_cast<double>(rows));
}

Result<LshParams> OptimalLshParams(double threshold, size_t num_perm, double false_positive_weight,
                                   double false_negative_weight) {
  if (!(threshold > 0.0 && threshold < 1.0)) {
    return Status::InvalidArgument("threshold must be in (0, 1)", "bad_threshold");
  }
  TRIB_RETURN_IF_ERROR(CheckNumPerm(num_perm));
  auto bad_weight = [](double w) { return !std::isfinite(w) || w < 0.0; };
  if (bad_weight(false_positive_weight) || bad_weight(false_negative_weight) ||
      false_positive_weight + false_negative_weight <= 0.0) {
    return Status::InvalidArgument("LSH weights must be finite, >= 0 and not both 0",
                                   "bad_lsh_weights");
  }
  // The search integrates every (bands, rows) split (tens of ms); validation asks for the same
  // few settings over and over, so results are remembered (pure function of the arguments).
  static std::mutex cache_mu;
  static std::map<std::tuple<double, size_t, double, double>, LshParams> cache;
  const auto key =
      std::make_tuple(threshold, num_perm, false_positive_weight, false_negative_weight);
  {
    std::lock_guard<std::mutex> lock(cache_mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  double min_error = std::numeric_limits<double>::infinity();
  LshParams best;
  for (size_t b = 1; b <= num_perm; ++b) {
    const double bd = static_cast<double>(b);
    for (size_t r = 1; r <= num_perm / b; ++r) {
      const double rd = static_cast<double>(r);
      // Probability that two signatures of similarity s share a band.
      auto p_candidate = [&](double s) { return 1.0 - std::pow(1.0 - std::pow(s, rd), bd); };
      const double fp = Integrate(p_candidate, 0.0, threshold);
      const double fn = Integrate([&](double s) { return 1.0 - p_candidate(s); }, threshold, 1.0);
      const double error = fp * false_positive_weight + fn * false_negative_weight;
      if (error < min_error) {
        min_error = error;
        best = {b, r};
      }
    }
  }
  std::lock_guard<std::mutex> lock(cache_mu);
  cache.emplace(key, best);
  return best;
}

uint8_t MinHashFingerprint(uint64_t value) { return static_cast<uint8_t>(Mix64(value)); }

namespace {

// (256 k - n) / (255 n), at least 0: see EstimateJaccardFromFingerprints.
double FingerprintSimilarity(const uint8_t* a, const uint8_t* b, size_t n) {
  size_t agree = 0;
  for (size_t i = 0; i < n; ++i) agree += a[i] == b[i];
  const int64_t numerator = 256 * static_cast<int64_t>(agree) - static_cast<int64_t>(n);
  if (numerator <= 0) return 0.0;
  return static_cast<double>(numerator) / static_cast<double>(255 * n);
}

}  // namespace

Result<double> EstimateJaccardFromFingerprints(const MinHashSignature& a,
                                               const MinHashSignature& b) {
  if (a.num_perm() != b.num_perm() || a.num_perm() == 0) {
    return Status::InvalidArgument("signatures must have the same non-zero length",
                                   "num_perm_mismatch");
  }
  std::vector<uint8_t> fa(a.num_perm()), fb(b.num_perm());
  for (size_t i = 0; i < a.num_perm(); ++i) {
    fa[i] = MinHashFingerprint(a.values()[i]);
    fb[i] = MinHashFingerprint(b.values()[i]);
  }
  return FingerprintSimilarity(fa.data(), fb.data(), fa.size());
}

Result<MinHashLsh> MinHashLsh::Create(const LshOptions& options) {
  TRIB_ASSIGN_OR_RETURN(LshParams params, OptimalLshParams(options.threshold, options.num_perm,
                                                           options.false_positive_weight,
                                                           options.false_negative_weight));
  MinHashLsh lsh;
  lsh.params_ = params;
  lsh.num_perm_ = options.num_perm;
  lsh.threshold_ = options.threshold;
  std::random_device random;
  lsh.hash_key_ = uint64_t{random()} << 32 ^ random();
  lsh.bands_.resize(params.bands);
  return lsh;
}

size_t MinHashLsh::MemoryBytes() const {
  size_t bytes =
      chunks_.capacity() * sizeof(chunks_[0]) + chunks_.size() * kChunkEntries * (8 + num_perm_);
  bytes += free_slots_.capacity() * sizeof(uint32_t) + by_id_.MemoryBytes();
  for (const SlotTable& band : bands_) bytes += band.MemoryBytes();
  return bytes + bands_.capacity() * sizeof(SlotTable);
}

Status MinHashLsh::CheckSignature(const MinHashSignature& signature) const {
  if (signature.num_perm() != num_perm_) {
    return Status::InvalidArgument("signature has " + std::to_string(signature.num_perm()) +
                                       " values, the index expects " + std::to_string(num_perm_),
                                   "num_perm_mismatch");
  }
  return Status::OK();
}

std::vector<uint8_t> MinHashLsh::Fingerprints(const MinHashSignature& signature) const {
  std::vector<uint8_t> out(num_perm_);
  for (size_t i = 0; i < num_perm_; ++i) out[i] = MinHashFingerprint(signature.values()[i]);
  return out;
}

uint64_t MinHashLsh::BandHash(size_t band, const uint8_t* fingerprints) const {
  const uint8_t* p = fingerprints + band * params_.rows;
  uint64_t h = Mix64(hash_key_ ^ (band * kGolden));
  for (size_t k = 0; k < params_.rows; k += 8) {
    uint64_t word = 0;
    std::memcpy(&word, p + k, std::min<size_t>(8, params_.rows - k));
    h = Mix64(h ^ (word + kGolden));
  }
  return h;
}

uint64_t MinHashLsh::IdHash(uint64_t id) const { return Mix64(hash_key_ ^ Mix64(id)); }

uint64_t MinHashLsh::IdAt(uint32_t slot) const {
  uint64_t id;
  std::memcpy(&id, EntryAt(slot), 8);
  return id;
}

uint32_t MinHashLsh::SlotOf(uint64_t id) const {
  uint32_t found = SlotTable::kEmpty;
  by_id_.Find(IdHash(id), [&](uint32_t slot) {
    if (IdAt(slot) != id) return false;
    found = slot;
    return true;
  });
  return found;
}

Status MinHashLsh::Insert(uint64_t id, const MinHashSignature& signature) {
  TRIB_RETURN_IF_ERROR(CheckSignature(signature));
  if (Contains(id)) {
    return Status::AlreadyExists("id " + std::to_string(id) + " is already in the index",
                                 "duplicate_id");
  }
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (next_slot_ == SlotTable::kEmpty - 1) {
      return Status::ResourceExhausted("the index holds its maximum of 2^32 - 2 entries",
                                       "index_full");
    }
    if (next_slot_ / kChunkEntries == chunks_.size()) {
      chunks_.push_back(std::make_unique<uint8_t[]>(kChunkEntries * (8 + num_perm_)));
    }
    slot = next_slot_++;
  }
  uint8_t* entry = EntryAt(slot);
  std::memcpy(entry, &id, 8);
  for (size_t i = 0; i < num_perm_; ++i) entry[8 + i] = MinHashFingerprint(signature.values()[i]);
  by_id_.Insert(slot, IdHash(id), [&](uint32_t s) { return IdHash(IdAt(s)); });
  for (size_t band = 0; band < params_.bands; ++band) {
    bands_[band].Insert(slot, BandHash(band, entry + 8),
                        [&](uint32_t s) { return BandHash(band, EntryAt(s) + 8); });
  }
  return Status::OK();
}

Status MinHashLsh::Remove(uint64_t id) {
  const uint32_t slot = SlotOf(id);
  if (slot == SlotTable::kEmpty) {
    return Status::NotFound("id " + std::to_string(id) + " is not in the index", "unknown_id");
  }
  const uint8_t* fingerprints = EntryAt(slot) + 8;
  for (size_t band = 0; band < params_.bands; ++band) {
    bands_[band].Erase(slot, BandHash(band, fingerprints),
                       [&](uint32_t s) { return BandHash(band, EntryAt(s) + 8); });
  }
  by_id_.Erase(slot, IdHash(id), [&](uint32_t s) { return IdHash(IdAt(s)); });
  free_slots_.push_back(slot);
  return Status::OK();
}

std::vector<uint32_t> MinHashLsh::CandidateSlots(const std::vector<uint8_t>& fingerprints) const {
  std::vector<uint32_t> out;
  for (size_t band = 0; band < params_.bands; ++band) {
    const uint8_t* want = fingerprints.data() + band * params_.rows;
    bands_[band].Find(BandHash(band, fingerprints.data()), [&](uint32_t slot) {
      if (std::memcmp(EntryAt(slot) + 8 + band * params_.rows, want, params_.rows) == 0) {
        out.push_back(slot);
      }
      return false;  // every slot of the run
    });
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<uint64_t>> MinHashLsh::Query(const MinHashSignature& signature) const {
  TRIB_RETURN_IF_ERROR(CheckSignature(signature));
  std::vector<uint64_t> out;
  for (uint32_t slot : CandidateSlots(Fingerprints(signature))) out.push_back(IdAt(slot));
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<NearDuplicate>> MinHashLsh::FindNearDuplicates(const MinHashSignature& signature,
                                                                  double min_similarity) const {
  if (!(min_similarity > 0.0 && min_similarity <= 1.0)) {
    return Status::InvalidArgument("min_similarity must be in (0, 1]", "bad_threshold");
  }
  TRIB_RETURN_IF_ERROR(CheckSignature(signature));
  const std::vector<uint8_t> fingerprints = Fingerprints(signature);
  std::vector<NearDuplicate> out;
  for (uint32_t slot : CandidateSlots(fingerprints)) {
    const double similarity =
        FingerprintSimilarity(fingerprints.data(), EntryAt(slot) + 8, num_perm_);
    if (similarity >= min_similarity) out.push_back({IdAt(slot), similarity});
  }
  std::sort(out.begin(), out.end(), [](const NearDuplicate& x, const NearDuplicate& y) {
    return x.similarity != y.similarity ? x.similarity > y.similarity : x.id < y.id;
  });
  return out;
}

}  // namespace tributary::datanet
