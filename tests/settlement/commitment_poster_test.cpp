// The commitment poster's decisions against an in-process fake EVM node
// (support/fake_commitments_chain.h) and a real chain in a temporary directory whose blocks the
// tests make one by one. tests/integration/settlement_test.cpp runs it against Hardhat.
#include "tributary/settlement/commitment_poster.h"

#include <gtest/gtest.h>

#include <functional>
#include <mutex>

#include "support/fake_commitments_chain.h"
#include "support/temp_dir.h"
#include "tributary/api/node_server.h"
#include "tributary/evm/keccak.h"

namespace tributary::settlement {
namespace {

using std::chrono::milliseconds;
using testing::FakeCommitmentsChain;

class CommitmentPosterTest : public ::testing::Test {
 protected:
  CommitmentPosterTest() : evm_key_(evm::PrivateKey::Generate()), sequencer_(KeyPair::Generate()) {
    const uint64_t now =
        static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    ChainOptions o;
    o.data_dir = dir_.path() / "chain";
    o.genesis = Genesis::Dev(Address::FromPublicKey(KeyPair::Generate().public_key()),
                             sequencer_.public_key(), now - 60000);
    o.sequencer = sequencer_;
    auto opened = Chain::Open(o, NodeTxKinds());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    chain_ = std::move(*opened);
  }

  void Produce(int blocks) {
    for (int i = 0; i < blocks; ++i) ASSERT_TRUE(chain_->ProduceBlock().ok());
  }
  tributary::BlockHeader Header(uint64_t height) { return *chain_->GetHeader(height); }

  CommitmentPosterOptions Options(const FakeCommitmentsChain& fake, uint64_t every) {
    CommitmentPosterOptions o;
    o.contract = fake.contract();
    o.every = every;
    o.poll_interval = milliseconds(10);
    o.retry_initial = milliseconds(10);
    o.retry_max = milliseconds(50);
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.push_back(line);
    };
    return o;
  }
  std::unique_ptr<CommitmentPoster> Poster(const FakeCommitmentsChain& fake,
                                           CommitmentPosterOptions o) {
    evm::RpcClientOptions ro;
    ro.url = fake.url();
    ro.timeout = milliseconds(2000);
    auto poster = CommitmentPoster::Create(chain_.get(), evm::RpcClient::Create(ro).value(),
                                           evm_key_, std::move(o));
    EXPECT_TRUE(poster.ok()) << poster.status().ToString();
    return std::move(*poster);
  }

  static bool WaitFor(const std::function<bool()>& done,
                      milliseconds timeout = milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return done();
  }
  int LogsWith(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& l : logs_) n += l.find(text) != std::string::npos;
    return n;
  }
  std::string AllLogs() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string all;
    for (const auto& l : logs_) all += l + "\n";
    return all;
  }

  testing::TempDir dir_;
  evm::PrivateKey evm_key_;
  KeyPair sequencer_;
  std::unique_ptr<Chain> chain_;
  std::mutex mu_;
  std::vector<std::string> logs_;
};

TEST_F(CommitmentPosterTest, PostsEveryMultipleInOrderWithTheBlocksHashAndStateRoot) {
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  auto poster = Poster(fake, Options(fake, 5));
  ASSERT_TRUE(poster->Start().ok());
  Produce(12);
  ASSERT_TRUE(WaitFor([&] { return fake.latest_height() == 10; })) << AllLogs();
  EXPECT_EQ(fake.mined_posts(), (std::vector<uint64_t>{5, 10}));
  for (uint64_t h : {5, 10}) {
    const PostedCommitment c = fake.commitment(h);
    EXPECT_EQ(c.block_hash, Header(h).Hash()) << h;
    EXPECT_EQ(c.state_root, Header(h).state_root) << h;
  }
  const auto sent = fake.sent();
  ASSERT_EQ(sent.size(), 2u);
  for (size_t i = 0; i < sent.size(); ++i) {
    const evm::Eip1559Transaction& tx = sent[i].tx;
    EXPECT_EQ(tx.chain_id, 31337u);
    EXPECT_EQ(tx.nonce, i);
    EXPECT_EQ(tx.to, fake.contract());
    EXPECT_TRUE(tx.value.IsZero());
    EXPECT_EQ(tx.max_priority_fee_per_gas, U256(FakeCommitmentsChain::kPriorityFee));
    EXPECT_EQ(tx.max_fee_per_gas,
              U256(2 * FakeCommitmentsChain::kBaseFee + FakeCommitmentsChain::kPriorityFee));
    EXPECT_EQ(tx.gas_limit, FakeCommitmentsChain::kGasEstimate * 125 / 100);
    EXPECT_EQ(*sent[i].Sender(), evm_key_.address());
    const uint64_t h = 5 * (i + 1);
    EXPECT_EQ(tx.data, CommitmentsContract::EncodePost(h, Header(h).Hash(), Header(h).state_root));
  }
  ASSERT_TRUE(WaitFor([&] { return poster->stats().posts == 2; }));
  const CommitmentPosterStats s = poster->stats();
  EXPECT_EQ(s.state, CommitmentPosterStats::State::kOk);
  EXPECT_EQ(s.evm_chain_id, 31337u);
  EXPECT_EQ(s.contract_height, 10u);
  EXPECT_EQ(s.chain_height, 12u);
  EXPECT_EQ(s.backlog, 0u);
  ASSERT_TRUE(s.last_posted.has_value());
  EXPECT_EQ(s.last_posted->height, 10u);
  EXPECT_EQ(s.last_posted->tx_hash, sent[1].Hash());
  EXPECT_EQ(s.last_posted->gas_used, FakeCommitmentsChain::kGasUsed);
  EXPECT_EQ(s.gas_used_total, 2 * FakeCommitmentsChain::kGasUsed);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(LogsWith("posted height 10"), 1) << AllLogs();
  EXPECT_EQ(LogsWith("gas 96658"), 2) << AllLogs();
}

TEST_F(CommitmentPosterTest, ResumesAboveTheContractsLatestHeight) {
  Produce(17);
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  fake.PostDirectly(10, Header(10).Hash(), Header(10).state_root);  // a previous run's posts
  auto poster = Poster(fake, Options(fake, 5));
  ASSERT_TRUE(poster->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return fake.latest_height() == 15; })) << AllLogs();
  EXPECT_EQ(fake.mined_posts(), (std::vector<uint64_t>{15}));
  ASSERT_EQ(fake.sent().size(), 1u);
  EXPECT_EQ(LogsWith("the contract is at height 10, this chain at 17 (backlog 1)"), 1) << AllLogs();
}

TEST_F(CommitmentPosterTest, RefusesToStartWhenTheContractDoesNotCheckOut) {
  Produce(6);
  struct Case {
    const char* name;
    std::function<void(FakeCommitmentsChain&, CommitmentPosterOptions&)> setup;
    uint64_t interval = 5;
    bool other_sequencer = false;
    const char* reason;
  };
  const Hash32 foreign = evm::Keccak256(AsBytes("another chain's block 5"));
  const std::vector<Case> cases = {
      {"interval", [](auto&, auto&) {}, 7, false, "interval_mismatch"},
      {"sequencer", [](auto&, auto&) {}, 5, true, "not_sequencer"},
      {"no code", [](auto& f, auto&) { f.SetDeployed(false); }, 5, false, "no_contract"},
      {"chain id", [](auto&, auto& o) { o.expected_chain_id = 1; }, 5, false, "wrong_chain_id"},
      {"contract ahead", [](auto& f, auto&) { f.PostDirectly(50, Hash32{}, Hash32{}); }, 5, false,
       "wrong_chain"},
      {"another chain's block", [&](auto& f, auto&) { f.PostDirectly(5, foreign, Hash32{}); }, 5,
       false, "wrong_chain"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeCommitmentsChain fake(
        c.other_sequencer ? evm::PrivateKey::Generate().address() : evm_key_.address(), c.interval);
    CommitmentPosterOptions o = Options(fake, 5);
    c.setup(fake, o);
    auto poster = Poster(fake, o);
    Status s = poster->Start();
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.reason(), c.reason) << s.ToString();
    EXPECT_EQ(s.message().find('\n'), std::string::npos);
    EXPECT_TRUE(fake.sent().empty());
  }
}

TEST_F(CommitmentPosterTest, UnreachableAtStartThenPostsTheBacklogInOrderLoggingOnlyChanges) {
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  fake.SetReachable(false);
  auto poster = Poster(fake, Options(fake, 5));
  ASSERT_TRUE(poster->Start().ok());  // the node keeps producing blocks meanwhile
  EXPECT_EQ(poster->stats().state, CommitmentPosterStats::State::kUnreachable);
  Produce(16);
  ASSERT_TRUE(WaitFor([&] { return poster->stats().errors >= 5; }));
  EXPECT_EQ(poster->stats().backlog, std::nullopt);  // the contract's height is not known yet
  fake.SetReachable(true);
  ASSERT_TRUE(WaitFor([&] { return fake.latest_height() == 15; })) << AllLogs();
  EXPECT_EQ(fake.mined_posts(), (std::vector<uint64_t>{5, 10, 15}));
  EXPECT_EQ(LogsWith("unreachable"), 1) << AllLogs();
  EXPECT_EQ(LogsWith("answers again"), 1) << AllLogs();
  ASSERT_TRUE(WaitFor([&] { return poster->stats().posts == 3; }));
  EXPECT_EQ(poster->stats().state, CommitmentPosterStats::State::kOk);
  ASSERT_TRUE(poster->stats().last_error.has_value());
  EXPECT_EQ(poster->stats().last_error->code(), Code::kUnavailable);

  // Unreachable again mid-way: the blocks made meanwhile are posted in order afterwards.
  fake.SetReachable(false);
  Produce(10);
  ASSERT_TRUE(WaitFor([&] { return LogsWith("unreachable") == 2; }));
  fake.SetReachable(true);
  ASSERT_TRUE(WaitFor([&] { return fake.latest_height() == 25; })) << AllLogs();
  EXPECT_EQ(fake.mined_posts(), (std::vector<uint64_t>{5, 10, 15, 20, 25}));
  EXPECT_EQ(fake.sent().size(), 5u);
}

TEST_F(CommitmentPosterTest, ARevertBecauseTheHeightIsPostedCountsAsPosted) {
  Produce(10);
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  // Between the poster's latestHeight() and its post of 5, height 5 lands by another way.
  fake.PostByOtherBeforeEstimate(5, Header(5).Hash());
  auto poster = Poster(fake, Options(fake, 5));
  ASSERT_TRUE(poster->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return fake.latest_height() == 10 && poster->stats().posts == 1; }))
      << AllLogs();
  EXPECT_EQ(fake.mined_posts(), (std::vector<uint64_t>{10}));  // 5 was never sent
  EXPECT_EQ(fake.sent().size(), 1u);
  EXPECT_EQ(LogsWith("height 5 is on the contract already"), 1) << AllLogs();
  EXPECT_EQ(poster->stats().errors, 0u);
}

TEST_F(CommitmentPosterTest, AStuckTransactionIsReplacedBySameNonceWithHigherFees) {
  Produce(5);
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  fake.SetAutomine(false);
  CommitmentPosterOptions o = Options(fake, 5);
  o.tx.receipt_timeout = milliseconds(150);
  auto poster = Poster(fake, o);
  ASSERT_TRUE(poster->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return fake.sent().size() >= 2; })) << AllLogs();
  EXPECT_EQ(poster->stats().in_flight_height, 5u);
  fake.Mine();
  ASSERT_TRUE(WaitFor([&] { return poster->stats().posts == 1; })) << AllLogs();
  const auto sent = fake.sent();
  const auto& first = sent[0].tx;
  const auto& second = sent[1].tx;
  EXPECT_EQ(first.nonce, second.nonce);
  EXPECT_EQ(first.data, second.data);
  EXPECT_GE(*U256::Mul(second.max_priority_fee_per_gas, 8),
            *U256::Mul(first.max_priority_fee_per_gas, 9));
  EXPECT_GE(*U256::Mul(second.max_fee_per_gas, 8), *U256::Mul(first.max_fee_per_gas, 9));
  EXPECT_EQ(fake.mined_posts(), (std::vector<uint64_t>{5}));
  const CommitmentPosterStats s = poster->stats();
  EXPECT_GE(s.replacements, 1u);
  EXPECT_EQ(s.last_posted->tx_hash, sent.back().Hash());
  EXPECT_FALSE(s.in_flight_height.has_value());
  EXPECT_GE(LogsWith("replaced it (nonce 0)"), 1) << AllLogs();
}

TEST_F(CommitmentPosterTest, AMinedPostWhoseReceiptNeverComesIsNotPostedAgain) {
  Produce(10);
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  fake.SetHideReceipts(true);
  CommitmentPosterOptions o = Options(fake, 5);
  o.tx.receipt_timeout = milliseconds(100);
  auto poster = Poster(fake, o);
  ASSERT_TRUE(poster->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return LogsWith("height 10 is on the contract already") == 1; }))
      << AllLogs();
  EXPECT_EQ(fake.mined_posts(), (std::vector<uint64_t>{5, 10}));
  EXPECT_EQ(fake.sent().size(), 2u);  // nothing re-sent, nothing replaced
  EXPECT_EQ(poster->stats().replacements, 0u);
  EXPECT_EQ(poster->stats().contract_height, 10u);
}

TEST_F(CommitmentPosterTest, FallsBackToAFixedPriorityFee) {
  Produce(5);
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  fake.SetPriorityFeeSupported(false);
  CommitmentPosterOptions o = Options(fake, 5);
  o.tx.fallback_priority_fee = U256(2'000'000'000);
  auto poster = Poster(fake, o);
  ASSERT_TRUE(poster->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return fake.latest_height() == 5; })) << AllLogs();
  const auto sent = fake.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].tx.max_priority_fee_per_gas, U256(2'000'000'000));
  EXPECT_EQ(sent[0].tx.max_fee_per_gas, U256(2 * FakeCommitmentsChain::kBaseFee + 2'000'000'000));
}

TEST_F(CommitmentPosterTest, StopsPromptlyWhileRetrying) {
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  fake.SetReachable(false);
  CommitmentPosterOptions o = Options(fake, 5);
  o.retry_initial = milliseconds(20000);
  o.retry_max = milliseconds(20000);
  auto poster = Poster(fake, o);
  ASSERT_TRUE(poster->Start().ok());
  std::this_thread::sleep_for(milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  poster->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
  Produce(5);  // the listener is gone: nothing runs
}

TEST_F(CommitmentPosterTest, RejectsEveryZero) {
  FakeCommitmentsChain fake(evm_key_.address(), 5);
  evm::RpcClientOptions ro;
  ro.url = fake.url();
  auto poster = CommitmentPoster::Create(chain_.get(), evm::RpcClient::Create(ro).value(), evm_key_,
                                         Options(fake, 0));
  ASSERT_FALSE(poster.ok());
  EXPECT_EQ(poster.status().reason(), "bad_settle_every");
}

}  // namespace
}  // namespace tributary::settlement
