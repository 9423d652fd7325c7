// The node's side of reward epochs (docs/settlement.md, "Reward epochs and claims"; the ledger
// side is economy/rewards.h, the contract contracts/src/RewardDistributor.sol).
//
// Every `epoch_blocks` blocks the node closes the open epoch (rewards.close, signed by the
// sequencer, with the poster's EVM address as the recipient of the epoch's withdrawal). Once the
// bridge relay has released that withdrawal to the poster on the EVM chain, NextCall gives the
// poster's next transaction: approve(distributor) when the allowance is short, then
// postEpoch(epoch, root, total), epochs strictly in order from the contract's lastEpoch() + 1.
// An epoch without earnings is posted with root 0 and total 0 (the contract's epochs are
// sequential). The root is OpenZeppelin's StandardMerkleTree over the epoch's leaves
// (address, uint256), which anyone can rebuild from the ledger's state; Claim gives an address's
// amount and proof.
//
// Thread-safety: all methods are safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/keys.h"
#include "tributary/economy/rewards.h"
#include "tributary/evm/address.h"
#include "tributary/evm/keys.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/ledger/chain.h"
#include "tributary/settlement/bridge_contract.h"

namespace tributary::settlement {

//! An epoch's Merkle tree. Value type.
struct EpochTree {
  Hash32 root{};                                               //!< zero for an epoch without leaves
  std::vector<std::pair<economy::EvmAddress, Amount>> leaves;  //!< in ledger order
  std::vector<std::vector<Hash32>> proofs;                     //!< per leaf
};

//! The tree RewardDistributor checks claims against (empty leaves: root 0).
Result<EpochTree> BuildEpochTree(std::vector<std::pair<economy::EvmAddress, Amount>> leaves);

//! An address's claim in an epoch. Value type.
struct RewardClaim {
  uint64_t epoch = 0;
  economy::EvmAddress account{};
  Amount amount = 0;
  std::vector<Hash32> proof;
  Hash32 root{};
};

//! The calldata of RewardDistributor.claim(epoch, account, amount, proof).
Bytes EncodeClaim(const RewardClaim& claim);

//! The state of `epoch`'s tree from a chain: NotFound "unknown_epoch" when it is not closed
//! (its leaves may still grow).
Result<EpochTree> ClosedEpochTree(Chain* chain, uint64_t epoch);
//! `account`'s claim in closed epoch `epoch`: NotFound "no_claim" when it has no leaf there.
Result<RewardClaim> ClaimIn(Chain* chain, uint64_t epoch, const economy::EvmAddress& account);

//! Sends `claim` to the RewardDistributor at `distributor` from `key` (anyone may: it pays the
//! claim's account) and waits for its receipt (SendAndWait's errors; a claim the contract refuses,
//! e.g. one already made, fails before sending with reason "execution_reverted").
Result<evm::TransactionReceipt> SendClaim(evm::RpcClient* rpc, const evm::PrivateKey& key,
                                          const evm::Address& distributor,
                                          const RewardClaim& claim,
                                          std::chrono::milliseconds timeout);

struct RewardEpochsOptions {
  evm::Address distributor;          //!< the RewardDistributor contract
  evm::Address poster;               //!< its poster (the settlement key's address)
  uint64_t epoch_blocks = 0;         //!< close an epoch every this many blocks (>= 1)
  std::optional<KeyPair> sequencer;  //!< signs rewards.close (required)
};

//! A contract call for the poster to send. Value type.
struct RewardCall {
  enum class Kind { kApprove, kPostEpoch } kind = Kind::kPostEpoch;
  uint64_t epoch = 0;
  Hash32 root{};
  Amount total = 0;
  uint64_t leaves = 0;
  evm::Address to;
  Bytes calldata;
};

struct RewardEpochsStats {
  evm::Address distributor;
  uint64_t epoch_blocks = 0;
  uint64_t open_epoch = 1;                      //!< on this chain
  std::optional<uint64_t> contract_last_epoch;  //!< lastEpoch() as last read
  uint64_t closes_submitted = 0;
  uint64_t epochs_posted = 0;  //!< by this process
  uint64_t post_gas_total = 0;
  std::optional<RewardCall> last_posted;
  std::optional<Hash32> last_post_tx;
  std::optional<uint64_t> last_post_gas;
};

class RewardEpochs {
 public:
  //! InvalidArgument "bad_settle_option" for epoch_blocks 0 or no sequencer key.
  static Result<std::unique_ptr<RewardEpochs>> Create(Chain* chain,
                                                      std::unique_ptr<evm::RpcClient> rpc,
                                                      RewardEpochsOptions options);

  const evm::Address& address() const { return options_.distributor; }

  //! The contract checks: code at the address; its token() is the bridge's token and its poster()
  //! is the settlement key (FailedPrecondition "rewards_mismatch" / "not_poster").
  Status Check(const evm::Address& bridge_token) const;
  //! Submits rewards.close when the open epoch is due (none pending).
  Status CloseDue();
  //! The next call to send (see above), if any. `released` tells whether bridge withdrawal `id`
  //! is released on the EVM chain.
  Result<std::optional<RewardCall>> NextCall(const std::function<Result<bool>(uint64_t)>& released);
  //! A call mined successfully.
  void NoteMined(const RewardCall& call, const evm::TransactionReceipt& receipt);

  RewardEpochsStats stats() const;

 private:
  RewardEpochs(Chain* chain, std::unique_ptr<evm::RpcClient> rpc, RewardEpochsOptions options);
  Result<uint64_t> LastEpoch() const;

  Chain* const chain_;
  const std::unique_ptr<evm::RpcClient> rpc_;
  const RewardEpochsOptions options_;

  mutable std::mutex mu_;
  mutable RewardEpochsStats stats_;  // guarded by mu_; LastEpoch records what it read
};

}  // namespace tributary::settlement
