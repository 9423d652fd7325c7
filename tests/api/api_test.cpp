// The HTTP API against a real `tributary node` process: every malformed
// request and every rejected transaction gets the right status and a JSON
// error {"error":{"code","message"}}; proofs served by the node verify
// offline; rate limiting answers 429.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/api/node_server.h"
#include "tributary/base/hash.h"
#include "tributary/base/keystore.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    // No web app (`make` may have built one that the node would serve at /).
    node_ =
        new NodeProcess(tmp_->path() / "data", tmp_->path() / "home",
                        {"--dev", "--block-interval-ms", "0", "--rate-limit", "0", "--web", ""});
    if (!node_->Start()) return;
    auto dev = Keystore(node_->home()).Load("dev");
    if (dev.ok()) dev_ = new KeyPair(dev->key);
    auto chain = FetchChainInfo(node_->port());
    if (chain) chain_ = new ChainInfo(*chain);
  }
  static void TearDownTestSuite() {
    delete dev_;
    delete chain_;
    delete node_;
    delete tmp_;
    dev_ = nullptr;
    chain_ = nullptr;
    node_ = nullptr;
    tmp_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(node_ && node_->Running()) << (node_ ? node_->output() : "");
    ASSERT_NE(dev_, nullptr) << "no dev key";
    ASSERT_NE(chain_, nullptr) << "no chain info";
  }

  static int port() { return node_->port(); }
  static const KeyPair& dev() { return *dev_; }
  static const ChainInfo& chain() { return *chain_; }
  static Address DevAddress() { return Address::FromPublicKey(dev_->public_key()); }
  static uint64_t DevNonce() { return FetchNextNonce(port(), DevAddress()).value_or(~uint64_t{0}); }
  static HttpResponse Post(const std::string& body) { return HttpPost(port(), "/v1/tx", body); }
  static HttpResponse Get(const std::string& path) { return HttpGet(port(), path); }

  // A fresh random address, for recipients.
  static Address NewAddress() { return Address::FromPublicKey(KeyPair::Generate().public_key()); }

  // Commits a transfer from dev and returns its hash.
  static std::string CommitTransfer(Amount amount = 12345) {
    auto h = TransferAndWait(port(), chain(), dev(), NewAddress(), amount);
    return h.value_or("");
  }

  // Request bodies and tx JSON built from a valid tx, for the field-by-field tests.
  static json TxFieldsJson(const Transaction& tx) {
    auto j = tx.ToJson(NodeTxKinds());
    json out = *j;
    out.erase("raw");
    out.erase("hash");
    out.erase("from");
    return out;
  }

  static TempDir* tmp_;
  static NodeProcess* node_;
  static KeyPair* dev_;
  static ChainInfo* chain_;
};

TempDir* ApiTest::tmp_ = nullptr;
NodeProcess* ApiTest::node_ = nullptr;
KeyPair* ApiTest::dev_ = nullptr;
ChainInfo* ApiTest::chain_ = nullptr;

// ---- Plain endpoints ----

TEST_F(ApiTest, HealthzIsOk) {
  auto r = Get("/healthz");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().value("status", ""), "ok");
  EXPECT_TRUE(r.json()["height"].is_number_unsigned()) << r.body;
}

TEST_F(ApiTest, MetricsExposeHeightAndMempool) {
  auto r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\ntributary_block_height "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\ntributary_mempool_size "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("# TYPE tributary_block_height gauge"), std::string::npos) << r.body;
}

TEST_F(ApiTest, ChainDescribesItself) {
  auto r = Get("/v1/chain");
  ASSERT_EQ(r.status, 200);
  json j = r.json();
  EXPECT_FALSE(j.value("chain_id", "").empty());
  EXPECT_EQ(j["sequencer"].get<std::string>().size(), 64u);
  EXPECT_TRUE(j["params"].contains("base_fee"));
  EXPECT_NE(std::find(j["tx_kinds"].begin(), j["tx_kinds"].end(), "transfer"), j["tx_kinds"].end());
}

// ---- Malformed requests ----

TEST_F(ApiTest, MalformedJsonIsBadJson) {
  for (std::string body : {"{", "{\"raw\":", "not json", "", "{\"raw\":\"00\"} trailing",
                           "{'raw':'00'}", "{\"raw\":\"00\",}", "{\"raw\" \"00\"}"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(IsJsonError(Post(body), 400, "bad_json"));
  }
}

TEST_F(ApiTest, InvalidUtf8InRequestsIsA400) {
  // Error messages echo request bytes (the JSON parser's excerpt, a raw tx's kind or chain
  // id). Regression: invalid UTF-8 there made body.dump() throw, answered 500 "internal".
  EXPECT_TRUE(IsJsonError(Post("\xff\xfe{}"), 400, "bad_json"));
  EXPECT_TRUE(IsJsonError(Post("{\"raw\":\"\xff\"}"), 400, "bad_json"));
  Transaction kind = BuildTx(chain(), dev(), DevNonce(), "\xff\xfe", Bytes{1});
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), kind, false), 400, "unknown_kind"));
  ChainInfo other = chain();
  other.chain_id = "\xc3\x28";
  Transaction chain_id = BuildTransfer(other, dev(), DevNonce(), NewAddress(), 1);
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), chain_id, false), 400, "wrong_chain_id"));
}

TEST(ApiCrashTest, UnknownRouteWithInvalidUtf8DoesNotKillTheNode) {
  // Regression: "no route for GET /\xff" made body.dump() throw inside httplib's error
  // handler, where nothing catches it: std::terminate took the whole node down. Runs on its
  // own node so that, should it come back, it cannot take the other tests' node down.
  TempDir tmp;
  NodeProcess node(tmp.path() / "data", tmp.path() / "home",
                   {"--dev", "--block-interval-ms", "0", "--rate-limit", "0", "--web", ""});
  ASSERT_TRUE(node.Start()) << node.output();
  for (std::string path : {"/%ff", "/v1/%c3%28", "/%fe%ff/x"}) {
    SCOPED_TRACE(path);
    auto r = HttpGet(node.port(), path);
    EXPECT_TRUE(IsJsonError(r, 404, "unknown_route"));
    EXPECT_EQ(HttpGet(node.port(), "/healthz").status, 200) << "the node died:\n" << node.output();
    ASSERT_TRUE(node.Running());
  }
}

TEST_F(ApiTest, JsonOfTheWrongTypeIsBadJson) {
  for (std::string body : {"[]", "[1,2,3]", "42", "-1.5", "\"a string\"", "null", "true"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(IsJsonError(Post(body), 400, "bad_json"));
  }
}

TEST_F(ApiTest, MissingFieldsAreNamed) {
  EXPECT_TRUE(IsJsonError(Post("{}"), 400, "bad_json"));
  Transaction tx = BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 1);
  json full = TxFieldsJson(tx);
  for (const char* field :
       {"chain_id", "sender", "nonce", "max_fee", "kind", "payload", "signature"}) {
    SCOPED_TRACE(field);
    json j = full;
    j.erase(field);
    auto r = Post(j.dump());
    EXPECT_TRUE(IsJsonError(r, 400, "bad_json"));
    EXPECT_NE(r.body.find(field), std::string::npos)
        << "the message should name the field: " << r.body;
  }
}

TEST_F(ApiTest, FieldFormOfAValidTxIsAccepted) {
  Transaction tx = BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 7);
  auto r = HttpPost(port(), "/v1/tx?wait=commit", TxFieldsJson(tx).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().value("status", ""), "committed");
  EXPECT_EQ(r.json().value("hash", ""), ToHex(tx.Hash()));
}

// POST /v1/txs: each transaction its own result, in order; bad ones do not stop good ones.
TEST_F(ApiTest, ABatchAdmitsEachTransactionOnItsOwn) {
  const uint64_t nonce = DevNonce();
  Transaction a = BuildTransfer(chain(), dev(), nonce, NewAddress(), 5);
  Transaction b = BuildTransfer(chain(), dev(), nonce + 1, NewAddress(), 6);
  Transaction forged = BuildTransfer(chain(), dev(), nonce + 2, NewAddress(), 7);
  forged.signature[0] ^= 1;
  Transaction ahead = BuildTransfer(chain(), dev(), nonce + 9, NewAddress(), 8);
  json body = {{"txs",
                {{{"raw", ToHex(a.Encode())}},
                 {{"raw", ToHex(b.Encode())}},
                 {{"raw", ToHex(forged.Encode())}},
                 {{"raw", "zz"}},
                 {{"raw", ToHex(a.Encode())}},
                 {{"raw", ToHex(ahead.Encode())}}}}};
  auto r = HttpPost(port(), "/v1/txs", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j["accepted"], 2);
  EXPECT_EQ(j["rejected"], 4);
  ASSERT_EQ(j["results"].size(), 6u);
  EXPECT_EQ(j["results"][0]["hash"], ToHex(a.Hash()));
  EXPECT_EQ(j["results"][1]["hash"], ToHex(b.Hash()));
  EXPECT_EQ(j["results"][2]["error"]["code"], "bad_signature");
  EXPECT_EQ(j["results"][3]["error"]["code"], "malformed_encoding") << j["results"][3];
  EXPECT_EQ(j["results"][4]["error"]["code"], "duplicate_tx");
  EXPECT_EQ(j["results"][5]["error"]["code"], "bad_nonce");
  auto status = Get("/v1/tx/" + ToHex(b.Hash()));
  EXPECT_EQ(status.status, 200);

  EXPECT_TRUE(IsJsonError(HttpPost(port(), "/v1/txs", R"({"txs": []})"), 400, "bad_batch"));
  EXPECT_TRUE(IsJsonError(HttpPost(port(), "/v1/txs", R"({"txs": 5})"), 400, "bad_request"));
  EXPECT_TRUE(IsJsonError(HttpPost(port(), "/v1/txs", R"([1])"), 400, "bad_request"));
  json many = {{"txs", json::array()}};
  for (int i = 0; i < 1001; ++i) many["txs"].push_back({{"raw", "00"}});
  EXPECT_TRUE(IsJsonError(HttpPost(port(), "/v1/txs", many.dump()), 400, "bad_batch"));
}

TEST_F(ApiTest, WrongFieldTypesAreBadJson) {
  Transaction tx = BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 1);
  json full = TxFieldsJson(tx);
  std::vector<std::pair<std::string, json>> cases = {
      {"chain_id", 1},      {"chain_id", nullptr},
      {"sender", 7},        {"sender", json::array()},
      {"nonce", "0"},       {"nonce", -1},
      {"nonce", 1.5},       {"nonce", true},
      {"max_fee", 1000},    {"max_fee", json::object()},
      {"kind", 3},          {"kind", json::array()},
      {"signature", false}, {"signature", 12},
  };
  for (const auto& [field, value] : cases) {
    SCOPED_TRACE(field + " = " + value.dump());
    json j = full;
    j[field] = value;
    EXPECT_TRUE(IsJsonError(Post(j.dump()), 400, "bad_json"));
  }
  for (json raw : {json(5), json(nullptr), json::array({"00"}), json::object()}) {
    SCOPED_TRACE("raw = " + raw.dump());
    EXPECT_TRUE(IsJsonError(Post(json{{"raw", raw}}.dump()), 400, "bad_json"));
  }
  // Right JSON types, wrong contents: 400 with some error code, never accepted.
  std::vector<std::pair<std::string, json>> bad_values = {
      {"sender", "zz"},
      {"sender", "00"},
      {"max_fee", "-5"},
      {"max_fee", "1.5"},
      {"signature", "abcd"},
      {"payload", "text"},
      {"payload", json::object()},
      {"payload", json{{"to", "trb00"}, {"amount", "1"}}},
      {"payload", json{{"to", NewAddress().ToString()}, {"amount", 5}}},
  };
  for (const auto& [field, value] : bad_values) {
    SCOPED_TRACE(field + " = " + value.dump());
    json j = full;
    j[field] = value;
    auto r = Post(j.dump());
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(HasErrorShape(r));
  }
}

TEST_F(ApiTest, RawThatIsNotHexIsMalformed) {
  for (std::string raw : {"zz", "abc", "0xzz", "12 34", "g0"}) {
    SCOPED_TRACE(raw);
    EXPECT_TRUE(IsJsonError(Post(json{{"raw", raw}}.dump()), 400, "malformed_encoding"));
  }
}

TEST_F(ApiTest, TruncatedOrPaddedRawIsMalformed) {
  Transaction tx = BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 1);
  std::string raw = ToHex(tx.Encode());
  for (std::string cut : {raw.substr(0, raw.size() - 2), raw.substr(0, raw.size() / 2),
                          raw.substr(0, 2), std::string(""), raw + "00"}) {
    SCOPED_TRACE(cut.size());
    EXPECT_TRUE(IsJsonError(Post(json{{"raw", cut}}.dump()), 400, "malformed_encoding"));
  }
  // Unsupported version byte.
  std::string v2 = raw;
  v2[1] = '2';
  EXPECT_TRUE(IsJsonError(Post(json{{"raw", v2}}.dump()), 400, "malformed_encoding"));
}

TEST_F(ApiTest, BodyOverOneMiBIs413) {
  std::string body(1024 * 1024 + 1, 'a');
  EXPECT_TRUE(IsJsonError(Post(body), 413, "body_too_large"));
  // A well-formed JSON request over the limit too.
  std::string raw_body = "{\"raw\":\"" + std::string(1024 * 1024 + 64, '0') + "\"}";
  EXPECT_TRUE(IsJsonError(Post(raw_body), 413, "body_too_large"));
  // And the server is still fine afterwards.
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(ApiTest, JsonNestedTooDeepIsRefused) {
  auto nested_arrays = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  auto nested_objects = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "{\"a\":";
    s += "1";
    for (int i = 0; i < n; ++i) s += "}";
    return s;
  };
  // Up to bodies of a few hundred KiB (still under the 1 MiB cap): no stack overflow.
  for (int n : {34, 100, 1000, 100000}) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(IsJsonError(Post(nested_arrays(n)), 400, "json_too_deep"));
    EXPECT_TRUE(IsJsonError(Post(nested_objects(n)), 400, "json_too_deep"));
  }
  EXPECT_TRUE(IsJsonError(Post(nested_arrays(400000)), 400, "json_too_deep"));
  // Deep nesting inside an otherwise valid-looking request.
  EXPECT_TRUE(
      IsJsonError(Post("{\"raw\":\"00\",\"x\":" + nested_arrays(40) + "}"), 400, "json_too_deep"));
  // Within the limit: an ordinary error, not json_too_deep.
  EXPECT_TRUE(IsJsonError(Post(nested_arrays(32)), 400, "bad_json"));
  EXPECT_TRUE(IsJsonError(Post(nested_objects(31)), 400, "bad_json"));
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(ApiTest, JsonDepthLimitBoundaryIs32) {
  // The parser callback's depth counts the containers *enclosing* an event, so a container
  // opened at level 33 arrives with depth 32. Regression: 33 levels ending in an empty
  // container ("[[...[]...]]") used to pass the 32-level limit.
  std::string deep33 = std::string(33, '[') + std::string(33, ']');
  EXPECT_TRUE(IsJsonError(Post(deep33), 400, "json_too_deep"));
}

TEST_F(ApiTest, UnknownRoutesAre404) {
  for (std::string path : {"/v1", "/v1/", "/v1/nope", "/v2/chain", "/v1/tx/", "/v1/tx/abc/def",
                           "/v1/accounts/", "/v1/blocks/", "/healthz/x", "/metrics2"}) {
    SCOPED_TRACE(path);
    EXPECT_TRUE(IsJsonError(Get(path), 404, "unknown_route"));
  }
  // "/" is the web app's; this node serves none (web_routes_test.cpp covers the app).
  EXPECT_TRUE(IsJsonError(Get("/"), 404, "web_app_missing"));
  EXPECT_TRUE(IsJsonError(HttpPost(port(), "/v1/nope", "{}"), 404, "unknown_route"));
}

TEST_F(ApiTest, WrongMethodIsAJsonError) {
  httplib::Client c("127.0.0.1", port());
  c.set_connection_timeout(2);
  c.set_read_timeout(10);
  std::vector<std::pair<std::string, httplib::Result>> results;
  std::string some_hash(64, '0');
  results.emplace_back("GET /v1/tx", c.Get("/v1/tx"));
  results.emplace_back("POST /healthz", c.Post("/healthz", "{}", "application/json"));
  results.emplace_back("POST /v1/chain", c.Post("/v1/chain", "{}", "application/json"));
  results.emplace_back("POST /v1/tx/hash",
                       c.Post(("/v1/tx/" + some_hash).c_str(), "{}", "application/json"));
  results.emplace_back("PUT /v1/tx", c.Put("/v1/tx", "{}", "application/json"));
  results.emplace_back("DELETE /v1/tx/hash", c.Delete(("/v1/tx/" + some_hash).c_str()));
  results.emplace_back("PATCH /v1/accounts", c.Patch("/v1/accounts/x", "{}", "application/json"));
  for (auto& [what, res] : results) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(res) << "no answer";
    HttpResponse r{res->status, res->body};
    EXPECT_TRUE(r.status == 404 || r.status == 405) << r.status << " " << r.body;
    EXPECT_TRUE(HasErrorShape(r));
  }
}

TEST_F(ApiTest, BadTxHashIs400) {
  for (std::string h :
       {std::string("xyz"), std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'g'),
        std::string(62, 'a') + "%20", "0x" + std::string(62, 'a')}) {
    SCOPED_TRACE(h);
    EXPECT_TRUE(IsJsonError(Get("/v1/tx/" + h), 400, "bad_hash"));
  }
}

TEST_F(ApiTest, UnknownTxHashIs404) {
  EXPECT_TRUE(IsJsonError(Get("/v1/tx/" + std::string(64, '0')), 404, "tx_not_found"));
  EXPECT_TRUE(
      IsJsonError(Get("/v1/tx/" + ToHex(Sha256(AsBytes("never sent")))), 404, "tx_not_found"));
}

TEST_F(ApiTest, BadAddressIs400) {
  std::string good = NewAddress().ToString();
  std::string bad_checksum = good;
  bad_checksum.back() = bad_checksum.back() == '0' ? '1' : '0';
  std::string bad_body = good;
  bad_body[10] = bad_body[10] == '0' ? '1' : '0';
  std::string upper = good;
  for (size_t i = 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  for (std::string a :
       {std::string("abc"), std::string("trb"), good.substr(0, 50), good + "0", bad_checksum,
        bad_body, upper, "xyz" + good.substr(3), std::string(51, 'z')}) {
    SCOPED_TRACE(a);
    EXPECT_TRUE(IsJsonError(Get("/v1/accounts/" + a), 400, "bad_address"));
  }
  auto ok = Get("/v1/accounts/" + good);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().value("balance", ""), "0");
  EXPECT_TRUE(IsJsonError(Get("/v1/accounts/" + good + "?prove=maybe"), 400, "bad_param"));
}

TEST_F(ApiTest, BadBlockHeightIs400) {
  for (std::string h : {"abc", "-1", "1.5", "0x10", "99999999999999999999",
                        "12345678901234567890123", "%20", "1e3"}) {
    SCOPED_TRACE(h);
    EXPECT_TRUE(IsJsonError(Get("/v1/blocks/" + h), 400, "bad_height"));
  }
  for (std::string h : {"1000000000", "9999999999999999999"}) {
    SCOPED_TRACE(h);
    auto r = Get("/v1/blocks/" + h);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_TRUE(HasErrorShape(r));
  }
  auto genesis = Get("/v1/blocks/0");
  ASSERT_EQ(genesis.status, 200) << genesis.body;
  EXPECT_EQ(genesis.json()["height"], 0);
  auto latest = Get("/v1/blocks/latest");
  ASSERT_EQ(latest.status, 200) << latest.body;
  EXPECT_TRUE(latest.json()["txs"].is_array());
}

TEST_F(ApiTest, BadWaitParamIs400) {
  Transaction tx = BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 1);
  auto r = HttpPost(port(), "/v1/tx?wait=forever", RawBody(tx));
  EXPECT_TRUE(IsJsonError(r, 400, "bad_param"));
}

TEST_F(ApiTest, RefusedRequestHasNoSideEffects) {
  // Regression: `wait` was validated only after the tx had been admitted, so a request
  // answered 400 bad_param still got its tx committed.
  Transaction tx = BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 1);
  uint64_t before = DevNonce();
  auto r = HttpPost(port(), "/v1/tx?wait=forever", RawBody(tx));
  ASSERT_EQ(r.status, 400) << r.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(IsJsonError(Get("/v1/tx/" + ToHex(tx.Hash())), 404, "tx_not_found"));
  EXPECT_EQ(DevNonce(), before);
}

// ---- Rejected transactions ----

TEST_F(ApiTest, FlippedSignatureByteIsBadSignature) {
  Transaction tx = BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 1);
  for (size_t i : {size_t{0}, size_t{31}, size_t{63}}) {
    SCOPED_TRACE(i);
    Transaction bad = tx;
    bad.signature[i] ^= 0x01;
    EXPECT_TRUE(IsJsonError(SubmitTx(port(), bad, false), 403, "bad_signature"));
  }
  // Signed by one key, claiming another sender.
  Transaction other = tx;
  other.sender = KeyPair::Generate().public_key();
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), other, false), 403, "bad_signature"));
  // A changed field after signing.
  Transaction changed = tx;
  changed.nonce += 1;
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), changed, false), 403, "bad_signature"));
}

TEST_F(ApiTest, WrongChainIdIs400) {
  ChainInfo other = chain();
  other.chain_id = "some-other-chain";
  Transaction tx = BuildTransfer(other, dev(), DevNonce(), NewAddress(), 1);
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), tx, false), 400, "wrong_chain_id"));
}

TEST_F(ApiTest, ReplayedNonceIs422) {
  uint64_t nonce = DevNonce();
  Transaction tx = BuildTransfer(chain(), dev(), nonce, NewAddress(), 5);
  auto first = SubmitTx(port(), tx, true);
  ASSERT_EQ(first.status, 200) << first.body;
  // The very same tx again, and a different tx with the used nonce.
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), tx, false), 422, "bad_nonce"));
  Transaction again = BuildTransfer(chain(), dev(), nonce, NewAddress(), 6);
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), again, false), 422, "bad_nonce"));
}

TEST_F(ApiTest, FutureNonceIs422) {
  uint64_t nonce = DevNonce();
  for (uint64_t ahead : {uint64_t{1}, uint64_t{5}, uint64_t{1} << 40}) {
    SCOPED_TRACE(ahead);
    Transaction tx = BuildTransfer(chain(), dev(), nonce + ahead, NewAddress(), 1);
    EXPECT_TRUE(IsJsonError(SubmitTx(port(), tx, false), 422, "bad_nonce"));
  }
  EXPECT_EQ(DevNonce(), nonce) << "refused txs must not use up nonces";
}

TEST_F(ApiTest, InsufficientBalanceIs422) {
  // A fresh key holds nothing: it cannot even pay the fee.
  KeyPair fresh = KeyPair::Generate();
  Transaction tx = BuildTransfer(chain(), fresh, 0, NewAddress(), 1);
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), tx, false), 422, "insufficient_balance"));

  // A funded key sending more than it has (after the fee).
  KeyPair poor = KeyPair::Generate();
  Address poor_addr = Address::FromPublicKey(poor.public_key());
  ASSERT_TRUE(TransferAndWait(port(), chain(), dev(), poor_addr, Tokens(1)));
  Transaction too_much = BuildTransfer(chain(), poor, 0, NewAddress(), Tokens(1));
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), too_much, false), 422, "insufficient_balance"));
  // Stake more than the balance, and unstake with nothing staked.
  const TxKind* stake = NodeTxKinds().Find("stake");
  const TxKind* unstake = NodeTxKinds().Find("unstake");
  auto big = stake->PayloadFromJson({{"amount", AmountToString(Tokens(2))}});
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), BuildTx(chain(), poor, 0, "stake", *big), false), 422,
                          "insufficient_balance"));
  auto one = unstake->PayloadFromJson({{"amount", "1"}});
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), BuildTx(chain(), poor, 0, "unstake", *one), false), 422,
                          "insufficient_balance"));
  // The account is untouched and can still spend what it has.
  EXPECT_EQ(FetchNextNonce(port(), poor_addr).value_or(99), 0u);
  Transaction fits = BuildTransfer(chain(), poor, 0, NewAddress(), Tokens(1) / 2);
  EXPECT_EQ(SubmitTx(port(), fits, true).status, 200);
}

TEST_F(ApiTest, UnknownKindIs400) {
  Transaction tx = BuildTx(chain(), dev(), DevNonce(), "mint", Bytes{1, 2, 3});
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), tx, false), 400, "unknown_kind"));
  json fields = TxFieldsJson(BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 1));
  fields["kind"] = "mint";
  EXPECT_TRUE(IsJsonError(Post(fields.dump()), 400, "unknown_kind"));
}

TEST_F(ApiTest, OversizedTxIs413) {
  // A transfer whose payload alone is over the chain's 64 KiB limit (the body stays < 1 MiB).
  Bytes payload(70 * 1024, 0xab);
  Transaction tx = BuildTx(chain(), dev(), DevNonce(), "transfer", payload);
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), tx, false), 413, "oversized"));
  Transaction just_over =
      BuildTx(chain(), dev(), DevNonce(), "transfer", Bytes(chain().params.max_tx_bytes, 0));
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), just_over, false), 413, "oversized"));
}

TEST_F(ApiTest, OtherRejections) {
  uint64_t nonce = DevNonce();
  // max_fee one base unit below the fee.
  Transaction t = BuildTransfer(chain(), dev(), nonce, NewAddress(), 1);
  Amount fee = t.max_fee;
  Transaction low = BuildTx(chain(), dev(), nonce, "transfer", t.payload, fee - 1);
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), low, false), 400, "fee_too_low"));
  // A zero transfer.
  Transaction zero = BuildTransfer(chain(), dev(), nonce, NewAddress(), 0);
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), zero, false), 400, "bad_amount"));
  // A payload that does not decode for its kind.
  Transaction garbage = BuildTx(chain(), dev(), nonce, "transfer", Bytes{1, 2, 3});
  EXPECT_TRUE(IsJsonError(SubmitTx(port(), garbage, false), 400, "malformed_encoding"));
  EXPECT_EQ(DevNonce(), nonce);
  // A higher max_fee than needed is fine.
  Transaction generous = BuildTx(chain(), dev(), nonce, "transfer", t.payload, fee * 2);
  EXPECT_EQ(SubmitTx(port(), generous, true).status, 200);
}

// ---- Proofs ----

class ProofTest : public ApiTest {
 protected:
  fs::path WriteJson(const std::string& name, const std::string& text) {
    fs::path p = tmp_->path() / name;
    WriteFileBytes(p, text);
    return p;
  }
};

TEST_F(ProofTest, CommittedTxProofVerifies) {
  std::string hash = CommitTransfer(777);
  ASSERT_FALSE(hash.empty());
  auto r = Get("/v1/tx/" + hash);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j.value("status", ""), "committed");
  EXPECT_EQ(j.value("hash", ""), hash);
  ASSERT_TRUE(j.contains("proof")) << r.body;
  EXPECT_EQ(j["proof"].value("type", ""), "tx");
  EXPECT_EQ(j["receipt"].value("status", ""), "success") << r.body;

  fs::path file = WriteJson("tx_proof.json", r.body);
  auto v = RunTributary({"verify-proof", file.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(v.out.rfind("VALID", 0), 0u) << v.out;
  EXPECT_NE(v.out.find(hash), std::string::npos) << v.out;

  // Pinned to the chain's sequencer: still valid; pinned to another key: refused.
  auto pinned = RunTributary({"verify-proof", file.string(), "--sequencer", chain().sequencer_hex});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.out << pinned.err;
  auto wrong = RunTributary(
      {"verify-proof", file.string(), "--sequencer", ToHex(KeyPair::Generate().public_key())});
  EXPECT_NE(wrong.exit_code, 0) << wrong.out;
  EXPECT_NE(wrong.err.find("error:"), std::string::npos) << wrong.err;

  // The bare proof object works too.
  fs::path bare = WriteJson("tx_proof_bare.json", j["proof"].dump());
  EXPECT_EQ(RunTributary({"verify-proof", bare.string()}).exit_code, 0);
}

TEST_F(ProofTest, TamperedTxProofIsRefused) {
  std::string hash = CommitTransfer(778);
  ASSERT_FALSE(hash.empty());
  auto r = Get("/v1/tx/" + hash);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  std::string tx_hex = j["proof"]["tx"];

  // One flipped hex digit in proof.tx, at several places (sender, nonce, payload, signature).
  for (size_t pos : {size_t{10}, tx_hex.size() / 2, tx_hex.size() - 3}) {
    SCOPED_TRACE(pos);
    json t = j;
    t["proof"]["tx"] = FlipHexDigit(tx_hex, pos);
    fs::path file = WriteJson("tampered_tx.json", t.dump());
    auto v = RunTributary({"verify-proof", file.string()});
    EXPECT_NE(v.exit_code, 0) << v.out;
    EXPECT_EQ(v.err.rfind("error:", 0), 0u) << v.err;
    EXPECT_EQ(v.out.find("VALID"), std::string::npos) << v.out;
  }
  // And in the other parts of the proof.
  std::vector<std::function<void(json&)>> tampers = {
      [](json& p) { p["receipt"] = FlipHexDigit(p["receipt"].get<std::string>(), 5); },
      [](json& p) { p["header"] = FlipHexDigit(p["header"].get<std::string>(), 40); },
      [](json& p) {
        std::string h = p["header"].get<std::string>();
        p["header"] = FlipHexDigit(h, h.size() - 2);
      },
      [](json& p) {
        p["tx_inclusion"]["leaf_index"] = p["tx_inclusion"]["leaf_index"].get<uint64_t>() + 1;
      },
      [](json& p) { p["tx_inclusion"]["path"].push_back(std::string(64, 'a')); },
      [](json& p) { p.erase("receipt"); },
      [](json& p) { p["type"] = "account"; },
  };
  for (size_t i = 0; i < tampers.size(); ++i) {
    SCOPED_TRACE(i);
    json t = j;
    tampers[i](t["proof"]);
    fs::path file = WriteJson("tampered_" + std::to_string(i) + ".json", t.dump());
    auto v = RunTributary({"verify-proof", file.string()});
    EXPECT_NE(v.exit_code, 0) << v.out;
    EXPECT_NE(v.err.find("error:"), std::string::npos) << v.err;
  }
  // Not JSON at all.
  fs::path junk = WriteJson("junk.json", "{not json");
  auto v = RunTributary({"verify-proof", junk.string()});
  EXPECT_NE(v.exit_code, 0);
  EXPECT_NE(v.err.find("error:"), std::string::npos) << v.err;
}

TEST_F(ProofTest, AccountProofVerifies) {
  ASSERT_FALSE(CommitTransfer(1).empty());
  auto r = Get("/v1/accounts/" + DevAddress().ToString() + "?prove=1");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  ASSERT_TRUE(j.contains("proof")) << r.body;
  EXPECT_EQ(j["proof"].value("type", ""), "account");
  fs::path file = WriteJson("account_proof.json", r.body);
  auto v = RunTributary({"verify-proof", file.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(v.out.rfind("VALID", 0), 0u) << v.out;
  EXPECT_NE(v.out.find(j["balance"].get<std::string>()), std::string::npos) << v.out;

  // prove=0 has no proof.
  auto plain = Get("/v1/accounts/" + DevAddress().ToString() + "?prove=0");
  ASSERT_EQ(plain.status, 200);
  EXPECT_FALSE(plain.json().contains("proof"));

  // Tampered: the value (one hex digit), the address, a sibling.
  std::string value = j["proof"]["value"];
  std::vector<std::function<void(json&)>> tampers = {
      [&](json& p) { p["value"] = FlipHexDigit(value, value.size() / 2); },
      [&](json& p) { p["value"] = FlipHexDigit(value, 1); },
      [&](json& p) { p["address"] = NewAddress().ToString(); },
      [&](json& p) { p["value"] = nullptr; },
      [&](json& p) {
        if (!p["siblings"].empty())
          p["siblings"][0] = FlipHexDigit(p["siblings"][0].get<std::string>(), 0);
        else
          p["siblings"].push_back(std::string(64, '1'));
      },
  };
  for (size_t i = 0; i < tampers.size(); ++i) {
    SCOPED_TRACE(i);
    json t = j;
    tampers[i](t["proof"]);
    fs::path f = WriteJson("account_tampered.json", t.dump());
    auto bad = RunTributary({"verify-proof", f.string()});
    EXPECT_NE(bad.exit_code, 0) << bad.out;
    EXPECT_NE(bad.err.find("error:"), std::string::npos) << bad.err;
  }
}

TEST_F(ProofTest, AbsentAccountProofVerifies) {
  Address nobody = NewAddress();
  auto r = Get("/v1/accounts/" + nobody.ToString() + "?prove=true");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["proof"]["value"].is_null()) << r.body;
  fs::path file = WriteJson("absent_proof.json", r.body);
  auto v = RunTributary({"verify-proof", file.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("absent"), std::string::npos) << v.out;
  // Claiming the absent account has a balance is refused.
  json t = r.json();
  auto dev_proof = Get("/v1/accounts/" + DevAddress().ToString() + "?prove=1").json();
  t["proof"]["value"] = dev_proof["proof"]["value"];
  fs::path forged = WriteJson("absent_forged.json", t.dump());
  auto bad = RunTributary({"verify-proof", forged.string()});
  EXPECT_NE(bad.exit_code, 0) << bad.out;
}

// What the node serves beside a proof is exactly what the proof proves: `verify-proof` accepts
// the documents as served and refuses each readable field edited on its own, naming it.
TEST_F(ProofTest, ServedReadableFieldsMatchTheProofAndEditsAreRefused) {
  std::string hash = CommitTransfer(4321);
  ASSERT_FALSE(hash.empty());
  const json tx = Get("/v1/tx/" + hash).json();
  ASSERT_EQ(tx.value("status", ""), "committed") << tx;
  const json account = Get("/v1/accounts/" + DevAddress().ToString() + "?prove=1").json();
  // A proven account carries only what the proof proves; the plain one also the node's view.
  EXPECT_FALSE(account.contains("next_nonce")) << account;
  EXPECT_FALSE(account.contains("balance_display")) << account;
  const json plain = Get("/v1/accounts/" + DevAddress().ToString()).json();
  EXPECT_TRUE(plain.contains("next_nonce") && plain.contains("balance_display")) << plain;

  auto verify = [&](const json& doc) {
    return RunTributary({"verify-proof", WriteJson("fields.json", doc.dump(2)).string()});
  };
  auto v = verify(tx);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("readable fields (block, hash, height, index, receipt, status, tx)"),
            std::string::npos)
      << v.out;
  auto va = verify(account);
  EXPECT_EQ(va.exit_code, 0) << va.out << va.err;

  struct Edit {
    const json* doc;
    std::string path;
    std::function<void(json&)> apply;
  };
  const std::vector<Edit> edits = {
      {&tx, "tx.payload.amount", [](json& d) { d["tx"]["payload"]["amount"] = "99999999"; }},
      {&tx, "tx.payload.to", [](json& d) { d["tx"]["payload"]["to"] = NewAddress().ToString(); }},
      {&tx, "tx.nonce", [](json& d) { d["tx"]["nonce"] = d["tx"]["nonce"].get<uint64_t>() + 1; }},
      {&tx, "tx.from", [](json& d) { d["tx"]["from"] = NewAddress().ToString(); }},
      {&tx, "tx.kind", [](json& d) { d["tx"]["kind"] = "stake"; }},
      {&tx, "tx.max_fee", [](json& d) { d["tx"]["max_fee"] = "0"; }},
      {&tx, "receipt.fee_charged", [](json& d) { d["receipt"]["fee_charged"] = "0"; }},
      {&tx, "receipt.status", [](json& d) { d["receipt"]["status"] = "failed"; }},
      {&tx, "receipt.events[0].attrs.amount",
       [](json& d) { d["receipt"]["events"][0]["attrs"]["amount"] = "1"; }},
      {&tx, "block.height", [](json& d) { d["block"]["height"] = 0; }},
      {&tx, "block.state_root", [](json& d) { d["block"]["state_root"] = std::string(64, 'a'); }},
      {&tx, "hash", [](json& d) { d["hash"] = std::string(64, 'b'); }},
      {&tx, "height", [](json& d) { d["height"] = d["height"].get<uint64_t>() + 1; }},
      {&tx, "index", [](json& d) { d["index"] = d["index"].get<uint64_t>() + 1; }},
      {&tx, "status", [](json& d) { d["status"] = "pending"; }},
      {&account, "balance", [](json& d) { d["balance"] = "1"; }},
      {&account, "nonce", [](json& d) { d["nonce"] = d["nonce"].get<uint64_t>() + 1; }},
      {&account, "staked", [](json& d) { d["staked"] = "1000"; }},
      {&account, "height", [](json& d) { d["height"] = 0; }},
      {&account, "next_nonce", [](json& d) { d["next_nonce"] = 0; }},
  };
  for (const Edit& e : edits) {
    SCOPED_TRACE(e.path);
    json doc = *e.doc;
    e.apply(doc);
    auto bad = verify(doc);
    EXPECT_NE(bad.exit_code, 0) << bad.out;
    EXPECT_EQ(bad.out.find("VALID"), std::string::npos) << bad.out;
    EXPECT_NE(bad.err.find(e.path), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("misleading_proof"), std::string::npos) << bad.err;
  }
}

TEST_F(ProofTest, PendingAndCommittedTxLookup) {
  auto r = SubmitTx(port(), BuildTransfer(chain(), dev(), DevNonce(), NewAddress(), 3), false);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.json().value("status", ""), "pending");
  std::string hash = r.json().value("hash", "");
  ASSERT_EQ(hash.size(), 64u);
  std::string status;
  for (int i = 0; i < 500 && status != "committed"; ++i) {
    auto g = Get("/v1/tx/" + hash);
    ASSERT_EQ(g.status, 200) << g.body;
    status = g.json().value("status", "");
    ASSERT_TRUE(status == "pending" || status == "committed") << g.body;
    if (status != "committed") std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, "committed");
}

// ---- Rate limiting (its own node) ----

TEST(ApiRateLimitTest, BurstGets429WithJsonError) {
  TempDir tmp;
  NodeProcess node(tmp.path() / "data", tmp.path() / "home",
                   {"--dev", "--block-interval-ms", "0", "--rate-limit", "5"});
  ASSERT_TRUE(node.Start()) << node.output();
  int ok = 0, limited = 0, other = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    auto r = HttpGet(node.port(), "/healthz");
    if (r.status == 200) {
      ok++;
    } else if (r.status == 429) {
      limited++;
      EXPECT_TRUE(IsJsonError(r, 429, "rate_limited"));
    } else {
      other++;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(limited, 0);
  EXPECT_GT(ok, 0);
  // A burst of 10 plus 5 tokens a second (and one spare for rounding).
  EXPECT_LE(ok, 11 + static_cast<int>(5 * secs))
      << ok << " of 50 requests in " << secs << "s got through";
  EXPECT_EQ(other, 0);
  // Other routes are limited too, with the same JSON shape.
  auto chain = HttpGet(node.port(), "/v1/chain");
  EXPECT_TRUE(IsJsonError(chain, 429, "rate_limited"));
  auto post = HttpPost(node.port(), "/v1/tx", "{}");
  EXPECT_TRUE(IsJsonError(post, 429, "rate_limited"));
  // Tokens come back: after a pause requests pass again, and the 429s are counted.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto metrics = HttpGet(node.port(), "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  auto pos = metrics.body.find("\ntributary_http_rate_limited_total ");
  ASSERT_NE(pos, std::string::npos) << metrics.body;
  EXPECT_GE(std::stoll(metrics.body.substr(pos + 35)), limited);
}

}  // namespace
}  // namespace tributary::testing
