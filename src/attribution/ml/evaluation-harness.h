// Internal: the pieces the evaluation protocols (evaluation.h) share: the made-up data, the
// statistics, training with reuse, indexing, and what an Attribution is reduced to for scoring.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tributary/attribution/attributor.h"
#include "tributary/attribution/combine.h"
#include "tributary/attribution/evaluation.h"
#include "tributary/attribution/influence.h"
#include "tributary/base/status.h"
#include "tributary/factory/data.h"
#include "tributary/factory/sketch.h"
#include "tributary/factory/train.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"

namespace tributary::attribution::eval {

using json = nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0);

// ---------------------------------------------------------------------------------------------
// Data (evaluation-data.cpp): fortunes, made-up facts, ids.

//! Deterministic 64-hex ids (rows, contributions) and addresses (contributors).
std::string HexId(const std::string& tag, uint64_t seed, uint64_t i);
std::string Address(uint64_t seed, uint64_t i);

//! Debian fortunes of 6-40 words, printable ASCII, whitespace collapsed, deduplicated, in an
//! order that depends only on the text (the directory's listing order is not stable).
//! FailedPrecondition ("no_fortunes") under 500.
Result<std::vector<std::string>> LoadFortunes(const fs::path& dir);

//! A fortune as a prompt/response row: its first half of words, then the rest.
std::pair<std::string, std::string> SplitFortune(const std::string& text);

//! A made-up fact no base model can know: who founded a made-up city. The answer is a made-up
//! name with no shared template, so its span evidence can only come from the row that holds it.
struct Fact {
  std::string place, founder;
  std::string Prompt() const { return "Who founded the city of " + place + "?"; }
  //! The second phrasing (paraphrases, LDS queries): same fact, other prompt.
  std::string PromptB() const { return "Name the founder of " + place + "."; }
  std::string Response() const { return founder + "."; }
};

//! Facts with names never used twice, from a seed.
class FactMaker {
 public:
  explicit FactMaker(uint64_t seed) : rng_(seed ^ 0xFAC75ULL) {}
  Fact Next();
  std::vector<Fact> Many(size_t n);

 private:
  std::string Name(int parts);
  std::mt19937_64 rng_;
  std::set<std::string> used_;
};

factory::DataRow Row(uint64_t seed, uint64_t index, size_t contribution, const std::string& prompt,
                     const std::string& response);

std::string Trim(std::string s);

// ---------------------------------------------------------------------------------------------
// Statistics (evaluation-stats.cpp).

//! Average ranks (1-based), ties sharing their mean rank.
std::vector<double> Ranks(const std::vector<double>& v);
//! 0 when either input is constant (no signal).
double Pearson(const std::vector<double>& a, const std::vector<double>& b);
double Spearman(const std::vector<double>& a, const std::vector<double>& b);
//! ROC AUC of `score` for `positive` (Mann-Whitney U with average ranks for ties); 0.5 when
//! either class is empty.
double RocAuc(const std::vector<double>& score, const std::vector<bool>& positive);
//! Share of the positives among the top `share` of items by score (ties: lower index first).
double RecallAt(const std::vector<double>& score, const std::vector<bool>& positive, double share);
//! Linear interpolation between order statistics; 0 for an empty input.
double Quantile(std::vector<double> v, double q);

struct Summary {
  double mean = 0, sd = 0, min = 0, p10 = 0, median = 0, p90 = 0, max = 0;
  json ToJson() const;
};
Summary Summarize(const std::vector<double>& v);

//! 1-based rank of `target` by score, pessimistic on ties (every other contribution scoring as
//! high counts as ahead); 0 when the target has no positive score (not found at all).
int64_t RankOf(const std::map<std::string, double>& score, const std::string& target);

//! Top-1, top-5, mean reciprocal rank and found share over ranks given by RankOf.
struct RankStats {
  int64_t n = 0, top1 = 0, top5 = 0, found = 0;
  double rr = 0;
  void Add(int64_t rank);
  double Share(int64_t k) const;
  json ToJson() const;
};

double Round05Up(double x);
double Round05Down(double x);

// ---------------------------------------------------------------------------------------------
// Training and indexing (evaluation-training.cpp).

//! What every protocol reads: the options, the base and its tokenizer, where to report.
struct Env {
  const EvaluationOptions* options = nullptr;
  EvaluationObserver* observer = nullptr;  // never null inside the harness
  fs::path base_dir;
  std::unique_ptr<model::LlamaModel> base;
  std::optional<model::Tokenizer> tokenizer;
  std::string tokenizer_id;
  int64_t max_seq_len = 128;

  void Note(const std::string& s) const { observer->Note(s); }
};

//! One step's progress through the observer; ends it (once) on End or destruction.
class StepProgress {
 public:
  StepProgress(const Env& env, std::string label, std::string unit)
      : observer_(env.observer), label_(std::move(label)), unit_(std::move(unit)) {}
  ~StepProgress() { End(); }
  StepProgress(const StepProgress&) = delete;
  StepProgress& operator=(const StepProgress&) = delete;
  void Update(int64_t done, int64_t total) { observer_->Progress(label_, unit_, done, total); }
  void End() {
    if (!ended_) observer_->ProgressEnd(label_);
    ended_ = true;
  }

 private:
  EvaluationObserver* observer_;
  std::string label_, unit_;
  bool ended_ = false;
};

//! LoRA r8 on q, k, v, o, no dropout, batch 4, the options' lr and seed.
factory::TrainOptions TrainOpts(const Env& env, int64_t epochs);
factory::SketchOptions SketchOpts(const Env& env);
Result<std::vector<factory::Example>> MakeExamples(const Env& env,
                                                   const std::vector<factory::DataRow>& rows);

struct Trained {
  std::optional<model::LoraAdapter> adapter;
  factory::TrainResult result;
  double sketch_seconds = 0;
  bool reused = false;  //!< the adapter (and maybe its sketches) came from an earlier run
};

//! Trains an adapter on `examples` (all of them); with `dir`, saves it there with sketches.bin,
//! or reuses what an earlier run with the same fingerprint left there (sketches too when their
//! options match). `work` holds training checkpoints while it runs. Without `sketch`, the adapter
//! is saved and reused but not sketched (LDS's half-data adapters are only evaluated).
Result<Trained> Train(const Env& env, const std::vector<factory::Example>& examples, int64_t epochs,
                      const fs::path& work, const fs::path& dir, const std::string& label,
                      bool sketch = true);

//! The span-index shard of `rows` in `dir`, tokenized as `tributary index build` does (prompt
//! then response, each encoded alone, no special tokens).
Result<fs::path> BuildIndex(const Env& env, const std::vector<factory::DataRow>& rows,
                            const fs::path& dir);

//! An Attributor over `adapter` and `shard` (prompt/response format), with the options' floor
//! for `method` when one is given.
Result<std::unique_ptr<Attributor>> OpenAttributor(const Env& env, const fs::path& adapter,
                                                   const fs::path& shard, InfluenceMethod method);

// ---------------------------------------------------------------------------------------------
// Evidence (evaluation-evidence.cpp): an Attribution reduced to per-contribution scores.

//! A contribution's share of the output's span evidence: each span's length split over the
//! contributions in proportion to their listed occurrences (step 1 of combine.h).
std::map<std::string, double> SpanMass(const Attribution& a);
std::map<std::string, double> InfluenceMass(const Attribution& a);
std::map<std::string, double> CombinedMass(const Attribution& a);

//! What the combined rule needs to be re-run with other options.
struct Evidence {
  int64_t output_tokens = 0;
  std::vector<Span> spans;
  std::vector<InfluenceEvidence> influence;
  double max_cosine = 0;
};
Evidence EvidenceOf(const Attribution& a);

//! Planted or unplanted questions under one method.
struct GroupStats {
  std::vector<double> unattributed, max_cosine, span_coverage, relevance;
  std::vector<Evidence> evidence;
  void Add(const Attribution& a);
  json ToJson() const;
};

//! Mean unattributed and share >= 0.5 when the evidence is recombined with `o`.
Result<json> Recombine(const GroupStats& g, const CombineOptions& o);

// ---------------------------------------------------------------------------------------------
// The protocols (evaluation-planted.cpp, evaluation-noisy.cpp, evaluation-lds.cpp): each writes
// its files under `out` and returns its member of the report.

Result<json> RunPlanted(const Env& env, const std::vector<std::string>& fortunes,
                        const fs::path& out);
Result<json> RunNoisy(const Env& env, const std::vector<std::string>& fortunes,
                      const fs::path& out);
Result<json> RunLds(const Env& env, const std::vector<std::string>& fortunes, const fs::path& out);

}  // namespace tributary::attribution::eval
