// Proof of Attribution end to end against a real node: planted facts contributed by four
// contributors, a LoRA adapter trained on them with sketches and registered, the span index built
// with `tributary index build --model`, then `tributary attribute` and POST /v1/attribution:
// the right contribution for each planted answer, explainable spans and rows, deterministic
// weights, an unrelated answer left mostly unattributed, and bad input with clear errors.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <map>
#include <thread>

#include "support/planted_model.h"
#include "support/test_util.h"
#include "support/tx_util.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class AttributionCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    planted_ = new PlantedModel(BuildPlantedModel(tmp_->path()));
    node_ = planted_->node.get();
    data_ = planted_->data;
    base_ = planted_->base;
    adapter_ = planted_->adapter;
    datanet_ = planted_->datanet;
    model_ = planted_->model;
    facts_ = planted_->facts;
    setup_error_ = planted_->error;
  }
  static void TearDownTestSuite() {
    delete planted_;
    delete tmp_;
  }
  static void Error(const std::string& e) { setup_error_ = e; }
  void SetUp() override {
    ASSERT_TRUE(node_ && node_->Running()) << (node_ ? node_->output() : "");
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_EQ(facts_.size(), 40u);
  }

  static CommandResult Cli(std::vector<std::string> args) { return RunCli(*node_, args); }
  static std::vector<std::string> Dirs() {
    return {"--index", (data_ / "index").string(), "--models", (data_ / "models").string()};
  }
  static void BuildIndex() {
    std::vector<std::string> args = {"index", "build", "--model", model_};
    for (auto& a : Dirs()) args.push_back(a);
    auto b = Cli(args);
    ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  }
  static json Attribute(const PlantedFact& f, const std::string& output,
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--json", "attribute", "--model", model_,      "--prompt",
                                     f.prompt, "--output",  output,    "--min-len", "3"};
    for (auto& a : Dirs()) args.push_back(a);
    for (auto& a : extra) args.push_back(a);
    auto r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(r.out, nullptr, false);
  }

  static TempDir* tmp_;
  static PlantedModel* planted_;
  static NodeProcess* node_;
  static fs::path data_, base_, adapter_;
  static uint64_t datanet_;
  static std::string model_, setup_error_;
  static std::vector<PlantedFact> facts_;
};

TempDir* AttributionCliTest::tmp_ = nullptr;
PlantedModel* AttributionCliTest::planted_ = nullptr;
NodeProcess* AttributionCliTest::node_ = nullptr;
fs::path AttributionCliTest::data_, AttributionCliTest::base_, AttributionCliTest::adapter_;
uint64_t AttributionCliTest::datanet_ = 0;
std::string AttributionCliTest::model_, AttributionCliTest::setup_error_;
std::vector<PlantedFact> AttributionCliTest::facts_;

// Before the index exists the node says so; after `index build --model` each planted answer is
// attributed to the contribution that holds it, with the span and row that show why.
TEST_F(AttributionCliTest, PlantedAnswersGoToTheirContribution) {
  const PlantedFact& f0 = facts_[0];
  json req = {{"model", model_}, {"prompt", f0.prompt}, {"output", f0.response}, {"min_len", 3}};
  auto missing = HttpPost(node_->port(), "/v1/attribution", req.dump());
  EXPECT_EQ(missing.status, 422) << missing.body;
  EXPECT_EQ(json::parse(missing.body)["error"]["code"], "index_missing") << missing.body;

  BuildIndex();
  int right = 0;
  for (size_t i : {0u, 7u, 13u, 21u, 28u, 34u, 39u}) {
    const PlantedFact& f = facts_[i];
    json r = Attribute(f, f.response);
    ASSERT_TRUE(r.is_object());
    ASSERT_FALSE(r["weights"].empty()) << r.dump();
    if (r["weights"][0]["contribution"] == f.contribution) ++right;
    EXPECT_EQ(r["weights"][0]["contributor"], f.contributor);
    // The answer is found verbatim, in the fact's own row.
    bool row_found = false;
    for (const auto& s : r["spans"]) {
      for (const auto& o : s["rows"]) row_found |= o["row_id"] == f.row_id;
    }
    EXPECT_TRUE(row_found) << r["spans"].dump();
    double total = r["unattributed"].get<double>();
    for (const auto& w : r["weights"]) total += w["weight"].get<double>();
    EXPECT_NEAR(total, 1.0, 1e-9);
    EXPECT_EQ(r["provenance"]["influence"]["method"], "trak");
    EXPECT_EQ(r["provenance"]["influence"]["sketches"], 40);
  }
  EXPECT_GE(right, 6) << "of 7 planted answers";

  // The node answers the same as the CLI, from its serving worker (no process per request).
  httplib::Client client("127.0.0.1", node_->port());
  client.set_read_timeout(120);
  auto http = client.Post("/v1/attribution", req.dump(), "application/json");
  ASSERT_TRUE(http);
  ASSERT_EQ(http->status, 200) << http->body;
  EXPECT_EQ(http->get_header_value("x-tributary-attribution"), "engine");
  json h = json::parse(http->body);
  EXPECT_EQ(h["object"], "attribution");
  EXPECT_EQ(h["model"], "tributary-model-" + model_);
  EXPECT_EQ(h["weights"], Attribute(f0, f0.response)["weights"]);
  EXPECT_EQ(h["provenance"], Attribute(f0, f0.response)["provenance"]);
  auto again = client.Post("/v1/attribution", req.dump(), "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(again->body)["weights"], h["weights"]) << "the cached attributor agrees";
}

TEST_F(AttributionCliTest, WeightsAreDeterministicAndRecordHowToRecomputeThem) {
  BuildIndex();
  const PlantedFact& f = facts_[5];
  json a = Attribute(f, f.response + " " + facts_[15].response);
  json b = Attribute(f, f.response + " " + facts_[15].response);
  EXPECT_EQ(a["weights"], b["weights"]);
  EXPECT_EQ(a["provenance"], b["provenance"]);
  const json& p = a["provenance"];
  EXPECT_EQ(p["influence"]["sketches_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(p["span"]["tokenizer"].get<std::string>().size(), 64u);
  ASSERT_EQ(p["span"]["shards"].size(), 1u);
  EXPECT_EQ(p["span"]["shards"][0]["rows"], 40);
  EXPECT_EQ(p["span"]["shards"][0]["sha256"].get<std::string>().size(), 64u);
  // Two planted answers: both contributions are paid.
  std::map<std::string, double> w;
  for (const auto& x : a["weights"]) w[x["contribution"]] = x["weight"];
  EXPECT_GT(w[f.contribution], 0.1) << a["weights"].dump();
  EXPECT_GT(w[facts_[15].contribution], 0.1) << a["weights"].dump();
  // The other method gives its own, recorded, result.
  json t = Attribute(f, f.response, {"--method", "tracin"});
  EXPECT_EQ(t["provenance"]["influence"]["method"], "tracin");
}

TEST_F(AttributionCliTest, AnUnrelatedAnswerIsMostlyUnattributed) {
  BuildIndex();
  json r = Attribute(facts_[3], "Zyx wvut srq ponm lkji hgfe dcba");
  ASSERT_TRUE(r.is_object());
  EXPECT_TRUE(r["spans"].empty()) << r["spans"].dump();
  EXPECT_GE(r["unattributed"].get<double>(), 0.5) << r.dump();
}

TEST_F(AttributionCliTest, GenerateAttributesTheModelsOwnAnswer) {
  BuildIndex();
  const PlantedFact& f = facts_[11];
  std::vector<std::string> args = {"--json",   "attribute", "--model",    model_,
                                   "--prompt", f.prompt,    "--generate", "--max-tokens",
                                   "12",       "--min-len", "3"};
  for (auto& a : Dirs()) args.push_back(a);
  auto r = Cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["generated"], true);
  EXPECT_FALSE(j["output"].get<std::string>().empty());
  EXPECT_GT(j["output_tokens"].get<int64_t>(), 0);
}

TEST_F(AttributionCliTest, BadInputGetsClearErrors) {
  BuildIndex();
  const PlantedFact& f = facts_[0];
  auto run = [&](std::vector<std::string> args) {
    for (auto& a : Dirs()) args.push_back(a);
    return Cli(args);
  };
  EXPECT_TRUE(FailsWithOneErrorLine(
      run({"attribute", "--model", model_, "--prompt", f.prompt, "--output", ""}), "empty"));
  EXPECT_TRUE(FailsWithOneErrorLine(
      run({"attribute", "--model", "99", "--prompt", f.prompt, "--output", "x"}), "99"));
  EXPECT_TRUE(FailsWithOneErrorLine(
      run({"attribute", "--model", model_, "--prompt", f.prompt, "--output", "x", "--generate"}),
      "not both"));
  EXPECT_TRUE(FailsWithOneErrorLine(run({"attribute", "--model", model_, "--prompt", f.prompt,
                                         "--output", "x", "--method", "magic"}),
                                    "magic"));
  // No model files here; an index built by another tokenizer does not count.
  auto no_files = Cli({"attribute", "--model", model_, "--prompt", f.prompt, "--output", "x",
                       "--models", (tmp_->path() / "nowhere").string()});
  EXPECT_TRUE(FailsWithOneErrorLine(no_files, "adapter_hash")) << no_files.err;
  const fs::path other = tmp_->path() / "other-tokenizer";
  ASSERT_EQ(RunTributary({"model", "init", "--out", other.string(), "--vocab", "300"}).exit_code,
            0);
  const std::string other_index = (tmp_->path() / "other-index").string();
  auto built = Cli({"index", "build", "--datanet", std::to_string(datanet_) + "@1", "--tokenizer",
                    other.string(), "--index", other_index});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  auto mismatch = Cli({"attribute", "--model", model_, "--prompt", f.prompt, "--output", "x",
                       "--index", other_index, "--models", (data_ / "models").string()});
  EXPECT_TRUE(FailsWithOneErrorLine(mismatch, "index build")) << mismatch.err;

  // The HTTP API: a JSON error body for each.
  auto post = [&](const std::string& body) {
    return HttpPost(node_->port(), "/v1/attribution", body);
  };
  auto code = [](const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  };
  auto not_json = post("{nope");
  EXPECT_EQ(not_json.status, 400);
  auto unknown = post(json{{"model", "99"}, {"prompt", "a"}, {"output", "b"}}.dump());
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(code(unknown), "unknown_model");
  auto empty = post(json{{"model", model_}, {"prompt", "a"}, {"output", ""}}.dump());
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(code(empty), "empty_output");
  auto no_output = post(json{{"model", model_}, {"prompt", "a"}}.dump());
  EXPECT_EQ(no_output.status, 400) << no_output.body;
  auto bad_method =
      post(json{{"model", model_}, {"prompt", "a"}, {"output", "b"}, {"method", "x"}}.dump());
  EXPECT_EQ(bad_method.status, 400) << bad_method.body;
  EXPECT_EQ(code(bad_method), "bad_method");
  auto bad_type = post(json{{"model", model_}, {"prompt", 5}, {"output", "b"}}.dump());
  EXPECT_EQ(bad_type.status, 400) << bad_type.body;
  auto array = post("[1,2]");
  EXPECT_EQ(array.status, 400) << array.body;
}

}  // namespace
}  // namespace tributary::testing
