// The TributaryCommitments contract (contracts/src/TributaryCommitments.sol) as the node sees it:
// the calldata of post(), its views read with eth_call, and its CommitmentPosted events.
//
// A view that reverts, or whose answer does not decode as the contract's return type, fails with
// FailedPrecondition, reason "not_commitments_contract" (the address holds some other contract);
// RpcClient's other errors pass through unchanged.
//
// Thread-safety: immutable after construction; any thread may use it (RpcClient is thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/evm/address.h"
#include "tributary/evm/rpc_client.h"

namespace tributary::settlement {

//! A commitment as the contract stores it (commitment(height)). Value type.
struct PostedCommitment {
  Hash32 block_hash{};
  Hash32 state_root{};
  uint64_t posted_at = 0;  //!< EVM block timestamp of the post (seconds); 0: none at that height
};

//! A CommitmentPosted(uint64 indexed height, bytes32 blockHash, bytes32 stateRoot,
//! uint64 postedAt) log. Value type.
struct CommitmentPostedEvent {
  uint64_t height = 0;
  PostedCommitment commitment;
  std::optional<uint64_t> evm_block;  //!< the EVM block holding the post (none while pending)
  std::optional<Hash32> tx_hash;      //!< the EVM transaction that posted
};

class CommitmentsContract {
 public:
  //! The contract at `address`, read through `rpc` (not owned; must outlive this object).
  CommitmentsContract(evm::RpcClient* rpc, const evm::Address& address)
      : rpc_(rpc), address_(address) {}

  const evm::Address& address() const { return address_; }

  //! OK when `address` holds code at the latest block; FailedPrecondition, reason
  //! "no_contract", when it holds none (a wrong address, or another chain).
  Status CheckDeployed() const;
  Result<uint64_t> Interval() const;       //!< interval()
  Result<uint64_t> LatestHeight() const;   //!< latestHeight()
  Result<evm::Address> Sequencer() const;  //!< sequencer()
  //! commitment(height): zero when nothing is posted at `height` (or it was revoked).
  Result<PostedCommitment> Commitment(uint64_t height) const;
  //! isFinal(height): posted, not revoked, and its challenge window has passed.
  Result<bool> IsFinal(uint64_t height) const;
  //! The CommitmentPosted events in EVM blocks [from, to], oldest first; only those of `height`
  //! when given. Logs a reorganization removed are left out.
  Result<std::vector<CommitmentPostedEvent>> PostedEvents(
      const evm::BlockTag& from, const evm::BlockTag& to,
      std::optional<uint64_t> height = std::nullopt) const;

  //! The calldata of post(height, blockHash, stateRoot).
  static Bytes EncodePost(uint64_t height, const Hash32& block_hash, const Hash32& state_root);
  //! keccak256("CommitmentPosted(uint64,bytes32,bytes32,uint64)"): topic 0 of the event.
  static Hash32 PostedTopic();
  //! Decodes a CommitmentPosted log (EventAbi::DecodeLog's errors).
  static Result<CommitmentPostedEvent> DecodePosted(const evm::Log& log);

 private:
  // eth_call of a view without arguments (or with `args` already encoded) at the latest block.
  Result<Bytes> CallView(const char* signature, const Bytes& calldata) const;

  evm::RpcClient* rpc_;
  evm::Address address_;
};

}  // namespace tributary::settlement
