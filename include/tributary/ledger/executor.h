// The state transition: deterministic rules for applying transactions.
//
// A transaction is *valid* (may enter the mempool or a block) when it passes
// CheckTx and, against the state it will run on, its nonce is the sender's
// next nonce and the sender can pay its fee. A valid transaction always gets
// a receipt: the fee is charged and the nonce advances even if the kind's
// action then fails (insufficient funds for the amount, say); the failure is
// recorded in the receipt and the action's writes are dropped.
#pragma once

#include "tributary/ledger/genesis.h"
#include "tributary/ledger/receipt.h"
#include "tributary/ledger/state.h"
#include "tributary/ledger/tx.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary {

class Executor {
 public:
  //! Both must outlive the executor. Thread-safe (no mutable state).
  Executor(const Genesis& genesis, const TxKindRegistry& kinds)
      : genesis_(genesis), kinds_(kinds) {}

  const Genesis& genesis() const { return genesis_; }
  const TxKindRegistry& kinds() const { return kinds_; }

  //! State-independent checks: size, chain id, kind, payload, fee cap, signature.
  //! Reasons: oversized, wrong_chain_id, unknown_kind, malformed_encoding, bad_amount,
  //! fee_too_low, amount_overflow, bad_signature.
  Status CheckTx(const Transaction& tx, size_t encoded_size) const;

  //! Writes the genesis allocation.
  void ApplyGenesis(Overlay& state) const;

  //! Start of block `height`: releases unbonded stake due at this height.
  Status BeginBlock(Overlay& state, uint64_t height) const;

  //! Applies a CheckTx-valid tx to the block at `height` whose header carries `timestamp_ms`. Error
  //! (bad_nonce, insufficient_balance for the fee) means the tx is not valid here and must not be
  //! included; state is then unchanged. When `action_status` is given it receives the kind's own
  //! result (OK, or why the receipt says failed).
  Result<Receipt> ApplyTx(Overlay& state, const Transaction& tx, const Hash32& tx_hash,
                          size_t encoded_size, uint64_t height, uint64_t timestamp_ms,
                          const Address& fee_collector, Status* action_status = nullptr) const;

 private:
  const Genesis& genesis_;
  const TxKindRegistry& kinds_;
};

}  // namespace tributary
