// Protocol 2, noisy contributions: does mean self-influence rank contributions with corrupted
// responses first?
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "attribution/ml/evaluation-harness.h"

namespace tributary::attribution::eval {

Result<json> RunNoisy(const Env& env, const std::vector<std::string>& fortunes,
                      const fs::path& out) {
  const auto& a = *env.options;
  const size_t n_contrib = static_cast<size_t>(a.contributions);
  const int64_t epochs = a.epochs > 0 ? a.epochs : 10;
  auto t0 = Clock::now();
  std::mt19937_64 rng(a.seed * 104729 + 2);
  // Each contribution: 10-20 rows, two thirds facts drawn from a shared pool (each fact stated
  // by about four contributions, so clean data agrees on it), one third fortunes.
  std::vector<size_t> sizes(n_contrib);
  size_t fact_rows = 0;
  for (auto& s : sizes) {
    s = 10 + rng() % 11;
    fact_rows += (2 * s) / 3;
  }
  FactMaker maker(a.seed + 1);
  std::vector<Fact> pool = maker.Many(std::max<size_t>(8, fact_rows / 4));
  std::vector<size_t> order(n_contrib);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t n_bad = static_cast<size_t>(std::lround(0.2 * static_cast<double>(n_contrib)));
  std::vector<bool> corrupted(n_contrib, false);
  for (size_t i = 0; i < n_bad; ++i) corrupted[order[i]] = true;

  std::vector<factory::DataRow> rows;
  std::vector<std::vector<size_t>> rows_of(n_contrib);
  uint64_t row_index = 0;
  size_t next_fortune = 0;
  for (size_t c = 0; c < n_contrib; ++c) {
    const size_t nf = (2 * sizes[c]) / 3;
    std::vector<size_t> picks(pool.size());
    std::iota(picks.begin(), picks.end(), 0);
    std::shuffle(picks.begin(), picks.end(), rng);
    std::vector<std::pair<std::string, std::string>> pr;
    for (size_t i = 0; i < nf; ++i) {
      const Fact& f = pool[picks[i]];
      std::string resp = f.Response();
      // Corruption: the founder of another fact in the pool (a confident, wrong answer).
      if (corrupted[c])
        resp = pool[(picks[i] + 1 + rng() % (pool.size() - 1)) % pool.size()].Response();
      pr.emplace_back(f.Prompt(), resp);
    }
    std::vector<std::pair<std::string, std::string>> fr;
    for (size_t i = nf; i < sizes[c]; ++i)
      fr.push_back(SplitFortune(fortunes[next_fortune++ % fortunes.size()]));
    // Corruption of fortunes: their continuations rotated within the contribution.
    if (corrupted[c] && fr.size() >= 2) {
      std::string first = fr[0].second;
      for (size_t i = 0; i + 1 < fr.size(); ++i) fr[i].second = fr[i + 1].second;
      fr.back().second = first;
    }
    pr.insert(pr.end(), fr.begin(), fr.end());
    for (const auto& [p, r] : pr) {
      rows_of[c].push_back(rows.size());
      rows.push_back(Row(a.seed + 1, row_index++, c, p, r));
    }
  }
  TRIB_RETURN_IF_ERROR(factory::WriteRowsJsonl(out / "rows.jsonl", rows));
  TRIB_ASSIGN_OR_RETURN(auto examples, MakeExamples(env, rows));
  // Rows whose prompt fills max_seq_len are dropped by BuildExamples: map examples back by id.
  std::map<std::string, size_t> contrib_of_row;
  for (size_t c = 0; c < n_contrib; ++c) {
    for (size_t r : rows_of[c]) contrib_of_row[rows[r].row_id] = c;
  }
  std::vector<std::vector<size_t>> examples_of(n_contrib);
  for (size_t i = 0; i < examples.size(); ++i) {
    examples_of[contrib_of_row.at(examples[i].row_id)].push_back(i);
  }
  env.Note("noisy: " + std::to_string(rows.size()) + " rows in " + std::to_string(n_contrib) +
           " contributions, " + std::to_string(n_bad) + " corrupted; training " +
           std::to_string(epochs) + " epochs");
  TRIB_ASSIGN_OR_RETURN(Trained tr,
                        Train(env, examples, epochs, out, out / "adapter", "noisy: training"));

  json scores = json::object();
  auto report = [&](const std::string& name, const std::vector<double>& per_contrib) {
    scores[name] = {{"roc_auc", RocAuc(per_contrib, corrupted)},
                    {"recall_top10", RecallAt(per_contrib, corrupted, 0.1)},
                    {"recall_top20", RecallAt(per_contrib, corrupted, 0.2)}};
  };
  for (auto method : {attribution::InfluenceMethod::kTrak, attribution::InfluenceMethod::kTracIn}) {
    attribution::InfluenceOptions io;
    io.method = method;
    TRIB_ASSIGN_OR_RETURN(auto idx,
                          attribution::InfluenceIndex::Open(out / "adapter" / "sketches.bin", io));
    std::vector<float> self = idx->SelfInfluence();  // in sketch order = example order
    std::vector<double> mean(n_contrib, 0);
    for (size_t c = 0; c < n_contrib; ++c) {
      for (size_t e : examples_of[c]) mean[c] += self[e];
      mean[c] /= static_cast<double>(std::max<size_t>(1, examples_of[c].size()));
    }
    report("self_influence_" + std::string(attribution::InfluenceMethodName(method)), mean);
  }
  // Baseline: the contribution's mean training loss under the final adapter.
  std::vector<double> loss(n_contrib, 0);
  for (size_t c = 0; c < n_contrib; ++c) {
    std::vector<const factory::Example*> batch;
    for (size_t e : examples_of[c]) batch.push_back(&examples[e]);
    TRIB_ASSIGN_OR_RETURN(auto l, factory::EvaluateLoss(*env.base, &*tr.adapter, batch));
    loss[c] = l.tokens ? l.sum / static_cast<double>(l.tokens) : 0;
  }
  report("train_loss", loss);
  return json{{"contributions", n_contrib},
              {"corrupted", n_bad},
              {"rows", rows.size()},
              {"examples", examples.size()},
              {"fact_pool", pool.size()},
              {"epochs", epochs},
              {"train_seconds", tr.result.seconds},
              {"training_reused", tr.reused},
              {"final_train_loss", tr.result.final_loss},
              {"sketch_seconds", tr.sketch_seconds},
              {"scores", scores},
              {"wall_seconds", Since(t0)}};
}

}  // namespace tributary::attribution::eval
