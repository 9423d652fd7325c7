#include "tributary/ledger/chain.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tributary/base/hash.h"
#include "tributary/base/parallel.h"

namespace tributary {
namespace {

std::string HashKey(const Hash32& h) { return std::string(h.begin(), h.end()); }

uint64_t WallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::vector<Hash32> LeafHashes(const std::vector<Bytes>& items) {
  std::vector<Hash32> out;
  out.reserve(items.size());
  for (const auto& b : items) out.push_back(merkle::LeafHash(b));
  return out;
}

}  // namespace

Chain::Chain(ChainOptions opts, const TxKindRegistry& kinds, Genesis genesis,
             std::unique_ptr<Store> store, int lock_fd)
    : opts_(std::move(opts)),
      kinds_(kinds),
      genesis_(std::move(genesis)),
      executor_(genesis_, kinds_),
      fee_collector_(Address::FromPublicKey(genesis_.sequencer)),
      store_(std::move(store)),
      lock_fd_(lock_fd) {}

Chain::~Chain() {
  StopProducer();
  store_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

uint64_t Chain::NowMs() const { return opts_.clock_ms ? opts_.clock_ms() : WallClockMs(); }

uint64_t Chain::NextTimestampLocked() const { return std::max(NowMs(), head_.timestamp_ms); }

Result<std::unique_ptr<Chain>> Chain::Open(ChainOptions opts, const TxKindRegistry& kinds) {
  std::error_code ec;
  std::filesystem::create_directories(opts.data_dir, ec);
  if (ec) return Status::IOError("cannot create " + opts.data_dir.string() + ": " + ec.message());
  auto lock_path = opts.data_dir / "LOCK";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return Status::IOError("cannot open " + lock_path.string());
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return Status::Unavailable(
        "the data directory " + opts.data_dir.string() + " is in use by another running node",
        "data_dir_locked");
  }
  // Closes the lock file on every early return below.
  struct LockGuard {
    int fd;
    ~LockGuard() {
      if (fd >= 0) ::close(fd);
    }
  } guard{lock_fd};
  TRIB_ASSIGN_OR_RETURN(auto store,
                        Store::Open(opts.data_dir / "ledger.db", false, opts.page_cache_bytes));

  TRIB_ASSIGN_OR_RETURN(auto stored, store->GetMeta("genesis"));
  if (!stored && opts.genesis && opts.sequencer &&
      opts.sequencer->public_key() != opts.genesis->sequencer) {
    return Status::FailedPrecondition("the sequencer key " + ToHex(opts.sequencer->public_key()) +
                                          " is not the one the genesis names (" +
                                          ToHex(opts.genesis->sequencer) + ")",
                                      "wrong_sequencer");
  }
  Genesis genesis;
  if (stored) {
    nlohmann::json j = nlohmann::json::parse(AsString(*stored), nullptr, false);
    if (j.is_discarded()) return Status::Corruption("stored genesis is not JSON");
    auto g = Genesis::FromJson(j);
    if (!g.ok()) return Status::Corruption("stored genesis is invalid: " + g.status().message());
    genesis = std::move(*g);
    if (opts.genesis && !opts.genesis_only_if_new && opts.genesis->Hash() != genesis.Hash()) {
      return Status::FailedPrecondition(
          "the data directory " + opts.data_dir.string() +
              " belongs to a chain with a different genesis; use another --data directory",
          "genesis_mismatch");
    }
  } else {
    if (!opts.genesis) {
      return Status::FailedPrecondition(
          "the data directory " + opts.data_dir.string() +
              " holds no chain yet: pass --genesis FILE or --dev to create one",
          "no_genesis");
    }
    TRIB_RETURN_IF_ERROR(opts.genesis->Validate());
    if (!opts.sequencer) {
      return Status::FailedPrecondition("creating a chain needs the sequencer key",
                                        "no_sequencer_key");
    }
    genesis = *opts.genesis;
    std::string dump = genesis.ToJson().dump();
    TRIB_RETURN_IF_ERROR(store->PutMeta("genesis", AsBytes(dump)));
  }
  if (opts.sequencer && opts.sequencer->public_key() != genesis.sequencer) {
    return Status::FailedPrecondition("the sequencer key " + ToHex(opts.sequencer->public_key()) +
                                          " is not the one this chain's genesis names (" +
                                          ToHex(genesis.sequencer) + ")",
                                      "wrong_sequencer");
  }
  guard.fd = -1;
  std::unique_ptr<Chain> chain(
      new Chain(std::move(opts), kinds, std::move(genesis), std::move(store), lock_fd));
  TRIB_RETURN_IF_ERROR(chain->Load());
  return chain;
}

Status Chain::CreateGenesisBlock() {
  if (!opts_.sequencer) {
    return Status::FailedPrecondition("creating the genesis block needs the sequencer key");
  }
  Overlay writes(&state_);
  executor_.ApplyGenesis(writes);
  State fresh;
  fresh.Apply(writes.writes());
  BlockHeader h;
  h.chain_id = genesis_.chain_id;
  h.height = 0;
  h.timestamp_ms = genesis_.timestamp_ms;
  h.tx_root = merkle::EmptyRoot();
  h.receipts_root = merkle::EmptyRoot();
  h.state_root = fresh.Root();
  h.SignWith(*opts_.sequencer);
  StoredBlock b;
  b.height = 0;
  b.hash = h.Hash();
  b.header = h.Encode();
  return store_->CommitBlock(b, writes.writes());
}

Status Chain::Load() {
  TRIB_ASSIGN_OR_RETURN(auto latest, store_->LatestHeight());
  if (!latest) {
    TRIB_RETURN_IF_ERROR(CreateGenesisBlock());
    latest = 0;
  }
  // The headers must form one signed chain from genesis to the tip.
  Hash32 prev{};
  for (uint64_t h = 0; h <= *latest; ++h) {
    auto raw = store_->GetHeader(h);
    if (!raw.ok()) {
      return Status::Corruption("block " + std::to_string(h) + " is missing below the tip " +
                                std::to_string(*latest) + ": " + raw.status().message());
    }
    auto header = BlockHeader::Decode(*raw);
    if (!header.ok()) {
      return Status::Corruption("block " + std::to_string(h) +
                                " header does not decode: " + header.status().message());
    }
    if (header->height != h || header->prev_hash != prev || header->chain_id != genesis_.chain_id) {
      return Status::Corruption("block " + std::to_string(h) + " does not link to block " +
                                std::to_string(h == 0 ? 0 : h - 1));
    }
    if (header->proposer != genesis_.sequencer) {
      return Status::Corruption("block " + std::to_string(h) +
                                " was not proposed by the sequencer");
    }
    prev = header->Hash();
    if (h == *latest) {
      if (!header->SignatureValid()) {
        return Status::Corruption("block " + std::to_string(h) + " signature does not verify");
      }
      head_ = std::move(*header);
    }
  }
  TRIB_RETURN_IF_ERROR(state_.LoadFrom(store_.get(), opts_.state_cache_bytes));
  if (state_.Root() != head_.state_root) {
    return Status::Corruption("stored state does not match the state root of block " +
                              std::to_string(head_.height) +
                              " (the database was modified or damaged); run `tributary ledger "
                              "verify` to find the first bad block");
  }
  pending_ = std::make_unique<Overlay>(&state_);
  return Status::OK();
}

Result<Hash32> Chain::Submit(const Transaction& tx) {
  CheckedTx checked;
  checked.raw_ = tx.Encode();
  Status check = executor_.CheckTx(tx, checked.raw_.size());
  if (!check.ok()) {
    txs_rejected_++;
    return check;
  }
  checked.tx_ = tx;
  checked.hash_ = Sha256(checked.raw_);
  std::lock_guard<std::mutex> lock(mu_);
  return AdmitLocked(checked);
}

std::vector<Result<CheckedTx>> Chain::CheckTxs(std::span<const Transaction> txs, unsigned threads) {
  std::vector<Result<CheckedTx>> out(txs.size(), Status::Internal("unchecked"));
  auto check_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      CheckedTx c;
      c.raw_ = txs[i].Encode();
      Status s = executor_.CheckTx(txs[i], c.raw_.size());
      if (!s.ok()) {
        txs_rejected_++;
        out[i] = s;
        continue;
      }
      c.tx_ = txs[i];
      c.hash_ = Sha256(c.raw_);
      out[i] = std::move(c);
    }
  };
  ParallelFor(txs.size(), 64, check_range, threads);
  return out;
}

std::vector<Result<Hash32>> Chain::Admit(std::vector<CheckedTx> txs) {
  std::vector<Result<Hash32>> out;
  out.reserve(txs.size());
  std::lock_guard<std::mutex> lock(mu_);
  for (CheckedTx& c : txs) out.push_back(AdmitLocked(c));
  return out;
}

std::vector<Result<Hash32>> Chain::SubmitBatch(std::span<const Transaction> txs) {
  std::vector<Result<CheckedTx>> checked = CheckTxs(txs);
  std::vector<CheckedTx> ok;
  std::vector<size_t> where;
  for (size_t i = 0; i < checked.size(); ++i) {
    if (!checked[i].ok()) continue;
    where.push_back(i);
    ok.push_back(std::move(*checked[i]));
  }
  std::vector<Result<Hash32>> admitted = Admit(std::move(ok));
  std::vector<Result<Hash32>> out;
  out.reserve(txs.size());
  size_t k = 0;
  for (size_t i = 0; i < checked.size(); ++i) {
    if (k < where.size() && where[k] == i) {
      out.push_back(std::move(admitted[k++]));
    } else {
      out.push_back(checked[i].status());
    }
  }
  return out;
}

Result<Hash32> Chain::AdmitLocked(CheckedTx& checked) {
  const Hash32& hash = checked.hash_;
  if (pending_hashes_.count(HashKey(hash))) {
    txs_rejected_++;
    return Status::AlreadyExists("transaction " + ToHex(hash) + " is already pending",
                                 "duplicate_tx");
  }
  if (mempool_.size() >= opts_.mempool_limit) {
    txs_rejected_++;
    return Status::Unavailable("the mempool is full; retry later", "mempool_full");
  }
  Overlay sim(pending_.get());
  Status action;
  auto receipt = executor_.ApplyTx(sim, checked.tx_, hash, checked.raw_.size(), head_.height + 1,
                                   NextTimestampLocked(), fee_collector_, &action);
  if (Status read = state_.TakeReadError(); !read.ok()) return read;
  if (!receipt.ok()) {
    txs_rejected_++;
    return receipt.status();
  }
  if (!action.ok()) {
    // The tx would only burn its fee: tell the sender now instead.
    txs_rejected_++;
    return action;
  }
  sim.MergeInto(pending_.get());
  pending_hashes_.insert(HashKey(hash));
  mempool_.push_back({std::move(checked.tx_), std::move(checked.raw_), hash});
  work_cv_.notify_one();
  return hash;
}

void Chain::RebuildPendingLocked() {
  pending_ = std::make_unique<Overlay>(&state_);
  const uint64_t timestamp = NextTimestampLocked();
  std::deque<PendingTx> keep;
  for (auto& p : mempool_) {
    Overlay sim(pending_.get());
    auto r = executor_.ApplyTx(sim, p.tx, p.hash, p.raw.size(), head_.height + 1, timestamp,
                               fee_collector_);
    if (r.ok() && r->status == Receipt::kSuccess) {
      sim.MergeInto(pending_.get());
      keep.push_back(std::move(p));
    } else {
      pending_hashes_.erase(HashKey(p.hash));
      txs_rejected_++;
    }
  }
  mempool_ = std::move(keep);
}

Result<Hash32> Chain::SubmitSigned(Transaction tx, const KeyPair& key) {
  std::lock_guard<std::mutex> serial(signed_submit_mu_);
  TRIB_ASSIGN_OR_RETURN(AccountLookup account,
                        GetAccount(Address::FromPublicKey(key.public_key()), false));
  tx.sender = key.public_key();
  tx.nonce = account.next_nonce;
  tx.SignWith(key);
  return Submit(tx);
}

Result<uint64_t> Chain::ProduceBlock() {
  std::lock_guard<std::mutex> produce(produce_mu_);
  std::unique_lock<std::mutex> lock(mu_);
  return ProduceBlockLocked(lock);
}

Result<uint64_t> Chain::ProduceBlockLocked(std::unique_lock<std::mutex>& lock) {
  if (!opts_.sequencer) return Status::FailedPrecondition("this node has no sequencer key");
  auto start = std::chrono::steady_clock::now();
  const uint64_t height = head_.height + 1;
  // Fixed before execution: kinds see the timestamp the header will carry.
  const uint64_t timestamp = NextTimestampLocked();
  Overlay block_state(&state_);
  TRIB_RETURN_IF_ERROR(executor_.BeginBlock(block_state, height));

  StoredBlock block;
  block.height = height;
  CommittedBlock committed;  // what commit listeners see: the decoded txs and receipts
  std::vector<bool> is_included;
  size_t take = std::min<size_t>(mempool_.size(), genesis_.params.max_block_txs);
  size_t dropped = 0;
  for (size_t i = 0; i < take; ++i) {
    const PendingTx& p = mempool_[i];
    auto receipt = executor_.ApplyTx(block_state, p.tx, p.hash, p.raw.size(), height, timestamp,
                                     fee_collector_);
    is_included.push_back(receipt.ok());
    if (!receipt.ok()) {
      dropped++;  // became invalid; RebuildPendingLocked removes it below
      continue;
    }
    block.txs.push_back(p.raw);
    block.receipts.push_back(receipt->Encode());
    committed.hashes.push_back(p.hash);
    committed.receipts.push_back(std::move(*receipt));
  }

  // Apply to the committed state, remembering what it was in case the write fails.
  std::map<std::string, std::optional<Bytes>> undo;
  for (const auto& [k, v] : block_state.writes()) undo[k] = state_.Get(k);
  if (Status read = state_.TakeReadError(); !read.ok()) {
    // Execution saw a missing value where the store failed: nothing of this block is kept.
    return read.WithContext("block " + std::to_string(height) + " was not produced");
  }
  state_.Apply(block_state.writes());

  BlockHeader h;
  h.chain_id = genesis_.chain_id;
  h.height = height;
  h.prev_hash = head_.Hash();
  h.timestamp_ms = timestamp;
  h.tx_root = merkle::RootFromLeafHashes(LeafHashes(block.txs));
  h.receipts_root = merkle::RootFromLeafHashes(LeafHashes(block.receipts));
  h.state_root = state_.Root();
  h.tx_count = static_cast<uint32_t>(block.txs.size());
  h.SignWith(*opts_.sequencer);
  block.hash = h.Hash();
  block.header = h.Encode();

  // Readers of committed state wait while committing_ is set: state_ is ahead of the disk.
  committing_ = true;
  lock.unlock();
  Status s = store_->CommitBlock(block, block_state.writes());
  lock.lock();
  committing_ = false;
  if (!s.ok()) {
    state_.Apply(undo);  // what the store still holds
    state_.MarkDurable();
    RebuildPendingLocked();
    commit_cv_.notify_all();
    return s.WithContext("commit of block " + std::to_string(height) + " failed");
  }
  state_.MarkDurable();
  head_ = h;
  // Committed txs leave the mempool: they are the first `take` minus any dropped ones.
  for (size_t i = 0; i < take; ++i) {
    pending_hashes_.erase(HashKey(mempool_.front().hash));
    if (is_included[i]) committed.txs.push_back(std::move(mempool_.front().tx));
    mempool_.pop_front();
  }
  if (dropped) txs_rejected_ += dropped;
  RebuildPendingLocked();

  auto micros = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now() - start)
                                          .count());
  blocks_committed_++;
  txs_committed_ += committed.hashes.size();
  commits_++;
  commit_micros_sum_ += micros;
  last_commit_micros_ = micros;
  commit_cv_.notify_all();
  // Listeners run without the chain lock (they may read the chain); listeners_mu_ keeps a
  // removed listener from running after RemoveCommitListener returns.
  lock.unlock();
  {
    std::lock_guard<std::mutex> listeners(listeners_mu_);
    committed.header = h;
    for (const auto& [id, fn] : commit_listeners_) fn(committed);
  }
  lock.lock();
  return height;
}

Result<StateLookup> Chain::GetState(const std::string& key, bool prove) {
  std::unique_lock<std::mutex> lock(mu_);
  commit_cv_.wait(lock, [&] { return !committing_; });
  StateLookup out;
  out.header = head_;
  out.value = state_.Get(key);
  TRIB_RETURN_IF_ERROR(state_.TakeReadError());
  if (prove) out.proof = state_.Prove(key);
  return out;
}

Status Chain::ReadState(
    const std::function<Status(const StateReader&, const StateReader&, const BlockHeader&)>& fn) {
  std::unique_lock<std::mutex> lock(mu_);
  commit_cv_.wait(lock, [&] { return !committing_; });
  Status s = fn(state_, *pending_, head_);
  if (Status read = state_.TakeReadError(); !read.ok()) return read;
  return s;
}

uint64_t Chain::AddCommitListener(std::function<void(const CommittedBlock&)> fn) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  commit_listeners_[next_listener_] = std::move(fn);
  return next_listener_++;
}

void Chain::RemoveCommitListener(uint64_t id) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  commit_listeners_.erase(id);
}

void Chain::StartProducer(std::chrono::milliseconds interval) {
  StopProducer();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  producer_ = std::thread([this, interval] {
    auto next = std::chrono::steady_clock::now() + interval;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (interval.count() == 0) {
          work_cv_.wait(lock, [&] { return stop_ || !mempool_.empty(); });
        } else {
          work_cv_.wait_until(lock, next, [&] { return stop_; });
          next += interval;
          auto now = std::chrono::steady_clock::now();
          if (next < now) next = now + interval;  // fell behind: don't burst
        }
        if (stop_) break;
      }
      if (!ProduceBlock().ok()) {
        // Storage failure: the txs stay pending; back off rather than spin.
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; });
      }
    }
  });
}

void Chain::StopProducer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (producer_.joinable()) producer_.join();
}

Result<TxLookup> Chain::GetTx(const Hash32& hash) {
  TxLookup out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_hashes_.count(HashKey(hash))) {
      for (const auto& p : mempool_) {
        if (p.hash == hash) {
          out.state = TxState::kPending;
          out.tx = p.tx;
          out.raw = p.raw;
          return out;
        }
      }
    }
  }
  TRIB_ASSIGN_OR_RETURN(auto loc, store_->FindTx(hash));
  if (!loc) return out;
  TRIB_ASSIGN_OR_RETURN(StoredBlock block, store_->GetBlock(loc->height));
  if (loc->index >= block.txs.size() || block.receipts.size() != block.txs.size()) {
    return Status::Corruption("block " + std::to_string(loc->height) +
                              " is missing txs or receipts");
  }
  TRIB_ASSIGN_OR_RETURN(out.tx, Transaction::Decode(loc->raw));
  TRIB_ASSIGN_OR_RETURN(out.header, BlockHeader::Decode(block.header));
  out.state = TxState::kCommitted;
  out.raw = loc->raw;
  out.height = loc->height;
  out.index = loc->index;
  out.receipt_raw = block.receipts[loc->index];
  TRIB_ASSIGN_OR_RETURN(out.receipt, Receipt::Decode(out.receipt_raw));
  TRIB_ASSIGN_OR_RETURN(out.tx_proof, merkle::Prove(LeafHashes(block.txs), loc->index));
  TRIB_ASSIGN_OR_RETURN(out.receipt_proof, merkle::Prove(LeafHashes(block.receipts), loc->index));
  return out;
}

Result<AccountLookup> Chain::GetAccount(const Address& address, bool prove) {
  std::unique_lock<std::mutex> lock(mu_);
  commit_cv_.wait(lock, [&] { return !committing_; });
  AccountLookup out;
  out.address = address;
  out.header = head_;
  TRIB_ASSIGN_OR_RETURN(out.account, LoadAccount(state_, address));
  TRIB_ASSIGN_OR_RETURN(Account pending, LoadAccount(*pending_, address));
  out.next_nonce = pending.nonce;
  out.value = state_.Get(AccountKey(address));
  TRIB_RETURN_IF_ERROR(state_.TakeReadError());
  if (prove) out.proof = state_.Prove(AccountKey(address));
  return out;
}

Result<std::pair<BlockHeader, std::vector<Hash32>>> Chain::GetBlock(
    std::optional<uint64_t> height) {
  uint64_t h = height ? *height : this->height();
  TRIB_ASSIGN_OR_RETURN(StoredBlock block, store_->GetBlock(h));
  TRIB_ASSIGN_OR_RETURN(BlockHeader header, BlockHeader::Decode(block.header));
  std::vector<Hash32> hashes;
  for (const auto& raw : block.txs) hashes.push_back(Sha256(raw));
  return std::make_pair(std::move(header), std::move(hashes));
}

Result<BlockHeader> Chain::GetHeader(uint64_t height) {
  TRIB_ASSIGN_OR_RETURN(Bytes raw, store_->GetHeader(height));
  return BlockHeader::Decode(raw);
}

bool Chain::WaitForCommit(const Hash32& hash, std::chrono::milliseconds timeout) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    commit_cv_.wait_for(lock, timeout, [&] { return !pending_hashes_.count(HashKey(hash)); });
    if (pending_hashes_.count(HashKey(hash))) return false;
  }
  auto loc = store_->FindTx(hash);
  return loc.ok() && loc->has_value();
}

uint64_t Chain::height() {
  std::lock_guard<std::mutex> lock(mu_);
  return head_.height;
}

ChainMetrics Chain::Metrics() {
  ChainMetrics m;
  {
    std::lock_guard<std::mutex> lock(mu_);
    m.height = head_.height;
    m.mempool_size = mempool_.size();
    m.state_keys = state_.size();
    const State::CacheStats cache = state_.cache_stats();
    m.state_cache_hits = cache.hits;
    m.state_cache_misses = cache.misses;
    m.state_cache_bytes = cache.bytes;
  }
  m.blocks_committed = blocks_committed_;
  m.txs_committed = txs_committed_;
  m.txs_rejected = txs_rejected_;
  m.commits = commits_;
  m.commit_seconds_sum = static_cast<double>(commit_micros_sum_) / 1e6;
  m.last_commit_seconds = static_cast<double>(last_commit_micros_) / 1e6;
  return m;
}

}  // namespace tributary
