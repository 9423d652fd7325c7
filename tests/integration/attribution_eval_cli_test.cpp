// `tributary attribution eval` as a user runs it: a tiny base from `tributary model init`, the
// planted protocol at small sizes, the report it writes, the trained adapter reused by a rerun
// into the same directory (and its sketches recomputed when their options change), and bad
// options refused in one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"
#include "support/test_util.h"
#include "tributary/base/file_io.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class AttributionEvalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = tmp_.path() / "base";
    auto init =
        RunTributary({"model", "init", "--out", base_.string(), "--layers", "2", "--hidden", "64",
                      "--vocab", "320", "--max-positions", "256", "--init-range", "0.2"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }

  CommandResult Eval(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "--json",     "attribution",     "eval",    "--base",   base_.string(),
        "--protocol", "planted",         "--facts", "3",        "--distractors",
        "9",          "--contributions", "4",       "--epochs", "2",
        "--out",      out_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunTributary(args);
  }

  TempDir tmp_;
  fs::path base_, out_ = tmp_.path() / "eval";
};

TEST_F(AttributionEvalCliTest, ARerunReusesTheTrainedAdapterAndRedoesOnlyWhatChanged) {
  auto first = Eval({});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json r1 = json::parse(first.out);
  const json& p1 = r1.at("planted");
  EXPECT_EQ(p1.at("facts"), 3);
  EXPECT_EQ(p1.at("rows"), 12);
  EXPECT_FALSE(p1.at("training_reused").get<bool>());
  EXPECT_GT(p1.at("sketch_seconds").get<double>(), 0);
  EXPECT_TRUE(p1.at("methods").contains("trak") && p1.at("methods").contains("tracin")) << p1;
  EXPECT_TRUE(fs::exists(out_ / "eval.json"));
  EXPECT_TRUE(fs::exists(out_ / "planted" / "adapter" / "eval-training.json"));
  auto modified = fs::last_write_time(out_ / "planted" / "adapter" / "adapter_model.safetensors");

  // The same options: the adapter and its sketches are reused, the results are the same.
  auto second = Eval({});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const json p2 = json::parse(second.out).at("planted");
  EXPECT_TRUE(p2.at("training_reused").get<bool>());
  EXPECT_EQ(p2.at("sketch_seconds").get<double>(), 0);
  EXPECT_EQ(p2.at("train_seconds"), p1.at("train_seconds"));
  EXPECT_EQ(p2.at("methods"), p1.at("methods"));
  EXPECT_EQ(p2.at("span"), p1.at("span"));
  EXPECT_EQ(fs::last_write_time(out_ / "planted" / "adapter" / "adapter_model.safetensors"),
            modified);

  // Other sketch options: the adapter is reused, the sketches are made again (now with a
  // base-checkpoint segment: 2 layers x 4 modules x 2 x 2 values).
  auto third = Eval({"--sketch-base-dim", "32"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  const json p3 = json::parse(third.out).at("planted");
  EXPECT_TRUE(p3.at("training_reused").get<bool>());
  EXPECT_GT(p3.at("sketch_seconds").get<double>(), 0);
  auto bytes = ReadFile(out_ / "planted" / "adapter" / "sketches.bin");
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(bytes->find(R"("base_checkpoint":{"dim":32)"), std::string::npos);

  // Other training options: trained again.
  auto fourth = Eval({"--lr", "0.02"});
  ASSERT_EQ(fourth.exit_code, 0) << fourth.err;
  EXPECT_FALSE(json::parse(fourth.out).at("planted").at("training_reused").get<bool>());
}

TEST_F(AttributionEvalCliTest, BadOptionsGetOneLineAndANonZeroExit) {
  for (const auto& extra : std::vector<std::vector<std::string>>{{"--sketch-base-dim", "-1"},
                                                                 {"--sketch-dim", "4"},
                                                                 {"--lr", "0"},
                                                                 {"--trak-floor", "0.95"}}) {
    auto r = Eval(extra);
    EXPECT_NE(r.exit_code, 0) << extra[0];
    EXPECT_NE(r.err.find("bad_option"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  auto missing = RunTributary({"attribution", "eval", "--base", (tmp_.path() / "none").string(),
                               "--protocol", "planted", "--out", out_.string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
}

}  // namespace
}  // namespace tributary::testing
