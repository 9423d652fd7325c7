// GET /v1/earners and GET /v1/accounts/{address}/receipts on a chain where paid answers settled:
// the totals match the ledger's, each account's receipts come newest first with its role (the
// parts of one answer in one role summed), answers settled before the index started and after
// are both there, and bad input is a 400.
#include <gtest/gtest.h>

#include "api/in_process_node.h"
#include "support/tx_util.h"
#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/datanet/kinds.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/inference.h"
#include "tributary/economy/kinds.h"

namespace tributary::testing {
namespace {

using json = nlohmann::json;

const Amount kOpen = Pow10(18);
const Amount kPrice = 2 * Pow10(15);  // per 1,000 tokens

Hash32 H(const std::string& tag) { return Sha256(AsBytes(tag)); }

class EarnersRoutesTest : public InProcessNodeTest {
 protected:
  EarnersRoutesTest() : owner_(KeyPair::Generate()), alice_(KeyPair::Generate()) {}

  // Datanet 1 with alice's two contributions in version 1, model 1 trained on it (owned by
  // owner_, priced), and an API key of funded_ (the payer).
  void SetUp() override {
    ASSERT_NE(chain_, nullptr);
    for (const KeyPair* k : {&owner_, &alice_, &sequencer_}) {
      Send(funded_, "transfer", Transfer(Addr(*k), 1000 * kOpen));
    }
    datanet::DatanetSpec spec;
    spec.name = "Fortunes";
    spec.summary = "short sayings";
    spec.license = "CC-BY-4.0";
    Send(owner_, datanet::kCreateKind, datanet::CreatePayload{spec}.Encode());
    c1_ = Send(alice_, datanet::kSubmitKind, Submission(1));
    c2_ = Send(alice_, datanet::kSubmitKind, Submission(2));
    Send(owner_, datanet::kPublishKind, datanet::PublishPayload{1}.Encode());
    economy::DataRef v1{1, 1, {}};
    ASSERT_TRUE(chain_
                    ->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
                      TRIB_ASSIGN_OR_RETURN(auto v, datanet::LoadVersion(s, 1, 1));
                      if (!v) return Status::NotFound("no version 1");
                      v1.root = v->root;
                      return Status::OK();
                    })
                    .ok());
    economy::RegisterModelPayload model;
    model.name = "fortune-teller";
    model.base_hash = H("base");
    model.adapter_hash = H("adapter");
    model.data = {v1};
    model.config_hash = H("config");
    model.metrics = R"({"eval_loss":1.25})";
    model.price_per_1k_tokens = kPrice;
    Send(owner_, economy::kRegisterModelKind, model.Encode());
    economy::CreateApiKeyPayload key;
    key.key_hash = economy::ApiKeyHash("secret");
    Send(funded_, economy::kCreateApiKeyKind, key.Encode());
  }

  static Bytes Transfer(const Address& to, Amount amount) {
    auto kind = NodeTxKinds().Find("transfer");
    return *kind->PayloadFromJson({{"to", to.ToString()}, {"amount", AmountToString(amount)}});
  }
  static Bytes Submission(uint32_t salt) {
    datanet::SubmitPayload p;
    p.datanet = 1;
    std::vector<Hash32> ids;
    for (uint64_t i = 0; i < 4; ++i) ids.push_back(H("row " + std::to_string(salt * 100 + i)));
    p.content_root = datanet::ContentRoot(ids);
    p.rows = ids.size();
    p.bytes = 200;
    p.files = {{"part.txt", "txt", 240}};
    p.report_hash = H("report " + std::to_string(salt));
    return p.Encode();
  }

  // Settles one answer of `tokens` tokens on model 1 with these weights (parts per million).
  Amount Settle(const std::string& id, uint64_t tokens,
                std::vector<economy::ReceiptWeight> weights) {
    economy::InferenceReceipt r;
    r.request_id = id;
    r.key_hash = economy::ApiKeyHash("secret");
    r.model = 1;
    r.prompt_hash = H("prompt " + id);
    r.output_hash = H("output " + id);
    r.prompt_tokens = tokens / 4;
    r.completion_tokens = tokens - tokens / 4;
    r.fee = *economy::InferenceFee(tokens, kPrice);
    std::sort(weights.begin(), weights.end(),
              [](const auto& a, const auto& b) { return a.contribution < b.contribution; });
    uint32_t sum = 0;
    for (const auto& w : weights) sum += w.parts;
    r.weights = std::move(weights);
    r.unattributed = economy::kPartsPerMillion - sum;
    r.provenance_hash = H("provenance " + id);
    r.served_ms = 1;
    Send(sequencer_, economy::kSettleInferenceKind, economy::SettleInferencePayload{{r}}.Encode());
    return r.fee;
  }

  // The ledger's total earnings of `a` (GET /v1/accounts/{a}/earnings).
  Amount LedgerTotal(const std::string& account) {
    auto r = Get("/v1/accounts/" + account + "/earnings");
    EXPECT_EQ(r.status, 200) << r.body;
    return *ParseAmount(r.json().value("total", "0"));
  }
  json Receipts(const KeyPair& who, const std::string& query = "") {
    auto r = Get("/v1/accounts/" + Addr(who).ToString() + "/receipts" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  KeyPair owner_, alice_;
  Hash32 c1_{}, c2_{};
};

TEST_F(EarnersRoutesTest, TotalsAndReceiptsMatchTheLedger) {
  // One answer settled before the index starts (it reads the blocks), one after (it listens).
  const Amount fee1 = Settle("req-1", 1000, {{c1_, 300'000}, {c2_, 300'000}});
  StartServer();
  const Amount fee2 = Settle("req-2", 3000, {{c1_, 500'000}});
  const uint64_t tip = chain_->height();

  auto r = Get("/v1/earners");
  ASSERT_EQ(r.status, 200) << r.body;
  json earners = r.json();
  EXPECT_EQ(earners["answers"], 2);
  EXPECT_EQ(earners["fees_paid"], AmountToString(fee1 + fee2));
  EXPECT_EQ(earners["total_earned"], AmountToString(fee1 + fee2)) << "the split sums to the fee";
  EXPECT_EQ(earners["indexed_height"], tip);
  ASSERT_GE(earners["earners"].size(), 3u) << r.body;  // alice, the owner, the treasury
  Amount listed = 0, previous = kAmountMax;
  bool saw_alice = false;
  for (const auto& e : earners["earners"]) {
    const std::string account = e["account"];
    const Amount total = *ParseAmount(e["total"].get<std::string>());
    EXPECT_LE(total, previous) << "sorted by total, largest first";
    previous = total;
    listed += total;
    EXPECT_EQ(total, LedgerTotal(account)) << account;
    Amount by_role = 0;
    for (const auto& [role, amount] : e["by_role"].items()) {
      by_role += *ParseAmount(amount.get<std::string>());
    }
    EXPECT_EQ(by_role, total) << e.dump();
    if (account == Addr(alice_).ToString()) {
      saw_alice = true;
      EXPECT_TRUE(e["by_role"].contains("contributor")) << e.dump();
      EXPECT_EQ(e["credits"], 3) << "two parts of req-1, one of req-2";
    }
  }
  EXPECT_TRUE(saw_alice);
  EXPECT_EQ(listed, fee1 + fee2);
  auto top = Get("/v1/earners?limit=1").json();
  ASSERT_EQ(top["earners"].size(), 1u);
  EXPECT_EQ(top["earners"][0], earners["earners"][0]);

  // The payer: what it paid, newest first.
  json paid = Receipts(funded_);
  EXPECT_EQ(paid["account"], Addr(funded_).ToString());
  EXPECT_EQ(paid["indexed_height"], tip);
  ASSERT_EQ(paid["receipts"].size(), 2u) << paid.dump();
  EXPECT_EQ(paid["receipts"][0]["request_id"], "req-2");
  EXPECT_EQ(paid["receipts"][0]["role"], "payer");
  EXPECT_EQ(paid["receipts"][0]["amount"], AmountToString(fee2));
  EXPECT_EQ(paid["receipts"][0]["model"], 1);
  EXPECT_EQ(paid["receipts"][0]["height"], tip);
  EXPECT_TRUE(paid["receipts"][0]["timestamp_ms"].is_number_unsigned());
  EXPECT_EQ(paid["receipts"][1]["request_id"], "req-1");
  EXPECT_EQ(paid["receipts"][1]["amount"], AmountToString(fee1));
  EXPECT_LT(paid["receipts"][1]["height"].get<uint64_t>(), tip);

  // alice earned twice from req-1 (two contributions): one receipt with their sum.
  json earned = Receipts(alice_);
  ASSERT_EQ(earned["receipts"].size(), 2u) << earned.dump();
  EXPECT_EQ(earned["receipts"][0]["request_id"], "req-2");
  EXPECT_EQ(earned["receipts"][1]["request_id"], "req-1");
  Amount sum = 0;
  for (const auto& e : earned["receipts"]) {
    EXPECT_EQ(e["role"], "contributor");
    sum += *ParseAmount(e["amount"].get<std::string>());
  }
  EXPECT_EQ(sum, LedgerTotal(Addr(alice_).ToString()));
  json owner = Receipts(owner_);
  ASSERT_EQ(owner["receipts"].size(), 2u) << owner.dump();
  EXPECT_EQ(owner["receipts"][0]["role"], "owner");

  json newest = Receipts(funded_, "?limit=1");
  ASSERT_EQ(newest["receipts"].size(), 1u);
  EXPECT_EQ(newest["receipts"][0]["request_id"], "req-2");
  // An account that took part in nothing: an empty list.
  EXPECT_EQ(Receipts(KeyPair::Generate())["receipts"], json::array());
}

TEST_F(EarnersRoutesTest, BadInputIs400) {
  StartServer();
  auto empty = Get("/v1/earners").json();
  EXPECT_EQ(empty["answers"], 0);
  EXPECT_EQ(empty["fees_paid"], "0");
  EXPECT_EQ(empty["earners"], json::array());
  for (std::string address : {"nope", "trb1xyz", "00"}) {
    SCOPED_TRACE(address);
    EXPECT_TRUE(IsJsonError(Get("/v1/accounts/" + address + "/receipts"), 400, "bad_address"));
  }
  const std::string receipts = "/v1/accounts/" + Addr(alice_).ToString() + "/receipts";
  for (std::string limit : {"0", "201", "-1", "x", "", "1.5"}) {
    SCOPED_TRACE(limit);
    EXPECT_TRUE(IsJsonError(Get(receipts + "?limit=" + limit), 400, "bad_param"));
  }
  EXPECT_EQ(Get(receipts + "?limit=200").status, 200);
  for (std::string limit : {"0", "101", "-1", "x", ""}) {
    SCOPED_TRACE(limit);
    EXPECT_TRUE(IsJsonError(Get("/v1/earners?limit=" + limit), 400, "bad_param"));
  }
  EXPECT_EQ(Get("/v1/earners?limit=100").status, 200);
}

}  // namespace
}  // namespace tributary::testing
