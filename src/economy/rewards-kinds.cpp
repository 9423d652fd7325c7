// rewards.set_payout and rewards.close (rules in economy/rewards.h).
#include <memory>

#include "tributary/base/encoding.h"
#include "tributary/economy/rewards.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/tx.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

bool IsZero(const EvmAddress& a) {
  for (uint8_t b : a) {
    if (b) return false;
  }
  return true;
}

Result<EvmAddress> EvmField(const json& j, const char* field) {
  TRIB_ASSIGN_OR_RETURN(std::string text, PayloadString(j, field));
  auto a = ParseEvmAddress(text);
  if (!a.ok()) return BadPayload(std::string("payload.") + field + ": " + a.status().message());
  return *a;
}

class SetPayoutKind final : public PayloadKind<SetPayoutPayload> {
 public:
  std::string_view name() const override { return kSetPayoutKind; }

 protected:
  Status Check(const SetPayoutPayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const SetPayoutPayload& p) const override {
    StorePayoutAddress(ctx.state, ctx.sender, p.evm_address);
    ctx.events.push_back(
        {"rewards.payout_set",
         {{"account", ctx.sender.ToString()},
          {"evm_address", p.evm_address ? EvmAddressToString(*p.evm_address) : ""}}});
    return Status::OK();
  }
};

class CloseEpochKind final : public PayloadKind<CloseEpochPayload> {
 public:
  std::string_view name() const override { return kCloseEpochKind; }

 protected:
  Status Check(const CloseEpochPayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const CloseEpochPayload& p) const override {
    if (ctx.tx.sender != ctx.sequencer) {
      return Status::PermissionDenied("only the chain's sequencer closes reward epochs",
                                      "not_sequencer");
    }
    TRIB_ASSIGN_OR_RETURN(uint64_t open, LoadOpenEpoch(ctx.state));
    if (p.epoch != open) {
      return Status::FailedPrecondition("reward epoch " + std::to_string(p.epoch) +
                                            " is not the open one (" + std::to_string(open) + ")",
                                        "wrong_epoch");
    }
    TRIB_ASSIGN_OR_RETURN(RewardEpoch e, LoadRewardEpoch(ctx.state, open));
    e.closed = true;
    e.close_height = ctx.height;
    e.recipient = p.recipient;
    if (e.total > 0) {
      // The epoch's OPEN is already in the bridge escrow; this releases it on the EVM side.
      TRIB_ASSIGN_OR_RETURN(e.withdrawal_id,
                            AppendWithdrawal(ctx.state, Withdrawal{p.recipient, e.total}));
    }
    StoreRewardEpoch(ctx.state, open, e);
    StoreOpenEpoch(ctx.state, open + 1);
    ctx.events.push_back({"rewards.closed",
                          {{"epoch", std::to_string(open)},
                           {"total", AmountToString(e.total)},
                           {"leaves", std::to_string(e.leaves)},
                           {"withdrawal_id", std::to_string(e.withdrawal_id)}}});
    return Status::OK();
  }
};

}  // namespace

Bytes SetPayoutPayload::Encode() const {
  Writer w;
  w.U8(evm_address ? 1 : 0);
  if (evm_address) w.Fixed(*evm_address);
  return w.bytes();
}

Result<SetPayoutPayload> SetPayoutPayload::Decode(ByteView b) {
  SetPayoutPayload p;
  Reader r(b);
  uint8_t set = 0;
  Status s = r.U8(&set);
  if (s.ok() && set > 1) s = Status::InvalidArgument("flag is not 0 or 1");
  if (s.ok() && set == 1) {
    EvmAddress a;
    s = r.Fixed(&a);
    p.evm_address = a;
  }
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json SetPayoutPayload::ToJson() const {
  return {{"evm_address", evm_address ? EvmAddressToString(*evm_address) : ""}};
}

Result<SetPayoutPayload> SetPayoutPayload::FromJson(const json& j) {
  SetPayoutPayload p;
  TRIB_ASSIGN_OR_RETURN(std::string text, PayloadString(j, "evm_address", std::string()));
  if (text.empty()) return p;
  auto a = ParseEvmAddress(text);
  if (!a.ok()) return BadPayload("payload.evm_address: " + a.status().message());
  p.evm_address = *a;
  return p;
}

Status SetPayoutPayload::Check() const {
  if (evm_address && IsZero(*evm_address)) {
    return Status::InvalidArgument(
        "the payout address cannot be the zero address (send \"\" to clear it)", "bad_payout");
  }
  return Status::OK();
}

Bytes CloseEpochPayload::Encode() const { return Writer().U64(epoch).Fixed(recipient).bytes(); }

Result<CloseEpochPayload> CloseEpochPayload::Decode(ByteView b) {
  CloseEpochPayload p;
  Reader r(b);
  Status s = r.U64(&p.epoch);
  if (s.ok()) s = r.Fixed(&p.recipient);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json CloseEpochPayload::ToJson() const {
  return {{"epoch", epoch}, {"recipient", EvmAddressToString(recipient)}};
}

Result<CloseEpochPayload> CloseEpochPayload::FromJson(const json& j) {
  CloseEpochPayload p;
  TRIB_ASSIGN_OR_RETURN(p.epoch, PayloadU64(j, "epoch"));
  TRIB_ASSIGN_OR_RETURN(p.recipient, EvmField(j, "recipient"));
  return p;
}

Status CloseEpochPayload::Check() const {
  if (epoch == 0) return Status::InvalidArgument("reward epochs start at 1", "bad_epoch");
  if (IsZero(recipient)) {
    return Status::InvalidArgument("an epoch's recipient cannot be the zero address", "bad_epoch");
  }
  return Status::OK();
}

void RegisterRewardKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<SetPayoutKind>());
  (void)registry.Add(std::make_unique<CloseEpochKind>());
}

}  // namespace tributary::economy
