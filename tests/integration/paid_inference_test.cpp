// Payable inference end to end on a real node: an app's API key pays for chat completions from a
// registered adapter, each answer is attributed in the serving worker, its receipt is journaled,
// settled on the ledger and split exactly between the contributors, the model's owner and the
// treasury; the receipt verifies offline; bad, revoked, limited and unfunded keys get OpenAI-shaped
// errors; racing requests never overspend; and kill -9 neither loses a charge nor makes it twice.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "support/planted_model.h"
#include "support/tx_util.h"
#include "tributary/ledger/account.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Answer {
  int status = 0;
  json body;
  std::string request_id;
  std::string raw;
};

class PaidInferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    planted_ = new PlantedModel(BuildPlantedModel(tmp_->path()));
    BuildPlantedIndex(planted_);  // span attribution needs the lineage's index
  }
  static void TearDownTestSuite() {
    delete planted_;
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_TRUE(planted_->error.empty()) << planted_->error;
    ASSERT_TRUE(planted_->node && planted_->node->Running());
  }
  static NodeProcess& Node() { return *planted_->node; }
  static std::string Model() { return planted_->model; }

  // A funded account `name` with an API key; returns the secret.
  static std::string KeyFor(const std::string& name, const std::string& tokens,
                            std::vector<std::string> extra = {}) {
    FundedKey(Node(), name, tokens);
    std::vector<std::string> args = {"--json", "apikey",  "create",     "--from",
                                     name,     "--label", name + "-app"};
    for (auto& e : extra) args.push_back(e);
    auto r = RunCli(Node(), args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("key", "") : "";
  }
  static Amount Balance(const std::string& address) {
    json a = HttpGet(Node().port(), "/v1/accounts/" + address).json();
    auto v = ParseAmount(a.is_object() ? a.value("balance", "0") : "0");
    return v.ok() ? *v : 0;
  }
  static std::string Address(const std::string& key_name) {
    auto a = RunCli(Node(), {"keys", "show", key_name, "--address"}).out;
    return a.substr(0, a.find('\n'));
  }
  static Answer Chat(const std::string& key, const std::string& question, bool stream = false,
                     json extra = json::object()) {
    httplib::Client client("127.0.0.1", Node().port());
    client.set_read_timeout(120);
    json body = {{"model", Model()},
                 {"messages", {{{"role", "user"}, {"content", question}}}},
                 {"max_tokens", 12},
                 {"temperature", 0},
                 {"stream", stream}};
    for (auto& [k, v] : extra.items()) body[k] = v;
    httplib::Headers headers;
    if (!key.empty()) headers.emplace("Authorization", "Bearer " + key);
    auto r = client.Post("/v1/chat/completions", headers, body.dump(), "application/json");
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.raw = r->body;
    a.request_id = r->get_header_value("x-tributary-request-id");
    if (!stream) {
      a.body = json::parse(r->body, nullptr, false);
      return a;
    }
    // The stream's events; `body` is the last JSON chunk.
    a.body = json::array();
    size_t pos = 0;
    while ((pos = r->body.find("data: ", pos)) != std::string::npos) {
      size_t end = r->body.find("\n\n", pos);
      std::string data = r->body.substr(pos + 6, end - pos - 6);
      if (data != "[DONE]") a.body.push_back(json::parse(data, nullptr, false));
      pos = end;
    }
    return a;
  }
  // Waits for the receipt to settle; its JSON ({"status", "receipt", "proof"}) or null.
  static json Settled(const std::string& id, int seconds = 30) {
    for (int i = 0; i < seconds * 20; ++i) {
      auto r = HttpGet(Node().port(), "/v1/receipts/" + id);
      if (r.status == 200) return r.json();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
  }
  static std::string ErrorCode(const Answer& a) {
    return a.body.is_object() && a.body.contains("error") && a.body["error"]["code"].is_string()
               ? a.body["error"]["code"].get<std::string>()
               : "";
  }

  static TempDir* tmp_;
  static PlantedModel* planted_;
};

TempDir* PaidInferenceTest::tmp_ = nullptr;
PlantedModel* PaidInferenceTest::planted_ = nullptr;

// The loop the product exists for: pay, get an answer with its receipt, and every account moves
// by exactly its part of the fee once the receipt settles; the receipt proves itself offline.
TEST_F(PaidInferenceTest, APaidAnswerMovesExactlyItsFeeToContributorsOwnerAndTreasury) {
  const std::string key = KeyFor("app", "1");
  ASSERT_FALSE(key.empty());
  const std::string app = Address("app");
  std::map<std::string, Amount> before;
  for (const auto& who : {"alice", "bob", "carol", "dev"}) before[who] = Balance(Address(who));
  const std::string treasury = TreasuryAddress().ToString();
  const Amount app_before = Balance(app), treasury_before = Balance(treasury);

  const PlantedFact& f = planted_->facts[3];
  Answer a = Chat(key, f.prompt);
  ASSERT_EQ(a.status, 200) << a.raw;
  const json& receipt = a.body["tributary"]["receipt"];
  ASSERT_TRUE(receipt.is_object()) << a.raw;
  EXPECT_EQ(receipt["request_id"], a.request_id);
  EXPECT_EQ(receipt["attribution"], "engine") << receipt.dump();
  const int64_t tokens = a.body["usage"]["total_tokens"].get<int64_t>();
  const Amount fee = *ParseAmount(receipt["fee"].get<std::string>());
  // 0.001 OPEN per 1,000 tokens = 10^12 base units a token.
  EXPECT_EQ(fee, Amount(tokens) * Pow10(12));
  // The tiny model's answer is traced to the rows it was found in (it need not be the right one).
  ASSERT_FALSE(receipt["top_contributions"].empty()) << receipt.dump();
  const json top = receipt["top_contributions"][0];

  json settled = Settled(a.request_id);
  ASSERT_TRUE(settled.is_object()) << "the receipt never settled";
  const json& r = settled["receipt"];
  EXPECT_EQ(r["payer"], app);
  EXPECT_EQ(r["paid"], receipt["fee"]);
  EXPECT_EQ(r["prompt_tokens"].get<int64_t>() + r["completion_tokens"].get<int64_t>(), tokens);
  // Every account moved by exactly its part; the parts add up to the fee.
  EXPECT_EQ(app_before - Balance(app), fee);
  std::map<std::string, Amount> credited;
  Amount sum = 0;
  for (const auto& p : r["split"]) {
    credited[p["account"].get<std::string>()] += *ParseAmount(p["amount"].get<std::string>());
    sum += *ParseAmount(p["amount"].get<std::string>());
  }
  EXPECT_EQ(sum, fee);
  for (const auto& who : {"alice", "bob", "carol", "dev"}) {
    EXPECT_EQ(Balance(Address(who)) - before[who], credited[Address(who)]) << who;
  }
  EXPECT_EQ(Balance(treasury) - treasury_before, credited[treasury]);
  const Amount five_percent = fee * 5 / 100;  // the exact share, rounded down
  EXPECT_TRUE(credited[treasury] == five_percent || credited[treasury] == five_percent + 1)
      << "5% to the treasury";
  const std::string earner = top["contributor"];
  EXPECT_GT(credited[earner], Amount{0}) << "the top contribution's contributor earned";

  // The contributor's earnings, by contribution; and the receipt verifies offline.
  json e = HttpGet(Node().port(), "/v1/accounts/" + earner + "/earnings").json();
  EXPECT_NE(e.value("total", "0"), "0") << e.dump();
  bool by_contribution = false;
  for (const auto& x : e["by_contribution"])
    by_contribution |= x["contribution"] == top["contribution"];
  EXPECT_TRUE(by_contribution) << e.dump();
  const fs::path proof = tmp_->path() / "receipt.json";
  auto saved = RunCli(Node(), {"receipt", a.request_id, "--out", proof.string()});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_NE(saved.out.find("treasury"), std::string::npos) << saved.out;
  auto check = RunTributary({"verify-proof", proof.string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("VALID: receipt " + a.request_id), std::string::npos) << check.out;
  // One whose readable fields were edited is refused, naming the field.
  json doc = json::parse(ReadFileBytes(proof));
  for (const std::string field : {"fee", "paid", "split"}) {
    SCOPED_TRACE(field);
    json edited = doc;
    if (field == "split") {
      edited["receipt"]["split"][0]["amount"] = AmountToString(fee);
    } else {
      edited["receipt"][field] = AmountToString(fee + 1);
    }
    const fs::path file = tmp_->path() / "edited-receipt.json";
    WriteFileBytes(file, edited.dump());
    auto refused = RunTributary({"verify-proof", file.string()});
    EXPECT_NE(refused.exit_code, 0) << refused.out;
    EXPECT_NE(refused.err.find("receipt." + field), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("misleading_proof"), std::string::npos) << refused.err;
  }
  // A tampered receipt does not verify.
  std::string value = doc["proof"]["value"];
  doc["proof"]["value"] = FlipHexDigit(value, value.size() / 2);
  WriteFileBytes(proof, doc.dump());
  EXPECT_NE(RunTributary({"verify-proof", proof.string()}).exit_code, 0);

  auto earned = RunCli(Node(), {"earnings", earner});
  EXPECT_EQ(earned.exit_code, 0) << earned.err;
  EXPECT_NE(earned.out.find(top["contribution"].get<std::string>()), std::string::npos)
      << earned.out;
}

// A streamed answer carries its receipt in the last chunk before [DONE], and is charged the same.
TEST_F(PaidInferenceTest, AStreamedAnswerCarriesItsReceiptInTheLastChunk) {
  const std::string key = KeyFor("streamer", "1");
  const std::string payer = Address("streamer");
  const Amount before = Balance(payer);
  Answer a = Chat(key, planted_->facts[12].prompt, true);
  ASSERT_EQ(a.status, 200) << a.raw;
  ASSERT_GE(a.body.size(), 2u) << a.raw;
  const json& last = a.body.back();
  ASSERT_TRUE(last.contains("tributary") && last["tributary"].contains("receipt")) << a.raw;
  EXPECT_TRUE(last["choices"].empty());
  for (const auto& chunk : a.body) {
    EXPECT_FALSE(chunk.contains("usage")) << "the client did not ask for usage: " << chunk.dump();
  }
  const json& receipt = last["tributary"]["receipt"];
  json settled = Settled(receipt["request_id"]);
  ASSERT_TRUE(settled.is_object());
  EXPECT_EQ(before - Balance(payer), *ParseAmount(receipt["fee"].get<std::string>()));
  // With include_usage the usage chunk comes through too.
  Answer u =
      Chat(key, planted_->facts[12].prompt, true, {{"stream_options", {{"include_usage", true}}}});
  ASSERT_EQ(u.status, 200);
  bool usage = false;
  for (const auto& chunk : u.body) usage |= chunk.contains("usage") && chunk["choices"].empty();
  EXPECT_TRUE(usage) << u.raw;
}

TEST_F(PaidInferenceTest, BadKeysLimitsAndFundsGetOpenAiErrors) {
  const PlantedFact& f = planted_->facts[0];
  Answer none = Chat("", f.prompt);
  EXPECT_EQ(none.status, 401) << none.raw;
  EXPECT_EQ(ErrorCode(none), "invalid_api_key");
  EXPECT_EQ(none.body["error"]["type"], "authentication_error");
  Answer unknown = Chat("trb-sk-nobody", f.prompt);
  EXPECT_EQ(unknown.status, 401) << unknown.raw;
  EXPECT_EQ(ErrorCode(unknown), "invalid_api_key");

  // Revoked.
  const std::string key = KeyFor("revoker", "1");
  ASSERT_EQ(Chat(key, f.prompt).status, 200);
  auto revoke = RunCli(Node(), {"apikey", "revoke", "--from", "revoker", key});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  Answer revoked = Chat(key, f.prompt);
  EXPECT_EQ(revoked.status, 401) << revoked.raw;
  auto list = RunCliJson(Node(), {"apikey", "list", "revoker"});
  ASSERT_EQ(list["keys"].size(), 1u) << list.dump();
  EXPECT_TRUE(list["keys"][0]["revoked"].get<bool>());

  // A key for another model, a key with a daily limit below one answer.
  FundedKey(Node(), "restricted", "1");
  auto other = RunCli(Node(), {"apikey", "create", "--from", "restricted", "--models", "99"});
  EXPECT_NE(other.exit_code, 0) << "model 99 does not exist: the key is refused";
  EXPECT_NE(other.err.find("unknown_model"), std::string::npos) << other.err;
  const std::string only_model = KeyFor("scoped", "1", {"--models", Model()});
  EXPECT_EQ(Chat(only_model, f.prompt).status, 200);
  const std::string limited = KeyFor("limited", "1", {"--daily-limit", "0.000001"});
  Answer over = Chat(limited, f.prompt);
  EXPECT_EQ(over.status, 403) << over.raw;
  EXPECT_EQ(ErrorCode(over), "limit_reached");

  // Too little money for what the request may cost (its max_tokens within the context).
  const std::string poor = KeyFor("poor", "0.0001");
  Answer broke = Chat(poor, f.prompt, false, {{"max_tokens", 200}});
  EXPECT_EQ(broke.status, 402) << broke.raw;
  EXPECT_EQ(ErrorCode(broke), "insufficient_funds");

  // The base is free: no key needed.
  httplib::Client client("127.0.0.1", Node().port());
  client.set_read_timeout(60);
  auto base = client.Post("/v1/chat/completions",
                          json{{"model", "base"},
                               {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                               {"max_tokens", 4}}
                              .dump(),
                          "application/json");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->status, 200) << base->body;
  EXPECT_FALSE(json::parse(base->body)["tributary"].contains("receipt"));

  // Receipts: a malformed id, an unknown one.
  EXPECT_EQ(HttpGet(Node().port(), "/v1/receipts/bad%20id").status, 400);
  EXPECT_EQ(HttpGet(Node().port(), "/v1/receipts/unknown").status, 404);
  EXPECT_EQ(HttpGet(Node().port(), "/v1/accounts/nope/earnings").status, 400);
  EXPECT_NE(
      RunCli(Node(), {"apikey", "create", "--from", "app2", "--daily-limit", "lots"}).exit_code, 0);
}

// Racing requests on one balance: reservations hold the most each may cost, so the account never
// pays more than it has, and what it paid is exactly the sum of its answers' fees.
TEST_F(PaidInferenceTest, ConcurrentRequestsNeverOverspend) {
  // 0.0004 OPEN: after the key's tx fee, room for one reservation of 256 tokens (2.56e14), not two.
  const std::string key = KeyFor("racer", "0.0004");
  const std::string payer = Address("racer");
  const Amount before = Balance(payer);
  std::vector<std::thread> threads;
  std::vector<Answer> answers(6);
  for (size_t i = 0; i < answers.size(); ++i) {
    threads.emplace_back([&, i] {
      answers[i] = Chat(key, planted_->facts[i].prompt, false, {{"max_tokens", 250}});
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, refused = 0;
  Amount fees = 0;
  for (const auto& a : answers) {
    if (a.status == 200) {
      ok++;
      fees += *ParseAmount(a.body["tributary"]["receipt"]["fee"].get<std::string>());
      ASSERT_TRUE(Settled(a.request_id).is_object());
    } else {
      EXPECT_EQ(a.status, 402) << a.raw;
      refused++;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(refused, 1) << "six requests cannot all fit in one reservation's funds";
  EXPECT_EQ(before - Balance(payer), fees);
  EXPECT_LE(fees, before);
}

// kill -9 while answers are being paid: every acknowledged answer is settled once the node is back,
// and the payer paid exactly what its key's settled receipts say, never twice.
TEST_F(PaidInferenceTest, KillNineNeitherLosesNorDoublesACharge) {
  const std::string key = KeyFor("crash", "5");
  const std::string payer = Address("crash");
  const Amount before = Balance(payer);
  std::set<std::string> acknowledged;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::thread> threads;
    std::vector<Answer> answers(4);
    std::atomic<int> done{0};
    for (size_t i = 0; i < answers.size(); ++i) {
      threads.emplace_back([&, i] {
        answers[i] = Chat(key, planted_->facts[10 + i + 4 * round].prompt);
        done++;
      });
    }
    // Kill once the first answers are back (others may be mid-flight or journaled, unsent).
    while (done.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Node().Kill();
    for (auto& t : threads) t.join();
    for (const auto& a : answers) {
      if (a.status == 200) acknowledged.insert(a.request_id);
    }
    ASSERT_TRUE(Node().Start(60000)) << Node().output();
    for (int i = 0; i < 600; ++i) {
      json h = HttpGet(Node().port(), "/healthz").json();
      if (h.is_object() && h.value("serving", "") == "ready") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_GE(acknowledged.size(), 6u);
  Amount settled_fees = 0;
  for (const auto& id : acknowledged) {
    json s = Settled(id);
    ASSERT_TRUE(s.is_object()) << "acknowledged answer " << id << " was never settled";
    settled_fees += *ParseAmount(s["receipt"]["paid"].get<std::string>());
  }
  // Let anything journaled but unacknowledged settle too, then compare with the key's record.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  json keys = RunCliJson(Node(), {"apikey", "list", "crash"});
  ASSERT_EQ(keys["keys"].size(), 1u);
  const Amount spent = *ParseAmount(keys["keys"][0]["spent_total"].get<std::string>());
  EXPECT_EQ(before - Balance(payer), spent) << "the payer paid what its receipts say";
  EXPECT_GE(spent, settled_fees);
  EXPECT_LE(keys["keys"][0]["requests"].get<uint64_t>(), 12u) << "no receipt settled twice";
  EXPECT_GE(keys["keys"][0]["requests"].get<uint64_t>(), acknowledged.size());
}

}  // namespace
}  // namespace tributary::testing
