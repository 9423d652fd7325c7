#include "tributary/model/lora.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "support/temp_dir.h"
#include "tributary/model/llama.h"
#include "tributary/model/safetensors.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

ModelConfig Tiny(int64_t hidden = 64) {
  ModelConfig c;
  c.vocab_size = 101;
  c.hidden_size = hidden;
  c.intermediate_size = 96;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = hidden / 4;
  c.max_position_embeddings = 128;
  return c;
}

LoraConfig Config(std::vector<std::string> targets, int64_t r = 4, double alpha = 8) {
  LoraConfig c;
  c.r = r;
  c.lora_alpha = alpha;
  c.target_modules = std::move(targets);
  return c;
}

using tributary::testing::TempDir;

torch::Tensor Logits(const LlamaModel& m, const std::vector<int64_t>& tokens,
                     const LoraAdapter* adapter = nullptr) {
  KvCache cache;
  std::vector<const LoraAdapter*> adapters;
  int index = -1;
  if (adapter) {
    adapters.push_back(adapter);
    index = 0;
  }
  auto r = m.Forward({{tokens, &cache, index}}, adapters);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

const std::vector<int64_t> kPrompt = {3, 14, 15, 92, 65, 35, 89, 79};

TEST(LoraTest, MergedAndUnmergedGiveTheSameLogits) {
  auto m = LlamaModel::Random(Tiny(), 1);
  LoraConfig all = Config(LoraModuleNames(), 8, 16);
  all.rank_pattern["model.layers.1.mlp.down_proj"] = 2;
  all.alpha_pattern["q_proj"] = 3;
  LoraConfig rs = Config({"q_proj", "v_proj"});
  rs.use_rslora = true;
  for (const LoraConfig& cfg : {all, rs, Config({"k_proj", "o_proj", "up_proj"})}) {
    LoraAdapter adapter = LoraAdapter::Random(*m, cfg, 7);
    auto base = Logits(*m, kPrompt);
    auto unmerged = Logits(*m, kPrompt, &adapter);
    EXPECT_GT(MaxDiff(unmerged, base), 1e-3) << "the adapter should change the output";
    ASSERT_TRUE(m->MergeAdapter(adapter).ok());
    EXPECT_FALSE(m->MergeAdapter(adapter).ok());  // one at a time
    auto merged = Logits(*m, kPrompt);
    EXPECT_LE(MaxDiff(merged, unmerged), 1e-5);
    m->UnmergeAdapter();
    EXPECT_EQ(MaxDiff(Logits(*m, kPrompt), base), 0.0) << "unmerge must restore bit for bit";
  }
}

TEST(LoraTest, RankAndAlphaPatternsFollowPeft) {
  LoraConfig c = Config({"q_proj", "down_proj"}, 8, 16);
  c.rank_pattern["down_proj"] = 2;
  c.alpha_pattern["model.layers.0.self_attn.q_proj"] = 4;
  EXPECT_EQ(c.RankFor("model.layers.3.mlp.down_proj"), 2);
  EXPECT_EQ(c.RankFor("model.layers.3.self_attn.q_proj"), 8);
  EXPECT_DOUBLE_EQ(c.ScaleFor("model.layers.0.self_attn.q_proj"), 4.0 / 8);
  EXPECT_DOUBLE_EQ(c.ScaleFor("model.layers.1.self_attn.q_proj"), 16.0 / 8);
  EXPECT_DOUBLE_EQ(c.ScaleFor("model.layers.1.mlp.down_proj"), 16.0 / 2);
  EXPECT_EQ(c.RankFor("model.layers.1.mlp.xdown_proj"), 8);  // a suffix must start at a dot
  c.use_rslora = true;
  EXPECT_DOUBLE_EQ(c.ScaleFor("model.layers.1.self_attn.q_proj"), 16.0 / std::sqrt(8.0));
}

TEST(LoraTest, AMixedBatchGivesEachSequenceTheLogitsItGetsAlone) {
  auto m = LlamaModel::Random(Tiny(), 2);
  LoraAdapter a = LoraAdapter::Random(*m, Config({"q_proj", "v_proj", "down_proj"}), 11);
  LoraAdapter b = LoraAdapter::Random(*m, Config(LoraModuleNames(), 2, 4), 12);
  std::vector<std::vector<int64_t>> prompts = {{1, 2, 3, 4}, {5, 6}, {7, 8, 9}, {10}};
  std::vector<const LoraAdapter*> which = {&a, nullptr, &b, &a};
  std::vector<torch::Tensor> alone;
  for (size_t i = 0; i < prompts.size(); ++i) alone.push_back(Logits(*m, prompts[i], which[i]));
  std::vector<KvCache> caches(4);
  auto r = m->Forward({{prompts[0], &caches[0], 0},
                       {prompts[1], &caches[1], -1},
                       {prompts[2], &caches[2], 1},
                       {prompts[3], &caches[3], 0}},
                      {&a, &b});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t row = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto n = static_cast<int64_t>(prompts[i].size());
    EXPECT_LE(MaxDiff(r->narrow(0, row, n), alone[i]), 1e-5) << "sequence " << i;
    row += n;
  }
  // Decoding one more token for every sequence, still mixed.
  auto step =
      m->Forward({{{20}, &caches[0], 0}, {{21}, &caches[1], -1}, {{22}, &caches[2], 1}}, {&a, &b});
  ASSERT_TRUE(step.ok());
  auto full = prompts[2];
  full.push_back(22);
  EXPECT_LE(MaxDiff((*step)[2], Logits(*m, full, &b)[3]), 1e-5);
  // An adapter index that was not given is refused.
  KvCache c;
  auto bad = m->Forward({{{1}, &c, 2}}, {&a, &b});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().reason(), "bad_adapter");
}

TEST(LoraTest, SaveAndLoadInPeftLayout) {
  TempDir dir;
  auto m = LlamaModel::Random(Tiny(), 3);
  LoraConfig cfg = Config({"q_proj", "k_proj", "gate_proj"}, 4, 8);
  cfg.rank_pattern["gate_proj"] = 2;
  LoraAdapter adapter = LoraAdapter::Random(*m, cfg, 5);
  ASSERT_TRUE(adapter.Save(dir.path()).ok());
  // PEFT's names and shapes.
  auto f = SafetensorsFile::Open(dir.path() / "adapter_model.safetensors");
  ASSERT_TRUE(f.ok());
  const TensorInfo* a =
      (*f)->Find("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{4, 64}));
  const TensorInfo* b = (*f)->Find("base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->shape, (std::vector<int64_t>{96, 2}));
  auto loaded = LoraAdapter::Load(dir.path(), *m);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(MaxDiff(Logits(*m, kPrompt, &adapter), Logits(*m, kPrompt, &*loaded)), 0.0);
}

TEST(LoraTest, AnAdapterKeptInBfloat16TakesHalfTheBytesAndStaysCloseToFloat32) {
  TempDir dir;
  auto m = LlamaModel::Random(Tiny(), 3);
  ASSERT_TRUE(LoraAdapter::Random(*m, Config(LoraModuleNames(), 8, 16), 6).Save(dir.path()).ok());
  auto f32 = LoraAdapter::Load(dir.path(), *m);
  auto bf16 = LoraAdapter::Load(dir.path(), *m, torch::kBFloat16);
  ASSERT_TRUE(f32.ok() && bf16.ok()) << bf16.status().ToString();
  auto bytes = [](const LoraAdapter& a) {
    int64_t n = 0;
    for (const auto& [name, t] : a.NamedParameters()) n += t.numel() * t.element_size();
    return n;
  };
  EXPECT_EQ(bytes(*bf16) * 2, bytes(*f32));
  for (const auto& [name, t] : bf16->NamedParameters()) {
    ASSERT_EQ(t.scalar_type(), torch::kBFloat16) << name;
  }
  // The adapter's effect on the logits moves by bfloat16's rounding of A and B, no more.
  const auto base = Logits(*m, kPrompt);
  const auto want = Logits(*m, kPrompt, &*f32);
  const auto got = Logits(*m, kPrompt, &*bf16);
  EXPECT_GT(MaxDiff(want, base), 1e-3) << "the adapter changes the logits";
  EXPECT_LE(MaxDiff(got, want), 0.02 * MaxDiff(want, base));
  // Widening is exact: a float32 adapter holding the rounded values gives the same logits, for
  // prefill rows (libtorch, the weights widened per call) and for a decode row (the raw-float
  // loop) in a batch that also prefills a prompt on the base.
  auto widened = LoraAdapter::Load(dir.path(), *m);
  ASSERT_TRUE(widened.ok());
  {
    torch::NoGradGuard no_grad;
    auto to = widened->NamedParameters();
    auto from = bf16->NamedParameters();
    for (size_t i = 0; i < to.size(); ++i) to[i].second.copy_(from[i].second);
  }
  EXPECT_LE(MaxDiff(got, Logits(*m, kPrompt, &*widened)), 1e-5);
  std::vector<KvCache> caches(2);
  auto r = m->Forward({{kPrompt, &caches[0], -1}, {{7}, &caches[1], 0}}, {&*bf16});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE(MaxDiff(r->narrow(0, 0, 8), base), 1e-5);
  EXPECT_LE(MaxDiff(r->narrow(0, 8, 1), Logits(*m, {7}, &*widened)), 1e-5);
}

TEST(LoraTest, AnAdapterForAnotherBaseIsRefusedNamingTheTensor) {
  TempDir dir;
  auto other = LlamaModel::Random(Tiny(32), 1);
  ASSERT_TRUE(LoraAdapter::Random(*other, Config({"q_proj"}), 1).Save(dir.path()).ok());
  auto m = LlamaModel::Random(Tiny(64), 1);
  auto r = LoraAdapter::Load(dir.path(), *m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "adapter_mismatch");
  EXPECT_NE(
      r.status().message().find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"),
      std::string::npos)
      << r.status().message();
  // A deeper base than the adapter: the first missing tensor is named.
  ModelConfig deep = Tiny(32);
  deep.num_hidden_layers = 3;
  r = LoraAdapter::Load(dir.path(), *LlamaModel::Random(deep, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "missing_tensor");
  EXPECT_NE(r.status().message().find("layers.2.self_attn.q_proj.lora_A"), std::string::npos);
  // A shallower base: the adapter has a tensor the base cannot use.
  ModelConfig shallow = Tiny(32);
  shallow.num_hidden_layers = 1;
  r = LoraAdapter::Load(dir.path(), *LlamaModel::Random(shallow, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unexpected tensor 'base_model.model.model.layers.1"),
            std::string::npos)
      << r.status().message();
}

TEST(LoraTest, BadAdapterConfigsAreRefused) {
  json good = Config({"q_proj"}).ToJson();
  ASSERT_TRUE(LoraConfig::FromJson(good, "c").ok());
  std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& j) { j["bias"] = "all"; }, "'bias'"},
      {[](json& j) { j["r"] = 0; }, "'r'"},
      {[](json& j) { j.erase("lora_alpha"); }, "'lora_alpha'"},
      {[](json& j) { j["target_modules"] = {"lm_head"}; }, "\"lm_head\""},
      {[](json& j) { j["target_modules"] = ".*proj"; }, "'target_modules'"},
      {[](json& j) { j["peft_type"] = "IA3"; }, "peft_type"},
      {[](json& j) {
         j["rank_pattern"] = {{"q_proj", -1}};
       },
       "rank_pattern['q_proj']"},
  };
  for (auto& [edit, expect] : cases) {
    json j = good;
    edit(j);
    auto r = LoraConfig::FromJson(j, "/a/adapter_config.json");
    ASSERT_FALSE(r.ok()) << expect;
    EXPECT_NE(r.status().message().find("/a/adapter_config.json"), std::string::npos);
    EXPECT_NE(r.status().message().find(expect), std::string::npos) << r.status().message();
  }
  auto all = LoraConfig::FromJson(
      json{{"r", 2}, {"lora_alpha", 4}, {"target_modules", "all-linear"}}, "c");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->target_modules.size(), 7u);
  TempDir dir;
  auto m = LlamaModel::Random(Tiny(), 1);
  EXPECT_EQ(LoraAdapter::Load(dir.path(), *m).status().reason(), "file_not_found");
  std::ofstream(dir.path() / "adapter_config.json") << "{not json";
  EXPECT_EQ(LoraAdapter::Load(dir.path(), *m).status().reason(), "bad_adapter");
}

}  // namespace
}  // namespace tributary::model
