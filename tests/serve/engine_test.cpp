// The serving engine on a tiny random model: batching gives each request what it gets alone,
// requests join and leave the batch, prompts prefill in chunks without stalling decodes,
// cancellation and budgets, adapters that fail or are replaced, the adapter cache's byte budget.
#include "tributary/serve/engine.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"

namespace tributary::serve {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int64_t kVocab = 300;

struct Outcome {
  std::vector<int32_t> tokens;
  std::string text;
  std::string finish;
  Status error;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  std::vector<std::chrono::steady_clock::time_point> token_times;
  std::chrono::steady_clock::time_point done_at, admitted;
  size_t logprob_entries = 0;
};

Outcome Collect(RequestHandle& h, size_t stop_after_tokens = SIZE_MAX) {
  Outcome o;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto e = h.Next(50ms);
    if (!e) continue;
    if (e->kind == EngineEvent::Kind::kError) {
      o.error = e->error;
      break;
    }
    if (e->kind == EngineEvent::Kind::kDone) {
      o.finish = e->finish_reason;
      o.prompt_tokens = e->prompt_tokens;
      o.completion_tokens = e->completion_tokens;
      o.done_at = std::chrono::steady_clock::now();
      o.admitted = e->admitted;
      break;
    }
    o.text += e->text;
    o.logprob_entries += e->logprobs.size();
    for (int32_t t : e->tokens) {
      o.tokens.push_back(t);
      o.token_times.push_back(std::chrono::steady_clock::now());
    }
    if (o.tokens.size() >= stop_after_tokens) break;
  }
  return o;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_dir_ = tmp_.path() / "base";
    auto model = model::LlamaModel::Random(testing::TinyModelConfig(kVocab), 7);
    ASSERT_TRUE(model->Save(base_dir_).ok());
    ASSERT_TRUE(model::WriteByteLevelTokenizer(base_dir_, kVocab).ok());
    base_ = std::move(model);
    auto tok = model::Tokenizer::FromDirectory(base_dir_);
    ASSERT_TRUE(tok.ok());
    tokenizer_.emplace(std::move(*tok));
    adapter_a_ = MakeAdapter("a", 8, 11);
    adapter_b_ = MakeAdapter("b", 16, 12);
  }

  fs::path MakeAdapter(const std::string& name, int64_t rank, uint64_t seed) {
    model::LoraConfig c;
    c.r = rank;
    c.lora_alpha = 2.0 * rank;
    c.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
    fs::path dir = tmp_.path() / name;
    EXPECT_TRUE(model::LoraAdapter::Random(*base_, c, seed).Save(dir).ok());
    return dir;
  }

  std::unique_ptr<Engine> Open(EngineOptions o = {}) {
    o.base_dir = base_dir_;
    auto e = Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(*e);
  }

  EngineRequest Request(const std::string& prompt, int max_tokens,
                        std::optional<fs::path> adapter = {}) {
    EngineRequest r;
    r.id = prompt;
    r.prompt = prompt;
    r.sampling.max_tokens = max_tokens;
    r.sampling.temperature = 0;
    r.sampling.stop_at_eos = false;
    if (adapter) r.adapter = AdapterRef{adapter->filename().string(), *adapter};
    return r;
  }

  // What the model generates for this prompt alone (greedy), through model::Generate.
  std::vector<int32_t> Alone(const std::string& prompt, int max_tokens,
                             std::optional<fs::path> adapter = {},
                             std::optional<torch::ScalarType> storage = std::nullopt) {
    std::optional<model::LoraAdapter> lora;
    if (adapter) {
      auto loaded = model::LoraAdapter::Load(*adapter, *base_, storage);
      EXPECT_TRUE(loaded.ok());
      lora.emplace(std::move(*loaded));
    }
    model::SamplingParams p;
    p.max_tokens = max_tokens;
    p.temperature = 0;
    p.stop_at_eos = false;
    auto g = model::Generate(*base_, *tokenizer_, lora ? &*lora : nullptr, prompt, p);
    EXPECT_TRUE(g.ok());
    return g->tokens;
  }

  testing::TempDir tmp_;
  fs::path base_dir_, adapter_a_, adapter_b_;
  std::unique_ptr<model::LlamaModel> base_;
  std::optional<model::Tokenizer> tokenizer_;
};

TEST_F(EngineTest, ABatchMixingAdaptersGivesEachRequestWhatItGetsAlone) {
  auto engine = Open();
  struct Case {
    std::string prompt;
    std::optional<fs::path> adapter;
  };
  std::vector<Case> cases = {{"the river", {}},
                             {"the river", adapter_a_},
                             {"a longer prompt about rivers", adapter_b_},
                             {"x", adapter_a_},
                             {"datanets", {}}};
  std::vector<std::unique_ptr<RequestHandle>> handles;
  for (const auto& c : cases) {
    auto h = engine->Submit(Request(c.prompt, 12, c.adapter));
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    handles.push_back(std::move(*h));
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    Outcome o = Collect(*handles[i]);
    ASSERT_TRUE(o.error.ok()) << o.error.ToString();
    EXPECT_EQ(o.finish, "length");
    EXPECT_EQ(o.tokens, Alone(cases[i].prompt, 12, cases[i].adapter)) << "request " << i;
    EXPECT_EQ(o.completion_tokens, 12);
  }
  // The adapters changed the answer (else the comparison above proves little).
  EXPECT_NE(Alone("the river", 12), Alone("the river", 12, adapter_a_));
  for (int i = 0; i < 200 && engine->Stats().running > 0; ++i) std::this_thread::sleep_for(5ms);
  EngineStats s = engine->Stats();
  EXPECT_EQ(s.requests_finished, 5);
  EXPECT_LT(s.steps, 5 * 12) << "the requests shared steps";
  EXPECT_EQ(s.kv_tokens_reserved, 0);
}

TEST_F(EngineTest, SeededSamplingInABatchGivesWhatEachRequestGetsAlone) {
  auto engine = Open();
  std::vector<std::unique_ptr<RequestHandle>> handles;
  std::vector<model::SamplingParams> params;
  for (int i = 0; i < 12; ++i) {  // enough requests that sampling is spread over threads
    EngineRequest r = Request("sample " + std::to_string(i), 10,
                              i % 2 ? std::optional(adapter_a_) : std::nullopt);
    r.sampling.temperature = 0.9;
    r.sampling.top_p = i % 3 ? 0.95 : 1.0;
    r.sampling.seed = 100 + i;
    params.push_back(r.sampling);
    auto h = engine->Submit(r);
    ASSERT_TRUE(h.ok());
    handles.push_back(std::move(*h));
  }
  for (int i = 0; i < 12; ++i) {
    Outcome o = Collect(*handles[i]);
    ASSERT_TRUE(o.error.ok());
    std::optional<model::LoraAdapter> lora;
    if (i % 2) {
      auto loaded = model::LoraAdapter::Load(adapter_a_, *base_);
      ASSERT_TRUE(loaded.ok());
      lora.emplace(std::move(*loaded));
    }
    auto alone = model::Generate(*base_, *tokenizer_, lora ? &*lora : nullptr,
                                 "sample " + std::to_string(i), params[i]);
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ(o.tokens, alone->tokens) << "request " << i;
  }
}

TEST_F(EngineTest, RequestsJoinAndLeaveTheRunningBatch) {
  auto engine = Open();
  auto first = engine->Submit(Request("first request", 40, adapter_a_));
  ASSERT_TRUE(first.ok());
  Outcome head = Collect(**first, 5);  // it is decoding now
  ASSERT_EQ(head.tokens.size(), 5u);
  auto second = engine->Submit(Request("second", 10, adapter_b_));
  ASSERT_TRUE(second.ok());
  Outcome b = Collect(**second);
  Outcome rest = Collect(**first);
  ASSERT_TRUE(b.error.ok() && rest.error.ok());
  std::vector<int32_t> a = head.tokens;
  a.insert(a.end(), rest.tokens.begin(), rest.tokens.end());
  EXPECT_EQ(a, Alone("first request", 40, adapter_a_));
  EXPECT_EQ(b.tokens, Alone("second", 10, adapter_b_));
  EXPECT_LT(b.done_at, rest.done_at) << "the short request left while the long one ran";
}

TEST_F(EngineTest, LongPromptsPrefillInChunksWithoutStallingDecodes) {
  EngineOptions o;
  o.prefill_chunk = 4;
  o.max_step_tokens = 8;
  auto engine = Open(o);
  auto shorter = engine->Submit(Request("hi", 20));
  ASSERT_TRUE(shorter.ok());
  Outcome head = Collect(**shorter, 1);
  ASSERT_EQ(head.tokens.size(), 1u);
  std::string long_prompt(90, 'r');  // 90 byte tokens: 23 chunks of 4
  auto longer = engine->Submit(Request(long_prompt, 3));
  ASSERT_TRUE(longer.ok());
  Outcome s = Collect(**shorter);
  Outcome l = Collect(**longer);
  ASSERT_TRUE(s.error.ok() && l.error.ok());
  ASSERT_FALSE(l.token_times.empty());
  EXPECT_LT(s.done_at, l.token_times.front())
      << "the short request decoded every step while the long prompt prefilled";
  EXPECT_EQ(l.tokens, Alone(long_prompt, 3)) << "chunked prefill changes nothing";
  std::vector<int32_t> all = head.tokens;
  all.insert(all.end(), s.tokens.begin(), s.tokens.end());
  EXPECT_EQ(all, Alone("hi", 20));
}

TEST_F(EngineTest, CancellingFreesTheSlotAndItsBudget) {
  auto engine = Open();
  auto h = engine->Submit(Request("cancel me", 100));
  ASSERT_TRUE(h.ok());
  Outcome head = Collect(**h, 2);
  ASSERT_EQ(head.tokens.size(), 2u);
  h->reset();  // dropping the handle cancels
  for (int i = 0; i < 200 && engine->Stats().running > 0; ++i) std::this_thread::sleep_for(10ms);
  EngineStats s = engine->Stats();
  EXPECT_EQ(s.running, 0);
  EXPECT_EQ(s.kv_tokens_reserved, 0);
  EXPECT_EQ(s.requests_cancelled, 1);
  // The engine still answers.
  auto again = engine->Submit(Request("again", 3));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Collect(**again).tokens.size(), 3u);
}

TEST_F(EngineTest, BudgetsQueueThenRefuse) {
  EngineOptions o;
  o.kv_budget_tokens = 115;  // one request of 10 + 100 at a time
  o.max_queued = 1;
  auto engine = Open(o);
  auto too_big = engine->Submit(Request("0123456789", 110));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().reason(), "context_length_exceeded");
  auto a = engine->Submit(Request("0123456789", 100));
  ASSERT_TRUE(a.ok());
  Outcome head = Collect(**a, 1);  // running, with ~99 steps to go
  auto b = engine->Submit(Request("abcdefghij", 100));
  ASSERT_TRUE(b.ok());
  auto c = engine->Submit(Request("klmnopqrst", 100));  // b waits: the queue is full
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason(), "overloaded");
  EXPECT_EQ(engine->Stats().refused, 1);
  // b never runs beside a: the KV budget holds one of them.
  int64_t most_running = 0;
  std::atomic<bool> done{false};
  std::thread watch([&] {
    while (!done) {
      most_running = std::max(most_running, engine->Stats().running);
      std::this_thread::sleep_for(1ms);
    }
  });
  Outcome ra = Collect(**a), rb = Collect(**b);
  done = true;
  watch.join();
  EXPECT_TRUE(ra.error.ok());
  EXPECT_TRUE(rb.error.ok());
  EXPECT_EQ(rb.tokens.size(), 100u);
  EXPECT_EQ(most_running, 1);
}

TEST_F(EngineTest, ABadAdapterFailsOnlyItsOwnRequests) {
  auto engine = Open();
  fs::path broken = tmp_.path() / "broken";
  fs::create_directories(broken);
  std::ofstream(broken / "adapter_config.json") << "{not json";
  auto good = engine->Submit(Request("good", 10, adapter_a_));
  auto bad = engine->Submit(Request("bad", 10, broken));
  auto missing = engine->Submit(Request("missing", 10, tmp_.path() / "nowhere"));
  ASSERT_TRUE(good.ok() && bad.ok() && missing.ok());
  Outcome g = Collect(**good), b = Collect(**bad), m = Collect(**missing);
  EXPECT_TRUE(g.error.ok());
  EXPECT_EQ(g.tokens, Alone("good", 10, adapter_a_));
  EXPECT_FALSE(b.error.ok());
  EXPECT_NE(b.error.message().find("broken"), std::string::npos) << b.error.message();
  EXPECT_FALSE(m.error.ok());
  EXPECT_EQ(engine->Stats().adapter_load_failures, 2);
  // A name never loaded and no directory: NotFound.
  EngineRequest r = Request("x", 2);
  r.adapter = AdapterRef{"unknown", {}};
  auto u = engine->Submit(r);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(Collect(**u).error.code(), Code::kNotFound);
}

TEST_F(EngineTest, TheAdapterCacheKeepsToItsByteBudgetAndPinning) {
  EngineOptions o;
  auto probe = Open();
  ASSERT_TRUE(probe->LoadAdapter({"a", adapter_a_}, false).ok());
  const int64_t a_bytes = probe->CachedAdapters()[0].bytes;
  EXPECT_EQ(probe->CachedAdapters()[0].rank, 8);
  probe.reset();
  o.adapter_cache_bytes = a_bytes * 3;  // b (rank 16) is twice a: a and b fit, a second b not
  auto engine = Open(o);
  ASSERT_TRUE(engine->LoadAdapter({"a", adapter_a_}, /*pin=*/true).ok());
  ASSERT_TRUE(engine->LoadAdapter({"b", adapter_b_}, false).ok());
  EXPECT_EQ(engine->Stats().adapter_cache_bytes, a_bytes * 3);
  ASSERT_TRUE(engine->LoadAdapter({"b2", adapter_b_}, false).ok());  // evicts b, not pinned a
  std::set<std::string> names;
  for (const auto& a : engine->CachedAdapters()) names.insert(a.name);
  EXPECT_EQ(names, (std::set<std::string>{"a", "b2"}));
  EXPECT_EQ(engine->Stats().adapter_evictions, 1);
  EXPECT_LE(engine->Stats().adapter_cache_bytes, a_bytes * 3);
  // Requests by name hit the cache.
  EngineRequest r = Request("cached", 4);
  r.adapter = AdapterRef{"a", {}};
  auto h = engine->Submit(r);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Collect(**h).tokens, Alone("cached", 4, adapter_a_));
  EXPECT_GE(engine->Stats().adapter_hits, 1);
  ASSERT_TRUE(engine->UnloadAdapter("a").ok());
  EXPECT_EQ(engine->UnloadAdapter("a").code(), Code::kNotFound);
}

TEST_F(EngineTest, ABfloat16AdapterCacheHoldsTwiceTheAdapters) {
  auto f32 = Open();
  ASSERT_TRUE(f32->LoadAdapter({"b", adapter_b_}, false).ok());
  const int64_t f32_bytes = f32->CachedAdapters()[0].bytes;
  f32.reset();
  EngineOptions o;
  o.adapter_dtype = "bf16";
  o.adapter_cache_bytes = f32_bytes;  // one float32 adapter b, or two in bfloat16
  auto engine = Open(o);
  ASSERT_TRUE(engine->LoadAdapter({"b", adapter_b_}, false).ok());
  ASSERT_TRUE(engine->LoadAdapter({"b2", adapter_b_}, false).ok());
  EXPECT_EQ(engine->Stats().adapter_cache_bytes, f32_bytes);
  EXPECT_EQ(engine->Stats().adapters_cached, 2);
  EXPECT_EQ(engine->Stats().adapter_evictions, 0);
  // Requests on it, mixed with the base's, get what the bfloat16 adapter gives alone.
  auto on_b = engine->Submit(Request("on b", 8, adapter_b_));
  auto on_base = engine->Submit(Request("on the base", 8));
  ASSERT_TRUE(on_b.ok() && on_base.ok());
  EXPECT_EQ(Collect(**on_b).tokens, Alone("on b", 8, adapter_b_, torch::kBFloat16));
  EXPECT_EQ(Collect(**on_base).tokens, Alone("on the base", 8));

  EngineOptions bad;
  bad.base_dir = base_dir_;
  bad.adapter_dtype = "f16";
  auto refused = Engine::Open(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), "bad_dtype");
  EXPECT_NE(refused.status().message().find("--adapter-dtype"), std::string::npos);
}

TEST_F(EngineTest, ReplacingAnAdapterLetsRunningRequestsFinishOnTheOldWeights) {
  auto engine = Open();
  ASSERT_TRUE(engine->LoadAdapter({"live", adapter_a_}, false).ok());
  EngineRequest r = Request("replace", 30);
  r.adapter = AdapterRef{"live", {}};
  auto running = engine->Submit(r);
  ASSERT_TRUE(running.ok());
  Outcome head = Collect(**running, 2);
  ASSERT_TRUE(engine->LoadAdapter({"live", adapter_b_}, false).ok());
  Outcome rest = Collect(**running);
  std::vector<int32_t> all = head.tokens;
  all.insert(all.end(), rest.tokens.begin(), rest.tokens.end());
  EXPECT_EQ(all, Alone("replace", 30, adapter_a_));
  auto after = engine->Submit(r);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Collect(**after).tokens, Alone("replace", 30, adapter_b_));
}

TEST_F(EngineTest, DeadlinesStopSlowRequests) {
  auto engine = Open();
  EngineRequest r = Request("late", 10);
  r.deadline = std::chrono::steady_clock::now() - 1s;
  auto h = engine->Submit(r);
  ASSERT_TRUE(h.ok());
  Outcome o = Collect(**h);
  EXPECT_EQ(o.error.reason(), "deadline_exceeded");
}

// Two slots: a long request on adapter a holds one, a base request the other. Behind them wait
// b1 (adapter b), a2 (adapter a), base2 (no adapter) and a3 (adapter a), each a few tokens, so
// they run one at a time in the second slot.
TEST_F(EngineTest, RequestsSharingTheBatchsWeightsGoAheadAtMostMaxOvertakesTimes) {
  auto order = [&](int64_t max_overtakes) {
    EngineOptions o;
    o.max_running = 2;
    o.max_overtakes = max_overtakes;
    auto engine = Open(o);
    EXPECT_TRUE(engine->LoadAdapter({"a", adapter_a_}, false).ok());
    EXPECT_TRUE(engine->LoadAdapter({"b", adapter_b_}, false).ok());
    auto long_a = engine->Submit(Request("long a", 120, adapter_a_));  // to the context's end
    EXPECT_TRUE(long_a.ok());
    EXPECT_EQ(Collect(**long_a, 1).tokens.size(), 1u);
    auto base = engine->Submit(Request("base", 80));
    EXPECT_TRUE(base.ok());
    EXPECT_EQ(Collect(**base, 1).tokens.size(), 1u);
    const std::vector<std::pair<std::string, std::optional<fs::path>>> queued = {
        {"b1", adapter_b_}, {"a2", adapter_a_}, {"base2", std::nullopt}, {"a3", adapter_a_}};
    std::vector<std::future<std::pair<std::chrono::steady_clock::time_point, std::string>>> done;
    for (const auto& [name, adapter] : queued) {
      auto h = engine->Submit(Request(name, 3, adapter));
      EXPECT_TRUE(h.ok());
      done.push_back(std::async(std::launch::async,
                                [handle = std::shared_ptr<RequestHandle>(std::move(*h)), name] {
                                  Outcome out = Collect(*handle);
                                  EXPECT_TRUE(out.error.ok()) << name;
                                  EXPECT_EQ(out.tokens.size(), 3u) << name;
                                  return std::make_pair(out.admitted, name);
                                }));
    }
    std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> finished;
    for (auto& f : done) finished.push_back(f.get());
    std::sort(finished.begin(), finished.end());
    std::vector<std::string> names;
    for (const auto& [at, name] : finished) names.push_back(name);
    return names;
  };
  // First come, first served.
  EXPECT_EQ(order(0), (std::vector<std::string>{"b1", "a2", "base2", "a3"}));
  // Whatever reads no new weights goes first: a2 and a3 share a's, base2 needs none.
  EXPECT_EQ(order(64), (std::vector<std::string>{"a2", "base2", "a3", "b1"}));
  // Passed once, b1 is passed no more.
  EXPECT_EQ(order(1), (std::vector<std::string>{"a2", "b1", "base2", "a3"}));

  EngineOptions bad;
  bad.base_dir = base_dir_;
  bad.max_overtakes = -1;
  auto refused = Engine::Open(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), "bad_engine_options");
}

TEST_F(EngineTest, AQueuedRequestsAdapterLoadsWhileTheBatchIsFull) {
  EngineOptions o;
  o.max_running = 1;
  auto engine = Open(o);
  auto first = engine->Submit(Request("first", 120));  // the base, to the context's end
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(Collect(**first, 1).tokens.size(), 1u);
  auto queued = engine->Submit(Request("queued", 3, adapter_b_));
  ASSERT_TRUE(queued.ok());
  EngineStats s = engine->Stats();
  for (int i = 0; i < 400 && s.adapter_loads < 1; ++i) {
    std::this_thread::sleep_for(5ms);
    s = engine->Stats();
  }
  EXPECT_EQ(s.adapter_loads, 1);
  EXPECT_EQ(s.waiting, 1) << "loaded while it waited for the slot";
  Outcome q = Collect(**queued);
  EXPECT_TRUE(q.error.ok());
  EXPECT_EQ(q.tokens, Alone("queued", 3, adapter_b_));
}

TEST_F(EngineTest, AStepRunsAtMostMaxActiveAdaptersAndNoRequestStarves) {
  EngineOptions o;
  o.max_active_adapters = 1;
  auto engine = Open(o);
  const std::vector<std::pair<std::string, std::optional<fs::path>>> cases = {
      {"on a", adapter_a_}, {"on b", adapter_b_}, {"on the base", std::nullopt}, {"a", adapter_a_}};
  std::vector<std::unique_ptr<RequestHandle>> handles;
  for (const auto& [prompt, adapter] : cases) {
    auto h = engine->Submit(Request(prompt, 8, adapter));
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    handles.push_back(std::move(*h));
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    Outcome out = Collect(*handles[i]);
    ASSERT_TRUE(out.error.ok()) << out.error.ToString();
    EXPECT_EQ(out.tokens, Alone(cases[i].first, 8, cases[i].second)) << cases[i].first;
  }
  for (int i = 0; i < 200 && engine->Stats().running > 0; ++i) std::this_thread::sleep_for(5ms);
  EngineStats s = engine->Stats();
  EXPECT_EQ(s.requests_finished, 4);
  EXPECT_GT(s.step_adapters, 0);
  EXPECT_LE(s.step_adapters, s.steps) << "one adapter a step at most";
  // Both adapters' requests ran, so the base's request shared steps with both (it needs none).
  EXPECT_GE(s.steps, 2 * 8) << "a's and b's requests could not share a step";

  EngineOptions bad;
  bad.base_dir = base_dir_;
  bad.max_active_adapters = 0;
  auto refused = Engine::Open(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), "bad_engine_options");
}

TEST_F(EngineTest, StopStringsLogprobsAndBadParameters) {
  auto engine = Open();
  EngineRequest r = Request("stop", 12);
  r.top_logprobs = 3;
  auto h = engine->Submit(r);
  ASSERT_TRUE(h.ok());
  Outcome o = Collect(**h);
  EXPECT_EQ(o.logprob_entries, 12u);
  // A stop string taken from the middle of that answer cuts it there.
  const std::string full = o.text;
  ASSERT_GT(full.size(), 4u);
  EngineRequest s = Request("stop", 12);
  s.sampling.stop = {full.substr(2, 2)};
  auto hs = engine->Submit(s);
  ASSERT_TRUE(hs.ok());
  Outcome os = Collect(**hs);
  EXPECT_EQ(os.finish, "stop");
  EXPECT_EQ(os.text, full.substr(0, full.find(full.substr(2, 2))));

  EngineRequest bad = Request("x", 5);
  bad.sampling.top_p = 0;
  EXPECT_EQ(engine->Submit(bad).status().code(), Code::kInvalidArgument);
  EngineRequest empty = Request("", 5);
  EXPECT_EQ(engine->Submit(empty).status().reason(), "prompt");
  EngineRequest too_long = Request(std::string(200, 'a'), 5);  // context is 128
  EXPECT_EQ(engine->Submit(too_long).status().reason(), "context_length_exceeded");
  EngineRequest logprobs = Request("x", 5);
  logprobs.top_logprobs = 21;
  EXPECT_EQ(engine->Submit(logprobs).status().code(), Code::kInvalidArgument);
}

TEST_F(EngineTest, MetricsTextHasTheEngineSeries) {
  auto engine = Open();
  auto h = engine->Submit(Request("metrics", 3, adapter_a_));
  ASSERT_TRUE(h.ok());
  Collect(**h);
  // The request leaves the batch at the end of the step that sent its final event.
  for (int i = 0; i < 200 && engine->Stats().running > 0; ++i) std::this_thread::sleep_for(5ms);
  std::string text = engine->MetricsText();
  for (const char* series :
       {"tributary_serve_requests_running 0", "tributary_serve_generation_tokens_total 3",
        "tributary_serve_time_to_first_token_seconds_count 1",
        "tributary_serve_inter_token_latency_seconds_count 2",
        "tributary_serve_queue_time_seconds_count 1", "tributary_serve_step_sequences_total 3",
        "tributary_serve_step_adapters_total 3", "tributary_serve_adapter_cache_misses_total 1",
        "tributary_serve_adapter_loads_total 1", "tributary_serve_requests_total{model=\"a\"} 1",
        "tributary_serve_kv_cache_usage_ratio"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  }
}

}  // namespace
}  // namespace tributary::serve
