// Datanets against a real node process, on real text nobody here wrote (Debian's fortunes):
// contributions with validation reports, near duplicates of light edits caught and named,
// quotas, stake and spam slashing, versions that never change and export with provenance,
// row proofs, bad input, and a crash in the middle of an upload.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "support/fortunes.h"
#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/datanet/kinds.h"
#include "tributary/datanet/records.h"
#include "tributary/ledger/account.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path& kFortunes = kFortunesDir;

// The fortunes of one file (entries are separated by lines holding only "%").
std::vector<std::string> Fortunes(const std::string& name) { return ReadFortunes(name); }

// Fortunes as a .txt contribution: one paragraph each (inner blank lines would split them, so
// they are dropped).
std::string AsParagraphs(const std::vector<std::string>& fortunes) {
  std::string out;
  for (const auto& f : fortunes) {
    std::stringstream ss(f);
    std::string line;
    while (std::getline(ss, line)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) out += line + "\n";
    }
    out += "\n";
  }
  return out;
}

size_t WordCount(const std::string& s) {
  std::stringstream ss(s);
  std::string w;
  size_t n = 0;
  while (ss >> w) n++;
  return n;
}

// A light edit: case and spacing changed and, in fortunes of 60+ words, one word replaced. (One
// replaced word changes up to 5 of the word 5-gram shingles, so in shorter texts it alone takes
// the true Jaccard similarity below the 0.8 threshold: those are not near duplicates by the
// Datanet's own rule.)
std::string LightEdit(const std::string& f, std::mt19937_64& rng) {
  std::stringstream ss(f);
  std::vector<std::string> words;
  std::string w;
  while (ss >> w) words.push_back(w);
  if (words.size() >= 60) words[rng() % words.size()] = "zebra";
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += (i % 7 == 0) ? "  " : " ";
    std::string word = words[i];
    if (i == 0 && !word.empty()) word[0] = static_cast<char>(std::toupper(word[0]));
    out += word;
  }
  return out;
}

class DatanetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    node_ = new NodeProcess(tmp_->path() / "data", tmp_->path() / "home");
    node_->Start();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_TRUE(node_ && node_->Running()) << (node_ ? node_->output() : "");
    ASSERT_TRUE(fs::exists(kFortunes / "computers")) << "the fortunes package is missing";
  }

  static CommandResult Cli(std::vector<std::string> args) { return RunCli(*node_, args); }
  static json CliJson(std::vector<std::string> args) { return RunCliJson(*node_, args); }
  static std::string FundedKey(const std::string& name, const std::string& amount) {
    return testing::FundedKey(*node_, name, amount);
  }

  static fs::path WriteFile(const std::string& name, const std::string& content) {
    fs::path p = tmp_->path() / name;
    WriteFileBytes(p, content);
    return p;
  }
  // Creates a Datanet with the CLI and returns its id.
  static uint64_t Create(const std::string& owner, std::vector<std::string> extra) {
    std::vector<std::string> args = {"datanet",  "create",    "--from", owner,       "--name",
                                     "Fortunes", "--summary", "quotes", "--license", "GPL-2.0"};
    args.insert(args.end(), extra.begin(), extra.end());
    json j = CliJson(args);
    return j["datanet"].value("id", uint64_t{0});
  }
  static json Get(const std::string& path) { return HttpGet(node_->port(), path).json(); }

  static TempDir* tmp_;
  static NodeProcess* node_;
};

TempDir* DatanetTest::tmp_ = nullptr;
NodeProcess* DatanetTest::node_ = nullptr;

TEST_F(DatanetTest, NearDuplicatesOfLightEditsAreCaughtAndNamed) {
  FundedKey("alice", "100");
  FundedKey("bob", "100");
  uint64_t id = Create("alice", {"--policy", "open"});
  ASSERT_GT(id, 0u);

  // Alice contributes 250 real fortunes (long enough for 5-gram shingles to mean something).
  std::vector<std::string> pool;
  for (const auto& f : Fortunes("computers")) {
    if (WordCount(f) >= 25 && WordCount(f) <= 120) pool.push_back(f);
  }
  ASSERT_GE(pool.size(), 310u);
  std::vector<std::string> original(pool.begin(), pool.begin() + 250);
  auto first = CliJson({"datanet", "contribute", "--from", "alice", "--datanet", std::to_string(id),
                        WriteFile("orig.txt", AsParagraphs(original)).string()});
  ASSERT_EQ(first.value("status", ""), "accepted") << first.dump();
  const uint64_t accepted_first = first["accepted"].get<uint64_t>();
  EXPECT_GE(accepted_first, 240u);

  // Bob re-submits 40 of them lightly edited, plus 60 fortunes Alice did not contribute.
  std::mt19937_64 rng(7);
  std::vector<std::string> mixed;
  for (size_t i = 0; i < 40; ++i) mixed.push_back(LightEdit(original[i * 6], rng));
  for (size_t i = 250; i < 310; ++i) mixed.push_back(pool[i]);
  auto r = CliJson({"datanet", "contribute", "--from", "bob", "--datanet", std::to_string(id),
                    WriteFile("mixed.txt", AsParagraphs(mixed)).string()});
  ASSERT_TRUE(r.contains("report")) << r.dump();
  const json& rows = r["report"]["rows"];
  ASSERT_EQ(rows.size(), 100u);
  // Which rows of the original contribution exist, by id, to check the named matches.
  auto orig_contrib =
      Get("/v1/contributions/" + first["contribution_id"].get<std::string>() + "?rows_limit=1000");
  std::set<std::string> orig_ids;
  for (const auto& row : orig_contrib["rows_page"]["rows"]) orig_ids.insert(row["row_id"]);
  int caught = 0, named_right = 0, false_flags = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& v = rows[i];
    if (i < 40) {
      if (!v["accepted"].get<bool>() && v["reason"] == "near_duplicate") {
        caught++;
        if (orig_ids.count(v["matches"].get<std::string>())) named_right++;
      }
    } else if (!v["accepted"].get<bool>() &&
               (v["reason"] == "near_duplicate" || v["reason"] == "duplicate_in_datanet")) {
      false_flags++;
    }
  }
  EXPECT_EQ(caught, 40) << "light edits should be caught as near duplicates";
  EXPECT_EQ(named_right, caught) << "every near duplicate names the row it matches";
  EXPECT_EQ(false_flags, 0) << "distinct fortunes are not flagged";
  EXPECT_EQ(r["accepted"].get<uint64_t>(), 100u - caught);
}

// The CLI uploads files as multipart/form-data: a file that holds the CLI's usual boundary on a
// line of its own (CRLF line ends, as the form itself uses) must still arrive whole.
TEST_F(DatanetTest, AFileHoldingTheUploadBoundaryArrivesWhole) {
  FundedKey("dora", "100");
  uint64_t id = Create("dora", {"--policy", "open"});
  ASSERT_GT(id, 0u);
  std::vector<std::string> texts;
  for (const auto& f : Fortunes("computers")) {
    if (WordCount(f) >= 30 && WordCount(f) <= 80) texts.push_back(f);
    if (texts.size() == 3) break;
  }
  ASSERT_EQ(texts.size(), 3u);
  const std::string content = texts[0] + "\r\n\r\n--tributary-upload-7c1f0e5b9a2d4c38\r\n" +
                              texts[1] + "\r\n\r\n" + texts[2] + "\r\n";
  auto r = CliJson({"datanet", "contribute", "--from", "dora", "--datanet", std::to_string(id),
                    WriteFile("boundary.txt", content).string()});
  ASSERT_EQ(r.value("status", ""), "accepted") << r.dump();
  EXPECT_EQ(r["accepted"].get<uint64_t>(), 3u) << r.dump();
  auto stored =
      Get("/v1/contributions/" + r["contribution_id"].get<std::string>() + "?rows_limit=10");
  ASSERT_EQ(stored["rows_page"]["rows"].size(), 3u) << stored.dump();
  EXPECT_NE(stored["rows_page"]["rows"][1].dump().find("--tributary-upload-7c1f0e5b9a2d4c38"),
            std::string::npos)
      << stored.dump();
}

TEST_F(DatanetTest, StakeIsEscrowedAndSpamIsSlashedToTheTreasury) {
  FundedKey("owner2", "100");
  std::string carol = FundedKey("carol", "50");
  uint64_t id =
      Create("owner2", {"--policy", "approval", "--stake", "10", "--slash-percent", "50"});
  ASSERT_GT(id, 0u);
  const std::string treasury = TreasuryAddress().ToString();
  auto balance = [&](const std::string& a) {
    return ParseAmount(Get("/v1/accounts/" + a)["balance"].get<std::string>()).value();
  };
  Amount treasury_before = balance(treasury);
  Amount carol_before = balance(carol);

  auto fortunes = Fortunes("linux");
  std::vector<std::string> a(fortunes.begin(), fortunes.begin() + 20);
  std::vector<std::string> b(fortunes.begin() + 20, fortunes.begin() + 40);
  auto ca = CliJson({"datanet", "contribute", "--from", "carol", "--datanet", std::to_string(id),
                     WriteFile("carol-a.txt", AsParagraphs(a)).string()});
  auto cb = CliJson({"datanet", "contribute", "--from", "carol", "--datanet", std::to_string(id),
                     WriteFile("carol-b.txt", AsParagraphs(b)).string()});
  ASSERT_EQ(ca.value("status", ""), "pending") << ca.dump();
  ASSERT_EQ(cb.value("status", ""), "pending") << cb.dump();
  Amount fees = carol_before - balance(carol) - Tokens(20);
  EXPECT_LT(fees, Tokens(1)) << "two stakes of 10 are held, plus small fees";

  // A non-owner cannot review.
  auto denied = Cli({"datanet", "review", ca["contribution_id"], "--from", "carol", "--approve"});
  EXPECT_TRUE(FailsWithOneErrorLine(denied, "not_owner")) << denied.err;

  auto ok = Cli({"datanet", "review", ca["contribution_id"], "--from", "owner2", "--approve"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto spam = Cli({"datanet", "review", cb["contribution_id"], "--from", "owner2", "--reject",
                   "advertising", "--spam"});
  ASSERT_EQ(spam.exit_code, 0) << spam.err;
  EXPECT_NE(spam.out.find("slashed"), std::string::npos);
  EXPECT_EQ(balance(treasury) - treasury_before, Tokens(5)) << "50% of the 10-token stake";
  EXPECT_EQ(carol_before - balance(carol), Tokens(5) + fees) << "one stake back, half of the other";
  auto again = Cli({"datanet", "review", cb["contribution_id"], "--from", "owner2", "--approve"});
  EXPECT_TRUE(FailsWithOneErrorLine(again, "already_reviewed")) << again.err;

  auto c = Get("/v1/contributions/" + cb["contribution_id"].get<std::string>());
  EXPECT_EQ(c["status"], "rejected");
  EXPECT_EQ(c["reason"], "advertising");
  EXPECT_EQ(c["spam"], true);
  auto board = Get("/v1/datanets/" + std::to_string(id) + "/leaderboard")["leaderboard"];
  ASSERT_EQ(board.size(), 1u);
  EXPECT_EQ(board[0]["accepted"], 1);
  EXPECT_EQ(board[0]["rejected"], 1);
  EXPECT_DOUBLE_EQ(board[0]["acceptance_ratio"].get<double>(), 0.5);

  // The spam's rows no longer block anyone: the same fortunes can come in again.
  auto redo = CliJson({"datanet", "contribute", "--from", "carol", "--datanet", std::to_string(id),
                       WriteFile("carol-b2.txt", AsParagraphs(b)).string()});
  EXPECT_EQ(redo.value("accepted", 0), cb.value("accepted", -1));
}

TEST_F(DatanetTest, QuotasAreEnforcedAndAFailedUploadLeavesNothing) {
  FundedKey("owner3", "100");
  FundedKey("dave", "100");
  uint64_t id = Create(
      "owner3", {"--files-per-day", "2", "--bytes-per-file", "4000", "--bytes-per-day", "100000"});
  ASSERT_GT(id, 0u);
  auto fortunes = Fortunes("science");
  std::string small1 = AsParagraphs({fortunes.begin(), fortunes.begin() + 5});
  std::string small2 = AsParagraphs({fortunes.begin() + 5, fortunes.begin() + 10});
  std::string small3 = AsParagraphs({fortunes.begin() + 10, fortunes.begin() + 15});
  std::string big = AsParagraphs({fortunes.begin() + 20, fortunes.begin() + 120});
  ASSERT_GT(big.size(), 4000u);

  auto too_big = Cli({"datanet", "contribute", "--from", "dave", "--datanet", std::to_string(id),
                      WriteFile("big.txt", big).string()});
  EXPECT_TRUE(FailsWithOneErrorLine(too_big, "quota_exceeded")) << too_big.err;

  for (const auto& [name, text] :
       std::vector<std::pair<std::string, std::string>>{{"q1.txt", small1}, {"q2.txt", small2}}) {
    auto r = Cli({"datanet", "contribute", "--from", "dave", "--datanet", std::to_string(id),
                  WriteFile(name, text).string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto before = Get("/v1/datanets/" + std::to_string(id));
  auto third = Cli({"datanet", "contribute", "--from", "dave", "--datanet", std::to_string(id),
                    WriteFile("q3.txt", small3).string()});
  EXPECT_TRUE(FailsWithOneErrorLine(third, "quota_exceeded")) << third.err;
  auto after = Get("/v1/datanets/" + std::to_string(id));
  EXPECT_EQ(before["stats"], after["stats"]) << "a refused upload adds no ledger entry";
  // ...and no rows: another contributor can upload exactly those rows, none a duplicate.
  FundedKey("erin", "100");
  auto erin = CliJson({"datanet", "contribute", "--from", "erin", "--datanet", std::to_string(id),
                       WriteFile("q3-erin.txt", small3).string()});
  EXPECT_EQ(erin.value("rejected", -1), 0) << erin.dump();
}

TEST_F(DatanetTest, VersionsAreImmutableAndExportWithProvenance) {
  FundedKey("owner4", "100");
  std::string frank = FundedKey("frank", "100");
  uint64_t id = Create("owner4", {"--schema", "prompt,response"});
  ASSERT_GT(id, 0u);
  auto fortunes = Fortunes("definitions");
  ASSERT_GE(fortunes.size(), 120u);
  auto jsonl = [&](size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) {
      out +=
          json{{"prompt", "Define entry " + std::to_string(i)}, {"response", fortunes[i]}}.dump() +
          "\n";
    }
    return out;
  };
  auto c1 = CliJson({"datanet", "contribute", "--from", "frank", "--datanet", std::to_string(id),
                     WriteFile("d1.jsonl", jsonl(0, 50)).string()});
  ASSERT_EQ(c1.value("status", ""), "accepted") << c1.dump();
  auto pub1 = CliJson({"datanet", "publish", std::to_string(id), "--from", "owner4"});
  ASSERT_EQ(pub1["version"]["version"], 1);
  const uint64_t rows1 = pub1["version"]["rows"].get<uint64_t>();

  fs::path out1 = tmp_->path() / "v1.jsonl";
  auto e1 = Cli({"datanet", "export", std::to_string(id) + "@1", "--out", out1.string()});
  ASSERT_EQ(e1.exit_code, 0) << e1.err;
  std::string v1_before = ReadFileBytes(out1);
  auto lines = Lines(v1_before);
  ASSERT_EQ(lines.size(), rows1);
  for (const auto& l : lines) {
    json row = json::parse(l);
    EXPECT_EQ(row["contribution"], c1["contribution_id"]);
    EXPECT_EQ(row["contributor"], frank);
    EXPECT_TRUE(row["row"].contains("prompt") && row["row"].contains("response"));
    EXPECT_EQ(row["row_id"].get<std::string>().size(), 64u);
  }

  // More data and a second version; version 1 stays exactly as it was.
  auto c2 = CliJson({"datanet", "contribute", "--from", "frank", "--datanet", std::to_string(id),
                     WriteFile("d2.jsonl", jsonl(50, 100)).string()});
  ASSERT_EQ(c2.value("status", ""), "accepted") << c2.dump();
  auto pub2 = CliJson({"datanet", "publish", std::to_string(id), "--from", "owner4"});
  EXPECT_EQ(pub2["version"]["version"], 2);
  EXPECT_GT(pub2["version"]["rows"].get<uint64_t>(), rows1);
  auto v1 = Get("/v1/datanets/" + std::to_string(id) + "/versions/1");
  EXPECT_EQ(v1["root"], pub1["version"]["root"]);
  ASSERT_EQ(Cli({"datanet", "export", std::to_string(id) + "@1", "--out", out1.string()}).exit_code,
            0);
  EXPECT_EQ(ReadFileBytes(out1), v1_before);
  auto nothing = Cli({"datanet", "publish", std::to_string(id), "--from", "owner4"});
  EXPECT_TRUE(FailsWithOneErrorLine(nothing, "nothing_to_publish")) << nothing.err;
  auto nobody = Cli({"datanet", "publish", std::to_string(id), "--from", "frank"});
  EXPECT_TRUE(FailsWithOneErrorLine(nobody, "not_owner")) << nobody.err;

  // A row's proof checks offline against the signed header; a tampered row does not.
  auto proof = HttpGet(node_->port(), "/v1/datanets/" + std::to_string(id) + "/versions/2/rows/" +
                                          std::to_string(rows1 + 3) + "/proof");
  ASSERT_EQ(proof.status, 200) << proof.body;
  fs::path pf = WriteFile("row-proof.json", proof.body);
  auto v = Cli({"verify-proof", pf.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("at index " + std::to_string(rows1 + 3)), std::string::npos) << v.out;
  json bad = proof.json();
  bad["proof"]["row"] = "{\"prompt\":\"x\",\"response\":\"y\"}";
  auto vb = Cli({"verify-proof", WriteFile("bad-proof.json", bad.dump()).string()});
  EXPECT_NE(vb.exit_code, 0);
  // Its readable labels are bound too: the row's index (the proof carries the contributions
  // before the row's), its contributor, and nothing unchecked may be added.
  struct Edit {
    std::string names;
    std::function<void(json&)> apply;
  };
  for (const Edit& e : std::vector<Edit>{
           {"proof.index", [](json& p) { p["index"] = p["index"].get<uint64_t>() - 1; }},
           {"proof.version", [](json& p) { p["version"] = 1; }},
           {"contribution is not in the version",
            [](json& p) {
              p["contribution"]["contributor"] =
                  Address::FromPublicKey(KeyPair::Generate().public_key()).ToString();
            }},
           {"proof.note", [](json& p) { p["note"] = "the first row"; }},
       }) {
    SCOPED_TRACE(e.names);
    json edited = proof.json();
    e.apply(edited["proof"]);
    auto ve = Cli({"verify-proof", WriteFile("edited-proof.json", edited.dump()).string()});
    EXPECT_NE(ve.exit_code, 0) << ve.out;
    EXPECT_NE(ve.err.find(e.names), std::string::npos) << ve.err;
  }
}

TEST_F(DatanetTest, BadInputGetsClearErrors) {
  FundedKey("owner5", "100");
  uint64_t id = Create("owner5", {});
  ASSERT_GT(id, 0u);
  const int port = node_->port();
  const std::string base = "/v1/datanets/" + std::to_string(id);
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/datanets/999"), 404, "unknown_datanet"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/datanets/abc"), 400, "bad_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/contributions/zz"), 400, "bad_hash"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/contributions/" + std::string(64, 'a')), 404,
                          "unknown_contribution"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, base + "/versions/1"), 404, "unknown_version"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, base + "/versions/1/rows"), 404, "unknown_version"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, base + "/contributions?limit=5000"), 400, "bad_param"));
  // Uploads: no files, a file type we do not parse, invalid UTF-8, no signed tx, wrong kind.
  EXPECT_TRUE(IsJsonError(HttpPost(port, base + "/contributions/prepare", "{}"), 400, "no_files"));
  EXPECT_TRUE(
      IsJsonError(HttpPost(port, base + "/contributions/prepare", "not json"), 400, "bad_json"));
  json pdf = {{"files", {{{"name", "a.pdf"}, {"content", "hello"}}}}};
  auto r = HttpPost(port, base + "/contributions/prepare", pdf.dump());
  EXPECT_TRUE(HasErrorShape(r)) << r.body;
  EXPECT_EQ(r.status, 400) << r.body;
  std::string boundary = "XyZ";
  std::string multipart =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
      "filename=\"bad.txt\"\r\n\r\nabc \xff\xfe def is long enough text\r\n"
      "--XyZ--\r\n";
  r = HttpPost(port, base + "/contributions/prepare", multipart,
               "multipart/form-data; boundary=" + boundary);
  EXPECT_TRUE(HasErrorShape(r)) << r.body;
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("bad.txt"), std::string::npos) << "the error names the file";
  // Malformed multipart bodies: the node's own parser names the problem in the JSON error.
  const std::string part_head =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n";
  for (const auto& [body, type, fragment] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {part_head + "text", "multipart/form-data; boundary=XyZ", "never ends"},
           {part_head + "text\r\n--XyZ--", "multipart/form-data", "without a boundary"},
           {"no parts at all", "multipart/form-data; boundary=XyZ", "never starts a part"},
           {"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--",
            "Multipart/Form-Data; boundary=XyZ", "has no name"},
           {"--XyZ\r\nContent-Disposition: form-data; name=\"tx\"\r\n\r\n" +
                std::string(100000, '[') + "\r\n--XyZ--",
            "multipart/form-data; boundary=XyZ", "nesting limit"},
           {"--XyZ\r\nContent-Disposition: form-data; name=\"tx\"\r\n\r\n{}\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"tx\"\r\n\r\n{}\r\n--XyZ--",
            "multipart/form-data; boundary=XyZ", "two 'tx' parts"},
       }) {
    r = HttpPost(port, base + "/contributions/prepare", body, type);
    EXPECT_TRUE(HasErrorShape(r)) << r.body;
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find(fragment), std::string::npos) << fragment << ": " << r.body;
  }
  // A client cannot make a JSON body be read as a form by sending the node's internal header.
  {
    httplib::Client client("127.0.0.1", port);
    auto injected =
        client.Post((base + "/contributions/prepare").c_str(),
                    {{"X-Tributary-Form-Content-Type", "multipart/form-data; boundary=XyZ"}},
                    pdf.dump(), "application/json");
    ASSERT_TRUE(injected);
    EXPECT_EQ(injected->status, 400) << injected->body;
    EXPECT_NE(injected->body.find("a.pdf"), std::string::npos)
        << "read as JSON: " << injected->body;
  }
  json rows = {{"rows", {{{"text", "A perfectly reasonable sentence about rivers and data."}}}}};
  EXPECT_TRUE(IsJsonError(HttpPost(port, base + "/contributions", rows.dump()), 400, "missing_tx"));
  auto chain = FetchChainInfo(port);
  ASSERT_TRUE(chain);
  KeyPair k = TestKey(51);
  Transaction t = BuildTransfer(*chain, k, 0, Address::FromPublicKey(k.public_key()), 1);
  rows["tx"] = json::parse(RawBody(t));
  EXPECT_TRUE(IsJsonError(HttpPost(port, base + "/contributions", rows.dump()), 400, "wrong_kind"));
  // contribution.submit without its rows is refused on the generic route.
  datanet::SubmitPayload p;
  p.datanet = id;
  p.rows = 1;
  p.bytes = 10;
  p.files = {{"a.txt", "txt", 10}};
  Transaction sub = BuildTx(*chain, k, 0, std::string(datanet::kSubmitKind), p.Encode());
  EXPECT_TRUE(IsJsonError(HttpPost(port, "/v1/tx", RawBody(sub)), 400, "use_contribution_route"));
  // A create with a bad license is refused before it reaches a block.
  auto bad_license = Cli({"datanet", "create", "--from", "owner5", "--name", "x", "--summary", "y",
                          "--license", "not a license"});
  EXPECT_TRUE(FailsWithOneErrorLine(bad_license, "bad_datanet")) << bad_license.err;
  auto bad_export = Cli({"datanet", "export", std::to_string(id), "--out", "x.jsonl"});
  EXPECT_TRUE(FailsWithOneErrorLine(bad_export, "bad_version")) << bad_export.err;
}

// kill -9 while an upload is stored but its tx not yet in a block: after the restart the
// contribution is unknown and its rows are gone (the same file is accepted again in full).
TEST(DatanetCrashTest, CrashDuringIngestionLeavesNoPartialState) {
  TempDir tmp;
  const std::vector<std::string> slow_blocks = {"--dev", "--block-interval-ms", "600000",
                                                "--rate-limit", "0"};
  NodeProcess node(tmp.path() / "data", tmp.path() / "home", slow_blocks);
  ASSERT_TRUE(node.Start()) << node.output();
  auto env = std::vector<std::string>{"TRIBUTARY_HOME=" + node.home().string()};
  // Blocks come every 10 minutes here, so create the Datanet in a node with fast blocks first.
  node.Stop();
  {
    NodeProcess fast(tmp.path() / "data", tmp.path() / "home");
    ASSERT_TRUE(fast.Start()) << fast.output();
    auto c = RunTributary({"--node", fast.url(), "datanet", "create", "--name", "crash",
                           "--summary", "s", "--license", "MIT"},
                          env);
    ASSERT_EQ(c.exit_code, 0) << c.err;
    fast.Stop();
  }
  ASSERT_TRUE(node.Start()) << node.output();
  std::string text = AsParagraphs(Fortunes("computers"));
  fs::path file = tmp.path() / "computers.txt";
  WriteFileBytes(file, text);
  // The upload blocks waiting for a block that does not come; kill the node once its tx is in
  // the mempool (its rows are stored by then).
  pid_t upload = SpawnTributary(
      {"--node", node.url(), "datanet", "contribute", "--datanet", "1", file.string()}, env,
      (tmp.path() / "up.log").string(), (tmp.path() / "up.log").string());
  bool queued = false;
  for (int i = 0; i < 300 && !queued; ++i) {
    auto m = HttpGet(node.port(), "/metrics");
    queued = m.body.find("tributary_mempool_size 1") != std::string::npos;
    if (!queued) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(queued) << ReadFileBytes(tmp.path() / "up.log");
  node.Kill();
  ::kill(upload, SIGKILL);
  ::waitpid(upload, nullptr, 0);

  NodeProcess fast(tmp.path() / "data", tmp.path() / "home");
  ASSERT_TRUE(fast.Start()) << fast.output();
  auto d = HttpGet(fast.port(), "/v1/datanets/1").json();
  EXPECT_EQ(d["stats"]["contributions"], 0);
  auto again = RunTributary(
      {"--json", "--node", fast.url(), "datanet", "contribute", "--datanet", "1", file.string()},
      env);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  json j = json::parse(again.out);
  for (const auto& v : j["report"]["rows"]) {
    EXPECT_NE(v.value("reason", ""), "duplicate_in_datanet") << "rows of the lost upload remain";
  }
}

// `make run` seeds a living demo on first start, and only then.
TEST(DatanetDemoTest, FirstStartSeedsTheDemoOnce) {
  TempDir tmp;
  const std::vector<std::string> demo = {"--dev", "--demo",       "--block-interval-ms",
                                         "0",     "--rate-limit", "0"};
  {
    NodeProcess node(tmp.path() / "data", tmp.path() / "home", demo);
    ASSERT_TRUE(node.Start(60000)) << node.output();
    EXPECT_NE(node.output().find("demo: seeded"), std::string::npos) << node.output();
    auto list = HttpGet(node.port(), "/v1/datanets").json()["datanets"];
    ASSERT_EQ(list.size(), 2u);
    for (const auto& d : list) {
      EXPECT_EQ(d["stats"]["versions"], 1) << d.dump();
      EXPECT_EQ(d["schema"]["kind"], "prompt_response") << d.dump();
    }
    EXPECT_EQ(list[0]["stats"]["accepted_rows"], 42) << list[0].dump();  // three contributors
    EXPECT_EQ(list[1]["stats"]["accepted_rows"], 16) << list[1].dump();  // two
    EXPECT_EQ(list[0]["stats"]["rejected"], 1);
    auto contribs = HttpGet(node.port(), "/v1/datanets/1/contributions").json()["contributions"];
    ASSERT_EQ(contribs.size(), 4u);
    // demo-dave's retyped copies of demo-alice's rows are caught as near duplicates.
    auto retyped =
        HttpGet(node.port(), "/v1/contributions/" + contribs[3]["id"].get<std::string>()).json();
    int near = 0;
    for (const auto& v : retyped["report"]["rows"])
      near += v.value("reason", "") == "near_duplicate";
    EXPECT_EQ(near, 8) << retyped.dump();
    auto rows = HttpGet(node.port(), "/v1/datanets/1/versions/1/rows?limit=100").json()["rows"];
    ASSERT_EQ(rows.size(), 42u);
    EXPECT_TRUE(rows[0]["row"].contains("prompt")) << rows[0].dump();
    node.Stop();
  }
  NodeProcess again(tmp.path() / "data", tmp.path() / "home", demo);
  ASSERT_TRUE(again.Start()) << again.output();
  EXPECT_EQ(again.output().find("demo: seeded"), std::string::npos);
  EXPECT_EQ(HttpGet(again.port(), "/v1/datanets").json()["datanets"].size(), 2u);
}

}  // namespace
}  // namespace tributary::testing
