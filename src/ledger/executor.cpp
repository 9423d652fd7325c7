#include "tributary/ledger/executor.h"

#include "tributary/ledger/account.h"
#include "tributary/ledger/params.h"
#include "tributary/ledger/staking.h"

namespace tributary {

Status Executor::CheckTx(const Transaction& tx, size_t encoded_size) const {
  const ChainParams& p = genesis_.params;
  if (encoded_size > p.max_tx_bytes) {
    return Status::ResourceExhausted("transaction of " + std::to_string(encoded_size) +
                                         " bytes exceeds the limit of " +
                                         std::to_string(p.max_tx_bytes),
                                     "oversized");
  }
  if (tx.chain_id != genesis_.chain_id) {
    return Status::InvalidArgument(
        "chain id '" + tx.chain_id + "' does not match this chain ('" + genesis_.chain_id + "')",
        "wrong_chain_id");
  }
  const TxKind* kind = kinds_.Find(tx.kind);
  if (!kind)
    return Status::InvalidArgument("unknown transaction kind '" + tx.kind + "'", "unknown_kind");
  TRIB_RETURN_IF_ERROR(kind->CheckPayload(tx.payload));
  auto fee = p.FeeFor(encoded_size);
  if (!fee) return Status::InvalidArgument("fee overflows", "amount_overflow");
  if (tx.max_fee < *fee) {
    return Status::InvalidArgument("max_fee " + AmountToString(tx.max_fee) +
                                       " is below the required fee " + AmountToString(*fee),
                                   "fee_too_low");
  }
  if (!tx.SignatureValid()) {
    return Status::PermissionDenied("signature does not verify for the sender key",
                                    "bad_signature");
  }
  return Status::OK();
}

void Executor::ApplyGenesis(Overlay& state) const {
  for (const auto& a : genesis_.accounts) {
    Account acct;
    acct.balance = a.balance;
    StoreAccount(state, a.address, acct);
  }
  // Parameters the genesis sets differently from their defaults (checked against the registry by
  // the node that loads the genesis: the ledger does not know the names).
  for (const auto& [name, value] : genesis_.protocol_params) {
    ParamRecord rec;
    rec.value = value;
    rec.previous = value;
    state.Put(ParamKey(name), rec.Encode());
  }
}

// Releases move unbonding to balance: an account's weight and stake stay the same, so there are no
// votes or staking records to track here.
Status Executor::BeginBlock(Overlay& state, uint64_t height) const {
  TRIB_ASSIGN_OR_RETURN(auto due, LoadUnbonding(state, height));
  for (const auto& e : due) {
    TRIB_ASSIGN_OR_RETURN(Account a, LoadAccount(state, e.address));
    auto unbonding = CheckedSub(a.unbonding, e.amount);
    auto balance = CheckedAdd(a.balance, e.amount);
    if (!unbonding || !balance) return Status::Corruption("unbonding entry exceeds the account's");
    a.unbonding = *unbonding;
    a.balance = *balance;
    StoreAccount(state, e.address, a);
  }
  if (!due.empty()) StoreUnbonding(state, height, {});
  return Status::OK();
}

Result<Receipt> Executor::ApplyTx(Overlay& state, const Transaction& tx, const Hash32& tx_hash,
                                  size_t encoded_size, uint64_t height, uint64_t timestamp_ms,
                                  const Address& fee_collector, Status* action_status) const {
  const Address sender = tx.sender_address();
  TRIB_ASSIGN_OR_RETURN(Account acct, LoadAccount(state, sender));
  if (tx.nonce != acct.nonce) {
    return Status::FailedPrecondition(
        (tx.nonce < acct.nonce ? "nonce " + std::to_string(tx.nonce) + " was already used"
                               : "nonce " + std::to_string(tx.nonce) + " is ahead") +
            "; the sender's next nonce is " + std::to_string(acct.nonce),
        "bad_nonce");
  }
  Amount fee = *genesis_.params.FeeFor(encoded_size);  // CheckTx proved it fits
  // The block's proposer paying its own fee moves nothing: it may send with an empty balance
  // (the node's own inference.settle transactions).
  const bool self_paid = sender == fee_collector;
  auto after_fee = self_paid ? std::optional<Amount>(acct.balance) : CheckedSub(acct.balance, fee);
  if (!after_fee) {
    return Status::FailedPrecondition(
        "balance " + AmountToString(acct.balance) + " cannot pay the fee " + AmountToString(fee),
        "insufficient_balance");
  }
  acct.balance = *after_fee;
  acct.nonce += 1;
  // Fee writes go through their own overlay so an error leaves `state` untouched.
  Overlay charged(&state);
  StoreAccount(charged, sender, acct);
  TRIB_ASSIGN_OR_RETURN(Account collector, LoadAccount(charged, fee_collector));
  auto collected =
      self_paid ? std::optional<Amount>(collector.balance) : CheckedAdd(collector.balance, fee);
  if (!collected) return Status::Internal("fee collector balance overflows");
  collector.balance = *collected;
  StoreAccount(charged, fee_collector, collector);
  TRIB_RETURN_IF_ERROR(TrackAccountChanges(charged, state, height));
  charged.MergeInto(&state);

  Receipt receipt;
  receipt.tx_hash = tx_hash;
  receipt.fee_charged = fee;
  Overlay action(&state);
  std::vector<Event> events;
  TxContext ctx{action,          tx,     tx_hash,
                sender,          height, timestamp_ms,
                genesis_.params, events, genesis_.sequencer,
                genesis_.supply};
  Status s = kinds_.Find(tx.kind)->Apply(ctx, tx.payload);
  // Votes and staking rewards follow every account the action changed.
  if (s.ok()) s = TrackAccountChanges(action, state, height);
  if (action_status) *action_status = s;
  if (s.ok()) {
    action.MergeInto(&state);
    receipt.events = std::move(events);
  } else {
    receipt.status = Receipt::kFailed;
    receipt.error = s.ToString();
  }
  return receipt;
}

}  // namespace tributary
