// The combined attribution rule (combine.h).
#include "tributary/attribution/combine.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace tributary::attribution {

using json = nlohmann::json;

Status CombineOptions::Validate() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_option"); };
  if (!(span_weight >= 0 && span_weight <= 1)) return bad("span_weight must be in [0, 1]");
  if (!(cosine_floor >= 0 && cosine_floor < cosine_full && cosine_full <= 1)) {
    return bad("need 0 <= cosine_floor < cosine_full <= 1");
  }
  return Status::OK();
}

CombineOptions CombineOptions::ForMethod(std::string_view method, bool base_checkpoint) {
  CombineOptions o;
  if (method == "tracin") {
    o.cosine_floor = base_checkpoint ? 0.7 : 0.8;
    o.cosine_full = 0.95;
  } else if (base_checkpoint) {
    o.cosine_floor = 0.15;
  }
  return o;
}

json CombineOptions::ToJson() const {
  return {
      {"span_weight", span_weight}, {"cosine_floor", cosine_floor}, {"cosine_full", cosine_full}};
}

json CombinedWeights::ToJson() const {
  json w = json::array();
  for (const auto& c : weights) {
    w.push_back({{"contribution", c.contribution},
                 {"contributor", c.contributor},
                 {"weight", c.weight},
                 {"parts_per_million", c.parts},
                 {"span_share", c.span_share},
                 {"influence_share", c.influence_share}});
  }
  return {{"weights", w},
          {"unattributed", unattributed},
          {"unattributed_parts_per_million", unattributed_parts},
          {"span_coverage", span_coverage},
          {"relevance", relevance},
          {"attributed", attributed}};
}

Result<CombinedWeights> CombineEvidence(int64_t output_tokens, const std::vector<Span>& spans,
                                        const std::vector<InfluenceEvidence>& influence,
                                        double max_cosine, const CombineOptions& options) {
  TRIB_RETURN_IF_ERROR(options.Validate());
  if (output_tokens < 0) return Status::InvalidArgument("negative output length", "bad_option");

  struct Acc {
    std::string contributor;
    double span = 0, infl = 0;
  };
  std::map<std::string, Acc> acc;  // by contribution id: a fixed order

  // 1. Span evidence.
  double covered = 0, span_total = 0;
  for (const auto& s : spans) {
    if (s.begin < 0 || s.end > output_tokens || s.begin >= s.end) {
      return Status::InvalidArgument("a span lies outside the output", "bad_span");
    }
    const double mass = static_cast<double>(s.end - s.begin) / static_cast<double>(output_tokens);
    covered += mass;
    if (s.occurrences.empty()) continue;
    const double each = mass / static_cast<double>(s.occurrences.size());
    for (const auto& o : s.occurrences) {
      Acc& a = acc[o.contribution];
      a.contributor = o.contributor;
      a.span += each;
      span_total += each;
    }
  }
  const double S = std::clamp(covered, 0.0, 1.0);

  // 2. Influence evidence.
  double infl_total = 0;
  for (const auto& e : influence) {
    if (!(e.positive > 0) || !std::isfinite(e.positive)) continue;
    Acc& a = acc[e.contribution];
    a.contributor = e.contributor;
    a.infl += e.positive;
    infl_total += e.positive;
  }
  double R = 0;
  if (infl_total > 0 && std::isfinite(max_cosine)) {
    R = std::clamp(
        (max_cosine - options.cosine_floor) / (options.cosine_full - options.cosine_floor), 0.0,
        1.0);
  }

  // 3. Attributed mass and its split.
  CombinedWeights out;
  out.span_coverage = S;
  out.relevance = R;
  const double beta = options.span_weight;
  const double span_part = span_total > 0 ? beta * S : 0;
  const double infl_part = (1 - beta) * R;
  const double S_used = span_total > 0 ? S : 0;  // spans with no listed occurrence pay no one
  const double M = (span_part + infl_part) > 0 ? 1 - (1 - S_used) * (1 - R) : 0;
  out.attributed = M;

  // 4. Parts per million by largest remainder.
  constexpr uint32_t kParts = 1'000'000;
  struct Entry {
    std::string contribution, contributor;  // empty contribution: unattributed
    double exact = 0, span_share = 0, infl_share = 0;
    uint32_t parts = 0;
  };
  std::vector<Entry> entries;
  entries.push_back({"", "", (1 - M) * kParts});
  for (const auto& [id, a] : acc) {
    Entry e{id, a.contributor};
    e.span_share = span_total > 0 ? a.span / span_total : 0;
    e.infl_share = infl_total > 0 ? a.infl / infl_total : 0;
    const double p = (span_part * e.span_share + infl_part * e.infl_share) /
                     (span_part + infl_part > 0 ? span_part + infl_part : 1);
    e.exact = M * p * kParts;
    entries.push_back(std::move(e));
  }
  int64_t given = 0;
  for (auto& e : entries) {
    e.parts = static_cast<uint32_t>(std::floor(std::max(0.0, e.exact)));
    given += e.parts;
  }
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    double fx = entries[x].exact - std::floor(entries[x].exact);
    double fy = entries[y].exact - std::floor(entries[y].exact);
    return fx > fy;  // ties keep index order: unattributed, then contribution id
  });
  for (int64_t left = kParts - given, i = 0; left > 0; --left, ++i) {
    entries[order[static_cast<size_t>(i) % order.size()]].parts++;
  }
  out.unattributed_parts = entries[0].parts;
  out.unattributed = entries[0].parts / static_cast<double>(kParts);
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].parts == 0) continue;
    out.weights.push_back({entries[i].contribution, entries[i].contributor,
                           entries[i].parts / static_cast<double>(kParts), entries[i].parts,
                           entries[i].span_share, entries[i].infl_share});
  }
  std::stable_sort(out.weights.begin(), out.weights.end(),
                   [](const ContributionWeight& a, const ContributionWeight& b) {
                     return a.parts > b.parts;  // ties keep contribution id order
                   });
  return out;
}

}  // namespace tributary::attribution
