// The bridge relay's proofs on a real chain: every withdrawal is proven at the next committed
// multiple of `every` against that block's state root, the proofs survive a restart, and a stored
// proof that no longer holds (damaged, or of a block lost before it was durable) is dropped and
// taken again. Crediting and releasing run against a real EVM node in
// tests/integration/settlement_test.cpp.
#include "tributary/settlement/bridge_relay.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"
#include "tributary/api/node_server.h"
#include "tributary/ledger/smt.h"
#include "tributary/ledger/tx.h"

namespace tributary::settlement {
namespace {

using std::chrono::milliseconds;

class BridgeRelayTest : public ::testing::Test {
 protected:
  BridgeRelayTest() : sequencer_(KeyPair::Generate()), user_(KeyPair::Generate()) {
    ChainOptions o;
    o.data_dir = dir_.path() / "chain";
    o.genesis = Genesis::Dev(Address::FromPublicKey(user_.public_key()), sequencer_.public_key(),
                             1767225600000);
    o.sequencer = sequencer_;
    auto opened = Chain::Open(o, NodeTxKinds());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    chain_ = std::move(*opened);
  }

  std::unique_ptr<BridgeRelay> Relay() {
    evm::RpcClientOptions ro;
    ro.url = "http://127.0.0.1:1";  // proving needs no EVM node
    BridgeRelayOptions o;
    o.every = 4;
    o.confirmations = 1;
    o.dir = dir_.path() / "settlement";
    o.sequencer = sequencer_;
    auto relay = BridgeRelay::Open(chain_.get(), evm::RpcClient::Create(ro).value(), o);
    EXPECT_TRUE(relay.ok()) << relay.status().ToString();
    if (!relay.ok()) return nullptr;
    (*relay)->Start();
    return std::move(*relay);
  }

  void Withdraw(Amount amount) {
    economy::BridgeWithdrawPayload p;
    p.recipient = *economy::ParseEvmAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    p.amount = amount;
    Transaction tx;
    tx.chain_id = chain_->genesis().chain_id;
    tx.kind = std::string(economy::kBridgeWithdrawKind);
    tx.payload = p.Encode();
    tx.max_fee = Pow10(17);
    ASSERT_TRUE(chain_->SubmitSigned(tx, user_).ok());
  }
  void ProduceTo(uint64_t height) {
    while (chain_->height() < height) ASSERT_TRUE(chain_->ProduceBlock().ok());
  }
  // The proof verifies against the state root of the block at its height.
  void ExpectHolds(const WithdrawalProof& p) {
    const std::string key = economy::WithdrawalKey(p.id);
    auto lookup = chain_->GetState(key, false);
    ASSERT_TRUE(lookup.ok() && lookup->value.has_value());
    const Bytes value = *lookup->value;
    SmtProof proof;
    proof.siblings = p.siblings;
    EXPECT_TRUE(VerifySmtProof(chain_->GetHeader(p.height)->state_root, State::KeyHash(key),
                               State::ValueHash(value), proof)
                    .ok())
        << "withdrawal " << p.id << " at " << p.height;
  }

  testing::TempDir dir_;
  KeyPair sequencer_, user_;
  std::unique_ptr<Chain> chain_;
};

TEST_F(BridgeRelayTest, ProvesEachWithdrawalAtTheNextMultipleAgainstThatBlocksRoot) {
  auto relay = Relay();
  Withdraw(Pow10(18));
  Withdraw(2 * Pow10(18));
  ProduceTo(3);
  EXPECT_FALSE(relay->Proof(1)) << "not a multiple of 4 yet";
  ProduceTo(4);
  ASSERT_TRUE(relay->Proof(1));
  ASSERT_TRUE(relay->Proof(2));
  EXPECT_EQ(relay->Proof(1)->height, 4u);
  ExpectHolds(*relay->Proof(1));
  ExpectHolds(*relay->Proof(2));
  Withdraw(3 * Pow10(18));
  ProduceTo(7);
  EXPECT_FALSE(relay->Proof(3));
  ProduceTo(8);
  ASSERT_TRUE(relay->Proof(3));
  EXPECT_EQ(relay->Proof(3)->height, 8u);
  EXPECT_EQ(relay->Proof(1)->height, 4u) << "a proof is taken once";
  ExpectHolds(*relay->Proof(3));
  EXPECT_EQ(relay->stats().withdrawals_proven, 3u);
}

TEST_F(BridgeRelayTest, KeepsProofsAcrossRestartsAndDropsOnesThatDoNotHold) {
  {
    auto relay = Relay();
    Withdraw(Pow10(18));
    Withdraw(Pow10(18));
    ProduceTo(5);  // past the multiple, so that a restart takes no proofs at once
    ASSERT_TRUE(relay->Proof(2));
  }
  {
    auto relay = Relay();
    ASSERT_TRUE(relay->Proof(1));
    ExpectHolds(*relay->Proof(2));
  }
  // Damage proof 2 and add a torn line: both dropped at open, the file rewritten; proof 2 is
  // taken again at the next multiple.
  const auto file = dir_.path() / "settlement" / "withdrawal-proofs.jsonl";
  std::string text;
  {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("\"id\":2") != std::string::npos) {
        const size_t at = line.find("\"siblings\":[\"") + 13;
        line[at] = line[at] == '0' ? '1' : '0';
      }
      text += line + "\n";
    }
  }
  std::ofstream(file) << text << "{\"id\":3,\"hei";
  auto relay = Relay();
  EXPECT_TRUE(relay->Proof(1));
  EXPECT_FALSE(relay->Proof(2));
  EXPECT_EQ(relay->stats().withdrawals_proven, 1u);
  ProduceTo(8);
  ASSERT_TRUE(relay->Proof(2));
  EXPECT_EQ(relay->Proof(2)->height, 8u);
  ExpectHolds(*relay->Proof(2));
}

TEST_F(BridgeRelayTest, RefusesMissingOptions) {
  evm::RpcClientOptions ro;
  ro.url = "http://127.0.0.1:1";
  BridgeRelayOptions o;
  o.every = 4;
  o.dir = dir_.path() / "settlement";
  EXPECT_FALSE(BridgeRelay::Open(chain_.get(), evm::RpcClient::Create(ro).value(), o).ok())
      << "no sequencer key";
  o.sequencer = sequencer_;
  o.confirmations = 0;
  EXPECT_EQ(
      BridgeRelay::Open(chain_.get(), evm::RpcClient::Create(ro).value(), o).status().reason(),
      "bad_settle_option");
}

}  // namespace
}  // namespace tributary::settlement
