#include "tributary/model/config.h"

#include <gtest/gtest.h>

namespace tributary::model {
namespace {

using json = nlohmann::json;

json Llama() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
    "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
    "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 131072,
    "rope_theta": 500000.0, "rms_norm_eps": 1e-05, "tie_word_embeddings": true,
    "hidden_act": "silu", "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "torch_dtype": "bfloat16"})");
}

TEST(ModelConfigTest, ReadsALlama32Config) {
  auto c = ModelConfig::FromJson(Llama(), "config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->num_key_value_heads, 8);
  EXPECT_EQ(c->head_dim, 64);
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_FALSE(c->attention_bias);
  EXPECT_EQ(c->rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(c->rope_scaling.factor, 32.0);
  EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(*c->bos_token_id, 128000);
  EXPECT_EQ(*c->eos_token_id, 128001);
  // ToJson round-trips.
  auto again = ModelConfig::FromJson(c->ToJson(), "again");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), c->ToJson());
}

// transformers 5 writes rope_theta and the scaling together as rope_parameters.
TEST(ModelConfigTest, ReadsTransformers5RopeParameters) {
  json j = Llama();
  j.erase("rope_theta");
  j.erase("rope_scaling");
  j["rope_parameters"] = {{"rope_theta", 250000.0}, {"rope_type", "llama3"}, {"factor", 8.0},
                          {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
                          {"original_max_position_embeddings", 64}};
  auto c = ModelConfig::FromJson(j, "config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_DOUBLE_EQ(c->rope_theta, 250000.0);
  EXPECT_EQ(c->rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(c->rope_scaling.factor, 8.0);
  EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 64);
  j["rope_parameters"] = {{"rope_theta", 100000.0}, {"rope_type", "default"}};
  c = ModelConfig::FromJson(j, "config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_DOUBLE_EQ(c->rope_theta, 100000.0);
  EXPECT_EQ(c->rope_scaling.type, "");
  j["rope_parameters"] = {{"rope_theta", 100000.0}, {"rope_type", "yarn"}};
  c = ModelConfig::FromJson(j, "config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("yarn"), std::string::npos);
}

TEST(ModelConfigTest, Qwen2HasBiasesAndMistralIsAccepted) {
  json q = Llama();
  q["architectures"] = {"Qwen2ForCausalLM"};
  q["sliding_window"] = 4096;
  q["use_sliding_window"] = false;
  q.erase("rope_scaling");
  auto c = ModelConfig::FromJson(q, "qwen/config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->attention_bias);
  json m = Llama();
  m["architectures"] = {"MistralForCausalLM"};
  m["sliding_window"] = nullptr;
  EXPECT_TRUE(ModelConfig::FromJson(m, "m").ok());
}

TEST(ModelConfigTest, BadConfigsNameTheFileAndField) {
  struct Case {
    std::function<void(json&)> edit;
    std::string expect;
  };
  std::vector<Case> cases = {
      {[](json& j) { j["architectures"] = {"GPT2LMHeadModel"}; },
       "unsupported architecture 'GPT2LMHeadModel'"},
      {[](json& j) { j.erase("architectures"); }, "'architectures'"},
      {[](json& j) { j.erase("hidden_size"); }, "missing 'hidden_size'"},
      {[](json& j) { j["hidden_size"] = "2048"; }, "'hidden_size' must be an integer"},
      {[](json& j) { j["num_key_value_heads"] = 5; }, "multiple of num_key_value_heads"},
      {[](json& j) { j["vocab_size"] = 0; }, "'vocab_size' must be positive"},
      {[](json& j) { j["rope_scaling"]["rope_type"] = "yarn"; }, "rope_scaling type 'yarn'"},
      {[](json& j) { j["hidden_act"] = "gelu"; }, "'hidden_act'"},
      {[](json& j) { j["tie_word_embeddings"] = 1; }, "'tie_word_embeddings'"},
      {[](json& j) { j["bos_token_id"] = 999999999; }, "outside the vocabulary"},
      {[](json& j) {
         j["architectures"] = {"MistralForCausalLM"};
         j["sliding_window"] = 4096;
       },
       "'sliding_window'"},
  };
  for (const auto& c : cases) {
    json j = Llama();
    c.edit(j);
    auto r = ModelConfig::FromJson(j, "/models/x/config.json");
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.status().reason(), "bad_config");
    EXPECT_NE(r.status().message().find("/models/x/config.json"), std::string::npos);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(ModelConfig::FromJson(json::array(), "x").ok());
  EXPECT_FALSE(ModelConfig::Load("/nonexistent-dir").ok());
}

}  // namespace
}  // namespace tributary::model
