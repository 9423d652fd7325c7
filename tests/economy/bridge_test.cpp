// The bridge's Tributary side on a real executor: withdrawals write the record OpenBridge proves,
// deposits are credited once by the sequencer only, and OPEN moves only between accounts and the
// escrow (supply constant).
#include "tributary/economy/bridge.h"

#include "economy/economy_fixture.h"

namespace tributary::economy {
namespace {

const char* kRecipient = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

class BridgeTest : public EconomyTest {
 protected:
  Bytes Payload(std::string_view kind, const json& j) {
    auto p = kinds_.Find(kind)->PayloadFromJson(j);
    EXPECT_TRUE(p.ok()) << kind << ": " << p.status().ToString();
    return p.ok() ? *p : Bytes{};
  }
  std::string PayloadError(std::string_view kind, const json& j) {
    auto p = kinds_.Find(kind)->PayloadFromJson(j);
    return p.ok() ? "accepted" : p.status().reason();
  }
  std::string Refused(const KeyPair& from, std::string_view kind, const json& j) {
    Applied a = Send(from, kind, Payload(kind, j));
    EXPECT_EQ(a.receipt.status, Receipt::kFailed) << kind;
    return a.action.reason();
  }
  Amount Balance(const Address& a) { return LoadAccount(*state_, a)->balance; }
  json Withdraw(Amount amount, const std::string& to = kRecipient) {
    return {{"recipient", to}, {"amount", AmountToString(amount)}};
  }
  json Credit(uint64_t id, const KeyPair& to, Amount amount) {
    return {{"deposit_id", id},
            {"account", Addr(to).ToString()},
            {"amount", AmountToString(amount)},
            {"evm_tx", "0x" + std::string(64, 'a')}};
  }
};

TEST_F(BridgeTest, AWithdrawalPaysTheEscrowAndWritesTheRecordOpenBridgeProves) {
  const Amount before = Balance(Addr(alice_));
  Applied a = Ok(alice_, kBridgeWithdrawKind, Payload(kBridgeWithdrawKind, Withdraw(7 * kOpen)));
  EXPECT_EQ(Balance(Addr(alice_)), before - 7 * kOpen - a.fee);
  EXPECT_EQ(Balance(BridgeEscrowAddress()), 7 * kOpen);
  EXPECT_EQ(*LoadWithdrawalCount(*state_), 1u);
  Ok(bob_, kBridgeWithdrawKind, Payload(kBridgeWithdrawKind, Withdraw(3)));
  EXPECT_EQ(*LoadWithdrawalCount(*state_), 2u);

  // The key is 0x42 || u64 big-endian id; the value abi.encode(address, uint256), as
  // OpenBridge.withdrawalKey/withdrawalValue compute them (contracts/README.md).
  EXPECT_EQ(ToHex(AsBytes(WithdrawalKey(1))), "420000000000000001");
  auto raw = state_->Get(WithdrawalKey(1));
  ASSERT_TRUE(raw);
  EXPECT_EQ(ToHex(*raw),
            "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
            "0000000000000000000000000000000000000000000000006124fee993bc0000");
  auto w = LoadWithdrawal(*state_, 2).value();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->amount, 3u);
  EXPECT_EQ(EvmAddressToString(w->recipient), "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
  EXPECT_FALSE(LoadWithdrawal(*state_, 3).value());

  const auto& ev = a.receipt.events.at(0);
  EXPECT_EQ(ev.type, "bridge.withdrawn");
  EXPECT_EQ(ev.attrs.at(0), (std::pair<std::string, std::string>{"id", "1"}));
}

TEST_F(BridgeTest, AWithdrawalBeyondTheBalanceOrMalformedIsRefused) {
  EXPECT_EQ(Refused(alice_, kBridgeWithdrawKind, Withdraw(5000 * kOpen)), "insufficient_balance");
  EXPECT_EQ(Balance(BridgeEscrowAddress()), 0u);
  EXPECT_EQ(*LoadWithdrawalCount(*state_), 0u) << "a failed withdrawal writes no record";
  EXPECT_EQ(PayloadError(kBridgeWithdrawKind, Withdraw(0)), "bad_withdrawal");
  EXPECT_EQ(PayloadError(kBridgeWithdrawKind, Withdraw(1, "0x" + std::string(40, '0'))),
            "bad_withdrawal");
  EXPECT_EQ(PayloadError(kBridgeWithdrawKind, Withdraw(1, "0x1234")), "bad_payload");
  EXPECT_EQ(PayloadError(kBridgeWithdrawKind, Withdraw(1, Addr(bob_).ToString())), "bad_payload");
  EXPECT_EQ(PayloadError(kBridgeWithdrawKind, {{"recipient", kRecipient}, {"amount", "-1"}}),
            "bad_payload");
  EXPECT_EQ(PayloadError(kBridgeWithdrawKind, {{"amount", "1"}}), "bad_payload");
}

TEST_F(BridgeTest, OnlyTheSequencerCreditsADepositAndOnlyOnce) {
  Ok(alice_, kBridgeWithdrawKind, Payload(kBridgeWithdrawKind, Withdraw(100 * kOpen)));
  EXPECT_EQ(Refused(alice_, kBridgeCreditKind, Credit(1, bob_, kOpen)), "not_sequencer");

  // The sequencer pays its own fees to itself; it needs a balance for them first.
  Ok(alice_, "transfer",
     Payload("transfer", {{"to", Addr(seq_).ToString()}, {"amount", AmountToString(kOpen)}}));
  const Amount bob = Balance(Addr(bob_));
  Applied c = Ok(seq_, kBridgeCreditKind, Payload(kBridgeCreditKind, Credit(1, bob_, 40 * kOpen)));
  EXPECT_EQ(Balance(Addr(bob_)), bob + 40 * kOpen);
  EXPECT_EQ(Balance(BridgeEscrowAddress()), 60 * kOpen);
  auto credit = LoadDepositCredit(*state_, 1).value();
  ASSERT_TRUE(credit);
  EXPECT_EQ(credit->account, Addr(bob_));
  EXPECT_EQ(credit->amount, 40 * kOpen);
  EXPECT_EQ(c.receipt.events.at(0).type, "bridge.credited");

  EXPECT_EQ(Refused(seq_, kBridgeCreditKind, Credit(1, bob_, 40 * kOpen)), "deposit_credited");
  EXPECT_EQ(Refused(seq_, kBridgeCreditKind, Credit(2, bob_, 61 * kOpen)), "insufficient_balance");
  EXPECT_FALSE(LoadDepositCredit(*state_, 2).value()) << "a failed credit leaves no mark";
  EXPECT_EQ(Balance(Addr(bob_)), bob + 40 * kOpen);
  EXPECT_EQ(PayloadError(kBridgeCreditKind, Credit(0, bob_, 1)), "bad_credit");
  EXPECT_EQ(PayloadError(kBridgeCreditKind, Credit(3, bob_, 0)), "bad_credit");
  json bad_tx = Credit(3, bob_, 1);
  bad_tx["evm_tx"] = "0x12";
  EXPECT_EQ(PayloadError(kBridgeCreditKind, bad_tx), "bad_payload");
}

TEST_F(BridgeTest, RecordsRefuseBytesOfAnyOtherShape) {
  Withdrawal w{*ParseEvmAddress(kRecipient), kAmountMax};
  Bytes b = w.Encode();
  EXPECT_EQ(Withdrawal::Decode(b)->amount, kAmountMax);
  b[0] = 1;
  EXPECT_EQ(Withdrawal::Decode(b).status().code(), Code::kCorruption);
  b = w.Encode();
  b[40] = 1;  // amount >= 2^128
  EXPECT_EQ(Withdrawal::Decode(b).status().code(), Code::kCorruption);
  b.pop_back();
  EXPECT_EQ(Withdrawal::Decode(b).status().code(), Code::kCorruption);
  EXPECT_EQ(ParseEvmAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C").status().reason(),
            "bad_evm_address");
  EXPECT_EQ(ParseEvmAddress("70997970C51812dc3A010C7d01b50e0d17dc79C8aa").status().reason(),
            "bad_evm_address");
}

}  // namespace
}  // namespace tributary::economy
