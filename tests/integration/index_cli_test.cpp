// `tributary index build|status` and GET /v1/index/status against a real node: a text Datanet
// with two published versions (Debian fortunes) and a prompt/response one, indexed with the
// byte-level tokenizer of `tributary model init` (one token per byte, so a row's token count is
// its text's byte count). One shard per version holding only the rows it added, in the node's
// order; a re-run skips them (resume), a missing or damaged shard is rebuilt; the node reports
// the shards and which versions they cover; bad input is one error line.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "support/fortunes.h"
#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/attribution/index_catalog.h"
#include "tributary/attribution/span_index.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using attribution::IndexCatalog;
using attribution::ShardReader;

// Paragraphs of fortunes [from, to) as a .txt upload (a row per paragraph).
std::string FortuneText(size_t from, size_t to) {
  auto fortunes = ReadFortunes("linux", true);
  std::string text;
  for (size_t i = from; i < to && i < fortunes.size(); ++i) text += fortunes[i] + "\n";
  return text;
}

class IndexCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    node_ = new NodeProcess(tmp_->path() / "data", tmp_->path() / "home");
    if (!node_->Start()) return;
    base_ = tmp_->path() / "base";
    auto init =
        RunTributary({"model", "init", "--out", base_.string(), "--layers", "1", "--hidden", "16",
                      "--heads", "2", "--kv-heads", "2", "--intermediate", "32", "--vocab", "260"});
    if (init.exit_code != 0) {
      setup_error_ = "model init: " + init.err;
      return;
    }
    text_ = CreatePublishedDatanet(*node_, tmp_->path(), "Linux quotes", {},
                                   {{"", "v1.txt", FortuneText(0, 30)}}, &setup_error_);
    if (!text_) return;
    WriteFileBytes(tmp_->path() / "v2.txt", FortuneText(30, 50));
    auto up = RunCli(*node_, {"--json", "datanet", "contribute", "--datanet", std::to_string(text_),
                              (tmp_->path() / "v2.txt").string()});
    auto pub = RunCli(*node_, {"datanet", "publish", std::to_string(text_)});
    if (up.exit_code != 0 || pub.exit_code != 0) {
      setup_error_ = "version 2: " + up.err + pub.err;
      return;
    }
    std::string qa;
    for (int i = 0; i < 12; ++i) {
      qa += json{{"prompt", "Question " + std::to_string(i) + "?"},
                 {"response", "Answer number " + std::to_string(i * 7) + "."}}
                .dump() +
            "\n";
    }
    qa_ = CreatePublishedDatanet(*node_, tmp_->path(), "Questions", {"--schema", "prompt,response"},
                                 {{"", "qa.jsonl", qa}}, &setup_error_);
    auto id = attribution::TokenizerIdOfFile(base_ / "tokenizer.json");
    if (id.ok()) tokenizer_ = *id;
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
    ASSERT_GT(text_, 0u);
    ASSERT_GT(qa_, 0u);
    ASSERT_EQ(tokenizer_.size(), 64u);
  }

  static CommandResult Cli(std::vector<std::string> args) { return RunCli(*node_, args); }
  // The node's own index directory, so GET /v1/index/status sees what the CLI builds.
  static fs::path IndexDir() { return tmp_->path() / "data" / "index"; }
  static std::string Text(uint32_t v) { return std::to_string(text_) + "@" + std::to_string(v); }
  static std::string Qa() { return std::to_string(qa_) + "@1"; }

  // `index build --json` with `args`: the per-shard events and the final summary.
  static std::pair<std::vector<json>, json> Build(std::vector<std::string> args,
                                                  const fs::path& index = IndexDir()) {
    std::vector<std::string> all = {"--json", "index", "build", "--index", index.string()};
    all.insert(all.end(), args.begin(), args.end());
    auto r = Cli(all);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::vector<json> events;
    for (const auto& line : Lines(r.out)) events.push_back(json::parse(line, nullptr, false));
    if (events.empty()) return {{}, json::object()};
    json done = events.back();
    events.pop_back();
    EXPECT_EQ(done.value("event", ""), "done") << r.out;
    return {events, done};
  }
  // The rows [offset, offset + limit) of version v of Datanet d, from the node.
  static json Rows(uint64_t d, uint32_t v, uint64_t offset, uint64_t limit) {
    auto r =
        HttpGet(node_->port(), "/v1/datanets/" + std::to_string(d) + "/versions/" +
                                   std::to_string(v) + "/rows?offset=" + std::to_string(offset) +
                                   "&limit=" + std::to_string(limit));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().value("rows", json::array());
  }
  static uint64_t VersionRows(uint64_t d, uint32_t v) {
    auto r = HttpGet(node_->port(),
                     "/v1/datanets/" + std::to_string(d) + "/versions/" + std::to_string(v));
    return r.json().value("rows", uint64_t{0});
  }

  static TempDir* tmp_;
  static NodeProcess* node_;
  static fs::path base_;
  static uint64_t text_, qa_;
  static std::string tokenizer_, setup_error_;
};

TempDir* IndexCliTest::tmp_ = nullptr;
NodeProcess* IndexCliTest::node_ = nullptr;
fs::path IndexCliTest::base_;
uint64_t IndexCliTest::text_ = 0;
uint64_t IndexCliTest::qa_ = 0;
std::string IndexCliTest::tokenizer_;
std::string IndexCliTest::setup_error_;

TEST_F(IndexCliTest, BuildsOneShardPerVersionWithItsNewRows) {
  const fs::path index = tmp_->path() / "index-build";
  auto [events, done] = Build({"--datanet", Text(2), "--tokenizer", base_.string()}, index);
  ASSERT_EQ(events.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(events[i].value("event", ""), "built") << events[i].dump();
    EXPECT_EQ(events[i]["version"], i + 1);
  }
  EXPECT_EQ(done["built"], 2);
  EXPECT_EQ(done["skipped"], 0);
  EXPECT_EQ(done["tokenizer"], tokenizer_);
  ASSERT_EQ(done["shards"].size(), 2u);

  const uint64_t rows1 = VersionRows(text_, 1), rows2 = VersionRows(text_, 2);
  ASSERT_GT(rows1, 0u);
  ASSERT_GT(rows2, rows1);
  IndexCatalog catalog(index);
  auto v1 = ShardReader::Open(catalog.ShardPath(tokenizer_, text_, 1), {.verify = true});
  auto v2 = ShardReader::Open(catalog.ShardPath(tokenizer_, text_, 2), {.verify = true});
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ((*v1)->rows(), rows1);
  EXPECT_EQ((*v2)->rows(), rows2 - rows1);  // only the rows version 2 added
  EXPECT_EQ((*v2)->info().tokenizer, tokenizer_);
  ASSERT_EQ((*v2)->info().sources.size(), 1u);
  EXPECT_EQ((*v2)->info().sources[0], (attribution::ShardSource{text_, 2, rows1, rows2 - rows1}));
  EXPECT_EQ(done["shards"][1]["first_row"], rows1);
  EXPECT_EQ(done["shards"][1]["rows"], rows2 - rows1);
  EXPECT_EQ(done["shards"][1]["tokens"], (*v2)->tokens());

  // Each shard's rows are the node's rows of its range, in order, one token per text byte.
  json all = Rows(text_, 2, 0, 1000);
  ASSERT_EQ(all.size(), rows2);
  std::set<std::string> v1_texts;
  for (uint64_t i = 0; i < rows2; ++i) {
    const ShardReader& shard = i < rows1 ? **v1 : **v2;
    const uint64_t r = i < rows1 ? i : i - rows1;
    attribution::RowInfo info = shard.Row(r);
    EXPECT_EQ(info.row_id, all[i]["row_id"]) << i;
    EXPECT_EQ(info.contribution, all[i]["contribution"]) << i;
    EXPECT_EQ(info.contributor, all[i]["contributor"]) << i;
    const std::string text = all[i]["row"]["text"].get<std::string>();
    EXPECT_EQ(info.length, text.size()) << i;
    if (i < rows1) v1_texts.insert(text);
  }

  // A row version 2 added is found in shard 2 only.
  uint64_t pick = rows1;
  auto occurs_in_v1 = [&](const std::string& t) {
    for (const auto& s : v1_texts) {
      if (s.find(t) != std::string::npos) return true;
    }
    return false;
  };
  while (pick < rows2 && occurs_in_v1(all[pick]["row"]["text"].get<std::string>())) ++pick;
  ASSERT_LT(pick, rows2);
  const std::vector<uint32_t> span = (*v2)->RowTokens(pick - rows1);
  ASSERT_GE(span.size(), 8u);
  auto both = attribution::SpanIndex::Open(
      {catalog.ShardPath(tokenizer_, text_, 1), catalog.ShardPath(tokenizer_, text_, 2)});
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ((*v1)->Count(span), 0u);
  auto occ = both->Locate(span, 10);
  ASSERT_GE(occ.size(), 1u);
  for (const auto& o : occ) EXPECT_EQ(o.shard, 1u);
  EXPECT_EQ(occ[0].row_id, all[pick]["row_id"]);

  // Prompt/response rows: the prompt's tokens, then the response's.
  auto [qa_events, qa_done] = Build({"--datanet", Qa(), "--tokenizer", base_.string()}, index);
  ASSERT_EQ(qa_events.size(), 1u);
  auto qa = ShardReader::Open(catalog.ShardPath(tokenizer_, qa_, 1));
  ASSERT_TRUE(qa.ok()) << qa.status().ToString();
  json qa_rows = Rows(qa_, 1, 0, 1000);
  ASSERT_EQ((*qa)->rows(), qa_rows.size());
  ASSERT_GT(qa_rows.size(), 0u);
  for (size_t i = 0; i < qa_rows.size(); ++i) {
    const json& row = qa_rows[i]["row"];
    EXPECT_EQ((*qa)->Row(i).length,
              row["prompt"].get<std::string>().size() + row["response"].get<std::string>().size());
  }
}

TEST_F(IndexCliTest, ResumesAndRebuildsWhatIsMissingOrDamaged) {
  const fs::path index = tmp_->path() / "index-resume";
  IndexCatalog catalog(index);
  // A tokenizer.json given as a file names the same tokenizer as its directory.
  Build({"--datanet", Text(1), "--tokenizer", (base_ / "tokenizer.json").string()}, index);
  ASSERT_TRUE(fs::exists(catalog.ShardPath(tokenizer_, text_, 1)));
  const auto mtime = fs::last_write_time(catalog.ShardPath(tokenizer_, text_, 1));

  // Version 2 builds only the shard still missing.
  auto [events, done] = Build({"--datanet", Text(2), "--tokenizer", base_.string()}, index);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].value("event", ""), "skipped");
  EXPECT_EQ(events[1].value("event", ""), "built");
  EXPECT_EQ(done["built"], 1);
  EXPECT_EQ(done["skipped"], 1);
  EXPECT_EQ(fs::last_write_time(catalog.ShardPath(tokenizer_, text_, 1)), mtime);

  // Again: nothing to do.
  auto [again, again_done] = Build({"--datanet", Text(2), "--tokenizer", base_.string()}, index);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again_done["built"], 0);
  EXPECT_EQ(again_done["skipped"], 2);
  EXPECT_EQ(again_done["shards"], done["shards"]);

  // A damaged shard is rebuilt; so is a deleted one.
  const std::string good = ReadFileBytes(catalog.ShardPath(tokenizer_, text_, 2));
  WriteFileBytes(catalog.ShardPath(tokenizer_, text_, 2), "not a shard");
  fs::remove(catalog.ShardPath(tokenizer_, text_, 1));
  auto [fixed, fixed_done] = Build({"--datanet", Text(2), "--tokenizer", base_.string()}, index);
  ASSERT_EQ(fixed.size(), 2u);
  EXPECT_EQ(fixed_done["built"], 2);
  EXPECT_TRUE(fixed[1].contains("replaced")) << fixed[1].dump();
  EXPECT_EQ(ReadFileBytes(catalog.ShardPath(tokenizer_, text_, 2)), good);  // deterministic

  // The human form: a table and a summary line.
  auto human = Cli({"index", "build", "--index", index.string(), "--datanet", Text(2),
                    "--tokenizer", base_.string()});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("0 built, 2 already present"), std::string::npos) << human.out;

  // The lineage of text@2 is complete under this tokenizer.
  auto lineage = catalog.LineageShards(tokenizer_, {{text_, 2}});
  ASSERT_TRUE(lineage.ok()) << lineage.status().ToString();
  EXPECT_EQ(lineage->size(), 2u);
}

TEST_F(IndexCliTest, StatusListsShardsAndCoverage) {
  Build({"--datanet", Text(2) + "," + Qa(), "--tokenizer", base_.string()});
  auto st = RunCliJson(*node_, {"index", "status", "--index", IndexDir().string()});
  ASSERT_EQ(st["tokenizers"].size(), 1u) << st.dump();
  const json& t = st["tokenizers"][0];
  EXPECT_EQ(t["tokenizer"], tokenizer_);
  ASSERT_EQ(t["shards"].size(), 3u);
  uint64_t tokens = 0;
  for (const auto& s : t["shards"]) tokens += s["tokens"].get<uint64_t>();
  EXPECT_EQ(t["tokens"], tokens);
  EXPECT_EQ(t["rows"], VersionRows(text_, 2) + VersionRows(qa_, 1));
  EXPECT_GT(t["bytes_per_token"].get<double>(), 0);
  EXPECT_TRUE(st["problems"].empty()) << st.dump();
  auto human = Cli({"index", "status", "--index", IndexDir().string()});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("3 shards"), std::string::npos) << human.out;

  auto r = HttpGet(node_->port(), "/v1/index/status");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_FALSE(j.contains("index_dir"));
  ASSERT_EQ(j["tokenizers"].size(), 1u);
  // The same shards, with paths relative to the index directory.
  json local = t["shards"];
  for (auto& s : local) {
    s["path"] = fs::path(s["path"].get<std::string>()).lexically_relative(IndexDir()).string();
  }
  EXPECT_EQ(j["tokenizers"][0]["shards"], local);
  EXPECT_EQ(j["tokenizers"][0]["shards"][0]["path"].get<std::string>().find('/'), 64u);
  EXPECT_EQ(j["tokenizers"][0]["tokens"], tokens);
  EXPECT_TRUE(j["problems"].empty()) << r.body;
  auto covered = [&](uint64_t d, uint32_t v) -> json {
    for (const auto& c : j["coverage"]) {
      if (c["datanet"] == d && c["version"] == v) return c["tokenizers"];
    }
    return nullptr;
  };
  EXPECT_EQ(covered(text_, 1), json::array({tokenizer_}));
  EXPECT_EQ(covered(text_, 2), json::array({tokenizer_}));
  EXPECT_EQ(covered(qa_, 1), json::array({tokenizer_}));

  // Without version 1's shard, neither version is covered (2 needs 1), and a stray file shows.
  IndexCatalog catalog(IndexDir());
  const fs::path v1 = catalog.ShardPath(tokenizer_, text_, 1);
  const fs::path aside = tmp_->path() / "v1.aside";
  fs::rename(v1, aside);
  WriteFileBytes(IndexDir() / tokenizer_ / "junk.span", "junk");
  json partial = HttpGet(node_->port(), "/v1/index/status").json();
  fs::rename(aside, v1);
  fs::remove(IndexDir() / tokenizer_ / "junk.span");
  for (const auto& c : partial["coverage"]) {
    if (c["datanet"] == text_) {
      EXPECT_TRUE(c["tokenizers"].empty()) << c.dump();
    }
  }
  ASSERT_EQ(partial["problems"].size(), 1u) << partial.dump();
  EXPECT_NE(partial["problems"][0].get<std::string>().find("junk.span"), std::string::npos);
  EXPECT_EQ(partial["problems"][0].get<std::string>().find(IndexDir().string()), std::string::npos);
}

TEST_F(IndexCliTest, BadInputIsOneErrorLine) {
  const std::string tok = base_.string();
  const std::string index = (tmp_->path() / "index-bad").string();
  auto fails = [&](std::vector<std::string> args, const std::string& needle) {
    std::vector<std::string> all = {"index", "build", "--index", index};
    all.insert(all.end(), args.begin(), args.end());
    auto r = Cli(all);
    EXPECT_TRUE(FailsWithOneErrorLine(r, needle)) << ::testing::PrintToString(args);
  };
  fails({"--datanet", "999@1", "--tokenizer", tok}, "unknown_datanet");
  fails({"--datanet", Text(3), "--tokenizer", tok}, "has no version 3");
  fails({"--datanet", std::to_string(text_) + "@0", "--tokenizer", tok}, "no version 0");
  fails({"--datanet", Text(1)}, "--tokenizer");
  fails({"--datanet", "1-2", "--tokenizer", tok}, "DATANET@VERSION");
  fails({"--datanet", "x@1", "--tokenizer", tok}, "bad_data");
  fails({"--datanet", Text(1), "--tokenizer", (tmp_->path() / "nope").string()}, "does not exist");
  fails({"--datanet", Text(1), "--tokenizer", tmp_->path().string()}, "no tokenizer.json");
  fails({"--datanet", Text(1), "--tokenizer", tok, "--model", "1"}, "not both");
  fails({"--tokenizer", tok}, "--datanet");
  fails({"--model", "77"}, "unknown_model");
  // Nothing was written for any of them.
  EXPECT_TRUE(IndexCatalog(index).List().empty());
}

}  // namespace
}  // namespace tributary::testing
