// factory_bench: LoRA training tokens/s and peak memory for ranks 8 and 64 (by default) on a small
// random Llama model, against an inference-only forward over the same tokens in the same process;
// then the cost of the attribution sketches `factory train` writes after training, as a ratio to
// training.
//
// Data: Debian's fortunes, tokenized with a byte-level BPE tokenizer of the model's vocabulary
// size learned from the same fortunes (TrainByteLevelTokenizer, written the way
// WriteByteLevelTokenizer writes it). Consecutive fortunes are joined into text rows of at least
// --seq-len tokens and cut to exactly --seq-len by BuildExamples, so every micro-batch holds
// --batch-size sequences of --seq-len tokens and no step is short.
//
// Each rank runs in its own forked child (the parent never touches libtorch before forking, so
// the OpenMP pool is created in the child), which builds the model and trains with TrainLora.
// The first --warmup steps are not timed (allocator and BLAS warm-up), nor is the checkpoint
// written at the end. The baseline is Forward without grad of the base alone on a micro-batch of
// the same shape, run in the same process between training steps (one after each timed step,
// from the progress callback, its time excluded from training's), so that both see the same
// load from whatever else runs on the machine. tokens/s counts loss tokens (every token but a
// sequence's first) and all tokens.
// Peak memory: VmHWM of the child, reset through /proc/self/clear_refs ("5") right before the
// phase it measures (a few forwards alone; then training), so it is the peak resident set of that
// phase, model and runtime included; the difference from the RSS at the reset is what the phase
// added. Training's peak covers the interleaved forwards too, which need less than a step.
//
// Sketches: after training, the same child computes the sketch of every example with the final
// weights, one micro-batch at a time, again with a baseline forward after each micro-batch (see
// MeasureSketches); sketch/train is (sketch/forward) / (train/forward).
//
// Usage: factory_bench [--steps 22] [--warmup 2] [--batch-size 8] [--seq-len 256]
//                      [--ranks 8,64] [--sketch-dim 1024] [--sketch-base-dim 0] [--threads N]
//                      [--fortunes DIR] [--json]
//                      [--base DIR]   a Hugging Face checkpoint (its own tokenizer) instead of
//                                     the random model, e.g. the pulled SmolLM2
#include <malloc.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/fortune_file.h"
#include "tributary/base/hash.h"
#include "tributary/factory/data.h"
#include "tributary/factory/sketch.h"
#include "tributary/factory/train.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"
#include "tributary/model/tokenizer_train.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace tributary;

namespace {

struct Args {
  int64_t steps = 22, warmup = 2, batch_size = 8, seq_len = 256;
  std::vector<int64_t> ranks = {8, 64};
  int threads = 0;  // 0 = libtorch's default
  std::string fortunes = "/usr/share/games/fortunes";
  int64_t sketch_dim = 1024;    // as `factory train --sketch-dim`; 0 = no sketches
  int64_t sketch_base_dim = 0;  // as `factory train --sketch-base-dim`
  bool json = false;
  std::string base;  // a checkpoint (e.g. the pulled SmolLM2) instead of the random model
};

model::ModelConfig BenchConfig() {
  model::ModelConfig c;
  c.vocab_size = 2048;
  c.hidden_size = 256;
  c.intermediate_size = 688;
  c.num_hidden_layers = 4;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.max_position_embeddings = 1024;
  c.rms_norm_eps = 1e-5;
  c.initializer_range = 0.02;
  return c;
}

// Reads "Name:   1234 kB" from /proc/self/status, in bytes (-1 when absent).
int64_t StatusBytes(const char* name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(name) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size())) * 1024;
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0). False when the kernel refuses.
bool ResetPeak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Attribution sketches as `factory train` makes them after training (factory/sketch.h): one
// projected gradient per training example, computed with the final weights. Timed per
// micro-batch through SketchProjection::Compute (what WriteSketches runs, with the same batch
// size), with a baseline forward after each one as during training; then WriteSketches once for
// the file (its wall time includes the same computation again).
json MeasureSketches(const Args& a, const model::LlamaModel& base,
                     const model::LoraAdapter& adapter,
                     const std::vector<factory::Example>& examples,
                     const std::function<int64_t()>& forward) {
  int64_t rank_sum = 0;
  for (const auto& slot : adapter.Slots()) rank_sum += slot.weights->a.size(0);
  factory::SketchOptions so;
  // The projection needs dim >= 2 x the adapter's total rank; ask for at least that.
  so.dim = std::max<int64_t>(a.sketch_dim, 2 * rank_sum);
  so.base_dim = a.sketch_base_dim;
  so.batch_size = a.batch_size;
  auto proj = factory::SketchProjection::Create(adapter, so);
  if (!proj.ok()) {
    std::fprintf(stderr, "sketches: %s\n", proj.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<const factory::Example*> all;
  for (const auto& e : examples) all.push_back(&e);
  malloc_trim(0);
  const bool reset = ResetPeak();
  const int64_t rss0 = StatusBytes("VmRSS");
  double sketch_s = 0, fwd_s = 0;
  int64_t tokens = 0, fwd_tokens = 0;
  for (size_t b0 = 0; b0 < all.size(); b0 += static_cast<size_t>(a.batch_size)) {
    std::vector<const factory::Example*> part(
        all.begin() + static_cast<std::ptrdiff_t>(b0),
        all.begin() + static_cast<std::ptrdiff_t>(
                          std::min(all.size(), b0 + static_cast<size_t>(a.batch_size))));
    for (const auto* e : part) tokens += static_cast<int64_t>(e->tokens.size());
    const auto t0 = Clock::now();
    auto s = proj->Compute(base, adapter, part, a.batch_size);
    sketch_s += Seconds(t0, Clock::now());
    if (!s.ok()) {
      std::fprintf(stderr, "sketches: %s\n", s.status().ToString().c_str());
      std::exit(1);
    }
    const auto f0 = Clock::now();
    fwd_tokens += forward();
    fwd_s += Seconds(f0, Clock::now());
  }
  const int64_t peak = StatusBytes("VmHWM");
  const fs::path file =
      fs::temp_directory_path() / ("factory_bench-" + std::to_string(::getpid()) + "-sketches.bin");
  const auto w0 = Clock::now();
  Status st = factory::WriteSketches(file, base, adapter, all, so);
  const double write_s = Seconds(w0, Clock::now());
  if (!st.ok()) {
    std::fprintf(stderr, "sketches: %s\n", st.ToString().c_str());
    std::exit(1);
  }
  std::error_code ec;
  const auto bytes = static_cast<int64_t>(fs::file_size(file, ec));
  fs::remove(file, ec);
  return {{"requested_dim", a.sketch_dim},
          {"dim", proj->dim()},
          {"base_dim", proj->base_dim()},
          {"k", proj->k()},
          {"examples", static_cast<int64_t>(all.size())},
          {"tokens", tokens},
          {"seconds", sketch_s},
          {"tokens_per_s", tokens / sketch_s},
          {"forward_tokens_per_s", fwd_tokens / fwd_s},
          {"sketch_over_forward_time",
           (sketch_s / static_cast<double>(tokens)) / (fwd_s / static_cast<double>(fwd_tokens))},
          {"write_sketches_seconds", write_s},
          {"file_bytes", bytes},
          {"rss_before", rss0},
          {"peak_rss", reset ? json(peak) : json(nullptr)}};
}

// One rank, measured in the calling (child) process.
json MeasureRank(const Args& a, int64_t rank, const std::vector<factory::Example>& examples) {
  if (a.threads > 0) torch::set_num_threads(a.threads);
  json r = {{"rank", rank}, {"threads", torch::get_num_threads()}};
  std::unique_ptr<model::LlamaModel> base;
  if (a.base.empty()) {
    base = model::LlamaModel::Random(BenchConfig(), 1);
  } else {
    auto loaded = model::LlamaModel::Load(a.base);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      std::exit(1);
    }
    base = std::move(*loaded);
  }
  const size_t bs = static_cast<size_t>(a.batch_size);

  // The baseline: Forward without grad of the base alone (no adapter) on one micro-batch of
  // --batch-size sequences of --seq-len tokens, the same shape as a training micro-batch.
  size_t next_batch = 0;
  auto forward = [&]() -> int64_t {
    torch::NoGradGuard no_grad;
    const size_t from = (next_batch++ * bs) % examples.size();
    std::vector<model::KvCache> caches(bs);
    std::vector<model::SequenceInput> in;
    int64_t tokens = 0;
    for (size_t i = 0; i < bs; ++i) {
      const auto& e = examples[(from + i) % examples.size()];
      in.push_back({e.tokens, &caches[i], -1});
      tokens += static_cast<int64_t>(e.tokens.size());
    }
    auto out = base->Forward(in, {}, /*last_only=*/false, /*train=*/false);
    if (!out.ok()) {
      std::fprintf(stderr, "forward: %s\n", out.status().ToString().c_str());
      std::exit(1);
    }
    (void)out->sum().item<float>();
    return tokens;
  };

  // Peak memory of inference: two forwards after a warm-up one.
  forward();
  malloc_trim(0);
  bool reset = ResetPeak();
  int64_t rss0 = StatusBytes("VmRSS");
  forward();
  forward();
  r["forward_memory"] = {{"rss_before", rss0},
                         {"peak_rss", reset ? json(StatusBytes("VmHWM")) : json(nullptr)}};

  // Training. After each timed step, on_step runs one baseline forward and times it, so the
  // baseline and training share the machine's load (other processes come and go); the time
  // spent in those forwards is not counted as training time.
  factory::TrainOptions o;
  o.lora.r = rank;
  o.lora.lora_alpha = 16;
  o.lora.lora_dropout = 0.05;
  o.lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
  o.lr = 2e-4;
  o.epochs = 1;
  o.batch_size = a.batch_size;
  o.seed = 7;
  o.checkpoint_every = 0;
  o.max_steps = a.steps;
  auto adapter = model::LoraAdapter::Init(*base, o.lora, o.seed);
  int64_t params = 0;
  for (const auto& [k, t] : adapter.NamedParameters()) params += t.numel();
  fs::path ck = fs::temp_directory_path() / ("factory_bench-" + std::to_string(::getpid()));
  malloc_trim(0);
  reset = ResetPeak();
  rss0 = StatusBytes("VmRSS");
  double train_s = 0, fwd_s = 0, first_step_s = 0, first_loss = 0, last_loss = 0;
  int64_t loss_tokens = 0, fwd_tokens = 0, prev_tokens = 0, steps_seen = 0;
  Clock::time_point last_end = Clock::now();
  auto on_step = [&](const factory::TrainProgress& p) {
    const auto now = Clock::now();
    const double step_s = Seconds(last_end, now);
    steps_seen++;
    if (steps_seen == 1) {
      first_step_s = step_s;
      first_loss = p.loss;
    }
    last_loss = p.loss;
    if (steps_seen > a.warmup) {
      train_s += step_s;
      loss_tokens += p.tokens - prev_tokens;
      const auto f0 = Clock::now();
      fwd_tokens += forward();
      fwd_s += Seconds(f0, Clock::now());
    }
    prev_tokens = p.tokens;
    last_end = Clock::now();
  };
  auto result = factory::TrainLora(*base, adapter, examples, o, ck, false, on_step);
  const int64_t peak = StatusBytes("VmHWM");
  std::error_code ec;
  fs::remove_all(ck, ec);
  if (!result.ok()) {
    std::fprintf(stderr, "training: %s\n", result.status().ToString().c_str());
    std::exit(1);
  }
  if (steps_seen != a.steps) {
    std::fprintf(stderr, "expected %lld steps, got %lld\n", static_cast<long long>(a.steps),
                 static_cast<long long>(steps_seen));
    std::exit(1);
  }
  const int64_t timed_steps = a.steps - a.warmup;
  // Every micro-batch is full (the example count is steps * batch_size) and a text example's
  // loss covers all its tokens but the first: one extra token per sequence.
  const int64_t all_tokens = loss_tokens + timed_steps * a.batch_size;
  r["forward"] = {{"tokens", fwd_tokens}, {"seconds", fwd_s}, {"tokens_per_s", fwd_tokens / fwd_s}};
  r["train"] = {{"adapter_params", params},
                {"timed_steps", timed_steps},
                {"loss_tokens", loss_tokens},
                {"all_tokens", all_tokens},
                {"seconds", train_s},
                {"loss_tokens_per_s", loss_tokens / train_s},
                {"all_tokens_per_s", all_tokens / train_s},
                {"first_step_seconds", first_step_s},
                {"first_loss", first_loss},
                {"final_loss", last_loss},
                {"rss_before", rss0},
                {"peak_rss", reset ? json(peak) : json(nullptr)},
                {"peak_rss_since_start", reset ? json(nullptr) : json(peak)}};
  if (a.sketch_dim > 0) r["sketch"] = MeasureSketches(a, *base, adapter, examples, forward);
  r["train_over_forward_time"] =
      (train_s / static_cast<double>(all_tokens)) / (fwd_s / static_cast<double>(fwd_tokens));
  if (r.contains("sketch")) {
    r["sketch"]["sketch_over_train_time"] = r["sketch"]["sketch_over_forward_time"].get<double>() /
                                            r["train_over_forward_time"].get<double>();
  }
  return r;
}

// Runs MeasureRank in a child and returns its JSON.
json InChild(const Args& a, int64_t rank, const std::vector<factory::Example>& examples) {
  int fds[2];
  if (::pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = MeasureRank(a, rank, examples).dump();
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::write(fds[1], out.data() + off, out.size() - off);
      if (n <= 0) ::_exit(2);
      off += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string buf;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof(chunk))) > 0) buf.append(chunk, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "rank %lld: the child failed (status %d)\n", static_cast<long long>(rank),
                 status);
    std::exit(1);
  }
  return json::parse(buf);
}

std::string MiB(const json& v) {
  if (!v.is_number()) return "n/a";
  char b[32];
  std::snprintf(b, sizeof(b), "%.0f MiB", v.get<double>() / (1024.0 * 1024.0));
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--json") {
      a.json = true;
    } else if (k == "--steps") {
      a.steps = std::stoll(next());
    } else if (k == "--warmup") {
      a.warmup = std::stoll(next());
    } else if (k == "--batch-size") {
      a.batch_size = std::stoll(next());
    } else if (k == "--seq-len") {
      a.seq_len = std::stoll(next());
    } else if (k == "--threads") {
      a.threads = std::stoi(next());
    } else if (k == "--sketch-dim") {
      a.sketch_dim = std::stoll(next());
    } else if (k == "--sketch-base-dim") {
      a.sketch_base_dim = std::stoll(next());
    } else if (k == "--fortunes") {
      a.fortunes = next();
    } else if (k == "--base") {
      a.base = next();
    } else if (k == "--ranks") {
      a.ranks.clear();
      std::stringstream ss(next());
      std::string r;
      while (std::getline(ss, r, ',')) a.ranks.push_back(std::stoll(r));
    } else {
      std::fprintf(stderr,
                   "usage: factory_bench [--steps 22] [--warmup 2] [--batch-size 8] "
                   "[--seq-len 256] [--ranks 8,64] [--sketch-dim 1024] [--sketch-base-dim 0] "
                   "[--threads N] [--fortunes DIR] [--base DIR] [--json]\n");
      return 2;
    }
  }
  model::ModelConfig config = BenchConfig();
  if (!a.base.empty()) {
    auto loaded = model::ModelConfig::Load(a.base);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      return 1;
    }
    config = *loaded;
  }
  if (a.warmup < 1 || a.steps <= a.warmup || a.batch_size < 1 || a.seq_len < 8 ||
      a.seq_len > config.max_position_embeddings || a.ranks.empty() || a.sketch_dim < 0 ||
      a.sketch_base_dim < 0) {
    std::fprintf(stderr,
                 "need 1 <= --warmup < --steps, --batch-size >= 1, 8 <= --seq-len <= %lld, "
                 "--sketch-dim >= 0, --sketch-base-dim >= 0\n",
                 static_cast<long long>(config.max_position_embeddings));
    return 2;
  }

  // Tokenizer: byte-level BPE with the model's vocabulary, learned from the fortunes.
  auto read = tributary::ReadFortuneDir(a.fortunes);
  const std::vector<std::string> fortunes =
      read.ok() ? std::move(*read) : std::vector<std::string>{};
  if (fortunes.size() < 1000) {
    std::fprintf(stderr, "found %zu fortunes in %s (install the fortunes package)\n",
                 fortunes.size(), a.fortunes.c_str());
    return 1;
  }
  const auto t_tok = Clock::now();
  Result<model::Tokenizer> tok = Status::Internal("unset");
  if (a.base.empty()) {
    const fs::path tok_dir =
        fs::temp_directory_path() / ("factory_bench-tok-" + std::to_string(::getpid()));
    model::BpeTrainOptions bo;
    bo.vocab_size = static_cast<int32_t>(BenchConfig().vocab_size);
    if (Status s = model::TrainByteLevelTokenizer(tok_dir, fortunes, bo); !s.ok()) {
      std::fprintf(stderr, "tokenizer: %s\n", s.ToString().c_str());
      return 1;
    }
    tok = model::Tokenizer::FromDirectory(tok_dir);
    std::error_code ec;
    fs::remove_all(tok_dir, ec);
  } else {
    tok = model::Tokenizer::FromDirectory(a.base);
  }
  if (!tok.ok()) {
    std::fprintf(stderr, "tokenizer: %s\n", tok.status().ToString().c_str());
    return 1;
  }
  const double tok_secs = Seconds(t_tok, Clock::now());

  // Rows: consecutive fortunes joined until a row reaches seq_len tokens.
  const size_t want = static_cast<size_t>(a.steps * a.batch_size);
  std::vector<factory::DataRow> rows;
  std::string cur;
  size_t cur_tokens = 0, used = 0;
  for (const auto& f : fortunes) {
    if (rows.size() == want) break;
    cur += (cur.empty() ? "" : "\n") + f;
    cur_tokens += tok->Encode(f, false).size() + 1;
    used++;
    if (cur_tokens >= static_cast<size_t>(a.seq_len) + 8) {  // a margin: merges across joins
      factory::DataRow r;
      r.row_id = ToHex(Sha256(AsBytes(cur)));
      r.contribution = std::string(64, '0');
      r.contributor = "bench";
      r.row = {{"text", cur}};
      rows.push_back(std::move(r));
      cur.clear();
      cur_tokens = 0;
    }
  }
  if (rows.size() != want) {
    std::fprintf(stderr, "not enough text for %zu rows of %lld tokens\n", want,
                 static_cast<long long>(a.seq_len));
    return 1;
  }
  factory::ExampleOptions eo;
  eo.max_seq_len = a.seq_len;
  eo.heldout_bps = 0;
  auto set = factory::BuildExamples(rows, factory::ExampleFormat::kText, *tok, eo);
  if (!set.ok() || set->examples.size() != want) {
    std::fprintf(stderr, "examples: %s\n",
                 set.ok() ? "some rows were dropped" : set.status().ToString().c_str());
    return 1;
  }
  for (const auto& e : set->examples) {
    if (static_cast<int64_t>(e.tokens.size()) != a.seq_len) {
      std::fprintf(stderr, "an example has %zu tokens, not %lld\n", e.tokens.size(),
                   static_cast<long long>(a.seq_len));
      return 1;
    }
  }

  const auto& c = config;
  if (!a.json) {
    std::printf(
        "model: %s Llama, %lld layers, hidden %lld, intermediate %lld, %lld heads / %lld kv "
        "heads, vocab %lld, float32 on CPU\n"
        "data: %zu fortunes joined into %zu rows of %lld tokens (%s tokenizer, %zu fortunes, "
        "%.1f s)\n"
        "training: LoRA on q,k,v,o, alpha 16, dropout 0.05, AdamW, batch %lld sequences, %lld "
        "steps (first %lld not timed)\n\n",
        a.base.empty() ? "random" : a.base.c_str(), static_cast<long long>(c.num_hidden_layers),
        static_cast<long long>(c.hidden_size), static_cast<long long>(c.intermediate_size),
        static_cast<long long>(c.num_attention_heads),
        static_cast<long long>(c.num_key_value_heads), static_cast<long long>(c.vocab_size), used,
        rows.size(), static_cast<long long>(a.seq_len),
        a.base.empty() ? "BPE learned from the fortunes" : "the checkpoint's", fortunes.size(),
        tok_secs, static_cast<long long>(a.batch_size), static_cast<long long>(a.steps),
        static_cast<long long>(a.warmup));
  }
  json results = json::array();
  for (int64_t rank : a.ranks) results.push_back(InChild(a, rank, set->examples));

  if (a.json) {
    json out = {{"model", c.ToJson()},
                {"batch_size", a.batch_size},
                {"seq_len", a.seq_len},
                {"steps", a.steps},
                {"warmup_steps", a.warmup},
                {"sketch_dim", a.sketch_dim},
                {"sketch_base_dim", a.sketch_base_dim},
                {"results", results}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-6s %8s %12s %12s %14s %10s %12s %12s %12s\n", "rank", "params", "loss tok/s",
              "all tok/s", "forward tok/s", "train/fwd", "peak (fwd)", "peak (train)",
              "train delta");
  for (const auto& r : results) {
    const auto& t = r["train"];
    const auto& f = r["forward"];
    std::string delta = "n/a";
    if (t["peak_rss"].is_number()) {
      delta = "+" + MiB(t["peak_rss"].get<int64_t>() - t["rss_before"].get<int64_t>());
    }
    std::printf("%-6lld %8lld %12.0f %12.0f %14.0f %9.2fx %12s %12s %12s\n",
                static_cast<long long>(r["rank"].get<int64_t>()),
                static_cast<long long>(t["adapter_params"].get<int64_t>()),
                t["loss_tokens_per_s"].get<double>(), t["all_tokens_per_s"].get<double>(),
                f["tokens_per_s"].get<double>(), r["train_over_forward_time"].get<double>(),
                MiB(r["forward_memory"]["peak_rss"]).c_str(),
                MiB(t["peak_rss"].is_number() ? t["peak_rss"] : t["peak_rss_since_start"]).c_str(),
                delta.c_str());
  }
  std::printf(
      "\n(torch threads %d; train/fwd = training time per token / no-grad forward time "
      "per token; peaks are VmHWM of the child, reset before each phase; loss %.3f -> "
      "%.3f at rank %lld)\n",
      results[0]["threads"].get<int>(), results[0]["train"]["first_loss"].get<double>(),
      results[0]["train"]["final_loss"].get<double>(),
      static_cast<long long>(results[0]["rank"].get<int64_t>()));
  if (a.sketch_dim == 0) {
    std::printf("sketches: not measured (--sketch-dim 0)\n");
    return 0;
  }
  std::printf(
      "\nattribution sketches of all %lld examples after training (--sketch-dim %lld, "
      "--sketch-base-dim %lld):\n",
      static_cast<long long>(results[0]["sketch"]["examples"].get<int64_t>()),
      static_cast<long long>(a.sketch_dim), static_cast<long long>(a.sketch_base_dim));
  std::printf("%-6s %6s %12s %11s %16s %13s %12s %10s\n", "rank", "dim", "sketch tok/s",
              "sketch/fwd", "sketch/train", "peak (sketch)", "delta", "file");
  for (const auto& r : results) {
    const auto& k = r["sketch"];
    std::string delta = "n/a";
    if (k["peak_rss"].is_number()) {
      delta = "+" + MiB(k["peak_rss"].get<int64_t>() - k["rss_before"].get<int64_t>());
    }
    char file[32];
    std::snprintf(file, sizeof(file), "%.2f MiB", k["file_bytes"].get<double>() / (1 << 20));
    std::printf("%-6lld %6lld %12.0f %10.2fx %15.2fx %13s %12s %10s\n",
                static_cast<long long>(r["rank"].get<int64_t>()),
                static_cast<long long>(k["dim"].get<int64_t>()), k["tokens_per_s"].get<double>(),
                k["sketch_over_forward_time"].get<double>(),
                k["sketch_over_train_time"].get<double>(), MiB(k["peak_rss"]).c_str(),
                delta.c_str(), file);
  }
  std::printf(
      "(sketch/train = time per token of sketching / of training, i.e. the cost of sketching\n"
      " every example once relative to one epoch of training; divide by the epochs for a longer "
      "run)\n");

  return 0;
}
