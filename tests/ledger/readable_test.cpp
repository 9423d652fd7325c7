// The readable members beside a proof (ledger/readable.h): documents built here as the node
// builds them verify, and each member edited on its own is refused by VerifyProofJson, naming
// it, with reason "misleading_proof". One test per member.
#include "tributary/ledger/readable.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "support/temp_dir.h"
#include "tributary/base/encoding.h"
#include "tributary/ledger/chain.h"
#include "tributary/ledger/verify.h"

namespace tributary {
namespace {

using json = nlohmann::json;
using testing::TempDir;

constexpr uint64_t kGenesisTime = 1767225600000ULL;
const Amount kOpen = Pow10(18);

KeyPair Key(uint8_t n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = n;
  seed[1] = 0x5e;
  return KeyPair::FromSeed(seed);
}
Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

// A chain whose block 1 holds three txs (alice pays bob, alice stakes, bob pays alice), so that
// the middle one has a non-zero index and both audit paths are non-empty.
class ReadableTest : public ::testing::Test {
 protected:
  ReadableTest() : alice_(Key(1)), bob_(Key(2)), sequencer_(Key(9)) {
    RegisterLedgerKinds(kinds_);
    Genesis g;
    g.chain_id = "tributary-readable-test";
    g.timestamp_ms = kGenesisTime;
    g.sequencer = sequencer_.public_key();
    g.accounts = {{Addr(alice_), 1000 * kOpen}, {Addr(bob_), 500 * kOpen}};
    g.supply = 1500 * kOpen;
    ChainOptions o;
    o.data_dir = dir_.path() / "data";
    o.genesis = g;
    o.sequencer = sequencer_;
    o.clock_ms = [] { return kGenesisTime + 5000; };
    auto c = Chain::Open(o, kinds_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return;
    chain_ = std::move(*c);
    Send(alice_, 0, "transfer", Writer().Fixed(Addr(bob_).bytes).U128(10 * kOpen).bytes());
    stake_ = Send(alice_, 1, "stake", Writer().U128(100 * kOpen).bytes());
    Send(bob_, 0, "transfer", Writer().Fixed(Addr(alice_).bytes).U128(3 * kOpen).bytes());
    auto h = chain_->ProduceBlock();
    EXPECT_TRUE(h.ok() && *h == 1u);
  }

  Hash32 Send(const KeyPair& from, uint64_t nonce, const std::string& kind, Bytes payload) {
    Transaction tx;
    tx.chain_id = "tributary-readable-test";
    tx.nonce = nonce;
    tx.max_fee = Pow10(16);
    tx.kind = kind;
    tx.payload = std::move(payload);
    tx.SignWith(from);
    auto h = chain_->Submit(tx);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : Hash32{};
  }

  // GET /v1/tx/{hash} as the node answers it.
  json TxDoc(const Hash32& hash) {
    auto l = chain_->GetTx(hash);
    EXPECT_TRUE(l.ok() && l->state == TxState::kCommitted);
    if (!l.ok()) return json();
    json doc = TxProvenMembers(l->tx, l->receipt, l->header, l->index, kinds_);
    doc["proof"] = TxProofJson(*l);
    return doc;
  }
  // GET /v1/accounts/{a}?prove=1 as the node answers it.
  json AccountDoc(const Address& a) {
    auto l = chain_->GetAccount(a, true);
    EXPECT_TRUE(l.ok());
    if (!l.ok()) return json();
    json doc = AccountProvenMembers(a, l->account, l->header);
    doc["proof"] = AccountProofJson(*l);
    return doc;
  }

  Result<ProofCheck> Verify(const json& doc, const StateViewer& viewer = {}) {
    return VerifyProofJson(doc, kinds_, sequencer_.public_key(), viewer);
  }

  TempDir dir_;
  TxKindRegistry kinds_;
  KeyPair alice_, bob_, sequencer_;
  std::unique_ptr<Chain> chain_;
  Hash32 stake_{};
};

// Refused for a misleading member, naming `path`.
::testing::AssertionResult Misleading(const Result<ProofCheck>& r, const std::string& path) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted: " << r->summary;
  if (r.status().reason() != "misleading_proof" ||
      r.status().message().find(path) == std::string::npos) {
    return ::testing::AssertionFailure() << "refused otherwise: " << r.status().ToString();
  }
  return ::testing::AssertionSuccess();
}

std::string EditHex(const json& j) {
  std::string s = j.get<std::string>();
  s[s.size() - 1] = s[s.size() - 1] == '0' ? '1' : '0';
  return s;
}

std::string OtherAddress() { return Addr(Key(77)).ToString(); }

TEST(CheckReadableTest, NamesTheFirstMemberThatDiffers) {
  const json proven = {{"a", {{"b", "7"}, {"c", {1, 2, 3}}}}, {"n", 5}};
  EXPECT_TRUE(CheckReadable(proven, proven, "x").ok());
  // Numbers compare by value, whatever their JSON type.
  EXPECT_TRUE(
      CheckReadable(json::parse(R"({"a":{"b":"7","c":[1,2,3.0]},"n":5.0})"), proven, "x").ok());
  struct Case {
    json shown;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {json::parse(R"({"a":{"b":"8","c":[1,2,3]},"n":5})"), "x.a.b disagrees"},
           {json::parse(R"({"a":{"b":7,"c":[1,2,3]},"n":5})"), "x.a.b disagrees"},
           {json::parse(R"({"a":{"b":"7","c":[1,2,4]},"n":5})"), "x.a.c[2] disagrees"},
           {json::parse(R"({"a":{"b":"7","c":[1,2]},"n":5})"), "x.a.c shows 2 entries"},
           {json::parse(R"({"a":{"b":"7"},"n":5})"), "x.a.c is missing"},
           {json::parse(R"({"a":{"b":"7","c":[1,2,3],"d":0},"n":5})"), "x.a.d is not in"},
           {json::parse(R"({"a":null,"n":5})"), "x.a disagrees"},
           {json::parse(R"({"a":{"b":"7","c":[1,2,3]},"n":5.5})"), "x.n disagrees"},
       }) {
    Status s = CheckReadable(c.shown, proven, "x");
    EXPECT_EQ(s.reason(), "misleading_proof") << c.shown;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
  }
  // Top-level members may be left out; one the proof does not prove may not be added.
  EXPECT_TRUE(CheckReadableMembers(json{{"proof", 1}}, proven).ok());
  EXPECT_TRUE(CheckReadableMembers(json{{"proof", 1}, {"n", 5}}, proven).ok());
  EXPECT_EQ(CheckReadableMembers(json{{"proof", 1}, {"m", 5}}, proven).reason(),
            "misleading_proof");
  EXPECT_TRUE(CheckReadableMembers(json{{"m", 5}}, proven).ok()) << "no proof member: a bare proof";
  EXPECT_TRUE(CheckOnlyMembers(json{{"a", 1}}, {"a", "b"}, "proof").ok());
  EXPECT_NE(CheckOnlyMembers(json{{"c", 1}}, {"a", "b"}, "proof").message().find("proof.c"),
            std::string::npos);
}

TEST_F(ReadableTest, TheNodesDocumentsVerifyWithEveryMemberChecked) {
  json tx = TxDoc(stake_);
  auto r = Verify(tx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->readable, (std::vector<std::string>{"block", "hash", "height", "index", "receipt",
                                                   "status", "tx"}));
  EXPECT_EQ(tx["index"], 1);
  // Through a text round trip, with members left out, and as the bare proof.
  EXPECT_TRUE(Verify(json::parse(tx.dump())).ok());
  json some = tx;
  some.erase("block");
  some.erase("receipt");
  EXPECT_TRUE(Verify(some).ok());
  auto bare = Verify(tx["proof"]);
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->readable.empty());

  auto a = Verify(AccountDoc(Addr(alice_)));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->readable.size(), 7u);
  auto absent = Verify(AccountDoc(Addr(Key(77))));
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  json claimed = AccountDoc(Addr(Key(77)));
  claimed["balance"] = "1";
  EXPECT_TRUE(Misleading(Verify(claimed), "balance"));
}

// One member of a tx document edited: the path it is named by and the edit.
struct Edit {
  std::string name;  // the test's name
  std::string path;  // what the error must name
  std::function<void(json&)> apply;
};
std::string EditName(const ::testing::TestParamInfo<Edit>& info) { return info.param.name; }

class TxMemberTest : public ReadableTest, public ::testing::WithParamInterface<Edit> {};

TEST_P(TxMemberTest, AnEditedMemberIsRefusedNamingIt) {
  json doc = TxDoc(stake_);
  ASSERT_TRUE(Verify(doc).ok());
  GetParam().apply(doc);
  EXPECT_TRUE(Misleading(Verify(doc), GetParam().path));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, TxMemberTest,
    ::testing::Values(
        Edit{"tx_payload_amount", "tx.payload.amount",
             [](json& d) { d["tx"]["payload"]["amount"] = AmountToString(1000 * kOpen); }},
        Edit{"tx_payload_member_added", "tx.payload.to",
             [](json& d) { d["tx"]["payload"]["to"] = OtherAddress(); }},
        Edit{"tx_nonce", "tx.nonce", [](json& d) { d["tx"]["nonce"] = 7; }},
        Edit{"tx_from", "tx.from", [](json& d) { d["tx"]["from"] = OtherAddress(); }},
        Edit{"tx_sender", "tx.sender",
             [](json& d) { d["tx"]["sender"] = EditHex(d["tx"]["sender"]); }},
        Edit{"tx_kind", "tx.kind", [](json& d) { d["tx"]["kind"] = "unstake"; }},
        Edit{"tx_max_fee", "tx.max_fee", [](json& d) { d["tx"]["max_fee"] = "1"; }},
        Edit{"tx_chain_id", "tx.chain_id", [](json& d) { d["tx"]["chain_id"] = "mainnet"; }},
        Edit{"tx_hash", "tx.hash", [](json& d) { d["tx"]["hash"] = EditHex(d["tx"]["hash"]); }},
        Edit{"tx_raw", "tx.raw", [](json& d) { d["tx"]["raw"] = EditHex(d["tx"]["raw"]); }},
        Edit{"tx_signature", "tx.signature",
             [](json& d) { d["tx"]["signature"] = EditHex(d["tx"]["signature"]); }},
        Edit{"tx_member_added", "tx.memo", [](json& d) { d["tx"]["memo"] = "refund"; }},
        Edit{"tx_member_dropped", "tx.payload", [](json& d) { d["tx"].erase("payload"); }},
        Edit{"receipt_fee_charged", "receipt.fee_charged",
             [](json& d) { d["receipt"]["fee_charged"] = "0"; }},
        Edit{"receipt_status", "receipt.status",
             [](json& d) { d["receipt"]["status"] = "failed"; }},
        Edit{"receipt_error", "receipt.error",
             [](json& d) { d["receipt"]["error"] = "insufficient_balance"; }},
        Edit{"receipt_tx_hash", "receipt.tx_hash",
             [](json& d) { d["receipt"]["tx_hash"] = EditHex(d["receipt"]["tx_hash"]); }},
        Edit{"receipt_event_type", "receipt.events[0].type",
             [](json& d) { d["receipt"]["events"][0]["type"] = "unstake"; }},
        Edit{"receipt_event_attr", "receipt.events[0].attrs.amount",
             [](json& d) { d["receipt"]["events"][0]["attrs"]["amount"] = "1"; }},
        Edit{"receipt_event_dropped", "receipt.events",
             [](json& d) { d["receipt"]["events"] = json::array(); }},
        Edit{"block_height", "block.height", [](json& d) { d["block"]["height"] = 2; }},
        Edit{"block_state_root", "block.state_root",
             [](json& d) { d["block"]["state_root"] = EditHex(d["block"]["state_root"]); }},
        Edit{"block_tx_root", "block.tx_root",
             [](json& d) { d["block"]["tx_root"] = EditHex(d["block"]["tx_root"]); }},
        Edit{"block_hash", "block.hash",
             [](json& d) { d["block"]["hash"] = EditHex(d["block"]["hash"]); }},
        Edit{"block_timestamp", "block.timestamp_ms",
             [](json& d) { d["block"]["timestamp_ms"] = 0; }},
        Edit{"block_proposer", "block.proposer",
             [](json& d) { d["block"]["proposer"] = EditHex(d["block"]["proposer"]); }},
        Edit{"hash", "hash", [](json& d) { d["hash"] = EditHex(d["hash"]); }},
        Edit{"height", "height", [](json& d) { d["height"] = 2; }},
        Edit{"height_as_text", "height", [](json& d) { d["height"] = "1"; }},
        Edit{"index", "index", [](json& d) { d["index"] = 0; }},
        Edit{"status", "status", [](json& d) { d["status"] = "pending"; }},
        Edit{"member_added", "'note'", [](json& d) { d["note"] = "refunded in full"; }},
        Edit{"proof_member_added", "proof.note",
             [](json& d) { d["proof"]["note"] = "refunded in full"; }}),
    EditName);

class AccountMemberTest : public ReadableTest, public ::testing::WithParamInterface<Edit> {};

TEST_P(AccountMemberTest, AnEditedMemberIsRefusedNamingIt) {
  json doc = AccountDoc(Addr(alice_));
  ASSERT_TRUE(Verify(doc).ok());
  GetParam().apply(doc);
  EXPECT_TRUE(Misleading(Verify(doc), GetParam().path));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, AccountMemberTest,
    ::testing::Values(
        Edit{"balance", "balance", [](json& d) { d["balance"] = AmountToString(2000 * kOpen); }},
        Edit{"nonce", "nonce", [](json& d) { d["nonce"] = 0; }},
        Edit{"staked", "staked", [](json& d) { d["staked"] = "0"; }},
        Edit{"unbonding", "unbonding", [](json& d) { d["unbonding"] = "5"; }},
        Edit{"address", "address", [](json& d) { d["address"] = OtherAddress(); }},
        Edit{"height", "height", [](json& d) { d["height"] = 0; }},
        Edit{"state", "state", [](json& d) { d["state"] = "pending"; }},
        // Not covered by the proof, so not part of a proven document.
        Edit{"next_nonce", "'next_nonce'", [](json& d) { d["next_nonce"] = 2; }},
        Edit{"balance_display", "'balance_display'",
             [](json& d) { d["balance_display"] = "887 OPEN"; }},
        Edit{"proof_member_added", "proof.note", [](json& d) { d["proof"]["note"] = "x"; }}),
    EditName);

// A state proof's members are only what a StateViewer derives from the proven entry.
TEST_F(ReadableTest, StateProofMembersComeFromTheViewer) {
  const std::string key = AccountKey(Addr(bob_));
  auto l = chain_->GetState(key, true);
  ASSERT_TRUE(l.ok());
  json doc = {{"proof", StateProofJson(key, *l)}};
  ASSERT_TRUE(Verify(doc).ok());
  StateViewer viewer = [&](const std::string& k,
                           const std::optional<Bytes>& v) -> std::optional<StateView> {
    if (k != key || !v) return std::nullopt;
    auto a = Account::Decode(*v);
    if (!a.ok()) return std::nullopt;
    return StateView{"bob", "bob's account", {{"balance", AmountToString(a->balance)}}};
  };
  auto r = Verify(doc, viewer);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, "bob");
  EXPECT_EQ(r->summary, "bob's account");

  doc["balance"] = AccountDoc(Addr(bob_))["balance"];
  auto shown = Verify(doc, viewer);
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_EQ(shown->readable, std::vector<std::string>{"balance"});
  // Without a viewer nothing beside a state proof can be checked, so nothing may stand there.
  EXPECT_TRUE(Misleading(Verify(doc), "'balance'"));
  doc["balance"] = "1";
  EXPECT_TRUE(Misleading(Verify(doc, viewer), "balance"));
  doc.erase("balance");
  doc["proof"]["note"] = "x";
  EXPECT_TRUE(Misleading(Verify(doc, viewer), "proof.note"));
}

}  // namespace
}  // namespace tributary
