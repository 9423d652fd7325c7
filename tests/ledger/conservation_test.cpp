// Property test: replaying thousands of random transactions through a real Chain never creates
// or destroys money, and the chain is deterministic.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "support/test_util.h"
#include "tributary/base/encoding.h"
#include "tributary/ledger/chain.h"
#include "tributary/ledger/staking.h"
#include "tributary/ledger/verify.h"

namespace tributary {
namespace {

using testing::TempDir;

constexpr uint64_t kGenesisTime = 1767225600000ULL;
constexpr int kAccounts = 20;
constexpr int kBlocks = 70;
constexpr int kAttemptsPerBlock = 50;  // 3500 in all
const Amount kOpen = Pow10(18);

KeyPair Key(int n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = static_cast<uint8_t>(n);
  seed[1] = 0xc0;
  seed[2] = 0x15;
  return KeyPair::FromSeed(seed);
}
Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

// One step of the random workload: a tx to submit, or the end of a block.
struct Step {
  bool produce = false;
  Transaction tx;
  bool must_fail = false;  // generated to be invalid
  std::string outcome;     // "ok" or the rejection reason, as seen by the first chain
};

class ConservationTest : public ::testing::Test {
 protected:
  ConservationTest() : sequencer_(Key(250)) {
    RegisterLedgerKinds(kinds_);
    genesis_.chain_id = "tributary-conservation";
    genesis_.timestamp_ms = kGenesisTime;
    genesis_.sequencer = sequencer_.public_key();
    genesis_.params.unbonding_blocks = 4;
    std::mt19937_64 rng(7);
    Amount supply = 0;
    for (int i = 0; i < kAccounts; ++i) {
      keys_.push_back(Key(i + 1));
      Amount balance;
      if (i < 3) {
        balance = Pow10(13) * (1 + i);  // can pay about one fee: exercises insufficient fees
      } else {
        balance = kOpen * (1 + rng() % 10000) + rng() % kOpen;
      }
      genesis_.accounts.push_back({Addr(keys_.back()), balance});
      supply += balance;
    }
    genesis_.supply = supply;
    EXPECT_TRUE(genesis_.Validate().ok());
    // Senders: the funded accounts and the fee collector (which accrues fees and spends them).
    senders_ = keys_;
    senders_.push_back(sequencer_);
    // Recipients: the senders plus a few fresh addresses that start empty.
    for (const auto& k : senders_) recipients_.push_back(Addr(k));
    for (int i = 0; i < 4; ++i) recipients_.push_back(Addr(Key(100 + i)));
    for (const auto& a : recipients_) touched_.insert(a);
    touched_.insert(Address::FromPublicKey(sequencer_.public_key()));
  }

  std::unique_ptr<Chain> OpenChain(const std::filesystem::path& dir) {
    ChainOptions o;
    o.data_dir = dir;
    o.genesis = genesis_;
    o.sequencer = sequencer_;
    auto tick = std::make_shared<uint64_t>(0);
    o.clock_ms = [tick] { return kGenesisTime + 1000 * ++*tick; };
    auto c = Chain::Open(std::move(o), kinds_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  Transaction Make(const KeyPair& from, uint64_t nonce, const std::string& kind, Bytes payload) {
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = Pow10(14);
    tx.kind = kind;
    tx.payload = std::move(payload);
    tx.SignWith(from);
    return tx;
  }

  // Checks the invariants on `chain` after a block; returns false (with failures) if broken.
  void CheckConservation(Chain& chain, uint64_t height) {
    Amount total = 0, staked = 0;
    for (const Address& a : touched_) {
      auto l = chain.GetAccount(a, false);
      ASSERT_TRUE(l.ok()) << l.status().ToString();
      const Account& acct = l->account;
      ASSERT_LE(acct.balance, genesis_.supply) << "balance wrapped at height " << height;
      ASSERT_LE(acct.staked, genesis_.supply) << "stake wrapped at height " << height;
      ASSERT_LE(acct.unbonding, genesis_.supply) << "unbonding wrapped at height " << height;
      staked += acct.staked;
      auto t = acct.Total();
      ASSERT_TRUE(t.has_value());
      auto sum = CheckedAdd(total, *t);
      ASSERT_TRUE(sum.has_value()) << "total overflowed at height " << height;
      total = *sum;
    }
    ASSERT_EQ(AmountToString(total), AmountToString(genesis_.supply))
        << "supply not conserved at height " << height;
    // The staking pool's total follows every stake and unstake the executor applied.
    Amount pool_total = 0;
    ASSERT_TRUE(chain
                    .ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
                      TRIB_ASSIGN_OR_RETURN(StakingPool pool, LoadStakingPool(s));
                      pool_total = pool.total_staked;
                      return Status::OK();
                    })
                    .ok());
    ASSERT_EQ(AmountToString(pool_total), AmountToString(staked))
        << "staking pool total differs from the stakes at height " << height;
  }

  TxKindRegistry kinds_;
  KeyPair sequencer_;
  Genesis genesis_;
  std::vector<KeyPair> keys_;
  std::vector<KeyPair> senders_;
  std::vector<Address> recipients_;
  std::set<Address> touched_;
};

TEST_F(ConservationTest, RandomTransactionsConserveSupplyAndAreDeterministic) {
  TempDir dir1, dir2;
  auto chain = OpenChain(dir1.path());
  ASSERT_NE(chain, nullptr);
  CheckConservation(*chain, 0);

  std::mt19937_64 rng(20260101);
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  auto fraction = [&](Amount a) -> Amount {  // uniform-ish in [1, a]
    if (a == 0) return 1;
    return 1 + (Amount{rng()} * Amount{rng()}) % a;
  };

  std::vector<Step> steps;
  std::vector<Hash32> block_hashes = {chain->GetBlock(0)->first.Hash()};
  std::vector<Hash32> state_roots = {chain->GetBlock(0)->first.state_root};
  std::map<std::string, int> outcomes;
  std::map<Address, uint64_t> accepted_per_sender;
  uint64_t accepted = 0, must_fail_count = 0;
  std::optional<Transaction> last_accepted;

  for (int b = 0; b < kBlocks; ++b) {
    uint64_t accepted_this_block = 0;
    for (int i = 0; i < kAttemptsPerBlock; ++i) {
      const KeyPair& from = senders_[pick(senders_.size())];
      auto info = chain->GetAccount(Addr(from), false);
      ASSERT_TRUE(info.ok());
      const uint64_t nonce = info->next_nonce;
      const Account& acct = info->account;  // committed; pending txs may have spent some
      Step step;
      int r = static_cast<int>(pick(100));
      if (r < 50) {
        Amount amount = fraction(acct.balance / 3 + 1);
        step.tx =
            Make(from, nonce, "transfer",
                 Writer().Fixed(recipients_[pick(recipients_.size())].bytes).U128(amount).bytes());
      } else if (r < 62) {
        step.tx = Make(from, nonce, "stake", Writer().U128(fraction(acct.balance / 4 + 1)).bytes());
      } else if (r < 74) {
        step.tx =
            Make(from, nonce, "unstake", Writer().U128(fraction(acct.staked / 2 + 1)).bytes());
      } else {
        // Transactions that must not get in.
        step.must_fail = true;
        switch (pick(7)) {
          case 0:  // far more than the sender has
            step.tx = Make(from, nonce, "transfer",
                           Writer()
                               .Fixed(recipients_[pick(recipients_.size())].bytes)
                               .U128(genesis_.supply + 1 + fraction(kOpen))
                               .bytes());
            break;
          case 1:  // near 2^128
            step.tx = Make(from, nonce, "transfer",
                           Writer()
                               .Fixed(recipients_[pick(recipients_.size())].bytes)
                               .U128(kAmountMax - pick(1000))
                               .bytes());
            break;
          case 2:  // a nonce from the future
            step.tx = Make(from, nonce + 1 + pick(5), "transfer",
                           Writer().Fixed(recipients_[0].bytes).U128(1).bytes());
            break;
          case 3:  // a nonce already used (or, for a fresh sender, wrapped around)
            step.tx = Make(from, nonce == 0 ? ~uint64_t{0} : nonce - 1 - pick(nonce), "transfer",
                           Writer().Fixed(recipients_[0].bytes).U128(1).bytes());
            break;
          case 4:  // unstake more than staked
            step.tx = Make(from, nonce, "unstake",
                           Writer().U128(acct.staked + acct.unbonding + acct.balance + 1).bytes());
            break;
          case 5:  // a forged signature
            step.tx = Make(from, nonce, "stake", Writer().U128(1).bytes());
            step.tx.payload = Writer().U128(2).bytes();
            break;
          default:  // a replay of the last accepted tx (duplicate while pending, else bad nonce)
            if (last_accepted) {
              step.tx = *last_accepted;
            } else {
              step.tx = Make(from, nonce + 1, "stake", Writer().U128(1).bytes());
            }
            break;
        }
      }
      auto res = chain->Submit(step.tx);
      step.outcome = res.ok() ? "ok" : res.status().reason();
      outcomes[step.outcome]++;
      if (step.must_fail) {
        must_fail_count++;
        EXPECT_FALSE(res.ok()) << "an invalid tx was accepted: kind " << step.tx.kind << " nonce "
                               << step.tx.nonce;
      } else if (!res.ok()) {
        // Random valid-looking txs may only fail for lack of funds (pending spends).
        EXPECT_EQ(res.status().reason(), "insufficient_balance") << res.status().ToString();
      }
      if (res.ok()) {
        accepted++;
        accepted_this_block++;
        accepted_per_sender[Addr(from)]++;
        last_accepted = step.tx;
      }
      steps.push_back(std::move(step));
    }
    auto h = chain->ProduceBlock();
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    ASSERT_EQ(*h, static_cast<uint64_t>(b + 1));
    Step end;
    end.produce = true;
    steps.push_back(std::move(end));
    auto block = chain->GetBlock(*h);
    ASSERT_TRUE(block.ok());
    // Every accepted tx makes it into the very next block.
    EXPECT_EQ(block->first.tx_count, accepted_this_block) << "block " << *h;
    EXPECT_EQ(chain->Metrics().mempool_size, 0u);
    block_hashes.push_back(block->first.Hash());
    state_roots.push_back(block->first.state_root);

    CheckConservation(*chain, *h);
    if (::testing::Test::HasFatalFailure()) return;
  }

  // Each sender's nonce counts exactly its committed txs.
  for (const KeyPair& k : senders_) {
    EXPECT_EQ(chain->GetAccount(Addr(k), false)->account.nonce, accepted_per_sender[Addr(k)]);
  }
  // The workload exercised what it meant to.
  EXPECT_GE(steps.size() - kBlocks, 3000u);
  EXPECT_GE(accepted, 1500u);
  EXPECT_GE(must_fail_count, 300u);
  EXPECT_GT(outcomes["bad_nonce"], 0);
  EXPECT_GT(outcomes["insufficient_balance"], 0);
  EXPECT_GT(outcomes["bad_signature"], 0);
  EXPECT_GT(outcomes["duplicate_tx"], 0);
  Amount staked = 0, unbonding = 0;
  for (const Address& a : touched_) {
    staked += chain->GetAccount(a, false)->account.staked;
    unbonding += chain->GetAccount(a, false)->account.unbonding;
  }
  EXPECT_GT(staked, Amount{0});
  EXPECT_GT(unbonding, Amount{0});
  for (const auto& [reason, n] : outcomes) RecordProperty("outcome_" + reason, n);
  // Every tx in the ledger replays to the same receipts and roots.
  chain.reset();
  auto rep = VerifyLedger(dir1.path(), kinds_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_TRUE(rep->ok) << "height " << rep->first_bad_height.value_or(0) << ": " << rep->problem;
  EXPECT_EQ(rep->txs_checked, accepted);

  // Determinism: the same sequence into a second chain gives the same blocks and states.
  auto second = OpenChain(dir2.path());
  ASSERT_NE(second, nullptr);
  ASSERT_EQ(second->GetBlock(0)->first.Hash(), block_hashes[0]);
  uint64_t height = 0;
  for (const Step& s : steps) {
    if (s.produce) {
      auto h = second->ProduceBlock();
      ASSERT_TRUE(h.ok());
      height = *h;
      auto block = second->GetBlock(height);
      ASSERT_TRUE(block.ok());
      ASSERT_EQ(ToHex(block->first.state_root), ToHex(state_roots[height])) << "height " << height;
      ASSERT_EQ(ToHex(block->first.Hash()), ToHex(block_hashes[height])) << "height " << height;
      continue;
    }
    auto res = second->Submit(s.tx);
    ASSERT_EQ(res.ok() ? "ok" : res.status().reason(), s.outcome)
        << "submit outcome differs before block " << height + 1;
  }
  EXPECT_EQ(height, static_cast<uint64_t>(kBlocks));
}

}  // namespace
}  // namespace tributary
