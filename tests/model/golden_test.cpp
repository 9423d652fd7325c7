// Compares the model runtime with Hugging Face transformers + peft on the fixture that
// tools/golden/make_llama_golden.py writes under tests/data/golden/ (see that script).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/safetensors.h"
#include "tributary/model/tensor.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, LogitsAndTokenIdsMatchTheReference) {
  const fs::path dir = fs::path(TRIBUTARY_TESTDATA) / "golden" / GetParam();
  if (!fs::exists(dir / "golden.json")) {
    GTEST_SKIP() << "golden fixture " << dir
                 << " is missing: run tools/golden/make_llama_golden.py where Hugging Face "
                    "transformers and peft are installed, and commit tests/data/golden/";
  }
  std::ifstream in(dir / "golden.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto golden = nlohmann::json::parse(ss.str());

  auto model = LlamaModel::Load(dir);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto tokenizer = Tokenizer::FromDirectory(dir);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  auto logits_file = SafetensorsFile::Open(dir / "golden.safetensors");
  ASSERT_TRUE(logits_file.ok()) << logits_file.status().ToString();

  std::vector<std::string> names = {"base", "adapter-a", "adapter-b"};
  std::vector<std::optional<LoraAdapter>> adapters(names.size());
  for (size_t a = 1; a < names.size(); ++a) {
    auto loaded = LoraAdapter::Load(dir / names[a], **model);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    adapters[a] = std::move(*loaded);
  }
  for (size_t i = 0; i < golden["prompts"].size(); ++i) {
    const auto& p = golden["prompts"][i];
    std::vector<int32_t> want = p["ids"].get<std::vector<int32_t>>();
    std::vector<int32_t> got = tokenizer->Encode(p["text"].get<std::string>(), true, false);
    EXPECT_EQ(got, want) << "token ids of prompt " << i;
    std::vector<int64_t> ids(want.begin(), want.end());
    for (size_t a = 0; a < names.size(); ++a) {
      KvCache cache;
      std::vector<const LoraAdapter*> list;
      if (a > 0) list.push_back(&*adapters[a]);
      auto logits = (*model)->Forward({{ids, &cache, a > 0 ? 0 : -1}}, list);
      ASSERT_TRUE(logits.ok()) << logits.status().ToString();
      const TensorInfo* ref = (*logits_file)->Find(names[a] + "." + std::to_string(i));
      ASSERT_NE(ref, nullptr) << names[a] << " " << i;
      auto expected = TensorView(**logits_file, *ref).to(torch::kFloat32);
      double diff = (*logits - expected).abs().max().item<double>();
      EXPECT_LE(diff, 1e-4) << names[a] << ", prompt " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::Values("llama", "llama-gqa"));

}  // namespace
}  // namespace tributary::model
