// The combined attribution rule: span and influence evidence become one weight per contribution,
// the weights and an explicit `unattributed` share summing to exactly 1.
//
// Inputs: the output's token count T, the spans Trace found (span_index.h) and the influence
// result (influence.h).
//  1. Span evidence. A span s covering len_s output tokens carries len_s / T, split over the
//     contributions in proportion to how many of its listed occurrences each holds. Its total,
//     S = (covered tokens) / T, is the share of the output found verbatim in the data;
//     p_span(c) is contribution c's part of it, normalised to sum to 1.
//  2. Influence evidence. R = clamp((max_cosine - cosine_floor) / (cosine_full - cosine_floor),
//     0, 1): how far the output's gradient lines up with some training example's (0 when the
//     best alignment is no better than answers about nothing in the data, 1 when it is as close
//     as a memorised one; the two points are calibrated per influence method, ForMethod). p_infl(c)
//     = positive(c) / Σ positive (contributions' positive influence among the top-scoring
//     examples). R = 0 when no example scores above 0.
//  3. Either kind of evidence can explain the answer: the attributed mass is
//     M = 1 - (1 - S)(1 - R), and it is split by the mixture
//     p(c) = (β S p_span(c) + (1 - β) R p_infl(c)) / (β S + (1 - β) R), β = span_weight.
//     weight(c) = M p(c); unattributed = 1 - M (what the base model knew by itself, or what no
//     contribution accounts for).
//  4. Weights are also given in integer parts per million (what fees are split by): the exact
//     values scaled to 1,000,000, floored, and the remainder handed out one part at a time by
//     largest fractional part (ties: unattributed first, then contribution id ascending), so
//     the parts always sum to 1,000,000. Contributions with 0 parts are dropped. Entries are
//     sorted by parts descending, then contribution id ascending.
// Everything is a pure function of its inputs: the same spans, influence and options give the
// same weights on any machine (IEEE doubles, no parallel reductions, fixed orders).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/attribution/span_index.h"
#include "tributary/base/status.h"

namespace tributary::attribution {

struct CombineOptions {
  double span_weight = 0.5;   //!< β
  double cosine_floor = 0.6;  //!< relevance 0 at or below this best cosine
  double cosine_full = 0.9;   //!< relevance 1 at or above it
  //! The calibrated defaults for an influence method ("trak": 0.6 / 0.9, "tracin": 0.8 / 0.95):
  //! the best cosine of answers about nothing in the data sits near 0.5 under trak's whitened
  //! metric and near 0.7 under tracin's plain one (docs/attribution.md, Evaluation), so one
  //! scale for both would pay contributors for answers they did not shape. Sketches with a
  //! base-checkpoint segment (factory/sketch.h) align differently and get their own pair
  //! ("trak": 0.15 / 0.9, "tracin": 0.7 / 0.95), measured on SmolLM2: under trak the best cosine
  //! of a reworded question about a planted fact is 0.24-0.42 (p10-p90; 180 rows), of a
  //! question about nothing in the data 0.06-0.10, and the same in the demo's 42 rows (0.16-0.42
  //! against 0.05-0.07), since λ is scaled by min(count, dim) (influence.h).
  static CombineOptions ForMethod(std::string_view method, bool base_checkpoint = false);
  //! InvalidArgument (reason "bad_option") unless 0 <= span_weight <= 1 and
  //! 0 <= cosine_floor < cosine_full <= 1.
  Status Validate() const;
  nlohmann::json ToJson() const;
};

//! A contribution's influence, as the rule needs it (influence.h's ContributionInfluence).
struct InfluenceEvidence {
  std::string contribution, contributor;
  double positive = 0;
};

struct ContributionWeight {
  std::string contribution, contributor;
  double weight = 0;           //!< parts / 1,000,000
  uint32_t parts = 0;          //!< parts per million
  double span_share = 0;       //!< p_span(c)
  double influence_share = 0;  //!< p_infl(c)
};

struct CombinedWeights {
  std::vector<ContributionWeight> weights;
  double unattributed = 0;
  uint32_t unattributed_parts = 0;
  double span_coverage = 0;  //!< S
  double relevance = 0;      //!< R
  double attributed = 0;     //!< M, exact (before rounding to parts)
  nlohmann::json ToJson() const;
};

//! Applies the rule. `output_tokens` may be 0 (then S = 0). InvalidArgument for bad options or
//! a span outside [0, output_tokens).
Result<CombinedWeights> CombineEvidence(int64_t output_tokens, const std::vector<Span>& spans,
                                        const std::vector<InfluenceEvidence>& influence,
                                        double max_cosine, const CombineOptions& options);

}  // namespace tributary::attribution
