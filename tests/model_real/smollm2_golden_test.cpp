// SmolLM2-135M-Instruct imported from its GGUF (`tributary model pull smollm2-135m-instruct`)
// against Hugging Face transformers on the same file (tools/golden/make_smollm2_golden.py):
// token ids exactly, chat-template text exactly, logits within 1e-3 in float32.
//
// The model comes from TRIBUTARY_SMOLLM2_DIR (the environment, else the build's models/ folder,
// which the pull_smollm2 CTest fixture fills). Where it is absent the tests skip, naming the pull.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tributary/model/llama.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path ModelDir() {
  if (const char* d = std::getenv("TRIBUTARY_SMOLLM2_DIR"); d && *d) return d;
  return TRIBUTARY_SMOLLM2_DIR;
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

#define REQUIRE_SMOLLM2()                                                                    \
  if (!fs::exists(ModelDir() / "model.safetensors")) {                                       \
    GTEST_SKIP() << "SmolLM2 is not at " << ModelDir()                                       \
                 << ": run `tributary model pull smollm2-135m-instruct --out " << ModelDir() \
                 << "` (or set TRIBUTARY_SMOLLM2_DIR)";                                      \
  }

const fs::path kData = fs::path(TRIBUTARY_TESTDATA) / "smollm2";

TEST(SmolLM2GoldenTest, TokenIdsMatchTransformers) {
  REQUIRE_SMOLLM2();
  auto tok = Tokenizer::FromDirectory(ModelDir());
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  json golden = ReadJson(kData / "tokens.json");
  ASSERT_GT(golden["strings"].size(), 200u);
  size_t checked = 0;
  for (const auto& e : golden["strings"]) {
    const std::string text = e["text"];
    const auto want = e["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok->Encode(text, true), want) << "text: " << text;
    EXPECT_EQ(tok->Decode(want), text) << "decoding the ids of: " << text;
    if (e.contains("ids_no_special")) {
      EXPECT_EQ(tok->Encode(text, false), e["ids_no_special"].get<std::vector<int32_t>>())
          << "text (special tokens as text): " << text;
    }
    ++checked;
  }
  EXPECT_EQ(checked, golden["strings"].size());
}

TEST(SmolLM2GoldenTest, ChatTemplateMatchesTransformers) {
  REQUIRE_SMOLLM2();
  auto tok = Tokenizer::FromDirectory(ModelDir());
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  json golden = ReadJson(kData / "tokens.json");
  ASSERT_FALSE(golden["chats"].empty());
  for (const auto& c : golden["chats"]) {
    std::vector<ChatMessage> messages;
    for (const auto& m : c["messages"]) messages.push_back({m["role"], m["content"]});
    ChatTemplateOptions options;
    options.add_generation_prompt = c["add_generation_prompt"];
    auto text = tok->ApplyChatTemplate(messages, options);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ(*text, c["text"].get<std::string>());
    EXPECT_EQ(tok->Encode(*text, true), c["ids"].get<std::vector<int32_t>>());
  }
}

TEST(SmolLM2GoldenTest, LogitsMatchTransformersWithin1e3) {
  REQUIRE_SMOLLM2();
  auto model = LlamaModel::Load(ModelDir());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ModelConfig& c = (*model)->config();
  EXPECT_EQ(c.num_hidden_layers, 30);
  EXPECT_EQ(c.hidden_size, 576);
  EXPECT_EQ(c.num_attention_heads, 9);
  EXPECT_EQ(c.num_key_value_heads, 3);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.vocab_size, 49152);
  EXPECT_TRUE(c.tie_word_embeddings);
  json golden = ReadJson(kData / "logits.json");
  const auto probe_ids = golden["probe_ids"].get<std::vector<int64_t>>();
  double worst = 0;
  for (const auto& p : golden["prompts"]) {
    const auto ids = p["ids"].get<std::vector<int64_t>>();
    KvCache cache;
    auto logits = (*model)->Forward({{ids, &cache}});
    ASSERT_TRUE(logits.ok()) << logits.status().ToString();
    for (const auto& row : p["positions"]) {
      const int64_t pos = row["position"];
      auto got = logits->index({pos});
      const auto top_ids = row["top_ids"].get<std::vector<int64_t>>();
      const auto top_values = row["top_values"].get<std::vector<double>>();
      EXPECT_EQ(got.argmax().item<int64_t>(), top_ids[0]) << "position " << pos;
      for (size_t k = 0; k < top_ids.size(); ++k) {
        const double d = std::abs(got[top_ids[k]].item<double>() - top_values[k]);
        worst = std::max(worst, d);
        EXPECT_LE(d, 1e-3) << "position " << pos << ", token " << top_ids[k];
      }
      const auto probes = row["probe_values"].get<std::vector<double>>();
      for (size_t k = 0; k < probe_ids.size(); ++k) {
        const double d = std::abs(got[probe_ids[k]].item<double>() - probes[k]);
        worst = std::max(worst, d);
        EXPECT_LE(d, 1e-3) << "position " << pos << ", probe token " << probe_ids[k];
      }
    }
  }
  std::cout << "largest logit difference from transformers: " << worst << "\n";
}

}  // namespace
}  // namespace tributary::model
