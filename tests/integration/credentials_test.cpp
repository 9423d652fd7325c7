// Which credentials each of the node's routes accepts, walked route by route on a real node that
// serves a priced adapter: reads and computations that change nothing take none; whatever moves
// money or data takes a transaction signed by its account (a flipped signature byte is refused);
// a priced model's answers take an API key; routes that change the node rather than the ledger
// take the operator token. The table below names every route; a route added to src/api without a
// line here fails EveryRouteInTheSourcesIsClassified (docs/security.md).
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "support/planted_model.h"
#include "support/tx_util.h"
#include "tributary/api/node_server.h"
#include "tributary/base/hash.h"
#include "tributary/datanet/kinds.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

enum class Credential {
  kNone,            //!< reads, and computations that change nothing
  kSignedTx,        //!< the body carries a tx signed by the account it acts for
  kApiKeyIfPriced,  //!< OpenAI routes: a priced model's answers are paid by an API key
  kOperator,        //!< changes the node, not the ledger: Authorization: Bearer <operator token>
};

struct RouteRule {
  const char* method;
  const char* pattern;  //!< as registered in src/api
  Credential credential;
  //! A concrete path; {addr} {datanet} {model} {contribution} {row} {tx} are filled in.
  const char* sample;
};

const std::vector<RouteRule>& Rules() {
  using C = Credential;
  static const std::vector<RouteRule> rules = {
      {"GET", "/.*", C::kNone, "/"},
      {"GET", "/healthz", C::kNone, "/healthz"},
      {"GET", "/metrics", C::kNone, "/metrics"},
      {"GET", "/v1/accounts/([^/]+)", C::kNone, "/v1/accounts/{addr}"},
      {"GET", "/v1/accounts/([^/]+)/apikeys", C::kNone, "/v1/accounts/{addr}/apikeys"},
      {"GET", "/v1/accounts/([^/]+)/earnings", C::kNone, "/v1/accounts/{addr}/earnings"},
      {"GET", "/v1/accounts/([^/]+)/receipts", C::kNone, "/v1/accounts/{addr}/receipts"},
      {"GET", "/v1/accounts/([^/]+)/votes", C::kNone, "/v1/accounts/{addr}/votes"},
      {"GET", "/v1/agents", C::kNone, "/v1/agents"},
      {"GET", "/v1/agents/([^/]+)", C::kNone, "/v1/agents/1"},
      {"GET", "/v1/blocks", C::kNone, "/v1/blocks"},
      {"GET", "/v1/blocks/([^/]+)", C::kNone, "/v1/blocks/latest"},
      {"GET", "/v1/bridge/deposits/([^/]+)", C::kNone, "/v1/bridge/deposits/1"},
      {"GET", "/v1/bridge/withdrawals/([^/]+)", C::kNone, "/v1/bridge/withdrawals/1"},
      {"GET", "/v1/chain", C::kNone, "/v1/chain"},
      {"GET", "/v1/contributions/([^/]+)", C::kNone, "/v1/contributions/{contribution}"},
      {"GET", "/v1/datanets", C::kNone, "/v1/datanets"},
      {"GET", "/v1/datanets/([^/]+)", C::kNone, "/v1/datanets/{datanet}"},
      {"GET", "/v1/datanets/([^/]+)/contributions", C::kNone,
       "/v1/datanets/{datanet}/contributions"},
      {"GET", "/v1/datanets/([^/]+)/leaderboard", C::kNone, "/v1/datanets/{datanet}/leaderboard"},
      {"GET", "/v1/datanets/([^/]+)/versions", C::kNone, "/v1/datanets/{datanet}/versions"},
      {"GET", "/v1/datanets/([^/]+)/versions/([^/]+)", C::kNone,
       "/v1/datanets/{datanet}/versions/1"},
      {"GET", "/v1/datanets/([^/]+)/versions/([^/]+)/rows", C::kNone,
       "/v1/datanets/{datanet}/versions/1/rows"},
      {"GET", "/v1/datanets/([^/]+)/versions/([^/]+)/rows/([^/]+)/proof", C::kNone,
       "/v1/datanets/{datanet}/versions/1/rows/{row}/proof"},
      {"GET", "/v1/earners", C::kNone, "/v1/earners"},
      {"GET", "/v1/index/status", C::kNone, "/v1/index/status"},
      {"GET", "/v1/models", C::kNone, "/v1/models"},
      {"GET", "/v1/models/([^/]+)", C::kNone, "/v1/models/{model}"},
      {"GET", "/v1/params", C::kNone, "/v1/params"},
      {"GET", "/v1/params/([^/]+)", C::kNone, "/v1/params/fees.protocol_share_ppm"},
      {"GET", "/v1/proposals", C::kNone, "/v1/proposals"},
      {"GET", "/v1/proposals/([^/]+)", C::kNone, "/v1/proposals/1"},
      {"GET", "/v1/receipts/([^/]+)", C::kNone, "/v1/receipts/00112233445566778899aabbccddeeff"},
      {"GET", "/v1/reports", C::kNone, "/v1/reports"},
      {"GET", "/v1/reports/([^/]+)", C::kNone, "/v1/reports/1"},
      {"GET", "/v1/rewards/epochs/([^/]+)", C::kNone, "/v1/rewards/epochs/1"},
      {"GET", "/v1/rewards/epochs/([^/]+)/claims/([^/]+)", C::kNone,
       "/v1/rewards/epochs/1/claims/0x0000000000000000000000000000000000000001"},
      {"GET", "/v1/rewards/payouts/([^/]+)", C::kNone, "/v1/rewards/payouts/{addr}"},
      {"GET", "/v1/settlement", C::kNone, "/v1/settlement"},
      {"GET", "/v1/staking", C::kNone, "/v1/staking"},
      {"GET", "/v1/tx/([^/]+)", C::kNone, "/v1/tx/{tx}"},
      {"POST", "/v1/attribution", C::kNone, "/v1/attribution"},
      {"POST", "/v1/datanets/([^/]+)/contributions/prepare", C::kNone,
       "/v1/datanets/{datanet}/contributions/prepare"},
      {"POST", "/v1/chat/completions", C::kApiKeyIfPriced, "/v1/chat/completions"},
      {"POST", "/v1/completions", C::kApiKeyIfPriced, "/v1/completions"},
      {"POST", "/v1/contributions/([^/]+)/review", C::kSignedTx,
       "/v1/contributions/{contribution}/review"},
      {"POST", "/v1/datanets", C::kSignedTx, "/v1/datanets"},
      {"POST", "/v1/datanets/([^/]+)", C::kSignedTx, "/v1/datanets/{datanet}"},
      {"POST", "/v1/datanets/([^/]+)/contributions", C::kSignedTx,
       "/v1/datanets/{datanet}/contributions"},
      {"POST", "/v1/datanets/([^/]+)/versions", C::kSignedTx, "/v1/datanets/{datanet}/versions"},
      {"POST", "/v1/models", C::kSignedTx, "/v1/models"},
      {"POST", "/v1/tx", C::kSignedTx, "/v1/tx"},
      {"POST", "/v1/txs", C::kSignedTx, "/v1/txs"},
      {"POST", "/v1/load_lora_adapter", C::kOperator, "/v1/load_lora_adapter"},
      {"POST", "/v1/unload_lora_adapter", C::kOperator, "/v1/unload_lora_adapter"},
  };
  return rules;
}

// Every (method, pattern) that src/api registers with httplib.
std::set<std::pair<std::string, std::string>> RoutesInSources() {
  static const std::regex route(
      R"re(\bserver_?\s*\.\s*(Get|Post|Put|Delete|Patch|Options)\(\s*(?:R"\((.*?)\)"|"([^"]*)"))re");
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& e : fs::directory_iterator(fs::path(TRIBUTARY_SOURCE_DIR) / "src" / "api")) {
    if (e.path().extension() != ".cpp") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), route);
         it != std::sregex_iterator(); ++it) {
      std::string method = (*it)[1];
      for (auto& ch : method) ch = static_cast<char>(std::toupper(ch));
      out.emplace(method, (*it)[2].matched ? (*it)[2].str() : (*it)[3].str());
    }
  }
  return out;
}

TEST(CredentialWalkTest, EveryRouteInTheSourcesIsClassified) {
  auto routes = RoutesInSources();
  ASSERT_GT(routes.size(), 40u)
      << "the route scan found too little: is TRIBUTARY_SOURCE_DIR right?";
  std::set<std::pair<std::string, std::string>> table;
  for (const auto& r : Rules()) table.emplace(r.method, r.pattern);
  for (const auto& r : routes) {
    EXPECT_TRUE(table.count(r)) << r.first << " " << r.second
                                << " is not in this test's table: say which credential it takes";
  }
  for (const auto& r : table) {
    EXPECT_TRUE(routes.count(r)) << r.first << " " << r.second << " is no longer registered";
  }
}

class CredentialWalk : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    planted_ = new PlantedModel(BuildPlantedModel(tmp_->path()));
    BuildPlantedIndex(planted_);  // POST /v1/attribution needs it
  }
  static void TearDownTestSuite() {
    delete planted_;
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_TRUE(planted_->error.empty()) << planted_->error;
    ASSERT_TRUE(planted_->node && planted_->node->Running());
  }
  static int Port() { return planted_->node->port(); }
  static std::string AddressOf(const std::string& key) {
    auto a = RunCli(*planted_->node, {"keys", "show", key, "--address"}).out;
    return a.substr(0, a.find('\n'));
  }

  // A committed tx of `kind` from the chain (walking back from the tip); nullopt when none.
  static std::optional<Transaction> CommittedTx(const std::string& kind) {
    json tip = HttpGet(Port(), "/v1/blocks/latest").json();
    const uint64_t height = tip.value("height", uint64_t{0});
    for (uint64_t h = height; h > 0; --h) {
      json b = HttpGet(Port(), "/v1/blocks/" + std::to_string(h)).json();
      if (!b.is_object() || !b.contains("txs")) continue;
      for (const auto& hash : b["txs"]) {
        json t = HttpGet(Port(), "/v1/tx/" + hash.get<std::string>()).json();
        if (!t.is_object() || !t.contains("tx") || t["tx"].value("kind", "") != kind) continue;
        auto bytes = FromHex(t["tx"].value("raw", ""));
        if (!bytes.ok()) continue;
        auto tx = Transaction::Decode(*bytes);
        if (tx.ok()) return *tx;
      }
    }
    return std::nullopt;
  }

  static TempDir* tmp_;
  static PlantedModel* planted_;
};

TempDir* CredentialWalk::tmp_ = nullptr;
PlantedModel* CredentialWalk::planted_ = nullptr;

// The same tx with one byte of its signature flipped.
Transaction Forged(Transaction tx) {
  tx.signature[7] ^= 0x01;
  return tx;
}

json RawJson(const Transaction& tx) { return {{"raw", ToHex(tx.Encode())}}; }

HttpResponse PostWith(int port, const std::string& path, const std::string& body,
                      const std::string& authorization) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120);
  httplib::Headers headers;
  if (!authorization.empty()) headers.emplace("Authorization", authorization);
  auto r = client.Post(path, headers, body, "application/json");
  HttpResponse out;
  if (r) {
    out.status = r->status;
    out.body = r->body;
  }
  return out;
}

std::string ErrorCode(const HttpResponse& r) {
  json j = r.json();
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  return j["error"].value("code", "");
}

bool IsAuthRefusal(const HttpResponse& r) { return r.status == 401 || r.status == 403; }

TEST_F(CredentialWalk, EveryRouteTakesOnlyItsCredentials) {
  const std::string dev = AddressOf("dev");
  const PlantedFact& fact = planted_->facts.at(0);
  auto committed_transfer = CommittedTx("transfer");
  ASSERT_TRUE(committed_transfer) << "no transfer on the chain";
  const std::string tx_hash = ToHex(Sha256(committed_transfer->Encode()));
  auto fill = [&](std::string path) {
    const std::vector<std::pair<std::string, std::string>> values = {
        {"{addr}", dev},
        {"{datanet}", std::to_string(planted_->datanet)},
        {"{model}", planted_->model},
        {"{contribution}", fact.contribution},
        {"{row}", fact.row_id},
        {"{tx}", tx_hash}};
    for (const auto& [key, value] : values) {
      for (size_t at; (at = path.find(key)) != std::string::npos;)
        path.replace(at, key.size(), value);
    }
    return path;
  };

  // The credentials this walk holds: the operator token (--dev wrote it), an API key of a funded
  // account, and keys that sign.
  std::string operator_token;
  std::ifstream(planted_->data / "operator.token") >> operator_token;
  ASSERT_FALSE(operator_token.empty());
  const std::string api_key = PlantedApiKey(*planted_, "walker", "5");
  ASSERT_FALSE(api_key.empty());
  auto chain = FetchChainInfo(Port());
  ASSERT_TRUE(chain);
  const KeyPair stranger = TestKey(77);

  int walked = 0;
  for (const auto& rule : Rules()) {
    const std::string path = fill(rule.sample);
    SCOPED_TRACE(std::string(rule.method) + " " + path);
    ++walked;
    switch (rule.credential) {
      case Credential::kNone: {
        HttpResponse r;
        if (std::string(rule.method) == "GET") {
          r = HttpGet(Port(), path);
        } else if (path == "/v1/attribution") {
          r = PostWith(
              Port(), path,
              json{{"model", planted_->model}, {"prompt", fact.prompt}, {"output", fact.response}}
                  .dump(),
              "");
          EXPECT_EQ(r.status, 200) << r.body;
        } else {  // contributions/prepare: a report and the payload to sign; nothing is stored
          httplib::Client client("127.0.0.1", Port());
          httplib::MultipartFormDataItems items = {
              {"file", "{\"prompt\":\"Walk?\",\"response\":\"Yes.\"}\n", "walk.jsonl",
               "application/jsonl"}};
          auto res = client.Post(path, items);
          ASSERT_TRUE(res);
          r.status = res->status;
          r.body = res->body;
          EXPECT_EQ(r.status, 200) << r.body;
        }
        EXPECT_NE(r.status, 0) << "no answer";
        EXPECT_FALSE(IsAuthRefusal(r)) << r.status << " " << r.body;
        EXPECT_LT(r.status, 500) << r.body;
        break;
      }
      case Credential::kOperator: {
        const std::string body = json{{"lora_name", "walk"}}.dump();
        for (const std::string& auth : std::vector<std::string>{
                 "", "Bearer wrong-token", "Bearer " + api_key, operator_token}) {
          auto r = PostWith(Port(), path, body, auth);
          EXPECT_EQ(r.status, 401) << "Authorization '" << auth << "': " << r.body;
        }
        auto ok = PostWith(Port(), path, body, "Bearer " + operator_token);
        EXPECT_FALSE(IsAuthRefusal(ok)) << ok.status << " " << ok.body;
        EXPECT_LT(ok.status, 500) << ok.body;
        break;
      }
      case Credential::kApiKeyIfPriced: {
        const bool chat = path == "/v1/chat/completions";
        auto body_for = [&](const std::string& model) {
          json b = {{"model", model}, {"max_tokens", 2}, {"temperature", 0}};
          if (chat) {
            b["messages"] = json::array({{{"role", "user"}, {"content", fact.prompt}}});
          } else {
            b["prompt"] = fact.prompt;
          }
          return b.dump();
        };
        for (const std::string& auth :
             std::vector<std::string>{"", "Bearer not-a-key", "Bearer " + operator_token}) {
          auto r = PostWith(Port(), path, body_for(planted_->model), auth);
          EXPECT_EQ(r.status, 401) << "Authorization '" << auth << "': " << r.body;
          EXPECT_EQ(ErrorCode(r), "invalid_api_key") << r.body;
        }
        auto paid = PostWith(Port(), path, body_for(planted_->model), "Bearer " + api_key);
        EXPECT_EQ(paid.status, 200) << paid.body;
        auto free = PostWith(Port(), path, body_for("base"), "");
        EXPECT_EQ(free.status, 200) << "the base is free: " << free.body;
        break;
      }
      case Credential::kSignedTx:
        break;  // below, route by route: each needs a tx of its own kind
    }
  }
  EXPECT_EQ(walked, static_cast<int>(Rules().size()));

  // Signed routes: a tx of the route's kind with one signature byte flipped is refused with
  // bad_signature, and nothing changes.
  const std::string ds = std::to_string(planted_->datanet);
  auto expect_forgery_refused = [&](const std::string& path, const std::string& body) {
    SCOPED_TRACE("POST " + path);
    auto r = PostWith(Port(), path, body, "");
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(ErrorCode(r), "bad_signature") << r.body;
  };
  const uint64_t nonce =
      FetchNextNonce(Port(), Address::FromPublicKey(stranger.public_key())).value_or(0);
  auto fresh = [&](std::string_view kind, Bytes payload) {
    return BuildTx(*chain, stranger, nonce, std::string(kind), std::move(payload), Tokens(1));
  };

  // Transfers, alone and in a batch: a forged copy of dev's committed transfer.
  expect_forgery_refused("/v1/tx", RawJson(Forged(*committed_transfer)).dump());
  {
    auto r =
        PostWith(Port(), "/v1/txs",
                 json{{"txs", json::array({RawJson(Forged(*committed_transfer))})}}.dump(), "");
    ASSERT_EQ(r.status, 200) << r.body;
    json results = r.json()["results"];
    ASSERT_EQ(results.size(), 1u) << r.body;
    EXPECT_EQ(results[0]["error"].value("code", ""), "bad_signature") << r.body;
  }
  // Datanet create and model registration: forged copies of the committed ones.
  for (const auto& [kind, path] : std::vector<std::pair<std::string, std::string>>{
           {std::string(datanet::kCreateKind), "/v1/datanets"}, {"model.register", "/v1/models"}}) {
    auto tx = CommittedTx(kind);
    ASSERT_TRUE(tx) << "no " << kind << " on the chain";
    expect_forgery_refused(path, json{{"tx", RawJson(Forged(*tx))}}.dump());
  }
  // Update, review and publish: fresh txs of those kinds from an unfunded stranger.
  datanet::UpdatePayload update;
  update.datanet = planted_->datanet;
  update.summary = "walked";
  expect_forgery_refused(
      "/v1/datanets/" + ds,
      json{{"tx", RawJson(Forged(fresh(datanet::kUpdateKind, update.Encode())))}}.dump());
  datanet::ReviewPayload review;
  review.contribution = *FixedFromHex<32>(fact.contribution);
  review.approve = true;
  expect_forgery_refused(
      "/v1/contributions/" + fact.contribution + "/review",
      json{{"tx", RawJson(Forged(fresh(datanet::kReviewKind, review.Encode())))}}.dump());
  datanet::PublishPayload publish;
  publish.datanet = planted_->datanet;
  expect_forgery_refused(
      "/v1/datanets/" + ds + "/versions",
      json{{"tx", RawJson(Forged(fresh(datanet::kPublishKind, publish.Encode())))}}.dump());
  // A contribution: the payload from /prepare, signed, then one signature byte flipped.
  {
    httplib::Client client("127.0.0.1", Port());
    const std::string rows =
        "{\"prompt\":\"Is this contribution forged?\",\"response\":\"Yes, its signature is.\"}\n";
    auto prep = client.Post("/v1/datanets/" + ds + "/contributions/prepare",
                            httplib::MultipartFormDataItems{{"file", rows, "f.jsonl", ""}});
    ASSERT_TRUE(prep);
    ASSERT_EQ(prep->status, 200) << prep->body;
    json payload = json::parse(prep->body)["payload"];
    ASSERT_TRUE(payload.is_object()) << prep->body;
    auto kind = NodeTxKinds().Find(std::string(datanet::kSubmitKind));
    ASSERT_NE(kind, nullptr);
    auto bytes = kind->PayloadFromJson(payload);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    Transaction tx = Forged(fresh(datanet::kSubmitKind, *bytes));
    auto up = client.Post(
        "/v1/datanets/" + ds + "/contributions",
        httplib::MultipartFormDataItems{{"file", rows, "f.jsonl", ""},
                                        {"tx", RawJson(tx).dump(), "", "application/json"}});
    ASSERT_TRUE(up);
    EXPECT_EQ(up->status, 403) << up->body;
    EXPECT_NE(up->body.find("bad_signature"), std::string::npos) << up->body;
  }
  // Nothing was admitted: the forged transfer is unknown, the stranger has sent nothing, and no
  // contribution of theirs exists.
  EXPECT_EQ(HttpGet(Port(), "/v1/tx/" + ToHex(Sha256(Forged(*committed_transfer).Encode()))).status,
            404);
  EXPECT_EQ(FetchNextNonce(Port(), Address::FromPublicKey(stranger.public_key())).value_or(99), 0u);
  json contributions = HttpGet(Port(), "/v1/datanets/" + ds + "/contributions?limit=1000").json();
  for (const auto& c : contributions["contributions"]) {
    EXPECT_NE(c.value("contributor", ""), Address::FromPublicKey(stranger.public_key()).ToString());
  }
}

}  // namespace
}  // namespace tributary::testing
