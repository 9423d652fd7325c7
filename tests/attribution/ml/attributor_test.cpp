// The Attributor on a real (tiny) model, adapter, sketch file and shard: the query is built and
// sketched exactly as training examples were (a training row asked again lines up with its own
// sketch), spans point at the row, weights are exact and deterministic, and bad input is refused.
#include "tributary/attribution/attributor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "tributary/attribution/index_catalog.h"
#include "tributary/attribution/shard_builder.h"
#include "tributary/factory/data.h"
#include "tributary/factory/sketch.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"

namespace tributary::attribution {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using tributary::testing::TempDir;

std::string Hex(int v) {
  std::string s(64, '0');
  std::string d = std::to_string(v);
  return s.replace(64 - d.size(), d.size(), d);
}

const char* kFacts[][2] = {
    {"Capital of Velmarkora?", "Tesbu."}, {"Capital of Zorbialan?", "Quelmir."},
    {"Capital of Drailmar?", "Kestrel."}, {"Capital of Palvesan?", "Ulkaru."},
    {"Capital of Mirrowtes?", "Sabuly."}, {"Capital of Vondrail?", "Marlin."},
    {"Capital of Telulka?", "Rupalve."},  {"Capital of Sanbialy?", "Zortes."},
};

class AttributorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = dir_.path() / "base";
    adapter_dir_ = dir_.path() / "adapter";
    model::ModelConfig c = tributary::testing::TinyModelConfig(300);
    auto base = model::LlamaModel::Random(c, 5);
    ASSERT_TRUE(base->Save(base_).ok());
    ASSERT_TRUE(model::WriteByteLevelTokenizer(base_, 300).ok());
    auto tok = model::Tokenizer::FromDirectory(base_);
    ASSERT_TRUE(tok.ok());

    // Eight prompt/response rows in four contributions of two contributors.
    for (int i = 0; i < 8; ++i) {
      rows_.push_back({Hex(100 + i), Hex(200 + i / 2), "trbcontributor" + std::to_string(i / 4),
                       json{{"prompt", kFacts[i][0]}, {"response", kFacts[i][1]}}});
    }
    factory::ExampleOptions eo;
    eo.heldout_bps = 0;
    auto set = factory::BuildExamples(rows_, factory::ExampleFormat::kPromptResponse, *tok, eo);
    ASSERT_TRUE(set.ok());
    examples_ = std::move(set->examples);

    model::LoraConfig lc;
    lc.r = 4;
    lc.target_modules = {"q_proj", "v_proj"};
    // Random factors (not PEFT's zero B), so every gradient is nonzero.
    auto adapter = model::LoraAdapter::Random(*base, lc, 9);
    ASSERT_TRUE(adapter.Save(adapter_dir_).ok());
    std::vector<const factory::Example*> ptrs;
    for (const auto& e : examples_) ptrs.push_back(&e);
    factory::SketchOptions so;
    so.dim = 256;
    ASSERT_TRUE(
        factory::WriteSketches(adapter_dir_ / "sketches.bin", *base, adapter, ptrs, so).ok());

    // The span index of the rows, as `index build` tokenizes them.
    auto id = TokenizerIdOfFile(base_ / "tokenizer.json");
    ASSERT_TRUE(id.ok());
    ShardOptions sh;
    sh.info.tokenizer = *id;
    sh.info.sources = {{1, 1, 0, rows_.size()}};
    std::vector<IndexRow> index_rows;
    for (const auto& r : rows_) {
      IndexRow ir{r.row_id, r.contribution, r.contributor, {}};
      for (const char* f : {"prompt", "response"}) {
        for (int32_t t : tok->Encode(r.row[f].get<std::string>(), false)) {
          ir.tokens.push_back(static_cast<uint32_t>(t));
        }
      }
      index_rows.push_back(std::move(ir));
    }
    shard_ = dir_.path() / "d1-v1.span";
    ASSERT_TRUE(BuildShard(index_rows, shard_, sh).ok());
  }

  AttributorConfig Config() const {
    AttributorConfig cfg;
    cfg.base_dir = base_;
    cfg.adapter_dir = adapter_dir_;
    cfg.shards = {shard_};
    cfg.prompt_response = true;
    cfg.trace.min_len = 3;
    return cfg;
  }

  TempDir dir_;
  fs::path base_, adapter_dir_, shard_;
  std::vector<factory::DataRow> rows_;
  std::vector<factory::Example> examples_;
};

TEST_F(AttributorTest, ATrainingRowAskedAgainMatchesItsOwnSketchAndRow) {
  auto a = Attributor::Open(Config());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  for (int i : {0, 3, 6}) {
    auto r = (*a)->Attribute(kFacts[i][0], kFacts[i][1]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // The query example is the training example: cosine 1 with its own sketch, which ranks first.
    ASSERT_FALSE(r->influence.top.empty());
    EXPECT_EQ(r->influence.top[0].row_id, rows_[i].row_id);
    EXPECT_NEAR(r->influence.max_cosine, 1.0, 1e-3);
    // The answer is found verbatim in that row.
    bool found = false;
    for (const auto& s : r->spans) {
      for (const auto& o : s.span.occurrences) found |= o.row_id == rows_[i].row_id;
      EXPECT_EQ(r->output.substr(s.byte_begin, s.byte_end - s.byte_begin), s.text);
    }
    EXPECT_TRUE(found);
    ASSERT_FALSE(r->combined.weights.empty());
    EXPECT_EQ(r->combined.weights[0].contribution, rows_[i].contribution);
    uint64_t parts = r->combined.unattributed_parts;
    for (const auto& w : r->combined.weights) parts += w.parts;
    EXPECT_EQ(parts, 1'000'000u);
  }
}

// Sketches with a base-checkpoint segment (factory/sketch.h): the Attributor reads its length
// from the file and computes the query's sketch with both segments, so a training row asked
// again still lines up with itself exactly; a file that describes the segment badly is refused.
TEST_F(AttributorTest, SketchesWithABaseCheckpointSegmentAreScoredWhole) {
  auto base = model::LlamaModel::Load(base_);
  ASSERT_TRUE(base.ok());
  auto adapter = model::LoraAdapter::Load(adapter_dir_, **base);
  ASSERT_TRUE(adapter.ok());
  std::vector<const factory::Example*> ptrs;
  for (const auto& e : examples_) ptrs.push_back(&e);
  factory::SketchOptions so;
  so.dim = 256;
  so.base_dim = 64;  // 2 layers x 2 modules: kb = 4
  const fs::path sketches = adapter_dir_ / "sketches.bin";
  ASSERT_TRUE(factory::WriteSketches(sketches, **base, *adapter, ptrs, so).ok());
  auto a = Attributor::Open(Config());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  for (int i : {1, 5}) {
    auto r = (*a)->Attribute(kFacts[i][0], kFacts[i][1]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->influence.top.empty());
    EXPECT_EQ(r->influence.top[0].row_id, rows_[i].row_id);
    EXPECT_NEAR(r->influence.max_cosine, 1.0, 1e-3);
    // The floors calibrated for sketches with a base segment, recorded with the result.
    EXPECT_EQ(r->provenance["combine"]["cosine_floor"], 0.15) << r->provenance.dump();
  }
  a->reset();
  // Asked to keep its floors, the Attributor does.
  AttributorConfig keep = Config();
  keep.calibrated_floors = false;
  keep.combine.cosine_floor = 0.3;
  auto kept = Attributor::Open(keep);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  auto r = (*kept)->Attribute(kFacts[2][0], kFacts[2][1]);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->provenance["combine"]["cosine_floor"], 0.3);
  kept->reset();

  std::string bytes;
  {
    std::ifstream in(sketches, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = bytes.find(R"("base_checkpoint":{"dim":64)");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at + 26, 2, "-4");
  std::ofstream(sketches, std::ios::binary | std::ios::trunc) << bytes;
  auto bad = Attributor::Open(Config());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().reason(), "bad_sketches");
}

TEST_F(AttributorTest, ResultsAreDeterministicAndCarryProvenance) {
  auto a = Attributor::Open(Config());
  ASSERT_TRUE(a.ok());
  auto r1 = (*a)->Attribute("Capital of Drailmar?", "Kestrel. Tesbu.");
  auto b = Attributor::Open(Config());  // a fresh load, with the cached influence file
  ASSERT_TRUE(b.ok());
  auto r2 = (*b)->Attribute("Capital of Drailmar?", "Kestrel. Tesbu.");
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->ToJson(), r2->ToJson());
  const json p = r1->ToJson()["provenance"];
  EXPECT_EQ(p["influence"]["sketches"], 8);
  EXPECT_EQ(p["influence"]["sketches_sha256"], (*a)->influence().sketches_sha256());
  EXPECT_EQ(p["span"]["tokenizer"], (*a)->tokenizer_id());
  EXPECT_EQ(p["query"]["format"], "prompt_response");
}

TEST_F(AttributorTest, AShortAnswerIsTracedWhole) {
  // "Tesbu." is 6 byte-level tokens, under the usual min_len of 8: the rule lowers it to half the
  // output (3), so the answer found verbatim in its row is span evidence.
  AttributorConfig cfg = Config();
  cfg.trace.min_len = 8;
  auto a = Attributor::Open(cfg);
  ASSERT_TRUE(a.ok());
  auto r = (*a)->Attribute("Which capital is it?", kFacts[0][1]);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->spans.empty());
  EXPECT_EQ(r->spans[0].text, "Tesbu.");
  EXPECT_EQ(r->spans[0].span.occurrences.at(0).row_id, rows_[0].row_id);
  const json span = r->ToJson()["provenance"]["span"];
  EXPECT_EQ(span["min_len"], 3);
  EXPECT_EQ(span["min_len_rule"], 8);
  // A per-call rule is applied the same way.
  TraceOptions strict;
  strict.min_len = 2;
  auto s = (*a)->Attribute("Which capital is it?", kFacts[0][1], strict);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ToJson()["provenance"]["span"]["min_len"], 2);
}

TEST_F(AttributorTest, RefusesWhatItCannotAttribute) {
  auto a = Attributor::Open(Config());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->Attribute("Capital of Drailmar?", "").status().reason(), "empty_output");

  AttributorConfig no_index = Config();
  no_index.shards.clear();
  EXPECT_EQ(Attributor::Open(no_index).status().reason(), "index_missing");

  // A shard built with another tokenizer.
  ShardOptions other;
  other.info.tokenizer = std::string(64, 'f');
  const fs::path foreign = dir_.path() / "foreign.span";
  ASSERT_TRUE(BuildShard({{Hex(1), Hex(2), "trbx", {1, 2, 3}}}, foreign, other).ok());
  AttributorConfig mismatch = Config();
  mismatch.shards = {foreign};
  EXPECT_EQ(Attributor::Open(mismatch).status().reason(), "tokenizer_mismatch");

  fs::remove(adapter_dir_ / "sketches.bin");
  EXPECT_EQ(Attributor::Open(Config()).status().reason(), "no_sketches");
}

}  // namespace
}  // namespace tributary::attribution
