// An Attribution reduced to what the evaluation scores: per-contribution masses and the evidence
// the combined rule can be re-run on.
#include "attribution/ml/evaluation-harness.h"

namespace tributary::attribution::eval {

std::map<std::string, double> SpanMass(const attribution::Attribution& a) {
  std::map<std::string, double> mass;
  for (const auto& s : a.spans) {
    const auto& occ = s.span.occurrences;
    if (occ.empty()) continue;
    const double len = static_cast<double>(s.span.end - s.span.begin);
    for (const auto& o : occ) mass[o.contribution] += len / static_cast<double>(occ.size());
  }
  return mass;
}

std::map<std::string, double> InfluenceMass(const attribution::Attribution& a) {
  std::map<std::string, double> m;
  for (const auto& c : a.influence.contributions) m[c.contribution] = c.positive;
  return m;
}

std::map<std::string, double> CombinedMass(const attribution::Attribution& a) {
  std::map<std::string, double> m;
  for (const auto& w : a.combined.weights) m[w.contribution] = w.weight;
  return m;
}

Evidence EvidenceOf(const attribution::Attribution& a) {
  Evidence e;
  e.output_tokens = a.output_tokens;
  for (const auto& s : a.spans) e.spans.push_back(s.span);
  for (const auto& c : a.influence.contributions) {
    e.influence.push_back({c.contribution, c.contributor, c.positive});
  }
  e.max_cosine = a.influence.max_cosine;
  return e;
}

void GroupStats::Add(const attribution::Attribution& a) {
  unattributed.push_back(a.combined.unattributed);
  max_cosine.push_back(a.influence.max_cosine);
  span_coverage.push_back(a.combined.span_coverage);
  relevance.push_back(a.combined.relevance);
  evidence.push_back(EvidenceOf(a));
}

json GroupStats::ToJson() const {
  double over = 0;
  for (double u : unattributed) over += u >= 0.5;
  return {{"unattributed", Summarize(unattributed).ToJson()},
          {"share_unattributed_ge_0_5",
           unattributed.empty() ? 0 : over / static_cast<double>(unattributed.size())},
          {"max_cosine", Summarize(max_cosine).ToJson()},
          {"span_coverage", Summarize(span_coverage).ToJson()},
          {"relevance", Summarize(relevance).ToJson()}};
}

// Mean unattributed and share >= 0.5 when the evidence is recombined with `o`.
Result<json> Recombine(const GroupStats& g, const attribution::CombineOptions& o) {
  std::vector<double> u;
  double over = 0;
  for (const auto& e : g.evidence) {
    TRIB_ASSIGN_OR_RETURN(auto c, attribution::CombineEvidence(e.output_tokens, e.spans,
                                                               e.influence, e.max_cosine, o));
    u.push_back(c.unattributed);
    over += c.unattributed >= 0.5;
  }
  return json{{"mean_unattributed", Summarize(u).mean},
              {"share_unattributed_ge_0_5", u.empty() ? 0 : over / u.size()}};
}

}  // namespace tributary::attribution::eval
