#include "tributary/ledger/chain.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "support/test_util.h"
#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/ledger/verify.h"

namespace tributary {
namespace {

using testing::TempDir;
using json = nlohmann::json;

constexpr uint64_t kGenesisTime = 1767225600000ULL;
const Amount kOpen = Pow10(18);

KeyPair Key(uint8_t n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = n;
  seed[1] = 0xc4;
  return KeyPair::FromSeed(seed);
}
Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

Bytes TransferPayload(const Address& to, Amount amount) {
  return Writer().Fixed(to.bytes).U128(amount).bytes();
}
Bytes AmountPayload(Amount amount) { return Writer().U128(amount).bytes(); }

// Runs one SQL statement with blob parameters against a closed ledger; returns rows changed.
int ExecSql(const std::filesystem::path& db, const std::string& sql,
            const std::vector<Bytes>& params) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  for (size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_blob(st, static_cast<int>(i + 1), params[i].data(),
                      static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
  }
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << sqlite3_errmsg(h);
  sqlite3_finalize(st);
  int changed = sqlite3_changes(h);
  sqlite3_close(h);
  return changed;
}

// Reads one blob (first column of the first row).
Bytes QueryBlob(const std::filesystem::path& db, const std::string& sql,
                const std::vector<Bytes>& params) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  for (size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_blob(st, static_cast<int>(i + 1), params[i].data(),
                      static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
  }
  Bytes out;
  if (sqlite3_step(st) == SQLITE_ROW) {
    auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st, 0));
    out.assign(p, p + sqlite3_column_bytes(st, 0));
  } else {
    ADD_FAILURE() << "no row for " << sql;
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

Bytes KeyBytes(const std::string& k) { return Bytes(k.begin(), k.end()); }

// `hex` with the low nibble of byte `byte` changed.
std::string FlipHex(const json& j, size_t byte) {
  std::string hex = j.get<std::string>();
  EXPECT_LT(2 * byte + 1, hex.size());
  if (2 * byte + 1 >= hex.size()) return hex;
  char c = hex[2 * byte + 1];
  hex[2 * byte + 1] = c == '0' ? '1' : '0';
  return hex;
}

class ChainTest : public ::testing::Test {
 protected:
  ChainTest() : alice_(Key(1)), bob_(Key(2)), carol_(Key(3)), dave_(Key(4)), sequencer_(Key(200)) {
    RegisterLedgerKinds(kinds_);
    genesis_.chain_id = "tributary-chain-test";
    genesis_.timestamp_ms = kGenesisTime;
    genesis_.sequencer = sequencer_.public_key();
    genesis_.params.unbonding_blocks = 3;
    genesis_.accounts = {
        {Addr(alice_), 1000 * kOpen}, {Addr(bob_), 500 * kOpen}, {Addr(carol_), 25 * kOpen}};
    genesis_.supply = 1525 * kOpen;
  }

  ChainOptions Options(std::optional<Genesis> genesis, std::optional<KeyPair> seq) {
    ChainOptions o;
    o.data_dir = dir_.path() / "data";
    o.genesis = std::move(genesis);
    o.sequencer = std::move(seq);
    o.clock_ms = [] { return kGenesisTime + 5000; };
    return o;
  }

  void Open() {
    auto c = Chain::Open(Options(genesis_, sequencer_), kinds_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    chain_ = std::move(*c);
  }
  void Close() { chain_.reset(); }
  std::filesystem::path db() const { return dir_.path() / "data" / "ledger.db"; }

  Transaction MakeTx(const KeyPair& from, uint64_t nonce, const std::string& kind, Bytes payload) {
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = Pow10(16);
    tx.kind = kind;
    tx.payload = std::move(payload);
    tx.SignWith(from);
    return tx;
  }
  Transaction Transfer(const KeyPair& from, uint64_t nonce, const KeyPair& to, Amount amount) {
    return MakeTx(from, nonce, "transfer", TransferPayload(Addr(to), amount));
  }

  Hash32 MustSubmit(const Transaction& tx) {
    auto r = chain_->Submit(tx);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Hash32{};
  }
  uint64_t MustProduce() {
    auto r = chain_->ProduceBlock();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : 0;
  }
  Account AccountOf(const Address& a) {
    auto r = chain_->GetAccount(a, false);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->account : Account{};
  }
  BlockHeader Head() {
    auto b = chain_->GetBlock(std::nullopt);
    EXPECT_TRUE(b.ok());
    return b.ok() ? b->first : BlockHeader{};
  }
  Amount Fee(const Transaction& tx) { return *genesis_.params.FeeFor(tx.Encode().size()); }

  // Commits a small history: block 1 (3 txs), block 2 (2 txs), block 3 (1 tx), block 4 (empty).
  void BuildHistory() {
    MustSubmit(Transfer(alice_, 0, bob_, 10 * kOpen));
    MustSubmit(Transfer(bob_, 0, dave_, 3 * kOpen));
    MustSubmit(MakeTx(alice_, 1, "stake", AmountPayload(100 * kOpen)));
    ASSERT_EQ(MustProduce(), 1u);
    MustSubmit(Transfer(carol_, 0, alice_, 1 * kOpen));
    MustSubmit(MakeTx(alice_, 2, "unstake", AmountPayload(40 * kOpen)));
    ASSERT_EQ(MustProduce(), 2u);
    MustSubmit(Transfer(dave_, 0, carol_, kOpen / 2));
    ASSERT_EQ(MustProduce(), 3u);
    ASSERT_EQ(MustProduce(), 4u);
  }

  TempDir dir_;
  TxKindRegistry kinds_;
  KeyPair alice_, bob_, carol_, dave_, sequencer_;
  Genesis genesis_;
  std::unique_ptr<Chain> chain_;
};

TEST_F(ChainTest, GenesisBlock) {
  Open();
  EXPECT_EQ(chain_->height(), 0u);
  BlockHeader h = Head();
  EXPECT_EQ(h.height, 0u);
  EXPECT_EQ(h.chain_id, genesis_.chain_id);
  EXPECT_EQ(h.timestamp_ms, kGenesisTime);
  EXPECT_EQ(h.proposer, sequencer_.public_key());
  EXPECT_TRUE(h.SignatureValid());
  EXPECT_EQ(h.prev_hash, Hash32{});
  EXPECT_EQ(h.tx_root, merkle::EmptyRoot());
  EXPECT_EQ(h.tx_count, 0u);
  EXPECT_EQ(AccountOf(Addr(alice_)).balance, 1000 * kOpen);
  EXPECT_EQ(AccountOf(Addr(dave_)).balance, Amount{0});
}

// Two threads signing with one key through SubmitSigned never take the same nonce.
TEST_F(ChainTest, SubmitSignedGivesConcurrentSignersDistinctNonces) {
  Open();
  std::atomic<int> failures{0};
  auto send = [&] {
    for (int i = 0; i < 40; ++i) {
      Transaction tx = MakeTx(alice_, 0, "transfer", TransferPayload(Addr(bob_), kOpen));
      tx.nonce = 999;  // ignored: SubmitSigned sets sender, nonce and signature
      if (!chain_->SubmitSigned(tx, alice_).ok()) failures++;
    }
  };
  std::thread a(send), b(send);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  MustProduce();
  EXPECT_EQ(AccountOf(Addr(alice_)).nonce, 80u);
  EXPECT_EQ(AccountOf(Addr(bob_)).balance, 580 * kOpen);
}

// SubmitBatch checks in parallel, admits in order, and gives each transaction its own result.
TEST_F(ChainTest, SubmitBatchAdmitsInOrderAndReportsEachFailure) {
  Open();
  std::vector<Transaction> txs;
  for (uint64_t n = 0; n < 300; ++n) txs.push_back(Transfer(alice_, n, bob_, kOpen / 1000));
  Transaction forged = Transfer(carol_, 0, bob_, kOpen);
  forged.signature[5] ^= 1;
  txs.push_back(forged);
  txs.push_back(txs[3]);                                   // a duplicate
  txs.push_back(Transfer(carol_, 7, bob_, kOpen));         // nonce ahead
  txs.push_back(Transfer(carol_, 0, bob_, 5000 * kOpen));  // more than carol has
  Transaction wrong_chain = Transfer(dave_, 0, bob_, 1);
  wrong_chain.chain_id = "elsewhere";
  wrong_chain.SignWith(dave_);
  txs.push_back(wrong_chain);
  auto results = chain_->SubmitBatch(txs);
  ASSERT_EQ(results.size(), txs.size());
  for (size_t i = 0; i < 300; ++i)
    ASSERT_TRUE(results[i].ok()) << i << results[i].status().ToString();
  EXPECT_EQ(*results[7], txs[7].Hash());
  EXPECT_EQ(results[300].status().reason(), "bad_signature");
  EXPECT_EQ(results[301].status().reason(), "duplicate_tx");
  EXPECT_EQ(results[302].status().reason(), "bad_nonce");
  EXPECT_EQ(results[303].status().reason(), "insufficient_balance");
  EXPECT_EQ(results[304].status().reason(), "wrong_chain_id");
  MustProduce();
  EXPECT_EQ(AccountOf(Addr(alice_)).nonce, 300u);
  EXPECT_EQ(chain_->Metrics().mempool_size, 0u);
  EXPECT_TRUE(chain_->SubmitBatch({}).empty());
}

TEST_F(ChainTest, SubmitProduceCommit) {
  Open();
  Transaction t1 = Transfer(alice_, 0, bob_, 10 * kOpen);
  Transaction t2 = Transfer(bob_, 0, dave_, 3 * kOpen);
  Transaction t3 = MakeTx(alice_, 1, "stake", AmountPayload(100 * kOpen));
  Hash32 h1 = MustSubmit(t1), h2 = MustSubmit(t2), h3 = MustSubmit(t3);
  EXPECT_EQ(h1, t1.Hash());

  auto pending = chain_->GetTx(h1);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->state, TxState::kPending);
  EXPECT_EQ(pending->raw, t1.Encode());
  EXPECT_EQ(chain_->Metrics().mempool_size, 3u);
  // Pending txs are not yet in the committed balances, but count for the next nonce.
  auto alice = chain_->GetAccount(Addr(alice_), false);
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->account.balance, 1000 * kOpen);
  EXPECT_EQ(alice->account.nonce, 0u);
  EXPECT_EQ(alice->next_nonce, 2u);

  ASSERT_EQ(MustProduce(), 1u);
  EXPECT_EQ(chain_->height(), 1u);
  EXPECT_EQ(chain_->Metrics().mempool_size, 0u);
  EXPECT_EQ(chain_->Metrics().txs_committed, 3u);

  auto block = chain_->GetBlock(1);
  ASSERT_TRUE(block.ok());
  const BlockHeader& header = block->first;
  EXPECT_EQ(header.tx_count, 3u);
  EXPECT_EQ(block->second, (std::vector<Hash32>{h1, h2, h3}));
  EXPECT_TRUE(header.SignatureValid());
  EXPECT_EQ(header.timestamp_ms, kGenesisTime + 5000);
  auto genesis_block = chain_->GetBlock(0);
  ASSERT_TRUE(genesis_block.ok());
  EXPECT_EQ(header.prev_hash, genesis_block->first.Hash());

  Amount f1 = Fee(t1), f2 = Fee(t2), f3 = Fee(t3);
  Account a = AccountOf(Addr(alice_));
  EXPECT_EQ(a.balance, 1000 * kOpen - 10 * kOpen - 100 * kOpen - f1 - f3);
  EXPECT_EQ(a.staked, 100 * kOpen);
  EXPECT_EQ(a.nonce, 2u);
  EXPECT_EQ(AccountOf(Addr(bob_)).balance, 510 * kOpen - 3 * kOpen - f2);
  EXPECT_EQ(AccountOf(Addr(dave_)).balance, 3 * kOpen);
  EXPECT_EQ(AccountOf(Address::FromPublicKey(sequencer_.public_key())).balance, f1 + f2 + f3);

  // Each committed tx comes with proofs against the header roots.
  std::vector<Hash32> hashes = {h1, h2, h3};
  for (uint32_t i = 0; i < 3; ++i) {
    auto l = chain_->GetTx(hashes[i]);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    EXPECT_EQ(l->state, TxState::kCommitted);
    EXPECT_EQ(l->height, 1u);
    EXPECT_EQ(l->index, i);
    EXPECT_EQ(l->header.Hash(), header.Hash());
    EXPECT_EQ(l->tx.Hash(), hashes[i]);
    EXPECT_EQ(Sha256(l->raw), hashes[i]);
    EXPECT_EQ(l->receipt.status, Receipt::kSuccess);
    EXPECT_EQ(l->receipt.tx_hash, hashes[i]);
    EXPECT_EQ(l->receipt.Encode(), l->receipt_raw);
    EXPECT_EQ(l->tx_proof.tree_size, 3u);
    EXPECT_EQ(l->tx_proof.leaf_index, i);
    EXPECT_TRUE(
        merkle::VerifyInclusion(merkle::LeafHash(l->raw), l->tx_proof, header.tx_root).ok());
    EXPECT_TRUE(merkle::VerifyInclusion(merkle::LeafHash(l->receipt_raw), l->receipt_proof,
                                        header.receipts_root)
                    .ok());
    // ...and the proofs are specific: the wrong leaf or root fails.
    EXPECT_FALSE(
        merkle::VerifyInclusion(merkle::LeafHash(l->receipt_raw), l->tx_proof, header.tx_root)
            .ok());
    EXPECT_FALSE(
        merkle::VerifyInclusion(merkle::LeafHash(l->raw), l->tx_proof, header.receipts_root).ok());
  }
  auto unknown = chain_->GetTx(Sha256(AsBytes("nope")));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->state, TxState::kUnknown);
}

TEST_F(ChainTest, AccountProofsVerify) {
  Open();
  BuildHistory();
  BlockHeader head = Head();
  for (const KeyPair* k : {&alice_, &bob_, &carol_, &dave_, &sequencer_}) {
    Address a = Addr(*k);
    auto l = chain_->GetAccount(a, true);
    ASSERT_TRUE(l.ok());
    ASSERT_TRUE(l->proof.has_value());
    ASSERT_TRUE(l->value.has_value());
    EXPECT_EQ(l->header.Hash(), head.Hash());
    EXPECT_EQ(*l->value, l->account.Encode());
    Hash32 key = State::KeyHash(AccountKey(a));
    EXPECT_TRUE(VerifySmtProof(head.state_root, key, State::ValueHash(*l->value), *l->proof).ok());
    // A different value, or a claim of absence, does not verify.
    Account forged = l->account;
    forged.balance += 1;
    EXPECT_FALSE(
        VerifySmtProof(head.state_root, key, State::ValueHash(forged.Encode()), *l->proof).ok());
    EXPECT_FALSE(VerifySmtProof(head.state_root, key, std::nullopt, *l->proof).ok());
  }
  // An account never touched: a non-membership proof.
  Address nobody = Addr(Key(77));
  auto l = chain_->GetAccount(nobody, true);
  ASSERT_TRUE(l.ok());
  EXPECT_FALSE(l->value.has_value());
  ASSERT_TRUE(l->proof.has_value());
  EXPECT_TRUE(
      VerifySmtProof(head.state_root, State::KeyHash(AccountKey(nobody)), std::nullopt, *l->proof)
          .ok());
  EXPECT_FALSE(VerifySmtProof(head.state_root, State::KeyHash(AccountKey(nobody)),
                              State::ValueHash(Account{}.Encode()), *l->proof)
                   .ok());
}

TEST_F(ChainTest, MempoolRejections) {
  Open();
  Transaction t0 = Transfer(alice_, 0, bob_, kOpen);
  MustSubmit(t0);
  auto dup = chain_->Submit(t0);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().reason(), "duplicate_tx");
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);

  // Nonce gap: nonce 2 while 1 is next.
  auto gap = chain_->Submit(Transfer(alice_, 2, bob_, kOpen));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().reason(), "bad_nonce");
  // A different tx reusing the pending nonce.
  auto reuse = chain_->Submit(Transfer(alice_, 0, carol_, kOpen));
  ASSERT_FALSE(reuse.ok());
  EXPECT_EQ(reuse.status().reason(), "bad_nonce");
  // Would only burn its fee: refused up front.
  auto poor = chain_->Submit(Transfer(carol_, 0, bob_, 26 * kOpen));
  ASSERT_FALSE(poor.ok());
  EXPECT_EQ(poor.status().reason(), "insufficient_balance");
  // Cannot pay the fee at all.
  auto broke = chain_->Submit(Transfer(dave_, 0, bob_, 1));
  ASSERT_FALSE(broke.ok());
  EXPECT_EQ(broke.status().reason(), "insufficient_balance");
  // State-independent checks are applied too.
  Transaction bad_sig = Transfer(alice_, 1, bob_, kOpen);
  bad_sig.signature[0] ^= 1;
  EXPECT_EQ(chain_->Submit(bad_sig).status().reason(), "bad_signature");
  Transaction other_chain = Transfer(alice_, 1, bob_, kOpen);
  other_chain.chain_id = "tributary-dev";
  other_chain.SignWith(alice_);
  EXPECT_EQ(chain_->Submit(other_chain).status().reason(), "wrong_chain_id");

  EXPECT_EQ(chain_->Metrics().mempool_size, 1u);
  EXPECT_GE(chain_->Metrics().txs_rejected, 7u);

  // The next nonce is accepted; after commit, the committed tx replayed is a bad nonce.
  MustSubmit(Transfer(alice_, 1, bob_, kOpen));
  MustProduce();
  auto replay = chain_->Submit(t0);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.status().reason(), "bad_nonce");
  EXPECT_EQ(AccountOf(Addr(alice_)).nonce, 2u);
}

TEST_F(ChainTest, MempoolLimit) {
  ChainOptions o = Options(genesis_, sequencer_);
  o.mempool_limit = 2;
  auto c = Chain::Open(std::move(o), kinds_);
  ASSERT_TRUE(c.ok());
  chain_ = std::move(*c);
  MustSubmit(Transfer(alice_, 0, bob_, kOpen));
  MustSubmit(Transfer(alice_, 1, bob_, kOpen));
  auto full = chain_->Submit(Transfer(alice_, 2, bob_, kOpen));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().reason(), "mempool_full");
  MustProduce();
  MustSubmit(Transfer(alice_, 2, bob_, kOpen));
}

TEST_F(ChainTest, UnbondingReleasedAfterUnbondingBlocks) {
  Open();
  BuildHistory();  // unstake of 40 in block 2, released at block 2 + 3 = 5
  Account before = AccountOf(Addr(alice_));
  EXPECT_EQ(before.unbonding, 40 * kOpen);
  EXPECT_EQ(before.staked, 60 * kOpen);
  ASSERT_EQ(MustProduce(), 5u);
  Account after = AccountOf(Addr(alice_));
  EXPECT_EQ(after.unbonding, Amount{0});
  EXPECT_EQ(after.staked, 60 * kOpen);
  EXPECT_EQ(after.balance, before.balance + 40 * kOpen);
}

TEST_F(ChainTest, ReopenRestoresState) {
  Open();
  BuildHistory();
  BlockHeader head = Head();
  std::map<Address, Account> accounts;
  for (const KeyPair* k : {&alice_, &bob_, &carol_, &dave_, &sequencer_}) {
    accounts[Addr(*k)] = AccountOf(Addr(*k));
  }
  Close();

  Open();
  EXPECT_EQ(chain_->height(), 4u);
  EXPECT_EQ(Head().Hash(), head.Hash());
  EXPECT_EQ(Head().state_root, head.state_root);
  for (const auto& [addr, acct] : accounts) {
    Account now = AccountOf(addr);
    EXPECT_EQ(now.Encode(), acct.Encode()) << addr.ToString();
  }
  // Committed txs are still found with proofs; the chain continues where it stopped.
  auto l = chain_->GetTx(Transfer(alice_, 0, bob_, 10 * kOpen).Hash());
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->state, TxState::kCommitted);
  EXPECT_EQ(l->height, 1u);
  auto next = chain_->GetAccount(Addr(alice_), false);
  EXPECT_EQ(next->next_nonce, 3u);
  MustSubmit(Transfer(alice_, 3, bob_, kOpen));
  ASSERT_EQ(MustProduce(), 5u);
  Close();

  // Reopening without a genesis (read from the store) and without a sequencer key works too.
  auto c = Chain::Open(Options(std::nullopt, std::nullopt), kinds_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  chain_ = std::move(*c);
  EXPECT_EQ(chain_->height(), 5u);
  EXPECT_EQ(chain_->genesis().Hash(), genesis_.Hash());
  auto no_key = chain_->ProduceBlock();
  EXPECT_FALSE(no_key.ok());
}

TEST_F(ChainTest, GenesisMismatch) {
  Open();
  MustSubmit(Transfer(alice_, 0, bob_, kOpen));
  MustProduce();
  Close();
  Genesis other = genesis_;
  other.accounts[0].balance -= 1;
  other.accounts[1].balance += 1;
  ASSERT_TRUE(other.Validate().ok());
  auto c = Chain::Open(Options(other, sequencer_), kinds_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason(), "genesis_mismatch");
  Genesis renamed = genesis_;
  renamed.chain_id = "another-chain";
  auto c2 = Chain::Open(Options(renamed, sequencer_), kinds_);
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(c2.status().reason(), "genesis_mismatch");
}

TEST_F(ChainTest, NoGenesisInEmptyDirectory) {
  auto c = Chain::Open(Options(std::nullopt, sequencer_), kinds_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason(), "no_genesis");
}

TEST_F(ChainTest, InvalidGenesisRefused) {
  Genesis bad = genesis_;
  bad.supply += 1;  // balances no longer add up
  auto c = Chain::Open(Options(bad, sequencer_), kinds_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason(), "bad_genesis");
}

TEST_F(ChainTest, WrongSequencer) {
  // A new directory.
  auto c = Chain::Open(Options(genesis_, Key(201)), kinds_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().reason(), "wrong_sequencer");
  // An existing one.
  Open();
  Close();
  auto c2 = Chain::Open(Options(genesis_, Key(201)), kinds_);
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(c2.status().reason(), "wrong_sequencer");
  auto c3 = Chain::Open(Options(std::nullopt, Key(201)), kinds_);
  ASSERT_FALSE(c3.ok());
  EXPECT_EQ(c3.status().reason(), "wrong_sequencer");
}

TEST_F(ChainTest, VerifyLedgerOk) {
  Open();
  BuildHistory();
  BlockHeader head = Head();
  Close();
  uint64_t calls = 0;
  auto rep = VerifyLedger(dir_.path() / "data", kinds_, [&](uint64_t done, uint64_t total) {
    ++calls;
    EXPECT_EQ(total, 5u);
    EXPECT_LE(done, total);
  });
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_TRUE(rep->ok) << rep->problem;
  EXPECT_FALSE(rep->first_bad_height.has_value());
  EXPECT_EQ(rep->tip, 4u);
  EXPECT_EQ(rep->blocks_checked, 5u);
  EXPECT_EQ(rep->txs_checked, 6u);
  EXPECT_EQ(rep->state_root, head.state_root);
  EXPECT_EQ(calls, 5u);

  auto missing = VerifyLedger(dir_.path() / "nothing-here", kinds_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(ChainTest, StateTamperIsCorruption) {
  Open();
  BuildHistory();
  Close();
  // Give bob one more base unit behind the ledger's back.
  std::string key = AccountKey(Addr(bob_));
  Bytes raw = QueryBlob(db(), "SELECT value FROM state WHERE key=?", {KeyBytes(key)});
  auto acct = Account::Decode(raw);
  ASSERT_TRUE(acct.ok());
  acct->balance += 1;
  ASSERT_EQ(ExecSql(db(), "UPDATE state SET value=? WHERE key=?", {acct->Encode(), KeyBytes(key)}),
            1);

  auto c = Chain::Open(Options(genesis_, sequencer_), kinds_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCorruption) << c.status().ToString();

  auto rep = VerifyLedger(dir_.path() / "data", kinds_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_FALSE(rep->ok);
  ASSERT_TRUE(rep->first_bad_height.has_value());
  EXPECT_EQ(*rep->first_bad_height,
            4u);  // the replay matches; the stored state at the tip does not
  EXPECT_FALSE(rep->problem.empty());
}

TEST_F(ChainTest, DeletedStateRowIsCorruption) {
  Open();
  BuildHistory();
  Close();
  ASSERT_EQ(ExecSql(db(), "DELETE FROM state WHERE key=?", {KeyBytes(AccountKey(Addr(dave_)))}), 1);
  auto c = Chain::Open(Options(genesis_, sequencer_), kinds_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCorruption);
}

// The state's values live in the database and only a bounded cache of them in memory: with no
// cache at all every read goes to SQLite, and the chain produces the same blocks, roots and
// accounts as one that caches everything.
TEST_F(ChainTest, StateValuesAreReadFromTheDatabaseBeyondTheCache) {
  auto run = [&](size_t cache_bytes, const std::filesystem::path& data) {
    ChainOptions o = Options(genesis_, sequencer_);
    o.data_dir = data;
    o.state_cache_bytes = cache_bytes;
    auto c = Chain::Open(o, kinds_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    chain_ = std::move(*c);
    BuildHistory();
    std::vector<Hash32> roots;
    for (uint64_t h = 0; h <= chain_->height(); ++h)
      roots.push_back(chain_->GetHeader(h)->state_root);
    return roots;
  };
  const auto cached = run(size_t{64} << 20, dir_.path() / "cached");
  std::map<Address, Bytes> accounts;
  for (const KeyPair* k : {&alice_, &bob_, &carol_, &dave_}) {
    accounts[Addr(*k)] = AccountOf(Addr(*k)).Encode();
  }
  ChainMetrics warm = chain_->Metrics();
  EXPECT_GT(warm.state_cache_bytes, 0u);
  Close();

  const auto uncached = run(0, dir_.path() / "uncached");
  EXPECT_EQ(uncached, cached);
  for (const auto& [addr, raw] : accounts) EXPECT_EQ(AccountOf(addr).Encode(), raw);
  ChainMetrics cold = chain_->Metrics();
  EXPECT_EQ(cold.state_cache_bytes, 0u);
  EXPECT_GT(cold.state_cache_misses, 10u);
  EXPECT_EQ(cold.state_keys, warm.state_keys);

  // And after a restart, with the values only on disk.
  Close();
  ChainOptions o = Options(genesis_, sequencer_);
  o.data_dir = dir_.path() / "uncached";
  o.state_cache_bytes = 0;
  auto c = Chain::Open(o, kinds_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  chain_ = std::move(*c);
  for (const auto& [addr, raw] : accounts) EXPECT_EQ(AccountOf(addr).Encode(), raw);
  MustSubmit(Transfer(alice_, 3, bob_, kOpen));
  ASSERT_EQ(MustProduce(), 5u);
}

// A value changed in the database under a running node no longer matches the state tree: reads
// of it fail as corruption and no block is built on it, until the value is put back.
TEST_F(ChainTest, StateChangedUnderARunningNodeIsRefused) {
  ChainOptions o = Options(genesis_, sequencer_);
  o.state_cache_bytes = 0;
  auto c = Chain::Open(o, kinds_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  chain_ = std::move(*c);
  BuildHistory();
  const std::string key = AccountKey(Addr(bob_));
  const Bytes raw = QueryBlob(db(), "SELECT value FROM state WHERE key=?", {KeyBytes(key)});
  auto acct = Account::Decode(raw);
  ASSERT_TRUE(acct.ok());
  acct->balance += 1;
  ASSERT_EQ(ExecSql(db(), "UPDATE state SET value=? WHERE key=?", {acct->Encode(), KeyBytes(key)}),
            1);

  auto read = chain_->GetAccount(Addr(bob_), false);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Code::kCorruption) << read.status().ToString();
  auto lookup = chain_->GetState(key, false);
  ASSERT_FALSE(lookup.ok());
  EXPECT_EQ(lookup.status().code(), Code::kCorruption);
  // A transfer to bob is refused at admission: its execution would read bob's account.
  auto submit = chain_->Submit(Transfer(alice_, 3, bob_, kOpen));
  ASSERT_FALSE(submit.ok());
  EXPECT_EQ(submit.status().code(), Code::kCorruption);
  EXPECT_EQ(chain_->height(), 4u);
  // Other accounts still work.
  EXPECT_EQ(AccountOf(Addr(carol_)).nonce, 1u);

  ASSERT_EQ(ExecSql(db(), "UPDATE state SET value=? WHERE key=?", {raw, KeyBytes(key)}), 1);
  EXPECT_EQ(AccountOf(Addr(bob_)).Encode(), raw);
  MustSubmit(Transfer(alice_, 3, bob_, kOpen));
  ASSERT_EQ(MustProduce(), 5u);
}

TEST_F(ChainTest, ReceiptTamperFoundByVerifyLedger) {
  Open();
  BuildHistory();
  Close();
  // Lower the fee recorded in block 2's first receipt (bytes 33..48 are the u128 fee).
  Bytes raw = QueryBlob(db(), "SELECT receipt FROM txs WHERE height=2 AND idx=0", {});
  ASSERT_GT(raw.size(), 49u);
  raw[48] ^= 0x01;
  ASSERT_EQ(ExecSql(db(), "UPDATE txs SET receipt=? WHERE height=2 AND idx=0", {raw}), 1);

  auto rep = VerifyLedger(dir_.path() / "data", kinds_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_FALSE(rep->ok);
  ASSERT_TRUE(rep->first_bad_height.has_value());
  EXPECT_EQ(*rep->first_bad_height, 2u) << rep->problem;
  EXPECT_EQ(rep->blocks_checked, 2u);  // blocks 0 and 1 were fine
}

TEST_F(ChainTest, TxTamperFoundByVerifyLedger) {
  Open();
  BuildHistory();
  Close();
  Bytes raw = QueryBlob(db(), "SELECT raw FROM txs WHERE height=3 AND idx=0", {});
  raw[raw.size() - 1] ^= 0x80;  // the signature
  ASSERT_EQ(ExecSql(db(), "UPDATE txs SET raw=? WHERE height=3 AND idx=0", {raw}), 1);
  auto rep = VerifyLedger(dir_.path() / "data", kinds_);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ok);
  ASSERT_TRUE(rep->first_bad_height.has_value());
  EXPECT_EQ(*rep->first_bad_height, 3u) << rep->problem;
}

TEST_F(ChainTest, HeaderTamperIsCorruption) {
  Open();
  BuildHistory();
  Close();
  // Re-sign block 4's header with another key: it no longer comes from the sequencer.
  Bytes raw = QueryBlob(db(), "SELECT header FROM blocks WHERE height=4", {});
  auto h = BlockHeader::Decode(raw);
  ASSERT_TRUE(h.ok());
  h->SignWith(Key(201));
  ASSERT_EQ(ExecSql(db(), "UPDATE blocks SET header=? WHERE height=4", {h->Encode()}), 1);
  auto c = Chain::Open(Options(genesis_, sequencer_), kinds_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCorruption);
  auto rep = VerifyLedger(dir_.path() / "data", kinds_);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ok);
  EXPECT_EQ(rep->first_bad_height, std::optional<uint64_t>(4));
}

TEST_F(ChainTest, TxProofJsonVerifies) {
  Open();
  BuildHistory();
  const std::optional<PublicKey> trusted = sequencer_.public_key();
  // Block 1 holds 3 txs, so each proof has a non-empty path.
  Hash32 h = Transfer(bob_, 0, dave_, 3 * kOpen).Hash();
  auto l = chain_->GetTx(h);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->state, TxState::kCommitted);
  json proof = TxProofJson(*l);

  auto ok = VerifyProofJson(proof, kinds_, trusted);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->kind, "tx");
  EXPECT_EQ(ok->height, 1u);
  EXPECT_EQ(ok->proposer, sequencer_.public_key());
  EXPECT_NE(ok->summary.find(ToHex(h)), std::string::npos) << ok->summary;
  EXPECT_TRUE(VerifyProofJson(proof, kinds_, std::nullopt).ok());
  // Wrapped as an API response; a member beside it that the proof cannot vouch for is refused.
  EXPECT_TRUE(VerifyProofJson(json{{"proof", proof}}, kinds_, trusted).ok());
  EXPECT_EQ(
      VerifyProofJson(json{{"proof", proof}, {"other", 1}}, kinds_, trusted).status().reason(),
      "misleading_proof");
  // Survives a text round trip.
  EXPECT_TRUE(VerifyProofJson(json::parse(proof.dump()), kinds_, trusted).ok());

  auto rejected = [&](const json& p, const std::optional<PublicKey>& key) {
    auto r = VerifyProofJson(p, kinds_, key);
    if (r.ok()) return false;
    EXPECT_EQ(r.status().reason(), "bad_proof") << r.status().ToString();
    return true;
  };
  // Any flipped byte in the tx.
  std::string tx_hex = proof["tx"];
  for (size_t i = 0; i < tx_hex.size() / 2; i += 7) {
    json bad = proof;
    bad["tx"] = FlipHex(proof["tx"], i);
    EXPECT_TRUE(rejected(bad, trusted)) << "tx byte " << i;
  }
  // A flipped byte in the receipt.
  {
    json bad = proof;
    bad["receipt"] = FlipHex(proof["receipt"], 40);
    EXPECT_TRUE(rejected(bad, trusted));
  }
  // A wrong path element, in either proof.
  ASSERT_FALSE(proof["tx_inclusion"]["path"].empty());
  for (const char* which : {"tx_inclusion", "receipt_inclusion"}) {
    for (size_t i = 0; i < proof[which]["path"].size(); ++i) {
      json bad = proof;
      bad[which]["path"][i] = FlipHex(proof[which]["path"][i], 0);
      EXPECT_TRUE(rejected(bad, trusted)) << which << " path " << i;
    }
    json dropped = proof;
    dropped[which]["path"].erase(dropped[which]["path"].size() - 1);
    EXPECT_TRUE(rejected(dropped, trusted)) << which;
  }
  // A wrong position.
  {
    json bad = proof;
    bad["tx_inclusion"]["leaf_index"] = 0;
    bad["receipt_inclusion"]["leaf_index"] = 0;
    EXPECT_TRUE(rejected(bad, trusted));
  }
  // The receipt of another tx in the same block.
  {
    auto other = chain_->GetTx(Transfer(alice_, 0, bob_, 10 * kOpen).Hash());
    ASSERT_TRUE(other.ok());
    json bad = proof;
    bad["receipt"] = ToHex(other->receipt_raw);
    EXPECT_TRUE(rejected(bad, trusted));
  }
  // A header signed by another key: refused when the sequencer is trusted.
  {
    BlockHeader forged = l->header;
    KeyPair mallory = Key(201);
    forged.SignWith(mallory);
    json bad = proof;
    bad["header"] = ToHex(forged.Encode());
    EXPECT_TRUE(rejected(bad, trusted));
    // Without a trusted key the proof is only as good as the header's own signature.
    auto self = VerifyProofJson(bad, kinds_, std::nullopt);
    ASSERT_TRUE(self.ok());
    EXPECT_EQ(self->proposer, mallory.public_key());
  }
  // A header whose signature does not verify, or that is altered.
  {
    BlockHeader broken = l->header;
    broken.signature[3] ^= 1;
    json bad = proof;
    bad["header"] = ToHex(broken.Encode());
    EXPECT_TRUE(rejected(bad, std::nullopt));
    BlockHeader moved = l->header;
    moved.height = 2;
    bad["header"] = ToHex(moved.Encode());
    EXPECT_TRUE(rejected(bad, std::nullopt));
  }
  // Structural problems.
  {
    json bad = proof;
    bad.erase("tx_inclusion");
    EXPECT_TRUE(rejected(bad, trusted));
    EXPECT_TRUE(rejected(json::object(), trusted));
    EXPECT_TRUE(rejected(json{{"type", "block"}, {"header", proof["header"]}}, trusted));
  }
}

TEST_F(ChainTest, AccountProofJsonVerifies) {
  Open();
  BuildHistory();
  const std::optional<PublicKey> trusted = sequencer_.public_key();
  auto rejected = [&](const json& p, const std::optional<PublicKey>& key) {
    auto r = VerifyProofJson(p, kinds_, key);
    if (r.ok()) return false;
    EXPECT_EQ(r.status().reason(), "bad_proof") << r.status().ToString();
    return true;
  };

  auto l = chain_->GetAccount(Addr(alice_), true);
  ASSERT_TRUE(l.ok());
  json proof = AccountProofJson(*l);
  auto ok = VerifyProofJson(proof, kinds_, trusted);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->kind, "account");
  EXPECT_EQ(ok->height, 4u);
  EXPECT_NE(ok->summary.find(AmountToString(l->account.balance)), std::string::npos) << ok->summary;
  EXPECT_TRUE(VerifyProofJson(json{{"proof", proof}}, kinds_, trusted).ok());

  // A changed balance.
  {
    Account forged = l->account;
    forged.balance += kOpen;
    json bad = proof;
    bad["value"] = ToHex(forged.Encode());
    EXPECT_TRUE(rejected(bad, trusted));
    bad["value"] = FlipHex(proof["value"], 20);
    EXPECT_TRUE(rejected(bad, trusted));
  }
  // Claiming alice is absent.
  {
    json bad = proof;
    bad["value"] = nullptr;
    EXPECT_TRUE(rejected(bad, trusted));
  }
  // Another address with alice's value.
  {
    json bad = proof;
    bad["address"] = Addr(bob_).ToString();
    EXPECT_TRUE(rejected(bad, trusted));
  }
  // A wrong sibling.
  ASSERT_FALSE(proof["siblings"].empty());
  for (size_t i = 0; i < proof["siblings"].size(); ++i) {
    json bad = proof;
    bad["siblings"][i] = FlipHex(proof["siblings"][i], 31);
    EXPECT_TRUE(rejected(bad, trusted)) << "sibling " << i;
  }
  // Another signer.
  {
    BlockHeader forged = l->header;
    forged.SignWith(Key(201));
    json bad = proof;
    bad["header"] = ToHex(forged.Encode());
    EXPECT_TRUE(rejected(bad, trusted));
  }

  // An absent account proves its absence, and cannot be shown present.
  auto none = chain_->GetAccount(Addr(Key(77)), true);
  ASSERT_TRUE(none.ok());
  json absent = AccountProofJson(*none);
  EXPECT_TRUE(absent["value"].is_null());
  auto a = VerifyProofJson(absent, kinds_, trusted);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_NE(a->summary.find("absent"), std::string::npos) << a->summary;
  json present = absent;
  present["value"] = ToHex(Account{}.Encode());
  EXPECT_TRUE(rejected(present, trusted));
}

TEST_F(ChainTest, ProducerThreadCommits) {
  Open();
  chain_->StartProducer(std::chrono::milliseconds(0));
  Hash32 h = MustSubmit(Transfer(alice_, 0, bob_, kOpen));
  EXPECT_TRUE(chain_->WaitForCommit(h, std::chrono::seconds(10)));
  Hash32 h2 = MustSubmit(Transfer(alice_, 1, bob_, kOpen));
  EXPECT_TRUE(chain_->WaitForCommit(h2, std::chrono::seconds(10)));
  chain_->StopProducer();
  EXPECT_GE(chain_->height(), 1u);
  auto l = chain_->GetTx(h2);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->state, TxState::kCommitted);
  EXPECT_EQ(AccountOf(Addr(alice_)).nonce, 2u);
}

}  // namespace
}  // namespace tributary
