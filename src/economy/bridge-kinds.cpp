// bridge.withdraw and bridge.credit (rules in economy/bridge.h).
#include <memory>

#include "tributary/base/encoding.h"
#include "tributary/economy/bridge.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/tx.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

Result<Amount> AmountField(const json& j, const char* field) {
  TRIB_ASSIGN_OR_RETURN(std::string text, PayloadString(j, field));
  auto a = ParseAmount(text);
  if (!a.ok()) {
    return BadPayload(std::string("payload.") + field + " must be a string of base units");
  }
  return *a;
}

bool IsZero(const EvmAddress& a) {
  for (uint8_t b : a) {
    if (b) return false;
  }
  return true;
}

class BridgeWithdrawKind final : public PayloadKind<BridgeWithdrawPayload> {
 public:
  std::string_view name() const override { return kBridgeWithdrawKind; }

 protected:
  Status Check(const BridgeWithdrawPayload& p) const override { return p.Check(); }

  Status Run(TxContext& ctx, const BridgeWithdrawPayload& p) const override {
    TRIB_RETURN_IF_ERROR(
        MoveBalance(ctx.state, ctx.sender, BridgeEscrowAddress(), p.amount, "withdrawal"));
    TRIB_ASSIGN_OR_RETURN(uint64_t id,
                          AppendWithdrawal(ctx.state, Withdrawal{p.recipient, p.amount}));
    ctx.events.push_back({"bridge.withdrawn",
                          {{"id", std::to_string(id)},
                           {"from", ctx.sender.ToString()},
                           {"recipient", EvmAddressToString(p.recipient)},
                           {"amount", AmountToString(p.amount)}}});
    return Status::OK();
  }
};

class BridgeCreditKind final : public PayloadKind<BridgeCreditPayload> {
 public:
  std::string_view name() const override { return kBridgeCreditKind; }

 protected:
  Status Check(const BridgeCreditPayload& p) const override { return p.Check(); }

  Status Run(TxContext& ctx, const BridgeCreditPayload& p) const override {
    if (ctx.tx.sender != ctx.sequencer) {
      return Status::PermissionDenied("only the chain's sequencer credits bridge deposits",
                                      "not_sequencer");
    }
    TRIB_ASSIGN_OR_RETURN(auto existing, LoadDepositCredit(ctx.state, p.deposit_id));
    if (existing) {
      return Status::AlreadyExists("deposit " + std::to_string(p.deposit_id) +
                                       " was credited at height " +
                                       std::to_string(existing->height),
                                   "deposit_credited");
    }
    TRIB_RETURN_IF_ERROR(
        MoveBalance(ctx.state, BridgeEscrowAddress(), p.account, p.amount, "bridge escrow"));
    ctx.state.Put(DepositCreditKey(p.deposit_id),
                  DepositCredit{p.account, p.amount, ctx.height, p.evm_tx}.Encode());
    ctx.events.push_back({"bridge.credited",
                          {{"deposit_id", std::to_string(p.deposit_id)},
                           {"account", p.account.ToString()},
                           {"amount", AmountToString(p.amount)},
                           {"evm_tx", "0x" + ToHex(p.evm_tx)}}});
    return Status::OK();
  }
};

}  // namespace

Bytes BridgeWithdrawPayload::Encode() const {
  return Writer().Fixed(recipient).U128(amount).bytes();
}

Result<BridgeWithdrawPayload> BridgeWithdrawPayload::Decode(ByteView b) {
  BridgeWithdrawPayload p;
  Reader r(b);
  Status s = r.Fixed(&p.recipient);
  if (s.ok()) s = r.U128(&p.amount);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json BridgeWithdrawPayload::ToJson() const {
  return {{"recipient", EvmAddressToString(recipient)}, {"amount", AmountToString(amount)}};
}

Result<BridgeWithdrawPayload> BridgeWithdrawPayload::FromJson(const json& j) {
  BridgeWithdrawPayload p;
  TRIB_ASSIGN_OR_RETURN(std::string recipient, PayloadString(j, "recipient"));
  auto a = ParseEvmAddress(recipient);
  if (!a.ok()) return BadPayload("payload.recipient: " + a.status().message());
  p.recipient = *a;
  TRIB_ASSIGN_OR_RETURN(p.amount, AmountField(j, "amount"));
  return p;
}

Status BridgeWithdrawPayload::Check() const {
  if (amount == 0)
    return Status::InvalidArgument("a withdrawal needs an amount above 0", "bad_withdrawal");
  if (IsZero(recipient)) {
    return Status::InvalidArgument("a withdrawal needs a recipient other than the zero address",
                                   "bad_withdrawal");
  }
  return Status::OK();
}

Bytes BridgeCreditPayload::Encode() const {
  return Writer().U64(deposit_id).Fixed(account.bytes).U128(amount).Fixed(evm_tx).bytes();
}

Result<BridgeCreditPayload> BridgeCreditPayload::Decode(ByteView b) {
  BridgeCreditPayload p;
  Reader r(b);
  Status s = r.U64(&p.deposit_id);
  if (s.ok()) s = r.Fixed(&p.account.bytes);
  if (s.ok()) s = r.U128(&p.amount);
  if (s.ok()) s = r.Fixed(&p.evm_tx);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json BridgeCreditPayload::ToJson() const {
  return {{"deposit_id", deposit_id},
          {"account", account.ToString()},
          {"amount", AmountToString(amount)},
          {"evm_tx", "0x" + ToHex(evm_tx)}};
}

Result<BridgeCreditPayload> BridgeCreditPayload::FromJson(const json& j) {
  BridgeCreditPayload p;
  TRIB_ASSIGN_OR_RETURN(p.deposit_id, PayloadU64(j, "deposit_id"));
  TRIB_ASSIGN_OR_RETURN(std::string account, PayloadString(j, "account"));
  auto a = Address::Parse(account);
  if (!a.ok()) return BadPayload("payload.account: " + a.status().message());
  p.account = *a;
  TRIB_ASSIGN_OR_RETURN(p.amount, AmountField(j, "amount"));
  TRIB_ASSIGN_OR_RETURN(std::string tx, PayloadString(j, "evm_tx"));
  auto h = FixedFromHex<32>(tx);
  if (!h.ok() || tx.size() != 66 || tx.rfind("0x", 0) != 0) {
    return BadPayload("payload.evm_tx must be 0x and 64 hex digits");
  }
  p.evm_tx = *h;
  return p;
}

Status BridgeCreditPayload::Check() const {
  if (deposit_id == 0) return Status::InvalidArgument("deposit ids start at 1", "bad_credit");
  if (amount == 0) return Status::InvalidArgument("a credit needs an amount above 0", "bad_credit");
  return Status::OK();
}

void RegisterBridgeKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<BridgeWithdrawKind>());
  (void)registry.Add(std::make_unique<BridgeCreditKind>());
}

}  // namespace tributary::economy
