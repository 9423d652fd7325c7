// Voting checkpoints and staking rewards, driven through the executor's real stake, unstake,
// transfer and stake.claim txs, with rewards added the way inference.settle adds them.
#include "tributary/ledger/staking.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tributary/base/encoding.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/executor.h"
#include "tributary/ledger/votes.h"

namespace tributary {
namespace {

KeyPair Key(uint8_t n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = n;
  seed[31] = 0x57;
  return KeyPair::FromSeed(seed);
}
Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }
const Amount kOpen = Pow10(18);

class StakingTest : public ::testing::Test {
 protected:
  StakingTest() : seq_(Key(99)) {
    RegisterLedgerKinds(kinds_);
    genesis_.chain_id = "tributary-staking";
    genesis_.sequencer = seq_.public_key();
    genesis_.params.unbonding_blocks = 3;
    for (uint8_t i = 1; i <= 5; ++i) {
      keys_.push_back(Key(i));
      genesis_.accounts.push_back({Addr(keys_.back()), 1000 * kOpen});
    }
    genesis_.accounts.push_back({funder_, 1'000'000 * kOpen});
    genesis_.supply = 1'005'000 * kOpen;
    exec_ = std::make_unique<Executor>(genesis_, kinds_);
    Overlay o(&state_);
    exec_->ApplyGenesis(o);
    state_.Apply(o.writes());
  }

  // Applies a tx in its own block (BeginBlock first); returns the kind's status.
  Status Send(const KeyPair& from, const std::string& kind, Bytes payload) {
    Overlay block(&state_);
    ++height_;
    EXPECT_TRUE(exec_->BeginBlock(block, height_).ok());
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = LoadAccount(block, Addr(from))->nonce;
    tx.max_fee = kOpen;
    tx.kind = kind;
    tx.payload = std::move(payload);
    tx.SignWith(from);
    Bytes raw = tx.Encode();
    Status action;
    auto r = exec_->ApplyTx(block, tx, tx.Hash(), raw.size(), height_, 0, Addr(seq_), &action);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    state_.Apply(block.writes());
    return action;
  }
  // What inference.settle does with the stakers' part of a fee.
  Status Reward(Amount amount) {
    Overlay o(&state_);
    Status s = AddStakingRewards(o, funder_, amount);
    if (s.ok()) s = TrackAccountChanges(o, state_, height_);
    if (s.ok()) state_.Apply(o.writes());
    return s;
  }
  Amount Balance(const Address& a) { return LoadAccount(state_, a)->balance; }
  Amount SumOfAccounts() {
    Amount total = 0;
    state_.ForEach([&](const std::string& k, const Bytes& v) {
      if (k.size() == 21 && k[0] == 'a') total += *Account::Decode(v)->Total();
    });
    return total;
  }

  TxKindRegistry kinds_;
  KeyPair seq_;
  std::vector<KeyPair> keys_;
  Address funder_ = SystemAddress("test/fee-payer");
  Genesis genesis_;
  std::unique_ptr<Executor> exec_;
  State state_;
  uint64_t height_ = 0;
};

Bytes AmountPayload(Amount a) { return Writer().U128(a).bytes(); }

TEST_F(StakingTest, RewardsArePaidProRataToStake) {
  EXPECT_EQ(Reward(100).reason(), "no_stakers");  // nothing staked: the caller keeps it
  ASSERT_TRUE(Send(keys_[0], "stake", AmountPayload(100 * kOpen)).ok());
  ASSERT_TRUE(Send(keys_[1], "stake", AmountPayload(300 * kOpen)).ok());
  EXPECT_EQ(LoadStakingPool(state_)->total_staked, 400 * kOpen);
  ASSERT_TRUE(Reward(4 * kOpen).ok());
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[0])), 1 * kOpen);
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[1])), 3 * kOpen);
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[2])), 0u);

  // A stake added later earns only from then on.
  ASSERT_TRUE(Send(keys_[2], "stake", AmountPayload(400 * kOpen)).ok());
  ASSERT_TRUE(Reward(8 * kOpen).ok());
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[0])), 2 * kOpen);
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[2])), 4 * kOpen);

  // Claim pays the balance and empties the claim; a second claim has nothing.
  const Amount before = Balance(Addr(keys_[1]));
  ASSERT_TRUE(Send(keys_[1], "stake.claim", {}).ok());
  // 6 OPEN claimed, less a fee far below 0.001 OPEN.
  EXPECT_GT(Balance(Addr(keys_[1])) + kOpen / 1000, before + 6 * kOpen);
  EXPECT_LT(Balance(Addr(keys_[1])), before + 6 * kOpen);
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[1])), 0u);
  EXPECT_EQ(Send(keys_[1], "stake.claim", {}).reason(), "nothing_to_claim");

  // Unstaking stops the earning but keeps what was earned.
  ASSERT_TRUE(Send(keys_[0], "unstake", AmountPayload(100 * kOpen)).ok());
  ASSERT_TRUE(Reward(7 * kOpen).ok());
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[0])), 2 * kOpen);
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[2])), 8 * kOpen);
  EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[1])), 3 * kOpen);
}

TEST_F(StakingTest, FractionsCarryInsteadOfVanishing) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Send(keys_[i], "stake", AmountPayload(1)).ok());
  // 1 base unit among 3 equal stakes, three times: each is owed exactly 1 in the end.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Reward(1).ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*ClaimableStakingRewards(state_, Addr(keys_[i])), 1u);
  EXPECT_EQ(LoadStakingPool(state_)->carry, 0u);
}

TEST_F(StakingTest, DelegatedVotesFollowEveryBalanceChangeWithCheckpoints) {
  const Address a = Addr(keys_[0]), b = Addr(keys_[1]);
  EXPECT_EQ(*CurrentVotes(state_, a), 0u);  // nobody delegated yet
  {
    Overlay o(&state_);
    ++height_;
    ASSERT_TRUE(SetDelegate(o, a, b, height_).ok());
    state_.Apply(o.writes());
  }
  const uint64_t delegated_at = height_;
  EXPECT_EQ(*CurrentVotes(state_, b), 1000 * kOpen);
  // A transfer out (and its fee) lowers b's votes from the next block; staking does not.
  ASSERT_TRUE(Send(keys_[0], "transfer", Writer().Fixed(b.bytes).U128(100 * kOpen).bytes()).ok());
  const uint64_t moved_at = height_;
  ASSERT_TRUE(Send(keys_[0], "stake", AmountPayload(50 * kOpen)).ok());
  const Amount now = *VotingWeight(state_, a);
  EXPECT_EQ(*CurrentVotes(state_, b), now);
  EXPECT_LT(now, 900 * kOpen);
  EXPECT_GT(now, 900 * kOpen - kOpen);
  // The past stays readable: the snapshot rule.
  EXPECT_EQ(*VotesAt(state_, b, delegated_at - 1), 0u);
  EXPECT_EQ(*VotesAt(state_, b, delegated_at), 1000 * kOpen);
  EXPECT_EQ(*VotesAt(state_, b, moved_at - 1), 1000 * kOpen);
  EXPECT_LT(*VotesAt(state_, b, moved_at), 900 * kOpen);
  // b's own tokens do not count for b until b delegates them.
  EXPECT_EQ(*VotesAt(state_, b, height_), now);
  // Moving the delegation moves the whole weight.
  Overlay o(&state_);
  ASSERT_TRUE(SetDelegate(o, a, a, height_ + 1).ok());
  EXPECT_EQ(*CurrentVotes(o, b), 0u);
  EXPECT_EQ(*CurrentVotes(o, a), now);
}

TEST_F(StakingTest, RandomSequencesConserveSupplyAndNeverOverpay) {
  std::mt19937_64 rng(20261204);
  std::map<int, Amount> claimed;
  int rewards = 0;
  for (int step = 0; step < 600; ++step) {
    const int who = static_cast<int>(rng() % keys_.size());
    const uint64_t op = rng() % 10;
    if (op < 3) {
      (void)Send(keys_[who], "stake", AmountPayload(1 + rng() % (20 * kOpen)));
    } else if (op < 5) {
      const Amount staked = LoadAccount(state_, Addr(keys_[who]))->staked;
      if (staked > 0) (void)Send(keys_[who], "unstake", AmountPayload(1 + rng() % staked));
    } else if (op < 8) {
      Status s = Reward(rng() % 3 == 0 ? rng() % 7 : rng() % (3 * kOpen));
      if (s.ok()) ++rewards;
    } else {
      const Amount c = *ClaimableStakingRewards(state_, Addr(keys_[who]));
      const Amount before = LoadAccount(state_, Addr(keys_[who]))->balance;
      Status s = Send(keys_[who], "stake.claim", {});
      if (c > 0) {
        ASSERT_TRUE(s.ok()) << s.ToString();
        claimed[who] += c;
        EXPECT_GT(LoadAccount(state_, Addr(keys_[who]))->balance + kOpen, before + c);
      }
    }
    // Supply is conserved; the pool holds what was paid in and not claimed, which covers every
    // claim, with at most a unit of dust per staker per accrual.
    ASSERT_EQ(SumOfAccounts(), genesis_.supply) << "step " << step;
    StakingPool pool = *LoadStakingPool(state_);
    ASSERT_EQ(Balance(StakingPoolAddress()), pool.distributed - pool.claimed);
    Amount owed = 0, staked = 0;
    for (const auto& k : keys_) {
      owed += *ClaimableStakingRewards(state_, Addr(k));
      staked += LoadAccount(state_, Addr(k))->staked;
    }
    ASSERT_LE(owed, Balance(StakingPoolAddress())) << "step " << step;
    ASSERT_LE(Balance(StakingPoolAddress()) - owed, Amount(keys_.size()) * (step + 1));
    ASSERT_EQ(pool.total_staked, staked);
  }
  EXPECT_GT(rewards, 50);
  Amount total_claimed = 0;
  for (const auto& [k, v] : claimed) total_claimed += v;
  EXPECT_EQ(LoadStakingPool(state_)->claimed, total_claimed);
}

TEST_F(StakingTest, CorruptPoolIsReported) {
  Overlay o(&state_);
  o.Put("Y", Bytes{9});
  EXPECT_EQ(LoadStakingPool(o).status().code(), Code::kCorruption);
  EXPECT_EQ(AddStakingRewards(o, funder_, 5).code(), Code::kCorruption);
}

}  // namespace
}  // namespace tributary
