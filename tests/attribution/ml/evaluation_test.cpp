// The evaluation harness (attribution/evaluation.h): its statistics on hand-checked inputs, its
// option checks, and a small planted run in-process reporting through the observer.
#include "tributary/attribution/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "attribution/ml/evaluation-harness.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "tributary/base/file_io.h"
#include "tributary/model/llama.h"
#include "tributary/model/tokenizer.h"

namespace tributary::attribution {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(EvaluationStatsTest, RanksShareTheirMeanOnTies) {
  EXPECT_EQ(eval::Ranks({30, 10, 20, 10}), (std::vector<double>{4, 1.5, 3, 1.5}));
  EXPECT_TRUE(eval::Ranks({}).empty());
}

TEST(EvaluationStatsTest, CorrelationsOfMonotoneConstantAndMismatchedInputs) {
  const std::vector<double> x = {1, 2, 3, 4, 5};
  EXPECT_NEAR(eval::Pearson(x, {2, 4, 6, 8, 10}), 1.0, 1e-12);
  EXPECT_NEAR(eval::Pearson(x, {5, 4, 3, 2, 1}), -1.0, 1e-12);
  // Monotone but not linear: Spearman 1, Pearson below it.
  EXPECT_NEAR(eval::Spearman(x, {1, 4, 9, 16, 1000}), 1.0, 1e-12);
  EXPECT_LT(eval::Pearson(x, {1, 4, 9, 16, 1000}), 0.9);
  EXPECT_EQ(eval::Pearson(x, {7, 7, 7, 7, 7}), 0.0);  // constant: no signal
  EXPECT_EQ(eval::Pearson({}, {}), 0.0);
  EXPECT_EQ(eval::Pearson(x, {1, 2}), 0.0);
}

TEST(EvaluationStatsTest, RocAucCountsPairsAndHalvesTies) {
  EXPECT_EQ(eval::RocAuc({0.9, 0.8, 0.1, 0.2}, {true, true, false, false}), 1.0);
  EXPECT_EQ(eval::RocAuc({0.1, 0.2, 0.9, 0.8}, {true, true, false, false}), 0.0);
  // One positive tied with one of two negatives, above the other: (1 + 0.5) / 2.
  EXPECT_EQ(eval::RocAuc({0.5, 0.5, 0.1}, {true, false, false}), 0.75);
  EXPECT_EQ(eval::RocAuc({0.5, 0.4}, {true, true}), 0.5);  // no negatives
}

TEST(EvaluationStatsTest, RecallAtTheTopShare) {
  const std::vector<double> score = {0.9, 0.1, 0.8, 0.7, 0.2};
  const std::vector<bool> positive = {true, true, false, false, false};
  EXPECT_EQ(eval::RecallAt(score, positive, 0.2), 0.5);  // top 1 of 5 holds one of two
  EXPECT_EQ(eval::RecallAt(score, positive, 1.0), 1.0);
  EXPECT_EQ(eval::RecallAt(score, {false, false, false, false, false}, 0.5), 0.0);
}

TEST(EvaluationStatsTest, QuantilesInterpolateAndSummariesAgree) {
  EXPECT_EQ(eval::Quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_EQ(eval::Quantile({4, 1, 3, 2}, 0), 1);
  EXPECT_EQ(eval::Quantile({4, 1, 3, 2}, 1), 4);
  EXPECT_EQ(eval::Quantile({}, 0.5), 0);
  const eval::Summary s = eval::Summarize({1, 2, 3, 4, 5});
  EXPECT_EQ(s.mean, 3);
  EXPECT_NEAR(s.sd, std::sqrt(2.5), 1e-12);
  EXPECT_EQ(s.median, 3);
  EXPECT_NEAR(s.p10, 1.4, 1e-12);
  EXPECT_EQ(s.ToJson()["max"], 5);
}

TEST(EvaluationStatsTest, RankOfIsPessimisticOnTiesAndZeroWhenNotFound) {
  const std::map<std::string, double> score = {{"a", 0.5}, {"b", 0.5}, {"c", 0.9}, {"d", 0}};
  EXPECT_EQ(eval::RankOf(score, "c"), 1);
  EXPECT_EQ(eval::RankOf(score, "a"), 3);  // c and the tied b count as ahead
  EXPECT_EQ(eval::RankOf(score, "d"), 0);  // no positive score
  EXPECT_EQ(eval::RankOf(score, "e"), 0);
  eval::RankStats r;
  for (int64_t rank : {1, 3, 0, 6}) r.Add(rank);
  const json j = r.ToJson();
  EXPECT_EQ(j["queries"], 4);
  EXPECT_EQ(j["top1"], 0.25);
  EXPECT_EQ(j["top5"], 0.5);
  EXPECT_EQ(j["found"], 0.75);
  EXPECT_NEAR(j["mrr"].get<double>(), (1 + 1.0 / 3 + 1.0 / 6) / 4, 1e-12);
}

TEST(EvaluationStatsTest, MadeUpFactsAreDeterministicAndNeverRepeatANameTwice) {
  eval::FactMaker a(7), b(7), c(8);
  const auto fa = a.Many(50), fb = b.Many(50), fc = c.Many(50);
  std::set<std::string> names;
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].place, fb[i].place);
    EXPECT_TRUE(names.insert(fa[i].place).second);
    EXPECT_TRUE(names.insert(fa[i].founder).second);
  }
  EXPECT_NE(fa[0].place + fa[1].place, fc[0].place + fc[1].place);
  EXPECT_EQ(eval::SplitFortune("one two three four five"),
            (std::pair<std::string, std::string>{"one two", "three four five"}));
}

EvaluationOptions SmallPlanted(const fs::path& base, const fs::path& out) {
  EvaluationOptions o;
  o.base = base.string();
  o.out = out.string();
  o.protocol = "planted";
  o.facts = 2;
  o.distractors = 6;
  o.contributions = 3;
  o.epochs = 1;
  o.sketch_dim = 16;
  return o;
}

TEST(EvaluationOptionsTest, EachOptionOutOfRangeIsNamed) {
  const EvaluationOptions good = SmallPlanted("base", "out");
  EXPECT_TRUE(good.Validate().ok());
  const std::vector<std::pair<std::function<void(EvaluationOptions&)>, std::string>> bad = {
      {[](auto& o) { o.protocol = "ranked"; }, "--protocol"},
      {[](auto& o) { o.base.clear(); }, "--base"},
      {[](auto& o) { o.out.clear(); }, "--out"},
      {[](auto& o) { o.contributions = 1; }, "--contributions"},
      {[](auto& o) { o.facts = 4; }, "--facts"},
      {[](auto& o) { o.distractors = 2; }, "--distractors"},
      {[](auto& o) { o.subsets = 1; }, "--subsets"},
      {[](auto& o) { o.lds_contributions = 3; }, "--lds-contributions"},
      {[](auto& o) { o.epochs = -1; }, "--epochs"},
      {[](auto& o) { o.sketch_dim = 8; }, "--sketch-dim"},
      {[](auto& o) { o.sketch_base_dim = -2; }, "--sketch-base-dim"},
      {[](auto& o) { o.lr = 0; }, "--lr"},
      {[](auto& o) { o.trak_floor = 1.5; }, "--trak-floor"},
      {[](auto& o) { o.tracin_floor = 2; }, "--tracin-floor"},
  };
  for (const auto& [edit, named] : bad) {
    EvaluationOptions o = good;
    edit(o);
    const Status s = o.Validate();
    EXPECT_EQ(s.reason(), "bad_option") << named;
    EXPECT_NE(s.message().find(named), std::string::npos) << s.message();
  }
}

// Records what the harness reports.
class Recorder : public EvaluationObserver {
 public:
  void Note(const std::string& line) override { notes.push_back(line); }
  void Progress(const std::string& label, const std::string&, int64_t done,
                int64_t total) override {
    if (open.empty() || open.back() != label) open.push_back(label);
    last_done[label] = {done, total};
  }
  void ProgressEnd(const std::string& label) override { ended.push_back(label); }
  void ProtocolDone(const std::string& protocol, const json& r) override { done[protocol] = r; }
  std::vector<std::string> notes, open, ended;
  std::map<std::string, std::pair<int64_t, int64_t>> last_done;
  std::map<std::string, json> done;
};

// A random tiny Llama with a 300-token byte-level tokenizer, saved as a base at `dir`.
void SaveTinyBase(const fs::path& dir) {
  auto model = model::LlamaModel::Random(testing::TinyModelConfig(300), 3);
  ASSERT_TRUE(model->Save(dir).ok());
  ASSERT_TRUE(model::WriteByteLevelTokenizer(dir, 300).ok());
}

TEST(EvaluationRunTest, APlantedRunReportsThroughTheObserverAndWritesItsReport) {
  testing::TempDir tmp;
  const fs::path base = tmp.path() / "base", out = tmp.path() / "eval";
  ASSERT_NO_FATAL_FAILURE(SaveTinyBase(base));

  Recorder rec;
  auto report = RunEvaluation(SmallPlanted(base, out), &rec);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["format"], "tributary/attribution-eval/v1");
  ASSERT_TRUE(report->contains("planted"));
  EXPECT_FALSE(report->contains("noisy"));
  EXPECT_EQ((*report)["planted"]["facts"], 2);
  EXPECT_EQ((*report)["planted"]["methods"]["trak"]["influence"]["queries"], 2);
  // What it returned is what it wrote.
  auto written = ReadFile(out / "eval.json");
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(json::parse(*written), *report);
  EXPECT_TRUE(fs::exists(out / "planted" / "adapter" / "sketches.bin"));

  ASSERT_EQ(rec.done.size(), 1u);
  EXPECT_EQ(rec.done["planted"], (*report)["planted"]);
  ASSERT_FALSE(rec.notes.empty());
  EXPECT_EQ(rec.notes[0].rfind("planted: 2 facts", 0), 0u) << rec.notes[0];
  // Every step that showed progress ended, and each ended complete.
  EXPECT_EQ(rec.open, rec.ended);
  for (const auto& [label, dt] : rec.last_done) EXPECT_EQ(dt.first, dt.second) << label;
  EXPECT_EQ(rec.last_done["planted: attributing (trak)"].second, 4);  // 2 planted + 2 unplanted
}

// LDS keeps its half-data adapters: a second run with the same options trains none of them
// again and gives the same query losses.
TEST(EvaluationRunTest, LdsReusesItsHalfDataAdaptersOnARerun) {
  testing::TempDir tmp;
  const fs::path base = tmp.path() / "base", out = tmp.path() / "eval";
  ASSERT_NO_FATAL_FAILURE(SaveTinyBase(base));
  EvaluationOptions o = SmallPlanted(base, out);
  o.protocol = "lds";
  o.lds_contributions = 6;
  o.subsets = 3;
  auto first = RunEvaluation(o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)["lds"]["subsets_reused"], 0);
  EXPECT_FALSE((*first)["lds"]["full_training_reused"].get<bool>());
  EXPECT_TRUE(fs::exists(out / "lds" / "subset-3" / "eval-training.json"));
  EXPECT_FALSE(fs::exists(out / "lds" / "subset-3" / "sketches.bin"));  // evaluated, not sketched

  auto second = RunEvaluation(o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*second)["lds"]["subsets_reused"], 3);
  EXPECT_TRUE((*second)["lds"]["full_training_reused"].get<bool>());
  for (const char* key : {"query_loss_subsets", "query_loss_full_adapter"}) {
    EXPECT_EQ((*second)["lds"][key], (*first)["lds"][key]) << key;
  }
}

TEST(EvaluationRunTest, AMissingBaseOrBadOptionsFailBeforeWritingAnything) {
  testing::TempDir tmp;
  EvaluationOptions o = SmallPlanted(tmp.path() / "none", tmp.path() / "eval");
  EXPECT_FALSE(RunEvaluation(o).ok());
  o.facts = 0;
  EXPECT_EQ(RunEvaluation(o).status().reason(), "bad_option");
  EXPECT_FALSE(fs::exists(tmp.path() / "eval"));
}

}  // namespace
}  // namespace tributary::attribution
