// Protocol 3, linear datamodeling score: do summed contribution scores of the full adapter
// predict the loss of adapters retrained on random halves of the contributions?
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "attribution/ml/evaluation-harness.h"

namespace tributary::attribution::eval {

Result<json> RunLds(const Env& env, const std::vector<std::string>& fortunes, const fs::path& out) {
  const auto& a = *env.options;
  const size_t n_contrib = static_cast<size_t>(a.lds_contributions);
  const size_t facts_per = 4, fortunes_per = 4;
  const size_t n_queries = std::min<size_t>(30, n_contrib * facts_per);
  const int64_t epochs = a.epochs > 0 ? a.epochs : 10;
  const size_t m = static_cast<size_t>(a.subsets);
  auto t0 = Clock::now();
  std::mt19937_64 rng(a.seed * 1299709 + 3);
  // Each contribution states `facts_per` facts in phrasing A and holds `fortunes_per` fortunes.
  // Queries: facts asked in phrasing B (never trained on): the answer is in exactly one
  // contribution, so whether it is in a subset should move the query's loss.
  FactMaker maker(a.seed + 2);
  std::vector<Fact> facts = maker.Many(n_contrib * facts_per);
  std::vector<std::vector<factory::DataRow>> rows_of(n_contrib);
  uint64_t row_index = 0;
  for (size_t c = 0; c < n_contrib; ++c) {
    for (size_t i = 0; i < facts_per; ++i) {
      const Fact& f = facts[c * facts_per + i];
      rows_of[c].push_back(Row(a.seed + 2, row_index++, c, f.Prompt(), f.Response()));
    }
    for (size_t i = 0; i < fortunes_per; ++i) {
      auto [p, r] = SplitFortune(fortunes[(5000 + c * fortunes_per + i) % fortunes.size()]);
      rows_of[c].push_back(Row(a.seed + 2, row_index++, c, p, r));
    }
  }
  std::vector<size_t> qpick(facts.size());
  std::iota(qpick.begin(), qpick.end(), 0);
  std::shuffle(qpick.begin(), qpick.end(), rng);
  qpick.resize(n_queries);
  std::vector<factory::DataRow> qrows;
  std::vector<size_t> q_source;
  for (size_t i = 0; i < n_queries; ++i) {
    const Fact& f = facts[qpick[i]];
    qrows.push_back(Row(a.seed + 2, 1000000 + i, qpick[i] / facts_per, f.PromptB(), f.Response()));
    q_source.push_back(qpick[i] / facts_per);
  }
  TRIB_ASSIGN_OR_RETURN(auto queries, MakeExamples(env, qrows));
  std::vector<const factory::Example*> qptr;
  for (const auto& q : queries) qptr.push_back(&q);

  auto examples_of = [&](const std::vector<bool>& in) -> Result<std::vector<factory::Example>> {
    std::vector<factory::DataRow> rows;
    for (size_t c = 0; c < n_contrib; ++c) {
      if (in[c]) rows.insert(rows.end(), rows_of[c].begin(), rows_of[c].end());
    }
    return MakeExamples(env, rows);
  };
  auto query_losses = [&](const model::LoraAdapter& ad) -> Result<std::vector<double>> {
    std::vector<double> l;
    for (const auto* q : qptr) {
      TRIB_ASSIGN_OR_RETURN(auto s, factory::EvaluateLoss(*env.base, &ad, {q}));
      l.push_back(s.sum / static_cast<double>(std::max<int64_t>(1, s.tokens)));
    }
    return l;
  };

  env.Note("lds: " + std::to_string(n_contrib) + " contributions of " +
           std::to_string(facts_per + fortunes_per) + " rows, " + std::to_string(n_queries) +
           " queries, " + std::to_string(m) + " half-data adapters of " + std::to_string(epochs) +
           " epochs");
  // The full-data adapter and its per-contribution scores for each query.
  std::vector<bool> all(n_contrib, true);
  TRIB_ASSIGN_OR_RETURN(auto full_ex, examples_of(all));
  // Examples back to contributions by row id (BuildExamples drops rows with nothing to learn).
  std::map<std::string, size_t> contrib_of_row;
  for (size_t c = 0; c < n_contrib; ++c) {
    for (const auto& r : rows_of[c]) contrib_of_row[r.row_id] = c;
  }
  std::vector<size_t> contrib_of_example;
  for (const auto& e : full_ex) contrib_of_example.push_back(contrib_of_row.at(e.row_id));
  TRIB_ASSIGN_OR_RETURN(Trained full,
                        Train(env, full_ex, epochs, out, out / "adapter", "lds: full adapter"));
  TRIB_ASSIGN_OR_RETURN(auto full_loss, query_losses(*full.adapter));
  TRIB_ASSIGN_OR_RETURN(auto projection,
                        factory::SketchProjection::Create(*full.adapter, SketchOpts(env)));
  TRIB_ASSIGN_OR_RETURN(torch::Tensor qs, projection.Compute(*env.base, *full.adapter, qptr, 8));
  qs = qs.to(torch::kFloat32).contiguous();
  std::map<std::string, std::vector<std::vector<double>>> score;  // method -> [query][contrib]
  for (auto method : {attribution::InfluenceMethod::kTrak, attribution::InfluenceMethod::kTracIn}) {
    attribution::InfluenceOptions io;
    io.method = method;
    TRIB_ASSIGN_OR_RETURN(auto idx,
                          attribution::InfluenceIndex::Open(out / "adapter" / "sketches.bin", io));
    auto& sc = score[std::string(attribution::InfluenceMethodName(method))];
    for (size_t q = 0; q < n_queries; ++q) {
      std::span<const float> row(qs.data_ptr<float>() + q * qs.size(1),
                                 static_cast<size_t>(qs.size(1)));
      TRIB_ASSIGN_OR_RETURN(auto s, idx->ScoreAll(row));
      std::vector<double> per(n_contrib, 0);
      for (size_t i = 0; i < s.size(); ++i) per[contrib_of_example[i]] += s[i];
      sc.push_back(std::move(per));
    }
  }

  // M adapters on random halves, same seed (init, shuffle) otherwise.
  std::vector<std::vector<bool>> subsets;
  std::vector<std::vector<double>> actual;  // [subset][query]
  double subset_train_seconds = 0;
  size_t subsets_reused = 0;  // kept in OUT/subset-N by an earlier run with the same fingerprint
  for (size_t s = 0; s < m; ++s) {
    std::vector<size_t> idx(n_contrib);
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), rng);
    std::vector<bool> in(n_contrib, false);
    for (size_t i = 0; i < n_contrib / 2; ++i) in[idx[i]] = true;
    TRIB_ASSIGN_OR_RETURN(auto ex, examples_of(in));
    TRIB_ASSIGN_OR_RETURN(Trained t,
                          Train(env, ex, epochs, out, out / ("subset-" + std::to_string(s + 1)),
                                "lds: subset " + std::to_string(s + 1) + "/" + std::to_string(m),
                                /*sketch=*/false));
    subsets_reused += t.reused ? 1 : 0;
    subset_train_seconds += t.result.seconds;
    TRIB_ASSIGN_OR_RETURN(auto l, query_losses(*t.adapter));
    subsets.push_back(std::move(in));
    actual.push_back(std::move(l));
  }

  // LDS per query: Spearman over subsets of (Σ_{c in S} score_c) against -loss.
  auto lds_of = [&](const std::function<double(size_t q, size_t c)>& sc) {
    std::vector<double> per_query;
    for (size_t q = 0; q < n_queries; ++q) {
      std::vector<double> pred, neg_loss;
      for (size_t s = 0; s < m; ++s) {
        double p = 0;
        for (size_t c = 0; c < n_contrib; ++c) {
          if (subsets[s][c]) p += sc(q, c);
        }
        pred.push_back(p);
        neg_loss.push_back(-actual[s][q]);
      }
      per_query.push_back(Spearman(pred, neg_loss));
    }
    return per_query;
  };
  json lds = json::object();
  for (const auto& [name, sc] : score) {
    auto v = lds_of([&](size_t q, size_t c) { return sc[q][c]; });
    lds[name] = {{"mean", Summarize(v).mean}, {"sd", Summarize(v).sd}, {"per_query", v}};
  }
  // Reference points: the indicator of the query's source contribution (what a perfect
  // single-source attribution would predict), and whether the source is in S moves the loss.
  auto oracle = lds_of([&](size_t q, size_t c) { return c == q_source[q] ? 1.0 : 0.0; });
  lds["source_indicator"] = {{"mean", Summarize(oracle).mean}, {"sd", Summarize(oracle).sd}};
  std::vector<double> gap;
  for (size_t q = 0; q < n_queries; ++q) {
    double in_sum = 0, out_sum = 0, in_n = 0, out_n = 0;
    for (size_t s = 0; s < m; ++s) {
      (subsets[s][q_source[q]] ? in_sum : out_sum) += actual[s][q];
      (subsets[s][q_source[q]] ? in_n : out_n) += 1;
    }
    if (in_n > 0 && out_n > 0) gap.push_back(out_sum / out_n - in_sum / in_n);
  }
  std::vector<double> all_losses;
  for (const auto& v : actual) all_losses.insert(all_losses.end(), v.begin(), v.end());
  return json{{"contributions", n_contrib},
              {"rows_per_contribution", facts_per + fortunes_per},
              {"queries", n_queries},
              {"subsets", m},
              {"epochs", epochs},
              {"lds", lds},
              {"query_loss_full_adapter", Summarize(full_loss).ToJson()},
              {"query_loss_subsets", Summarize(all_losses).ToJson()},
              {"source_in_minus_out_loss_gap", Summarize(gap).ToJson()},
              {"full_train_seconds", full.result.seconds},
              {"full_training_reused", full.reused},
              {"subset_train_seconds", subset_train_seconds},
              {"subsets_reused", subsets_reused},
              {"wall_seconds", Since(t0)}};
}

}  // namespace tributary::attribution::eval
