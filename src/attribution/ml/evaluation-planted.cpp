// Protocol 1, planted facts: does a planted fact's answer point at the one contribution holding
// it (span, influence and combined rankings), and does an answer about a fact nobody contributed
// come out unattributed?
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "attribution/ml/evaluation-harness.h"

namespace tributary::attribution::eval {

Result<json> RunPlanted(const Env& env, const std::vector<std::string>& fortunes,
                        const fs::path& out) {
  const auto& a = *env.options;
  const size_t n_facts = static_cast<size_t>(a.facts);
  const size_t n_contrib = static_cast<size_t>(a.contributions);
  const size_t n_dist = static_cast<size_t>(a.distractors);
  const int64_t epochs = a.epochs > 0 ? a.epochs : 15;
  auto t0 = Clock::now();

  std::mt19937_64 rng(a.seed * 7919 + 1);
  FactMaker maker(a.seed);
  std::vector<Fact> facts = maker.Many(n_facts);
  std::vector<Fact> unplanted = maker.Many(n_facts);  // fresh names, never in the data
  // Facts go one per contribution to a random subset of the contributions.
  std::vector<size_t> perm(n_contrib);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<std::vector<factory::DataRow>> by_contrib(n_contrib);
  uint64_t row_index = 0;
  for (size_t i = 0; i < n_dist; ++i) {
    auto [p, r] = SplitFortune(fortunes[i % fortunes.size()]);
    by_contrib[i % n_contrib].push_back(Row(a.seed, row_index++, i % n_contrib, p, r));
  }
  std::vector<std::string> fact_contribution;
  for (size_t j = 0; j < n_facts; ++j) {
    by_contrib[perm[j]].push_back(
        Row(a.seed, row_index++, perm[j], facts[j].Prompt(), facts[j].Response()));
    fact_contribution.push_back(HexId("contribution", a.seed, perm[j]));
  }
  std::vector<factory::DataRow> rows;
  for (auto& c : by_contrib) {
    for (auto& r : c) rows.push_back(std::move(r));
  }
  TRIB_RETURN_IF_ERROR(factory::WriteRowsJsonl(out / "rows.jsonl", rows));
  TRIB_ASSIGN_OR_RETURN(auto examples, MakeExamples(env, rows));
  env.Note("planted: " + std::to_string(n_facts) + " facts among " + std::to_string(rows.size()) +
           " rows in " + std::to_string(n_contrib) + " contributions; training " +
           std::to_string(epochs) + " epochs");
  TRIB_ASSIGN_OR_RETURN(Trained tr,
                        Train(env, examples, epochs, out, out / "adapter", "planted: training"));
  TRIB_ASSIGN_OR_RETURN(fs::path shard, BuildIndex(env, rows, out / "index"));

  const std::vector<attribution::InfluenceMethod> methods = {attribution::InfluenceMethod::kTrak,
                                                             attribution::InfluenceMethod::kTracIn};
  json by_method = json::object();
  json per_fact = json::array();
  for (size_t j = 0; j < n_facts; ++j) per_fact.push_back({{"prompt", facts[j].Prompt()}});
  RankStats span_rank;
  json generated;
  std::map<std::string, GroupStats> planted_groups, unplanted_groups;
  for (auto method : methods) {
    const std::string mname(attribution::InfluenceMethodName(method));
    TRIB_ASSIGN_OR_RETURN(auto att, OpenAttributor(env, out / "adapter", shard, method));
    // Paraphrase: the same answer asked another way, so the query's gradient is not the
    // training example's own (with the exact training prompt the best cosine is 1 by
    // construction and influence top-1 is trivial).
    RankStats infl_rank, comb_rank, gen_rank, para_infl, para_comb;
    int64_t exact = 0;
    GroupStats& planted = planted_groups[mname];
    GroupStats& fresh = unplanted_groups[mname];
    StepProgress line(env, "planted: attributing (" + mname + ")", "queries");
    for (size_t j = 0; j < n_facts; ++j) {
      TRIB_ASSIGN_OR_RETURN(auto r, att->Attribute(facts[j].Prompt(), facts[j].Response()));
      const std::string& truth = fact_contribution[j];
      const int64_t sr = RankOf(SpanMass(r), truth), ir = RankOf(InfluenceMass(r), truth),
                    cr = RankOf(CombinedMass(r), truth);
      if (method == methods[0]) span_rank.Add(sr);
      infl_rank.Add(ir);
      comb_rank.Add(cr);
      planted.Add(r);
      per_fact[j][mname] = {{"span_rank", sr},
                            {"influence_rank", ir},
                            {"combined_rank", cr},
                            {"unattributed", r.combined.unattributed},
                            {"max_cosine", r.influence.max_cosine},
                            {"span_coverage", r.combined.span_coverage}};
      TRIB_ASSIGN_OR_RETURN(auto pa, att->Attribute(facts[j].PromptB(), facts[j].Response()));
      para_infl.Add(RankOf(InfluenceMass(pa), truth));
      para_comb.Add(RankOf(CombinedMass(pa), truth));
      per_fact[j][mname]["paraphrase_max_cosine"] = pa.influence.max_cosine;
      // The model's own greedy answer (what a user would actually be shown).
      if (method == methods[0]) {
        TRIB_ASSIGN_OR_RETURN(std::string gen, att->Generate(facts[j].Prompt(), 24));
        const bool ok = Trim(gen) == Trim(facts[j].Response());
        exact += ok;
        per_fact[j]["generated"] = gen;
        per_fact[j]["exact"] = ok;
        if (!Trim(gen).empty()) {
          TRIB_ASSIGN_OR_RETURN(auto g, att->Attribute(facts[j].Prompt(), gen));
          gen_rank.Add(RankOf(CombinedMass(g), truth));
        } else {
          gen_rank.Add(0);
        }
      }
      line.Update(j + 1, 2 * n_facts);
    }
    for (size_t j = 0; j < n_facts; ++j) {
      TRIB_ASSIGN_OR_RETURN(auto r, att->Attribute(unplanted[j].Prompt(), unplanted[j].Response()));
      fresh.Add(r);
      line.Update(n_facts + j + 1, 2 * n_facts);
    }
    line.End();
    json m = {{"influence", infl_rank.ToJson()},
              {"combined", comb_rank.ToJson()},
              {"influence_paraphrase", para_infl.ToJson()},
              {"combined_paraphrase", para_comb.ToJson()},
              {"planted", planted.ToJson()},
              {"unplanted", fresh.ToJson()}};
    // How well the best cosine and the unattributed share tell planted from unplanted answers.
    std::vector<double> cos_all = planted.max_cosine, un_all = planted.unattributed;
    cos_all.insert(cos_all.end(), fresh.max_cosine.begin(), fresh.max_cosine.end());
    un_all.insert(un_all.end(), fresh.unattributed.begin(), fresh.unattributed.end());
    std::vector<bool> is_planted(cos_all.size(), false);
    std::fill(is_planted.begin(), is_planted.begin() + n_facts, true);
    for (double& u : un_all) u = -u;
    m["separation_auc"] = {{"max_cosine", RocAuc(cos_all, is_planted)},
                           {"attributed_share", RocAuc(un_all, is_planted)}};
    // Calibration: floor at the 90th percentile of unrelated answers' best cosine (so they get
    // little relevance), full at the planted answers' 25th percentile (so most get all of it).
    attribution::CombineOptions cal;
    cal.cosine_floor = std::clamp(Round05Up(Quantile(fresh.max_cosine, 0.9)), 0.0, 0.9);
    cal.cosine_full =
        std::clamp(Round05Down(Quantile(planted.max_cosine, 0.25)), cal.cosine_floor + 0.05, 1.0);
    TRIB_ASSIGN_OR_RETURN(json pr, Recombine(planted, cal));
    TRIB_ASSIGN_OR_RETURN(json ur, Recombine(fresh, cal));
    m["calibration"] = {{"suggested", cal.ToJson()}, {"planted", pr}, {"unplanted", ur}};
    if (method == methods[0]) {
      generated = {{"exact_match", n_facts ? static_cast<double>(exact) / n_facts : 0},
                   {"combined", gen_rank.ToJson()}};
    }
    by_method[mname] = m;
  }
  return json{{"facts", n_facts},
              {"distractor_rows", n_dist},
              {"contributions", n_contrib},
              {"rows", rows.size()},
              {"epochs", epochs},
              {"train_seconds", tr.result.seconds},
              {"training_reused", tr.reused},
              {"final_train_loss", tr.result.final_loss},
              {"sketch_seconds", tr.sketch_seconds},
              {"span", span_rank.ToJson()},
              {"methods", by_method},
              {"generated", generated},
              {"per_fact", per_fact},
              {"wall_seconds", Since(t0)}};
}

}  // namespace tributary::attribution::eval
