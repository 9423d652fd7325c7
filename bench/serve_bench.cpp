// serve_bench: S-LoRA's workload scaled to two cores. N random LoRA adapters (rank 8 and 16 on
// q, k, v, o, alternating), power-law popularity (Zipf, alpha 1), Poisson arrivals, prompt and
// output lengths drawn uniformly from ranges (outputs ignore end-of-sequence so that every
// configuration generates the same tokens). Reports throughput (requests/s, generated tokens/s)
// and time to first token and time per output token at p50 and p99, sequences and distinct
// adapters per batched step (seq/st, ad/st: how full steps were, and how many adapters' weights
// each read beside the base's), and ratios taken in this
// one process: N adapters over the base alone, the engine over a naive scheduler that runs one
// adapter per batch step, and the OpenAI HTTP front over in-process calls.
//
// Usage: serve_bench [--base DIR | --layers 4 --hidden 256 --vocab 8192]
//                    [--adapters 1,10,100,1000] [--requests 200] [--rate 40]
//                    [--prompt 16:64] [--output 8:32] [--threads N] [--seed 1]
//                    [--max-active 64] [--max-running 64] [--max-overtakes 64] [--no-extras]
//                    [--rounds 1] [--adapter-dtype base|bf16]
#include <httplib.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"
#include "tributary/serve/engine.h"
#include "tributary/serve/worker.h"

namespace fs = std::filesystem;
using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string base;
  int64_t layers = 4, hidden = 256, vocab = 8192;
  std::vector<int> adapters = {1, 10, 100, 1000};
  int requests = 200;
  double rate = 40;  // requests per second (Poisson); 0 = all at once
  int prompt_lo = 16, prompt_hi = 64, output_lo = 8, output_hi = 32;
  int threads = 0;
  int64_t max_active = 64;     // the engine's --max-active-adapters
  int64_t max_running = 64;    // the engine's --max-running
  int64_t max_overtakes = 64;  // the engine's --max-overtakes (0: first come, first served)
  bool extras = true;          // the naive and HTTP rows (--no-extras: base and N adapters only)
  int rounds = 1;              // base and N-adapter rows repeated, alternating
  std::string adapter_dtype = "base";  // the engine's --adapter-dtype
  uint64_t seed = 1;
};

struct Req {
  double arrival_s;
  int adapter;  // Zipf rank, 0-based; taken modulo the adapters in use
  std::vector<int32_t> prompt;
  int output;
};

struct Sample {
  double ttft = 0, tpot = 0;
  int tokens = 0;
  bool ok = false;
};

struct RunResult {
  double seconds = 0, req_s = 0, tok_s = 0;
  double ttft50 = 0, ttft99 = 0, tpot50 = 0, tpot99 = 0;
  double seq_per_step = 0, adapters_per_step = 0;  // from the engine's counters
  int failed = 0;
};

std::vector<int> ParseInts(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) out.push_back(std::stoi(x));
  return out;
}

std::pair<int, int> ParseRange(const std::string& s) {
  auto colon = s.find(':');
  return {std::stoi(s.substr(0, colon)), std::stoi(s.substr(colon + 1))};
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::vector<Req> Workload(const Args& a, int64_t vocab, int max_adapters) {
  std::mt19937_64 rng(a.seed);
  // Zipf(1) over ranks 1..max_adapters: P(k) proportional to 1/k.
  std::vector<double> weights;
  for (int k = 1; k <= max_adapters; ++k) weights.push_back(1.0 / k);
  std::discrete_distribution<int> zipf(weights.begin(), weights.end());
  std::exponential_distribution<double> gap(a.rate > 0 ? a.rate : 1);
  std::uniform_int_distribution<int> plen(a.prompt_lo, a.prompt_hi), olen(a.output_lo, a.output_hi);
  std::uniform_int_distribution<int32_t> tok(300, static_cast<int32_t>(vocab) - 1);
  std::vector<Req> out;
  double t = 0;
  for (int i = 0; i < a.requests; ++i) {
    Req r;
    r.arrival_s = a.rate > 0 ? t : 0;
    t += gap(rng);
    r.adapter = zipf(rng);
    r.prompt.resize(static_cast<size_t>(plen(rng)));
    for (auto& x : r.prompt) x = tok(rng);
    r.output = olen(rng);
    out.push_back(std::move(r));
  }
  return out;
}

RunResult Summarize(const std::vector<Sample>& samples, double seconds) {
  RunResult r;
  r.seconds = seconds;
  std::vector<double> ttft, tpot;
  int64_t tokens = 0, done = 0;
  for (const auto& s : samples) {
    if (!s.ok) {
      ++r.failed;
      continue;
    }
    ++done;
    tokens += s.tokens;
    ttft.push_back(s.ttft);
    if (s.tokens > 1) tpot.push_back(s.tpot);
  }
  r.req_s = done / seconds;
  r.tok_s = static_cast<double>(tokens) / seconds;
  r.ttft50 = Percentile(ttft, 0.5);
  r.ttft99 = Percentile(ttft, 0.99);
  r.tpot50 = Percentile(tpot, 0.5);
  r.tpot99 = Percentile(tpot, 0.99);
  return r;
}

serve::EngineRequest ToEngine(const Req& q, int n_adapters, const std::vector<fs::path>& dirs,
                              bool logprobs) {
  serve::EngineRequest e;
  e.top_logprobs = logprobs ? 0 : -1;
  e.prompt_tokens = q.prompt;
  e.sampling.max_tokens = q.output;
  e.sampling.temperature = 0;
  e.sampling.stop_at_eos = false;
  if (n_adapters > 0) {
    int k = q.adapter % n_adapters;
    e.adapter = serve::AdapterRef{"adapter-" + std::to_string(k), dirs[static_cast<size_t>(k)]};
  }
  return e;
}

// Sequences and distinct adapters per step between two readings of the engine's counters.
void AddStepStats(const serve::EngineStats& before, const serve::EngineStats& after, RunResult* r) {
  const int64_t steps = after.steps - before.steps;
  if (steps <= 0) return;
  r->seq_per_step = static_cast<double>(after.step_sequences - before.step_sequences) /
                    static_cast<double>(steps);
  r->adapters_per_step =
      static_cast<double>(after.step_adapters - before.step_adapters) / static_cast<double>(steps);
}

// Runs the workload against an engine in this process: one thread submits at the arrival times,
// one thread per request reads its events.
RunResult RunInProcess(serve::Engine& engine, const std::vector<Req>& work, int n_adapters,
                       const std::vector<fs::path>& dirs, bool logprobs = false) {
  std::vector<Sample> samples(work.size());
  std::vector<std::thread> readers;
  const serve::EngineStats before = engine.Stats();
  const auto start = Clock::now();
  for (size_t i = 0; i < work.size(); ++i) {
    auto at = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(work[i].arrival_s));
    std::this_thread::sleep_until(at);
    auto submitted = Clock::now();
    auto h = engine.Submit(ToEngine(work[i], n_adapters, dirs, logprobs));
    if (!h.ok()) continue;
    readers.emplace_back(
        [&samples, i, submitted, handle = std::shared_ptr<serve::RequestHandle>(std::move(*h))] {
          Sample& s = samples[i];
          Clock::time_point first, last;
          while (true) {
            auto e = handle->Next(std::chrono::seconds(600));
            if (!e || e->kind == serve::EngineEvent::Kind::kError) return;
            if (e->kind == serve::EngineEvent::Kind::kDone) break;
            for (size_t t = 0; t < e->tokens.size(); ++t) {
              last = Clock::now();
              if (s.tokens++ == 0) first = last;
            }
          }
          s.ok = true;
          s.ttft = std::chrono::duration<double>(first - submitted).count();
          if (s.tokens > 1)
            s.tpot = std::chrono::duration<double>(last - first).count() / (s.tokens - 1);
        });
  }
  for (auto& t : readers) t.join();
  RunResult r = Summarize(samples, std::chrono::duration<double>(Clock::now() - start).count());
  AddStepStats(before, engine.Stats(), &r);
  return r;
}

// The same workload through the worker's OpenAI HTTP front (streamed completions).
RunResult RunHttp(serve::Engine& engine, const std::vector<Req>& work, int n_adapters,
                  const std::vector<fs::path>& dirs) {
  serve::WorkerOptions wo;
  wo.threads = static_cast<int>(work.size()) + 8;
  serve::WorkerServer server(&engine, wo);
  if (!server.Start().ok()) return {};
  for (int k = 0; k < n_adapters; ++k) {  // by name, as the node's operator route would
    (void)engine.LoadAdapter({"adapter-" + std::to_string(k), dirs[static_cast<size_t>(k)]}, false);
  }
  std::vector<Sample> samples(work.size());
  std::vector<std::thread> clients;
  const serve::EngineStats before = engine.Stats();
  const auto start = Clock::now();
  for (size_t i = 0; i < work.size(); ++i) {
    auto at = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(work[i].arrival_s));
    std::this_thread::sleep_until(at);
    clients.emplace_back([&, i] {
      const Req& q = work[i];
      nlohmann::json body = {
          {"model", n_adapters > 0 ? "adapter-" + std::to_string(q.adapter % n_adapters)
                                   : engine.options().base_name},
          {"prompt", q.prompt},
          {"max_tokens", q.output},
          {"temperature", 0},
          {"ignore_eos", true},
          {"logprobs", 0},
          {"stream", true}};
      httplib::Client c("127.0.0.1", server.port());
      c.set_read_timeout(600);
      Sample& s = samples[i];
      Clock::time_point first, last;
      const auto submitted = Clock::now();
      std::string buffer;
      httplib::Request req;
      req.method = "POST";
      req.path = "/v1/completions";
      req.body = body.dump();
      req.set_header("Content-Type", "application/json");
      req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
        buffer.append(d, n);
        size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
          std::string ev = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          if (ev.rfind("data: {", 0) != 0) continue;
          auto j = nlohmann::json::parse(ev.substr(6), nullptr, false);
          if (j.is_discarded() || !j.contains("choices") || j["choices"].empty()) continue;
          if (j["choices"][0]["finish_reason"].is_string()) continue;
          last = Clock::now();
          if (s.tokens++ == 0) first = last;
        }
        return true;
      };
      httplib::Response res;
      httplib::Error err;
      if (!c.send(req, res, err)) {
        std::fprintf(stderr, "request %zu: %s\n", i, httplib::to_string(err).c_str());
        return;
      }
      if (res.status != 200) {
        std::fprintf(stderr, "request %zu: HTTP %d %s\n", i, res.status, buffer.c_str());
      }
      s.ok = s.tokens > 0;
      s.ttft = std::chrono::duration<double>(first - submitted).count();
      if (s.tokens > 1)
        s.tpot = std::chrono::duration<double>(last - first).count() / (s.tokens - 1);
    });
  }
  for (auto& t : clients) t.join();
  RunResult r = Summarize(samples, std::chrono::duration<double>(Clock::now() - start).count());
  AddStepStats(before, engine.Stats(), &r);
  server.Stop();
  return r;
}

void Row(const std::string& name, const RunResult& r, double baseline_tok_s) {
  std::printf(
      "| %-34s | %7.2f | %8.1f | %7.3f | %7.3f | %7.4f | %7.4f | %5.2f | %6.1f | %5.1f |%s\n",
      name.c_str(), r.req_s, r.tok_s, r.ttft50, r.ttft99, r.tpot50, r.tpot99,
      baseline_tok_s > 0 ? r.tok_s / baseline_tok_s : 1.0, r.seq_per_step, r.adapters_per_step,
      r.failed ? (" " + std::to_string(r.failed) + " failed").c_str() : "");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--no-extras") {
      a.extras = false;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", k.c_str());
      return 2;
    }
    std::string v = argv[++i];
    if (k == "--base")
      a.base = v;
    else if (k == "--layers")
      a.layers = std::stoll(v);
    else if (k == "--hidden")
      a.hidden = std::stoll(v);
    else if (k == "--vocab")
      a.vocab = std::stoll(v);
    else if (k == "--adapters")
      a.adapters = ParseInts(v);
    else if (k == "--requests")
      a.requests = std::stoi(v);
    else if (k == "--rate")
      a.rate = std::stod(v);
    else if (k == "--prompt")
      std::tie(a.prompt_lo, a.prompt_hi) = ParseRange(v);
    else if (k == "--output")
      std::tie(a.output_lo, a.output_hi) = ParseRange(v);
    else if (k == "--threads")
      a.threads = std::stoi(v);
    else if (k == "--max-active")
      a.max_active = std::stoll(v);
    else if (k == "--rounds")
      a.rounds = std::max(1, std::stoi(v));
    else if (k == "--max-overtakes")
      a.max_overtakes = std::stoll(v);
    else if (k == "--max-running")
      a.max_running = std::stoll(v);
    else if (k == "--adapter-dtype")
      a.adapter_dtype = v;
    else if (k == "--seed")
      a.seed = std::stoull(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.threads > 0) torch::set_num_threads(a.threads);
  const fs::path work_dir =
      fs::temp_directory_path() / ("serve-bench-" + std::to_string(::getpid()));
  fs::create_directories(work_dir);
  fs::path base_dir = a.base;
  std::unique_ptr<model::LlamaModel> base;
  if (a.base.empty()) {
    model::ModelConfig c;
    c.vocab_size = a.vocab;
    c.hidden_size = a.hidden;
    c.intermediate_size = a.hidden * 8 / 3;
    c.num_hidden_layers = a.layers;
    c.num_attention_heads = 8;
    c.num_key_value_heads = 4;
    c.head_dim = a.hidden / 8;
    c.max_position_embeddings = 2048;
    base = model::LlamaModel::Random(c, a.seed);
    base_dir = work_dir / "base";
    if (!base->Save(base_dir).ok() ||
        !model::WriteByteLevelTokenizer(base_dir, static_cast<int32_t>(a.vocab)).ok()) {
      std::fprintf(stderr, "cannot write the random base\n");
      return 1;
    }
  } else {
    auto loaded = model::LlamaModel::Load(base_dir);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      return 1;
    }
    base = std::move(*loaded);
  }
  const int max_n =
      a.adapters.empty() ? 0 : *std::max_element(a.adapters.begin(), a.adapters.end());
  std::vector<fs::path> dirs;
  int64_t adapter_bytes = 0;
  const auto gen_start = Clock::now();
  for (int k = 0; k < max_n; ++k) {
    model::LoraConfig lc;
    lc.r = k % 2 ? 16 : 8;
    lc.lora_alpha = 2.0 * static_cast<double>(lc.r);
    lc.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
    fs::path d = work_dir / ("adapter-" + std::to_string(k));
    auto adapter = model::LoraAdapter::Random(*base, lc, a.seed + 1000 + static_cast<uint64_t>(k));
    if (!adapter.Save(d).ok()) return 1;
    for (const auto& [n, t] : adapter.NamedParameters()) adapter_bytes += t.numel() * 4;
    dirs.push_back(d);
  }
  const double gen_s = std::chrono::duration<double>(Clock::now() - gen_start).count();
  const int64_t vocab = base->config().vocab_size;
  base.reset();
  auto work = Workload(a, vocab, std::max(max_n, 1));
  int64_t gen_tokens = 0;
  for (const auto& r : work) gen_tokens += r.output;
  std::printf(
      "serve_bench: %s, %d requests (Poisson %.1f/s, prompt %d-%d, output %d-%d tokens, "
      "%lld generated in all), torch threads %d; %d adapters written in %.1f s "
      "(%.1f MB, ranks 8/16 on q,k,v,o), cached as %s\n\n",
      a.base.empty() ? ("random base " + std::to_string(a.layers) + "x" + std::to_string(a.hidden) +
                        ", vocab " + std::to_string(a.vocab))
                           .c_str()
                     : a.base.c_str(),
      a.requests, a.rate, a.prompt_lo, a.prompt_hi, a.output_lo, a.output_hi,
      static_cast<long long>(gen_tokens), torch::get_num_threads(), max_n, gen_s,
      static_cast<double>(adapter_bytes) / 1e6, a.adapter_dtype.c_str());
  std::printf("| %-34s | %7s | %8s | %7s | %7s | %7s | %7s | %5s | %6s | %5s |\n", "configuration",
              "req/s", "tok/s", "TTFT50", "TTFT99", "TPOT50", "TPOT99", "ratio", "seq/st", "ad/st");
  std::printf(
      "|%s|---------|----------|---------|---------|---------|---------|-------|--------|-------|"
      "\n",
      std::string(36, '-').c_str());

  serve::EngineOptions eo;
  eo.base_dir = base_dir;
  eo.adapter_cache_bytes = std::max<int64_t>(adapter_bytes + (64 << 20), 256 << 20);
  eo.max_queued = a.requests + 1;
  eo.max_running = a.max_running;
  eo.max_overtakes = a.max_overtakes;
  eo.adapter_dtype = a.adapter_dtype;
  auto open = [&](int64_t max_active) {
    serve::EngineOptions o = eo;
    o.max_active_adapters = max_active;
    auto e = serve::Engine::Open(o);
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", e.status().ToString().c_str());
      std::exit(1);
    }
    return std::move(*e);
  };
  // Base and N-adapter rows, `rounds` times over, alternating, each on a fresh engine: the
  // machine's speed drifts over tens of seconds, and alternating spreads a drift over both sides
  // of each ratio.
  double base_tok_s = 0;
  std::vector<double> tokens_sum(a.adapters.size() + 1, 0), seconds_sum(a.adapters.size() + 1, 0);
  for (int round = 1; round <= a.rounds; ++round) {
    const std::string suffix = a.rounds > 1 ? " (round " + std::to_string(round) + ")" : "";
    {
      auto engine = open(a.max_active);
      RunInProcess(*engine, Workload({.requests = 8, .output_lo = 2, .output_hi = 2}, vocab, 1), 0,
                   dirs);  // warm-up
      RunResult r = RunInProcess(*engine, work, 0, dirs);
      base_tok_s = r.tok_s;
      tokens_sum[0] += r.tok_s * r.seconds;
      seconds_sum[0] += r.seconds;
      Row("base only" + suffix, r, base_tok_s);
    }
    for (size_t k = 0; k < a.adapters.size(); ++k) {
      auto engine = open(a.max_active);
      // The same warm-up as the base's (on the base alone: the adapter cache stays cold).
      RunInProcess(*engine, Workload({.requests = 8, .output_lo = 2, .output_hi = 2}, vocab, 1), 0,
                   dirs);
      RunResult r = RunInProcess(*engine, work, a.adapters[k], dirs);
      tokens_sum[k + 1] += r.tok_s * r.seconds;
      seconds_sum[k + 1] += r.seconds;
      Row(std::to_string(a.adapters[k]) + " adapters" + suffix, r, base_tok_s);
    }
  }
  if (a.rounds > 1) {
    const double base_all = tokens_sum[0] / seconds_sum[0];
    std::printf("\nover %d rounds: base only %.1f tok/s", a.rounds, base_all);
    for (size_t k = 0; k < a.adapters.size(); ++k) {
      const double all = tokens_sum[k + 1] / seconds_sum[k + 1];
      std::printf("; %d adapters %.1f tok/s, ratio %.3f", a.adapters[k], all, all / base_all);
    }
    std::printf("\n\n");
  }
  if (max_n > 1 && a.extras) {
    auto engine = open(1);
    Row(std::to_string(max_n) + " adapters, naive (1 per step)",
        RunInProcess(*engine, work, max_n, dirs), base_tok_s);
  }
  const int http_n = a.adapters.size() > 1 ? a.adapters[1] : max_n;
  if (a.extras) {
    auto engine = open(a.max_active);
    // Both with logprobs: a token whose text is empty (a special token of the random base's
    // tokenizer) still makes a chunk, so the HTTP client sees every token.
    RunResult in = RunInProcess(*engine, work, http_n, dirs, /*logprobs=*/true);
    Row(std::to_string(http_n) + " adapters, in-process, logprobs", in, base_tok_s);
    RunResult http = RunHttp(*engine, work, http_n, dirs);
    Row(std::to_string(http_n) + " adapters, HTTP streamed, logprobs", http, base_tok_s);
    std::printf("\nHTTP / in-process tokens/s: %.3f\n", in.tok_s > 0 ? http.tok_s / in.tok_s : 0);
    serve::EngineStats st = engine->Stats();
    std::printf("adapter loads %lld, mean load %.2f ms\n", static_cast<long long>(st.adapter_loads),
                st.adapter_load_seconds.count
                    ? 1000 * st.adapter_load_seconds.sum /
                          static_cast<double>(st.adapter_load_seconds.count)
                    : 0);
  }
  std::error_code ec;
  fs::remove_all(work_dir, ec);
  return 0;
}
