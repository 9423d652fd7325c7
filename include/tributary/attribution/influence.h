// Influence attribution: how much each training example of an adapter pushed the model toward a
// given output, scored from the attribution sketches ModelFactory keeps (factory/sketch.h).
//
// Let g_i be example i's sketch (its projected LoRA loss gradient, row i of sketches.bin) and q
// the sketch of the query: the loss of the output given the prompt under teacher forcing,
// projected with the same projection. Two methods:
//   tracin  s_i = <q, g_i>                       (TracIn with one checkpoint; the learning rate
//                                                 is a constant factor and is left out)
//   trak    s_i = q^T (G^T G + λ I)^-1 g_i      (TRAK's estimator for one model: the inner
//                                                 product after whitening by the sketches'
//                                                 Gram matrix; λ = damping · trace(G^T G) /
//                                                 min(count, dim), the mean of its nonzero
//                                                 eigenvalues at most)
// Both are one matrix-vector product over the memory-mapped [count, dim] matrix: trak first
// solves u = (G^T G + λI)^-1 q with the cached Cholesky factor, then s = G u. With fewer sketches
// than dims (an adapter trained on a small Datanet: rank 16 on seven projections of a 30-layer
// base is 6,720 dims) trak works on the count x count side instead, with the same scores:
// s = (G G^T + λI)^-1 G q and |q|_M^2 = (|q|^2 - (G q)^T s) / λ (Woodbury), so its factor and
// one-time cost are O(count^2) and O(count^2 · dim) rather than O(dim^2) and O(count · dim^2).
// cos_i is s_i / (|q|_M |g_i|_M) in the method's metric (M = I for tracin, (G^T G + λI)^-1 for
// trak): how aligned the output's gradient is with the example's, whatever their sizes. The
// largest cos_i measures how much the output owes to any single training example at all
// (relevance, used by the combined rule for the unattributed share).
// Self-influence s_ii = |g_i|_M^2 (a memorised or mislabelled example has a large one).
//
// Cache. The example norms (both metrics) and, for trak, the Cholesky factor of G^T G + λI (or
// G G^T + λI) are computed once per sketch file and damping (reading the whole matrix) and kept
// beside it in "<sketches>.influence" (written atomically; reused while the sketch file's size,
// modification time and SHA-256, recorded in it, still match the size and time on disk). The
// SHA-256 of the sketch file is what attribution results record. The cache format is documented
// in src/attribution/ml/influence-cache.h; it holds one trak section (the last damping opened),
// and a cache that is corrupt, truncated, stale or unwritable is recomputed or kept in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::attribution {

enum class InfluenceMethod { kTracIn, kTrak };
std::string_view InfluenceMethodName(InfluenceMethod m);  //!< "tracin", "trak"
//! InvalidArgument (reason "bad_method") for anything but "tracin" or "trak".
Result<InfluenceMethod> ParseInfluenceMethod(std::string_view name);

struct InfluenceOptions {
  InfluenceMethod method = InfluenceMethod::kTrak;
  //! trak: λ = damping · trace(G^T G) / min(count, dim); must be > 0. With fewer sketches than
  //! dims the Gram matrix has only `count` nonzero eigenvalues, so dividing by dim would shrink λ
  //! (and every cosine, as most of a query lies outside the sketches' span, weighted 1/λ) with
  //! count / dim; over min(count, dim) λ keeps its scale against the data's.
  double damping = 0.1;
  size_t top_examples = 10;  //!< examples reported, highest score first
  //! Per contribution, only its examples among the `aggregate_examples` best-aligned ones
  //! (highest cos_i) count toward `positive` (so thousands of tiny alignments do not outweigh a
  //! few strong ones).
  size_t aggregate_examples = 100;
  //! Alignment an example must exceed to count toward `positive`: examples aligned no better
  //! than unrelated text are not evidence. The Attributor sets it to the combined rule's
  //! cosine_floor. In [0, 1).
  double cosine_floor = 0;
};

struct ExampleInfluence {
  int64_t index = 0;  //!< row of the sketch matrix
  std::string row_id, contribution, contributor;
  double score = 0;   //!< s_i
  double cosine = 0;  //!< cos_i
};

struct ContributionInfluence {
  std::string contribution, contributor;
  double score = 0;  //!< Σ s_i over all its examples (signed; what LDS sums)
  //! Relative influence above the floor: Σ max(0, cos_i - cosine_floor) over its examples among
  //! the aggregate_examples best-aligned ones (cos_i · |q|_M is RelatIF's s_i / |g_i|_M). Raw
  //! scores would let high-loss, large-gradient examples outweigh the one the output lines up
  //! with, and plain cosine sums many loosely aligned examples (docs/attribution.md,
  //! Evaluation). What the combined rule splits by.
  double positive = 0;
  double best_cosine = 0;  //!< the largest cos_i among its examples (negative if all are)
  int64_t examples = 0;    //!< its sketches
};

struct InfluenceResult {
  std::string method;
  std::vector<ExampleInfluence> top;  //!< by score descending, then index
  //! Every contribution with a sketch, by positive descending, then score descending, then id.
  std::vector<ContributionInfluence> contributions;
  double max_cosine = 0;  //!< relevance: the largest cos_i (0 when every score is <= 0)
  double query_norm = 0;  //!< |q|_M
  nlohmann::json ToJson(size_t max_contributions = 20) const;
};

//! Progress of the one-time cache computation: done of total sketches, done rising to total
//! over the whole computation (hashing the file, then one or two passes over the matrix). Not
//! called when the cache is reused.
using InfluenceProgressFn = std::function<void(int64_t done, int64_t total)>;

//! An adapter's sketches, ready to score queries. Immutable after Open; Score is thread-safe.
class InfluenceIndex {
 public:
  //! Maps `sketches` and loads (or computes and writes) its cache. NotFound when the file is
  //! missing; Corruption (reason "bad_sketches") when it is not a sketch file or a sketch value
  //! is not finite; InvalidArgument (reason "bad_option") for damping <= 0 (checked for both
  //! methods).
  static Result<std::unique_ptr<InfluenceIndex>> Open(const std::filesystem::path& sketches,
                                                      const InfluenceOptions& options,
                                                      const InfluenceProgressFn& progress = {});
  ~InfluenceIndex();
  InfluenceIndex(const InfluenceIndex&) = delete;
  InfluenceIndex& operator=(const InfluenceIndex&) = delete;

  int64_t count() const;
  int64_t dim() const;
  const InfluenceOptions& options() const;
  //! The sketch file's description (factory/sketch.h: modules, k, seed, loss).
  const nlohmann::json& description() const;
  uint64_t seed() const;
  std::string sketches_sha256() const;  //!< hex

  //! Scores every example against `query` (dim floats). InvalidArgument (reason "bad_query")
  //! when the length differs or a value is not finite.
  Result<InfluenceResult> Score(std::span<const float> query) const;
  //! The raw scores s_i of every example (for evaluations that need them all).
  Result<std::vector<float>> ScoreAll(std::span<const float> query) const;
  //! s_ii for every example.
  std::vector<float> SelfInfluence() const;

 private:
  InfluenceIndex();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::attribution
