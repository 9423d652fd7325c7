// Posting block commitments to an EVM chain (docs/settlement.md, "Posting block commitments").
//
// Every `every` blocks (the TributaryCommitments contract's `interval`), the sequencer posts
// post(height, blockHash, stateRoot) of the block at that height. A CommitmentPoster does this on
// its own thread, following the chain through a commit listener that only records the new tip
// and wakes the thread: it never blocks block production.
//
// The contract is the record of progress. At start and after any error the poster reads
// latestHeight() and posts only the multiples of `every` above it, in order, one transaction at a
// time, each followed to its receipt (TxSender): a restart or an outage of the EVM node leaves a
// backlog that is posted in order, never a height twice. A post that would revert (the contract
// refuses heights that do not increase) sends nothing and counts as done once latestHeight shows
// the height; a transaction whose receipt never comes is resolved by latestHeight and the
// account's nonce, and replaced by the same nonce when it is stuck.
//
// Errors are retried with exponential backoff, for ever: an unreachable EVM node, a refused
// transaction, a contract that no longer checks out. The log (CommitmentPosterOptions::log) gets
// a line per post (with its gas) and per change of state (ok / unreachable / error), not per
// retry; stats() has the rest.
//
// Checks (Start and every re-sync): the EVM chain id (when one is expected), code at the contract
// address, interval() == every, sequencer() == the key's address, and that the contract holds
// this chain's commitments (the commitment at latestHeight is this chain's block there; a
// latestHeight above this chain's height is refused).
//
// Thread-safety: Start, Stop and the destructor from one thread; stats() from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tributary/base/status.h"
#include "tributary/evm/address.h"
#include "tributary/evm/keys.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/ledger/chain.h"
#include "tributary/settlement/bridge_relay.h"
#include "tributary/settlement/commitments_contract.h"
#include "tributary/settlement/reward_epochs.h"
#include "tributary/settlement/tx_sender.h"

namespace tributary::settlement {

struct CommitmentPosterOptions {
  evm::Address contract;  //!< the TributaryCommitments contract
  uint64_t every = 0;     //!< post at multiples of this; must equal the contract's interval
  //! When set, the EVM chain's id must be this (eth_chainId).
  std::optional<uint64_t> expected_chain_id;
  TxSenderOptions tx;
  //! How often to look for a receipt.
  std::chrono::milliseconds poll_interval{500};
  //! Backoff after an error: the first wait, doubled after each further error up to the most.
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{15000};
  //! Where the log lines go (one line each, no newline); default: stderr, "settlement: ...".
  std::function<void(const std::string&)> log;
  //! The bridge (not owned; outlives the poster), when the node relays it: between posts the
  //! poster credits its deposits and sends its releases from the same key, so one transaction is
  //! in flight at a time.
  BridgeRelay* bridge = nullptr;
  //! Reward epochs (not owned; outlive the poster; need `bridge`): closed, then posted from the
  //! same key once the bridge has released their OPEN to it.
  RewardEpochs* rewards = nullptr;
};

//! One commitment this poster saw through. Value type.
struct PostedRecord {
  uint64_t height = 0;
  Hash32 block_hash{};
  Hash32 state_root{};
  std::optional<Hash32> tx_hash;      //!< none when only latestHeight showed it posted
  std::optional<uint64_t> gas_used;   //!< from the receipt
  std::optional<uint64_t> evm_block;  //!< the EVM block holding it
  std::optional<U256> effective_gas_price;
  uint64_t posted_at_ms = 0;  //!< this node's clock when it saw the receipt
};

//! A snapshot of the poster's progress. Value type.
struct CommitmentPosterStats {
  enum class State { kStarting, kOk, kUnreachable, kError };
  State state = State::kStarting;
  evm::Address contract;
  evm::Address sender;  //!< the key's EVM address
  uint64_t every = 0;
  std::optional<uint64_t> evm_chain_id;  //!< once the EVM node answered
  //! The contract's latestHeight() as last read, or raised by our own posts since.
  std::optional<uint64_t> contract_height;
  uint64_t chain_height = 0;  //!< this node's latest block
  //! Multiples of `every` above contract_height up to chain_height, not yet posted.
  std::optional<uint64_t> backlog;
  std::optional<PostedRecord> last_posted;   //!< the latest post seen through (since start)
  std::optional<uint64_t> in_flight_height;  //!< a post sent, its receipt awaited
  uint64_t posts = 0;                        //!< commitments posted since start
  uint64_t gas_used_total = 0;               //!< their gas
  uint64_t replacements = 0;                 //!< stuck transactions replaced since start
  uint64_t errors = 0;                       //!< errors since start (each retry counts)
  std::optional<Status> last_error;
  uint64_t last_error_at_ms = 0;
};

//! "starting", "ok", "unreachable", "error".
const char* StateName(CommitmentPosterStats::State state);

class CommitmentPoster {
 public:
  //! A poster of `chain`'s commitments through `rpc` with `key`. Checks only the options
  //! (InvalidArgument "bad_settle_every" for every == 0); connects to nothing. `chain` must
  //! outlive the poster.
  static Result<std::unique_ptr<CommitmentPoster>> Create(Chain* chain,
                                                          std::unique_ptr<evm::RpcClient> rpc,
                                                          evm::PrivateKey key,
                                                          CommitmentPosterOptions options);
  //! Stops (see Stop).
  ~CommitmentPoster();
  CommitmentPoster(const CommitmentPoster&) = delete;
  CommitmentPoster& operator=(const CommitmentPoster&) = delete;

  //! Runs the checks once and starts the thread. A failed check is returned (FailedPrecondition
  //! with reasons "wrong_chain_id", "no_contract", "interval_mismatch", "not_sequencer",
  //! "wrong_chain", "not_commitments_contract", or the revert of a view) and nothing starts.
  //! When the EVM node cannot be reached (kUnavailable) the thread starts anyway, logging it,
  //! and runs the checks once the node answers.
  Status Start();
  //! Stops the thread; a call in progress ends within the RPC timeout. A transaction in flight
  //! is left to the next start (which finds it through latestHeight and the nonce).
  void Stop();

  CommitmentPosterStats stats() const;

 private:
  CommitmentPoster(Chain* chain, std::unique_ptr<evm::RpcClient> rpc, evm::PrivateKey key,
                   CommitmentPosterOptions options);

  void Run();
  // One step: re-sync when needed, follow the transaction in flight, or post the next height
  // (or wait for its block).
  Status Step();
  // The checks and latestHeight; sets synced_.
  Status Sync();
  Status PostHeight(uint64_t height);
  // Bridge work while no post is due: credit deposits, send the next release, else wait.
  Status BridgeStep(uint64_t next);
  // A contract call other than a post: a release or a reward epoch's transaction.
  struct Call {
    std::string what;  // for the log: "the release of withdrawal 3"
    evm::Address to;
    Bytes calldata;
    std::function<void(const evm::TransactionReceipt&)> on_mined;  // after a successful receipt
  };
  Status SendCall(Call call);
  // The call in flight was mined (or its nonce used by another transaction).
  Status CallDone(const TxPoll& poll);
  // Follows the transaction in flight to its end.
  Status Follow();
  // After a post that may have been refused: re-reads latestHeight; OK when it shows `height`.
  Status ResolvePosted(uint64_t height, const Status& otherwise);
  void RecordPosted(PostedRecord record);
  void NoteError(const Status& s);
  void NoteOk();
  // Waits up to `d`; false when stopping.
  bool Sleep(std::chrono::milliseconds d);
  void Log(const std::string& line);
  uint64_t NextHeight() const;

  Chain* const chain_;
  const std::unique_ptr<evm::RpcClient> rpc_;
  const evm::PrivateKey key_;
  const CommitmentPosterOptions options_;
  const CommitmentsContract contract_;

  // Owned by the posting thread (and by Start before the thread exists).
  std::optional<TxSender> sender_;  // once the chain id is known
  bool synced_ = false;
  uint64_t posted_ = 0;  // the contract's latestHeight as known
  struct Current {
    uint64_t height = 0;
    Hash32 block_hash{};
    Hash32 state_root{};
  };
  std::optional<Current> current_;  // the post in flight
  std::optional<Call> calling_;     // the call in flight
  std::string logged_state_;        // the state (and error reason) last logged

  mutable std::mutex mu_;
  std::condition_variable cv_;  // a new block, or stop
  bool stop_ = false;
  uint64_t tip_ = 0;             // guarded by mu_, raised by the commit listener
  CommitmentPosterStats stats_;  // guarded by mu_
  uint64_t listener_ = 0;
  bool listening_ = false;
  std::thread thread_;
};

}  // namespace tributary::settlement
