// The serving engine's scheduler: admission, step composition, sampling and delivery (see
// include/tributary/serve/engine.h for the policy).
#include "tributary/serve/engine.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "serve/adapter-cache.h"
#include "tributary/base/parallel.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"

namespace tributary::serve {

namespace {

using Clock = std::chrono::steady_clock;

// Latency buckets in seconds, from well under a CPU decode step to a long prefill.
std::vector<double> LatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

// Events of one request, shared by the scheduler (producer) and the handle (consumer).
struct Channel {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<EngineEvent> events;
  std::atomic<bool> cancelled{false};

  void Push(EngineEvent e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(std::move(e));
    }
    cv.notify_all();
  }
};

class Handle final : public RequestHandle {
 public:
  Handle(std::shared_ptr<Channel> channel, int64_t prompt_tokens)
      : channel_(std::move(channel)), prompt_tokens_(prompt_tokens) {}
  ~Handle() override { Cancel(); }
  std::optional<EngineEvent> Next(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(channel_->mu);
    if (!channel_->cv.wait_for(lock, timeout, [&] { return !channel_->events.empty(); })) {
      return std::nullopt;
    }
    EngineEvent e = std::move(channel_->events.front());
    channel_->events.pop_front();
    return e;
  }
  void Cancel() override { channel_->cancelled = true; }
  int64_t prompt_tokens() const override { return prompt_tokens_; }

 private:
  std::shared_ptr<Channel> channel_;
  int64_t prompt_tokens_;
};

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t i = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  ++counts[i];
  sum += value;
  ++count;
}

// One request from submission to its final event.
struct Sequence {
  EngineRequest req;
  std::shared_ptr<Channel> channel;
  std::vector<int64_t> prompt;
  size_t prefilled = 0;
  model::KvCache cache;
  std::shared_ptr<const model::LoraAdapter> adapter;
  std::mt19937_64 rng;
  std::unique_ptr<model::StopTextStream> text;
  int64_t generated = 0;
  int64_t last_token = -1;
  int64_t reserve = 0;  // KV tokens reserved: prompt + max_tokens
  bool counted_lookup = false;
  int64_t overtaken = 0;  // admissions that went ahead of it while it was ready
  bool done = false;      // its final event is sent; it leaves the batch
  Clock::time_point submitted, admitted, last_emit;
};

class Engine::Impl {
 public:
  EngineOptions opts;
  std::shared_ptr<model::LlamaModel> model;
  std::optional<model::Tokenizer> tokenizer;
  std::optional<int64_t> eos;
  std::unique_ptr<AdapterCache> adapters;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Sequence>> waiting;
  std::vector<std::unique_ptr<Sequence>> running;  // only the scheduler thread changes it
  std::atomic<int64_t> running_count{0};
  std::atomic<int64_t> kv_reserved{0};
  bool stop = false;
  size_t rotate = 0;  // where this step starts picking decodes (fairness across adapters)

  // Stats. The scheduler never holds mu while it computes; histograms and labels have their lock.
  std::atomic<int64_t> prompt_tokens{0}, generation_tokens{0}, steps{0};
  std::atomic<int64_t> step_sequences{0}, step_adapters{0};  // summed over steps
  std::atomic<int64_t> finished{0}, failed{0}, cancelled{0}, refused{0};
  mutable std::mutex stats_mu;
  Histogram ttft{LatencyBuckets()}, itl{LatencyBuckets()}, queue_time{LatencyBuckets()};
  std::map<std::string, int64_t> by_model;

  std::thread scheduler;

  void Loop();
  //! Moves admissible waiting requests to `running`. Requires mu.
  void AdmitLocked();
  //! One batched Forward over the running requests.
  void Step();
  //! Send the final event and mark the request done.
  void Finish(Sequence& s, const std::string& reason);
  void Fail(Sequence& s, Status error);
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

namespace {

Result<torch::ScalarType> ParseDtype(const std::string& name, const std::string& flag) {
  if (name == "f32") return torch::kFloat32;
  if (name == "bf16") return torch::kBFloat16;
  return Status::InvalidArgument(flag + " must be f32 or bf16, got '" + name + "'", "bad_dtype");
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (options.max_step_tokens < 1 || options.prefill_chunk < 1 || options.max_running < 1 ||
      options.max_queued < 0 || options.max_overtakes < 0 || options.kv_budget_tokens < 1 ||
      options.max_active_adapters < 1 || options.adapter_cache_bytes < 1) {
    return Status::InvalidArgument("engine budgets must be positive", "bad_engine_options");
  }
  TRIB_ASSIGN_OR_RETURN(torch::ScalarType dtype, ParseDtype(options.dtype, "--dtype"));
  std::optional<torch::ScalarType> adapter_dtype;
  if (options.adapter_dtype != "base") {
    auto parsed = ParseDtype(options.adapter_dtype, "--adapter-dtype");
    if (!parsed.ok()) {
      return Status::InvalidArgument(
          "--adapter-dtype must be base, f32 or bf16, got '" + options.adapter_dtype + "'",
          "bad_dtype");
    }
    adapter_dtype = *parsed;
  }
  if (options.threads > 0) torch::set_num_threads(options.threads);
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  if (impl->opts.base_name.empty()) {
    impl->opts.base_name = options.base_dir.filename().string();
    if (impl->opts.base_name.empty())
      impl->opts.base_name = options.base_dir.parent_path().filename();
  }
  TRIB_ASSIGN_OR_RETURN(impl->model, model::LlamaModel::Load(options.base_dir, dtype));
  auto tok = model::Tokenizer::FromDirectory(options.base_dir);
  if (!tok.ok()) return tok.status();
  impl->tokenizer.emplace(std::move(*tok));
  impl->eos = impl->model->config().eos_token_id;
  if (!impl->eos && impl->tokenizer->eos_id()) impl->eos = *impl->tokenizer->eos_id();
  Impl* raw = impl.get();
  impl->adapters = std::make_unique<AdapterCache>(*impl->model, options.adapter_cache_bytes,
                                                  adapter_dtype, [raw] {
                                                    { std::lock_guard<std::mutex> lock(raw->mu); }
                                                    raw->cv.notify_all();
                                                  });
  impl->scheduler = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  impl_->scheduler.join();
  impl_->adapters.reset();
}

Result<std::unique_ptr<RequestHandle>> Engine::Submit(EngineRequest request) {
  TRIB_RETURN_IF_ERROR(request.sampling.Validate());
  if (request.top_logprobs > 20) {
    return Status::InvalidArgument("top_logprobs must be between 0 and 20", "top_logprobs");
  }
  auto seq = std::make_unique<Sequence>();
  if (!request.prompt_tokens.empty()) {
    seq->prompt.assign(request.prompt_tokens.begin(), request.prompt_tokens.end());
  } else {
    auto ids = impl_->tokenizer->Encode(request.prompt, /*allow_special=*/true,
                                        /*add_special_tokens=*/true);
    seq->prompt.assign(ids.begin(), ids.end());
  }
  if (seq->prompt.empty()) return Status::InvalidArgument("the prompt is empty", "prompt");
  const int64_t vocab = impl_->model->config().vocab_size;
  for (int64_t t : seq->prompt) {
    if (t < 0 || t >= vocab) {
      return Status::InvalidArgument(
          "prompt token " + std::to_string(t) + " is outside the vocabulary", "prompt");
    }
  }
  const int64_t context = context_length();
  const int64_t n = static_cast<int64_t>(seq->prompt.size());
  if (n >= context) {
    return Status::InvalidArgument("the prompt has " + std::to_string(n) +
                                       " tokens; this model's context is " +
                                       std::to_string(context) + " tokens",
                                   "context_length_exceeded");
  }
  // A request may not ask for more than fits the context: it is cut at the context's end, and its
  // reservation counts only what can be used.
  const int64_t max_new = std::min<int64_t>(request.sampling.max_tokens, context - n);
  seq->reserve = n + max_new;
  seq->cache.capacity_limit = seq->reserve;  // its buffers never outgrow what was reserved
  if (seq->reserve > impl_->opts.kv_budget_tokens) {
    return Status::InvalidArgument("the prompt (" + std::to_string(n) +
                                       " tokens) with max_tokens " + std::to_string(max_new) +
                                       " exceeds this engine's KV budget of " +
                                       std::to_string(impl_->opts.kv_budget_tokens) + " tokens",
                                   "context_length_exceeded");
  }
  seq->rng.seed(request.sampling.seed);
  seq->text = std::make_unique<model::StopTextStream>(*impl_->tokenizer, request.sampling.stop);
  seq->channel = std::make_shared<Channel>();
  seq->submitted = Clock::now();
  seq->req = std::move(request);
  auto handle = std::make_unique<Handle>(seq->channel, n);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stop) return Status::Unavailable("the engine is stopping", "engine_stopping");
    if (static_cast<int64_t>(impl_->waiting.size()) >= impl_->opts.max_queued) {
      ++impl_->refused;
      return Status::ResourceExhausted(
          std::to_string(impl_->waiting.size()) + " requests are already waiting; retry shortly",
          "overloaded");
    }
    const std::string label = seq->req.adapter ? seq->req.adapter->name : impl_->opts.base_name;
    impl_->waiting.push_back(std::move(seq));
    std::lock_guard<std::mutex> stats_lock(impl_->stats_mu);
    if (impl_->by_model.count(label) || impl_->by_model.size() < EngineStats::kMaxModelLabels) {
      ++impl_->by_model[label];
    } else {
      ++impl_->by_model["other"];
    }
  }
  impl_->cv.notify_all();
  return std::unique_ptr<RequestHandle>(std::move(handle));
}

void Engine::Impl::Finish(Sequence& s, const std::string& reason) {
  EngineEvent done;
  done.kind = EngineEvent::Kind::kDone;
  std::string rest = s.text->Finish(/*flush_utf8=*/reason == "length");
  if (!rest.empty()) {
    EngineEvent text;
    text.text = std::move(rest);
    s.channel->Push(std::move(text));
  }
  done.finish_reason = reason;
  done.prompt_tokens = static_cast<int64_t>(s.prompt.size());
  done.completion_tokens = s.generated;
  done.admitted = s.admitted;
  s.channel->Push(std::move(done));
  s.done = true;
  ++finished;
}

void Engine::Impl::Fail(Sequence& s, Status error) {
  EngineEvent e;
  e.kind = EngineEvent::Kind::kError;
  e.error = std::move(error);
  s.channel->Push(std::move(e));
  s.done = true;
  ++failed;
}

void Engine::Impl::AdmitLocked() {
  std::set<std::string> failed_adapters;
  const auto now = Clock::now();
  // Adapters the running batch already applies each step. A waiting request for one of them (or
  // for the base alone) adds its tokens to a step without adding an adapter's weights to read and
  // its operations to run, which is what a distinct adapter costs a step.
  std::set<const model::LoraAdapter*> running_adapters;
  for (const auto& s : running) {
    if (s->adapter) running_adapters.insert(s->adapter.get());
  }
  // Each admission looks at the first `window` waiting requests (their adapters start loading).
  // The first ready one goes next, unless a later ready one shares weights with the batch and no
  // request it would pass has been passed `max_overtakes` times already.
  const size_t window = static_cast<size_t>(opts.max_running);
  struct Ready {
    size_t index;
    std::shared_ptr<const model::LoraAdapter> adapter;
  };
  // Drops what can no longer run and starts the loads of the window's adapters (also while the
  // batch is full, so that a load overlaps the wait), then lists the ready requests in order.
  auto scan = [&] {
    std::vector<Ready> ready;
    for (size_t i = 0, looked = 0; i < waiting.size() && looked < window;) {
      Sequence& s = *waiting[i];
      if (s.channel->cancelled) {
        ++cancelled;
        waiting.erase(waiting.begin() + static_cast<ptrdiff_t>(i));
        continue;
      }
      if (now > s.req.deadline) {
        Fail(s, Status::Unavailable("the request's deadline passed while it waited",
                                    "deadline_exceeded"));
        waiting.erase(waiting.begin() + static_cast<ptrdiff_t>(i));
        continue;
      }
      ++looked;
      std::shared_ptr<const model::LoraAdapter> adapter;
      if (s.req.adapter) {
        auto found = adapters->Acquire(*s.req.adapter, !s.counted_lookup);
        s.counted_lookup = true;
        if (found.state == AdapterCache::State::kFailed) {
          Fail(s, found.error);
          failed_adapters.insert(s.req.adapter->name);
          waiting.erase(waiting.begin() + static_cast<ptrdiff_t>(i));
          continue;
        }
        if (found.state == AdapterCache::State::kLoading) {
          ++i;  // waits for its adapter; others go ahead
          continue;
        }
        adapter = std::move(found.adapter);
      }
      ready.push_back({i, std::move(adapter)});
      ++i;
    }
    return ready;
  };
  for (;;) {
    std::vector<Ready> ready = scan();
    if (static_cast<int64_t>(running.size()) >= opts.max_running || ready.empty()) break;
    size_t choice = 0;
    for (size_t k = 0; k < ready.size() && opts.max_overtakes > 0; ++k) {
      if (!ready[k].adapter || running_adapters.count(ready[k].adapter.get())) {
        choice = k;
        break;
      }
      if (waiting[ready[k].index]->overtaken >= opts.max_overtakes) break;  // none may pass it
    }
    const auto fits = [&](size_t k) {
      return kv_reserved + waiting[ready[k].index]->reserve <= opts.kv_budget_tokens;
    };
    if (choice > 0 && !fits(choice)) choice = 0;
    // First come, first served when the budget is short: a large request is not overtaken forever.
    if (!fits(choice)) break;
    for (size_t k = 0; k < choice; ++k) ++waiting[ready[k].index]->overtaken;
    auto pick = waiting.begin() + static_cast<ptrdiff_t>(ready[choice].index);
    (*pick)->adapter = std::move(ready[choice].adapter);
    if ((*pick)->adapter) running_adapters.insert((*pick)->adapter.get());
    kv_reserved += (*pick)->reserve;
    (*pick)->admitted = now;
    {
      std::lock_guard<std::mutex> stats_lock(stats_mu);
      queue_time.Observe(std::chrono::duration<double>(now - (*pick)->submitted).count());
    }
    running.push_back(std::move(*pick));
    waiting.erase(pick);
  }
  for (const auto& name : failed_adapters) adapters->Forget(name);
  running_count = static_cast<int64_t>(running.size());
}

void Engine::Impl::Loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu);
      if (running.empty()) {
        cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop || !waiting.empty(); });
      }
      if (stop) break;
      AdmitLocked();
      if (running.empty()) {
        // Everything waiting waits on adapter loads: sleep until one finishes (or a new request).
        if (!waiting.empty()) cv.wait_for(lock, std::chrono::milliseconds(20));
        continue;
      }
    }
    Step();
  }
  std::lock_guard<std::mutex> lock(mu);
  for (auto& s : running) Fail(*s, Status::Unavailable("the engine stopped", "engine_stopping"));
  for (auto& s : waiting) Fail(*s, Status::Unavailable("the engine stopped", "engine_stopping"));
  running.clear();
  waiting.clear();
}

void Engine::Impl::Step() {
  const auto now = Clock::now();
  // Drop cancelled and expired requests first: their KV budget is free for this step.
  {
    for (auto& s : running) {
      if (s->channel->cancelled) {
        ++cancelled;
      } else if (now > s->req.deadline) {
        Fail(*s, Status::Unavailable("the request's deadline passed", "deadline_exceeded"));
      } else {
        continue;
      }
      kv_reserved -= s->reserve;
      s.reset();
    }
    std::erase_if(running, [](const auto& s) { return !s; });
    running_count = static_cast<int64_t>(running.size());
  }
  if (running.empty()) return;

  // Compose the step: decodes first (one token each), then prompt chunks, within the token
  // budget and the number of distinct adapters.
  struct Item {
    Sequence* seq;
    size_t begin, count;  // prompt range for a prefill chunk; count 0 for a decode
  };
  std::vector<Item> items;
  std::vector<const model::LoraAdapter*> adapter_list;
  std::map<const model::LoraAdapter*, int> adapter_index;
  int64_t budget = opts.max_step_tokens;
  auto adapter_slot = [&](const Sequence& s) -> std::optional<int> {
    if (!s.adapter) return -1;
    auto it = adapter_index.find(s.adapter.get());
    if (it != adapter_index.end()) return it->second;
    if (static_cast<int64_t>(adapter_list.size()) >= opts.max_active_adapters) return std::nullopt;
    adapter_list.push_back(s.adapter.get());
    return adapter_index[s.adapter.get()] = static_cast<int>(adapter_list.size()) - 1;
  };
  const size_t n = running.size();
  rotate = n ? rotate % n : 0;
  for (size_t k = 0; k < n && budget > 0; ++k) {
    size_t i = (rotate + k) % n;
    Sequence& s = *running[i];
    if (s.prefilled < s.prompt.size()) continue;
    auto slot = adapter_slot(s);
    if (!slot) continue;
    items.push_back({&s, 0, 0});
    --budget;
  }
  for (size_t i = 0; i < n && budget > 0; ++i) {  // prefill oldest first
    Sequence& s = *running[i];
    if (s.prefilled >= s.prompt.size()) continue;
    auto slot = adapter_slot(s);
    if (!slot) continue;
    size_t count =
        std::min<size_t>({s.prompt.size() - s.prefilled, static_cast<size_t>(opts.prefill_chunk),
                          static_cast<size_t>(budget)});
    items.push_back({&s, s.prefilled, count});
    budget -= static_cast<int64_t>(count);
  }
  ++rotate;
  if (items.empty()) return;
  // Each adapter's rows side by side in the batch: the forward pass then applies an adapter to
  // one contiguous range of rows (views, no gather or scatter). Logits follow `items`' order.
  std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    auto slot = [&](const Item& it) {
      return it.seq->adapter ? adapter_index[it.seq->adapter.get()] : -1;
    };
    return slot(a) < slot(b);
  });

  std::vector<model::SequenceInput> batch;
  batch.reserve(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    Sequence& s = *items[k].seq;
    model::SequenceInput in;
    if (items[k].count == 0) {
      in.tokens = {s.last_token};
    } else {
      in.tokens.assign(s.prompt.begin() + static_cast<ptrdiff_t>(items[k].begin),
                       s.prompt.begin() + static_cast<ptrdiff_t>(items[k].begin + items[k].count));
    }
    in.cache = &s.cache;
    in.adapter = -1;
    if (s.adapter) in.adapter = adapter_index[s.adapter.get()];
    batch.push_back(std::move(in));
  }
  Result<torch::Tensor> logits = Status::Internal("not run");
  try {
    torch::NoGradGuard no_grad;
    logits = model->Forward(batch, adapter_list, /*last_only=*/true);
  } catch (const std::exception& e) {
    logits = Status::Internal(std::string("forward failed: ") + e.what());
  }
  ++steps;
  step_sequences += static_cast<int64_t>(items.size());
  step_adapters += static_cast<int64_t>(adapter_list.size());
  if (!logits.ok()) {
    for (auto& item : items) Fail(*item.seq, logits.status());
  }
  const auto after = Clock::now();
  // Which items sample a token this step (a prefill chunk that does not end the prompt does not).
  std::vector<size_t> sampling;
  for (size_t k = 0; k < items.size() && logits.ok(); ++k) {
    Sequence& s = *items[k].seq;
    if (items[k].count > 0) {
      s.prefilled += items[k].count;
      prompt_tokens += static_cast<int64_t>(items[k].count);
      if (s.prefilled < s.prompt.size()) continue;  // more chunks to come
    }
    sampling.push_back(k);
  }
  // Sampling (a sort of the vocabulary for temperature > 0) and logprobs are per request and
  // independent: spread them over threads when there are many. Each request keeps its own
  // generator, so the tokens do not depend on the split.
  std::vector<int64_t> tokens(items.size(), -1);
  std::vector<std::optional<std::pair<TokenLogprob, std::vector<TokenLogprob>>>> logprob_info(
      items.size());
  auto sample = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const size_t k = sampling[i];
      Sequence& s = *items[k].seq;
      torch::Tensor row = (*logits)[static_cast<int64_t>(k)];
      tokens[k] = model::SampleToken(row, s.req.sampling, s.rng);
      if (s.req.top_logprobs < 0) continue;
      torch::Tensor lp = torch::log_softmax(row.to(torch::kFloat64), -1);
      auto tok_info = [&](int64_t id) {
        return TokenLogprob{static_cast<int32_t>(id),
                            std::string(tokenizer->TokenBytes(static_cast<int32_t>(id))),
                            lp[id].item<double>()};
      };
      std::vector<TokenLogprob> top;
      if (s.req.top_logprobs > 0) {
        auto [values, ids] = torch::topk(lp, s.req.top_logprobs);
        for (int64_t j = 0; j < ids.size(0); ++j) top.push_back(tok_info(ids[j].item<int64_t>()));
      }
      logprob_info[k].emplace(tok_info(tokens[k]), std::move(top));
    }
  };
  ParallelFor(sampling.size(), 2, sample);

  for (size_t k : sampling) {
    Sequence& s = *items[k].seq;
    const int64_t token = tokens[k];
    ++s.generated;
    ++generation_tokens;
    {
      std::lock_guard<std::mutex> lock(stats_mu);
      if (s.generated == 1) {
        ttft.Observe(std::chrono::duration<double>(after - s.submitted).count());
      } else {
        itl.Observe(std::chrono::duration<double>(after - s.last_emit).count());
      }
    }
    s.last_emit = after;
    s.last_token = token;
    EngineEvent ev;
    ev.tokens = {static_cast<int32_t>(token)};
    if (logprob_info[k]) ev.logprobs.push_back(std::move(*logprob_info[k]));
    const bool at_eos = s.req.sampling.stop_at_eos && eos && token == *eos;
    if (!at_eos) ev.text = s.text->Put(static_cast<int32_t>(token));
    s.channel->Push(std::move(ev));
    const int64_t context = model->config().max_position_embeddings;
    std::string reason;
    if (at_eos || s.text->stopped()) {
      reason = "stop";
    } else if (s.generated >= s.req.sampling.max_tokens ||
               static_cast<int64_t>(s.prompt.size()) + s.generated >= context) {
      reason = "length";
    }
    if (!reason.empty()) Finish(s, reason);
  }
  for (auto& s : running) {
    if (s->done || s->channel->cancelled) {
      if (!s->done) ++cancelled;
      kv_reserved -= s->reserve;
      s.reset();
    }
  }
  std::erase_if(running, [](const auto& s) { return !s; });
  running_count = static_cast<int64_t>(running.size());
}

Status Engine::LoadAdapter(const AdapterRef& adapter, bool pin) {
  return impl_->adapters->LoadNow(adapter, pin);
}

Status Engine::UnloadAdapter(const std::string& name) { return impl_->adapters->Unload(name); }

std::vector<AdapterCacheInfo> Engine::CachedAdapters() const { return impl_->adapters->List(); }

EngineStats Engine::Stats() const {
  EngineStats st;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    st.running = impl_->running_count;
    st.waiting = static_cast<int64_t>(impl_->waiting.size());
    st.kv_tokens_reserved = impl_->kv_reserved;
    st.kv_budget_tokens = impl_->opts.kv_budget_tokens;
    st.prompt_tokens = impl_->prompt_tokens;
    st.generation_tokens = impl_->generation_tokens;
    st.steps = impl_->steps;
    st.step_sequences = impl_->step_sequences;
    st.step_adapters = impl_->step_adapters;
    st.requests_finished = impl_->finished;
    st.requests_failed = impl_->failed;
    st.requests_cancelled = impl_->cancelled;
    st.refused = impl_->refused;
  }
  {
    std::lock_guard<std::mutex> lock(impl_->stats_mu);
    st.ttft_seconds = impl_->ttft;
    st.itl_seconds = impl_->itl;
    st.queue_seconds = impl_->queue_time;
    st.requests_by_model.assign(impl_->by_model.begin(), impl_->by_model.end());
  }
  impl_->adapters->AddStats(&st);
  return st;
}

const model::Tokenizer& Engine::tokenizer() const { return *impl_->tokenizer; }
const model::LlamaModel& Engine::base() const { return *impl_->model; }
std::shared_ptr<const model::LlamaModel> Engine::shared_base() const { return impl_->model; }
const EngineOptions& Engine::options() const { return impl_->opts; }
int64_t Engine::context_length() const { return impl_->model->config().max_position_embeddings; }

}  // namespace tributary::serve
