// OpenLoRA's serving engine: one base model resident in memory, many LoRA adapters, and an
// iteration-level scheduler (continuous batching) that runs every request's next step in one
// batched Forward whatever the mix of adapters.
//
// Each step the scheduler (one thread) takes, within `max_step_tokens`: one decode token for every
// running request whose prompt is done, then prompt chunks of at most `prefill_chunk` tokens for
// requests still prefilling, oldest first. Requests join the running set at any step while the
// KV-cache budget (`kv_budget_tokens`, counted as prompt + max_tokens per request, so a request
// admitted can always finish) has room, and leave it the step they finish. Admission is first come,
// first served, except that a waiting request whose adapter the batch already runs (or that needs
// none) may go ahead: it adds tokens to a step without adding weights for the step to read. No
// request is passed that way more than `max_overtakes` times. At most
// `max_active_adapters` distinct adapters run in one step; a request whose adapter is not among
// them waits for a later step. A request whose adapter is not in the host cache waits in the queue
// while a loader thread reads it, and never holds up requests for other adapters. When
// `max_queued` requests already wait, Submit refuses with ResourceExhausted (HTTP 429).
//
// Adapters live in three tiers: disk, a host cache budgeted in bytes (least recently used are
// evicted first; pinned ones never), and the set active in the current step. Loading an adapter
// under a name already cached replaces it: running requests finish on the weights they started
// with.
//
// Thread-safety: every public method may be called from any thread. Events of one request are
// delivered in order through its RequestHandle.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/generate.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
class LlamaModel;
}

namespace tributary::serve {

struct EngineOptions {
  std::filesystem::path base_dir;    //!< Hugging Face layout
  std::string dtype = "f32";         //!< f32 or bf16
  std::string base_name;             //!< the base's model id in the API; default: the dir's name
  int64_t max_step_tokens = 512;     //!< tokens one Forward may process (decodes + prefill)
  int64_t prefill_chunk = 256;       //!< the most prompt tokens one request prefills per step
  int64_t max_running = 64;          //!< requests in the running batch
  int64_t max_queued = 256;          //!< requests waiting; more are refused (429)
  int64_t kv_budget_tokens = 65536;  //!< KV-cache tokens reserved by running requests
  //! Distinct adapters in one step. As many as max_running by default: on the CPU a distinct
  //! adapter costs a step far less than leaving its sequence out of it (docs/benchmarks.md).
  int64_t max_active_adapters = 64;
  //! Admissions that may go ahead of a waiting request because their adapter is already in the
  //! running batch (0: first come, first served).
  int64_t max_overtakes = 64;
  int64_t adapter_cache_bytes = int64_t{1} << 30;  //!< host cache of loaded adapters
  //! How cached adapters are stored: "base" (the base's dtype), "f32" or "bf16"; bf16 halves a
  //! float32 adapter's bytes (twice the adapters in the same cache) and rounds its weights.
  std::string adapter_dtype = "base";
  int threads = 0;  //!< torch intra-op threads; 0 = leave as is
};

//! A LoRA adapter a request runs with: its name in the API and its directory (PEFT layout).
struct AdapterRef {
  std::string name;
  std::filesystem::path dir;
};

struct TokenLogprob {
  int32_t token = 0;
  std::string text;  //!< the token's bytes (may be incomplete UTF-8)
  double logprob = 0;
};

//! One request: a prompt (already rendered through the chat template for chat requests).
struct EngineRequest {
  std::string id;                      //!< echoed in events; unique per engine
  std::optional<AdapterRef> adapter;   //!< none: the base alone
  std::string prompt;                  //!< tokenized with the base's tokenizer (special tokens on)
  std::vector<int32_t> prompt_tokens;  //!< used instead of `prompt` when non-empty
  model::SamplingParams sampling;
  int top_logprobs = -1;  //!< -1: no logprobs; 0..20: the sampled token's and that many more
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

//! What a request produces, in order: text pieces, then exactly one final event.
struct EngineEvent {
  enum class Kind { kText, kDone, kError };
  Kind kind = Kind::kText;
  std::string text;             //!< kText: new text (concatenation = the answer)
  std::vector<int32_t> tokens;  //!< kText: the tokens that produced it
  std::vector<std::pair<TokenLogprob, std::vector<TokenLogprob>>> logprobs;  //!< per token
  std::string finish_reason;                       //!< kDone: "stop" or "length"
  int64_t prompt_tokens = 0;                       //!< kDone
  int64_t completion_tokens = 0;                   //!< kDone
  std::chrono::steady_clock::time_point admitted;  //!< kDone: when it joined the running batch
  Status error;                                    //!< kError
};

//! The caller's side of a submitted request. Dropping it (or Cancel) cancels the request.
class RequestHandle {
 public:
  virtual ~RequestHandle() = default;
  //! The next event, waiting up to `timeout`; nullopt on timeout.
  virtual std::optional<EngineEvent> Next(std::chrono::milliseconds timeout) = 0;
  //! Stops the request at the next step and frees its KV budget; no final event follows.
  virtual void Cancel() = 0;
  virtual int64_t prompt_tokens() const = 0;
};

struct AdapterCacheInfo {
  std::string name;
  std::filesystem::path dir;
  int64_t bytes = 0;
  int64_t rank = 0;
  bool pinned = false;
  bool loading = false;
  double load_ms = 0;
};

//! A Prometheus histogram: counts per upper bound (not cumulative), the sum and the count.
struct Histogram {
  std::vector<double> bounds;
  std::vector<int64_t> counts;  //!< bounds.size() + 1 (the last is +Inf)
  double sum = 0;
  int64_t count = 0;
  explicit Histogram(std::vector<double> upper_bounds = {});
  void Observe(double value);
};

//! Counters and gauges for /metrics (cumulative since the engine started).
struct EngineStats {
  int64_t running = 0, waiting = 0, kv_tokens_reserved = 0, kv_budget_tokens = 0;
  int64_t prompt_tokens = 0, generation_tokens = 0, steps = 0;
  //! Sequences and distinct adapters in each step, summed over steps: per step, how full the
  //! batch was and how many adapters' weights the step read beside the base's.
  int64_t step_sequences = 0, step_adapters = 0;
  int64_t requests_finished = 0, requests_failed = 0, requests_cancelled = 0, refused = 0;
  int64_t adapter_hits = 0, adapter_misses = 0, adapter_loads = 0, adapter_evictions = 0;
  int64_t adapter_load_failures = 0, adapter_cache_bytes = 0, adapters_cached = 0;
  Histogram ttft_seconds, itl_seconds, adapter_load_seconds;
  Histogram queue_seconds;  //!< from submission to joining the running batch
  //! Requests by model id; at most kMaxModelLabels names, the rest under "other".
  std::vector<std::pair<std::string, int64_t>> requests_by_model;
  static constexpr size_t kMaxModelLabels = 50;
};

class Engine {
 public:
  //! Loads the base model and tokenizer and starts the scheduler and loader threads.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  ~Engine();  //!< stops the threads; requests still running end with an Unavailable error

  //! Validates and queues a request. InvalidArgument (naming the field) for bad sampling
  //! parameters, an empty prompt or a prompt that with max_tokens exceeds the context or the KV
  //! budget; ResourceExhausted when the queue is full.
  Result<std::unique_ptr<RequestHandle>> Submit(EngineRequest request);

  //! Loads (or replaces) an adapter in the host cache now; `pin` keeps it from eviction.
  Status LoadAdapter(const AdapterRef& adapter, bool pin);
  //! Drops an adapter from the cache (requests running on it finish). NotFound if not cached.
  Status UnloadAdapter(const std::string& name);
  std::vector<AdapterCacheInfo> CachedAdapters() const;

  EngineStats Stats() const;
  //! The stats in Prometheus text format, metric names prefixed "tributary_serve_".
  std::string MetricsText() const;

  const model::Tokenizer& tokenizer() const;
  const model::LlamaModel& base() const;
  //! The base for other read-only users in this process (attribution), kept alive by them.
  std::shared_ptr<const model::LlamaModel> shared_base() const;
  const EngineOptions& options() const;
  int64_t context_length() const;

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::serve
