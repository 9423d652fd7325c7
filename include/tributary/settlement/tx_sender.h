// Sending contract calls from one EVM key as EIP-1559 transactions, one at a time, each followed
// to its receipt. What every settlement poster needs (block commitments now; reward epochs and
// bridge transactions later), kept apart from what each one posts.
//
// Send: the nonce is eth_getTransactionCount(sender, "pending"); the priority fee is
// eth_maxPriorityFeePerGas (TxSenderOptions::fallback_priority_fee when the node does not
// support it); maxFeePerGas = 2 × the latest block's baseFeePerGas + the priority fee; the gas
// limit is eth_estimateGas plus headroom. The transaction is signed before it is sent and is "in
// flight" from then on, even when sending failed for want of a connection (it may have reached
// the node). Poll looks for the receipt of every version sent. One without a receipt
// receipt_timeout after it was sent is stuck: when its nonce is still unused, Replace re-signs the
// same nonce with higher fees (both fees at least 12.5% up, which nodes require of a replacement,
// and at least the current estimate), so at most one of the versions can ever be mined; when a
// transaction we have no receipt for used the nonce, Poll says so and forgets it.
//
// Thread-safety: none; one thread owns a TxSender. The RpcClient may be shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/uint256.h"
#include "tributary/evm/address.h"
#include "tributary/evm/eip1559.h"
#include "tributary/evm/keys.h"
#include "tributary/evm/rpc_client.h"

namespace tributary::settlement {

struct TxSenderOptions {
  //! The priority fee (wei per gas) when the node has no eth_maxPriorityFeePerGas: 1 gwei.
  U256 fallback_priority_fee = U256(1'000'000'000);
  //! The gas limit is the estimate plus this percentage of it.
  uint64_t gas_headroom_percent = 25;
  //! A transaction without a receipt this long after it was sent is stuck (Poll: kStuck).
  std::chrono::milliseconds receipt_timeout{180000};
};

//! The fees of one transaction, in wei per gas. Value type.
struct TxFees {
  U256 max_fee_per_gas;
  U256 max_priority_fee_per_gas;
};

//! The transaction a TxSender is following.
struct InFlightTx {
  evm::Eip1559Transaction tx;  //!< the latest version (the nonce never changes, fees only rise)
  std::vector<Hash32> hashes;  //!< every version the node may have, oldest first
  std::chrono::steady_clock::time_point sent_at;  //!< when the latest version was sent
};

//! What Poll found.
enum class TxState {
  kPending,    //!< no receipt yet, not stuck
  kMined,      //!< a receipt (success or revert); no longer in flight
  kStuck,      //!< no receipt after receipt_timeout and the nonce is unused: Replace (or Forget)
  kNonceUsed,  //!< the nonce was used by a transaction we have no receipt for; forgotten
};

struct TxPoll {
  TxState state = TxState::kPending;
  std::optional<evm::TransactionReceipt> receipt;  //!< with kMined
};

class TxSender {
 public:
  //! Signs with `key` for EVM chain `chain_id`; `rpc` is not owned and must outlive this object.
  TxSender(evm::RpcClient* rpc, evm::PrivateKey key, uint64_t chain_id,
           TxSenderOptions options = {});

  const evm::Address& address() const { return key_.address(); }
  uint64_t chain_id() const { return chain_id_; }

  //! The fees to offer now. FailedPrecondition (reason "no_base_fee") on a chain without
  //! EIP-1559 (its latest block has no baseFeePerGas); RpcClient's errors otherwise.
  Result<TxFees> EstimateFees();

  //! Sends a call of `data` to `to` (no value). Errors: FailedPrecondition "tx_in_flight" while
  //! another is in flight; eth_estimateGas's (reason "execution_reverted" when the call would
  //! revert: nothing is sent); the node's refusal of the signed transaction (rpc_error: nonce too
  //! low, insufficient funds, ...: nothing is in flight); a transport error after signing (the
  //! transaction stays in flight: Poll finds out whether it arrived).
  Status Send(const evm::Address& to, Bytes data);

  //! One look at the transaction in flight (FailedPrecondition "no_tx_in_flight" when none).
  //! RpcClient's errors leave it in flight.
  Result<TxPoll> Poll();

  //! Re-signs the transaction in flight with the same nonce and higher fees and sends it; the
  //! earlier versions stay in `hashes`, since one of them may still be mined instead. The node's
  //! refusal (e.g. "replacement transaction underpriced") is returned and the next Replace
  //! raises the fees again.
  Status Replace();

  //! Stops following the transaction in flight.
  void Forget() { in_flight_.reset(); }
  const std::optional<InFlightTx>& in_flight() const { return in_flight_; }

 private:
  // Signs `tx`, makes it the version in flight and sends it.
  Status SignAndSend(const evm::Eip1559Transaction& tx);

  evm::RpcClient* rpc_;
  evm::PrivateKey key_;
  uint64_t chain_id_;
  TxSenderOptions options_;
  std::optional<InFlightTx> in_flight_;
};

//! Sends a call of `data` to `to` through `sender` and follows it to its receipt, replacing it
//! when stuck, for up to `timeout`. FailedPrecondition "<what>_reverted" on a revert, "nonce_used"
//! when another transaction took its nonce; Unavailable "receipt_timeout"; Send's and Poll's
//! errors (each with `what` as context).
Result<evm::TransactionReceipt> SendAndWait(TxSender& sender, const evm::Address& to, Bytes data,
                                            std::chrono::milliseconds timeout, const char* what);

}  // namespace tributary::settlement
