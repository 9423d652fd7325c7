// `tributary factory train|eval` against a real node: Datanets built and published with the
// CLI (planted prompt/response facts, and real text from Debian's fortunes), a tiny random base
// from `tributary model init`, then training as a subprocess: PEFT files, metrics and lineage
// that match the node and the files, --json progress events, evaluation with and without the
// adapter, SIGINT with a checkpoint and an exact --resume, and bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/facts.h"
#include "support/fortunes.h"
#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/base/bytes.h"
#include "tributary/base/file_hash.h"
#include "tributary/base/hash.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path& kFortunes = kFortunesDir;

std::vector<std::string> Fortunes(const std::string& name) { return ReadFortunes(name, true); }

// 40 planted facts about made-up places: "Capital of Velmarkora?" -> "Tesbu.".
std::string FactsJsonl() {
  std::string out;
  for (const auto& [prompt, response] : PlantedCapitals(40)) {
    out += json{{"prompt", prompt}, {"response", response}}.dump() + "\n";
  }
  return out;
}

double Loss(const json& metrics, const char* who) {
  return metrics.at(who).at("loss").get<double>();
}

class FactoryCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    node_ = new NodeProcess(tmp_->path() / "data", tmp_->path() / "home");
    if (!node_->Start()) return;
    base_ = tmp_->path() / "base";
    auto init =
        RunTributary({"model", "init", "--out", base_.string(), "--layers", "2", "--hidden", "64",
                      "--vocab", "320", "--max-positions", "256", "--init-range", "0.2"});
    if (init.exit_code != 0) {
      setup_error_ = "model init: " + init.err;
      return;
    }
    facts_ =
        CreateAndPublish("Capitals", {"--schema", "prompt,response"}, "facts.jsonl", FactsJsonl());
    std::string text;
    auto fortunes = Fortunes("linux");
    for (size_t i = 0; i < 60 && i < fortunes.size(); ++i) text += fortunes[i] + "\n";
    text_ = CreateAndPublish("Linux quotes", {}, "linux.txt", text);
  }
  static void TearDownTestSuite() {
    delete node_;
    delete tmp_;
    node_ = nullptr;
    tmp_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(node_ && node_->Running()) << (node_ ? node_->output() : "");
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_GT(facts_, 0u);
    ASSERT_GT(text_, 0u);
  }

  static CommandResult Cli(std::vector<std::string> args) { return RunCli(*node_, args); }
  static uint64_t CreateAndPublish(const std::string& name, std::vector<std::string> extra,
                                   const std::string& file, const std::string& content) {
    return CreatePublishedDatanet(*node_, tmp_->path(), name, extra, {{"", file, content}},
                                  &setup_error_);
  }
  static std::string Facts(int version = 1) {
    return std::to_string(facts_) + "@" + std::to_string(version);
  }
  static std::string Text() { return std::to_string(text_) + "@1"; }
  static std::string Out(const std::string& name) { return (tmp_->path() / name).string(); }
  // `factory train` on the planted facts with small, fast settings (plus `extra`).
  static std::vector<std::string> TrainArgs(const std::string& out,
                                            std::vector<std::string> extra = {}) {
    return With({"factory", "train", "--base", base_.string(), "--data", Facts(), "--out", out,
                 "--lr", "1e-2", "--batch-size", "4", "--seed", "3", "--heldout", "0.2"},
                extra);
  }
  // `args` with the options in `extra`: a value replaces the one `args` already has (the parser
  // refuses an option given twice), other options and flags are appended.
  static std::vector<std::string> With(std::vector<std::string> args,
                                       const std::vector<std::string>& extra) {
    for (size_t i = 0; i < extra.size(); ++i) {
      const bool has_value = i + 1 < extra.size() && extra[i + 1].rfind("--", 0) != 0;
      auto it = std::find(args.begin(), args.end(), extra[i]);
      if (has_value && it != args.end() && it + 1 != args.end()) {
        *(it + 1) = extra[++i];
      } else {
        args.push_back(extra[i]);
        if (has_value) args.push_back(extra[++i]);
      }
    }
    return args;
  }
  static json ReadJson(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in, nullptr, false);
  }

  static TempDir* tmp_;
  static NodeProcess* node_;
  static fs::path base_;
  static uint64_t facts_, text_;
  static std::string setup_error_;
};

TempDir* FactoryCliTest::tmp_ = nullptr;
NodeProcess* FactoryCliTest::node_ = nullptr;
fs::path FactoryCliTest::base_;
uint64_t FactoryCliTest::facts_ = 0;
uint64_t FactoryCliTest::text_ = 0;
std::string FactoryCliTest::setup_error_;

TEST_F(FactoryCliTest, TrainWritesPeftFilesMetricsAndLineage) {
  const std::string out = Out("adapter");
  std::vector<std::string> args = TrainArgs(out, {"--epochs", "10", "--checkpoint-every", "0"});
  args.insert(args.begin(), "--json");
  auto r = Cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  // --json: one JSON event per line, steps 1..N, then {"event":"done"}.
  auto lines = Lines(r.out);
  ASSERT_GE(lines.size(), 2u) << r.out;
  int64_t expect_step = 1;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    json e = json::parse(lines[i], nullptr, false);
    ASSERT_FALSE(e.is_discarded()) << "not JSON: " << lines[i];
    ASSERT_EQ(e.value("event", ""), "step") << lines[i];
    EXPECT_EQ(e["step"].get<int64_t>(), expect_step++);
    EXPECT_TRUE(e["loss"].is_number() && e["tokens_per_s"].is_number()) << lines[i];
  }
  json done = json::parse(lines.back(), nullptr, false);
  ASSERT_FALSE(done.is_discarded()) << lines.back();
  EXPECT_EQ(done.value("event", ""), "done");
  EXPECT_EQ(done["metrics"]["steps"].get<int64_t>(), expect_step - 1);

  for (const char* f :
       {"adapter_config.json", "adapter_model.safetensors", "metrics.json", "training.json"}) {
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  }
  EXPECT_FALSE(fs::exists(fs::path(out) / ".adapter.tmp"));
  json cfg = ReadJson(fs::path(out) / "adapter_config.json");
  EXPECT_EQ(cfg.value("peft_type", ""), "LORA");
  EXPECT_EQ(cfg.value("r", 0), 8);
  std::set<std::string> targets(cfg["target_modules"].begin(), cfg["target_modules"].end());
  EXPECT_EQ(targets, (std::set<std::string>{"q_proj", "k_proj", "v_proj", "o_proj"}));

  json metrics = ReadJson(fs::path(out) / "metrics.json");
  ASSERT_TRUE(metrics.contains("adapter") && metrics.contains("base")) << metrics.dump();
  EXPECT_GT(metrics["heldout_rows"].get<int64_t>(), 0);
  EXPECT_EQ(metrics["heldout_rows"].get<int64_t>() + metrics["train_rows"].get<int64_t>(), 40);
  EXPECT_LT(Loss(metrics, "adapter"), Loss(metrics, "base")) << metrics.dump();
  EXPECT_EQ(metrics, done["metrics"]);

  // Lineage: the version's root as the node reports it, hashes of the files as they are.
  json lineage = ReadJson(fs::path(out) / "training.json");
  EXPECT_EQ(lineage.value("format", ""), "tributary/lineage/v1");
  json v1 = HttpGet(node_->port(), "/v1/datanets/" + std::to_string(facts_) + "/versions/1").json();
  ASSERT_TRUE(v1.contains("root")) << v1.dump();
  ASSERT_EQ(lineage["data"].size(), 1u) << lineage.dump();
  EXPECT_EQ(lineage["data"][0]["datanet"].get<uint64_t>(), facts_);
  EXPECT_EQ(lineage["data"][0]["version"].get<uint32_t>(), 1u);
  EXPECT_EQ(lineage["data"][0]["root"], v1["root"]);
  EXPECT_EQ(lineage["data"][0]["rows"], v1["rows"]);
  auto adapter_hash = HashModelFiles(out, ModelFiles::kAdapter);
  ASSERT_TRUE(adapter_hash.ok()) << adapter_hash.status().ToString();
  EXPECT_EQ(lineage.value("adapter_hash", ""), ToHex(*adapter_hash));
  auto base_hash = HashModelFiles(base_, ModelFiles::kBase);
  ASSERT_TRUE(base_hash.ok());
  EXPECT_EQ(lineage["base"].value("hash", ""), ToHex(*base_hash));
  EXPECT_EQ(lineage.value("config_hash", ""), ToHex(Sha256(AsBytes(lineage["config"].dump()))));
  EXPECT_EQ(lineage["config"]["lora"]["r"], 8);
  EXPECT_EQ(lineage["config"]["seed"], 3);
  EXPECT_EQ(lineage["metrics"], metrics);
  // Attribution sketches (default --sketch-dim): one per training row.
  EXPECT_TRUE(fs::exists(fs::path(out) / "sketches.bin"));
  EXPECT_EQ(lineage["sketches"].value("count", int64_t{-1}), metrics["train_rows"].get<int64_t>())
      << lineage["sketches"].dump();

  // `factory eval` on the same held-out rows gives the losses training recorded.
  auto eb = Cli({"--json", "factory", "eval", "--base", base_.string(), "--data", Facts(),
                 "--heldout", "0.2"});
  ASSERT_EQ(eb.exit_code, 0) << eb.err;
  auto ea = Cli({"--json", "factory", "eval", "--base", base_.string(), "--adapter", out, "--data",
                 Facts(), "--heldout", "0.2"});
  ASSERT_EQ(ea.exit_code, 0) << ea.err;
  json mb = json::parse(eb.out), ma = json::parse(ea.out);
  EXPECT_NEAR(mb["loss"].get<double>(), Loss(metrics, "base"), 1e-9);
  EXPECT_NEAR(ma["loss"].get<double>(), Loss(metrics, "adapter"), 1e-9);
  EXPECT_EQ(ma["examples"], metrics["heldout_rows"]);
  EXPECT_TRUE(ma["token_accuracy"].is_number() && ma["exact_match"].is_number()) << ma.dump();
  auto all = Cli({"--json", "factory", "eval", "--base", base_.string(), "--adapter", out, "--data",
                  Facts(), "--all-rows"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(json::parse(all.out)["examples"], 40);
  auto plain = Cli({"factory", "eval", "--base", base_.string(), "--adapter", out, "--data",
                    Facts(), "--heldout", "0.2"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(Lines(plain.out).size(), 1u) << plain.out;
  EXPECT_NE(plain.out.find("held-out"), std::string::npos) << plain.out;

  // Text rows (fortunes): training and evaluation work; no prompt/response metrics.
  const std::string tout = Out("text-adapter");
  auto t =
      Cli({"factory", "train", "--base", base_.string(), "--data", Text(), "--out", tout,
           "--max-steps", "3", "--batch-size", "4", "--heldout", "0.2", "--checkpoint-every", "0"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("trained 3 steps"), std::string::npos) << t.out;
  auto te = Cli({"--json", "factory", "eval", "--base", base_.string(), "--adapter", tout, "--data",
                 Text(), "--all-rows"});
  ASSERT_EQ(te.exit_code, 0) << te.err;
  json tm = json::parse(te.out);
  EXPECT_EQ(tm["prompt_response_examples"], 0);
  EXPECT_TRUE(tm["token_accuracy"].is_null() && tm["exact_match"].is_null()) << tm.dump();
  EXPECT_EQ(ReadJson(fs::path(tout) / "training.json")["data"][0]["datanet"].get<uint64_t>(),
            text_);
}

TEST_F(FactoryCliTest, InterruptedTrainingResumesToTheSameAdapter) {
  // A schedule of 320 steps (a few seconds), checkpoints every 2, dropout on (its draws must
  // replay on resume too).
  const std::vector<std::string> opts = {"--epochs",           "20", "--batch-size", "2",
                                         "--checkpoint-every", "2",  "--dropout",    "0.1"};
  const std::string ref = Out("ref"), part = Out("interrupted");
  auto full = Cli(TrainArgs(ref, opts));
  ASSERT_EQ(full.exit_code, 0) << full.err;

  std::vector<std::string> args = {"--json", "--node", node_->url()};
  for (const auto& a : TrainArgs(part, opts)) args.push_back(a);
  const std::string log_out = Out("int.out"), log_err = Out("int.err");
  pid_t pid = SpawnTributary(args, {}, log_out, log_err);
  ASSERT_GT(pid, 0);
  auto has_checkpoint = [&] {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(part) / "checkpoints", ec)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("step-", 0) == 0 && n.find('.') == std::string::npos) return true;
    }
    return false;
  };
  bool seen = false;
  for (int i = 0; i < 6000 && !seen; ++i) {  // up to 30 s
    seen = has_checkpoint();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (seen) ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(seen) << ReadFileBytes(log_err);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 130) << ReadFileBytes(log_out) << ReadFileBytes(log_err);
  auto err_lines = Lines(ReadFileBytes(log_err));
  ASSERT_EQ(err_lines.size(), 1u) << ReadFileBytes(log_err);
  EXPECT_EQ(err_lines[0].rfind("error: ", 0), 0u) << err_lines[0];
  EXPECT_NE(err_lines[0].find("--resume"), std::string::npos) << err_lines[0];
  for (const auto& l : Lines(ReadFileBytes(log_out))) {
    EXPECT_EQ(json::parse(l, nullptr, false).value("event", ""), "step") << l;
  }
  for (const char* f : {"adapter_model.safetensors", "adapter_config.json", "training.json",
                        "metrics.json", "sketches.bin"}) {
    EXPECT_FALSE(fs::exists(fs::path(part) / f)) << f << " written by an interrupted run";
  }

  // Resuming with other training options is refused and changes nothing. (With --json: without
  // it the refusal comes after the "training a rank-4 LoRA on ..." line, as the options are only
  // compared once training starts.)
  std::vector<std::string> changed = opts;
  for (const char* a : {"--rank", "4", "--resume"}) changed.push_back(a);
  std::vector<std::string> oargs = TrainArgs(part, changed);
  oargs.insert(oargs.begin(), "--json");
  auto other = Cli(oargs);
  EXPECT_TRUE(FailsWithOneErrorLine(other, "options_changed")) << other.err;
  EXPECT_FALSE(fs::exists(fs::path(part) / "training.json"));

  // --resume finishes the run: the same adapter bytes as the uninterrupted run.
  std::vector<std::string> resume = opts;
  resume.push_back("--resume");
  std::vector<std::string> rargs = TrainArgs(part, resume);
  rargs.insert(rargs.begin(), "--json");
  auto res = Cli(rargs);
  ASSERT_EQ(res.exit_code, 0) << res.err;
  json first = json::parse(Lines(res.out).front(), nullptr, false);
  EXPECT_GT(first.value("step", 0), 2) << "the resumed run starts after the checkpoint";
  EXPECT_EQ(ReadFileBytes(fs::path(part) / "adapter_model.safetensors"),
            ReadFileBytes(fs::path(ref) / "adapter_model.safetensors"))
      << "resume must reach the same weights, byte for byte";
  EXPECT_EQ(ReadFileBytes(fs::path(part) / "sketches.bin"),
            ReadFileBytes(fs::path(ref) / "sketches.bin"))
      << "the same weights and rows give the same sketches";
  EXPECT_EQ(ReadJson(fs::path(part) / "training.json")["adapter_hash"],
            ReadJson(fs::path(ref) / "training.json")["adapter_hash"]);
  EXPECT_EQ(ReadJson(fs::path(part) / "training.json")["config_hash"],
            ReadJson(fs::path(ref) / "training.json")["config_hash"]);
  int kept = 0;
  for (const auto& e : fs::directory_iterator(fs::path(part) / "checkpoints")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos);
    kept++;
  }
  EXPECT_LE(kept, 2) << "only the newest checkpoints are kept";
}

TEST_F(FactoryCliTest, BadInputGetsOneErrorLine) {
  auto check = [&](const std::string& name, const std::vector<std::string>& extra,
                   const std::string& needle) {
    const std::string out = Out("bad-" + name);
    auto r = Cli(With(
        {"factory", "train", "--base", base_.string(), "--data", Facts(), "--out", out}, extra));
    EXPECT_TRUE(FailsWithOneErrorLine(r, needle)) << name << ": " << r.out << r.err;
    EXPECT_FALSE(fs::exists(out)) << name << ": a refused run left " << out;
  };
  check("rank", {"--rank", "0"}, "--rank");
  check("targets", {"--targets", "q_proj,bogus"}, "bogus");
  check("unknown-datanet", {"--data", "99@1"}, "unknown_datanet");
  check("unknown-version", {"--data", std::to_string(facts_) + "@9"}, "unknown_version");
  check("garbage", {"--data", "garbage"}, "bad_data");
  check("base", {"--base", "/nonexistent"}, "/nonexistent");
  check("heldout", {"--heldout", "1"}, "--heldout");
  check("resume-nothing", {"--resume"}, "nothing_to_resume");

  // An --out that already holds a trained adapter is not overwritten without --resume.
  const fs::path done = Out("done");
  fs::create_directories(done);
  WriteFileBytes(done / "training.json", "{\"format\":\"tributary/lineage/v1\"}\n");
  auto again = Cli(TrainArgs(done.string(), {"--max-steps", "1"}));
  EXPECT_TRUE(FailsWithOneErrorLine(again, "out_exists")) << again.err;
  EXPECT_EQ(ReadFileBytes(done / "training.json"), "{\"format\":\"tributary/lineage/v1\"}\n");
  EXPECT_FALSE(fs::exists(done / "adapter_model.safetensors"));

  // Evaluation: a missing adapter, an adapter made for another base, unknown data.
  auto missing = Cli({"factory", "eval", "--base", base_.string(), "--adapter", "/nonexistent",
                      "--data", Facts()});
  EXPECT_TRUE(FailsWithOneErrorLine(missing, "/nonexistent")) << missing.err;
  const std::string other_base = Out("other-base"), other_adapter = Out("other-adapter");
  ASSERT_EQ(RunTributary({"model", "init", "--out", other_base, "--hidden", "32", "--heads", "4",
                          "--vocab", "320"})
                .exit_code,
            0);
  ASSERT_EQ(RunTributary({"model", "init-adapter", "--base", other_base, "--out", other_adapter})
                .exit_code,
            0);
  auto mismatch = Cli(
      {"factory", "eval", "--base", base_.string(), "--adapter", other_adapter, "--data", Facts()});
  EXPECT_TRUE(FailsWithOneErrorLine(mismatch)) << mismatch.err;
  auto unknown = Cli({"factory", "eval", "--base", base_.string(), "--data", "99@1"});
  EXPECT_TRUE(FailsWithOneErrorLine(unknown, "unknown_datanet")) << unknown.err;
  // (No train or eval option asks for prompt/response data explicitly: the format is detected
  // from the rows, so a text Datanet cannot be refused for its schema here.)
}

// Ctrl-C after the last step, while the sketches are computed (about an epoch of training's
// compute, see docs/benchmarks.md): the run should stop like an interrupt during training (exit
// 130, no training.json) rather than be ignored until the sketches are done.
TEST_F(FactoryCliTest, InterruptWhileSketchingStops) {
  const std::string base = Out("sketch-base"), out = Out("sketch-int");
  auto init = RunTributary({"model", "init", "--out", base, "--layers", "4", "--hidden", "256",
                            "--heads", "4", "--kv-heads", "2", "--intermediate", "688", "--vocab",
                            "320", "--max-positions", "512"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  std::vector<std::string> args = {"--json", "--node", node_->url()};
  for (const auto& a : With({"factory", "train", "--base", base, "--data", Text(), "--out", out,
                             "--max-steps", "1", "--heldout", "0", "--checkpoint-every", "0"},
                            {})) {
    args.push_back(a);
  }
  const std::string log_out = Out("sk.out"), log_err = Out("sk.err");
  pid_t pid = SpawnTributary(args, {}, log_out, log_err);
  ASSERT_GT(pid, 0);
  // sketches.bin.partial exists while the sketches are computed.
  bool seen = false;
  for (int i = 0; i < 6000 && !seen; ++i) {
    seen = fs::exists(fs::path(out) / "sketches.bin.partial");
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto sent = std::chrono::steady_clock::now();
  if (seen) ::kill(pid, SIGINT);
  int status = 0;
  for (int i = 0; i < 1200; ++i) {  // up to 60 s
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (i == 1199) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  ASSERT_TRUE(seen) << ReadFileBytes(log_err);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  if (WEXITSTATUS(status) == 0 && after < 0.3) {
    GTEST_SKIP() << "inconclusive: the sketches were done within " << after << " s";
  }
  EXPECT_EQ(WEXITSTATUS(status), 130) << ReadFileBytes(log_err);
  EXPECT_FALSE(fs::exists(fs::path(out) / "training.json"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "adapter_model.safetensors"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "sketches.bin.partial"));
}

// A checkpoint resumed with other data: the lineage would name data the adapter was only partly
// trained on, so the run is refused like one with other training options.
TEST_F(FactoryCliTest, ResumeWithOtherDataIsRefused) {
  // A run stopped after 2 steps (--max-steps is not a training option, like an interrupt): its
  // checkpoints stay, the finished files are removed so the directory looks interrupted.
  const std::string out = Out("switch");
  auto first =
      Cli(TrainArgs(out, {"--epochs", "5", "--checkpoint-every", "1", "--max-steps", "2"}));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (const char* f :
       {"adapter_config.json", "adapter_model.safetensors", "metrics.json", "training.json"}) {
    fs::remove(fs::path(out) / f);
  }
  ASSERT_TRUE(fs::exists(fs::path(out) / "checkpoints" / "step-2" / "state.json"));
  std::vector<std::string> args =
      TrainArgs(out, {"--epochs", "5", "--checkpoint-every", "1", "--resume", "--data", Text()});
  args.insert(args.begin(), "--json");  // no "training a rank-8 LoRA" line before a refusal
  auto r = Cli(args);
  EXPECT_TRUE(FailsWithOneErrorLine(r, "options_changed")) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(out) / "training.json"));
}

// The defaults (rank 8 on q,k,v,o, --sketch-dim 1024) on a base of more than 16 layers: the
// sketch projection needs dim >= 2 x the total rank (2 x 8 x 4 x 17 = 1088 here; 2048 for a
// 32-layer Llama). Training must either succeed or refuse before it starts.
TEST_F(FactoryCliTest, DefaultSketchDimWorksOnADeeperBase) {
  const std::string deep = Out("deep-base"), out = Out("deep-adapter");
  auto init =
      RunTributary({"model", "init", "--out", deep, "--layers", "17", "--hidden", "32", "--heads",
                    "4", "--kv-heads", "2", "--intermediate", "64", "--vocab", "320"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  std::vector<std::string> args =
      TrainArgs(out, {"--base", deep, "--max-steps", "2", "--checkpoint-every", "0"});
  args.insert(args.begin(), "--json");
  auto r = Cli(args);
  if (r.exit_code == 0) {
    EXPECT_TRUE(fs::exists(fs::path(out) / "training.json"));
    return;
  }
  ADD_FAILURE() << "training a deep base with the default sketch dim failed: " << r.err;
}

// Each Datanet version counts once: naming the same version twice must not double its rows.
TEST_F(FactoryCliTest, TheSameVersionTwiceIsNotTrainedTwice) {
  const std::string out = Out("twice");
  std::vector<std::string> args = TrainArgs(
      out, {"--max-steps", "1", "--checkpoint-every", "0", "--data", Facts() + "," + Facts()});
  args.insert(args.begin(), "--json");
  auto r = Cli(args);
  EXPECT_TRUE(FailsWithOneErrorLine(r, "twice")) << r.err;
}

// A base from `tributary model init --init-range 0.2` is trainable: the planted facts come back
// after enough epochs (with the usual 0.02 a 64-wide random model's logits are too flat for an
// adapter to move).
TEST_F(FactoryCliTest, ModelInitBaseCanLearnPlantedFacts) {
  const std::string out = Out("memorize");
  auto r = Cli(TrainArgs(out, {"--epochs", "40", "--checkpoint-every", "0", "--heldout", "0"}));
  // --heldout 0: nothing held out, so metrics.json has no held-out losses; eval on every row.
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto e = Cli({"--json", "factory", "eval", "--base", base_.string(), "--adapter", out, "--data",
                Facts(), "--all-rows"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  json m = json::parse(e.out);
  const double exact = m["exact_match"].get<double>();
  EXPECT_GE(exact, 0.5);
}

}  // namespace
}  // namespace tributary::testing
