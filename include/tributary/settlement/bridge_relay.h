// The node's side of the OPEN bridge (docs/settlement.md, "The bridge"): deposits made on the
// EVM chain are credited on Tributary, withdrawals made on Tributary are released on the EVM
// chain with a proof against a committed state root.
//
// Deposits. CreditDeposits reads OpenBridge's Deposited events up to the EVM block that has
// `confirmations` confirmations and, for each deposit not credited yet (its 'D' record is
// absent from the committed state and from the mempool), submits bridge.credit signed by the
// sequencer (Chain::SubmitSigned). The ledger credits a deposit id at most once, so a repeat is
// harmless; the scan's progress (an EVM block below which every deposit is credited) is kept in
// DIR/settlement/bridge-cursor and advances only past credited deposits. A deposit the escrow
// cannot pay fails the pass with FailedPrecondition "bridge_escrow_short" (retried, logged).
//
// Withdrawals. OpenBridge.release needs a proof of the withdrawal record against the state root
// of a height posted to TributaryCommitments (a multiple of `every`). The state is only provable
// at the latest block, so the relay proves every withdrawal without a proof when a block at a
// multiple of `every` is committed (a commit listener: the chain's state is that block's until
// the listener returns), and keeps the proofs in DIR/settlement/withdrawal-proofs.jsonl. At open
// each stored proof is checked against the stored header at its height; one that does not hold
// (a block lost before it was durable) is dropped and proven again at the next such height.
// NextRelease gives the oldest withdrawal not yet released whose proof height is final on the
// contract; the CommitmentPoster sends it from the same EVM key as its posts (one transaction in
// flight), and anyone else may too: release pays the recipient, whoever sends it.
//
// Thread-safety: all methods are safe to call from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tributary/base/keys.h"
#include "tributary/base/uint256.h"
#include "tributary/economy/bridge.h"
#include "tributary/evm/address.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/ledger/chain.h"
#include "tributary/settlement/bridge_contract.h"
#include "tributary/settlement/commitments_contract.h"

namespace tributary::settlement {

struct BridgeRelayOptions {
  evm::Address bridge;          //!< the OpenBridge contract
  uint64_t every = 0;           //!< the commitments' interval (proofs are taken at its multiples)
  uint64_t confirmations = 12;  //!< a deposit is credited once its EVM block has this many (>= 1)
  uint64_t from_block = 0;      //!< the first EVM block to scan when there is no cursor yet
  uint64_t max_log_range = 10000;    //!< EVM blocks per eth_getLogs
  std::filesystem::path dir;         //!< where the cursor and the proofs are kept (DIR/settlement)
  std::optional<KeyPair> sequencer;  //!< signs bridge.credit (required)
};

//! A withdrawal record's proof at a height. Value type.
struct WithdrawalProof {
  uint64_t id = 0;
  uint64_t height = 0;  //!< a multiple of `every`
  std::vector<Hash32> siblings;
};

//! A release ready to send. Value type.
struct PendingRelease {
  uint64_t id = 0;
  economy::Withdrawal withdrawal;
  WithdrawalProof proof;
  Bytes calldata;  //!< OpenBridge.release(...)
};

//! A snapshot of the relay's progress. Value type.
struct BridgeRelayStats {
  evm::Address bridge;
  uint64_t confirmations = 0;
  uint64_t scanned_to = 0;         //!< every deposit in EVM blocks below this is credited
  uint64_t credits_submitted = 0;  //!< bridge.credit txs this node submitted since start
  std::optional<DepositedEvent> last_deposit_credited;
  uint64_t withdrawals_proven = 0;  //!< withdrawals with a stored proof
  uint64_t releases = 0;            //!< releases this node saw through since start
  uint64_t release_gas_total = 0;
  std::optional<uint64_t> last_released_id;
  std::optional<Hash32> last_release_tx;
  std::optional<uint64_t> last_release_gas;
  std::set<uint64_t> released;  //!< withdrawal ids known to be released on the EVM chain
};

class BridgeRelay {
 public:
  //! Loads the cursor and the proofs from options.dir (creating it), checking each proof against
  //! the chain. InvalidArgument for bad options; IOError when the directory is unusable.
  static Result<std::unique_ptr<BridgeRelay>> Open(Chain* chain,
                                                   std::unique_ptr<evm::RpcClient> rpc,
                                                   BridgeRelayOptions options);
  ~BridgeRelay();
  BridgeRelay(const BridgeRelay&) = delete;
  BridgeRelay& operator=(const BridgeRelay&) = delete;

  const evm::Address& address() const { return options_.bridge; }

  //! Starts taking proofs at committed multiples of `every` (a commit listener).
  void Start();
  void Stop();

  //! The contract checks: code at the bridge address, and its commitments() is `commitments`
  //! (FailedPrecondition "bridge_mismatch" otherwise).
  Status Check(const evm::Address& commitments) const;
  //! One pass over the deposits (see above).
  Status CreditDeposits();
  //! The oldest withdrawal ready to release against `contract` at latestHeight `posted`, if any.
  Result<std::optional<PendingRelease>> NextRelease(const CommitmentsContract& contract,
                                                    uint64_t posted);
  //! A release mined successfully (or found already released).
  void NoteReleased(uint64_t id, std::optional<Hash32> tx, std::optional<uint64_t> gas);

  //! The stored proof of withdrawal `id`, if any.
  std::optional<WithdrawalProof> Proof(uint64_t id) const;
  BridgeRelayStats stats() const;

 private:
  BridgeRelay(Chain* chain, std::unique_ptr<evm::RpcClient> rpc, BridgeRelayOptions options);
  Status Load();
  // At a multiple of `every`: proves every withdrawal without a proof.
  void Capture(uint64_t height);
  Status SaveCursor(uint64_t cursor);
  Status RewriteProofsLocked();
  bool HoldsLocked(const WithdrawalProof& p);

  Chain* const chain_;
  const std::unique_ptr<evm::RpcClient> rpc_;
  const BridgeRelayOptions options_;
  const BridgeContract contract_;

  mutable std::mutex mu_;
  std::map<uint64_t, WithdrawalProof> proofs_;  // by withdrawal id
  uint64_t cursor_ = 0;
  BridgeRelayStats stats_;
  uint64_t listener_ = 0;
  bool listening_ = false;
};

}  // namespace tributary::settlement
