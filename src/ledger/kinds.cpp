// The ledger's own kinds: transfer, stake, unstake, stake.claim.
#include <algorithm>

#include "tributary/base/encoding.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/staking.h"
#include "tributary/ledger/tx.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary {
namespace {

using json = nlohmann::json;

Status InsufficientBalance(const char* what, Amount have, Amount need) {
  return Status::FailedPrecondition(std::string(what) + ": have " + AmountToString(have) +
                                        ", need " + AmountToString(need) + " base units",
                                    "insufficient_balance");
}

Result<Amount> AmountFromJson(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
    return Status::InvalidArgument(
        std::string("payload.") + field + " must be a string of base units", "bad_payload");
  }
  return ParseAmount(j[field].get<std::string>());
}

// transfer: 20B recipient | u128 amount
class TransferKind final : public TxKind {
 public:
  std::string_view name() const override { return "transfer"; }

  static Status Decode(ByteView p, Address* to, Amount* amount) {
    Reader r(p);
    Status s = r.Fixed(&to->bytes);
    if (s.ok()) s = r.U128(amount);
    if (s.ok()) s = r.ExpectEnd();
    return s.ok() ? s : MalformedPayload(s);
  }
  Status CheckPayload(ByteView p) const override {
    Address to;
    Amount amount;
    TRIB_RETURN_IF_ERROR(Decode(p, &to, &amount));
    if (amount == 0)
      return Status::InvalidArgument("transfer amount must be positive", "bad_amount");
    return Status::OK();
  }
  Result<json> PayloadToJson(ByteView p) const override {
    Address to;
    Amount amount;
    TRIB_RETURN_IF_ERROR(Decode(p, &to, &amount));
    return json{{"to", to.ToString()}, {"amount", AmountToString(amount)}};
  }
  Result<Bytes> PayloadFromJson(const json& j) const override {
    if (!j.is_object() || !j.contains("to") || !j["to"].is_string()) {
      return Status::InvalidArgument("payload.to must be an address string", "bad_payload");
    }
    TRIB_ASSIGN_OR_RETURN(Address to, Address::Parse(j["to"].get<std::string>()));
    TRIB_ASSIGN_OR_RETURN(Amount amount, AmountFromJson(j, "amount"));
    Bytes payload = Writer().Fixed(to.bytes).U128(amount).bytes();
    TRIB_RETURN_IF_ERROR(CheckPayload(payload));  // what the JSON says must be a valid payload
    return payload;
  }
  Status Apply(TxContext& ctx, ByteView p) const override {
    Address to;
    Amount amount;
    TRIB_RETURN_IF_ERROR(Decode(p, &to, &amount));
    TRIB_RETURN_IF_ERROR(MoveBalance(ctx.state, ctx.sender, to, amount, "transfer"));
    ctx.events.push_back({"transfer",
                          {{"from", ctx.sender.ToString()},
                           {"to", to.ToString()},
                           {"amount", AmountToString(amount)}}});
    return Status::OK();
  }
};

// stake / unstake: u128 amount
class AmountOnlyKind : public TxKind {
 public:
  static Status Decode(ByteView p, Amount* amount) {
    Reader r(p);
    Status s = r.U128(amount);
    if (s.ok()) s = r.ExpectEnd();
    return s.ok() ? s : MalformedPayload(s);
  }
  Status CheckPayload(ByteView p) const override {
    Amount amount;
    TRIB_RETURN_IF_ERROR(Decode(p, &amount));
    if (amount == 0) {
      return Status::InvalidArgument(std::string(name()) + " amount must be positive",
                                     "bad_amount");
    }
    return Status::OK();
  }
  Result<json> PayloadToJson(ByteView p) const override {
    Amount amount;
    TRIB_RETURN_IF_ERROR(Decode(p, &amount));
    return json{{"amount", AmountToString(amount)}};
  }
  Result<Bytes> PayloadFromJson(const json& j) const override {
    TRIB_ASSIGN_OR_RETURN(Amount amount, AmountFromJson(j, "amount"));
    Bytes payload = Writer().U128(amount).bytes();
    TRIB_RETURN_IF_ERROR(CheckPayload(payload));  // a zero amount is refused here too
    return payload;
  }
};

class StakeKind final : public AmountOnlyKind {
 public:
  std::string_view name() const override { return "stake"; }
  Status Apply(TxContext& ctx, ByteView p) const override {
    Amount amount;
    TRIB_RETURN_IF_ERROR(Decode(p, &amount));
    TRIB_ASSIGN_OR_RETURN(Account a, LoadAccount(ctx.state, ctx.sender));
    auto left = CheckedSub(a.balance, amount);
    if (!left) return InsufficientBalance("stake", a.balance, amount);
    auto staked = CheckedAdd(a.staked, amount);
    if (!staked) return Status::FailedPrecondition("stake would overflow", "amount_overflow");
    a.balance = *left;
    a.staked = *staked;
    StoreAccount(ctx.state, ctx.sender, a);
    ctx.events.push_back(
        {"stake", {{"account", ctx.sender.ToString()}, {"amount", AmountToString(amount)}}});
    return Status::OK();
  }
};

class UnstakeKind final : public AmountOnlyKind {
 public:
  std::string_view name() const override { return "unstake"; }
  Status Apply(TxContext& ctx, ByteView p) const override {
    Amount amount;
    TRIB_RETURN_IF_ERROR(Decode(p, &amount));
    TRIB_ASSIGN_OR_RETURN(Account a, LoadAccount(ctx.state, ctx.sender));
    auto staked = CheckedSub(a.staked, amount);
    if (!staked) return InsufficientBalance("unstake (staked)", a.staked, amount);
    auto unbonding = CheckedAdd(a.unbonding, amount);
    if (!unbonding)
      return Status::FailedPrecondition("unbonding would overflow", "amount_overflow");
    a.staked = *staked;
    a.unbonding = *unbonding;
    StoreAccount(ctx.state, ctx.sender, a);
    // At least one block ahead: this block's BeginBlock has already run.
    uint64_t release = ctx.height + std::max<uint64_t>(1, ctx.params.unbonding_blocks);
    TRIB_ASSIGN_OR_RETURN(auto queue, LoadUnbonding(ctx.state, release));
    queue.push_back({ctx.sender, amount});
    StoreUnbonding(ctx.state, release, queue);
    ctx.events.push_back({"unstake",
                          {{"account", ctx.sender.ToString()},
                           {"amount", AmountToString(amount)},
                           {"release_height", std::to_string(release)}}});
    return Status::OK();
  }
};

// stake.claim: empty payload. Pays the sender its staking rewards (ledger/staking.h).
class ClaimStakingRewardsKind final : public TxKind {
 public:
  std::string_view name() const override { return "stake.claim"; }
  Status CheckPayload(ByteView p) const override {
    if (!p.empty())
      return MalformedPayload(Status::InvalidArgument("stake.claim takes no payload"));
    return Status::OK();
  }
  Result<json> PayloadToJson(ByteView p) const override {
    TRIB_RETURN_IF_ERROR(CheckPayload(p));
    return json::object();
  }
  Result<Bytes> PayloadFromJson(const json& j) const override {
    if (!j.is_null() && !(j.is_object() && j.empty())) {
      return Status::InvalidArgument("stake.claim takes no payload fields", "bad_payload");
    }
    return Bytes{};
  }
  Status Apply(TxContext& ctx, ByteView p) const override {
    TRIB_ASSIGN_OR_RETURN(Amount paid, ClaimStakingRewards(ctx.state, ctx.sender));
    if (paid == 0) {
      return Status::FailedPrecondition("no staking rewards to claim", "nothing_to_claim");
    }
    ctx.events.push_back(
        {"stake.claimed", {{"account", ctx.sender.ToString()}, {"amount", AmountToString(paid)}}});
    return Status::OK();
  }
};

}  // namespace

void RegisterLedgerKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<TransferKind>());
  (void)registry.Add(std::make_unique<StakeKind>());
  (void)registry.Add(std::make_unique<UnstakeKind>());
  (void)registry.Add(std::make_unique<ClaimStakingRewardsKind>());
}

}  // namespace tributary
