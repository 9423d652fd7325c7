// `tributary attribution eval`: the standard data-attribution evaluation protocols, run fully
// in-process on a base model: it builds its own contributions (made-up facts and Debian fortunes),
// trains adapters with the factory library, writes sketches and a span-index shard, and scores
// with the attribution library. Protocols (docs/attribution.md, "Evaluation"):
//   planted  does a planted fact's answer point at the one contribution holding it (span,
//            influence and combined rankings), and does an answer about a fact nobody
//            contributed come out unattributed?
//   noisy    does mean self-influence rank contributions with corrupted responses first?
//   lds      linear datamodeling score: do summed contribution scores of the full adapter
//            predict the loss of adapters retrained on random halves of the contributions?
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "cli/attribution-commands.h"
#include "tributary/attribution/attributor.h"
#include "tributary/attribution/combine.h"
#include "tributary/attribution/index_catalog.h"
#include "tributary/attribution/influence.h"
#include "tributary/attribution/shard_builder.h"
#include "tributary/attribution/span_index.h"
#include "tributary/base/bytes.h"
#include "tributary/base/file_io.h"
#include "tributary/base/fortune_file.h"
#include "tributary/base/hash.h"
#include "tributary/factory/data.h"
#include "tributary/factory/sketch.h"
#include "tributary/factory/train.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------------------------------------
// Data: fortunes, made-up facts, ids.

// Deterministic 64-hex ids (rows, contributions) and addresses (contributors).
std::string HexId(const std::string& tag, uint64_t seed, uint64_t i) {
  return ToHex(Sha256(AsBytes(tag + ":" + std::to_string(seed) + ":" + std::to_string(i))));
}
std::string Address(uint64_t seed, uint64_t i) {
  return "0x" + HexId("contributor", seed, i).substr(0, 40);
}

// Debian fortunes of 6-40 words, printable ASCII, whitespace collapsed, deduplicated, in an
// order that depends only on the text (the directory's listing order is not stable).
Result<std::vector<std::string>> LoadFortunes(const fs::path& dir) {
  auto entries = ReadFortuneDir(dir);
  if (!entries.ok() && entries.status().reason() != "file_not_found") return entries.status();
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const std::string& entry : entries.ok() ? *entries : std::vector<std::string>{}) {
    std::istringstream ws(entry);
    std::string w, text;
    int words = 0;
    while (ws >> w) text += (words++ ? " " : "") + w;
    if (words < 6 || words > 40) continue;
    if (!std::all_of(text.begin(), text.end(),
                     [](unsigned char ch) { return ch >= 32 && ch <= 126; })) {
      continue;
    }
    if (seen.insert(text).second) out.push_back(std::move(text));
  }
  if (out.size() < 500) {
    return Status::FailedPrecondition("found " + std::to_string(out.size()) +
                                          " usable fortunes in " + dir.string() +
                                          " (install fortunes-min or fortune-mod)",
                                      "no_fortunes");
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return Sha256(AsBytes(a)) < Sha256(AsBytes(b));
  });
  return out;
}

// A fortune as a prompt/response row: its first half of words, then the rest.
std::pair<std::string, std::string> SplitFortune(const std::string& text) {
  std::istringstream ws(text);
  std::vector<std::string> w;
  for (std::string s; ws >> s;) w.push_back(s);
  std::string p, r;
  for (size_t i = 0; i < w.size(); ++i) {
    std::string& dst = i < w.size() / 2 ? p : r;
    dst += (dst.empty() ? "" : " ") + w[i];
  }
  return {p, r};
}

// Made-up facts no base model can know: who founded a made-up city. The answer is a made-up
// name with no shared template, so its span evidence can only come from the row that holds it.
struct Fact {
  std::string place, founder;
  std::string Prompt() const { return "Who founded the city of " + place + "?"; }
  // The second phrasing (LDS queries): same fact, other prompt.
  std::string PromptB() const { return "Name the founder of " + place + "."; }
  std::string Response() const { return founder + "."; }
};

class FactMaker {
 public:
  explicit FactMaker(uint64_t seed) : rng_(seed ^ 0xFAC75ULL) {}
  Fact Next() {
    for (;;) {
      Fact f{Name(3), Name(2) + " " + Name(3)};
      if (!used_.insert(f.place).second) continue;
      if (!used_.insert(f.founder).second) continue;
      return f;
    }
  }
  std::vector<Fact> Many(size_t n) {
    std::vector<Fact> out;
    while (out.size() < n) out.push_back(Next());
    return out;
  }

 private:
  std::string Name(int parts) {
    static const char* syl[] = {"zor", "bia", "quel", "lan", "mir", "row", "tes",  "sa",
                                "ly",  "von", "dra",  "il",  "mar", "kes", "trel", "bu",
                                "ru",  "pal", "lin",  "ve",  "san", "tel", "ul",   "ka"};
    std::string s;
    for (int i = 0; i < parts; ++i) s += syl[rng_() % 24];
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  }
  std::mt19937_64 rng_;
  std::set<std::string> used_;
};

factory::DataRow Row(uint64_t seed, uint64_t index, size_t contribution, const std::string& prompt,
                     const std::string& response) {
  return {HexId("row", seed, index), HexId("contribution", seed, contribution),
          Address(seed, contribution), json{{"prompt", prompt}, {"response", response}}};
}

// ---------------------------------------------------------------------------------------------
// Statistics.

// Average ranks (1-based), ties sharing their mean rank.
std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = (i + j) / 2.0 + 1;
    i = j + 1;
  }
  return r;
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;  // constant input: no signal
}

double Spearman(const std::vector<double>& a, const std::vector<double>& b) {
  return Pearson(Ranks(a), Ranks(b));
}

// ROC AUC of `score` for `positive` (Mann-Whitney U with average ranks for ties).
double RocAuc(const std::vector<double>& score, const std::vector<bool>& positive) {
  auto r = Ranks(score);
  double pos = 0, sum = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (positive[i]) {
      pos += 1;
      sum += r[i];
    }
  }
  const double neg = static_cast<double>(r.size()) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (sum - pos * (pos + 1) / 2) / (pos * neg);
}

// Share of the positives among the top `share` of items by score (ties: lower index first).
double RecallAt(const std::vector<double>& score, const std::vector<bool>& positive, double share) {
  std::vector<size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  const size_t k = static_cast<size_t>(std::ceil(share * static_cast<double>(score.size())));
  double hit = 0, pos = 0;
  for (bool p : positive) pos += p;
  for (size_t i = 0; i < k && i < idx.size(); ++i) hit += positive[idx[i]];
  return pos > 0 ? hit / pos : 0.0;
}

struct Summary {
  double mean = 0, sd = 0, min = 0, p10 = 0, median = 0, p90 = 0, max = 0;
  json ToJson() const {
    return {{"mean", mean},     {"sd", sd},   {"min", min}, {"p10", p10},
            {"median", median}, {"p90", p90}, {"max", max}};
  }
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

Summary Summarize(const std::vector<double>& v) {
  Summary s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  s.min = Quantile(v, 0);
  s.p10 = Quantile(v, 0.1);
  s.median = Quantile(v, 0.5);
  s.p90 = Quantile(v, 0.9);
  s.max = Quantile(v, 1);
  return s;
}

// 1-based rank of `target` by score, pessimistic on ties (every other contribution scoring as
// high counts as ahead); 0 when the target has no positive score (not found at all).
int64_t RankOf(const std::map<std::string, double>& score, const std::string& target) {
  auto it = score.find(target);
  if (it == score.end() || !(it->second > 0)) return 0;
  int64_t r = 1;
  for (const auto& [k, v] : score) {
    if (k != target && v >= it->second) ++r;
  }
  return r;
}

struct RankStats {
  int64_t n = 0, top1 = 0, top5 = 0, found = 0;
  double rr = 0;
  void Add(int64_t rank) {
    ++n;
    if (rank == 0) return;
    ++found;
    top1 += rank == 1;
    top5 += rank <= 5;
    rr += 1.0 / static_cast<double>(rank);
  }
  double Share(int64_t k) const { return n ? static_cast<double>(k) / static_cast<double>(n) : 0; }
  json ToJson() const {
    return {{"queries", n},
            {"top1", Share(top1)},
            {"top5", Share(top5)},
            {"mrr", n ? rr / n : 0},
            {"found", Share(found)}};
  }
};

// ---------------------------------------------------------------------------------------------
// Training and indexing.

struct Env {
  const Common* common = nullptr;
  const AttributionEvalArgs* args = nullptr;
  fs::path base_dir;
  std::unique_ptr<model::LlamaModel> base;
  std::optional<model::Tokenizer> tokenizer;
  std::string tokenizer_id;
  bool tty = false;
  int64_t max_seq_len = 128;

  void Note(const std::string& s) const {
    if (!common->json) std::cerr << s << "\n";
  }
};

factory::TrainOptions TrainOpts(const Env& env, int64_t epochs) {
  factory::TrainOptions o;
  o.lora.r = 8;
  o.lora.lora_alpha = 16;
  o.lora.lora_dropout = 0;  // sketches are taken without dropout; train the same function
  o.lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
  o.lora.base_model_name_or_path = env.base_dir.string();
  o.lr = env.args->lr;
  o.epochs = epochs;
  o.batch_size = 4;
  o.seed = env.args->seed;
  o.checkpoint_every = 0;
  o.keep_checkpoints = 1;
  return o;
}

factory::SketchOptions SketchOpts(const Env& env) {
  factory::SketchOptions so;
  so.dim = env.args->sketch_dim;
  so.base_dim = env.args->sketch_base_dim;
  return so;
}

Result<std::vector<factory::Example>> MakeExamples(const Env& env,
                                                   const std::vector<factory::DataRow>& rows) {
  factory::ExampleOptions eo;
  eo.max_seq_len = env.max_seq_len;
  eo.heldout_bps = 0;  // the protocols choose their own held-out data
  TRIB_ASSIGN_OR_RETURN(
      auto set,
      factory::BuildExamples(rows, factory::ExampleFormat::kPromptResponse, *env.tokenizer, eo));
  return std::move(set.examples);
}

struct Trained {
  std::optional<model::LoraAdapter> adapter;
  factory::TrainResult result;
  double sketch_seconds = 0;
  bool reused = false;  //!< the adapter (and maybe its sketches) came from an earlier run
};

// What decides a trained adapter: the training options, every example (ids, loss start,
// tokens) and the base's files (name, size, modification time). An adapter an earlier run left
// in the same directory with the same fingerprint is reused instead of trained again.
std::string TrainingFingerprint(const Env& env, const factory::TrainOptions& o,
                                const std::vector<factory::Example>& examples) {
  Sha256Hasher h;
  auto put = [&](const std::string& s) {
    const uint64_t n = s.size();
    h.Update(ByteView(reinterpret_cast<const uint8_t*>(&n), sizeof n));
    h.Update(AsBytes(s));
  };
  put(o.ToJson().dump());
  for (const auto& e : examples) {
    put(e.row_id + e.contribution + e.contributor + ":" + std::to_string(e.loss_start));
    h.Update(ByteView(reinterpret_cast<const uint8_t*>(e.tokens.data()),
                      e.tokens.size() * sizeof(e.tokens[0])));
  }
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(env.base_dir, ec)) files.push_back(f.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const auto size = fs::file_size(f, ec);
    const auto time = fs::last_write_time(f, ec).time_since_epoch().count();
    put(f.filename().string() + ":" + std::to_string(size) + ":" + std::to_string(time));
  }
  return ToHex(h.Finish());
}

constexpr char kTrainingRecord[] = "eval-training.json";

// The adapter an earlier run finished in `dir` for this fingerprint, with its training result.
std::optional<Trained> ReuseTrained(const Env& env, const fs::path& dir,
                                    const std::string& fingerprint) {
  auto text = ReadFile(dir / kTrainingRecord);
  if (!text.ok()) return std::nullopt;
  const json rec = json::parse(*text, nullptr, false);
  if (!rec.is_object() || rec.value("fingerprint", "") != fingerprint) return std::nullopt;
  auto adapter = model::LoraAdapter::Load(dir, *env.base);
  if (!adapter.ok()) return std::nullopt;
  Trained t;
  t.adapter.emplace(std::move(*adapter));
  t.result.steps = rec.value("steps", int64_t{0});
  t.result.tokens = rec.value("tokens", int64_t{0});
  t.result.seconds = rec.value("seconds", 0.0);
  t.result.final_loss = rec.value("final_loss", 0.0);
  t.reused = true;
  return t;
}

// Whether dir/sketches.bin holds this adapter's sketches of `count` examples under `so`.
bool SketchesMatch(const fs::path& file, const model::LoraAdapter& adapter,
                   const factory::SketchOptions& so, size_t count) {
  auto f = factory::SketchFile::Open(file);
  if (!f.ok() || (*f)->count() != static_cast<int64_t>(count)) return false;
  if ((*f)->half() != so.half) return false;
  auto proj = factory::SketchProjection::Create(adapter, so);
  return proj.ok() && proj->ToJson() == (*f)->description();
}

// Trains an adapter on `examples` (all of them); with `dir`, saves it there with sketches.bin,
// or reuses what an earlier run with the same fingerprint left there (sketches too when their
// options match).
Result<Trained> Train(const Env& env, const std::vector<factory::Example>& examples, int64_t epochs,
                      const fs::path& work, const fs::path& dir, const std::string& label) {
  factory::TrainOptions o = TrainOpts(env, epochs);
  TRIB_RETURN_IF_ERROR(o.Validate());
  const std::string fingerprint = dir.empty() ? "" : TrainingFingerprint(env, o, examples);
  std::error_code ec;
  Trained t;
  if (auto earlier = dir.empty() ? std::nullopt : ReuseTrained(env, dir, fingerprint)) {
    t = std::move(*earlier);
    env.Note(label + ": reusing the adapter an earlier run trained in " + dir.string());
  } else {
    // Whatever an earlier run left there belongs to other options or was never finished.
    if (!dir.empty()) {
      fs::remove(dir / kTrainingRecord, ec);
      fs::remove(dir / "sketches.bin", ec);
    }
    t.adapter.emplace(model::LoraAdapter::Init(*env.base, o.lora, o.seed));
    const fs::path ckpt = work / ".checkpoints";
    fs::remove_all(ckpt, ec);
    ProgressLine line(env.tty, label, "steps");
    TRIB_ASSIGN_OR_RETURN(t.result, factory::TrainLora(*env.base, *t.adapter, examples, o, ckpt,
                                                       false, [&](const factory::TrainProgress& p) {
                                                         line.Update(p.step, p.total_steps);
                                                       }));
    fs::remove_all(ckpt, ec);
    if (env.tty) std::fprintf(stderr, "\n");
    if (dir.empty()) return t;
    fs::create_directories(dir, ec);
    TRIB_RETURN_IF_ERROR(t.adapter->Save(dir));
  }
  const factory::SketchOptions so = SketchOpts(env);
  if (!t.reused || !SketchesMatch(dir / "sketches.bin", *t.adapter, so, examples.size())) {
    std::vector<const factory::Example*> all;
    for (const auto& e : examples) all.push_back(&e);
    auto t0 = Clock::now();
    ProgressLine sl(env.tty, label + " sketches", "examples");
    TRIB_RETURN_IF_ERROR(factory::WriteSketches(dir / "sketches.bin", *env.base, *t.adapter, all,
                                                so,
                                                [&](int64_t d, int64_t n) { sl.Update(d, n); }));
    if (env.tty) std::fprintf(stderr, "\n");
    t.sketch_seconds = Since(t0);
  }
  // Written last: it marks the adapter in `dir` finished.
  if (!t.reused) {
    const json rec = {{"fingerprint", fingerprint},
                      {"steps", t.result.steps},
                      {"tokens", t.result.tokens},
                      {"seconds", t.result.seconds},
                      {"final_loss", t.result.final_loss}};
    TRIB_RETURN_IF_ERROR(WriteFileAtomic(dir / kTrainingRecord, rec.dump(2) + "\n"));
  }
  return t;
}

// The span-index shard of `rows`, tokenized as `tributary index build` does (prompt then
// response, each encoded alone, no special tokens).
Result<fs::path> BuildIndex(const Env& env, const std::vector<factory::DataRow>& rows,
                            const fs::path& dir) {
  std::vector<attribution::IndexRow> ir;
  for (const auto& r : rows) {
    attribution::IndexRow x{r.row_id, r.contribution, r.contributor, {}};
    for (const char* k : {"prompt", "response"}) {
      for (int32_t id : env.tokenizer->Encode(r.row[k].get<std::string>(), false)) {
        x.tokens.push_back(static_cast<uint32_t>(id));
      }
    }
    ir.push_back(std::move(x));
  }
  attribution::ShardOptions so;
  so.info.tokenizer = env.tokenizer_id;  // Attributor refuses shards of another tokenizer
  so.info.sources = {{1, 1, 0, rows.size()}};
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path path = dir / "d1-v1.span";
  TRIB_RETURN_IF_ERROR(attribution::BuildShard(ir, path, so));
  return path;
}

Result<std::unique_ptr<attribution::Attributor>> OpenAttributor(
    const Env& env, const fs::path& adapter, const fs::path& shard,
    attribution::InfluenceMethod method) {
  attribution::AttributorConfig cfg;
  cfg.base_dir = env.base_dir;
  cfg.adapter_dir = adapter;
  cfg.shards = {shard};
  cfg.prompt_response = true;
  cfg.max_seq_len = env.max_seq_len;
  cfg.influence.method = method;
  const double floor =
      method == attribution::InfluenceMethod::kTrak ? env.args->trak_floor : env.args->tracin_floor;
  if (floor >= 0) {
    cfg.combine = attribution::CombineOptions::ForMethod(attribution::InfluenceMethodName(method),
                                                         env.args->sketch_base_dim > 0);
    cfg.combine.cosine_floor = floor;
    cfg.calibrated_floors = false;
    TRIB_RETURN_IF_ERROR(cfg.combine.Validate());
  }
  return attribution::Attributor::Open(cfg);
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Protocol 1: planted facts.

// A contribution's share of the output's span evidence: each span's length split over the
// contributions in proportion to their listed occurrences (step 1 of combine.h).
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

// What the combined rule needs to be re-run with other options.
struct Evidence {
  int64_t output_tokens = 0;
  std::vector<attribution::Span> spans;
  std::vector<attribution::InfluenceEvidence> influence;
  double max_cosine = 0;
};

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

struct GroupStats {  // planted or unplanted questions under one method
  std::vector<double> unattributed, max_cosine, span_coverage, relevance;
  std::vector<Evidence> evidence;
  void Add(const attribution::Attribution& a) {
    unattributed.push_back(a.combined.unattributed);
    max_cosine.push_back(a.influence.max_cosine);
    span_coverage.push_back(a.combined.span_coverage);
    relevance.push_back(a.combined.relevance);
    evidence.push_back(EvidenceOf(a));
  }
  json ToJson() const {
    double over = 0;
    for (double u : unattributed) over += u >= 0.5;
    return {{"unattributed", Summarize(unattributed).ToJson()},
            {"share_unattributed_ge_0_5", unattributed.empty() ? 0 : over / unattributed.size()},
            {"max_cosine", Summarize(max_cosine).ToJson()},
            {"span_coverage", Summarize(span_coverage).ToJson()},
            {"relevance", Summarize(relevance).ToJson()}};
  }
};

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

double Round05Up(double x) { return std::ceil(x * 20 - 1e-9) / 20; }
double Round05Down(double x) { return std::floor(x * 20 + 1e-9) / 20; }

Result<json> RunPlanted(const Env& env, const std::vector<std::string>& fortunes,
                        const fs::path& out) {
  const auto& a = *env.args;
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
    ProgressLine line(env.tty, "planted: attributing (" + mname + ")", "queries");
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
    if (env.tty) std::fprintf(stderr, "\n");
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

// ---------------------------------------------------------------------------------------------
// Protocol 2: noisy contributions.

Result<json> RunNoisy(const Env& env, const std::vector<std::string>& fortunes,
                      const fs::path& out) {
  const auto& a = *env.args;
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

// ---------------------------------------------------------------------------------------------
// Protocol 3: linear datamodeling score.

Result<json> RunLds(const Env& env, const std::vector<std::string>& fortunes, const fs::path& out) {
  const auto& a = *env.args;
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
  for (size_t s = 0; s < m; ++s) {
    std::vector<size_t> idx(n_contrib);
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), rng);
    std::vector<bool> in(n_contrib, false);
    for (size_t i = 0; i < n_contrib / 2; ++i) in[idx[i]] = true;
    TRIB_ASSIGN_OR_RETURN(auto ex, examples_of(in));
    TRIB_ASSIGN_OR_RETURN(Trained t,
                          Train(env, ex, epochs, out, {},
                                "lds: subset " + std::to_string(s + 1) + "/" + std::to_string(m)));
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
              {"wall_seconds", Since(t0)}};
}

// ---------------------------------------------------------------------------------------------
// Output.

std::string Fmt(double x, int digits = 2) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

void PrintPlanted(const json& r) {
  std::cout << "planted: " << r["facts"] << " facts, " << r["rows"] << " rows, "
            << r["contributions"] << " contributions, " << r["epochs"] << " epochs ("
            << Fmt(r["wall_seconds"].get<double>(), 0) << " s)\n";
  std::cout << "  greedy answer exact match " << Fmt(r["generated"]["exact_match"].get<double>())
            << "\n";
  std::printf("  %-34s %6s %6s %6s\n", "evidence", "top-1", "top-5", "MRR");
  auto row = [](const std::string& name, const json& s) {
    std::printf("  %-34s %6.2f %6.2f %6.2f\n", name.c_str(), s["top1"].get<double>(),
                s["top5"].get<double>(), s["mrr"].get<double>());
  };
  std::fflush(stdout);
  row("span", r["span"]);
  for (const auto& [name, m] : r["methods"].items()) {
    row("influence (" + name + ")", m["influence"]);
    row("combined (" + name + ")", m["combined"]);
    row("influence, paraphrase (" + name + ")", m["influence_paraphrase"]);
    row("combined, paraphrase (" + name + ")", m["combined_paraphrase"]);
  }
  row("combined, greedy answer (trak)", r["generated"]["combined"]);
  std::printf("  %-10s %-10s %12s %14s %12s %10s\n", "method", "questions", "unattributed",
              "share >= 0.5", "max cosine", "span cov.");
  for (const auto& [name, m] : r["methods"].items()) {
    for (const char* g : {"planted", "unplanted"}) {
      const json& s = m[g];
      std::printf("  %-10s %-10s %12.2f %14.2f %12.2f %10.2f\n", name.c_str(), g,
                  s["unattributed"]["mean"].get<double>(),
                  s["share_unattributed_ge_0_5"].get<double>(),
                  s["max_cosine"]["mean"].get<double>(), s["span_coverage"]["mean"].get<double>());
    }
    const json& c = m["calibration"];
    std::printf(
        "  %-10s suggested cosine_floor %.2f cosine_full %.2f: unattributed planted %.2f, "
        "unplanted %.2f\n",
        name.c_str(), c["suggested"]["cosine_floor"].get<double>(),
        c["suggested"]["cosine_full"].get<double>(),
        c["planted"]["mean_unattributed"].get<double>(),
        c["unplanted"]["mean_unattributed"].get<double>());
  }
  std::fflush(stdout);
}

void PrintNoisy(const json& r) {
  std::cout << "noisy: " << r["contributions"] << " contributions (" << r["corrupted"]
            << " corrupted), " << r["rows"] << " rows, " << r["epochs"] << " epochs ("
            << Fmt(r["wall_seconds"].get<double>(), 0) << " s)\n";
  std::printf("  %-24s %8s %12s %12s\n", "ranking", "ROC AUC", "recall@10%", "recall@20%");
  for (const auto& [name, s] : r["scores"].items()) {
    std::printf("  %-24s %8.3f %12.2f %12.2f\n", name.c_str(), s["roc_auc"].get<double>(),
                s["recall_top10"].get<double>(), s["recall_top20"].get<double>());
  }
  std::fflush(stdout);
}

void PrintLds(const json& r) {
  std::cout << "lds: " << r["subsets"] << " half-data adapters, " << r["queries"] << " queries, "
            << r["contributions"] << " contributions, " << r["epochs"] << " epochs ("
            << Fmt(r["wall_seconds"].get<double>(), 0) << " s)\n";
  std::printf("  %-20s %8s %8s\n", "scores", "LDS", "sd");
  for (const auto& [name, s] : r["lds"].items()) {
    std::printf("  %-20s %8.3f %8.3f\n", name.c_str(), s["mean"].get<double>(),
                s["sd"].get<double>());
  }
  std::fflush(stdout);
}

}  // namespace

int RunAttributionEval(const Common& c, const AttributionEvalArgs& a) {
  const std::set<std::string> protocols = {"planted", "noisy", "lds", "all"};
  if (!protocols.count(a.protocol)) {
    return Fail(
        Status::InvalidArgument("--protocol must be planted, noisy, lds or all", "bad_option"));
  }
  if (a.base.empty() || a.out.empty()) {
    return Fail(Status::InvalidArgument("--base DIR and --out DIR are required", "bad_option"));
  }
  const bool planted = a.protocol == "planted" || a.protocol == "all";
  if (a.contributions < 2 || (planted && (a.facts < 1 || a.facts > a.contributions))) {
    return Fail(Status::InvalidArgument(
        "--contributions must be >= 2 and --facts between 1 and --contributions (one fact per "
        "contribution)",
        "bad_option"));
  }
  if (planted && a.distractors < a.contributions) {
    return Fail(
        Status::InvalidArgument("--distractors must be at least --contributions", "bad_option"));
  }
  if (a.subsets < 2 || a.lds_contributions < 4) {
    return Fail(Status::InvalidArgument("--subsets must be >= 2 and --lds-contributions >= 4",
                                        "bad_option"));
  }
  if (a.epochs < 0 || a.sketch_dim < 16 || a.sketch_base_dim < 0 || !(a.lr > 0)) {
    return Fail(Status::InvalidArgument(
        "--epochs must be >= 0, --sketch-dim >= 16, --sketch-base-dim >= 0, --lr > 0",
        "bad_option"));
  }
  for (const auto& [method, floor] : {std::pair<const char*, double>{"trak", a.trak_floor},
                                      std::pair<const char*, double>{"tracin", a.tracin_floor}}) {
    auto co = attribution::CombineOptions::ForMethod(method);
    if (floor >= 0) co.cosine_floor = floor;
    if (Status s = co.Validate(); !s.ok()) {
      return Fail(Status::InvalidArgument(std::string("--") + method + "-floor: " + s.message(),
                                          "bad_option"));
    }
  }
  Env env;
  env.common = &c;
  env.args = &a;
  env.base_dir = a.base;
  env.tty = ShowProgress(c);
  auto t0 = Clock::now();
  auto base = model::LlamaModel::Load(a.base);
  if (!base.ok()) return Fail(base.status());
  env.base = std::move(*base);
  auto tok = model::Tokenizer::FromDirectory(a.base);
  if (!tok.ok()) return Fail(tok.status());
  env.tokenizer.emplace(std::move(*tok));
  auto tid = attribution::TokenizerIdOfFile(fs::path(a.base) / "tokenizer.json");
  if (!tid.ok()) return Fail(tid.status());
  env.tokenizer_id = *tid;
  env.max_seq_len = std::min<int64_t>(128, env.base->config().max_position_embeddings);
  auto fortunes = LoadFortunes(a.fortunes);
  if (!fortunes.ok()) return Fail(fortunes.status());

  const fs::path out = a.out;
  std::error_code ec;
  json report = {{"format", "tributary/attribution-eval/v1"},
                 {"parameters",
                  {{"base", fs::absolute(a.base).string()},
                   {"protocol", a.protocol},
                   {"facts", a.facts},
                   {"distractors", a.distractors},
                   {"contributions", a.contributions},
                   {"lds_contributions", a.lds_contributions},
                   {"epochs", a.epochs},
                   {"subsets", a.subsets},
                   {"seed", a.seed},
                   {"lr", a.lr},
                   {"sketch_dim", a.sketch_dim},
                   {"sketch_base_dim", a.sketch_base_dim},
                   {"trak_floor", a.trak_floor},
                   {"tracin_floor", a.tracin_floor},
                   {"max_seq_len", env.max_seq_len},
                   {"lora", TrainOpts(env, 1).lora.ToJson()},
                   {"batch_size", 4},
                   {"fortunes", a.fortunes},
                   {"torch_threads", at::get_num_threads()}}}};
  const bool all = a.protocol == "all";
  auto run = [&](const std::string& name, auto fn, auto print) -> Status {
    if (!all && a.protocol != name) return Status::OK();
    const fs::path dir = out / name;
    // Every run starts from nothing, so results never mix runs, except for the trained adapter,
    // which Train reuses only when it was trained on the same examples with the same options.
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().filename() != "adapter") fs::remove_all(e.path(), ec);
    }
    ec.clear();
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
    TRIB_ASSIGN_OR_RETURN(json r, fn(env, *fortunes, dir));
    report[name] = r;
    if (!c.json) print(r);
    return Status::OK();
  };
  if (Status s = run("planted", RunPlanted, PrintPlanted); !s.ok()) return Fail(s);
  if (Status s = run("noisy", RunNoisy, PrintNoisy); !s.ok()) return Fail(s);
  if (Status s = run("lds", RunLds, PrintLds); !s.ok()) return Fail(s);
  report["wall_seconds"] = Since(t0);
  {
    std::ofstream f(out / "eval.json", std::ios::trunc);
    f << report.dump(2) << "\n";
    if (!f.flush()) return Fail(Status::IOError("cannot write " + (out / "eval.json").string()));
  }
  if (c.json) {
    PrintJson(report);
  } else {
    std::cout << "wrote " << (out / "eval.json").string() << " (" << Fmt(Since(t0), 0)
              << " s in all)\n";
  }
  return 0;
}

}  // namespace tributary::cli
