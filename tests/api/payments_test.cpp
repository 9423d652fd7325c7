// The node's payment desk against a real Chain in a temporary directory: a key's checks
// (unknown, revoked, expired, models, daily and total limits, funds), reservations that make
// racing holds fit the balance, and the journal: reloaded after a restart with its charges still
// held, a torn last line cut off, a corrupt line refused.
#include "api/payments.h"

#include <gtest/gtest.h>

#include <fstream>

#include "api/paid-answer.h"
#include "support/temp_dir.h"
#include "tributary/api/node_server.h"
#include "tributary/ledger/account.h"

namespace tributary::http {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr uint64_t kT0 = 1767225600000ULL;
const Amount kOpen = Pow10(18);

class PaymentsTest : public ::testing::Test {
 protected:
  PaymentsTest() : payer_(KeyPair::Generate()), sequencer_(KeyPair::Generate()) {
    Genesis g = Genesis::Dev(Addr(payer_), sequencer_.public_key(), kT0);
    ChainOptions o;
    o.data_dir = dir_.path() / "chain";
    o.genesis = g;
    o.sequencer = sequencer_;
    o.clock_ms = [this] { return now_; };
    auto opened = Chain::Open(o, NodeTxKinds());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    chain_ = std::move(*opened);
    chain_->StartProducer(std::chrono::milliseconds(0));
  }
  ~PaymentsTest() override { chain_->StopProducer(); }

  static Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

  // Sends a tx of `kind` from `from` and waits for its block.
  void Send(const KeyPair& from, const std::string& kind, const json& payload) {
    auto k = chain_->kinds().Find(kind);
    ASSERT_NE(k, nullptr);
    Transaction tx;
    tx.chain_id = chain_->genesis().chain_id;
    tx.sender = from.public_key();
    tx.nonce = chain_->GetAccount(Addr(from), false)->next_nonce;
    tx.kind = kind;
    tx.payload = *k->PayloadFromJson(payload);
    tx.max_fee = Pow10(17);
    tx.SignWith(from);
    auto h = chain_->Submit(tx);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    ASSERT_TRUE(chain_->WaitForCommit(*h, std::chrono::seconds(10)));
    auto r = chain_->GetTx(*h);
    ASSERT_EQ(r->receipt.status, Receipt::kSuccess) << r->receipt.error;
  }
  void CreateKey(const KeyPair& owner, const std::string& secret, json extra = json::object()) {
    json p = {{"key_hash", ToHex(economy::ApiKeyHash(secret))}};
    for (auto& [k, v] : extra.items()) p[k] = v;
    Send(owner, "apikey.create", p);
  }
  // A desk whose settlements never land (it signs with a key that is not the sequencer and has
  // nothing to pay fees with), so what it journals stays unsettled.
  std::unique_ptr<Payments> OpenDesk() {
    auto p = Payments::Open(chain_.get(), dir_.path() / "payments", KeyPair::Generate(),
                            std::chrono::hours(1));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : nullptr;
  }
  economy::InferenceReceipt ReceiptFor(const PaymentHold& h, Amount fee, const std::string& id) {
    economy::InferenceReceipt r;
    r.request_id = id;
    r.key_hash = h.key_hash;
    r.model = 1;
    r.fee = fee;
    r.unattributed = economy::kPartsPerMillion;
    return r;
  }

  testing::TempDir dir_;
  KeyPair payer_, sequencer_;
  uint64_t now_ = kT0 + 1000;
  std::unique_ptr<Chain> chain_;
};

TEST_F(PaymentsTest, KeysAreCheckedAndLimitsAndFundsHoldAcrossConcurrentHolds) {
  KeyPair poor = KeyPair::Generate();
  Send(payer_, "transfer", {{"to", Addr(poor).ToString()}, {"amount", AmountToString(kOpen)}});
  CreateKey(payer_, "rich");
  CreateKey(payer_, "daily", {{"daily_limit", AmountToString(3 * kOpen)}});
  CreateKey(payer_, "expired", {{"expires_ms", kT0 + 500}});
  CreateKey(poor, "poor");
  CreateKey(payer_, "revoked");
  Send(payer_, "apikey.revoke", {{"key_hash", ToHex(economy::ApiKeyHash("revoked"))}});
  auto desk = OpenDesk();
  ASSERT_NE(desk, nullptr);
  const uint64_t now = kT0 + 2000;
  const Amount price = kOpen;  // 1 OPEN per 1,000 tokens: 1,000 tokens cost 1 OPEN

  EXPECT_EQ(desk->Reserve("nobody", 1, price, 1000, now).status().reason(), "invalid_api_key");
  EXPECT_EQ(desk->Reserve("revoked", 1, price, 1000, now).status().reason(), "invalid_api_key");
  EXPECT_EQ(desk->Reserve("expired", 1, price, 1000, now).status().reason(), "invalid_api_key");
  EXPECT_TRUE(desk->CheckKey("rich", now).ok());
  EXPECT_EQ(desk->CheckKey("expired", now).reason(), "invalid_api_key");

  // Daily limit 3 OPEN: two holds of 1.5 fit, a third does not; releasing one makes room.
  auto a = desk->Reserve("daily", 1, price, 1500, now);
  auto b = desk->Reserve("daily", 1, price, 1500, now);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(desk->Reserve("daily", 1, price, 1, now).status().reason(), "limit_reached");
  desk->Release(*a);
  EXPECT_TRUE(desk->Reserve("daily", 1, price, 1000, now).ok());

  // The poor account has 1 OPEN less its key's tx fee: a hold of 1 OPEN does not fit; two of
  // 0.4 do, a third does not (the first two are still held).
  EXPECT_EQ(desk->Reserve("poor", 1, price, 1000, now).status().reason(), "insufficient_funds");
  auto p1 = desk->Reserve("poor", 1, price, 400, now);
  auto p2 = desk->Reserve("poor", 1, price, 400, now);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(desk->Reserve("poor", 1, price, 400, now).status().reason(), "insufficient_funds");
  // Charging less than was held frees the difference.
  ASSERT_TRUE(desk->Charge(*p1, ReceiptFor(*p1, kOpen / 10, "p1")).ok());
  EXPECT_TRUE(desk->Reserve("poor", 1, price, 200, now).ok());
  EXPECT_EQ(desk->stats().charged, 1u);
}

TEST_F(PaymentsTest, AnAgentsBudgetCapsItsHolds) {
  KeyPair agent = KeyPair::Generate();
  Send(payer_, "transfer",
       {{"to", Addr(agent).ToString()}, {"amount", AmountToString(500 * kOpen)}});
  Send(agent, "agent.register",
       {{"owner", Addr(payer_).ToString()},
        {"name", "bot"},
        {"stake", AmountToString(100 * kOpen)}});
  CreateKey(agent, "agent");
  auto desk = OpenDesk();
  ASSERT_NE(desk, nullptr);
  const uint64_t now = kT0 + 2000;
  const Amount price = kOpen;
  // No budget yet: only its funds limit it.
  auto first = desk->Reserve("agent", 1, price, 2000, now);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  desk->Release(*first);
  Send(payer_, "agent.budget",
       {{"agent", Addr(agent).ToString()}, {"daily_limit", AmountToString(3 * kOpen)}});
  auto a = desk->Reserve("agent", 1, price, 2000, now);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto over = desk->Reserve("agent", 1, price, 1500, now);
  EXPECT_EQ(over.status().reason(), "agent_budget");
  EXPECT_NE(over.status().message().find("budget"), std::string::npos);
  EXPECT_TRUE(desk->Reserve("agent", 1, price, 1000, now).ok());
}

TEST_F(PaymentsTest, TheJournalSurvivesARestartWithItsChargesStillHeld) {
  KeyPair app = KeyPair::Generate();
  Send(payer_, "transfer", {{"to", Addr(app).ToString()}, {"amount", AmountToString(kOpen)}});
  CreateKey(app, "app");
  const uint64_t now = kT0 + 2000;
  {
    auto desk = OpenDesk();
    auto h1 = desk->Reserve("app", 1, kOpen, 300, now);
    auto h2 = desk->Reserve("app", 1, kOpen, 300, now);
    ASSERT_TRUE(h1.ok() && h2.ok());
    ASSERT_TRUE(desk->Charge(*h1, ReceiptFor(*h1, 3 * kOpen / 10, "r1")).ok());
    ASSERT_TRUE(desk->Charge(*h2, ReceiptFor(*h2, 3 * kOpen / 10, "r2")).ok());
  }
  // A crash mid-append leaves a torn line: it was never acknowledged, so it is cut off.
  const fs::path journal = dir_.path() / "payments" / "journal";
  std::ofstream(journal, std::ios::app) << "{\"receipt\":{\"request_id\":\"r3\"";
  {
    auto desk = OpenDesk();
    ASSERT_NE(desk, nullptr);
    EXPECT_EQ(desk->stats().unsettled, 2u);
    // 0.6 OPEN of the app's ~1 OPEN is still owed: a hold of 0.5 does not fit, 0.3 does.
    EXPECT_EQ(desk->Reserve("app", 1, kOpen, 500, now).status().reason(), "insufficient_funds");
    EXPECT_TRUE(desk->Reserve("app", 1, kOpen, 300, now).ok());
  }
  std::string text;
  {
    std::ifstream in(journal);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_EQ(text.back(), '\n') << "the torn tail is gone";

  // A line in the middle that is not a receipt: refused, nothing guessed.
  std::ofstream(journal, std::ios::trunc) << "not json\n" << text;
  auto broken = Payments::Open(chain_.get(), dir_.path() / "payments", KeyPair::Generate(),
                               std::chrono::hours(1));
  EXPECT_EQ(broken.status().code(), Code::kCorruption);
}

// A paid stream through PaidAnswer: usage the client did not ask for is stripped, the receipt
// comes as a last chunk; a stream cut short is charged for the tokens it delivered; a failed
// answer releases its hold. (No serving worker here: the receipts say attribution was
// unavailable and leave everything unattributed.)
TEST_F(PaymentsTest, PaidStreamsCarryTheirReceiptAndCutStreamsPayForWhatTheyGot) {
  KeyPair app = KeyPair::Generate();
  Send(payer_, "transfer", {{"to", Addr(app).ToString()}, {"amount", AmountToString(kOpen)}});
  CreateKey(app, "app");
  auto desk = OpenDesk();
  ServerOptions opts;
  const RouteContext ctx{chain_.get(), nullptr, &opts, nullptr, nullptr, desk.get()};
  const uint64_t now = kT0 + 2000;
  const Amount price = Pow10(15);  // 0.001 OPEN per 1,000 tokens
  auto paid = [&](const std::string& id) {
    auto hold = desk->Reserve("app", 1, price, 300, now);
    EXPECT_TRUE(hold.ok());
    PaidRequest r;
    r.request_id = id;
    r.model = 1;
    r.price_per_1k = price;
    r.chat = true;
    return std::make_unique<PaidAnswer>(ctx, desk.get(), *hold, r);
  };
  auto chunk = [](const std::string& text, int completion) {
    return json{{"id", "chatcmpl-x"},
                {"object", "chat.completion.chunk"},
                {"created", 1},
                {"model", "1"},
                {"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}},
                {"usage", {{"prompt_tokens", 10}, {"completion_tokens", completion}}}}
        .dump();
  };

  // A whole stream: the client asked for nothing extra.
  auto whole = paid("whole");
  json forwarded = whole->PrepareBody({{"stream", true}, {"model", "1"}});
  EXPECT_TRUE(forwarded["stream_options"]["continuous_usage_stats"].get<bool>());
  std::string out = whole->OnStreamData(chunk("Hel", 1)) + whole->OnStreamData(chunk("lo", 2));
  EXPECT_EQ(out.find("usage"), std::string::npos) << out;
  EXPECT_NE(out.find("Hel"), std::string::npos);
  json usage_only = {{"choices", json::array()},
                     {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 2}}}};
  EXPECT_EQ(whole->OnStreamData(usage_only.dump()), "") << "not asked for: dropped";
  std::string last = whole->OnStreamDone();
  ASSERT_EQ(last.rfind("data: ", 0), 0u);
  json receipt = json::parse(last.substr(6))["tributary"]["receipt"];
  EXPECT_EQ(receipt["fee"], "12000000000000") << receipt.dump();  // 12 tokens
  EXPECT_EQ(receipt["unattributed_parts_per_million"], 1000000);
  EXPECT_EQ(receipt["attribution"].get<std::string>().rfind("unavailable", 0), 0u);
  whole->OnStreamCut();  // after the receipt: nothing more
  EXPECT_EQ(desk->stats().charged, 1u);

  // Cut after three tokens: charged for 10 + 3.
  auto cut = paid("cut");
  cut->PrepareBody({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
  cut->OnStreamData(chunk("a", 1));
  cut->OnStreamData(chunk("b", 3));
  cut->OnStreamCut();
  EXPECT_EQ(desk->stats().charged, 2u);

  // Raw stream bytes cut anywhere: whole events come out, the receipt before [DONE].
  auto bytes = paid("bytes");
  bytes->PrepareBody({{"stream", true}});
  const std::string raw = "data: " + chunk("x", 1) + "\n\n: keep-alive\n\ndata: [DONE]\n\n";
  std::string sent = bytes->OnStreamBytes(raw.substr(0, 9));
  EXPECT_EQ(sent, "") << "half an event waits";
  sent += bytes->OnStreamBytes(raw.substr(9));
  EXPECT_NE(sent.find(": keep-alive\n\n"), std::string::npos) << sent;
  const size_t receipt_at = sent.find("\"receipt\"");
  ASSERT_NE(receipt_at, std::string::npos) << sent;
  EXPECT_LT(receipt_at, sent.find("data: [DONE]"));
  EXPECT_EQ(desk->stats().charged, 3u);

  // An error before any token: nothing owed, the hold goes back.
  const uint64_t released = desk->stats().released;
  {
    auto failed = paid("failed");
    failed->PrepareBody({{"stream", true}});
    failed->OnStreamData(json{{"error", {{"message", "boom"}}}}.dump());
    EXPECT_EQ(failed->OnStreamDone(), "");
  }
  EXPECT_EQ(desk->stats().charged, 3u);
  EXPECT_EQ(desk->stats().released, released + 1);
  EXPECT_EQ(desk->stats().reserved_requests, 0u);

  // The journal holds the charges with the fees of their tokens.
  std::ifstream in(dir_.path() / "payments" / "journal");
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["receipt"]["request_id"], "cut");
  EXPECT_EQ(lines[1]["receipt"]["completion_tokens"], 3);
  EXPECT_EQ(lines[1]["receipt"]["fee"], "13000000000000");
}

}  // namespace
}  // namespace tributary::http
