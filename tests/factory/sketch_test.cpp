// Attribution sketches: the factored projection equals the projection of the true per-example
// gradient, does not depend on batching, and round-trips through the memory-mapped file.
#include "tributary/factory/sketch.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "tributary/factory/train.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"

namespace tributary::factory {
namespace {

namespace fs = std::filesystem;

using tributary::testing::TempDir;

// ||a - b|| / ||b||: float32 sums in another order differ in the last bits only.
double RelErr(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).norm().item<double>() / std::max(1e-30, b.norm().item<double>());
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf) + buf + buf + buf;
}

class SketchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::ModelConfig c = tributary::testing::TinyModelConfig(97);
    base_ = model::LlamaModel::Random(c, 5);
    model::LoraConfig lc;
    lc.r = 4;
    lc.target_modules = {"q_proj", "v_proj", "down_proj"};
    // Random (not PEFT-initialised) factors, so both A and B gradients are nonzero.
    adapter_.emplace(model::LoraAdapter::Random(*base_, lc, 9));
    std::mt19937_64 rng(3);
    for (int i = 0; i < 10; ++i) {
      Example e;
      e.row_id = Hex(1000 + i);
      e.contribution = Hex(2000 + i % 3);
      e.contributor = "trbcontributor" + std::to_string(i % 3);
      const int len = 5 + i % 7;
      for (int t = 0; t < len; ++t) e.tokens.push_back(static_cast<int64_t>(rng() % 97));
      e.loss_start = i % 2 ? 1 : len / 2;
      examples_.push_back(e);
    }
    for (const auto& e : examples_) ptrs_.push_back(&e);
  }

  // The true gradient of one example's mean token loss, by PEFT key.
  std::vector<std::pair<std::string, torch::Tensor>> TrueGradient(const Example& e) {
    auto params = adapter_->NamedParameters();
    for (auto& [k, t] : params) {
      t.requires_grad_(true);
      t.mutable_grad() = torch::Tensor();
    }
    model::KvCache cache;
    auto logits = base_->Forward({{e.tokens, &cache, 0}}, {&*adapter_}, false, true);
    EXPECT_TRUE(logits.ok());
    std::vector<int64_t> rows, targets;
    for (size_t t = static_cast<size_t>(e.loss_start); t < e.tokens.size(); ++t) {
      rows.push_back(static_cast<int64_t>(t) - 1);
      targets.push_back(e.tokens[t]);
    }
    auto loss = torch::nn::functional::cross_entropy(logits->index_select(0, torch::tensor(rows)),
                                                     torch::tensor(targets));
    loss.backward();
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (auto& [k, t] : params) {
      out.emplace_back(k, t.grad().clone());
      t.requires_grad_(false);
    }
    return out;
  }

  std::unique_ptr<model::LlamaModel> base_;
  std::optional<model::LoraAdapter> adapter_;
  std::vector<Example> examples_;
  std::vector<const Example*> ptrs_;
};

TEST_F(SketchTest, FactoredSketchEqualsTheProjectedTrueGradient) {
  SketchOptions o;
  o.dim = 256;
  auto proj = SketchProjection::Create(*adapter_, o);
  ASSERT_TRUE(proj.ok()) << proj.status().ToString();
  // 2 layers x 3 modules x r 4 = 24; k = 256 / 48 = 5; dim = 2 * 5 * 24 = 240.
  EXPECT_EQ(proj->k(), 5);
  EXPECT_EQ(proj->dim(), 240);
  auto sketches = proj->Compute(*base_, *adapter_, ptrs_, 10);
  ASSERT_TRUE(sketches.ok()) << sketches.status().ToString();
  ASSERT_EQ(sketches->size(0), 10);
  ASSERT_EQ(sketches->size(1), 240);
  for (size_t i = 0; i < examples_.size(); ++i) {
    auto ref = proj->ProjectGradients(TrueGradient(examples_[i]));
    ASSERT_TRUE(ref.ok());
    EXPECT_LT(RelErr((*sketches)[static_cast<int64_t>(i)], *ref), 1e-4) << "example " << i;
    EXPECT_GT(ref->abs().sum().item<double>(), 0);
  }
}

// The base-checkpoint segment (TracIn's second checkpoint): Q_out (dL/dW) Q_inᵀ per targeted
// module, with dL/dW the true gradient of the example's loss with respect to the base weight, at
// the base model without the adapter. The adapter's segment is unchanged in front of it.
TEST_F(SketchTest, BaseSegmentIsTheProjectedBaseWeightGradient) {
  SketchOptions o;
  o.dim = 256;
  o.base_dim = 60;  // 6 modules: kb = floor(sqrt(10)) = 3, 6 x 9 = 54 values
  auto proj = SketchProjection::Create(*adapter_, o);
  ASSERT_TRUE(proj.ok()) << proj.status().ToString();
  EXPECT_EQ(proj->base_k(), 3);
  EXPECT_EQ(proj->base_dim(), 54);
  EXPECT_EQ(proj->dim(), 240 + 54);
  EXPECT_EQ(proj->ToJson()["base_checkpoint"]["dim"], 54);
  EXPECT_EQ(proj->ToJson()["base_checkpoint"]["offset"], 240);
  auto with_base = proj->Compute(*base_, *adapter_, ptrs_, 4);
  auto plain = SketchProjection::Create(*adapter_, {.dim = 256});
  ASSERT_TRUE(with_base.ok() && plain.ok()) << with_base.status().ToString();
  auto adapter_only = plain->Compute(*base_, *adapter_, ptrs_, 4);
  ASSERT_TRUE(adapter_only.ok());
  EXPECT_LT(RelErr(with_base->narrow(1, 0, 240), *adapter_only), 1e-6);

  // The reference: autograd on the base weights themselves, no adapter in the pass.
  std::map<std::pair<int64_t, std::string>, std::string> names;
  for (int64_t layer = 0; layer < 2; ++layer) {
    names[{layer, "q_proj"}] = "model.layers." + std::to_string(layer) + ".self_attn.q_proj.weight";
    names[{layer, "v_proj"}] = "model.layers." + std::to_string(layer) + ".self_attn.v_proj.weight";
    names[{layer, "down_proj"}] = "model.layers." + std::to_string(layer) + ".mlp.down_proj.weight";
  }
  std::map<std::string, torch::Tensor> weights;
  for (auto& [name, t] : base_->NamedParameters()) weights[name] = t;
  for (size_t i = 0; i < examples_.size(); ++i) {
    const Example& e = examples_[i];
    for (auto& [key, name] : names) {
      weights.at(name).requires_grad_(true);
      weights.at(name).mutable_grad() = torch::Tensor();
    }
    model::KvCache cache;
    auto logits = base_->Forward({{e.tokens, &cache, -1}}, {}, false, true);
    ASSERT_TRUE(logits.ok()) << logits.status().ToString();
    std::vector<int64_t> rows, targets;
    for (size_t t = static_cast<size_t>(e.loss_start); t < e.tokens.size(); ++t) {
      rows.push_back(static_cast<int64_t>(t) - 1);
      targets.push_back(e.tokens[t]);
    }
    torch::nn::functional::cross_entropy(logits->index_select(0, torch::tensor(rows)),
                                         torch::tensor(targets))
        .backward();
    std::map<std::pair<int64_t, std::string>, torch::Tensor> grads;
    for (auto& [key, name] : names) {
      grads[key] = weights.at(name).grad().clone();
      weights.at(name).requires_grad_(false);
    }
    auto ref = proj->ProjectBaseGradients(grads);
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    EXPECT_GT(ref->abs().sum().item<double>(), 0);
    EXPECT_LT(RelErr((*with_base)[static_cast<int64_t>(i)].narrow(0, 240, 54), *ref), 1e-4)
        << "example " << i;
  }
  // Bad options are refused.
  EXPECT_FALSE(SketchProjection::Create(*adapter_, {.dim = 256, .base_dim = -1}).ok());
  EXPECT_FALSE(plain->ProjectBaseGradients({}).ok());
}

TEST_F(SketchTest, BatchingDoesNotChangeSketches) {
  auto proj = SketchProjection::Create(*adapter_, {});
  ASSERT_TRUE(proj.ok());
  auto one = proj->Compute(*base_, *adapter_, ptrs_, 1);
  auto many = proj->Compute(*base_, *adapter_, ptrs_, 10);
  ASSERT_TRUE(one.ok() && many.ok());
  for (int64_t i = 0; i < 10; ++i) EXPECT_LT(RelErr((*one)[i], (*many)[i]), 1e-5) << i;
  // The same seed gives the same projection; another seed another one.
  SketchOptions other;
  other.seed = 77;
  auto proj2 = SketchProjection::Create(*adapter_, other);
  auto again = SketchProjection::Create(*adapter_, {});
  auto s2 = proj2->Compute(*base_, *adapter_, {ptrs_[0]});
  auto s3 = again->Compute(*base_, *adapter_, {ptrs_[0]});
  EXPECT_LT(RelErr((*one)[0], (*s3)[0]), 1e-5);
  EXPECT_GT(RelErr((*one)[0], (*s2)[0]), 0.1);
  // A dim below 2 x the total rank gets k = 1: the sketch is 2 x 24 = 48 long.
  SketchOptions tiny;
  tiny.dim = 10;
  auto small = SketchProjection::Create(*adapter_, tiny);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->k(), 1);
  EXPECT_EQ(small->dim(), 48);
}

TEST_F(SketchTest, FileRoundTripAndCorruption) {
  TempDir dir;
  for (bool half : {false, true}) {
    SketchOptions o;
    o.dim = 128;
    o.half = half;
    const fs::path path = dir.path() / (half ? "h.bin" : "f.bin");
    int64_t last = 0;
    ASSERT_TRUE(WriteSketches(path, *base_, *adapter_, ptrs_, o, [&](int64_t d, int64_t) {
                  last = d;
                }).ok());
    EXPECT_EQ(last, 10);
    auto f = SketchFile::Open(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ((*f)->count(), 10);
    EXPECT_EQ((*f)->half(), half);
    EXPECT_EQ((*f)->description()["k"], 2);
    for (int64_t i = 0; i < 10; ++i) {
      auto k = (*f)->Key(i);
      EXPECT_EQ(k.row_id, examples_[static_cast<size_t>(i)].row_id);
      EXPECT_EQ(k.contribution, examples_[static_cast<size_t>(i)].contribution);
      EXPECT_EQ(k.contributor, examples_[static_cast<size_t>(i)].contributor);
    }
    auto proj = SketchProjection::Create(*adapter_, o);
    auto direct = proj->Compute(*base_, *adapter_, ptrs_);
    auto stored = (*f)->Matrix().to(torch::kFloat32);
    for (int64_t i = 0; i < 10; ++i) EXPECT_LT(RelErr(stored[i], (*direct)[i]), half ? 2e-3 : 1e-5);
    EXPECT_FALSE(fs::exists(path.string() + ".partial"));
  }
  // Damage: a short file, a bad magic, a count larger than the file.
  std::string bytes;
  {
    std::ifstream in(dir.path() / "f.bin", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& b) {
    std::ofstream(dir.path() / "bad.bin", std::ios::binary | std::ios::trunc) << b;
    return SketchFile::Open(dir.path() / "bad.bin");
  };
  EXPECT_EQ(write(bytes.substr(0, 60)).status().code(), Code::kCorruption);
  std::string magic = bytes;
  magic[0] = 'X';
  EXPECT_EQ(write(magic).status().code(), Code::kCorruption);
  std::string count = bytes;
  count[24 + 5] = 1;  // count += 2^40
  EXPECT_EQ(write(count).status().code(), Code::kCorruption);
  EXPECT_EQ(write(bytes.substr(0, bytes.size() - 8)).status().code(), Code::kCorruption);
  EXPECT_EQ(SketchFile::Open(dir.path() / "missing.bin").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace tributary::factory
