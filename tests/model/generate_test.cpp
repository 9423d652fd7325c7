#include "tributary/model/generate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <random>

#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;

class GenerateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() / ("tributary-gen-" + std::to_string(::getpid())));
    ASSERT_TRUE(WriteByteLevelTokenizer(*dir_, 260).ok());
    auto t = Tokenizer::FromDirectory(*dir_);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tokenizer_ = new Tokenizer(std::move(*t));
    ModelConfig c;
    c.vocab_size = 260;
    c.hidden_size = 48;
    c.intermediate_size = 96;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 12;
    c.max_position_embeddings = 512;
    // Larger weights than the default init so sampling is not near-uniform.
    model_ = LlamaModel::Random(c, 9).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    delete tokenizer_;
    fs::remove_all(*dir_);
    delete dir_;
  }

  static GenerationResult Gen(const SamplingParams& p, const LoraAdapter* adapter = nullptr,
                              std::string* streamed = nullptr) {
    auto r =
        Generate(*model_, *tokenizer_, adapter, "Once upon a time", p, [&](std::string_view piece) {
          if (streamed) streamed->append(piece);
        });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : GenerationResult{};
  }

  static fs::path* dir_;
  static Tokenizer* tokenizer_;
  static LlamaModel* model_;
};

fs::path* GenerateTest::dir_ = nullptr;
Tokenizer* GenerateTest::tokenizer_ = nullptr;
LlamaModel* GenerateTest::model_ = nullptr;

TEST(SampleTokenTest, GreedyTopKAndTopP) {
  std::mt19937_64 rng(1);
  auto logits = torch::tensor({0.5, 2.0, 2.0, -1.0});
  SamplingParams greedy;
  greedy.temperature = 0;
  EXPECT_EQ(SampleToken(logits, greedy, rng), 1);  // first of the tied maxima
  SamplingParams k1;
  k1.top_k = 1;
  EXPECT_EQ(SampleToken(logits, k1, rng), 1);
  SamplingParams p;
  p.top_p = 0.01;
  EXPECT_EQ(SampleToken(logits, p, rng), 1);
  // top_k = 2 never picks ids 0 or 3.
  SamplingParams k2;
  k2.top_k = 2;
  for (int i = 0; i < 200; ++i) {
    int64_t t = SampleToken(logits, k2, rng);
    EXPECT_TRUE(t == 1 || t == 2);
  }
}

TEST(SampleTokenTest, FrequenciesFollowTheSoftmax) {
  std::mt19937_64 rng(7);
  auto logits = torch::tensor({0.0, std::log(3.0)});
  SamplingParams p;
  int ones = 0;
  const int n = 8000;
  for (int i = 0; i < n; ++i) ones += SampleToken(logits, p, rng) == 1;
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.75, 0.02);
  // Temperature 0.5 squares the odds: 9:1.
  p.temperature = 0.5;
  ones = 0;
  for (int i = 0; i < n; ++i) ones += SampleToken(logits, p, rng) == 1;
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.9, 0.02);
}

TEST_F(GenerateTest, SameSeedSameOutput) {
  SamplingParams p;
  p.max_tokens = 24;
  p.temperature = 0.9;
  p.top_k = 50;
  p.top_p = 0.95;
  p.seed = 42;
  p.stop_at_eos = false;
  auto a = Gen(p), b = Gen(p);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.tokens.size(), 24u);
  EXPECT_EQ(a.finish_reason, "length");
  p.seed = 43;
  EXPECT_NE(Gen(p).tokens, a.tokens);
  SamplingParams greedy = p;
  greedy.temperature = 0;
  EXPECT_EQ(Gen(greedy).tokens, Gen(greedy).tokens);
}

TEST_F(GenerateTest, StreamedPiecesAddUpToTheText) {
  SamplingParams p;
  p.max_tokens = 30;
  p.seed = 3;
  p.stop_at_eos = false;
  std::string streamed;
  auto r = Gen(p, nullptr, &streamed);
  EXPECT_EQ(streamed, r.text);
  EXPECT_EQ(r.text, ReplaceInvalidUtf8(tokenizer_->Decode(r.tokens, true)));
}

TEST_F(GenerateTest, StopStringsCutTheTextAndTheStream) {
  SamplingParams p;
  p.max_tokens = 40;
  p.temperature = 0;
  p.stop_at_eos = false;
  auto full = Gen(p);
  ASSERT_GE(full.text.size(), 12u);
  // A stop string taken from the middle of the greedy output.
  std::string stop = full.text.substr(6, 3);
  size_t first = full.text.find(stop);
  p.stop = {stop, "never-appears-xyz"};
  std::string streamed;
  auto cut = Gen(p, nullptr, &streamed);
  EXPECT_EQ(cut.finish_reason, "stop");
  EXPECT_EQ(cut.text, full.text.substr(0, first));
  EXPECT_EQ(streamed, cut.text);
  EXPECT_LT(cut.tokens.size(), full.tokens.size());
}

TEST_F(GenerateTest, AnAdapterChangesTheOutput) {
  SamplingParams p;
  p.max_tokens = 16;
  p.temperature = 0;
  p.stop_at_eos = false;
  LoraConfig cfg;
  cfg.r = 4;
  cfg.lora_alpha = 64;
  cfg.target_modules = LoraModuleNames();
  LoraAdapter adapter = LoraAdapter::Random(*model_, cfg, 5);
  EXPECT_NE(Gen(p, &adapter).tokens, Gen(p).tokens);
}

TEST_F(GenerateTest, BadParametersAreRefused) {
  std::vector<std::pair<SamplingParams, std::string>> cases;
  SamplingParams p;
  p.max_tokens = 0;
  cases.push_back({p, "max_tokens"});
  p = {};
  p.temperature = -1;
  cases.push_back({p, "temperature"});
  p = {};
  p.top_p = 0;
  cases.push_back({p, "top_p"});
  p = {};
  p.top_k = -2;
  cases.push_back({p, "top_k"});
  p = {};
  p.stop = {""};
  cases.push_back({p, "stop"});
  for (const auto& [params, field] : cases) {
    auto r = Generate(*model_, *tokenizer_, nullptr, "x", params);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(Generate(*model_, *tokenizer_, nullptr, "", SamplingParams{}).ok());
}

}  // namespace
}  // namespace tributary::model
