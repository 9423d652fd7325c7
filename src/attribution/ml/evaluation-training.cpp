// The evaluation's training (with reuse of an earlier run's adapter), sketching and indexing.
#include <algorithm>

#include "attribution/ml/evaluation-harness.h"
#include "tributary/attribution/shard_builder.h"
#include "tributary/attribution/span_index.h"
#include "tributary/base/bytes.h"
#include "tributary/base/file_io.h"
#include "tributary/base/hash.h"

namespace tributary::attribution::eval {

factory::TrainOptions TrainOpts(const Env& env, int64_t epochs) {
  factory::TrainOptions o;
  o.lora.r = 8;
  o.lora.lora_alpha = 16;
  o.lora.lora_dropout = 0;  // sketches are taken without dropout; train the same function
  o.lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
  o.lora.base_model_name_or_path = env.base_dir.string();
  o.lr = env.options->lr;
  o.epochs = epochs;
  o.batch_size = 4;
  o.seed = env.options->seed;
  o.checkpoint_every = 0;
  o.keep_checkpoints = 1;
  return o;
}

factory::SketchOptions SketchOpts(const Env& env) {
  factory::SketchOptions so;
  so.dim = env.options->sketch_dim;
  so.base_dim = env.options->sketch_base_dim;
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

namespace {

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

}  // namespace

// Trains an adapter on `examples` (all of them); with `dir`, saves it there with sketches.bin,
// or reuses what an earlier run with the same fingerprint left there (sketches too when their
// options match).
Result<Trained> Train(const Env& env, const std::vector<factory::Example>& examples, int64_t epochs,
                      const fs::path& work, const fs::path& dir, const std::string& label,
                      bool sketch) {
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
    StepProgress line(env, label, "steps");
    TRIB_ASSIGN_OR_RETURN(t.result, factory::TrainLora(*env.base, *t.adapter, examples, o, ckpt,
                                                       false, [&](const factory::TrainProgress& p) {
                                                         line.Update(p.step, p.total_steps);
                                                       }));
    fs::remove_all(ckpt, ec);
    line.End();
    if (dir.empty()) return t;
    fs::create_directories(dir, ec);
    TRIB_RETURN_IF_ERROR(t.adapter->Save(dir));
  }
  const factory::SketchOptions so = SketchOpts(env);
  if (sketch &&
      (!t.reused || !SketchesMatch(dir / "sketches.bin", *t.adapter, so, examples.size()))) {
    std::vector<const factory::Example*> all;
    for (const auto& e : examples) all.push_back(&e);
    auto t0 = Clock::now();
    StepProgress sl(env, label + " sketches", "examples");
    TRIB_RETURN_IF_ERROR(factory::WriteSketches(dir / "sketches.bin", *env.base, *t.adapter, all,
                                                so,
                                                [&](int64_t d, int64_t n) { sl.Update(d, n); }));
    sl.End();
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
  const double floor = method == attribution::InfluenceMethod::kTrak ? env.options->trak_floor
                                                                     : env.options->tracin_floor;
  if (floor >= 0) {
    cfg.combine = attribution::CombineOptions::ForMethod(attribution::InfluenceMethodName(method),
                                                         env.options->sketch_base_dim > 0);
    cfg.combine.cosine_floor = floor;
    cfg.calibrated_floors = false;
    TRIB_RETURN_IF_ERROR(cfg.combine.Validate());
  }
  return attribution::Attributor::Open(cfg);
}

}  // namespace tributary::attribution::eval
