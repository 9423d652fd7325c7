// The five Datanet tx kinds driven through a real Executor over State/Overlay with signed txs.
#include "tributary/datanet/kinds.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/datanet/records.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/executor.h"
#include "tributary/ledger/merkle.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::datanet {
namespace {

using json = nlohmann::json;

constexpr uint64_t kT0 = 1767225600000ULL;  // 2026-01-01T00:00:00Z, a UTC day boundary
const Amount kOpen = Pow10(18);

KeyPair Key(uint8_t n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = n;
  seed[1] = 0xda;
  seed[31] = 0x7a;
  return KeyPair::FromSeed(seed);
}
Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

// A well-formed spec every test starts from.
DatanetSpec GoodSpec(const std::string& name = "Computer fortunes") {
  DatanetSpec s;
  s.name = name;
  s.summary = "Short quips about computers";
  s.description = "# Fortunes\n\nFrom the BSD fortune files.\n";
  s.tags = {"humor", "computers"};
  s.license = "CC-BY-4.0";
  return s;
}

DatanetSpec ApprovalSpec(Amount stake, uint32_t slash_bps) {
  DatanetSpec s = GoodSpec("Reviewed fortunes");
  s.policy = Policy::kApproval;
  s.stake = stake;
  s.slash_bps = slash_bps;
  return s;
}

// A contribution.submit payload with files of the given sizes; `salt` makes its content root
// distinct.
SubmitPayload Submission(uint64_t datanet, const std::vector<uint64_t>& file_sizes,
                         uint64_t rows = 3, uint32_t salt = 0) {
  SubmitPayload p;
  p.datanet = datanet;
  std::vector<Hash32> ids;
  for (uint64_t i = 0; i < rows; ++i) {
    ids.push_back(Sha256(Writer().U32(salt).U64(i).bytes()));
  }
  p.content_root = ContentRoot(ids);
  p.rows = rows;
  p.bytes = rows * 100;
  p.rejected_rows = salt % 3;
  for (size_t i = 0; i < file_sizes.size(); ++i) {
    p.files.push_back({"part-" + std::to_string(i) + ".txt", "txt", file_sizes[i]});
  }
  p.report_hash = Sha256(Writer().U32(salt).Str("report").bytes());
  return p;
}

Bytes ReviewBytes(const Hash32& c, bool approve, std::string reason = {}, bool spam = false) {
  ReviewPayload p;
  p.contribution = c;
  p.approve = approve;
  p.reason = std::move(reason);
  p.spam = spam;
  return p.Encode();
}
Bytes PublishBytes(uint64_t datanet) { return PublishPayload{datanet}.Encode(); }
Bytes CreateBytes(const DatanetSpec& spec) { return CreatePayload{spec}.Encode(); }

// The outcome of one applied tx.
struct Applied {
  Transaction tx;
  Hash32 hash{};
  Receipt receipt;
  Status action;  // the kind's own result
  Amount fee = 0;
};

class KindsTest : public ::testing::Test {
 protected:
  KindsTest()
      : owner_(Key(1)),
        alice_(Key(2)),
        bob_(Key(3)),
        carol_(Key(4)),
        poor_(Key(5)),
        sequencer_(Key(99)) {
    RegisterLedgerKinds(kinds_);
    RegisterDatanetKinds(kinds_);
    genesis_.chain_id = "tributary-datanet-kinds";
    genesis_.timestamp_ms = kT0;
    genesis_.sequencer = sequencer_.public_key();
    genesis_.params.unbonding_blocks = 3;
    genesis_.accounts = {{Addr(owner_), 1000 * kOpen},
                         {Addr(alice_), 1000 * kOpen},
                         {Addr(bob_), 1000 * kOpen},
                         {Addr(carol_), 1000 * kOpen},
                         {Addr(poor_), Pow10(15)}};  // fees only: about 70 of them
    genesis_.supply = 4000 * kOpen + Pow10(15);
    EXPECT_TRUE(genesis_.Validate().ok());
    exec_ = std::make_unique<Executor>(genesis_, kinds_);
    state_ = Fresh();
  }

  std::unique_ptr<State> Fresh() {
    auto s = std::make_unique<State>();
    Overlay o(s.get());
    exec_->ApplyGenesis(o);
    s->Apply(o.writes());
    return s;
  }

  Transaction MakeTx(const KeyPair& from, uint64_t nonce, std::string_view kind, Bytes payload) {
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = Pow10(16);
    tx.kind = std::string(kind);
    tx.payload = std::move(payload);
    tx.SignWith(from);
    return tx;
  }
  Transaction NextTx(const KeyPair& from, std::string_view kind, Bytes payload) {
    return MakeTx(from, AccountOf(Addr(from)).nonce, kind, std::move(payload));
  }

  Status Check(const Transaction& tx) { return exec_->CheckTx(tx, tx.Encode().size()); }

  // Applies a signed tx as the next block (height + 1) with timestamp `ts`, and commits it.
  Applied Apply(const Transaction& tx, uint64_t ts, State* state = nullptr) {
    State* s = state ? state : state_.get();
    Applied out;
    out.tx = tx;
    out.hash = tx.Hash();
    Status check = Check(tx);
    EXPECT_TRUE(check.ok()) << check.ToString();
    Bytes raw = tx.Encode();
    out.fee = *genesis_.params.FeeFor(raw.size());
    Overlay o(s);
    auto r =
        exec_->ApplyTx(o, tx, out.hash, raw.size(), ++height_, ts, fee_collector(), &out.action);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) out.receipt = *r;
    s->Apply(o.writes());
    return out;
  }
  Applied Send(const KeyPair& from, std::string_view kind, Bytes payload, uint64_t ts = kT0) {
    return Apply(NextTx(from, kind, std::move(payload)), ts);
  }
  // Sends and expects success.
  Applied Ok(const KeyPair& from, std::string_view kind, Bytes payload, uint64_t ts = kT0) {
    Applied a = Send(from, kind, std::move(payload), ts);
    EXPECT_TRUE(a.action.ok()) << kind << ": " << a.action.ToString();
    EXPECT_EQ(a.receipt.status, Receipt::kSuccess) << a.receipt.error;
    return a;
  }
  // Sends and expects the action to fail with `reason` (fee charged, nothing else written).
  Applied Fails(const KeyPair& from, std::string_view kind, Bytes payload,
                const std::string& reason, uint64_t ts = kT0) {
    Applied a = Send(from, kind, std::move(payload), ts);
    EXPECT_EQ(a.action.reason(), reason) << a.action.ToString();
    EXPECT_EQ(a.receipt.status, Receipt::kFailed);
    EXPECT_EQ(a.receipt.error.rfind(reason + ": ", 0), 0u) << a.receipt.error;
    EXPECT_TRUE(a.receipt.events.empty());
    return a;
  }

  uint64_t Create(const KeyPair& from, const DatanetSpec& spec) {
    Applied a = Ok(from, kCreateKind, CreateBytes(spec));
    auto n = LoadDatanetCount(*state_);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : 0;
  }
  Hash32 Submit(const KeyPair& from, const SubmitPayload& p, uint64_t ts = kT0) {
    return Ok(from, kSubmitKind, p.Encode(), ts).hash;
  }

  Account AccountOf(const Address& a, const StateReader* s = nullptr) {
    auto r = LoadAccount(s ? *s : *state_, a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Account{};
  }
  Amount BalanceOf(const Address& a) { return AccountOf(a).balance; }
  Datanet DatanetOf(uint64_t id) {
    auto d = LoadDatanet(*state_, id);
    EXPECT_TRUE(d.ok() && d->has_value()) << id;
    return d.ok() && d->has_value() ? **d : Datanet{};
  }
  Contribution ContributionOf(const Hash32& id) {
    auto c = LoadContribution(*state_, id);
    EXPECT_TRUE(c.ok() && c->has_value()) << ToHex(id);
    return c.ok() && c->has_value() ? **c : Contribution{};
  }
  ContributorStats StatsOf(uint64_t d, const KeyPair& who) {
    auto s = LoadStats(*state_, d, Addr(who));
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : ContributorStats{};
  }
  Version VersionOf(uint64_t d, uint32_t n) {
    auto v = LoadVersion(*state_, d, n);
    EXPECT_TRUE(v.ok() && v->has_value()) << d << "/" << n;
    return v.ok() && v->has_value() ? **v : Version{};
  }
  Hash32 AcceptedAt(uint64_t d, uint64_t i) {
    auto h = LoadListEntry(*state_, AcceptedListKey(d, i));
    EXPECT_TRUE(h.ok()) << d << "/" << i;
    return h.ok() ? *h : Hash32{};
  }

  // balance + staked + unbonding over every account the tests can touch.
  Amount TotalSupply(const StateReader& s) {
    std::set<Address> all = {Addr(owner_), Addr(alice_),    Addr(bob_),        Addr(carol_),
                             Addr(poor_),  EscrowAddress(), TreasuryAddress(), fee_collector()};
    Amount sum = 0;
    for (const auto& a : all) {
      auto t = AccountOf(a, &s).Total();
      EXPECT_TRUE(t.has_value());
      sum += t.value_or(0);
    }
    return sum;
  }

  Address fee_collector() const { return Address::FromPublicKey(sequencer_.public_key()); }

  TxKindRegistry kinds_;
  KeyPair owner_, alice_, bob_, carol_, poor_, sequencer_;
  Genesis genesis_;
  std::unique_ptr<Executor> exec_;
  std::unique_ptr<State> state_;
  uint64_t height_ = 0;
};

// ---- datanet.create ----

TEST_F(KindsTest, CreateAssignsIdsInOrderAndTheSenderOwns) {
  EXPECT_EQ(*LoadDatanetCount(*state_), 0u);
  Applied first = Ok(owner_, kCreateKind, CreateBytes(GoodSpec("First")), kT0 + 1);
  Applied second = Ok(alice_, kCreateKind, CreateBytes(GoodSpec("Second")), kT0 + 2);
  Applied third = Ok(owner_, kCreateKind, CreateBytes(ApprovalSpec(kOpen, 5000)), kT0 + 3);
  EXPECT_EQ(*LoadDatanetCount(*state_), 3u);

  Datanet d1 = DatanetOf(1), d2 = DatanetOf(2), d3 = DatanetOf(3);
  EXPECT_EQ(d1.id, 1u);
  EXPECT_EQ(d2.id, 2u);
  EXPECT_EQ(d3.id, 3u);
  EXPECT_EQ(d1.owner, Addr(owner_));
  EXPECT_EQ(d2.owner, Addr(alice_));
  EXPECT_EQ(d3.owner, Addr(owner_));
  EXPECT_EQ(d1.spec.name, "First");
  EXPECT_EQ(d2.spec.name, "Second");
  EXPECT_EQ(d3.spec.policy, Policy::kApproval);
  EXPECT_EQ(d3.spec.stake, kOpen);
  EXPECT_EQ(d3.spec.slash_bps, 5000u);
  EXPECT_EQ(d2.created_ms, kT0 + 2);
  EXPECT_EQ(d2.created_height, d1.created_height + 1);
  EXPECT_EQ(d1.contributions + d1.accepted + d1.rejected + d1.versions + d1.contributors, 0u);
  // The stored spec is exactly the payload's.
  EXPECT_EQ(CreateBytes(d2.spec), CreateBytes(GoodSpec("Second")));

  ASSERT_EQ(second.receipt.events.size(), 1u);
  const Event& e = second.receipt.events[0];
  EXPECT_EQ(e.type, "datanet.created");
  std::map<std::string, std::string> attrs(e.attrs.begin(), e.attrs.end());
  EXPECT_EQ(attrs["datanet"], "2");
  EXPECT_EQ(attrs["owner"], Addr(alice_).ToString());
  EXPECT_EQ(attrs["name"], "Second");
  // Only the fee was charged.
  EXPECT_EQ(BalanceOf(Addr(alice_)), 1000 * kOpen - second.fee);
  EXPECT_EQ(BalanceOf(Addr(owner_)), 1000 * kOpen - first.fee - third.fee);
}

TEST_F(KindsTest, CreateRejectsBadSpecsAtCheckTxAndFromJson) {
  const TxKind* create = kinds_.Find(kCreateKind);
  ASSERT_NE(create, nullptr);
  struct Case {
    const char* what;
    std::function<void(DatanetSpec&)> edit;
  };
  const std::vector<Case> cases = {
      {"empty name", [](DatanetSpec& s) { s.name = ""; }},
      {"name too long", [](DatanetSpec& s) { s.name = std::string(kMaxNameChars + 1, 'n'); }},
      {"name with a newline", [](DatanetSpec& s) { s.name = "two\nlines"; }},
      {"license with a space", [](DatanetSpec& s) { s.license = "MIT License"; }},
      {"empty license", [](DatanetSpec& s) { s.license = ""; }},
      {"license expression", [](DatanetSpec& s) { s.license = "MIT OR Apache-2.0"; }},
      {"modality image", [](DatanetSpec& s) { s.modality = "image"; }},
      {"uppercase tag", [](DatanetSpec& s) { s.tags = {"humor", "NLP"}; }},
      {"tag with a space", [](DatanetSpec& s) { s.tags = {"machine learning"}; }},
      {"repeated tag", [](DatanetSpec& s) { s.tags = {"humor", "humor"}; }},
      {"too many tags",
       [](DatanetSpec& s) {
         s.tags.clear();
         for (size_t i = 0; i <= kMaxTags; ++i) s.tags.push_back("t" + std::to_string(i));
       }},
      {"slash_bps over 10000", [](DatanetSpec& s) { s.slash_bps = 10001; }},
      {"near_duplicate_bps zero", [](DatanetSpec& s) { s.near_duplicate_bps = 0; }},
      {"bytes_per_file over 64 MiB",
       [](DatanetSpec& s) { s.quotas.bytes_per_file = kMaxBytesPerFile + 1; }},
      {"summary too long",
       [](DatanetSpec& s) { s.summary = std::string(kMaxSummaryChars + 1, 's'); }},
      {"description too large",
       [](DatanetSpec& s) { s.description = std::string(kMaxDescriptionBytes + 1, 'd'); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    DatanetSpec spec = GoodSpec();
    c.edit(spec);
    EXPECT_EQ(spec.Check().reason(), "bad_datanet");
    // As a signed tx: refused before it could reach a block.
    Transaction tx = NextTx(owner_, kCreateKind, CreateBytes(spec));
    Status s = Check(tx);
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    if (spec.tags.size() > kMaxTags) {
      // The record encoding itself caps the tag count (ReadStrings(..., kMaxTags)), so the
      // binary form of this spec does not even decode: refused as malformed_encoding at CheckTx
      // (the JSON form below still says bad_datanet).
      EXPECT_EQ(s.reason(), "malformed_encoding") << s.ToString();
    } else {
      EXPECT_EQ(s.reason(), "bad_datanet") << s.ToString();
    }
    // As JSON: PayloadFromJson refuses it too.
    json j = CreatePayload{spec}.ToJson();
    auto from = create->PayloadFromJson(j);
    ASSERT_FALSE(from.ok()) << j.dump();
    EXPECT_EQ(from.status().reason(), "bad_datanet") << from.status().ToString();
  }
  // Limits are inclusive.
  DatanetSpec edge = GoodSpec();
  edge.name = std::string(kMaxNameChars, 'n');
  edge.slash_bps = 10000;
  edge.quotas.bytes_per_file = kMaxBytesPerFile;
  edge.tags.clear();
  for (size_t i = 0; i < kMaxTags; ++i) edge.tags.push_back("t" + std::to_string(i));
  edge.license = "GPL-3.0-or-later";
  EXPECT_TRUE(Check(NextTx(owner_, kCreateKind, CreateBytes(edge))).ok());
  EXPECT_TRUE(create->PayloadFromJson(CreatePayload{edge}.ToJson()).ok());
  edge.license = "GPL-2.0+";
  EXPECT_TRUE(edge.Check().ok());
  // Nothing was created by the refused ones.
  EXPECT_EQ(*LoadDatanetCount(*state_), 0u);
  EXPECT_EQ(AccountOf(Addr(owner_)).nonce, 0u);
}

TEST_F(KindsTest, CreateJsonFillsDefaultsAndRequiresNameAndLicense) {
  const TxKind* create = kinds_.Find(kCreateKind);
  auto p = create->PayloadFromJson({{"name", "Minimal"}, {"license", "MIT"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto d = CreatePayload::Decode(*p);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->spec.policy, Policy::kOpen);
  // Unset stake and slash share: the governed defaults when the tx applies.
  EXPECT_EQ(d->spec.stake, kUnsetStake);
  EXPECT_EQ(d->spec.slash_bps, kUnsetSlashBps);
  EXPECT_FALSE(CreatePayload{d->spec}.ToJson().contains("stake"));
  auto again = create->PayloadFromJson(CreatePayload{d->spec}.ToJson());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *p) << "unset survives a JSON round trip";
  EXPECT_EQ(d->spec.modality, "text");
  // Unset quotas stay 0 in the payload: datanet.create records the governed defaults.
  EXPECT_EQ(d->spec.quotas.bytes_per_day, 0u);
  EXPECT_EQ(d->spec.quotas.files_per_day, 0u);
  EXPECT_EQ(d->spec.quotas.bytes_per_file, 0u);
  EXPECT_FALSE(create->PayloadFromJson({{"license", "MIT"}}).ok());
  EXPECT_FALSE(create->PayloadFromJson({{"name", "No license"}}).ok());
  EXPECT_EQ(create->PayloadFromJson({{"name", "x"}, {"license", "MIT"}, {"policy", "closed"}})
                .status()
                .reason(),
            "bad_datanet");
  EXPECT_EQ(create->PayloadFromJson(json::array()).status().reason(), "bad_payload");
}

TEST_F(KindsTest, UnsetRulesTakeTheGovernedDefaultsInForceAtCreation) {
  const TxKind* create = kinds_.Find(kCreateKind);
  auto minimal = create->PayloadFromJson({{"name", "Minimal"},
                                          {"license", "MIT"},
                                          {"policy", "approval"},
                                          {"quotas", {{"files_per_day", 3}}}});
  ASSERT_TRUE(minimal.ok()) << minimal.status().ToString();
  Ok(owner_, kCreateKind, *minimal);
  auto d1 = (*LoadDatanet(*state_, 1)).value();
  EXPECT_EQ(d1.spec.quotas.bytes_per_day, Quotas{}.bytes_per_day);
  EXPECT_EQ(d1.spec.quotas.files_per_day, 3u) << "set explicitly";
  EXPECT_EQ(d1.spec.quotas.bytes_per_file, Quotas{}.bytes_per_file);
  EXPECT_EQ(d1.spec.stake, 0u);
  EXPECT_EQ(d1.spec.slash_bps, 10000u);
  // Governance lowers the default daily bytes from the next block: later Datanets get it,
  // existing ones keep theirs.
  {
    Overlay o(state_.get());
    ASSERT_TRUE(StoreParam(o, DatanetParams()[0], 1 << 20, height_ + 1).ok());
    ASSERT_TRUE(StoreParam(o, DatanetParams()[3], kOpen, height_ + 1).ok());
    ASSERT_TRUE(StoreParam(o, DatanetParams()[4], 5000, height_ + 1).ok());
    state_->Apply(o.writes());
  }
  Ok(owner_, kCreateKind, *minimal);
  EXPECT_EQ((*LoadDatanet(*state_, 2))->spec.quotas.bytes_per_day, 1u << 20);
  EXPECT_EQ((*LoadDatanet(*state_, 2))->spec.stake, kOpen);
  EXPECT_EQ((*LoadDatanet(*state_, 2))->spec.slash_bps, 5000u);
  // Explicit values, zero included, are kept.
  auto explicit_rules = create->PayloadFromJson(
      {{"name", "Explicit"}, {"license", "MIT"}, {"stake", "0"}, {"slash_bps", 0}});
  ASSERT_TRUE(explicit_rules.ok());
  Ok(owner_, kCreateKind, *explicit_rules);
  EXPECT_EQ((*LoadDatanet(*state_, 3))->spec.stake, 0u);
  EXPECT_EQ((*LoadDatanet(*state_, 3))->spec.slash_bps, 0u);
  EXPECT_EQ(create->PayloadFromJson({{"name", "x"}, {"license", "MIT"}, {"slash_bps", 4294967295}})
                .status()
                .reason(),
            "bad_datanet");
  EXPECT_EQ((*LoadDatanet(*state_, 1))->spec.quotas.bytes_per_day, Quotas{}.bytes_per_day);
  EXPECT_EQ(DatanetParams()[0].name, kDefaultBytesPerDayParam);
  EXPECT_EQ(DatanetParams()[1].name, kDefaultFilesPerDayParam);
  EXPECT_EQ(DatanetParams()[2].name, kDefaultBytesPerFileParam);
  EXPECT_EQ(DatanetParams()[3].name, kDefaultStakeParam);
  EXPECT_EQ(DatanetParams()[4].name, kDefaultSlashBpsParam);
}

// ---- datanet.update ----

TEST_F(KindsTest, UpdateOnlyByTheOwnerAndOnlyTheEditableFields) {
  DatanetSpec spec = ApprovalSpec(3 * kOpen, 2500);
  spec.quotas = {12345, 7, 999};
  spec.near_duplicate_bps = 9000;
  spec.schema.kind = RowSchema::Kind::kPromptResponse;
  uint64_t id = Create(owner_, spec);
  ASSERT_EQ(id, 1u);

  UpdatePayload u;
  u.datanet = id;
  u.summary = "New summary";
  u.description = "## New\n\ndescription\twith a tab";
  u.tags = {"fresh", "tags-2"};

  Datanet before = DatanetOf(id);
  Applied denied = Fails(alice_, kUpdateKind, u.Encode(), "not_owner");
  EXPECT_EQ(denied.action.code(), Code::kPermissionDenied);
  EXPECT_EQ(DatanetOf(id).Encode(), before.Encode());
  EXPECT_EQ(BalanceOf(Addr(alice_)), 1000 * kOpen - denied.fee);  // the fee is still charged
  EXPECT_EQ(AccountOf(Addr(alice_)).nonce, 1u);

  Applied ok = Ok(owner_, kUpdateKind, u.Encode());
  ASSERT_EQ(ok.receipt.events.size(), 1u);
  EXPECT_EQ(ok.receipt.events[0].type, "datanet.updated");
  Datanet after = DatanetOf(id);
  EXPECT_EQ(after.spec.summary, u.summary);
  EXPECT_EQ(after.spec.description, u.description);
  EXPECT_EQ(after.spec.tags, u.tags);
  // Everything else is exactly as before.
  Datanet expected = before;
  expected.spec.summary = u.summary;
  expected.spec.description = u.description;
  expected.spec.tags = u.tags;
  EXPECT_EQ(after.Encode(), expected.Encode());
  EXPECT_EQ(after.spec.stake, 3 * kOpen);
  EXPECT_EQ(after.spec.slash_bps, 2500u);
  EXPECT_EQ(after.spec.policy, Policy::kApproval);
  EXPECT_EQ(after.spec.schema.kind, RowSchema::Kind::kPromptResponse);
  EXPECT_EQ(after.spec.name, spec.name);
  EXPECT_EQ(after.spec.license, spec.license);

  // Clearing is an update too.
  Ok(owner_, kUpdateKind, UpdatePayload{id, "", "", {}}.Encode());
  EXPECT_TRUE(DatanetOf(id).spec.tags.empty());
  EXPECT_EQ(DatanetOf(id).spec.summary, "");

  // Bad editable fields are refused before any block; an unknown Datanet fails in the block.
  UpdatePayload bad = u;
  bad.tags = {"Upper"};
  EXPECT_EQ(Check(NextTx(owner_, kUpdateKind, bad.Encode())).reason(), "bad_datanet");
  EXPECT_EQ(kinds_.Find(kUpdateKind)->PayloadFromJson(bad.ToJson()).status().reason(),
            "bad_datanet");
  bad = u;
  bad.summary = "line\nbreak";
  EXPECT_EQ(Check(NextTx(owner_, kUpdateKind, bad.Encode())).reason(), "bad_datanet");
  u.datanet = 42;
  Fails(owner_, kUpdateKind, u.Encode(), "unknown_datanet");
}

// ---- contribution.submit ----

TEST_F(KindsTest, SubmitToAnApprovalDatanetEscrowsTheStake) {
  const Amount stake = 5 * kOpen;
  uint64_t id = Create(owner_, ApprovalSpec(stake, 10000));
  const Amount alice0 = BalanceOf(Addr(alice_));
  SubmitPayload p = Submission(id, {400, 600}, 4, 1);
  Applied a = Ok(alice_, kSubmitKind, p.Encode(), kT0 + 77);

  EXPECT_EQ(BalanceOf(Addr(alice_)), alice0 - stake - a.fee);
  EXPECT_EQ(BalanceOf(EscrowAddress()), stake);
  EXPECT_EQ(BalanceOf(fee_collector()) > 0, true);

  Contribution c = ContributionOf(a.hash);
  EXPECT_EQ(c.id, a.hash);  // the contribution id is the tx hash
  EXPECT_EQ(c.datanet, id);
  EXPECT_EQ(c.contributor, Addr(alice_));
  EXPECT_EQ(c.status, ContributionStatus::kPending);
  EXPECT_EQ(c.stake, stake);
  EXPECT_EQ(c.index, 0u);
  EXPECT_EQ(c.content_root, p.content_root);
  EXPECT_EQ(c.rows, p.rows);
  EXPECT_EQ(c.bytes, p.bytes);
  EXPECT_EQ(c.rejected_rows, p.rejected_rows);
  EXPECT_EQ(c.files, p.files);
  EXPECT_EQ(c.FileBytes(), 1000u);
  EXPECT_EQ(c.report_hash, p.report_hash);
  EXPECT_EQ(c.submitted_ms, kT0 + 77);
  EXPECT_EQ(*LoadListEntry(*state_, ContributionListKey(id, 0)), a.hash);
  EXPECT_FALSE(state_->Get(AcceptedListKey(id, 0)).has_value());

  Datanet d = DatanetOf(id);
  EXPECT_EQ(d.contributions, 1u);
  EXPECT_EQ(d.accepted, 0u);
  EXPECT_EQ(d.accepted_rows, 0u);
  EXPECT_EQ(d.contributors, 1u);
  EXPECT_EQ(*LoadContributorAt(*state_, id, 0), Addr(alice_));
  ContributorStats st = StatsOf(id, alice_);
  EXPECT_EQ(st.submitted, 1u);
  EXPECT_EQ(st.pending, 1u);
  EXPECT_EQ(st.accepted, 0u);

  ASSERT_EQ(a.receipt.events.size(), 1u);
  std::map<std::string, std::string> attrs(a.receipt.events[0].attrs.begin(),
                                           a.receipt.events[0].attrs.end());
  EXPECT_EQ(attrs["status"], "pending");
  EXPECT_EQ(attrs["stake"], AmountToString(stake));
  EXPECT_EQ(attrs["contribution"], ToHex(a.hash));

  // A second contribution locks a second stake; a contributor who cannot pay it fails
  // (insufficient_balance) and pays only the fee.
  Submit(bob_, Submission(id, {10}, 1, 2));
  EXPECT_EQ(BalanceOf(EscrowAddress()), 2 * stake);
  Amount poor0 = BalanceOf(Addr(poor_));
  Applied refused =
      Fails(poor_, kSubmitKind, Submission(id, {10}, 1, 3).Encode(), "insufficient_balance");
  EXPECT_EQ(BalanceOf(Addr(poor_)), poor0 - refused.fee);
  EXPECT_EQ(BalanceOf(EscrowAddress()), 2 * stake);
  EXPECT_FALSE(LoadContribution(*state_, refused.hash)->has_value());
  EXPECT_EQ(DatanetOf(id).contributions, 2u);
  EXPECT_EQ(DatanetOf(id).contributors, 2u);
}

TEST_F(KindsTest, SubmitToAnOpenDatanetIsAcceptedAtOnceWithoutStake) {
  DatanetSpec spec = GoodSpec();
  spec.stake = 7 * kOpen;  // ignored: open Datanets lock nothing
  uint64_t id = Create(owner_, spec);
  const Amount alice0 = BalanceOf(Addr(alice_));
  SubmitPayload p = Submission(id, {123}, 5, 9);
  Applied a = Ok(alice_, kSubmitKind, p.Encode());
  EXPECT_EQ(BalanceOf(Addr(alice_)), alice0 - a.fee);
  EXPECT_EQ(BalanceOf(EscrowAddress()), Amount{0});
  Contribution c = ContributionOf(a.hash);
  EXPECT_EQ(c.status, ContributionStatus::kAccepted);
  EXPECT_EQ(c.stake, Amount{0});
  EXPECT_EQ(c.accepted_index, 0u);
  EXPECT_EQ(AcceptedAt(id, 0), a.hash);
  Datanet d = DatanetOf(id);
  EXPECT_EQ(d.accepted, 1u);
  EXPECT_EQ(d.accepted_rows, 5u);
  EXPECT_EQ(d.accepted_bytes, p.bytes);
  ContributorStats st = StatsOf(id, alice_);
  EXPECT_EQ(st.accepted, 1u);
  EXPECT_EQ(st.pending, 0u);
  EXPECT_EQ(st.accepted_rows, 5u);

  Hash32 second = Submit(alice_, Submission(id, {1}, 2, 10));
  EXPECT_EQ(ContributionOf(second).accepted_index, 1u);
  EXPECT_EQ(ContributionOf(second).index, 1u);
  EXPECT_EQ(AcceptedAt(id, 1), second);
  EXPECT_EQ(DatanetOf(id).contributors, 1u);  // the same contributor counts once

  // Unknown Datanet, and refusals at CheckTx for structurally bad submissions.
  Fails(alice_, kSubmitKind, Submission(99, {1}).Encode(), "unknown_datanet");
  SubmitPayload none = Submission(id, {1});
  none.rows = 0;
  EXPECT_EQ(Check(NextTx(alice_, kSubmitKind, none.Encode())).reason(), "bad_payload");
  SubmitPayload nofiles = Submission(id, {});
  EXPECT_EQ(Check(NextTx(alice_, kSubmitKind, nofiles.Encode())).reason(), "bad_payload");
  SubmitPayload slash = Submission(id, {1});
  slash.files[0].name = "dir/file.txt";
  EXPECT_EQ(Check(NextTx(alice_, kSubmitKind, slash.Encode())).reason(), "bad_payload");
  SubmitPayload exe = Submission(id, {1});
  exe.files[0].type = "exe";
  EXPECT_EQ(Check(NextTx(alice_, kSubmitKind, exe.Encode())).reason(), "bad_payload");
  SubmitPayload huge = Submission(id, {kMaxBytesPerFile + 1});
  EXPECT_EQ(Check(NextTx(alice_, kSubmitKind, huge.Encode())).reason(), "bad_payload");
}

// ---- daily quotas ----

TEST_F(KindsTest, QuotasPerFileAndBytesPerDayFollowTheBlockTimestamp) {
  DatanetSpec spec = GoodSpec();
  spec.quotas = {/*bytes_per_day=*/2500, /*files_per_day=*/10, /*bytes_per_file=*/1000};
  uint64_t id = Create(owner_, spec);
  const uint64_t noon = kT0 + kMsPerDay / 2;

  // One file over the per-file limit fails whatever the day's use.
  Applied big =
      Fails(alice_, kSubmitKind, Submission(id, {1001}, 1, 1).Encode(), "quota_exceeded", noon);
  EXPECT_EQ(big.action.code(), Code::kFailedPrecondition);
  EXPECT_FALSE(state_->Get(QuotaKey(id, Addr(alice_))).has_value()) << "a failed submit used quota";
  // Exactly the per-file limit is fine.
  Submit(alice_, Submission(id, {1000, 1000}, 1, 2), noon);  // 2000 bytes today
  // 2000 + 600 > 2500: refused, and the refusal uses nothing ...
  Fails(alice_, kSubmitKind, Submission(id, {600}, 1, 3).Encode(), "quota_exceeded", noon);
  // ... so exactly the 500 left still fit (at the last millisecond of the day).
  Submit(alice_, Submission(id, {500}, 1, 4), kT0 + kMsPerDay - 1);
  Fails(alice_, kSubmitKind, Submission(id, {1}, 1, 5).Encode(), "quota_exceeded",
        kT0 + kMsPerDay - 1);

  // Quotas are per contributor and per Datanet.
  Submit(bob_, Submission(id, {1000, 1000}, 1, 6), noon);
  uint64_t other = Create(owner_, spec);
  Submit(alice_, Submission(other, {1000}, 1, 7), noon);

  // The next UTC day starts afresh.
  Submit(alice_, Submission(id, {1000, 1000}, 1, 8), kT0 + kMsPerDay);
  Fails(alice_, kSubmitKind, Submission(id, {501}, 1, 9).Encode(), "quota_exceeded",
        kT0 + kMsPerDay + 5);
  Submit(alice_, Submission(id, {500}, 1, 10), kT0 + 2 * kMsPerDay - 1);
  // Skipping days resets too.
  Submit(alice_, Submission(id, {1000}, 1, 11), kT0 + 10 * kMsPerDay);
  EXPECT_EQ(DatanetOf(id).contributions, 6u);  // 3 on day 0 (2 alice, 1 bob), 2 on day 1, 1 later
}

TEST_F(KindsTest, QuotaOfFilesPerDay) {
  DatanetSpec spec = GoodSpec();
  spec.quotas = {/*bytes_per_day=*/1 << 20, /*files_per_day=*/3, /*bytes_per_file=*/1000};
  uint64_t id = Create(owner_, spec);
  Fails(alice_, kSubmitKind, Submission(id, {1, 1, 1, 1}, 1, 1).Encode(), "quota_exceeded");
  Submit(alice_, Submission(id, {1, 1}, 1, 2));
  Fails(alice_, kSubmitKind, Submission(id, {1, 1}, 1, 3).Encode(), "quota_exceeded");
  Submit(alice_, Submission(id, {1}, 1, 4));
  Fails(alice_, kSubmitKind, Submission(id, {1}, 1, 5).Encode(), "quota_exceeded");
  Submit(alice_, Submission(id, {1, 1, 1}, 1, 6), kT0 + kMsPerDay);
  Fails(alice_, kSubmitKind, Submission(id, {1}, 1, 7).Encode(), "quota_exceeded",
        kT0 + kMsPerDay + 1);
  EXPECT_EQ(DatanetOf(id).contributions, 3u);
  EXPECT_EQ(StatsOf(id, alice_).submitted, 3u);
}

// ---- contribution.review ----

TEST_F(KindsTest, ReviewReleasesOrSlashesTheStake) {
  const Amount stake = 10 * kOpen;
  uint64_t id = Create(owner_, ApprovalSpec(stake, 2500));
  Hash32 c1 = Submit(alice_, Submission(id, {10}, 4, 1));
  Hash32 c2 = Submit(alice_, Submission(id, {10}, 5, 2));
  Hash32 c3 = Submit(alice_, Submission(id, {10}, 6, 3));
  Hash32 c4 = Submit(bob_, Submission(id, {10}, 7, 4));
  ASSERT_EQ(BalanceOf(EscrowAddress()), 4 * stake);

  // Only the owner reviews; the contributor cannot approve their own work.
  Applied denied = Fails(bob_, kReviewKind, ReviewBytes(c1, true), "not_owner");
  EXPECT_EQ(denied.action.code(), Code::kPermissionDenied);
  Fails(alice_, kReviewKind, ReviewBytes(c1, true), "not_owner");
  Fails(alice_, kReviewKind, ReviewBytes(c2, false, "mine", true), "not_owner");
  EXPECT_EQ(ContributionOf(c1).status, ContributionStatus::kPending);
  EXPECT_EQ(BalanceOf(EscrowAddress()), 4 * stake);

  const Amount alice0 = BalanceOf(Addr(alice_));
  const Amount treasury0 = BalanceOf(TreasuryAddress());

  // Approve: the stake goes back and the contribution joins the accepted list.
  Applied approve = Ok(owner_, kReviewKind, ReviewBytes(c1, true));
  EXPECT_EQ(BalanceOf(Addr(alice_)), alice0 + stake);
  EXPECT_EQ(BalanceOf(EscrowAddress()), 3 * stake);
  Contribution r1 = ContributionOf(c1);
  EXPECT_EQ(r1.status, ContributionStatus::kAccepted);
  EXPECT_EQ(r1.accepted_index, 0u);
  EXPECT_EQ(r1.reviewed_height, height_);
  EXPECT_EQ(r1.stake, stake);  // the record keeps what was locked
  EXPECT_EQ(r1.slashed, Amount{0});
  EXPECT_EQ(AcceptedAt(id, 0), c1);
  EXPECT_EQ(DatanetOf(id).accepted, 1u);
  EXPECT_EQ(DatanetOf(id).accepted_rows, 4u);
  ASSERT_EQ(approve.receipt.events.size(), 1u);
  std::map<std::string, std::string> a1(approve.receipt.events[0].attrs.begin(),
                                        approve.receipt.events[0].attrs.end());
  EXPECT_EQ(a1["status"], "accepted");
  EXPECT_EQ(a1["returned"], AmountToString(stake));
  EXPECT_EQ(a1.count("slashed"), 0u);

  // Reject (not spam): the whole stake goes back; nothing to the treasury.
  Ok(owner_, kReviewKind, ReviewBytes(c2, false, "off topic"));
  EXPECT_EQ(BalanceOf(Addr(alice_)), alice0 + 2 * stake);
  EXPECT_EQ(BalanceOf(EscrowAddress()), 2 * stake);
  EXPECT_EQ(BalanceOf(TreasuryAddress()), treasury0);
  Contribution r2 = ContributionOf(c2);
  EXPECT_EQ(r2.status, ContributionStatus::kRejected);
  EXPECT_EQ(r2.reason, "off topic");
  EXPECT_FALSE(r2.spam);
  EXPECT_EQ(r2.slashed, Amount{0});
  EXPECT_FALSE(state_->Get(AcceptedListKey(id, 1)).has_value());

  // Reject as spam: slash_bps (25%) of the stake to the treasury, the rest back.
  Applied spam = Ok(owner_, kReviewKind, ReviewBytes(c3, false, "advertising", true));
  const Amount slashed = stake / 4;
  EXPECT_EQ(BalanceOf(TreasuryAddress()), treasury0 + slashed);
  EXPECT_EQ(BalanceOf(Addr(alice_)), alice0 + 2 * stake + (stake - slashed));
  EXPECT_EQ(BalanceOf(EscrowAddress()), stake);  // only bob's pending stake is left
  Contribution r3 = ContributionOf(c3);
  EXPECT_EQ(r3.status, ContributionStatus::kRejected);
  EXPECT_TRUE(r3.spam);
  EXPECT_EQ(r3.slashed, slashed);
  std::map<std::string, std::string> a3(spam.receipt.events[0].attrs.begin(),
                                        spam.receipt.events[0].attrs.end());
  EXPECT_EQ(a3["slashed"], AmountToString(slashed));
  EXPECT_EQ(a3["returned"], AmountToString(stake - slashed));
  EXPECT_EQ(a3["spam"], "true");

  // A reviewed contribution cannot be reviewed again, either way.
  const Amount owner_before = BalanceOf(Addr(owner_));
  Applied twice = Fails(owner_, kReviewKind, ReviewBytes(c1, true), "already_reviewed");
  Fails(owner_, kReviewKind, ReviewBytes(c1, false, "changed my mind", true), "already_reviewed");
  Fails(owner_, kReviewKind, ReviewBytes(c2, true), "already_reviewed");
  Fails(owner_, kReviewKind, ReviewBytes(c3, false, "again", true), "already_reviewed");
  EXPECT_LT(BalanceOf(Addr(owner_)), owner_before);  // fees only
  EXPECT_EQ(BalanceOf(TreasuryAddress()), treasury0 + slashed);
  EXPECT_EQ(BalanceOf(EscrowAddress()), stake);
  EXPECT_EQ(ContributionOf(c3).slashed, slashed);
  EXPECT_EQ(DatanetOf(id).accepted, 1u);

  // Counters.
  ContributorStats sa = StatsOf(id, alice_), sb = StatsOf(id, bob_);
  EXPECT_EQ(sa.submitted, 3u);
  EXPECT_EQ(sa.accepted, 1u);
  EXPECT_EQ(sa.rejected, 2u);
  EXPECT_EQ(sa.pending, 0u);
  EXPECT_EQ(sa.accepted_rows, 4u);
  EXPECT_EQ(sa.slashed_count, 1u);
  EXPECT_EQ(sb.submitted, 1u);
  EXPECT_EQ(sb.pending, 1u);
  Datanet d = DatanetOf(id);
  EXPECT_EQ(d.contributions, 4u);
  EXPECT_EQ(d.rejected, 2u);
  EXPECT_EQ(d.ToJson()["stats"]["pending"], 1u);

  // Refused before any block: rejection without reason, approval with reason or spam flag.
  EXPECT_EQ(Check(NextTx(owner_, kReviewKind, ReviewBytes(c4, false))).reason(), "bad_payload");
  EXPECT_EQ(Check(NextTx(owner_, kReviewKind, ReviewBytes(c4, false, "", true))).reason(),
            "bad_payload");
  EXPECT_EQ(Check(NextTx(owner_, kReviewKind, ReviewBytes(c4, true, "great"))).reason(),
            "bad_payload");
  EXPECT_EQ(Check(NextTx(owner_, kReviewKind, ReviewBytes(c4, true, "", true))).reason(),
            "bad_payload");
  const TxKind* review = kinds_.Find(kReviewKind);
  EXPECT_EQ(
      review->PayloadFromJson({{"contribution", ToHex(c4)}, {"approve", false}}).status().reason(),
      "bad_payload");
  EXPECT_EQ(
      review->PayloadFromJson({{"contribution", ToHex(c4)}, {"approve", "yes"}}).status().reason(),
      "bad_payload");
  Fails(owner_, kReviewKind, ReviewBytes(Sha256(AsBytes("nothing")), true), "unknown_contribution");
  EXPECT_EQ(ContributionOf(c4).status, ContributionStatus::kPending);
  (void)twice;
}

TEST_F(KindsTest, SlashRoundsDownAndRespectsTheBasisPoints) {
  struct Case {
    Amount stake;
    uint32_t bps;
    Amount slashed;
  };
  const std::vector<Case> cases = {{7, 3333, 2},   // 23331 / 10000, rounded down
                                   {7, 10000, 7},  // the default: everything
                                   {7, 0, 0},      // nothing
                                   {3 * kOpen, 1, 3 * kOpen / 10000},
                                   {1, 9999, 0}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.bps));
    uint64_t id = Create(owner_, ApprovalSpec(c.stake, c.bps));
    Hash32 h = Submit(carol_, Submission(id, {1}, 1, static_cast<uint32_t>(id)));
    const Amount carol0 = BalanceOf(Addr(carol_));
    const Amount treasury0 = BalanceOf(TreasuryAddress());
    const Amount escrow0 = BalanceOf(EscrowAddress());
    Ok(owner_, kReviewKind, ReviewBytes(h, false, "spam", true));
    EXPECT_EQ(ContributionOf(h).slashed, c.slashed);
    EXPECT_EQ(BalanceOf(TreasuryAddress()) - treasury0, c.slashed);
    EXPECT_EQ(BalanceOf(Addr(carol_)) - carol0, c.stake - c.slashed);
    EXPECT_EQ(escrow0 - BalanceOf(EscrowAddress()), c.stake);
  }
  EXPECT_EQ(BalanceOf(EscrowAddress()), Amount{0});
}

// ---- datanet.publish ----

TEST_F(KindsTest, PublishNumbersImmutableVersionsInAcceptanceOrder) {
  uint64_t id = Create(owner_, ApprovalSpec(kOpen, 10000));
  Fails(owner_, kPublishKind, PublishBytes(id), "nothing_to_publish");
  SubmitPayload p1 = Submission(id, {10}, 3, 1), p2 = Submission(id, {10}, 4, 2),
                p3 = Submission(id, {10}, 5, 3), p4 = Submission(id, {10}, 6, 4);
  Hash32 c1 = Submit(alice_, p1);
  Hash32 c2 = Submit(bob_, p2);
  Hash32 c3 = Submit(carol_, p3);
  Hash32 c4 = Submit(alice_, p4);
  Fails(owner_, kPublishKind, PublishBytes(id), "nothing_to_publish");  // all pending
  // Accept out of submission order: c3 first, then c1; c2 is spam.
  Ok(owner_, kReviewKind, ReviewBytes(c3, true));
  Ok(owner_, kReviewKind, ReviewBytes(c1, true));
  Ok(owner_, kReviewKind, ReviewBytes(c2, false, "spam", true));

  Fails(alice_, kPublishKind, PublishBytes(id), "not_owner");
  Fails(owner_, kPublishKind, PublishBytes(id + 1), "unknown_datanet");
  Applied pub1 = Ok(owner_, kPublishKind, PublishBytes(id), kT0 + 4242);
  auto leaf = [&](const Hash32& c) { return merkle::LeafHash(VersionLeaf(ContributionOf(c))); };
  Version v1 = VersionOf(id, 1);
  EXPECT_EQ(v1.datanet, id);
  EXPECT_EQ(v1.number, 1u);
  EXPECT_EQ(v1.contributions, 2u);
  EXPECT_EQ(v1.rows, p3.rows + p1.rows);
  EXPECT_EQ(v1.bytes, p3.bytes + p1.bytes);
  EXPECT_EQ(v1.height, height_);
  EXPECT_EQ(v1.timestamp_ms, kT0 + 4242);
  std::vector<Hash32> leaves = {leaf(c3), leaf(c1)};
  EXPECT_EQ(v1.root, merkle::RootFromLeafHashes(leaves));
  std::vector<Hash32> swapped = {leaf(c1), leaf(c3)};
  EXPECT_NE(v1.root, merkle::RootFromLeafHashes(swapped)) << "order must matter";
  // The leaf binds id, content root, row count and contributor.
  Contribution k3 = ContributionOf(c3);
  EXPECT_EQ(
      VersionLeaf(k3),
      Writer().Fixed(k3.id).Fixed(p3.content_root).U64(p3.rows).Fixed(Addr(carol_).bytes).bytes());
  EXPECT_EQ(DatanetOf(id).versions, 1u);
  ASSERT_EQ(pub1.receipt.events.size(), 1u);
  std::map<std::string, std::string> e1(pub1.receipt.events[0].attrs.begin(),
                                        pub1.receipt.events[0].attrs.end());
  EXPECT_EQ(e1["version"], "1");
  EXPECT_EQ(e1["root"], ToHex(v1.root));
  EXPECT_EQ(e1["rows"], std::to_string(v1.rows));

  const std::optional<Bytes> v1_raw = state_->Get(VersionKey(id, 1));
  ASSERT_TRUE(v1_raw.has_value());
  Fails(owner_, kPublishKind, PublishBytes(id), "nothing_to_publish");

  Ok(owner_, kReviewKind, ReviewBytes(c4, true));
  Ok(owner_, kPublishKind, PublishBytes(id), kT0 + 5000);
  Version v2 = VersionOf(id, 2);
  EXPECT_EQ(v2.number, 2u);
  EXPECT_EQ(v2.contributions, 3u);
  EXPECT_EQ(v2.rows, p3.rows + p1.rows + p4.rows);
  leaves.push_back(leaf(c4));
  EXPECT_EQ(v2.root, merkle::RootFromLeafHashes(leaves));
  EXPECT_NE(v2.root, v1.root);
  EXPECT_EQ(DatanetOf(id).versions, 2u);
  // Version 1 is untouched by version 2.
  EXPECT_EQ(state_->Get(VersionKey(id, 1)), v1_raw);
  EXPECT_FALSE(state_->Get(VersionKey(id, 3)).has_value());
  EXPECT_FALSE(LoadVersion(*state_, id, 0)->has_value());

  // Stats add up.
  Datanet d = DatanetOf(id);
  EXPECT_EQ(d.contributions, 4u);
  EXPECT_EQ(d.accepted, 3u);
  EXPECT_EQ(d.rejected, 1u);
  EXPECT_EQ(d.accepted_rows, p1.rows + p3.rows + p4.rows);
  EXPECT_EQ(d.accepted_bytes, p1.bytes + p3.bytes + p4.bytes);
  EXPECT_EQ(d.contributors, 3u);
  std::vector<Address> order;
  for (uint64_t i = 0; i < d.contributors; ++i) order.push_back(*LoadContributorAt(*state_, id, i));
  EXPECT_EQ(order, (std::vector<Address>{Addr(alice_), Addr(bob_), Addr(carol_)}));
  ContributorStats sa = StatsOf(id, alice_), sb = StatsOf(id, bob_), sc = StatsOf(id, carol_);
  EXPECT_EQ(sa.submitted + sb.submitted + sc.submitted, d.contributions);
  EXPECT_EQ(sa.accepted + sb.accepted + sc.accepted, d.accepted);
  EXPECT_EQ(sa.rejected + sb.rejected + sc.rejected, d.rejected);
  EXPECT_EQ(sa.accepted_rows + sb.accepted_rows + sc.accepted_rows, d.accepted_rows);
  EXPECT_EQ(sa.pending + sb.pending + sc.pending, 0u);
  EXPECT_EQ(sa.accepted_rows, p1.rows + p4.rows);
  EXPECT_EQ(sb.slashed_count, 1u);
  EXPECT_EQ(sb.accepted, 0u);
}

TEST_F(KindsTest, PublishOnAnOpenDatanet) {
  uint64_t id = Create(owner_, GoodSpec());
  Hash32 a = Submit(alice_, Submission(id, {10}, 2, 1));
  Hash32 b = Submit(bob_, Submission(id, {10}, 3, 2));
  Ok(owner_, kPublishKind, PublishBytes(id));
  std::vector<Hash32> leaves = {merkle::LeafHash(VersionLeaf(ContributionOf(a))),
                                merkle::LeafHash(VersionLeaf(ContributionOf(b)))};
  EXPECT_EQ(VersionOf(id, 1).root, merkle::RootFromLeafHashes(leaves));
  EXPECT_EQ(VersionOf(id, 1).rows, 5u);
  // A single-contribution Datanet's version root is that contribution's leaf hash.
  uint64_t solo = Create(carol_, GoodSpec("Solo"));
  Hash32 s = Submit(alice_, Submission(solo, {10}, 1, 3));
  Ok(carol_, kPublishKind, PublishBytes(solo));
  EXPECT_EQ(VersionOf(solo, 1).root, merkle::LeafHash(VersionLeaf(ContributionOf(s))));
}

// ---- random workload: conservation, counters, determinism ----

TEST_F(KindsTest, RandomWorkloadConservesSupplyAndReplaysIdentically) {
  std::mt19937_64 rng(0x7269627574617279ULL);
  const std::vector<const KeyPair*> people = {&owner_, &alice_, &bob_, &carol_, &poor_};
  DatanetSpec small = GoodSpec("Small quotas");
  small.quotas = {/*bytes_per_day=*/6000, /*files_per_day=*/5, /*bytes_per_file=*/2500};
  DatanetSpec staked = ApprovalSpec(2 * kOpen + 3, 3000);
  staked.quotas = small.quotas;
  DatanetSpec all_slash = ApprovalSpec(kOpen, 10000);
  Create(owner_, small);
  Create(owner_, staked);
  Create(alice_, all_slash);
  const std::vector<const KeyPair*> owners = {&owner_, &owner_, &alice_};

  struct Step {
    Transaction tx;
    uint64_t height;
    uint64_t ts;
    std::string outcome;  // encoded receipt (hex) or the error's reason
  };
  std::vector<Step> steps;
  std::vector<Hash32> contributions;
  std::map<std::string, int> seen;  // reasons and kinds seen
  uint64_t ts = kT0;
  const uint64_t first_height = height_;

  auto run_block = [&](State& s, const Transaction& tx, uint64_t height, uint64_t t) {
    Overlay o(&s);
    EXPECT_TRUE(exec_->BeginBlock(o, height).ok());
    Bytes raw = tx.Encode();
    Status action;
    auto r = exec_->ApplyTx(o, tx, tx.Hash(), raw.size(), height, t, fee_collector(), &action);
    std::string outcome;
    if (r.ok()) {
      outcome = ToHex(r->Encode());
      if (!action.ok()) seen[action.reason()]++;
      if (r->status == Receipt::kSuccess) seen[tx.kind]++;
    } else {
      outcome = r.status().reason();
      seen["error:" + outcome]++;
    }
    s.Apply(o.writes());
    return outcome;
  };

  for (int i = 0; i < 400; ++i) {
    ts += rng() % (kMsPerDay / 4);
    const KeyPair& who = *people[rng() % people.size()];
    const uint64_t dn = 1 + rng() % 3;
    const KeyPair& owner = *owners[dn - 1];
    std::string kind;
    Bytes payload;
    const KeyPair* sender = &who;
    switch (rng() % 12) {
      case 0:
      case 1:
      case 2:
      case 3: {
        std::vector<uint64_t> sizes(1 + rng() % 3);
        for (auto& s : sizes) s = 1 + rng() % 2600;
        kind = kSubmitKind;
        payload = Submission(dn, sizes, 1 + rng() % 8, static_cast<uint32_t>(i)).Encode();
        break;
      }
      case 4:
      case 5:
      case 6: {
        if (contributions.empty()) continue;
        const Hash32& c = contributions[rng() % contributions.size()];
        auto rec = LoadContribution(*state_, c);
        ASSERT_TRUE(rec.ok() && rec->has_value());
        sender = rng() % 4 ? owners[(*rec)->datanet - 1] : &who;
        kind = kReviewKind;
        bool approve = rng() % 2;
        payload = approve ? ReviewBytes(c, true)
                          : ReviewBytes(c, false, "reason " + std::to_string(i), rng() % 2);
        break;
      }
      case 7:
        sender = rng() % 3 ? &owner : &who;
        kind = kPublishKind;
        payload = PublishBytes(dn);
        break;
      case 8:
        sender = rng() % 3 ? &owner : &who;
        kind = kUpdateKind;
        payload =
            UpdatePayload{dn, "step " + std::to_string(i), "", {"t" + std::to_string(i)}}.Encode();
        break;
      case 9: {
        const KeyPair& to = *people[rng() % people.size()];
        kind = "transfer";
        payload = Writer().Fixed(Addr(to).bytes).U128(1 + rng() % (60 * kOpen)).bytes();
        break;
      }
      case 10:
        kind = "stake";
        payload = Writer().U128(1 + rng() % (20 * kOpen)).bytes();
        break;
      default:
        kind = "unstake";
        payload = Writer().U128(1 + rng() % (10 * kOpen)).bytes();
        break;
    }
    Transaction tx = NextTx(*sender, kind, payload);
    ASSERT_TRUE(Check(tx).ok()) << kind << ": " << Check(tx).ToString();
    const uint64_t height = ++height_;
    std::string outcome = run_block(*state_, tx, height, ts);
    if (kind == kSubmitKind && LoadContribution(*state_, tx.Hash())->has_value()) {
      contributions.push_back(tx.Hash());
    }
    steps.push_back({tx, height, ts, outcome});
    ASSERT_EQ(TotalSupply(*state_), genesis_.supply) << "step " << i << " (" << kind << ")";
  }

  // The workload went through the interesting paths.
  for (const char* k : {"datanet.update", "contribution.submit", "contribution.review",
                        "datanet.publish", "transfer", "stake", "unstake"}) {
    EXPECT_GT(seen[k], 0) << k << " never succeeded";
  }
  for (const char* r : {"quota_exceeded", "not_owner", "already_reviewed", "insufficient_balance",
                        "nothing_to_publish"}) {
    EXPECT_GT(seen[r], 0) << r << " never happened";
  }

  // Escrow holds exactly the pending stakes, the treasury exactly what was slashed, and every
  // counter agrees with the contributions themselves.
  Amount pending_stake = 0, slashed = 0;
  for (uint64_t dn = 1; dn <= 3; ++dn) {
    SCOPED_TRACE("datanet " + std::to_string(dn));
    Datanet d = DatanetOf(dn);
    uint64_t accepted = 0, rejected = 0, pending = 0, accepted_rows = 0, accepted_bytes = 0;
    std::map<Address, ContributorStats> expect;
    for (uint64_t i = 0; i < d.contributions; ++i) {
      Contribution c = ContributionOf(*LoadListEntry(*state_, ContributionListKey(dn, i)));
      EXPECT_EQ(c.index, i);
      ContributorStats& st = expect[c.contributor];
      st.submitted++;
      if (c.status == ContributionStatus::kAccepted) {
        accepted++;
        accepted_rows += c.rows;
        accepted_bytes += c.bytes;
        st.accepted++;
        st.accepted_rows += c.rows;
        EXPECT_EQ(AcceptedAt(dn, c.accepted_index), c.id);
      } else if (c.status == ContributionStatus::kRejected) {
        rejected++;
        st.rejected++;
        st.slashed_count += c.spam;
        slashed += c.slashed;
      } else {
        pending++;
        st.pending++;
        pending_stake += c.stake;
      }
    }
    EXPECT_EQ(d.accepted, accepted);
    EXPECT_EQ(d.rejected, rejected);
    EXPECT_EQ(d.contributions, accepted + rejected + pending);
    EXPECT_EQ(d.accepted_rows, accepted_rows);
    EXPECT_EQ(d.accepted_bytes, accepted_bytes);
    EXPECT_EQ(d.contributors, expect.size());
    for (uint64_t i = 0; i < d.contributors; ++i) {
      Address who = *LoadContributorAt(*state_, dn, i);
      ASSERT_TRUE(expect.count(who));
      ContributorStats got = *LoadStats(*state_, dn, who);
      const ContributorStats& want = expect[who];
      EXPECT_EQ(got.submitted, want.submitted);
      EXPECT_EQ(got.accepted, want.accepted);
      EXPECT_EQ(got.rejected, want.rejected);
      EXPECT_EQ(got.pending, want.pending);
      EXPECT_EQ(got.accepted_rows, want.accepted_rows);
      EXPECT_EQ(got.slashed_count, want.slashed_count);
    }
    // Versions are numbered 1..n over growing prefixes of the accepted list.
    uint64_t prev = 0;
    for (uint32_t n = 1; n <= d.versions; ++n) {
      Version v = VersionOf(dn, n);
      EXPECT_GT(v.contributions, prev);
      std::vector<Hash32> leaves;
      for (uint64_t k = 0; k < v.contributions; ++k) {
        leaves.push_back(merkle::LeafHash(VersionLeaf(ContributionOf(AcceptedAt(dn, k)))));
      }
      EXPECT_EQ(v.root, merkle::RootFromLeafHashes(leaves));
      prev = v.contributions;
    }
  }
  EXPECT_GT(pending_stake, Amount{0});
  EXPECT_GT(slashed, Amount{0});
  EXPECT_EQ(BalanceOf(EscrowAddress()), pending_stake);
  EXPECT_EQ(BalanceOf(TreasuryAddress()), slashed);

  // Determinism: the same txs on a fresh state give the same outcomes and the same root.
  // (The three creates ran at heights 1..3 before the recorded steps.)
  std::unique_ptr<State> replay = Fresh();
  uint64_t h = 0;
  {
    // Re-create the three Datanets exactly as the fixture did (same signer, nonce, height, ts).
    const std::vector<std::pair<const KeyPair*, DatanetSpec>> creates = {
        {&owner_, small}, {&owner_, staked}, {&alice_, all_slash}};
    std::map<const KeyPair*, uint64_t> nonce;
    for (const auto& [k, spec] : creates) {
      Transaction tx = MakeTx(*k, nonce[k]++, kCreateKind, CreateBytes(spec));
      run_block(*replay, tx, ++h, kT0);
    }
  }
  ASSERT_EQ(h, first_height);
  for (size_t i = 0; i < steps.size(); ++i) {
    std::string outcome = run_block(*replay, steps[i].tx, steps[i].height, steps[i].ts);
    ASSERT_EQ(outcome, steps[i].outcome) << "step " << i;
  }
  EXPECT_EQ(replay->Root(), state_->Root());
  EXPECT_EQ(replay->size(), state_->size());
}

TEST_F(KindsTest, SameTxsOnTwoFreshStatesGiveTheSameRoot) {
  // A short fixed history applied to two states built independently.
  std::vector<std::pair<Transaction, uint64_t>> txs;
  std::map<const KeyPair*, uint64_t> nonce;
  auto add = [&](const KeyPair& k, std::string_view kind, Bytes p, uint64_t ts) {
    txs.emplace_back(MakeTx(k, nonce[&k]++, kind, std::move(p)), ts);
  };
  add(owner_, kCreateKind, CreateBytes(ApprovalSpec(kOpen, 5000)), kT0);
  add(alice_, kSubmitKind, Submission(1, {10}, 2, 1).Encode(), kT0 + 1);
  add(bob_, kSubmitKind, Submission(1, {20}, 3, 2).Encode(), kT0 + 2);
  add(owner_, kReviewKind, ReviewBytes(txs[1].first.Hash(), true), kT0 + 3);
  add(owner_, kReviewKind, ReviewBytes(txs[2].first.Hash(), false, "spam", true), kT0 + 4);
  add(owner_, kPublishKind, PublishBytes(1), kT0 + 5);
  add(owner_, kUpdateKind, UpdatePayload{1, "after", "", {"x"}}.Encode(), kT0 + 6);

  std::vector<Hash32> roots;
  for (int run = 0; run < 2; ++run) {
    std::unique_ptr<State> s = Fresh();
    for (const auto& [tx, ts] : txs) {
      Applied a = Apply(tx, ts, s.get());
      EXPECT_TRUE(a.action.ok()) << a.action.ToString();
    }
    roots.push_back(s->Root());
    height_ = 0;
  }
  EXPECT_EQ(roots[0], roots[1]);
  // A different timestamp is a different state (submitted_ms, created_ms are recorded).
  std::unique_ptr<State> s = Fresh();
  for (const auto& [tx, ts] : txs) Apply(tx, ts + 1, s.get());
  EXPECT_NE(s->Root(), roots[0]);
}

// ---- payload encodings ----

// One valid payload per kind, in JSON form.
std::vector<std::pair<std::string_view, json>> SampleJsonPayloads() {
  DatanetSpec full = ApprovalSpec(3 * kOpen + 17, 1234);
  full.name = "Fortunes — café edition";
  full.quotas = {123456, 9, 65536};
  full.near_duplicate_bps = 7500;
  full.schema.kind = RowSchema::Kind::kFields;
  full.schema.fields = {"question", "answer"};
  full.schema.paragraphs = false;
  DatanetSpec pr = GoodSpec();
  pr.schema.kind = RowSchema::Kind::kPromptResponse;
  ReviewPayload approve{Sha256(AsBytes("c1")), true, "", false};
  ReviewPayload spam{Sha256(AsBytes("c2")), false, "copied from a blog", true};
  ReviewPayload reject{Sha256(AsBytes("c3")), false, "off topic", false};
  return {
      {kCreateKind, CreatePayload{full}.ToJson()},
      {kCreateKind, CreatePayload{pr}.ToJson()},
      {kCreateKind, json{{"name", "Minimal"}, {"license", "MIT"}}},
      {kUpdateKind, UpdatePayload{3, "s", "d\n\tx", {"a", "b-2"}}.ToJson()},
      {kUpdateKind, json{{"datanet", 1}}},
      {kSubmitKind, Submission(2, {1, 2, kMaxBytesPerFile}, 9, 4).ToJson()},
      {kReviewKind, approve.ToJson()},
      {kReviewKind, spam.ToJson()},
      {kReviewKind, reject.ToJson()},
      {kPublishKind, PublishPayload{7}.ToJson()},
  };
}

TEST_F(KindsTest, PayloadJsonRoundTripsForEveryKind) {
  std::set<std::string_view> kinds_seen;
  for (const auto& [name, j] : SampleJsonPayloads()) {
    SCOPED_TRACE(std::string(name) + " " + j.dump());
    kinds_seen.insert(name);
    const TxKind* kind = kinds_.Find(name);
    ASSERT_NE(kind, nullptr);
    auto b1 = kind->PayloadFromJson(j);
    ASSERT_TRUE(b1.ok()) << b1.status().ToString();
    EXPECT_TRUE(kind->CheckPayload(*b1).ok());
    auto j2 = kind->PayloadToJson(*b1);
    ASSERT_TRUE(j2.ok()) << j2.status().ToString();
    auto b2 = kind->PayloadFromJson(*j2);
    ASSERT_TRUE(b2.ok()) << b2.status().ToString() << " from " << j2->dump();
    EXPECT_EQ(*b1, *b2);
    EXPECT_EQ(*kind->PayloadToJson(*b2), *j2);
    // And as a signed tx it passes CheckTx.
    EXPECT_TRUE(Check(NextTx(owner_, name, *b1)).ok());
  }
  EXPECT_EQ(kinds_seen.size(), 5u);

  // The JSON form gives exactly the struct's own encoding.
  DatanetSpec full = ApprovalSpec(3 * kOpen + 17, 1234);
  full.tags = {"x"};
  full.schema.kind = RowSchema::Kind::kFields;
  full.schema.fields = {"a"};
  EXPECT_EQ(*kinds_.Find(kCreateKind)->PayloadFromJson(CreatePayload{full}.ToJson()),
            CreatePayload{full}.Encode());
  SubmitPayload s = Submission(5, {3, 4}, 2, 8);
  EXPECT_EQ(*kinds_.Find(kSubmitKind)->PayloadFromJson(s.ToJson()), s.Encode());
  EXPECT_EQ(*SubmitPayload::Decode(s.Encode()), s);
  // Amounts and hashes are strings in JSON.
  json cj = CreatePayload{full}.ToJson();
  EXPECT_EQ(cj["stake"], AmountToString(3 * kOpen + 17));
  EXPECT_EQ(s.ToJson()["content_root"], ToHex(s.content_root));
}

TEST_F(KindsTest, MalformedBinaryPayloadsAreMalformedEncoding) {
  DatanetSpec full = ApprovalSpec(kOpen, 10);
  full.tags = {"a", "b"};
  const std::vector<std::pair<std::string_view, Bytes>> good = {
      {kCreateKind, CreateBytes(full)},
      {kUpdateKind, UpdatePayload{1, "sum", "desc", {"t1", "t2"}}.Encode()},
      {kSubmitKind, Submission(1, {5, 6}, 2, 1).Encode()},
      {kReviewKind, ReviewBytes(Sha256(AsBytes("c")), false, "why", true)},
      {kPublishKind, PublishBytes(1)},
  };
  for (const auto& [name, payload] : good) {
    SCOPED_TRACE(std::string(name));
    const TxKind* kind = kinds_.Find(name);
    ASSERT_TRUE(kind->CheckPayload(payload).ok());
    // Every truncation fails.
    for (size_t n = 0; n < payload.size(); ++n) {
      Status s = kind->CheckPayload(ByteView(payload.data(), n));
      EXPECT_EQ(s.reason(), "malformed_encoding") << "prefix of " << n << " bytes";
    }
    Bytes longer = payload;
    longer.push_back(0);
    EXPECT_EQ(kind->CheckPayload(longer).reason(), "malformed_encoding");
    EXPECT_EQ(kind->PayloadToJson(longer).status().reason(), "malformed_encoding");
    Bytes shorter(payload.begin(), payload.end() - 1);
    EXPECT_EQ(kind->PayloadToJson(shorter).status().reason(), "malformed_encoding");
    // Through CheckTx as signed txs.
    Status s1 = Check(NextTx(alice_, name, shorter));
    EXPECT_EQ(s1.reason(), "malformed_encoding") << s1.ToString();
    EXPECT_EQ(s1.code(), Code::kInvalidArgument);
    EXPECT_EQ(Check(NextTx(alice_, name, longer)).reason(), "malformed_encoding");
    EXPECT_EQ(Check(NextTx(alice_, name, {})).reason(), "malformed_encoding");
  }
  // A create payload is a zeroed record: any record field set is malformed.
  Datanet d;
  d.spec = full;
  d.id = 5;
  EXPECT_EQ(kinds_.Find(kCreateKind)->CheckPayload(d.Encode()).reason(), "malformed_encoding");
  d.id = 0;
  d.accepted = 1;
  EXPECT_EQ(kinds_.Find(kCreateKind)->CheckPayload(d.Encode()).reason(), "malformed_encoding");
  // Booleans are 0 or 1.
  Bytes review = ReviewBytes(Sha256(AsBytes("c")), true);
  review[32] = 2;
  EXPECT_EQ(kinds_.Find(kReviewKind)->CheckPayload(review).reason(), "malformed_encoding");
  // More files than a contribution may have.
  SubmitPayload many = Submission(1, std::vector<uint64_t>(kMaxFilesPerContribution + 1, 1));
  EXPECT_EQ(kinds_.Find(kSubmitKind)->CheckPayload(many.Encode()).reason(), "malformed_encoding");
  // Nothing was applied by any of this.
  EXPECT_EQ(AccountOf(Addr(alice_)).nonce, 0u);
}

}  // namespace
}  // namespace tributary::datanet
