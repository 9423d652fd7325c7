#include "tributary/model/llama.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <random>

#include "support/temp_dir.h"
#include "tributary/model/lora.h"
#include "tributary/model/safetensors.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;

ModelConfig Tiny(bool gqa = true, bool bias = false, bool llama3_rope = false) {
  ModelConfig c;
  c.architecture = bias ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
  c.vocab_size = 97;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = gqa ? 2 : 4;
  c.head_dim = 16;
  c.max_position_embeddings = 256;
  c.rms_norm_eps = 1e-5;
  c.attention_bias = bias;
  if (llama3_rope) {
    c.rope_theta = 500000;
    c.rope_scaling = {"llama3", 8.0, 1.0, 4.0, 64};
  }
  return c;
}

using tributary::testing::TempDir;

torch::Tensor Forward1(const LlamaModel& m, const std::vector<int64_t>& tokens, KvCache* cache) {
  auto r = m.Forward({{tokens, cache}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : torch::Tensor();
}

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(LlamaTest, DecodingWithTheCacheEqualsRecomputing) {
  for (bool llama3 : {false, true}) {
    auto m = LlamaModel::Random(Tiny(true, false, llama3), 1);
    std::vector<int64_t> tokens = {5, 17, 3, 96, 0, 42, 8, 8, 61, 2};
    KvCache full;
    auto all = Forward1(*m, tokens, &full);
    ASSERT_EQ(all.sizes(), (std::vector<int64_t>{10, 97}));
    KvCache inc;
    auto prefix = Forward1(*m, {tokens.begin(), tokens.begin() + 6}, &inc);
    EXPECT_LT(MaxDiff(prefix, all.narrow(0, 0, 6)), 1e-5);
    for (size_t i = 6; i < tokens.size(); ++i) {
      auto step = Forward1(*m, {tokens[i]}, &inc);
      EXPECT_LT(MaxDiff(step[0], all[static_cast<int64_t>(i)]), 1e-5) << "position " << i;
    }
    EXPECT_EQ(inc.length(), 10);
  }
}

TEST(LlamaTest, ABatchOfDifferentLengthsGivesEachSequenceItsOwnLogits) {
  auto m = LlamaModel::Random(Tiny(), 2);
  std::vector<std::vector<int64_t>> prompts = {
      {1, 2, 3, 4, 5}, {9, 8, 7}, {50, 60, 70, 80, 90, 11, 12}};
  // Alone.
  std::vector<torch::Tensor> alone;
  std::vector<KvCache> solo(3);
  for (size_t i = 0; i < 3; ++i) alone.push_back(Forward1(*m, prompts[i], &solo[i]));
  // Together, with the second sequence already holding a cache (prefill and decode mixed).
  std::vector<KvCache> caches(3);
  Forward1(*m, {9, 8}, &caches[1]);
  auto r = m->Forward({{prompts[0], &caches[0]}, {{7}, &caches[1]}, {prompts[2], &caches[2]}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(0), 5 + 1 + 7);
  EXPECT_LT(MaxDiff(r->narrow(0, 0, 5), alone[0]), 1e-5);
  EXPECT_LT(MaxDiff((*r)[5], alone[1][2]), 1e-5);
  EXPECT_LT(MaxDiff(r->narrow(0, 6, 7), alone[2]), 1e-5);
  // last_only gives each sequence's final row.
  std::vector<KvCache> again(3);
  auto last =
      m->Forward({{prompts[0], &again[0]}, {prompts[1], &again[1]}, {prompts[2], &again[2]}}, {},
                 /*last_only=*/true);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(0), 3);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LT(MaxDiff((*last)[static_cast<int64_t>(i)], alone[i][alone[i].size(0) - 1]), 1e-5);
  }
}

TEST(LlamaTest, HalfPrecisionStaysCloseToFloat32) {
  TempDir dir;
  auto m = LlamaModel::Random(Tiny(), 6);
  ASSERT_TRUE(m->Save(dir.path()).ok());
  auto bf16 = LlamaModel::Load(dir.path(), torch::kBFloat16);
  ASSERT_TRUE(bf16.ok()) << bf16.status().ToString();
  KvCache a, b;
  auto ref = Forward1(*m, {4, 5, 6, 7}, &a);
  auto half = Forward1(**bf16, {4, 5, 6, 7}, &b);
  EXPECT_EQ(half.scalar_type(), torch::kFloat32);  // logits always come back as float32
  EXPECT_LT(MaxDiff(half, ref), 0.05);
  EXPECT_EQ(b.keys[0].scalar_type(), torch::kBFloat16);
  // Converting a float32 model in place gives the same as loading in bf16.
  m->To(torch::kCPU, torch::kBFloat16);
  EXPECT_EQ(m->dtype(), torch::kBFloat16);
  KvCache c;
  EXPECT_EQ(MaxDiff(Forward1(*m, {4, 5, 6, 7}, &c), half), 0.0);
}

TEST(LlamaTest, SaveAndLoadGiveIdenticalLogits) {
  for (bool bias : {false, true}) {
    TempDir dir;
    ModelConfig cfg = Tiny(true, bias);
    cfg.tie_word_embeddings = bias;  // cover both the tied and the separate lm_head
    auto m = LlamaModel::Random(cfg, 3);
    ASSERT_TRUE(m->Save(dir.path()).ok());
    auto loaded = LlamaModel::Load(dir.path());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    KvCache a, b;
    EXPECT_EQ(MaxDiff(Forward1(*m, {4, 5, 6}, &a), Forward1(**loaded, {4, 5, 6}, &b)), 0.0);
    EXPECT_EQ((*loaded)->config().attention_bias, bias);
  }
}

TEST(LlamaTest, LoadNamesTheMissingOrMisshapenTensor) {
  TempDir dir;
  auto m = LlamaModel::Random(Tiny(), 4);
  ASSERT_TRUE(m->Save(dir.path()).ok());
  // Rewrite the checkpoint without one tensor, then with one of the wrong shape.
  auto f = SafetensorsFile::Open(dir.path() / "model.safetensors");
  ASSERT_TRUE(f.ok());
  auto rewrite = [&](const std::string& drop, const std::string& reshape) {
    std::vector<TensorData> ts;
    std::vector<std::vector<uint8_t>> keep;
    for (const auto& t : (*f)->tensors()) {
      if (t.name == drop) continue;
      std::vector<int64_t> shape = t.shape;
      if (t.name == reshape) shape = {shape[1], shape[0]};
      ts.push_back({t.name, t.dtype, shape, ByteView((*f)->Data(t), t.end - t.begin)});
    }
    return WriteSafetensors(dir.path() / "model.safetensors.new", ts);
  };
  ASSERT_TRUE(rewrite("model.layers.1.mlp.up_proj.weight", "").ok());
  fs::rename(dir.path() / "model.safetensors.new", dir.path() / "model.safetensors");
  auto r = LlamaModel::Load(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "missing_tensor");
  EXPECT_NE(r.status().message().find("model.layers.1.mlp.up_proj.weight"), std::string::npos);

  ASSERT_TRUE(m->Save(dir.path()).ok());
  f = SafetensorsFile::Open(dir.path() / "model.safetensors");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(rewrite("", "model.layers.0.self_attn.k_proj.weight").ok());
  fs::rename(dir.path() / "model.safetensors.new", dir.path() / "model.safetensors");
  r = LlamaModel::Load(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "wrong_shape");
  EXPECT_NE(r.status().message().find("model.layers.0.self_attn.k_proj.weight"), std::string::npos);
  EXPECT_NE(r.status().message().find("model.safetensors"), std::string::npos);
}

TEST(LlamaTest, BadBatchesAreRefusedWithoutTouchingCaches) {
  auto m = LlamaModel::Random(Tiny(), 5);
  KvCache cache;
  auto r = m->Forward({{{1, 97}, &cache}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "bad_token");
  EXPECT_EQ(cache.length(), 0);
  EXPECT_FALSE(m->Forward({{{}, &cache}}).ok());
  EXPECT_FALSE(m->Forward({{{1}, nullptr}}).ok());
  std::vector<int64_t> too_long(257, 1);
  r = m->Forward({{too_long, &cache}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "context_too_long");
}

TEST(LlamaTest, DecodeStepsWriteTheCacheInPlaceAndGrowItByHalf) {
  auto m = LlamaModel::Random(Tiny(), 6);
  KvCache cache;
  std::vector<int64_t> prompt(20, 3);
  Forward1(*m, prompt, &cache);
  ASSERT_EQ(cache.length(), 20);
  EXPECT_EQ(cache.keys[0].size(0), 20);  // a prompt allocates exactly what it needs
  Forward1(*m, {4}, &cache);
  const int64_t grown = cache.keys[0].size(0);
  EXPECT_GE(grown, 30);  // half again, so decoding copies the rows O(log n) times
  EXPECT_EQ(cache.values[1].size(0), grown);
  const void* data = cache.keys[1].data_ptr();
  for (int64_t i = cache.length(); i < grown; ++i) Forward1(*m, {5}, &cache);
  EXPECT_EQ(cache.length(), grown);
  EXPECT_EQ(cache.keys[1].data_ptr(), data) << "a step with room must not reallocate";
  Forward1(*m, {6}, &cache);
  EXPECT_GT(cache.keys[1].size(0), grown);
  EXPECT_EQ(cache.length(), grown + 1);

  // A limit (what a scheduler reserved) caps the growth, but never the length.
  KvCache limited;
  limited.capacity_limit = 23;
  Forward1(*m, prompt, &limited);
  Forward1(*m, {4}, &limited);
  EXPECT_EQ(limited.keys[0].size(0), 23);
  for (int i = 0; i < 4; ++i) Forward1(*m, {4}, &limited);
  EXPECT_EQ(limited.length(), 25);
  EXPECT_GE(limited.keys[0].size(0), 25);

  // Near the context's end the buffer stops there.
  KvCache end;
  Forward1(*m, std::vector<int64_t>(250, 1), &end);
  Forward1(*m, {2}, &end);
  EXPECT_EQ(end.keys[0].size(0), 256);
}

TEST(LlamaTest, RecordedPassesAfterCachedStepsSeeTheSameRows) {
  auto m = LlamaModel::Random(Tiny(), 7);
  std::vector<int64_t> tokens = {5, 17, 3, 96, 0, 42, 8, 8};
  KvCache full;
  auto all = Forward1(*m, tokens, &full);
  KvCache mixed;
  Forward1(*m, {tokens.begin(), tokens.begin() + 4}, &mixed);
  Forward1(*m, {tokens[4]}, &mixed);  // the buffer now has spare rows
  auto r = m->Forward({{{tokens.begin() + 5, tokens.end()}, &mixed}}, {}, false, /*train=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(MaxDiff(r->detach(), all.narrow(0, 5, 3)), 1e-5);
  EXPECT_EQ(mixed.length(), 8);
  EXPECT_EQ(mixed.keys[0].size(0), 8);  // recorded: exactly the rows in use, a fresh tensor
}

TEST(LlamaTest, AFailedPassLeavesTheCacheLengthAsItWas) {
  auto m = LlamaModel::Random(Tiny(), 8);
  LoraConfig cfg;
  cfg.r = 2;
  cfg.lora_alpha = 4;
  cfg.target_modules = {"v_proj"};
  LoraAdapter adapter = LoraAdapter::Random(*m, cfg, 9);
  KvCache cache;
  Forward1(*m, {1, 2, 3}, &cache);
  int calls = 0;
  LoraHooks throwing = [&](int, int64_t layer, const std::string&, const torch::Tensor&,
                           const torch::Tensor&) {
    ++calls;
    TORCH_CHECK(layer < 1, "stop in layer ", layer);  // layer 0 has written its rows by then
  };
  SequenceInput in{{4, 5}, &cache, 0};
  auto r = m->Forward({in}, {&adapter}, false, false, &throwing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cache.length(), 3);
  // The next pass overwrites what the failed one left and gives what it would have without it.
  KvCache clean;
  Forward1(*m, {1, 2, 3}, &clean);
  SequenceInput again{{4, 5}, &cache, 0}, fresh{{4, 5}, &clean, 0};
  auto a = m->Forward({again}, {&adapter});
  auto b = m->Forward({fresh}, {&adapter});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT(MaxDiff(*a, *b), 1e-6);
  EXPECT_EQ(cache.length(), 5);
}

}  // namespace
}  // namespace tributary::model
