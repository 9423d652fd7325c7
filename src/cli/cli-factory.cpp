// `tributary factory train|eval`: fine-tune LoRA adapters on published Datanet versions fetched
// from the node, evaluate them, and write PEFT files plus lineage (training.json) and metrics.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/factory-commands.h"
#include "tributary/base/file_hash.h"
#include "tributary/base/hash.h"
#include "tributary/factory/data.h"
#include "tributary/factory/eval.h"
#include "tributary/factory/sketch.h"
#include "tributary/factory/train.h"
#include "tributary/model/llama.h"
#include "tributary/model/tokenizer.h"
#include "tributary/model/tokenizer_train.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted = true; }

struct Source {
  VersionRef ref;
  std::string root;
  std::string datanet_name;
  std::vector<factory::DataRow> rows;
};

// The rows of one version, from the cache when it holds exactly them, else from the node.
Result<Source> FetchVersion(const Common& c, const VersionRef& ref, const fs::path& cache_dir,
                            bool progress) {
  const std::string base = "/v1/datanets/" + std::to_string(ref.datanet);
  TRIB_ASSIGN_OR_RETURN(json d, NodeGet(c, base));
  auto v = NodeGet(c, base + "/versions/" + std::to_string(ref.version));
  if (!v.ok()) {
    return v.status().code() == Code::kNotFound
               ? Status::NotFound(v.status().message(), "unknown_version")
               : v.status();
  }
  Source s;
  s.ref = ref;
  s.root = (*v)["root"].get<std::string>();
  s.datanet_name = d.value("name", "");
  const uint64_t total = (*v)["rows"].get<uint64_t>();
  if (total == 0) return Status::FailedPrecondition("the version has no rows", "empty_version");
  fs::path cache = cache_dir / (std::to_string(ref.datanet) + "@" + std::to_string(ref.version) +
                                "-" + s.root.substr(0, 16) + ".jsonl");
  if (fs::exists(cache)) {
    auto rows = factory::ReadRowsJsonl(cache);
    if (rows.ok() && rows->size() == total) {
      s.rows = std::move(*rows);
      return s;
    }
  }
  ProgressLine line(progress,
                    "fetching " + std::to_string(ref.datanet) + "@" + std::to_string(ref.version),
                    "rows");
  while (s.rows.size() < total) {
    TRIB_ASSIGN_OR_RETURN(
        json page, NodeGet(c, base + "/versions/" + std::to_string(ref.version) +
                                  "/rows?offset=" + std::to_string(s.rows.size()) + "&limit=1000"));
    if (page["rows"].empty()) break;
    for (const auto& r : page["rows"]) {
      s.rows.push_back({r["row_id"].get<std::string>(), r["contribution"].get<std::string>(),
                        r["contributor"].get<std::string>(), r["row"]});
    }
    line.Update(s.rows.size(), total);
  }
  if (s.rows.size() != total) {
    return Status::Unavailable("the node returned " + std::to_string(s.rows.size()) + " of " +
                               std::to_string(total) + " rows");
  }
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  TRIB_RETURN_IF_ERROR(factory::WriteRowsJsonl(cache, s.rows));
  return s;
}

Status WriteJsonFile(const fs::path& path, const json& j) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out.flush()) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot write " + path.string() + ": " + ec.message());
  return Status::OK();
}

uint32_t HeldoutBps(double share) { return static_cast<uint32_t>(share * 10000 + 0.5); }

struct Loaded {
  std::unique_ptr<model::LlamaModel> base;
  std::optional<model::Tokenizer> tokenizer;
  std::vector<Source> sources;
  std::vector<factory::Example> examples;
  int64_t dropped = 0;
};

// Base, tokenizer, rows and examples: what train and eval share.
Result<Loaded> LoadAll(const Common& c, const std::string& base_dir, const std::string& data,
                       const fs::path& cache, int64_t max_seq_len, double heldout) {
  if (heldout < 0 || heldout >= 1) {
    return Status::InvalidArgument("--heldout must be in [0, 1)", "bad_option");
  }
  TRIB_ASSIGN_OR_RETURN(auto refs, ParseVersions(data, "--data"));
  Loaded l;
  TRIB_ASSIGN_OR_RETURN(l.base, model::LlamaModel::Load(base_dir));
  TRIB_ASSIGN_OR_RETURN(auto tok, model::Tokenizer::FromDirectory(base_dir));
  l.tokenizer.emplace(std::move(tok));
  factory::ExampleOptions eo;
  eo.max_seq_len = std::min<int64_t>(max_seq_len, l.base->config().max_position_embeddings);
  eo.heldout_bps = HeldoutBps(heldout);
  for (const auto& ref : refs) {
    TRIB_ASSIGN_OR_RETURN(Source s, FetchVersion(c, ref, cache, ShowProgress(c)));
    TRIB_ASSIGN_OR_RETURN(
        auto set, factory::BuildExamples(s.rows, factory::DetectFormat(s.rows), *l.tokenizer, eo));
    l.dropped += set.dropped;
    for (auto& e : set.examples) l.examples.push_back(std::move(e));
    l.sources.push_back(std::move(s));
  }
  return l;
}

// Prints training progress: one JSON event per step with --json, a \r line on a terminal.
std::function<void(const factory::TrainProgress&)> StepPrinter(const Common& c, bool tty) {
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [&c, tty, last](const factory::TrainProgress& p) {
    if (c.json) {
      std::cout << json{{"event", "step"},
                        {"step", p.step},
                        {"total_steps", p.total_steps},
                        {"epoch", p.epoch},
                        {"loss", p.loss},
                        {"lr", p.lr},
                        {"tokens", p.tokens},
                        {"tokens_per_s", p.tokens_per_s},
                        {"eta_s", p.eta_s}}
                       .dump()
                << std::endl;
      return;
    }
    if (!tty) return;
    auto now = std::chrono::steady_clock::now();
    if (p.step != p.total_steps && now - *last < std::chrono::milliseconds(200)) return;
    *last = now;
    std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %.0fs   ",
                 static_cast<long long>(p.step), static_cast<long long>(p.total_steps), p.loss,
                 p.lr, p.tokens_per_s, p.eta_s);
    if (p.step == p.total_steps) std::fprintf(stderr, "\n");
  };
}

void CatchInterrupts() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int Interrupted(const fs::path& checkpoints, int64_t step, bool tty) {
  if (tty) std::fprintf(stderr, "\n");
  std::cerr << "error: interrupted at step " << step << "; a checkpoint is in "
            << checkpoints.string() << ": run the same command with --resume (interrupted)\n";
  return 130;
}

// Moves the files a model writer put in `staging` into `out` (one rename each).
Status MoveInto(const fs::path& staging, const fs::path& out) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(staging, ec)) {
    fs::rename(e.path(), out / e.path().filename(), ec);
    if (ec) return Status::IOError("cannot move " + e.path().string() + ": " + ec.message());
  }
  fs::remove_all(staging, ec);
  return Status::OK();
}

}  // namespace

int RunFactoryTrain(const Common& c, const FactoryTrainArgs& a) {
  if (a.out.empty()) return Fail(Status::InvalidArgument("--out DIR is required", "bad_option"));
  factory::TrainOptions o;
  o.lora.r = a.rank;
  o.lora.lora_alpha = a.alpha;
  o.lora.lora_dropout = a.dropout;
  o.lora.target_modules = SplitComma(a.targets);
  o.lora.base_model_name_or_path = a.base;
  o.lr = a.lr;
  o.epochs = a.epochs;
  o.batch_size = a.batch_size;
  o.grad_accum = a.grad_accum;
  o.warmup_steps = a.warmup_steps;
  o.seed = a.seed;
  o.checkpoint_every = a.checkpoint_every;
  o.max_steps = a.max_steps;
  if (Status s = o.Validate(); !s.ok()) return Fail(s);
  if (a.max_seq_len < 2)
    return Fail(Status::InvalidArgument("--max-seq-len must be >= 2", "bad_option"));
  if (a.sketch_dim < 0 || a.sketch_base_dim < 0) {
    return Fail(
        Status::InvalidArgument("--sketch-dim and --sketch-base-dim must be >= 0", "bad_option"));
  }
  const fs::path out = a.out;
  if (fs::exists(out / "training.json") && !a.resume) {
    return Fail(
        Status::AlreadyExists(out.string() + " already holds a trained adapter", "out_exists"));
  }
  if (a.resume && !fs::exists(out / "checkpoints")) {
    return Fail(Status::NotFound("no checkpoints in " + out.string() + " to resume from",
                                 "nothing_to_resume"));
  }
  auto base_hash = HashModelFiles(a.base, ModelFiles::kBase);
  if (!base_hash.ok()) return Fail(base_hash.status());
  auto loaded = LoadAll(c, a.base, a.data, out / "data", a.max_seq_len, a.heldout);
  if (!loaded.ok()) return Fail(loaded.status());
  int64_t train_n = 0, held_n = 0;
  for (const auto& e : loaded->examples) (e.heldout ? held_n : train_n)++;
  if (train_n == 0) {
    return Fail(
        Status::FailedPrecondition("no training rows (all held out or empty)", "no_training_data"));
  }
  // The data (by root), length and split shape the run too: resume compares them.
  json context_data = json::array();
  for (const auto& s : loaded->sources) {
    context_data.push_back(
        {{"datanet", s.ref.datanet}, {"version", s.ref.version}, {"root", s.root}});
  }
  o.context = {{"data", context_data},
               {"max_seq_len", a.max_seq_len},
               {"heldout_bps", HeldoutBps(a.heldout)},
               {"base_hash", ToHex(*base_hash)}};
  model::LoraAdapter adapter = model::LoraAdapter::Init(*loaded->base, o.lora, o.seed);

  const bool tty = ShowProgress(c);
  if (!c.json) {
    std::cerr << "training a rank-" << a.rank << " LoRA on " << train_n << " rows (" << held_n
              << " held out";
    if (loaded->dropped) std::cerr << ", " << loaded->dropped << " dropped as empty";
    std::cerr << ")\n";
  }
  CatchInterrupts();
  auto on_step = StepPrinter(c, tty);
  auto result = factory::TrainLora(*loaded->base, adapter, loaded->examples, o, out / "checkpoints",
                                   a.resume, on_step, [] { return g_interrupted.load(); });
  if (!result.ok()) return Fail(result.status());
  if (result->stopped) return Interrupted(out / "checkpoints", result->steps, tty);

  // Evaluation on the held-out rows: base alone and with the adapter.
  json metrics = {{"train_rows", train_n},
                  {"heldout_rows", held_n},
                  {"training_tokens", result->tokens},
                  {"steps", result->steps},
                  {"train_seconds", result->seconds},
                  {"final_train_loss", result->final_loss}};
  auto held = factory::HeldOut(loaded->examples);
  if (!held.empty()) {
    auto eb = factory::Evaluate(*loaded->base, nullptr, *loaded->tokenizer, held);
    auto ea = factory::Evaluate(*loaded->base, &adapter, *loaded->tokenizer, held);
    if (!eb.ok()) return Fail(eb.status());
    if (!ea.ok()) return Fail(ea.status());
    metrics["base"] = eb->ToJson();
    metrics["adapter"] = ea->ToJson();
  }

  if (g_interrupted) return Interrupted(out / "checkpoints", result->steps, tty);

  // Attribution sketches of every training example, with the final weights.
  json sketches = nullptr;
  if (a.sketch_dim > 0) {
    std::vector<const factory::Example*> train_set;
    for (const auto& e : loaded->examples) {
      if (!e.heldout) train_set.push_back(&e);
    }
    factory::SketchOptions so;
    so.dim = a.sketch_dim;
    so.base_dim = a.sketch_base_dim;
    so.half = a.sketch_half;
    ProgressLine line(tty, "sketching", "examples");
    auto t0 = std::chrono::steady_clock::now();
    Status s = factory::WriteSketches(
        out / "sketches.bin", *loaded->base, adapter, train_set, so,
        [&](int64_t d, int64_t t) { line.Update(d, t); }, [] { return g_interrupted.load(); });
    if (s.reason() == "interrupted") return Interrupted(out / "checkpoints", result->steps, tty);
    if (!s.ok()) return Fail(s);
    auto f = factory::SketchFile::Open(out / "sketches.bin");
    if (!f.ok()) return Fail(f.status());
    sketches = {
        {"file", "sketches.bin"},
        {"count", (*f)->count()},
        {"dim", (*f)->dim()},
        {"base_dim", so.base_dim > 0 ? (*f)->description()["base_checkpoint"]["dim"] : json(0)},
        {"seed", (*f)->seed()},
        {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
  }
  if (g_interrupted) return Interrupted(out / "checkpoints", result->steps, tty);

  // Sketches first (above), then the adapter files, then training.json last: it marks a
  // finished adapter. An interruption before this point leaves only checkpoints; --resume then
  // redoes evaluation and sketches from the final one.
  std::error_code ec;
  fs::create_directories(out, ec);
  const fs::path staging = out / ".adapter.tmp";
  fs::remove_all(staging, ec);
  if (Status s = adapter.Save(staging); !s.ok()) return Fail(s);
  if (Status s = MoveInto(staging, out); !s.ok()) return Fail(s);
  if (Status s = WriteJsonFile(out / "metrics.json", metrics); !s.ok()) return Fail(s);
  json data = json::array();
  for (const auto& s : loaded->sources) {
    data.push_back({{"datanet", s.ref.datanet},
                    {"version", s.ref.version},
                    {"root", s.root},
                    {"name", s.datanet_name},
                    {"rows", s.rows.size()}});
  }
  json config = o.ToJson();
  json lineage = {{"format", "tributary/lineage/v1"},
                  {"base", {{"path", fs::absolute(a.base).string()}, {"hash", ToHex(*base_hash)}}},
                  {"data", data},
                  {"config", config},
                  {"config_hash", ToHex(Sha256(AsBytes(config.dump())))},
                  {"metrics", metrics},
                  {"sketches", sketches}};
  auto adapter_hash = HashModelFiles(out, ModelFiles::kAdapter);
  if (!adapter_hash.ok()) return Fail(adapter_hash.status());
  lineage["adapter_hash"] = ToHex(*adapter_hash);
  if (Status s = WriteJsonFile(out / "training.json", lineage); !s.ok()) return Fail(s);

  if (c.json) {
    std::cout << json{{"event", "done"}, {"out", out.string()}, {"metrics", metrics}}.dump()
              << std::endl;
  } else {
    std::cout << "trained " << result->steps << " steps on " << result->tokens << " tokens in "
              << static_cast<int64_t>(result->seconds) << " s; adapter in " << out.string() << "\n";
    if (metrics.contains("adapter")) {
      std::cout << "held-out loss: base " << metrics["base"]["loss"].get<double>() << ", adapter "
                << metrics["adapter"]["loss"].get<double>() << " (perplexity "
                << metrics["base"]["perplexity"].get<double>() << " -> "
                << metrics["adapter"]["perplexity"].get<double>() << ")\n";
    }
  }
  return 0;
}

int RunFactoryPretrain(const Common& c, const FactoryPretrainArgs& a) {
  if (a.out.empty()) return Fail(Status::InvalidArgument("--out DIR is required", "bad_option"));
  if (a.heads <= 0 || a.hidden % a.heads != 0 || a.kv_heads <= 0 || a.heads % a.kv_heads != 0) {
    return Fail(Status::InvalidArgument(
        "--hidden must be a multiple of --heads, and --heads a multiple of --kv-heads",
        "bad_option"));
  }
  if (a.max_seq_len < 8) {
    return Fail(Status::InvalidArgument("--max-seq-len must be at least 8", "bad_option"));
  }
  if (a.heldout < 0 || a.heldout >= 1) {
    return Fail(Status::InvalidArgument("--heldout must be in [0, 1)", "bad_option"));
  }
  factory::TrainOptions o;
  o.full = true;
  o.lr = a.lr;
  o.epochs = a.epochs;
  o.batch_size = a.batch_size;
  o.warmup_steps = a.warmup_steps;
  o.min_lr_ratio = 0.1;
  o.weight_decay = 0.01;
  o.seed = a.seed;
  o.checkpoint_every = a.checkpoint_every;
  o.max_steps = a.max_steps;
  if (Status s = o.Validate(); !s.ok()) return Fail(s);
  const fs::path out = a.out;
  if (fs::exists(out / "pretrain.json") && !a.resume) {
    return Fail(
        Status::AlreadyExists(out.string() + " already holds a pretrained model", "out_exists"));
  }
  if (a.resume && !fs::exists(out / "checkpoints")) {
    return Fail(Status::NotFound("no checkpoints in " + out.string() + " to resume from",
                                 "nothing_to_resume"));
  }
  auto refs = ParseVersions(a.data, "--data");
  if (!refs.ok()) return Fail(refs.status());
  const bool tty = ShowProgress(c);
  std::vector<Source> sources;
  std::vector<factory::DataRow> rows;
  for (const auto& ref : *refs) {
    auto src = FetchVersion(c, ref, out / "data", tty);
    if (!src.ok()) return Fail(src.status());
    rows.insert(rows.end(), src->rows.begin(), src->rows.end());
    sources.push_back(std::move(*src));
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  // 1. The tokenizer, from the training rows' text (held-out rows excluded), unless resuming.
  const fs::path tok_dir = out / "tokenizer";
  if (!(a.resume && fs::exists(tok_dir / "tokenizer.json"))) {
    std::vector<std::string> texts;
    for (const auto& r : rows) {
      if (factory::IsHeldOut(r.row_id, static_cast<uint32_t>(a.heldout * 10000 + 0.5))) continue;
      std::string t;
      for (const auto& [k, v] : r.row.items()) {
        if (v.is_string()) t += (t.empty() ? "" : "\n") + v.get<std::string>();
      }
      texts.push_back(std::move(t));
    }
    model::BpeTrainOptions bo;
    bo.vocab_size = static_cast<int32_t>(a.vocab);
    ProgressLine line(tty, "tokenizer merges", "merges");
    bo.progress = [&](int64_t d, int64_t t) { line.Update(d, t); };
    if (Status s = model::TrainByteLevelTokenizer(tok_dir, texts, bo); !s.ok()) return Fail(s);
  }
  auto tok = model::Tokenizer::FromDirectory(tok_dir);
  if (!tok.ok()) return Fail(tok.status());
  // 2. A random Llama of the asked shape, trained on every weight.
  model::ModelConfig mc;
  mc.vocab_size = tok->vocab_size();
  mc.hidden_size = a.hidden;
  mc.intermediate_size = a.intermediate;
  mc.num_hidden_layers = a.layers;
  mc.num_attention_heads = a.heads;
  mc.num_key_value_heads = a.kv_heads;
  mc.head_dim = a.hidden / a.heads;
  mc.max_position_embeddings = a.max_seq_len;
  mc.rms_norm_eps = 1e-5;
  if (tok->bos_id()) mc.bos_token_id = *tok->bos_id();
  if (tok->eos_id()) mc.eos_token_id = *tok->eos_id();
  if (Status s = mc.Validate("--layers/--hidden/--heads/--kv-heads/--intermediate"); !s.ok()) {
    return Fail(s);
  }
  json context_data = json::array();
  for (const auto& s : sources) {
    context_data.push_back(
        {{"datanet", s.ref.datanet}, {"version", s.ref.version}, {"root", s.root}});
  }
  o.context = {{"data", context_data}, {"model", mc.ToJson()}, {"heldout", a.heldout}};
  auto m = model::LlamaModel::Random(mc, a.seed);
  factory::ExampleOptions eo;
  eo.max_seq_len = a.max_seq_len;
  eo.heldout_bps = static_cast<uint32_t>(a.heldout * 10000 + 0.5);
  auto set = factory::BuildExamples(rows, factory::ExampleFormat::kText, *tok, eo);
  if (!set.ok()) return Fail(set.status());
  if (!c.json) {
    std::cerr << "pretraining a " << a.layers << "-layer model (hidden " << a.hidden << ", vocab "
              << mc.vocab_size << ") on " << set->examples.size() << " rows\n";
  }
  CatchInterrupts();
  auto r = factory::TrainBase(*m, set->examples, o, out / "checkpoints", a.resume,
                              StepPrinter(c, tty), [] { return g_interrupted.load(); });
  if (!r.ok()) return Fail(r.status());
  if (r->stopped) return Interrupted(out / "checkpoints", r->steps, tty);
  json metrics = {{"steps", r->steps},
                  {"training_tokens", r->tokens},
                  {"train_seconds", r->seconds},
                  {"final_train_loss", r->final_loss}};
  auto held = factory::HeldOut(set->examples);
  if (!held.empty()) {
    factory::EvalOptions evo;
    evo.exact_match = false;
    auto e = factory::Evaluate(*m, nullptr, *tok, held, evo);
    if (!e.ok()) return Fail(e.status());
    metrics["heldout"] = e->ToJson();
  }
  // 3. Hugging Face layout in OUT: weights and config, then the tokenizer files, then
  // pretrain.json last (it marks a finished model).
  const fs::path staging = out / ".model.tmp";
  fs::remove_all(staging, ec);
  if (Status s = m->Save(staging); !s.ok()) return Fail(s);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(tok_dir / f, staging / f, fs::copy_options::overwrite_existing, ec);
    if (ec) return Fail(Status::IOError("cannot copy " + std::string(f) + ": " + ec.message()));
  }
  if (Status s = MoveInto(staging, out); !s.ok()) return Fail(s);
  json data = json::array();
  for (const auto& s : sources) {
    data.push_back({{"datanet", s.ref.datanet},
                    {"version", s.ref.version},
                    {"root", s.root},
                    {"rows", s.rows.size()}});
  }
  json config = o.ToJson();
  json record = {{"format", "tributary/pretrain/v1"},
                 {"data", data},
                 {"config", config},
                 {"config_hash", ToHex(Sha256(AsBytes(config.dump())))},
                 {"metrics", metrics}};
  auto base_hash = HashModelFiles(out, ModelFiles::kBase);
  if (!base_hash.ok()) return Fail(base_hash.status());
  record["base_hash"] = ToHex(*base_hash);
  if (Status s = WriteJsonFile(out / "pretrain.json", record); !s.ok()) return Fail(s);
  if (c.json) {
    std::cout << json{{"event", "done"}, {"out", out.string()}, {"metrics", metrics}}.dump()
              << std::endl;
  } else {
    std::cout << "pretrained " << r->steps << " steps on " << r->tokens << " tokens in "
              << static_cast<int64_t>(r->seconds) << " s; model in " << out.string() << "\n";
    if (metrics.contains("heldout")) {
      std::cout << "held-out loss " << metrics["heldout"]["loss"].get<double>() << " (perplexity "
                << metrics["heldout"]["perplexity"].get<double>() << ")\n";
    }
  }
  return 0;
}

int RunFactoryEval(const Common& c, const FactoryEvalArgs& a) {
  // Per user: other users' caches are not ours to read or write.
  fs::path cache =
      fs::temp_directory_path() / ("tributary-eval-cache-" + std::to_string(::getuid()));
  auto loaded = LoadAll(c, a.base, a.data, cache, a.max_seq_len, a.heldout);
  if (!loaded.ok()) return Fail(loaded.status());
  std::optional<model::LoraAdapter> adapter;
  if (!a.adapter.empty()) {
    auto ad = model::LoraAdapter::Load(a.adapter, *loaded->base);
    if (!ad.ok()) return Fail(ad.status());
    adapter.emplace(std::move(*ad));
  }
  std::vector<const factory::Example*> set;
  for (const auto& e : loaded->examples) {
    if (a.all_rows || e.heldout) set.push_back(&e);
  }
  auto m = factory::Evaluate(*loaded->base, adapter ? &*adapter : nullptr, *loaded->tokenizer, set);
  if (!m.ok()) return Fail(m.status());
  if (c.json) {
    PrintJson(m->ToJson());
  } else {
    std::cout << (a.all_rows ? "all " : "held-out ") << m->examples << " rows, " << m->tokens
              << " tokens: loss " << m->loss << ", perplexity " << m->perplexity;
    if (m->token_accuracy) std::cout << ", token accuracy " << *m->token_accuracy;
    if (m->exact_match) std::cout << ", exact match " << *m->exact_match;
    std::cout << "\n";
  }
  return 0;
}

}  // namespace tributary::cli
