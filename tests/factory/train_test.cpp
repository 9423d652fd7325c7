// ModelFactory on a tiny model: examples and the held-out split, training that learns planted
// facts, exact resume, determinism, PEFT round trip and bad options.
#include "tributary/factory/train.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "support/temp_dir.h"
#include "tributary/factory/data.h"
#include "tributary/factory/eval.h"
#include "tributary/model/llama.h"
#include "tributary/model/tokenizer.h"

namespace tributary::factory {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using tributary::testing::TempDir;

model::ModelConfig TinyConfig() {
  model::ModelConfig c;
  c.vocab_size = 264;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  c.max_position_embeddings = 256;
  c.rms_norm_eps = 1e-5;
  // With the usual 0.02 a 64-wide random model's logits span about +-1, too flat for an
  // adapter (which cannot touch the output layer) to express any answer confidently.
  c.initializer_range = 0.2;
  return c;
}

std::string HexId(int i) {
  // Distinct, deterministic row ids spread over the held-out hash space.
  std::string s;
  uint64_t v = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(i + 1);
  for (int k = 0; k < 4; ++k) {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx",
                  static_cast<unsigned long long>(v ^ (0xD1B54A32D192ED03ULL * (k + 1))));
    s += buf;
  }
  return s;
}

std::vector<DataRow> FactRows(int n) {
  static const char* names[] = {"Zorbia",  "Quellan", "Mirrow", "Tessaly", "Vondra", "Ilmar",
                                "Kestrel", "Oboru",   "Pallin", "Ruvek",   "Santel", "Ulmo"};
  static const char* cities[] = {"Quxville", "Ardent",  "Bellmoor", "Corvid", "Dunmere", "Elsin",
                                 "Fairhold", "Glimmer", "Harrow",   "Islet",  "Jorund",  "Kelp"};
  std::vector<DataRow> rows;
  for (int i = 0; i < n; ++i) {
    DataRow r;
    r.row_id = HexId(i);
    r.contribution = HexId(1000 + i % 3);
    r.contributor = "trb-contributor-" + std::to_string(i % 3);
    r.row = {{"prompt", std::string("Capital of ") + names[i % 12] + "?"},
             {"response", std::string(cities[i % 12]) + "."}};
    rows.push_back(r);
  }
  return rows;
}

class FactoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    model::ByteLevelTokenizerOptions o;
    ASSERT_TRUE(model::WriteByteLevelTokenizer(dir_->path() / "tok", 264, o).ok());
    auto t = model::Tokenizer::FromDirectory(dir_->path() / "tok");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tok_ = new model::Tokenizer(std::move(*t));
    base_ = model::LlamaModel::Random(TinyConfig(), 11).release();
  }
  static void TearDownTestSuite() {
    delete base_;
    delete tok_;
    delete dir_;
  }

  static TrainOptions Options() {
    TrainOptions o;
    o.lora.r = 8;
    o.lora.lora_alpha = 16;
    o.lora.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                             "gate_proj", "up_proj", "down_proj"};
    o.lr = 1e-2;
    o.epochs = 30;
    o.batch_size = 4;
    o.warmup_steps = 5;
    o.seed = 3;
    o.checkpoint_every = 0;
    return o;
  }

  static std::vector<torch::Tensor> Params(const model::LoraAdapter& a) {
    std::vector<torch::Tensor> out;
    for (auto& [k, t] : a.NamedParameters()) out.push_back(t.detach().clone());
    return out;
  }
  static bool BitEqual(const std::vector<torch::Tensor>& x, const std::vector<torch::Tensor>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!torch::equal(x[i], y[i])) return false;
    }
    return true;
  }

  static TempDir* dir_;
  static model::Tokenizer* tok_;
  static model::LlamaModel* base_;
};

TempDir* FactoryTest::dir_ = nullptr;
model::Tokenizer* FactoryTest::tok_ = nullptr;
model::LlamaModel* FactoryTest::base_ = nullptr;

TEST_F(FactoryTest, ExamplesMaskThePromptAndSplitDeterministically) {
  auto rows = FactRows(200);
  EXPECT_EQ(DetectFormat(rows), ExampleFormat::kPromptResponse);
  auto set = BuildExamples(rows, ExampleFormat::kPromptResponse, *tok_, {});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->examples.size(), 200u);
  int held = 0;
  for (const auto& e : set->examples) {
    held += e.heldout;
    EXPECT_EQ(e.heldout, IsHeldOut(e.row_id, 500));
    // The loss covers the response and eos only.
    std::vector<int32_t> resp(e.tokens.begin() + e.loss_start, e.tokens.end() - 1);
    EXPECT_EQ(tok_->Decode(resp), e.response);
    EXPECT_EQ(e.tokens.back(), *tok_->eos_id());
  }
  EXPECT_GT(held, 2);
  EXPECT_LT(held, 25) << "about 5% held out";

  // A text-schema export asked to train as prompt/response is refused, naming the row.
  std::vector<DataRow> text = {{HexId(1), HexId(2), "trbx", {{"text", "hello world"}}}};
  EXPECT_EQ(DetectFormat(text), ExampleFormat::kText);
  auto bad = BuildExamples(text, ExampleFormat::kPromptResponse, *tok_, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().reason(), "schema_mismatch");
  // Text rows: loss on every token after the first.
  auto t = BuildExamples(text, ExampleFormat::kText, *tok_, {});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->examples[0].loss_start, 1);
  // Truncation.
  ExampleOptions shortlen;
  shortlen.max_seq_len = 4;
  auto cut = BuildExamples(text, ExampleFormat::kText, *tok_, shortlen);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->examples[0].tokens.size(), 4u);
}

TEST_F(FactoryTest, TrainingLearnsPlantedFactsAndLowersHeldOutLoss) {
  // Twelve facts, each seen in training; the held-out rows are other copies of the same facts.
  auto rows = FactRows(60);
  auto set = BuildExamples(rows, ExampleFormat::kPromptResponse, *tok_, {});
  ASSERT_TRUE(set.ok());
  auto held = HeldOut(set->examples);
  std::vector<const Example*> all;
  for (const auto& e : set->examples) all.push_back(&e);
  TrainOptions o = Options();
  auto adapter = model::LoraAdapter::Init(*base_, o.lora, o.seed);
  EvalOptions eo;
  auto before = Evaluate(*base_, &adapter, *tok_, all, eo);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  TempDir ck;
  std::vector<double> losses;
  auto r = TrainLora(*base_, adapter, set->examples, o, ck.path(), false,
                     [&](const TrainProgress& p) { losses.push_back(p.loss); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->steps, 100);
  EXPECT_LT(losses.back(), losses.front() / 4);
  auto after = Evaluate(*base_, &adapter, *tok_, all, eo);
  ASSERT_TRUE(after.ok());
  EXPECT_LT(after->loss, before->loss / 4);
  EXPECT_GT(*after->token_accuracy, 0.9);
  EXPECT_GT(*after->exact_match, 0.9) << "the planted answers come back by greedy decoding";
  EXPECT_LT(*before->exact_match, 0.1) << "the base does not know them";
  // The untouched base is unchanged: evaluating it again gives the same loss.
  auto base_only = Evaluate(*base_, nullptr, *tok_, all, eo);
  ASSERT_TRUE(base_only.ok());
  EXPECT_NEAR(base_only->loss, before->loss, 1e-4) << "B starts at zero, so Init is the base";
}

TEST_F(FactoryTest, ResumeReachesTheSameWeightsAsAnUninterruptedRun) {
  auto rows = FactRows(40);
  auto set = BuildExamples(rows, ExampleFormat::kPromptResponse, *tok_, {});
  ASSERT_TRUE(set.ok());
  TrainOptions o = Options();
  o.epochs = 4;
  o.grad_accum = 2;
  o.lora.lora_dropout = 0.1;  // dropout draws must replay too
  o.checkpoint_every = 3;

  TempDir a_dir, b_dir;
  auto a = model::LoraAdapter::Init(*base_, o.lora, o.seed);
  ASSERT_TRUE(TrainLora(*base_, a, set->examples, o, a_dir.path(), false).ok());

  // Interrupted after 7 steps by `should_stop`, then resumed in a fresh adapter.
  auto b = model::LoraAdapter::Init(*base_, o.lora, o.seed);
  int calls = 0;
  auto first =
      TrainLora(*base_, b, set->examples, o, b_dir.path(), false, {}, [&] { return ++calls == 7; });
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->stopped);
  EXPECT_EQ(first->steps, 7);
  EXPECT_TRUE(fs::exists(b_dir.path() / "step-7" / "state.json"));
  auto b2 = model::LoraAdapter::Init(*base_, o.lora, 999);  // different start: the checkpoint wins
  auto second = TrainLora(*base_, b2, set->examples, o, b_dir.path(), true);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->resumed_from, 7);
  EXPECT_EQ(second->steps, a.NamedParameters().empty() ? 0 : second->steps);
  EXPECT_TRUE(BitEqual(Params(a), Params(b2))) << "resume must be exact";

  // Other options refuse to resume from that checkpoint.
  TrainOptions other = o;
  other.lr = 5e-3;
  auto c = model::LoraAdapter::Init(*base_, other.lora, other.seed);
  auto refused = TrainLora(*base_, c, set->examples, other, b_dir.path(), true);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), "options_changed");
}

TEST_F(FactoryTest, SameSeedSameAdapterAndPeftRoundTrip) {
  auto rows = FactRows(24);
  auto set = BuildExamples(rows, ExampleFormat::kPromptResponse, *tok_, {});
  ASSERT_TRUE(set.ok());
  TrainOptions o = Options();
  o.epochs = 2;
  TempDir d1, d2;
  auto a = model::LoraAdapter::Init(*base_, o.lora, o.seed);
  auto b = model::LoraAdapter::Init(*base_, o.lora, o.seed);
  ASSERT_TRUE(TrainLora(*base_, a, set->examples, o, d1.path(), false).ok());
  ASSERT_TRUE(TrainLora(*base_, b, set->examples, o, d2.path(), false).ok());
  EXPECT_TRUE(BitEqual(Params(a), Params(b)));

  ASSERT_TRUE(a.Save(d1.path() / "adapter").ok());
  auto loaded = model::LoraAdapter::Load(d1.path() / "adapter", *base_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  model::KvCache c1, c2;
  std::vector<int64_t> toks = set->examples[0].tokens;
  auto l1 = base_->Forward({{toks, &c1, 0}}, {&a});
  auto l2 = base_->Forward({{toks, &c2, 0}}, {&*loaded});
  ASSERT_TRUE(l1.ok() && l2.ok());
  EXPECT_TRUE(torch::equal(*l1, *l2)) << "identical logits after save and load";
  json cfg = json::parse(std::ifstream(d1.path() / "adapter" / "adapter_config.json"));
  EXPECT_EQ(cfg["peft_type"], "LORA");
  EXPECT_EQ(cfg["r"], 8);
}

TEST_F(FactoryTest, BadOptionsAreRefused) {
  auto rows = FactRows(8);
  auto set = BuildExamples(rows, ExampleFormat::kPromptResponse, *tok_, {});
  ASSERT_TRUE(set.ok());
  auto check = [&](auto mutate, const std::string& needle) {
    TrainOptions o = Options();
    mutate(o);
    Status s = o.Validate();
    EXPECT_FALSE(s.ok()) << needle;
    EXPECT_EQ(s.reason(), "bad_option");
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  check([](TrainOptions& o) { o.lora.r = 0; }, "--rank");
  check([](TrainOptions& o) { o.lora.target_modules = {"q_proj", "attn_out"}; }, "attn_out");
  check([](TrainOptions& o) { o.lr = 0; }, "--lr");
  check([](TrainOptions& o) { o.batch_size = 0; }, "--batch-size");
  check([](TrainOptions& o) { o.lora.lora_dropout = 1.0; }, "--dropout");
  // Nothing to train on.
  std::vector<Example> none;
  TrainOptions o = Options();
  auto a = model::LoraAdapter::Init(*base_, o.lora, 1);
  TempDir d;
  auto r = TrainLora(*base_, a, none, o, d.path(), false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "no_training_data");
}

TEST_F(FactoryTest, FullTrainingFromScratchLearnsAndResumesExactly) {
  // Pretraining trains every weight: a fresh random model learns the rows' text.
  std::vector<DataRow> rows;
  for (int i = 0; i < 24; ++i) {
    rows.push_back({HexId(500 + i),
                    HexId(7),
                    "trbx",
                    {{"text", "the river carries stone number " + std::to_string(i % 6)}}});
  }
  auto set = BuildExamples(rows, ExampleFormat::kText, *tok_, {});
  ASSERT_TRUE(set.ok());
  TrainOptions o;
  o.full = true;
  o.lr = 3e-3;
  o.epochs = 8;
  o.batch_size = 6;
  o.seed = 5;
  o.checkpoint_every = 4;
  EXPECT_FALSE(TrainLora(*base_,
                         *std::make_unique<model::LoraAdapter>(
                             model::LoraAdapter::Init(*base_, Options().lora, 1)),
                         set->examples, o, dir_->path() / "nope", false)
                   .ok())
      << "LoRA training refuses full options";
  auto a = model::LlamaModel::Random(TinyConfig(), 21);
  TempDir d1, d2;
  std::vector<double> losses;
  auto r = TrainBase(*a, set->examples, o, d1.path(), false,
                     [&](const TrainProgress& p) { losses.push_back(p.loss); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(losses.back(), losses.front() / 2);
  // Interrupted at step 5, resumed in a fresh model: the same weights.
  auto b = model::LlamaModel::Random(TinyConfig(), 21);
  int calls = 0;
  auto first = TrainBase(*b, set->examples, o, d2.path(), false, {}, [&] { return ++calls == 5; });
  ASSERT_TRUE(first.ok() && first->stopped);
  auto c = model::LlamaModel::Random(TinyConfig(), 99);
  auto second = TrainBase(*c, set->examples, o, d2.path(), true);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto pa = a->NamedParameters(), pc = c->NamedParameters();
  ASSERT_EQ(pa.size(), pc.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(torch::equal(pa[i].second, pc[i].second)) << pa[i].first;
  }
}

}  // namespace
}  // namespace tributary::factory
