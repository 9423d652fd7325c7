// A settled receipt as a proven document (economy/receipt_proof.h): the document the node sends
// for GET /v1/receipts/{id}, built here over a state holding the receipt and a signed header,
// verifies as a receipt, and each of its readable fields edited on its own is refused naming it,
// by the library and by `tributary verify-proof`. One test per field.
#include "tributary/economy/receipt_proof.h"

#include <gtest/gtest.h>

#include <functional>

#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/base/hash.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;
using testing::RunTributary;
using testing::TempDir;

KeyPair Key(uint8_t n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = n;
  seed[1] = 0x7c;
  return KeyPair::FromSeed(seed);
}
Address Addr(uint8_t n) { return Address::FromPublicKey(Key(n).public_key()); }
Hash32 H(const std::string& tag) { return Sha256(AsBytes(tag)); }

// Receipt "req-1": a fee of 1,000,000 base units split between two contributors, the model's
// owner and the treasury, in a state signed by the sequencer at block 12.
class ReceiptProofTest : public ::testing::Test {
 protected:
  ReceiptProofTest() : sequencer_(Key(9)) {
    SettledReceipt s;
    s.receipt.request_id = "req-1";
    s.receipt.key_hash = H("key");
    s.receipt.model = 3;
    s.receipt.prompt_hash = H("prompt");
    s.receipt.output_hash = H("output");
    s.receipt.prompt_tokens = 40;
    s.receipt.completion_tokens = 60;
    s.receipt.fee = 1'000'000;
    s.receipt.weights = {{H("c1"), 600'000}, {H("c2"), 300'000}};
    s.receipt.unattributed = 100'000;
    s.receipt.provenance_hash = H("provenance");
    s.receipt.served_ms = 1767225600000ULL;
    s.payer = Addr(1);
    s.paid = 1'000'000;
    s.height = 12;
    s.timestamp_ms = 1767225605000ULL;
    s.tx_hash = H("settle tx");
    s.parts = {{SplitRole::kContributor, Addr(2), H("c1"), 1, 400'000},
               {SplitRole::kContributor, Addr(3), H("c2"), 1, 200'000},
               {SplitRole::kOwner, Addr(4), {}, 0, 350'000},
               {SplitRole::kTreasury, Addr(5), {}, 0, 50'000}};
    settled_ = s;
  }

  // GET /v1/receipts/{id} as the node answers it, for `stored` under `key`.
  json Doc(const SettledReceipt& stored, const std::string& key) {
    State state;
    state.Apply({{key, stored.Encode()}, {"x-other", Bytes{1, 2, 3}}});
    BlockHeader h;
    h.chain_id = "tributary-receipt-test";
    h.height = 12;
    h.timestamp_ms = stored.timestamp_ms;
    h.state_root = state.Root();
    h.SignWith(sequencer_);
    StateLookup l{stored.Encode(), h, state.Prove(key)};
    json doc = SettledReceiptMembers(stored);
    doc["proof"] = StateProofJson(key, l);
    return doc;
  }
  json Doc() { return Doc(settled_, ReceiptKey("req-1")); }

  Result<ProofCheck> Verify(const json& doc) {
    return VerifyProofJson(doc, TxKindRegistry(), sequencer_.public_key(), ReceiptStateView);
  }

  KeyPair sequencer_;
  SettledReceipt settled_;
};

::testing::AssertionResult Misleading(const Result<ProofCheck>& r, const std::string& path) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted: " << r->summary;
  if (r.status().reason() != "misleading_proof" ||
      r.status().message().find(path) == std::string::npos) {
    return ::testing::AssertionFailure() << "refused otherwise: " << r.status().ToString();
  }
  return ::testing::AssertionSuccess();
}

TEST_F(ReceiptProofTest, TheNodesDocumentVerifiesAsTheReceipt) {
  json doc = Doc();
  auto r = Verify(doc);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, "receipt");
  EXPECT_EQ(r->summary, DescribeReceipt(settled_));
  EXPECT_EQ(r->readable, (std::vector<std::string>{"receipt", "status"}));
  EXPECT_TRUE(Verify(json::parse(doc.dump())).ok());
  // The bare proof is still a receipt; its readable members may be left out.
  auto bare = Verify(doc["proof"]);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->kind, "receipt");
  // A verifier that cannot read receipts cannot vouch for the members beside the proof.
  auto blind = VerifyProofJson(doc, TxKindRegistry(), sequencer_.public_key());
  EXPECT_TRUE(Misleading(blind, "'receipt'"));
  EXPECT_TRUE(VerifyProofJson(doc["proof"], TxKindRegistry(), sequencer_.public_key()).ok());
  // A receipt stored under another request's key is not that request's receipt.
  json elsewhere = Doc(settled_, ReceiptKey("req-2"));
  auto other = Verify(elsewhere);
  EXPECT_TRUE(Misleading(other, "'receipt'"));
}

struct Edit {
  std::string name;
  std::string path;
  std::function<void(json&)> apply;
};
std::string EditName(const ::testing::TestParamInfo<Edit>& info) { return info.param.name; }

class ReceiptFieldTest : public ReceiptProofTest, public ::testing::WithParamInterface<Edit> {};

TEST_P(ReceiptFieldTest, AnEditedFieldIsRefusedNamingIt) {
  json doc = Doc();
  ASSERT_TRUE(Verify(doc).ok());
  GetParam().apply(doc);
  EXPECT_TRUE(Misleading(Verify(doc), GetParam().path));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ReceiptFieldTest,
    ::testing::Values(
        Edit{"fee", "receipt.fee", [](json& d) { d["receipt"]["fee"] = "2000000"; }},
        Edit{"paid", "receipt.paid", [](json& d) { d["receipt"]["paid"] = "1"; }},
        Edit{"payer", "receipt.payer", [](json& d) { d["receipt"]["payer"] = Addr(6).ToString(); }},
        Edit{"split_amount", "receipt.split[0].amount",
             [](json& d) { d["receipt"]["split"][0]["amount"] = "900000"; }},
        Edit{"split_account", "receipt.split[1].account",
             [](json& d) { d["receipt"]["split"][1]["account"] = Addr(6).ToString(); }},
        Edit{"split_role", "receipt.split[2].role",
             [](json& d) { d["receipt"]["split"][2]["role"] = "contributor"; }},
        Edit{"split_contribution", "receipt.split[0].contribution",
             [](json& d) { d["receipt"]["split"][0]["contribution"] = ToHex(H("c9")); }},
        Edit{"split_part_dropped", "receipt.split",
             [](json& d) { d["receipt"]["split"].erase(3); }},
        Edit{"weight_parts", "receipt.weights[0].parts",
             [](json& d) { d["receipt"]["weights"][0]["parts"] = 900'000; }},
        Edit{"unattributed", "receipt.unattributed",
             [](json& d) { d["receipt"]["unattributed"] = 0; }},
        Edit{"request_id", "receipt.request_id",
             [](json& d) { d["receipt"]["request_id"] = "req-2"; }},
        Edit{"model", "receipt.model", [](json& d) { d["receipt"]["model"] = 4; }},
        Edit{"completion_tokens", "receipt.completion_tokens",
             [](json& d) { d["receipt"]["completion_tokens"] = 6; }},
        Edit{"height", "receipt.height", [](json& d) { d["receipt"]["height"] = 13; }},
        Edit{"tx_hash", "receipt.tx_hash",
             [](json& d) { d["receipt"]["tx_hash"] = ToHex(H("another tx")); }},
        Edit{"status", "status", [](json& d) { d["status"] = "refunded"; }},
        Edit{"member_added", "'refund'", [](json& d) { d["refund"] = "1000000"; }}),
    EditName);

// `tributary verify-proof` on the file `tributary receipt ID --out` writes: VALID as a receipt,
// and refused, naming the field, once a readable field is edited.
TEST_F(ReceiptProofTest, TheCliRefusesAnEditedReceiptFile) {
  TempDir tmp;
  const auto file = tmp.path() / "receipt.json";
  json doc = Doc();
  testing::WriteFileBytes(file, doc.dump(2));
  auto ok = RunTributary({"verify-proof", file.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.out.rfind("VALID: receipt req-1", 0), 0u) << ok.out;
  EXPECT_NE(ok.out.find("readable fields (receipt, status)"), std::string::npos) << ok.out;

  doc["receipt"]["split"][0]["amount"] = "900000";
  testing::WriteFileBytes(file, doc.dump(2));
  auto bad = RunTributary({"verify-proof", file.string()});
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  EXPECT_EQ(bad.out.find("VALID"), std::string::npos) << bad.out;
  EXPECT_NE(bad.err.find("receipt.split[0].amount"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("misleading_proof"), std::string::npos) << bad.err;
  auto as_json = RunTributary({"--json", "verify-proof", file.string()});
  EXPECT_NE(as_json.exit_code, 0);
  json verdict = json::parse(as_json.out, nullptr, false);
  EXPECT_EQ(verdict.value("valid", true), false) << as_json.out;
  EXPECT_EQ(verdict.value("reason", ""), "misleading_proof") << as_json.out;
}

}  // namespace
}  // namespace tributary::economy
