// Payable inference on the ledger: the fee and its split (a property test over random inputs),
// API keys, and inference.settle driven through a real Executor with the Datanet kinds making the
// contributions it pays.
#include "tributary/economy/inference.h"

#include <random>

#include "economy/economy_fixture.h"
#include "tributary/economy/agents.h"
#include "tributary/economy/fee_split.h"
#include "tributary/economy/governance.h"
#include "tributary/economy/rewards.h"
#include "tributary/ledger/staking.h"

namespace tributary::economy {
namespace {

using u128 = unsigned __int128;

// ---- the fee and its split ----

TEST(FeeTest, FeeIsTokensTimesPriceRoundedUp) {
  EXPECT_EQ(*InferenceFee(1000, 7), Amount{7});
  EXPECT_EQ(*InferenceFee(1, 7), Amount{1});  // 0.007 rounds up
  EXPECT_EQ(*InferenceFee(1001, 1000), Amount{1001});
  EXPECT_EQ(*InferenceFee(0, 5), Amount{0});
  EXPECT_EQ(*InferenceFee(300, 2 * Pow10(15)), Amount{6} * Pow10(14));
  EXPECT_FALSE(InferenceFee(UINT64_MAX, kAmountMax / 2).has_value()) << "overflow is refused";
}

TEST(FeeTest, MulDivMatchesNativeArithmeticAndHandlesHugeFees) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t a = rng(), d = 1 + rng() % Pow10(18);
    const uint64_t b = rng() % (d + 1);
    const u128 product = u128{a} * b;  // < 2^128
    MulDivResult r = MulDiv(a, b, d);
    ASSERT_EQ(r.quotient, product / d);
    ASSERT_EQ(r.remainder, static_cast<uint64_t>(product % d));
  }
  // A fee near 2^128 times the whole weight is the fee itself.
  const Amount huge = kAmountMax - 12345;
  MulDivResult whole = MulDiv(huge, Pow10(18), Pow10(18));
  EXPECT_EQ(whole.quotient, huge);
  EXPECT_EQ(whole.remainder, 0u);
  MulDivResult half = MulDiv(huge, Pow10(18) / 2, Pow10(18));
  EXPECT_EQ(half.quotient, huge / 2);
}

Address A(uint8_t n) {
  Address a;
  a.bytes.fill(n);
  return a;
}

TEST(FeeSplitTest, SharesFollowTheRule) {
  SplitInput in;
  in.fee = 2'000'000;
  in.owner = A(1);
  in.treasury = A(2);
  Hash32 c1{}, c2{};
  c1[0] = 1;
  c2[0] = 2;
  in.claims = {{c1, A(3), 1, 600'000}, {c2, A(4), 1, 200'000}};  // 20% unattributed
  auto parts = SplitFee(in);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 4u);
  // 5% protocol = 100,000; contributors 50% of 1,900,000 = 950,000 split 60/20/20(owner).
  EXPECT_EQ((*parts)[0].amount, Amount{570'000});
  EXPECT_EQ((*parts)[1].amount, Amount{190'000});
  EXPECT_EQ((*parts)[2].role, SplitRole::kOwner);
  EXPECT_EQ((*parts)[2].amount, Amount{950'000 + 190'000});
  EXPECT_EQ((*parts)[3].role, SplitRole::kTreasury);
  EXPECT_EQ((*parts)[3].amount, Amount{100'000});
}

TEST(FeeSplitTest, LeftoverUnitsGoToLargestRemaindersThenContributionOrder) {
  // A fee of 1 unit, one contribution holding the whole answer: the contribution and the owner
  // both have 0.475 of it, the treasury 0.05. The tie goes to the contribution.
  SplitInput in;
  in.fee = 1;
  in.owner = A(1);
  in.treasury = A(2);
  Hash32 c1{};
  c1[0] = 1;
  in.claims = {{c1, A(3), 1, 1'000'000}};
  auto parts = SplitFee(in);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[0].amount, Amount{1});
  EXPECT_EQ((*parts)[1].amount, Amount{0});
  EXPECT_EQ((*parts)[2].amount, Amount{0});
  // With 60% unattributed the owner's remainder is the largest.
  in.claims[0].parts = 400'000;
  parts = SplitFee(in);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[1].amount, Amount{1});
}

TEST(FeeSplitTest, RandomSplitsSumExactlyAndStayWithinAUnitOfTheExactShare) {
  std::mt19937_64 rng(20261204);
  for (int iter = 0; iter < 20000; ++iter) {
    SplitInput in;
    const int bits = 1 + static_cast<int>(rng() % 127);
    in.fee = ((u128{rng()} << 64) | rng()) >> (128 - bits);
    in.protocol_ppm = static_cast<uint32_t>(rng() % 200'001);
    in.contributors_ppm = static_cast<uint32_t>(500'000 + rng() % 500'001);
    in.owner = A(1);
    in.treasury = A(2);
    const size_t n = rng() % (kMaxReceiptContributions + 1);
    uint64_t left = kPartsPerMillion;
    for (size_t i = 0; i < n; ++i) {
      Hash32 id{};
      id[0] = static_cast<uint8_t>(i);
      id[1] = static_cast<uint8_t>(rng());
      const uint32_t parts = static_cast<uint32_t>(rng() % (left + 1));
      left -= parts;
      in.claims.push_back({id, A(static_cast<uint8_t>(10 + i)), 1, parts});
    }
    auto parts = SplitFee(in);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    ASSERT_EQ(parts->size(), n + 2);
    Amount sum = 0;
    for (const auto& p : *parts) {
      ASSERT_LE(p.amount, in.fee);
      sum += p.amount;
    }
    ASSERT_EQ(sum, in.fee) << "iteration " << iter;
    // Each part is its exact share rounded down or up.
    const uint64_t rest = kPartsPerMillion - in.protocol_ppm;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t w = rest * in.contributors_ppm * in.claims[i].parts;
      MulDivResult exact = MulDiv(in.fee, w, Pow10(18));
      ASSERT_GE((*parts)[i].amount, exact.quotient);
      ASSERT_LE((*parts)[i].amount, exact.quotient + 1);
    }
    MulDivResult treasury =
        MulDiv(in.fee, uint64_t{in.protocol_ppm} * 1'000'000'000'000, Pow10(18));
    ASSERT_GE(parts->back().amount, treasury.quotient);
    ASSERT_LE(parts->back().amount, treasury.quotient + 1);
  }
}

TEST(FeeSplitTest, BadInputIsRefused) {
  SplitInput in;
  in.fee = 10;
  Hash32 c1{}, c2{};
  c1[0] = 2;
  c2[0] = 1;
  in.claims = {{c1, A(3), 1, 1}, {c2, A(4), 1, 1}};
  EXPECT_EQ(SplitFee(in).status().reason(), "bad_split") << "unsorted";
  in.claims = {{c2, A(3), 1, 600'000}, {c1, A(4), 1, 600'000}};
  EXPECT_EQ(SplitFee(in).status().reason(), "bad_split") << "over 10^6 parts";
  in.claims.clear();
  in.protocol_ppm = 1'000'001;
  EXPECT_EQ(SplitFee(in).status().reason(), "bad_split");
}

// ---- keys and settlement on a real executor ----

class InferenceTest : public EconomyTest {
 protected:
  // An approval Datanet: alice's c1 and bob's c3 accepted, alice's c2 rejected as spam (one
  // slash); version 1 holds c1 and c3. A model trained on it, owned by owner_, price 0.002 OPEN.
  void SetUpModel(uint32_t contributors_share = kDefaultContributorsSharePpm) {
    d_ = CreateDatanet(Spec("Capitals", datanet::Policy::kApproval));
    c1_ = Contribute(alice_, d_, 5, 1);
    c2_ = Contribute(alice_, d_, 5, 2);
    c3_ = Contribute(bob_, d_, 3, 3);
    c4_ = Contribute(carol_, d_, 2, 4);
    Approve(c1_);
    datanet::ReviewPayload spam;
    spam.contribution = c2_;
    spam.reason = "spam";
    spam.spam = true;
    Ok(owner_, datanet::kReviewKind, spam.Encode());
    Approve(c3_);
    v1_ = Publish(d_);
    Approve(c4_);  // accepted after version 1: the model never saw it
    RegisterModelPayload reg = Registration("adapter-1", {v1_});
    reg.contributors_share_ppm = contributors_share;
    Ok(owner_, kRegisterModelKind, reg.Encode());
  }
  Hash32 CreateKey(const KeyPair& who, const std::string& secret, CreateApiKeyPayload p = {}) {
    p.key_hash = ApiKeyHash(secret);
    Ok(who, kCreateApiKeyKind, p.Encode());
    return p.key_hash;
  }
  InferenceReceipt Receipt(const std::string& id, const Hash32& key, uint64_t tokens,
                           std::vector<ReceiptWeight> weights) {
    InferenceReceipt r;
    r.request_id = id;
    r.key_hash = key;
    r.model = 1;
    r.prompt_hash = H("prompt " + id);
    r.output_hash = H("output " + id);
    r.prompt_tokens = tokens / 4;
    r.completion_tokens = tokens - tokens / 4;
    r.fee = *InferenceFee(tokens, ModelOf(1).price_per_1k_tokens);
    std::sort(weights.begin(), weights.end(),
              [](const auto& a, const auto& b) { return a.contribution < b.contribution; });
    uint32_t sum = 0;
    for (const auto& w : weights) sum += w.parts;
    r.weights = std::move(weights);
    r.unattributed = kPartsPerMillion - sum;
    r.provenance_hash = H("provenance " + id);
    r.served_ms = kT0;
    return r;
  }
  Applied Settle(std::vector<InferenceReceipt> receipts, const KeyPair* from = nullptr) {
    SettleInferencePayload p{std::move(receipts)};
    return Send(from ? *from : seq_, kSettleInferenceKind, p.Encode());
  }
  Amount Balance(const Address& a) { return LoadAccount(*state_, a)->balance; }
  Amount Supply() {
    Amount total = 0;
    state_->ForEach([&](const std::string& key, const Bytes& value) {
      if (!key.empty() && key[0] == 'a') total += *Account::Decode(value)->Total();
    });
    return total;
  }

  Hash32 c1_{}, c2_{}, c3_{}, c4_{};
};

TEST_F(InferenceTest, KeysAreCreatedListedAndRevokedOnlyByTheirOwner) {
  SetUpModel();
  CreateApiKeyPayload p;
  p.label = "demo-app";
  p.models = {1};
  p.daily_limit = Pow10(18);
  Hash32 h = CreateKey(carol_, "secret-1", p);
  auto k = LoadApiKey(*state_, h);
  ASSERT_TRUE(k.ok() && k->has_value());
  EXPECT_EQ((*k)->owner, Addr(carol_));
  EXPECT_EQ((*k)->label, "demo-app");
  EXPECT_TRUE((*k)->Allows(1));
  EXPECT_FALSE((*k)->Allows(2));
  EXPECT_EQ((*k)->daily_limit, Pow10(18));
  CreateKey(carol_, "secret-2");
  auto listed = LoadOwnerApiKeys(*state_, Addr(carol_));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key_hash, h);
  EXPECT_TRUE((*listed)[1].Allows(99)) << "no models listed: any model";

  // The same hash twice, a model that does not exist: refused.
  CreateApiKeyPayload dup;
  dup.key_hash = h;
  EXPECT_EQ(Send(alice_, kCreateApiKeyKind, dup.Encode()).action.reason(), "apikey_exists");
  CreateApiKeyPayload unknown;
  unknown.key_hash = ApiKeyHash("secret-3");
  unknown.models = {7};
  EXPECT_EQ(Send(alice_, kCreateApiKeyKind, unknown.Encode()).action.reason(), "unknown_model");

  RevokeApiKeyPayload revoke{h};
  EXPECT_EQ(Send(alice_, kRevokeApiKeyKind, revoke.Encode()).action.reason(), "not_key_owner");
  Ok(carol_, kRevokeApiKeyKind, revoke.Encode());
  EXPECT_TRUE((*LoadApiKey(*state_, h))->revoked);
  EXPECT_EQ(Send(carol_, kRevokeApiKeyKind, revoke.Encode()).action.reason(), "revoked");
  EXPECT_EQ(
      Send(carol_, kRevokeApiKeyKind, RevokeApiKeyPayload{H("none")}.Encode()).action.reason(),
      "unknown_apikey");
}

TEST_F(InferenceTest, SettlementPaysContributorsOwnerAndTreasuryExactly) {
  SetUpModel();
  Hash32 key = CreateKey(carol_, "secret");
  const Amount supply = Supply();
  const Amount carol = Balance(Addr(carol_)), alice = Balance(Addr(alice_)),
               bob = Balance(Addr(bob_)), owner = Balance(Addr(owner_)),
               treasury = Balance(TreasuryAddress());
  // 1,000 tokens at 0.002 OPEN per 1k: a fee of 2e15. c1 (alice, one slash) 40%, c3 (bob) 40%,
  // the spam c2 10%, 10% unattributed.
  InferenceReceipt r =
      Receipt("req-1", key, 1000, {{c1_, 400'000}, {c3_, 400'000}, {c2_, 100'000}});
  ASSERT_EQ(r.fee, 2 * Pow10(15));
  Applied a = Settle({r});
  ASSERT_TRUE(a.action.ok()) << a.action.ToString();
  ASSERT_EQ(a.receipt.status, tributary::Receipt::kSuccess);

  // alice: 2e15 x 0.95 x 0.5 x (0.4 x 0.75) = 2.85e14; bob: 2e15 x 0.95 x 0.5 x 0.4 = 3.8e14;
  // treasury 5% = 1e14; the owner the rest, spam and unattributed included.
  EXPECT_EQ(Balance(Addr(alice_)) - alice, Amount{285} * Pow10(12));
  EXPECT_EQ(Balance(Addr(bob_)) - bob, Amount{380} * Pow10(12));
  EXPECT_EQ(Balance(TreasuryAddress()) - treasury, Amount{100} * Pow10(12));
  EXPECT_EQ(Balance(Addr(owner_)) - owner, Amount{1235} * Pow10(12));
  EXPECT_EQ(carol - Balance(Addr(carol_)), r.fee);
  EXPECT_EQ(Supply(), supply) << "settlement moves tokens, never makes them";

  auto settled = LoadReceipt(*state_, "req-1");
  ASSERT_TRUE(settled.ok() && settled->has_value());
  EXPECT_EQ((*settled)->receipt, r);
  EXPECT_EQ((*settled)->payer, Addr(carol_));
  EXPECT_EQ((*settled)->paid, r.fee);
  EXPECT_EQ((*settled)->tx_hash, a.hash);
  EXPECT_EQ((*settled)->parts.size(), 4u);  // alice, bob, owner, treasury
  EXPECT_EQ((*LoadEarnings(*state_, Addr(alice_))).total, Amount{285} * Pow10(12));
  auto k = *LoadApiKey(*state_, key);
  EXPECT_EQ(k->spent_total, r.fee);
  EXPECT_EQ(k->requests, 1u);
  EXPECT_EQ(k->SpentOn((kT0 + height_ * 1000) / kMsPerDay), r.fee);

  // The same request id again: skipped, nothing charged twice.
  const Amount after = Balance(Addr(carol_));
  Applied again = Settle({r});
  ASSERT_TRUE(again.action.ok());
  EXPECT_EQ(Balance(Addr(carol_)), after);
  ASSERT_EQ(again.receipt.events.size(), 1u);
  EXPECT_EQ(again.receipt.events[0].type, "inference.duplicate");
}

// Earnings paid out on the EVM chain: an earner with a payout address is paid into the bridge
// escrow and its leaf in the open epoch; closing the epoch turns its total into one bridge
// withdrawal to the poster and opens the next; supply is constant throughout.
TEST_F(InferenceTest, EarningsOfAnAccountWithAPayoutAddressGoToTheOpenRewardEpoch) {
  SetUpModel();
  Hash32 key = CreateKey(carol_, "secret");
  const EvmAddress bob_evm = *ParseEvmAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
  const EvmAddress poster = *ParseEvmAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  Ok(bob_, kSetPayoutKind, SetPayoutPayload{bob_evm}.Encode());
  EXPECT_EQ(*LoadPayoutAddress(*state_, Addr(bob_)).value(), bob_evm);
  const Amount supply = Supply(), bob = Balance(Addr(bob_)), alice = Balance(Addr(alice_));
  Applied a = Settle({Receipt("req-1", key, 1000, {{c1_, 400'000}, {c3_, 400'000}})});
  ASSERT_TRUE(a.action.ok()) << a.action.ToString();
  EXPECT_EQ(Balance(Addr(bob_)), bob) << "bob is paid on the EVM chain";
  EXPECT_EQ(Balance(Addr(alice_)) - alice, Amount{285} * Pow10(12)) << "alice as before";
  EXPECT_EQ(Balance(BridgeEscrowAddress()), Amount{380} * Pow10(12));
  EXPECT_EQ((*LoadEarnings(*state_, Addr(bob_))).total, Amount{380} * Pow10(12))
      << "still counted as bob's earnings";
  bool tagged = false;
  for (const auto& e : a.receipt.events) {
    for (const auto& [k, v] : e.attrs) tagged |= k == "reward_epoch" && v == "1";
  }
  EXPECT_TRUE(tagged);
  Settle({Receipt("req-2", key, 1000, {{c3_, 500'000}})});
  auto leaves = LoadEpochLeaves(*state_, 1).value();
  ASSERT_EQ(leaves.size(), 1u) << "one leaf per address per epoch";
  EXPECT_EQ(leaves[0].first, bob_evm);
  EXPECT_EQ(leaves[0].second, Amount{380 + 475} * Pow10(12));
  EXPECT_EQ(LoadRewardEpoch(*state_, 1)->total, leaves[0].second);
  EXPECT_EQ(Supply(), supply);

  // Only the sequencer closes, only the open epoch.
  CloseEpochPayload close{1, poster};
  EXPECT_EQ(Send(alice_, kCloseEpochKind, close.Encode()).action.reason(), "not_sequencer");
  EXPECT_EQ(Send(seq_, kCloseEpochKind, CloseEpochPayload{2, poster}.Encode()).action.reason(),
            "wrong_epoch");
  const uint64_t withdrawals = *LoadWithdrawalCount(*state_);
  Ok(seq_, kCloseEpochKind, close.Encode());
  RewardEpoch e = *LoadRewardEpoch(*state_, 1);
  EXPECT_TRUE(e.closed);
  EXPECT_EQ(e.withdrawal_id, withdrawals + 1);
  auto w = LoadWithdrawal(*state_, e.withdrawal_id).value();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->recipient, poster);
  EXPECT_EQ(w->amount, e.total);
  EXPECT_EQ(*LoadOpenEpoch(*state_), 2u);
  EXPECT_EQ(Send(seq_, kCloseEpochKind, close.Encode()).action.reason(), "wrong_epoch");

  // The next answer accrues to epoch 2; an empty epoch closes without a withdrawal.
  Settle({Receipt("req-3", key, 1000, {{c3_, 500'000}})});
  EXPECT_EQ(LoadEpochLeaves(*state_, 2)->size(), 1u);
  Ok(seq_, kCloseEpochKind, CloseEpochPayload{2, poster}.Encode());
  Ok(seq_, kCloseEpochKind, CloseEpochPayload{3, poster}.Encode());
  EXPECT_EQ(LoadRewardEpoch(*state_, 3)->withdrawal_id, 0u);
  EXPECT_TRUE(LoadRewardEpoch(*state_, 3)->closed);

  // Clearing the address pays bob on Tributary again.
  Ok(bob_, kSetPayoutKind, SetPayoutPayload{}.Encode());
  const Amount before = Balance(Addr(bob_));
  Settle({Receipt("req-4", key, 1000, {{c3_, 500'000}})});
  EXPECT_EQ(Balance(Addr(bob_)) - before, Amount{475} * Pow10(12));
  EXPECT_EQ(Supply(), supply);
  EXPECT_EQ((SetPayoutPayload{EvmAddress{}}.Check().reason()), "bad_payout");
  EXPECT_EQ((CloseEpochPayload{0, poster}.Check().reason()), "bad_epoch");
  EXPECT_EQ((CloseEpochPayload{1, EvmAddress{}}.Check().reason()), "bad_epoch");
}

TEST_F(InferenceTest, GovernedSharesApplyAndStakersShareTheTreasuryPart) {
  SetUpModel();
  Hash32 key = CreateKey(carol_, "secret");
  // Governance has raised the protocol's share to 10% and the penalty per slash to a half, from
  // the next block on; bob stakes 100 OPEN, the only staker.
  {
    Overlay o(state_.get());
    const ParamRegistry& params = ProtocolParams();
    ASSERT_TRUE(StoreParam(o, *params.Find(kProtocolShareParam), 100'000, height_ + 1).ok());
    ASSERT_TRUE(StoreParam(o, *params.Find(kPenaltyPerSlashParam), 500'000, height_ + 1).ok());
    state_->Apply(o.writes());
  }
  Ok(bob_, "stake", Writer().U128(100 * kOpen).bytes());
  const Amount supply = Supply();
  const Amount alice = Balance(Addr(alice_)), bob = Balance(Addr(bob_)),
               owner = Balance(Addr(owner_)), treasury = Balance(TreasuryAddress());
  InferenceReceipt r = Receipt("req-g", key, 1000, {{c1_, 400'000}, {c3_, 400'000}});
  Applied a = Settle({r});
  ASSERT_TRUE(a.action.ok()) << a.action.ToString();
  // Fee 2e15. Protocol 10% = 2e14, half of it (staking.reward_share_ppm) to stakers. Of the rest
  // (1.8e15) contributors 50%: alice 0.4 x 0.5 (one slash at 50%) = 1.8e14, bob 0.4 = 3.6e14.
  EXPECT_EQ(Balance(Addr(alice_)) - alice, Amount{180} * Pow10(12));
  EXPECT_EQ(Balance(Addr(bob_)) - bob, Amount{360} * Pow10(12));
  EXPECT_EQ(Balance(TreasuryAddress()) - treasury, Amount{100} * Pow10(12));
  EXPECT_EQ(Balance(StakingPoolAddress()), Amount{100} * Pow10(12));
  EXPECT_EQ(Balance(Addr(owner_)) - owner, Amount{1260} * Pow10(12));
  EXPECT_EQ(*ClaimableStakingRewards(*state_, Addr(bob_)), Amount{100} * Pow10(12));
  EXPECT_EQ(Supply(), supply);
  auto settled = (*LoadReceipt(*state_, "req-g")).value();
  ASSERT_EQ(settled.parts.size(), 5u);  // alice, bob, owner, treasury, stakers
  EXPECT_EQ(settled.parts.back().role, SplitRole::kStakers);
  EXPECT_EQ(settled.parts.back().amount, Amount{100} * Pow10(12));
  auto back = SettledReceipt::Decode(settled.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->parts, settled.parts);
  // Bob claims it.
  const Amount before = Balance(Addr(bob_));
  Applied claim = Ok(bob_, "stake.claim", {});
  EXPECT_EQ(Balance(Addr(bob_)), before + Amount{100} * Pow10(12) - claim.fee);
  EXPECT_EQ(Balance(StakingPoolAddress()), 0u);
}

TEST_F(InferenceTest, AnAgentPaysNoMoreThanItsOwnersBudget) {
  SetUpModel();
  // carol is an agent owned by owner_, capped at 0.003 OPEN a day; two answers of 0.002 each.
  Ok(carol_, kRegisterAgentKind,
     kinds_.Find(kRegisterAgentKind)
         ->PayloadFromJson({{"owner", Addr(owner_).ToString()},
                            {"name", "buyer"},
                            {"stake", AmountToString(100 * kOpen)}})
         .value());
  Ok(owner_, kAgentBudgetKind,
     kinds_.Find(kAgentBudgetKind)
         ->PayloadFromJson(
             {{"agent", Addr(carol_).ToString()}, {"daily_limit", AmountToString(3 * Pow10(15))}})
         .value());
  Hash32 key = CreateKey(carol_, "agent-secret");
  InferenceReceipt r1 = Receipt("agent-1", key, 1000, {{c3_, 500'000}});
  InferenceReceipt r2 = Receipt("agent-2", key, 1000, {{c3_, 500'000}});
  ASSERT_TRUE(Settle({r1, r2}).action.ok());
  EXPECT_EQ((*LoadReceipt(*state_, "agent-1"))->paid, 2 * Pow10(15));
  EXPECT_EQ((*LoadReceipt(*state_, "agent-2"))->paid, 1 * Pow10(15)) << "capped by the budget";
  Agent a = *LoadAgent(*state_, Addr(carol_)).value();
  EXPECT_EQ(a.spent_total, 3 * Pow10(15));
  EXPECT_EQ(a.Headroom((kT0 + height_ * 1000) / kMsPerDay), 0u);
}

TEST_F(InferenceTest, AnAgentsUpheldReportsLowerItsContributionsWeight) {
  SetUpModel();
  Hash32 key = CreateKey(carol_, "secret");
  // bob is an agent with one upheld report (as a passed proposal leaves it).
  Agent bob;
  bob.address = Addr(bob_);
  bob.owner = Addr(owner_);
  bob.name = "bob-bot";
  bob.slash_count = 1;
  {
    Overlay o(state_.get());
    StoreAgent(o, bob);
    state_->Apply(o.writes());
  }
  const Amount before = Balance(Addr(bob_));
  ASSERT_TRUE(Settle({Receipt("req-b", key, 1000, {{c3_, 400'000}})}).action.ok());
  // 2e15 x 0.95 x 0.5 x 0.4 x (1 - 0.25) = 2.85e14, as for alice's one spam slash.
  EXPECT_EQ(Balance(Addr(bob_)) - before, Amount{285} * Pow10(12));
}

TEST_F(InferenceTest, ContributionsOutsideTheTrainingDataEarnNothing) {
  SetUpModel(800'000);
  Hash32 key = CreateKey(carol_, "secret");
  const Amount carol_before = Balance(Addr(carol_)), owner = Balance(Addr(owner_));
  // c4 (carol's) was accepted after the version the model was trained on.
  InferenceReceipt r = Receipt("req-2", key, 1000, {{c4_, 1'000'000}});
  ASSERT_TRUE(Settle({r}).action.ok());
  // carol pays the fee and earns nothing back; the owner gets all but the treasury's 5%.
  EXPECT_EQ(carol_before - Balance(Addr(carol_)), r.fee);
  EXPECT_EQ(Balance(Addr(owner_)) - owner, r.fee / 100 * 95);
  EXPECT_EQ(ModelOf(1).contributors_share_ppm, 800'000u);
}

TEST_F(InferenceTest, OnlyTheSequencerSettlesAndBadReceiptsAreRejectedOneByOne) {
  SetUpModel();
  Hash32 key = CreateKey(carol_, "secret");
  InferenceReceipt good = Receipt("ok-1", key, 400, {{c3_, 500'000}});
  EXPECT_EQ(Settle({good}, &alice_).action.reason(), "not_sequencer");
  EXPECT_FALSE(LoadReceipt(*state_, "ok-1")->has_value());

  InferenceReceipt wrong_fee = Receipt("bad-fee", key, 400, {});
  wrong_fee.fee += 1;
  InferenceReceipt no_key = Receipt("bad-key", H("nobody"), 400, {});
  InferenceReceipt no_model = Receipt("bad-model", key, 400, {});
  no_model.model = 9;
  Applied a = Settle({wrong_fee, good, no_key, no_model});
  ASSERT_TRUE(a.action.ok()) << a.action.ToString();
  EXPECT_TRUE(LoadReceipt(*state_, "ok-1")->has_value());
  EXPECT_FALSE(LoadReceipt(*state_, "bad-fee")->has_value());
  std::vector<std::string> reasons;
  for (const auto& e : a.receipt.events) {
    if (e.type == "inference.rejected") reasons.push_back(e.attrs[1].second);
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"wrong_fee", "unknown_apikey", "unknown_model"}));
}

TEST_F(InferenceTest, APayerWhoMovedFundsAwayPaysWhatIsLeft) {
  SetUpModel();
  KeyPair dave = Key(5);
  Ok(carol_, "transfer",
     Writer().Fixed(Addr(dave).bytes).U128(Pow10(15)).bytes());  // 0.001 OPEN
  Hash32 key = CreateKey(dave, "dave-secret");
  const Amount left = Balance(Addr(dave));
  InferenceReceipt r = Receipt("short", key, 1000, {{c3_, 1'000'000}});
  ASSERT_GT(r.fee, left);
  ASSERT_TRUE(Settle({r}).action.ok());
  EXPECT_EQ(Balance(Addr(dave)), Amount{0});
  EXPECT_EQ((*LoadReceipt(*state_, "short"))->paid, left);
}

TEST(InferencePayloadTest, EncodingsRoundTripAndBadOnesAreRefused) {
  InferenceReceipt r;
  r.request_id = "abc_DEF-1";
  r.key_hash[0] = 1;
  r.model = 3;
  r.prompt_tokens = 10;
  r.completion_tokens = 20;
  r.fee = 77;
  Hash32 c{};
  c[5] = 9;
  r.weights = {{c, 250'000}};
  r.unattributed = 750'000;
  SettleInferencePayload p{{r}};
  ASSERT_TRUE(p.Check().ok());
  auto back = SettleInferencePayload::Decode(p.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->receipts[0], r);
  auto from_json = SettleInferencePayload::FromJson(p.ToJson());
  ASSERT_TRUE(from_json.ok()) << from_json.status().ToString();
  EXPECT_EQ(from_json->receipts[0], r);

  InferenceReceipt bad = r;
  bad.unattributed = 1;
  EXPECT_EQ(bad.Check().reason(), "bad_receipt") << "weights must sum to 10^6";
  bad = r;
  bad.request_id = "has space";
  EXPECT_EQ(bad.Check().reason(), "bad_receipt");
  bad = r;
  bad.weights = {{c, 250'000}, {c, 0}};
  EXPECT_EQ(bad.Check().reason(), "bad_receipt");
  EXPECT_EQ(SettleInferencePayload{}.Check().reason(), "bad_receipt") << "empty";
  Bytes trailing = p.Encode();
  trailing.push_back(0);
  EXPECT_EQ(SettleInferencePayload::Decode(trailing).status().reason(), "malformed_encoding");

  CreateApiKeyPayload k;
  k.key_hash = ApiKeyHash("s");
  k.label = "app";
  k.models = {1, 4};
  k.total_limit = 5;
  auto kb = CreateApiKeyPayload::Decode(k.Encode());
  ASSERT_TRUE(kb.ok());
  EXPECT_EQ(kb->ToJson(), k.ToJson());
  EXPECT_EQ(CreateApiKeyPayload::FromJson(k.ToJson())->Encode(), k.Encode());
  k.models = {4, 1};
  EXPECT_EQ(k.Check().reason(), "bad_apikey") << "models ascending";
  k.models = {};
  k.label = std::string(65, 'x');
  EXPECT_EQ(k.Check().reason(), "bad_apikey");
  EXPECT_EQ(CreateApiKeyPayload::FromJson(nlohmann::json{{"key_hash", "zz"}}).status().reason(),
            "bad_payload");
  EXPECT_EQ(CreateApiKeyPayload::FromJson(
                nlohmann::json{{"key_hash", ToHex(ApiKeyHash("s"))}, {"daily_limit", "-1"}})
                .status()
                .reason(),
            "bad_payload");

  // The model's share: the default keeps the old encoding; others are at least the minimum.
  RegisterModelPayload reg;
  reg.contributors_share_ppm = 400'000;
  EXPECT_EQ(CheckContributorsShare(400'000, kMinContributorsSharePpm).reason(), "bad_model");
  EXPECT_TRUE(CheckContributorsShare(400'000, 0).ok());
  EXPECT_TRUE(CheckContributorsShare(1'000'000, kMinContributorsSharePpm).ok());
  EXPECT_EQ(CheckContributorsShare(1'000'001, 0).reason(), "bad_model");
}

}  // namespace
}  // namespace tributary::economy
