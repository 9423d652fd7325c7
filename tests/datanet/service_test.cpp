// DatanetService on an in-process Chain: the two-phase upload (prepare, sign, submit), duplicate
// tracking across pending, committed and rejected contributions, version rows and their proofs,
// and reconciliation of the row store with the ledger.
#include "tributary/datanet/service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "support/test_util.h"
#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/block.h"
#include "tributary/ledger/chain.h"
#include "tributary/ledger/merkle.h"

namespace tributary::datanet {
namespace {

using json = nlohmann::json;
using testing::TempDir;

constexpr uint64_t kT0 = 1767225600000ULL;
const Amount kOpen = Pow10(18);

KeyPair Key(uint8_t n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = n;
  seed[1] = 0x5e;
  seed[2] = 0x7c;
  return KeyPair::FromSeed(seed);
}
Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

// Plain, readable fortunes from /usr/share/games/fortunes/computers (entries separated by "%"
// lines): no ASCII art, no long character runs. Generated sentences stand in when the file is
// not installed.
const std::vector<std::string>& FortunePool() {
  static const std::vector<std::string> pool = [] {
    std::vector<std::string> out;
    std::ifstream in("/usr/share/games/fortunes/computers");
    std::string line, cur;
    auto take = [&] {
      size_t letters = 0, run = 1, longest = 1;
      for (size_t i = 0; i < cur.size(); ++i) {
        unsigned char c = cur[i];
        letters += std::isalpha(c) || c == ' ';
        run = i && cur[i] == cur[i - 1] ? run + 1 : 1;
        longest = std::max(longest, run);
      }
      if (cur.size() >= 80 && cur.size() <= 700 && longest <= 6 && letters * 10 >= cur.size() * 8) {
        out.push_back(cur);
      }
      cur.clear();
    };
    while (std::getline(in, line)) {
      if (line == "%") {
        take();
      } else {
        cur += line + "\n";
      }
    }
    take();
    static const char* words[] = {"river",  "ledger", "lantern", "copper", "falcon", "meadow",
                                  "signal", "harbor", "orchard", "engine", "thread", "window"};
    for (size_t i = out.size(); i < 400; ++i) {  // fallback: distinct generated paragraphs
      std::string s = "Generated fortune " + std::to_string(i) + ":";
      for (size_t w = 0; w < 24; ++w) s += std::string(" ") + words[(i * 7 + w * w * 3 + w) % 12];
      out.push_back(s + ".");
    }
    return out;
  }();
  return pool;
}

// Fortunes [first, first + n) of the pool.
std::vector<std::string> Texts(size_t first, size_t n) {
  const auto& pool = FortunePool();
  return std::vector<std::string>(pool.begin() + first, pool.begin() + first + n);
}

UploadFile Jsonl(const std::string& name, const std::vector<std::string>& texts) {
  UploadFile f{name, ""};
  for (const auto& t : texts) f.bytes += json{{"text", t}}.dump() + "\n";
  return f;
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest()
      : owner_(Key(1)),
        alice_(Key(2)),
        bob_(Key(3)),
        carol_(Key(4)),
        poor_(Key(5)),
        sequencer_(Key(200)) {
    RegisterLedgerKinds(kinds_);
    RegisterDatanetKinds(kinds_);
    genesis_ = Genesis::Dev(Addr(owner_), sequencer_.public_key(), kT0);
    genesis_.chain_id = "tributary-datanet-service";
  }

  void SetUp() override {
    ASSERT_GE(FortunePool().size(), 300u);
    OpenChain();
    OpenService();
    for (const KeyPair* k : {&alice_, &bob_, &carol_}) {
      Send(owner_, "transfer", Writer().Fixed(Addr(*k).bytes).U128(1000 * kOpen).bytes());
    }
    Send(owner_, "transfer", Writer().Fixed(Addr(poor_).bytes).U128(kOpen).bytes());
    Produce();
    DatanetSpec open;
    open.name = "Computer fortunes";
    open.license = "CC0-1.0";
    open.tags = {"humor"};
    open_ = Create(open);
    DatanetSpec approval = open;
    approval.name = "Reviewed fortunes";
    approval.policy = Policy::kApproval;
    approval.stake = 10 * kOpen;
    approval.slash_bps = 5000;
    approval_ = Create(approval);
    ASSERT_EQ(open_, 1u);
    ASSERT_EQ(approval_, 2u);
  }

  std::filesystem::path data_dir() const { return dir_.path() / "node"; }

  void OpenChain() {
    ChainOptions o;
    o.data_dir = data_dir();
    o.genesis = genesis_;
    o.sequencer = sequencer_;
    o.clock_ms = [this] { return now_ms_; };
    auto c = Chain::Open(std::move(o), kinds_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    chain_ = std::move(*c);
  }
  void OpenService() {
    auto s = DatanetService::Open(data_dir(), chain_.get());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(*s);
  }
  // A process restart: service and chain closed, then opened again on the same directory.
  void Restart() {
    svc_.reset();
    chain_.reset();
    OpenChain();
    OpenService();
  }

  uint64_t NextNonce(const KeyPair& k) {
    auto a = chain_->GetAccount(Addr(k), false);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->next_nonce : 0;
  }
  Transaction Sign(const KeyPair& k, std::string_view kind, Bytes payload,
                   std::optional<uint64_t> nonce = std::nullopt) {
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce ? *nonce : NextNonce(k);
    tx.max_fee = Pow10(16);
    tx.kind = std::string(kind);
    tx.payload = std::move(payload);
    tx.SignWith(k);
    return tx;
  }
  Hash32 Send(const KeyPair& k, std::string_view kind, Bytes payload) {
    auto h = chain_->Submit(Sign(k, kind, std::move(payload)));
    EXPECT_TRUE(h.ok()) << kind << ": " << h.status().ToString();
    return h.ok() ? *h : Hash32{};
  }
  void Produce() {
    auto h = chain_->ProduceBlock();
    ASSERT_TRUE(h.ok()) << h.status().ToString();
  }
  // The committed receipt of `hash` must be a success.
  void ExpectCommitted(const Hash32& hash) {
    auto t = chain_->GetTx(hash);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->state, TxState::kCommitted);
    EXPECT_EQ(t->receipt.status, Receipt::kSuccess) << t->receipt.error;
  }
  uint64_t Create(const DatanetSpec& spec) {
    Hash32 h = Send(owner_, kCreateKind, CreatePayload{spec}.Encode());
    Produce();
    ExpectCommitted(h);
    auto list = svc_->ListDatanets(1, 100);
    EXPECT_TRUE(list.ok());
    return list.ok() && !list->empty() ? list->back().id : 0;
  }
  void Review(const Hash32& c, bool approve, const std::string& reason = {}, bool spam = false) {
    ReviewPayload p{c, approve, reason, spam};
    Hash32 h = Send(owner_, kReviewKind, p.Encode());
    Produce();
    ExpectCommitted(h);
  }
  void Publish(uint64_t d) {
    Hash32 h = Send(owner_, kPublishKind, PublishPayload{d}.Encode());
    Produce();
    ExpectCommitted(h);
  }

  // Prepare, sign exactly the returned payload, submit.
  Result<std::pair<Hash32, Prepared>> Upload(const KeyPair& who, uint64_t d,
                                             const std::vector<UploadFile>& files) {
    TRIB_ASSIGN_OR_RETURN(Prepared p, svc_->Prepare(d, files));
    return svc_->Submit(d, files, Sign(who, kSubmitKind, p.payload.Encode()));
  }
  Hash32 MustUpload(const KeyPair& who, uint64_t d, const std::vector<UploadFile>& files) {
    auto r = Upload(who, d, files);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->first : Hash32{};
  }

  size_t StoredContributions() {
    auto l = svc_->rows().Contributions();
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->size() : 0;
  }
  size_t StoredRows() {
    auto n = svc_->rows().Count();
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : 0;
  }
  std::vector<Hash32> RowIds(const Hash32& c) {
    auto r = svc_->rows().ContributionRowIds(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Hash32>{};
  }
  Contribution Get(const Hash32& c) {
    auto r = svc_->GetContribution(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Contribution{};
  }
  Amount Balance(const Address& a) {
    auto r = chain_->GetAccount(a, false);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->account.balance : 0;
  }

  TempDir dir_;
  TxKindRegistry kinds_;
  KeyPair owner_, alice_, bob_, carol_, poor_, sequencer_;
  Genesis genesis_;
  uint64_t now_ms_ = kT0 + 1000;
  std::unique_ptr<Chain> chain_;
  std::unique_ptr<DatanetService> svc_;  // destroyed before the chain
  uint64_t open_ = 0, approval_ = 0;
};

TEST_F(ServiceTest, PrepareSignSubmitCommitRead) {
  std::vector<UploadFile> files = {Jsonl("quips.jsonl", Texts(0, 6)),
                                   Jsonl("more.jsonl", Texts(6, 4))};
  auto prepared = svc_->Prepare(open_, files);
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  const SubmitPayload& p = prepared->payload;
  const ValidationReport& report = prepared->report;
  EXPECT_EQ(report.accepted, 10u) << report.ToJson().dump(1);
  EXPECT_EQ(p.datanet, open_);
  EXPECT_EQ(p.rows, report.accepted);
  EXPECT_EQ(p.rejected_rows, report.rejected);
  EXPECT_EQ(p.report_hash, report.Hash());
  std::vector<Hash32> ids;
  uint64_t bytes = 0;
  for (const auto& r : report.accepted_rows) {
    ids.push_back(r.id);
    bytes += r.canonical.size();
  }
  EXPECT_EQ(p.content_root, ContentRoot(ids));
  EXPECT_EQ(p.bytes, bytes);
  ASSERT_EQ(p.files.size(), 2u);
  EXPECT_EQ(p.files[0], (FileEntry{"quips.jsonl", "jsonl", files[0].bytes.size()}));
  EXPECT_EQ(p.files[1], (FileEntry{"more.jsonl", "jsonl", files[1].bytes.size()}));
  // Prepare stores nothing, and preparing twice gives the same payload.
  EXPECT_EQ(StoredContributions(), 0u);
  EXPECT_EQ(StoredRows(), 0u);
  EXPECT_EQ(svc_->Prepare(open_, files)->payload, p);

  Transaction tx = Sign(alice_, kSubmitKind, p.Encode());
  auto submitted = svc_->Submit(open_, files, tx);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  const Hash32 id = submitted->first;
  EXPECT_EQ(id, tx.Hash());
  EXPECT_EQ(submitted->second.payload, p);
  // Rows are stored at once; the ledger knows the contribution only once it commits.
  EXPECT_EQ(RowIds(id), ids);
  EXPECT_EQ(svc_->GetContribution(id).status().reason(), "unknown_contribution");
  Produce();
  ExpectCommitted(id);

  Contribution c = Get(id);
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.datanet, open_);
  EXPECT_EQ(c.contributor, Addr(alice_));
  EXPECT_EQ(c.status, ContributionStatus::kAccepted);
  EXPECT_EQ(c.rows, ids.size());
  EXPECT_EQ(c.content_root, ContentRoot(RowIds(id)));
  EXPECT_EQ(c.files, p.files);
  // The stored report is the one the contribution commits to.
  auto raw_report = svc_->rows().ContributionReport(id);
  ASSERT_TRUE(raw_report.ok());
  EXPECT_EQ(Sha256(AsBytes(*raw_report)), c.report_hash);
  auto report_json = svc_->ContributionReport(id);
  ASSERT_TRUE(report_json.ok());
  EXPECT_EQ(*report_json, report.ToJson());
  // Its rows, in order, are the fortunes as canonical JSON.
  auto rows = svc_->ContributionRows(id, 0, 100);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 10u);
  std::vector<std::string> texts = Texts(0, 10);
  for (size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i].first, ids[i]);
    EXPECT_EQ(json::parse((*rows)[i].second)["text"], texts[i]);
  }
  auto page = svc_->ContributionRows(id, 8, 5);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].first, ids[8]);
  auto listed = svc_->Contributions(open_, 0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, id);
  auto board = svc_->Leaderboard(open_, 10);
  ASSERT_TRUE(board.ok());
  ASSERT_EQ(board->size(), 1u);
  EXPECT_EQ((*board)[0].contributor, Addr(alice_));
  EXPECT_EQ((*board)[0].stats.accepted_rows, 10u);
}

TEST_F(ServiceTest, ASecondUploadOfTheSameFileIsAllDuplicates) {
  const UploadFile file = Jsonl("computers.jsonl", Texts(20, 8));
  const Hash32 first = MustUpload(alice_, open_, {file});
  ASSERT_EQ(RowIds(first).size(), 8u);

  // While the first is pending ...
  auto again = svc_->Prepare(open_, {file});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->payload.rows, 0u);
  EXPECT_EQ(again->report.accepted, 0u);
  EXPECT_EQ(again->report.rejected, 8u);
  for (const auto& v : again->report.verdicts) EXPECT_EQ(v.reason, "duplicate_in_datanet");
  auto refused = svc_->Submit(open_, {file}, Sign(bob_, kSubmitKind, again->payload.Encode()));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason(), "no_rows_accepted");
  EXPECT_EQ(StoredContributions(), 1u);

  // ... and once it is committed.
  Produce();
  ExpectCommitted(first);
  auto after = svc_->Prepare(open_, {file});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->payload.rows, 0u);
  refused = svc_->Submit(open_, {file}, Sign(bob_, kSubmitKind, after->payload.Encode()));
  EXPECT_EQ(refused.status().reason(), "no_rows_accepted");
  // A file overlapping in part contributes only its new rows.
  std::vector<std::string> mixed = Texts(26, 4);  // 26 and 27 are already held
  auto partial = svc_->Prepare(open_, {Jsonl("mixed.jsonl", mixed)});
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->payload.rows, 2u);
  EXPECT_EQ(partial->report.rejected, 2u);
  // Duplicates are per Datanet: the approval Datanet takes the same file.
  EXPECT_EQ(svc_->Prepare(approval_, {file})->payload.rows, 8u);
  // A restart rebuilds the index from the ledger and the row store: still duplicates.
  Restart();
  auto restarted = svc_->Prepare(open_, {file});
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  EXPECT_EQ(restarted->payload.rows, 0u);
  EXPECT_EQ(StoredContributions(), 1u);
}

TEST_F(ServiceTest, ATxThatDiffersFromWhatWasValidatedStoresNothing) {
  // Alice prepares; meanwhile Bob contributes two of the same rows.
  std::vector<UploadFile> files = {Jsonl("alice.jsonl", Texts(40, 6))};
  auto prepared = svc_->Prepare(open_, files);
  ASSERT_TRUE(prepared.ok());
  ASSERT_EQ(prepared->payload.rows, 6u);
  const Hash32 bob = MustUpload(bob_, open_, {Jsonl("bob.jsonl", Texts(44, 4))});
  const size_t contributions = StoredContributions(), rows = StoredRows();
  const uint64_t alice_nonce = NextNonce(alice_);

  Transaction stale = Sign(alice_, kSubmitKind, prepared->payload.Encode());
  auto r = svc_->Submit(open_, files, stale);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "validation_changed") << r.status().ToString();
  EXPECT_EQ(StoredContributions(), contributions);
  EXPECT_EQ(StoredRows(), rows);
  EXPECT_EQ(svc_->rows().ContributionRowIds(stale.Hash()).status().code(), Code::kNotFound);
  EXPECT_EQ(NextNonce(alice_), alice_nonce) << "the tx reached the chain";
  EXPECT_EQ(chain_->GetTx(stale.Hash())->state, TxState::kUnknown);

  // A payload edited after preparing (a row fewer, another report) is refused the same way.
  std::vector<UploadFile> fresh = {Jsonl("fresh.jsonl", Texts(60, 5))};
  auto p2 = svc_->Prepare(open_, fresh);
  ASSERT_TRUE(p2.ok());
  SubmitPayload edited = p2->payload;
  edited.rows -= 1;
  EXPECT_EQ(
      svc_->Submit(open_, fresh, Sign(alice_, kSubmitKind, edited.Encode())).status().reason(),
      "validation_changed");
  edited = p2->payload;
  edited.report_hash[0] ^= 1;
  EXPECT_EQ(
      svc_->Submit(open_, fresh, Sign(alice_, kSubmitKind, edited.Encode())).status().reason(),
      "validation_changed");
  // The signed payload is honest but the files sent with it differ.
  std::vector<UploadFile> swapped = {Jsonl("fresh.jsonl", Texts(61, 5))};
  EXPECT_EQ(svc_->Submit(open_, swapped, Sign(alice_, kSubmitKind, p2->payload.Encode()))
                .status()
                .reason(),
            "validation_changed");
  // Other mismatches: another Datanet, another kind.
  EXPECT_EQ(svc_->Submit(approval_, fresh, Sign(alice_, kSubmitKind, p2->payload.Encode()))
                .status()
                .reason(),
            "wrong_datanet");
  EXPECT_EQ(svc_->Submit(open_, fresh, Sign(alice_, kPublishKind, PublishPayload{open_}.Encode()))
                .status()
                .reason(),
            "wrong_kind");
  EXPECT_EQ(StoredContributions(), contributions);
  EXPECT_EQ(StoredRows(), rows);
  EXPECT_EQ(NextNonce(alice_), alice_nonce);

  // Prepared again, it goes through (without Bob's rows).
  auto redo = Upload(alice_, open_, files);
  ASSERT_TRUE(redo.ok()) << redo.status().ToString();
  EXPECT_EQ(redo->second.payload.rows, 4u);
  Produce();
  ExpectCommitted(redo->first);
  ExpectCommitted(bob);
}

TEST_F(ServiceTest, ATxTheChainRefusesLeavesNoRows) {
  // poor_ holds 1 OPEN; the approval Datanet's stake is 10.
  const std::vector<UploadFile> files = {Jsonl("poor.jsonl", Texts(80, 5))};
  const size_t rows = StoredRows();
  auto r = Upload(poor_, approval_, files);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "insufficient_balance") << r.status().ToString();
  EXPECT_EQ(StoredContributions(), 0u);
  EXPECT_EQ(StoredRows(), rows);
  EXPECT_EQ(Balance(EscrowAddress()), Amount{0});

  // A reused nonce is refused by the chain too, and leaves nothing.
  const Hash32 ok = MustUpload(alice_, approval_, {Jsonl("alice.jsonl", Texts(90, 3))});
  auto p = svc_->Prepare(approval_, {Jsonl("again.jsonl", Texts(95, 3))});
  ASSERT_TRUE(p.ok());
  auto replay = svc_->Submit(approval_, {Jsonl("again.jsonl", Texts(95, 3))},
                             Sign(alice_, kSubmitKind, p->payload.Encode(), /*nonce=*/0));
  EXPECT_EQ(replay.status().reason(), "bad_nonce") << replay.status().ToString();
  EXPECT_EQ(StoredContributions(), 1u);
  EXPECT_EQ(StoredRows(), rows + 3);

  // The refused rows did not enter the duplicate index: someone who can pay contributes them.
  auto prepared = svc_->Prepare(approval_, files);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->payload.rows, 5u);
  const Hash32 bob = MustUpload(bob_, approval_, files);
  Produce();
  ExpectCommitted(ok);
  ExpectCommitted(bob);
  EXPECT_EQ(Get(bob).status, ContributionStatus::kPending);
  EXPECT_EQ(Balance(EscrowAddress()), 20 * kOpen);

  // The daily quota is the chain's to enforce (it counts pending use): refused, nothing kept.
  DatanetSpec daily;
  daily.name = "One file a day";
  daily.license = "MIT";
  daily.quotas.files_per_day = 1;
  const uint64_t one = Create(daily);
  const Hash32 today = MustUpload(carol_, one, {Jsonl("today.jsonl", Texts(180, 2))});
  const size_t before = StoredRows();
  auto over = Upload(carol_, one, {Jsonl("tomorrow.jsonl", Texts(182, 2))});
  EXPECT_EQ(over.status().reason(), "quota_exceeded") << over.status().ToString();
  EXPECT_EQ(StoredRows(), before);
  EXPECT_EQ(svc_->Prepare(one, {Jsonl("tomorrow.jsonl", Texts(182, 2))})->payload.rows, 2u);
  // The next UTC day (block time) allows it.
  Produce();
  ExpectCommitted(today);
  now_ms_ += kMsPerDay;
  const Hash32 tomorrow = MustUpload(carol_, one, {Jsonl("tomorrow.jsonl", Texts(182, 2))});
  Produce();
  ExpectCommitted(tomorrow);
}

TEST_F(ServiceTest, ASpamRejectionFreesItsRowsForNewUploads) {
  const UploadFile copied = Jsonl("copied.jsonl", Texts(100, 6));
  const UploadFile extra = Jsonl("extra.jsonl", Texts(106, 3));
  const Hash32 spam = MustUpload(alice_, approval_, {copied, extra});
  Produce();
  ExpectCommitted(spam);
  EXPECT_EQ(svc_->Prepare(approval_, {copied})->payload.rows, 0u);  // held while pending

  const Amount treasury0 = Balance(TreasuryAddress());
  Review(spam, false, "copied from a blog", true);
  EXPECT_EQ(Get(spam).status, ContributionStatus::kRejected);
  EXPECT_EQ(Balance(TreasuryAddress()) - treasury0, 5 * kOpen);  // 50% of the stake

  // Bob may now contribute those rows.
  auto prepared = svc_->Prepare(approval_, {copied});
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->payload.rows, 6u);
  const Hash32 bob = MustUpload(bob_, approval_, {copied});
  Produce();
  ExpectCommitted(bob);
  // The rejected rows stay readable (the contributor can still see them).
  auto kept = svc_->ContributionRows(spam, 0, 100);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->size(), 9u);
  // Bob's pending rows are held again; the rejected-only rows are free.
  EXPECT_EQ(svc_->Prepare(approval_, {copied})->payload.rows, 0u);
  EXPECT_EQ(svc_->Prepare(approval_, {extra})->payload.rows, 3u);
  // The same after a restart, when the index is rebuilt from the ledger.
  Restart();
  EXPECT_EQ(svc_->Prepare(approval_, {copied})->payload.rows, 0u);
  EXPECT_EQ(svc_->Prepare(approval_, {extra})->payload.rows, 3u);
  // A plain (not spam) rejection frees rows as well.
  Review(bob, false, "not funny");
  EXPECT_EQ(svc_->Prepare(approval_, {copied})->payload.rows, 6u);
}

// After a restart a Datanet's duplicate index is built on its first upload. The build holds no
// lock that block commits or other Datanets' uploads need: from inside it a block with a
// rejection commits and the other Datanet takes an upload, and the rejection committed during
// the build still frees its rows in the index the build installs.
TEST_F(ServiceTest, TheIndexIsBuiltWithoutHoldingUpCommitsOrOtherDatanets) {
  const UploadFile copied = Jsonl("copied.jsonl", Texts(300, 5));
  const Hash32 spam = MustUpload(alice_, approval_, {copied});
  Produce();
  ExpectCommitted(spam);
  Restart();
  int builds = 0;
  svc_->SetIndexBuildHookForTest([&](uint64_t datanet) {
    if (datanet != approval_) return;
    ++builds;
    Review(spam, false, "copied from a blog", true);  // commits a block: OnCommit runs
    auto other = svc_->Prepare(open_, {Jsonl("other.jsonl", Texts(310, 3))});
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    EXPECT_EQ(other->payload.rows, 3u);
  });
  auto prepared = svc_->Prepare(approval_, {copied});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(Get(spam).status, ContributionStatus::kRejected);
  // The build read the spam's rows as pending; the rejection during the build freed them.
  EXPECT_EQ(prepared->payload.rows, 5u);
  // Built once: later uploads use it.
  EXPECT_EQ(svc_->Prepare(approval_, {copied})->payload.rows, 5u);
  EXPECT_EQ(builds, 1);
}

// Block production calls the service on every commit. It must not wait for an upload being
// validated (which holds the service mutex for as long as the upload is large): here a block with
// a rejection commits from inside a validation, on the same thread, and the rows it frees are out
// of the index before that validation reads it.
TEST_F(ServiceTest, BlocksCommitWhileAnUploadIsValidated) {
  const UploadFile copied = Jsonl("copied.jsonl", Texts(400, 5));
  const Hash32 spam = MustUpload(alice_, approval_, {copied});
  Produce();
  ExpectCommitted(spam);
  EXPECT_EQ(svc_->Prepare(approval_, {copied})->payload.rows, 0u);  // held while pending
  int calls = 0;
  svc_->SetValidateHookForTest([&](uint64_t datanet) {
    if (datanet != approval_ || calls++ > 0) return;
    Review(spam, false, "copied from a blog", true);  // commits a block: OnCommit runs
  });
  auto prepared = svc_->Prepare(approval_, {copied});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Get(spam).status, ContributionStatus::kRejected);
  EXPECT_EQ(prepared->payload.rows, 5u);

  // The same inside a Submit's validation: a block commits, the upload goes on.
  const UploadFile more = Jsonl("more.jsonl", Texts(420, 4));
  calls = 0;
  svc_->SetValidateHookForTest([&](uint64_t datanet) {
    if (datanet != approval_ || calls++ != 1) return;  // the Submit's own validation
    Produce();
  });
  const Hash32 bob = MustUpload(bob_, approval_, {more});
  EXPECT_EQ(calls, 2);
  Produce();
  ExpectCommitted(bob);
  svc_->SetValidateHookForTest({});
  EXPECT_EQ(svc_->Prepare(approval_, {more})->payload.rows, 0u);  // held while pending
}

// Each Datanet has its own lock: while an upload to one is being validated (held in the hook), an
// upload to another completes, and a second upload to the same one waits for the first.
TEST_F(ServiceTest, UploadsToDifferentDatanetsValidateSideBySide) {
  using namespace std::chrono_literals;
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> approval_calls{0};
  svc_->SetValidateHookForTest([&](uint64_t datanet) {
    if (datanet != approval_ || approval_calls++ > 0) return;
    entered.set_value();
    released.wait();
  });
  auto first = std::async(std::launch::async, [&] {
    return svc_->Prepare(approval_, {Jsonl("first.jsonl", Texts(200, 4))});
  });
  if (entered.get_future().wait_for(30s) != std::future_status::ready) {
    auto r = first.get();
    FAIL() << "the upload never reached validation: "
           << (r.ok() ? std::string("it succeeded") : r.status().ToString());
  }
  auto other = std::async(std::launch::async, [&] {
    return svc_->Prepare(open_, {Jsonl("other.jsonl", Texts(210, 3))});
  });
  const bool other_done = other.wait_for(30s) == std::future_status::ready;
  auto same = std::async(std::launch::async, [&] {
    return svc_->Prepare(approval_, {Jsonl("same.jsonl", Texts(220, 2))});
  });
  const bool same_waited = same.wait_for(300ms) == std::future_status::timeout;
  release.set_value();  // before any assertion, so that no thread is left waiting
  auto first_result = first.get();
  auto same_result = same.get();
  auto other_result = other.get();
  svc_->SetValidateHookForTest({});
  EXPECT_TRUE(other_done) << "an upload to another Datanet waited for this one's validation";
  EXPECT_TRUE(same_waited) << "two uploads to one Datanet were validated at once";
  ASSERT_TRUE(first_result.ok() && same_result.ok() && other_result.ok());
  EXPECT_EQ(first_result->payload.rows, 4u);
  EXPECT_EQ(same_result->payload.rows, 2u);
  EXPECT_EQ(other_result->payload.rows, 3u);
  EXPECT_EQ(approval_calls, 2);
}

// Three contributions in the open Datanet (alice, bob, alice), published as version 1.
class VersionTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (HasFatalFailure()) return;
    uploads_ = {MustUpload(alice_, open_, {Jsonl("a.jsonl", Texts(120, 5))}),
                MustUpload(bob_, open_,
                           {Jsonl("b1.jsonl", Texts(125, 3)), Jsonl("b2.jsonl", Texts(128, 4))}),
                MustUpload(alice_, open_, {Jsonl("c.jsonl", Texts(132, 2))})};
    Produce();
    for (const auto& u : uploads_) ExpectCommitted(u);
    Publish(open_);
    for (const auto& u : uploads_) {
      for (const auto& id : RowIds(u)) expected_.push_back({id, u});
    }
    ASSERT_EQ(expected_.size(), 14u);
  }

  std::vector<VersionRow> Rows(uint32_t version, uint64_t offset, uint64_t limit) {
    auto r = svc_->VersionRows(open_, version, offset, limit);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<VersionRow>{};
  }
  json Prove(uint64_t index) {
    auto p = svc_->ProveVersionRow(open_, 1, index);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : json();
  }
  Status Verify(const json& proof) {
    return VerifyVersionRowProof(proof, sequencer_.public_key()).status();
  }

  std::vector<Hash32> uploads_;
  std::vector<std::pair<Hash32, Hash32>> expected_;  // row id, contribution
};

TEST_F(VersionTest, VersionRowsListEveryRowWithItsProvenance) {
  auto versions = svc_->Versions(open_);
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  const Version& v = (*versions)[0];
  EXPECT_EQ(v.rows, 14u);
  EXPECT_EQ(v.contributions, 3u);

  std::vector<VersionRow> all = Rows(1, 0, 1000);
  ASSERT_EQ(all.size(), expected_.size());
  uint64_t bytes = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(all[i].index, i);
    EXPECT_EQ(all[i].row_id, expected_[i].first);
    EXPECT_EQ(all[i].contribution, expected_[i].second);
    EXPECT_EQ(all[i].contributor, Get(expected_[i].second).contributor);
    EXPECT_EQ(Sha256(AsBytes(all[i].canonical)), all[i].row_id);
    bytes += all[i].canonical.size();
  }
  EXPECT_EQ(bytes, v.bytes);
  EXPECT_EQ(all[5].contributor, Addr(bob_));
  EXPECT_EQ(all[13].contributor, Addr(alice_));
  // The version root is recomputable from the rows alone.
  std::vector<Hash32> leaves;
  for (const auto& u : uploads_) leaves.push_back(merkle::LeafHash(VersionLeaf(Get(u))));
  EXPECT_EQ(v.root, merkle::RootFromLeafHashes(leaves));

  // Pages are slices of the whole, across contribution boundaries.
  for (uint64_t offset : {0ull, 3ull, 4ull, 5ull, 11ull, 13ull}) {
    for (uint64_t limit : {1ull, 2ull, 7ull, 100ull}) {
      std::vector<VersionRow> page = Rows(1, offset, limit);
      size_t want = std::min<size_t>(limit, all.size() - offset);
      ASSERT_EQ(page.size(), want) << offset << "+" << limit;
      for (size_t k = 0; k < page.size(); ++k) {
        EXPECT_EQ(page[k].index, offset + k);
        EXPECT_EQ(page[k].row_id, all[offset + k].row_id);
      }
    }
  }
  EXPECT_TRUE(Rows(1, 14, 10).empty());
  EXPECT_TRUE(Rows(1, 1000, 10).empty());
  EXPECT_TRUE(Rows(1, 0, 0).empty());
  EXPECT_EQ(svc_->VersionRows(open_, 2, 0, 10).status().reason(), "unknown_version");
  EXPECT_EQ(svc_->VersionRows(open_, 0, 0, 10).status().reason(), "unknown_version");

  // Version 2 adds a contribution; version 1 keeps its rows.
  const Hash32 late = MustUpload(carol_, open_, {Jsonl("late.jsonl", Texts(140, 3))});
  Produce();
  ExpectCommitted(late);
  Publish(open_);
  std::vector<VersionRow> v1 = Rows(1, 0, 1000), v2 = Rows(2, 0, 1000);
  ASSERT_EQ(v1.size(), 14u);
  ASSERT_EQ(v2.size(), 17u);
  for (size_t i = 0; i < 14; ++i) EXPECT_EQ(v2[i].row_id, v1[i].row_id);
  EXPECT_EQ(v2[16].contribution, late);
  EXPECT_EQ(v2[16].contributor, Addr(carol_));
}

TEST_F(VersionTest, AnUnboundedPageStartingPastZero) {
  // Every row from index 2 on, with "no limit".
  auto r = svc_->VersionRows(open_, 1, 2, UINT64_MAX);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 12u) << "offset + limit must not overflow";
  EXPECT_EQ((*r)[0].index, 2u);
  EXPECT_EQ((*r)[0].row_id, expected_[2].first);
  EXPECT_EQ(r->back().index, 13u);
}

TEST_F(VersionTest, RowProofsVerifyAndTamperingIsCaught) {
  std::vector<VersionRow> all = Rows(1, 0, 1000);
  for (uint64_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(i);
    json proof = Prove(i);
    EXPECT_EQ(proof["type"], "datanet_row");
    EXPECT_EQ(proof["index"], i);
    auto row = VerifyVersionRowProof(proof, sequencer_.public_key());
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    EXPECT_EQ(*row, all[i].canonical);
    EXPECT_TRUE(VerifyVersionRowProof(proof, std::nullopt).ok());
  }
  EXPECT_EQ(svc_->ProveVersionRow(open_, 1, 14).status().reason(), "unknown_row");
  EXPECT_EQ(svc_->ProveVersionRow(open_, 2, 0).status().reason(), "unknown_version");

  const json good = Prove(6);  // bob's second file: non-trivial paths at both levels
  ASSERT_TRUE(Verify(good).ok());
  ASSERT_FALSE(good["row_path"]["path"].empty());
  ASSERT_FALSE(good["contribution_path"]["path"].empty());
  ASSERT_FALSE(good["siblings"].empty());
  auto fails = [&](const json& p, const std::string& what) {
    Status s = Verify(p);
    EXPECT_FALSE(s.ok()) << what << " was accepted";
    if (!s.ok()) {
      EXPECT_EQ(s.reason(), "bad_proof") << what << ": " << s.ToString();
    }
  };
  auto flip = [](std::string hex, size_t byte) {
    hex[2 * byte + 1] = hex[2 * byte + 1] == '0' ? '1' : '0';
    return hex;
  };

  // The row text.
  json p = good;
  json row = json::parse(p["row"].get<std::string>());
  row["text"] = row["text"].get<std::string>() + " (edited)";
  p["row"] = row.dump();
  fails(p, "edited row");
  p["row_id"] = ToHex(Sha256(AsBytes(p["row"].get<std::string>())));
  fails(p, "edited row with its own id");
  p = good;
  p["row"] = all[7].canonical;  // a real row of the version, but not the one proven
  fails(p, "another row");

  // Audit paths.
  for (const char* path : {"row_path", "contribution_path"}) {
    for (size_t k = 0; k < good[path]["path"].size(); ++k) {
      p = good;
      p[path]["path"][k] = flip(p[path]["path"][k].get<std::string>(), 0);
      fails(p, std::string(path) + " hash " + std::to_string(k));
    }
    p = good;
    p[path]["leaf_index"] = p[path]["leaf_index"].get<uint64_t>() + 1;
    fails(p, std::string(path) + " leaf index");
    p = good;
    p[path]["path"].erase(p[path]["path"].size() - 1);
    fails(p, std::string(path) + " shortened");
  }
  // The contribution's claimed fields.
  p = good;
  p["contribution"]["contributor"] = Addr(carol_).ToString();
  fails(p, "contributor");
  p = good;
  p["contribution"]["rows"] = p["contribution"]["rows"].get<uint64_t>() + 1;
  fails(p, "row count");
  p = good;
  p["contribution"]["content_root"] = flip(p["contribution"]["content_root"].get<std::string>(), 3);
  fails(p, "content root");
  // The version record and its state proof.
  p = good;
  p["version_record"] = flip(p["version_record"].get<std::string>(), 20);
  fails(p, "version record");
  p = good;
  p["siblings"][0] = flip(p["siblings"][0].get<std::string>(), 0);
  fails(p, "state proof sibling");

  // The header: any changed byte breaks its signature.
  const std::string header_hex = good["header"].get<std::string>();
  for (size_t byte : {size_t{5}, header_hex.size() / 4, header_hex.size() / 2 - 1}) {
    p = good;
    p["header"] = flip(header_hex, byte);
    fails(p, "header byte " + std::to_string(byte));
  }
  // A header re-signed by someone else with a forged state root is caught by the pinned
  // sequencer key.
  auto header = BlockHeader::Decode(*FromHex(header_hex));
  ASSERT_TRUE(header.ok());
  BlockHeader forged = *header;
  forged.state_root[0] ^= 1;
  forged.SignWith(alice_);
  p = good;
  p["header"] = ToHex(forged.Encode());
  fails(p, "header signed by another key");
  BlockHeader resigned = *header;
  resigned.SignWith(alice_);
  p["header"] = ToHex(resigned.Encode());
  fails(p, "honest header signed by another key");
  EXPECT_TRUE(VerifyVersionRowProof(p, std::nullopt).ok())
      << "without a pinned key any valid signature over the right state is accepted";
  // Malformed documents.
  fails(json::object(), "empty object");
  p = good;
  p.erase("siblings");
  fails(p, "no siblings");
  p = good;
  p["type"] = "tx";
  fails(p, "wrong type");

  // The proof still verifies after more blocks: it carries the header it was made against.
  Produce();
  EXPECT_TRUE(Verify(good).ok());
  EXPECT_TRUE(Verify(Prove(6)).ok());
}

TEST_F(VersionTest, ProofClaimsOfDatanetAndVersionAreBound) {
  json good = Prove(3);
  ASSERT_TRUE(Verify(good).ok());
  json other_version = good;
  other_version["version"] = 7;
  json other_datanet = good;
  other_datanet["datanet"] = approval_;
  bool version_ok = Verify(other_version).ok(), datanet_ok = Verify(other_datanet).ok();
  EXPECT_FALSE(version_ok);
  EXPECT_FALSE(datanet_ok);
}

// The readable labels of a row proof are what its bytes say: the index (proven by the leaves of
// the contributions before the row's, "preceding"), the Datanet and version, and nothing the
// verifier does not read may stand in the proof or beside it.
TEST_F(VersionTest, RowProofIndexAndLabelsAreBound) {
  auto refused = [&](const json& p, const std::string& reason, const std::string& names) {
    Status s = Verify(p);
    if (s.ok()) return ::testing::AssertionFailure() << "accepted";
    if (s.reason() != reason || s.message().find(names) == std::string::npos) {
      return ::testing::AssertionFailure() << s.ToString();
    }
    return ::testing::AssertionSuccess();
  };
  const size_t contribution_of[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2};
  for (uint64_t i = 0; i < 14; ++i) {
    SCOPED_TRACE(i);
    json p = Prove(i);
    ASSERT_TRUE(Verify(p).ok());
    EXPECT_EQ(p["preceding"].size(), contribution_of[i]);
    EXPECT_TRUE(Verify(json{{"proof", p}}).ok()) << "as the API returns it";
    for (uint64_t claimed : {i + 1, i - 1, i + 5}) {
      if (claimed >= 14) continue;
      json bad = p;
      bad["index"] = claimed;
      EXPECT_TRUE(refused(bad, "misleading_proof", "proof.index")) << "claimed " << claimed;
    }
  }
  const json good = Prove(13);  // alice's second contribution: two before it
  ASSERT_EQ(good["preceding"].size(), 2u);
  json p = good;
  p["index"] = "13";
  EXPECT_TRUE(refused(p, "misleading_proof", "proof.index")) << "index as text";
  p["index"] = 13.5;
  EXPECT_TRUE(refused(p, "misleading_proof", "proof.index")) << "a fractional index";
  p = good;
  p["datanet"] = approval_;
  EXPECT_TRUE(refused(p, "misleading_proof", "proof.datanet"));
  p = good;
  p["version"] = 2;
  EXPECT_TRUE(refused(p, "misleading_proof", "proof.version"));

  // The contributions before the row's: each one is bound, so is their order and number.
  auto leaf = [&](size_t k) {
    auto c = DecodeVersionLeaf(*FromHex(good["preceding"][k].get<std::string>()));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : Contribution{};
  };
  EXPECT_EQ(leaf(0).rows, 5u);
  EXPECT_EQ(leaf(1).rows, 7u);
  EXPECT_EQ(leaf(1).contributor, Addr(bob_));
  p = good;
  Contribution more = leaf(1);
  more.rows -= 1;  // as if the row were one earlier in the version
  p["preceding"][1] = ToHex(VersionLeaf(more));
  p["index"] = 12;
  EXPECT_TRUE(refused(p, "bad_proof", "before the row's"));
  p = good;
  p["preceding"].erase(1);
  EXPECT_TRUE(refused(p, "bad_proof", "before the row's"));
  p = good;
  std::swap(p["preceding"][0], p["preceding"][1]);
  EXPECT_TRUE(refused(p, "bad_proof", "before the row's"));
  p = good;
  p["preceding"][0] = "abcd";
  EXPECT_TRUE(refused(p, "bad_proof", "version leaf"));
  p = good;
  p.erase("preceding");
  EXPECT_TRUE(refused(p, "bad_proof", "preceding")) << "the index cannot be checked";
  p.erase("index");
  EXPECT_TRUE(Verify(p).ok()) << "a proof that claims no index needs none";

  // Members nobody checks.
  p = good;
  p["note"] = "row 0 of the version";
  EXPECT_TRUE(refused(p, "misleading_proof", "proof.note"));
  p = good;
  p["contribution"]["label"] = "by the owner";
  EXPECT_TRUE(refused(p, "misleading_proof", "proof.contribution.label"));
  EXPECT_TRUE(refused(json{{"proof", good}, {"index", 0}}, "misleading_proof", "'index'"));
}

TEST_F(ServiceTest, ReconcileRemovesContributionsTheLedgerDoesNotKnow) {
  const std::vector<std::string> known_texts = Texts(150, 4);
  const Hash32 known = MustUpload(alice_, open_, {Jsonl("known.jsonl", known_texts)});
  Produce();
  ExpectCommitted(known);
  const std::vector<Hash32> known_rows = RowIds(known);

  // Rows of a contribution the ledger never saw (a crash between storing and committing): one
  // row shared with the known contribution, two of its own.
  auto canonical = [](const std::string& t) { return json{{"text", t}}.dump(); };
  const std::vector<std::string> orphan_rows = {
      canonical(known_texts[1]), canonical(Texts(160, 1)[0]), canonical(Texts(161, 1)[0])};
  const Hash32 orphan = Sha256(AsBytes("a submit tx that never committed"));
  ASSERT_TRUE(svc_->rows().PutContribution(orphan, open_, orphan_rows, "{}").ok());
  ASSERT_EQ(StoredContributions(), 2u);
  ASSERT_EQ(StoredRows(), 6u);

  // Reopen the service on the same chain.
  svc_.reset();
  OpenService();
  auto listed = svc_->rows().Contributions();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].first, known);
  EXPECT_EQ(svc_->rows().ContributionRowIds(orphan).status().code(), Code::kNotFound);
  EXPECT_EQ(StoredRows(), 4u);  // the shared row stays, the orphan's own rows are gone
  EXPECT_EQ(RowIds(known), known_rows);
  auto rows = svc_->ContributionRows(known, 0, 10);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 4u);
  // The orphan's rows do not count as duplicates.
  EXPECT_EQ(svc_->Prepare(open_, {Jsonl("x.jsonl", Texts(160, 2))})->payload.rows, 2u);

  // And across a full restart, with the orphan written while nothing was open.
  svc_.reset();
  chain_.reset();
  {
    auto store = RowStore::Open(data_dir() / "rows.db");
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutContribution(orphan, open_, orphan_rows).ok());
  }
  OpenChain();
  OpenService();
  EXPECT_EQ(StoredContributions(), 1u);
  EXPECT_EQ(StoredRows(), 4u);
  // The chain goes on normally afterwards.
  const Hash32 next = MustUpload(bob_, open_, {Jsonl("next.jsonl", Texts(160, 2))});
  Produce();
  ExpectCommitted(next);
  EXPECT_EQ(StoredContributions(), 2u);
}

TEST_F(ServiceTest, ReopeningTheServiceOnALiveChainLeavesNoDanglingListener) {
  // The destroyed service's commit listener must be gone: the next block must not call it
  // (under ASan or valgrind a leftover listener shows as a use after free).
  svc_.reset();
  OpenService();
  const Hash32 c = MustUpload(alice_, open_, {Jsonl("after.jsonl", Texts(170, 2))});
  Produce();  // both the live and the destroyed service's listeners run here
  ExpectCommitted(c);
}

}  // namespace
}  // namespace tributary::datanet
