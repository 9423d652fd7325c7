// The chain: mempool, block production, durable commit and queries.
//
// Chain owns the store, the committed state and the mempool. Submitted
// transactions are checked (signature, chain, nonce, funds) and simulated
// against the committed state plus everything already pending, so a
// transaction the mempool accepts is one the next block will include. A
// transaction is `pending` until the block holding it is durably committed,
// then `committed`; committed means it survives kill -9.
//
// Thread-safety: all public methods are safe to call concurrently. Signature
// checks run outside the chain lock so several submitters verify in parallel.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_set>

#include "tributary/base/keys.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/block.h"
#include "tributary/ledger/executor.h"
#include "tributary/ledger/genesis.h"
#include "tributary/ledger/merkle.h"
#include "tributary/ledger/receipt.h"
#include "tributary/ledger/state.h"
#include "tributary/ledger/store.h"
#include "tributary/ledger/tx.h"

namespace tributary {

struct ChainOptions {
  std::filesystem::path data_dir;
  //! Required when the data directory is new; when it is not, must equal the stored one.
  std::optional<Genesis> genesis;
  //! When set, `genesis` is used only to create a new chain and ignored for an existing one.
  bool genesis_only_if_new = false;
  //! The key that signs blocks; must be the genesis sequencer.
  std::optional<KeyPair> sequencer;
  size_t mempool_limit = 200000;
  //! Memory for state values read from or written to the database (the state tree itself is
  //! always in memory, about 130 bytes a key).
  size_t state_cache_bytes = size_t{64} << 20;
  //! Memory for SQLite's page cache of the ledger database.
  size_t page_cache_bytes = Store::kDefaultPageCacheBytes;
  //! Milliseconds since the epoch; replaceable for tests.
  std::function<uint64_t()> clock_ms;
};

//! A committed block as commit listeners see it.
struct CommittedBlock {
  BlockHeader header;
  std::vector<Transaction> txs;
  std::vector<Hash32> hashes;
  std::vector<Receipt> receipts;
};

//! A state value and, when asked, its proof against `header.state_root`.
struct StateLookup {
  std::optional<Bytes> value;
  BlockHeader header;  //!< latest committed block
  std::optional<SmtProof> proof;
};

enum class TxState { kUnknown, kPending, kCommitted };

//! A transaction and, once committed, everything needed to prove it.
struct TxLookup {
  TxState state = TxState::kUnknown;
  Transaction tx;
  Bytes raw;
  uint64_t height = 0;
  uint32_t index = 0;
  Receipt receipt;
  Bytes receipt_raw;
  BlockHeader header;
  merkle::InclusionProof tx_proof;
  merkle::InclusionProof receipt_proof;
};

struct AccountLookup {
  Address address;
  Account account;          //!< as of `header`
  uint64_t next_nonce = 0;  //!< counting pending transactions: the nonce to sign next
  BlockHeader header;       //!< latest committed block
  std::optional<SmtProof> proof;
  std::optional<Bytes> value;  //!< stored account bytes (absent when the account is empty)
};

struct ChainMetrics {
  uint64_t height = 0;
  uint64_t blocks_committed = 0;
  uint64_t txs_committed = 0;
  uint64_t txs_rejected = 0;
  uint64_t mempool_size = 0;
  uint64_t state_keys = 0;          //!< committed state entries (their tree is in memory; state.h)
  uint64_t state_cache_hits = 0;    //!< state reads answered from memory
  uint64_t state_cache_misses = 0;  //!< state reads that went to the database
  uint64_t state_cache_bytes = 0;   //!< state values held in the cache
  uint64_t commits = 0;
  double commit_seconds_sum = 0;
  double last_commit_seconds = 0;
};

//! A transaction whose size, chain id, kind, payload, fee cap and signature have been checked,
//! with its encoding and hash: what Chain::CheckTxs makes and Chain::Admit takes. Only Chain makes
//! one, so nothing reaches the mempool unchecked. Value type.
class CheckedTx {
 public:
  const Transaction& tx() const { return tx_; }
  const Hash32& hash() const { return hash_; }

 private:
  friend class Chain;
  CheckedTx() = default;
  Transaction tx_;
  Bytes raw_;
  Hash32 hash_{};
};

class Chain {
 public:
  //! Opens or creates the chain in opts.data_dir. Checks the stored blocks link up, the latest
  //! header is signed by the sequencer and the stored state matches its state root: any
  //! damage is Corruption and nothing is repaired. Holds an exclusive lock on DIR/LOCK while
  //! open: a second process on the same directory gets Unavailable ("data_dir_locked").
  static Result<std::unique_ptr<Chain>> Open(ChainOptions opts, const TxKindRegistry& kinds);
  ~Chain();

  //! Admits a transaction to the mempool; returns its hash.
  Result<Hash32> Submit(const Transaction& tx);
  //! Checks transactions as Submit does before it takes the chain lock, signatures included,
  //! spread over `threads` threads (0: one per core). No lock is held: callers in parallel
  //! verify in parallel. One result per input, in order.
  std::vector<Result<CheckedTx>> CheckTxs(std::span<const Transaction> txs, unsigned threads = 0);
  //! Admits checked transactions in order under one acquisition of the chain lock (duplicates,
  //! the mempool limit, nonce and balance simulation as Submit). One result per input.
  std::vector<Result<Hash32>> Admit(std::vector<CheckedTx> txs);
  //! CheckTxs then Admit; a transaction that failed its check keeps its error.
  std::vector<Result<Hash32>> SubmitBatch(std::span<const Transaction> txs);
  //! Sets `tx`'s sender to `key` and its nonce to the next for that account (counting pending
  //! txs), signs and submits it. Serialised per chain, so the parts of one process that sign with
  //! the same key (the sequencer settling answers and crediting bridge deposits) never take the
  //! same nonce.
  Result<Hash32> SubmitSigned(Transaction tx, const KeyPair& key);

  //! Builds, signs and durably commits one block from the mempool (possibly empty).
  //! Returns its height.
  Result<uint64_t> ProduceBlock();

  //! Produces a block every `interval`; with zero, as soon as the mempool has work.
  void StartProducer(std::chrono::milliseconds interval);
  void StopProducer();

  Result<TxLookup> GetTx(const Hash32& hash);
  Result<AccountLookup> GetAccount(const Address& address, bool prove);
  //! The header and tx hashes of block `height`, or of the latest when nullopt.
  Result<std::pair<BlockHeader, std::vector<Hash32>>> GetBlock(std::optional<uint64_t> height);
  //! The header of block `height` alone (no tx hashes); NotFound above the tip.
  Result<BlockHeader> GetHeader(uint64_t height);
  //! Reads one state key as of the latest committed block.
  Result<StateLookup> GetState(const std::string& key, bool prove);
  //! Runs `fn` under the chain lock with the committed state, the state with every mempool tx
  //! applied, and the latest header. Keep `fn` short: block production waits for it.
  Status ReadState(
      const std::function<Status(const StateReader& committed, const StateReader& pending,
                                 const BlockHeader& head)>& fn);
  //! Calls `fn` after every block is durably committed, on the producing thread, outside the
  //! chain lock. Listeners must not call ProduceBlock or Add/RemoveCommitListener. Returns an id
  //! for RemoveCommitListener.
  uint64_t AddCommitListener(std::function<void(const CommittedBlock&)> fn);
  //! Removes a listener; when it returns, the listener is not running and will not run again.
  void RemoveCommitListener(uint64_t id);

  //! Waits until `hash` leaves the mempool or `timeout` passes; true when it is committed.
  bool WaitForCommit(const Hash32& hash, std::chrono::milliseconds timeout);

  const Genesis& genesis() const { return genesis_; }
  const TxKindRegistry& kinds() const { return kinds_; }
  uint64_t height();
  ChainMetrics Metrics();

 private:
  struct PendingTx {
    Transaction tx;
    Bytes raw;
    Hash32 hash;
  };

  Chain(ChainOptions opts, const TxKindRegistry& kinds, Genesis genesis,
        std::unique_ptr<Store> store, int lock_fd);
  Status Load();
  // Submit's part under the lock.
  Result<Hash32> AdmitLocked(CheckedTx& checked);
  Status CreateGenesisBlock();
  // Builds the block under mu_, then releases mu_ for the durable write so submissions
  // continue meanwhile (they become the next block: group commit).
  Result<uint64_t> ProduceBlockLocked(std::unique_lock<std::mutex>& lock);
  void RebuildPendingLocked();
  uint64_t NowMs() const;
  // The timestamp the next block gets: now, but never before the latest block.
  uint64_t NextTimestampLocked() const;

  ChainOptions opts_;
  const TxKindRegistry& kinds_;
  const Genesis genesis_;
  Executor executor_;
  Address fee_collector_;
  std::unique_ptr<Store> store_;
  int lock_fd_;  // flock on DIR/LOCK: one process per data directory

  std::mutex signed_submit_mu_;  // SubmitSigned: nonce read to Submit; taken before mu_
  std::mutex produce_mu_;        // one block production at a time; taken before mu_
  std::mutex mu_;
  bool committing_ = false;            // a block is applied to state_ but not yet durable
  std::condition_variable work_cv_;    // mempool gained work, or stop requested
  std::condition_variable commit_cv_;  // a block was committed
  State state_;                        // committed state (guarded by mu_)
  BlockHeader head_;                   // latest committed header (guarded by mu_)
  std::deque<PendingTx> mempool_;
  std::unordered_set<std::string> pending_hashes_;  // raw hash bytes of mempool txs
  std::unique_ptr<Overlay> pending_;                // committed state + every mempool tx applied

  std::mutex listeners_mu_;  // held while listeners run; taken after mu_ is released
  std::map<uint64_t, std::function<void(const CommittedBlock&)>> commit_listeners_;
  uint64_t next_listener_ = 1;
  std::thread producer_;
  bool stop_ = false;

  std::atomic<uint64_t> blocks_committed_{0}, txs_committed_{0}, txs_rejected_{0}, commits_{0};
  std::atomic<uint64_t> commit_micros_sum_{0}, last_commit_micros_{0};
};

}  // namespace tributary
