#include <algorithm>
#include <cstdio>

#include "tributary/settlement/commitment_poster.h"

namespace tributary::settlement {
namespace {

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::string Hex0x(const Hash32& h) { return "0x" + ToHex(h); }
// Tributary hashes are written without 0x (as the node's API does); the log shows their start.
std::string Short(const Hash32& h) { return ToHex(h).substr(0, 12) + "…"; }

uint64_t Backlog(uint64_t tip, uint64_t posted, uint64_t every) {
  return tip / every > posted / every ? tip / every - posted / every : 0;
}

}  // namespace

const char* StateName(CommitmentPosterStats::State state) {
  switch (state) {
    case CommitmentPosterStats::State::kStarting:
      return "starting";
    case CommitmentPosterStats::State::kOk:
      return "ok";
    case CommitmentPosterStats::State::kUnreachable:
      return "unreachable";
    case CommitmentPosterStats::State::kError:
      return "error";
  }
  return "error";
}

Result<std::unique_ptr<CommitmentPoster>> CommitmentPoster::Create(
    Chain* chain, std::unique_ptr<evm::RpcClient> rpc, evm::PrivateKey key,
    CommitmentPosterOptions options) {
  if (options.every == 0) {
    return Status::InvalidArgument("commitments must be posted every N >= 1 blocks",
                                   "bad_settle_every");
  }
  if (chain == nullptr || rpc == nullptr) {
    return Status::InvalidArgument("a commitment poster needs a chain and an RPC client");
  }
  if (options.rewards != nullptr && options.bridge == nullptr) {
    return Status::InvalidArgument(
        "reward epochs reach the EVM chain through the bridge: relay it too", "bad_settle_option");
  }
  if (options.retry_initial <= std::chrono::milliseconds(0) ||
      options.retry_max < options.retry_initial ||
      options.poll_interval <= std::chrono::milliseconds(0)) {
    return Status::InvalidArgument("retry and poll intervals must be positive");
  }
  return std::unique_ptr<CommitmentPoster>(
      new CommitmentPoster(chain, std::move(rpc), std::move(key), std::move(options)));
}

CommitmentPoster::CommitmentPoster(Chain* chain, std::unique_ptr<evm::RpcClient> rpc,
                                   evm::PrivateKey key, CommitmentPosterOptions options)
    : chain_(chain),
      rpc_(std::move(rpc)),
      key_(std::move(key)),
      options_(std::move(options)),
      contract_(rpc_.get(), options_.contract) {
  stats_.contract = options_.contract;
  stats_.sender = key_.address();
  stats_.every = options_.every;
}

CommitmentPoster::~CommitmentPoster() { Stop(); }

void CommitmentPoster::Log(const std::string& line) {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "settlement: %s\n", line.c_str());
  }
}

Status CommitmentPoster::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tip_ = std::max(tip_, chain_->height());
    stats_.chain_height = tip_;
  }
  // The listener only records the tip and wakes the thread: block production never waits on us.
  listener_ = chain_->AddCommitListener([this](const CommittedBlock& b) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tip_ = std::max(tip_, b.header.height);
      stats_.chain_height = tip_;
    }
    cv_.notify_all();
  });
  listening_ = true;
  Status s = Sync();
  if (!s.ok() && s.code() != Code::kUnavailable) {
    chain_->RemoveCommitListener(listener_);
    listening_ = false;
    return s;
  }
  if (s.ok()) {
    // Best effort: the transaction of the commitment already there, for stats after a restart.
    if (posted_ > 0) {
      auto head = rpc_->BlockNumber();
      const uint64_t from = head.ok() && *head > 50000 ? *head - 50000 : 0;
      auto events =
          contract_.PostedEvents(evm::BlockTag::Number(from), evm::BlockTag::Latest(), posted_);
      if (events.ok() && !events->empty()) {
        const CommitmentPostedEvent& e = events->back();
        PostedRecord r;
        r.height = e.height;
        r.block_hash = e.commitment.block_hash;
        r.state_root = e.commitment.state_root;
        r.tx_hash = e.tx_hash;
        r.evm_block = e.evm_block;
        r.posted_at_ms = e.commitment.posted_at * 1000;
        if (e.tx_hash) {
          auto receipt = rpc_->GetTransactionReceipt(*e.tx_hash);
          if (receipt.ok() && *receipt) {
            r.gas_used = (*receipt)->gas_used;
            r.effective_gas_price = (*receipt)->effective_gas_price;
          }
        }
        std::lock_guard<std::mutex> lock(mu_);
        stats_.last_posted = r;
      }
    }
    uint64_t tip;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.state = CommitmentPosterStats::State::kOk;
      tip = tip_;
    }
    logged_state_ = "ok";
    Log("posting a commitment every " + std::to_string(options_.every) +
        " blocks to TributaryCommitments " + options_.contract.ToChecksumString() +
        " on EVM chain " + std::to_string(sender_->chain_id()) + " as " +
        key_.address().ToChecksumString() + "; the contract is at height " +
        std::to_string(posted_) + ", this chain at " + std::to_string(tip) + " (backlog " +
        std::to_string(Backlog(tip, posted_, options_.every)) + ")");
  } else {
    NoteError(s);
  }
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

void CommitmentPoster::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (listening_) {
    chain_->RemoveCommitListener(listener_);
    listening_ = false;
  }
}

CommitmentPosterStats CommitmentPoster::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  CommitmentPosterStats s = stats_;
  if (s.contract_height) s.backlog = Backlog(tip_, *s.contract_height, options_.every);
  return s;
}

bool CommitmentPoster::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_; });
  return !stop_;
}

uint64_t CommitmentPoster::NextHeight() const {
  return (posted_ / options_.every + 1) * options_.every;
}

void CommitmentPoster::Run() {
  std::chrono::milliseconds backoff = options_.retry_initial;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    Status s = Step();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    if (s.ok()) {
      NoteOk();
      backoff = options_.retry_initial;
      continue;
    }
    NoteError(s);
    synced_ = false;  // after any error, latestHeight is read again before anything is sent
    if (!Sleep(backoff)) return;
    backoff = std::min(backoff * 2, options_.retry_max);
  }
}

Status CommitmentPoster::Step() {
  if (!synced_) TRIB_RETURN_IF_ERROR(Sync());
  if (sender_->in_flight()) return Follow();
  const uint64_t next = NextHeight();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (tip_ < next) {
      if (options_.bridge) {
        lock.unlock();
        return BridgeStep(next);
      }
      cv_.wait(lock, [&] { return stop_ || tip_ >= next; });
      return Status::OK();
    }
  }
  return PostHeight(next);
}

Status CommitmentPoster::BridgeStep(uint64_t next) {
  BridgeRelay* bridge = options_.bridge;
  RewardEpochs* rewards = options_.rewards;
  TRIB_RETURN_IF_ERROR(bridge->CreditDeposits());
  if (rewards) TRIB_RETURN_IF_ERROR(rewards->CloseDue());
  TRIB_ASSIGN_OR_RETURN(std::optional<PendingRelease> release,
                        bridge->NextRelease(contract_, posted_));
  if (release) {
    const PendingRelease r = *release;
    Call call{"the release of withdrawal " + std::to_string(r.id), bridge->address(), r.calldata,
              [this, bridge, r](const evm::TransactionReceipt& receipt) {
                bridge->NoteReleased(r.id, receipt.transaction_hash, receipt.gas_used);
                Log("released withdrawal " + std::to_string(r.id) + " (" +
                    FormatTokens(r.withdrawal.amount) + " OPEN to " +
                    economy::EvmAddressToString(r.withdrawal.recipient) + ", proven at height " +
                    std::to_string(r.proof.height) + ") in EVM transaction " +
                    Hex0x(receipt.transaction_hash) + ", gas " + std::to_string(receipt.gas_used));
              }};
    return SendCall(std::move(call));
  }
  if (rewards) {
    const BridgeContract bridge_contract(rpc_.get(), bridge->address());
    TRIB_ASSIGN_OR_RETURN(std::optional<RewardCall> reward, rewards->NextCall([&](uint64_t id) {
      return bridge_contract.IsReleased(id);
    }));
    if (reward) {
      const RewardCall rc = *reward;
      const bool approve = rc.kind == RewardCall::Kind::kApprove;
      Call call{
          approve ? "the approval of the RewardDistributor"
                  : "reward epoch " + std::to_string(rc.epoch),
          rc.to, rc.calldata, [this, rewards, rc, approve](const evm::TransactionReceipt& receipt) {
            rewards->NoteMined(rc, receipt);
            if (approve) {
              Log("approved the RewardDistributor " + rewards->address().ToChecksumString() +
                  " to take the epochs' OPEN, in EVM transaction " +
                  Hex0x(receipt.transaction_hash));
              return;
            }
            Log("posted reward epoch " + std::to_string(rc.epoch) + " (" +
                std::to_string(rc.leaves) + " accounts, " + FormatTokens(rc.total) +
                " OPEN, root " + Hex0x(rc.root) + ") in EVM transaction " +
                Hex0x(receipt.transaction_hash) + ", gas " + std::to_string(receipt.gas_used));
          }};
      return SendCall(std::move(call));
    }
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, options_.poll_interval, [&] { return stop_ || tip_ >= next; });
  return Status::OK();
}

Status CommitmentPoster::SendCall(Call call) {
  Status s = sender_->Send(call.to, call.calldata);
  if (!s.ok() && !sender_->in_flight()) return s.WithContext(call.what);  // nothing was sent
  calling_ = std::move(call);
  if (!s.ok()) return s;
  return Follow();
}

Status CommitmentPoster::CallDone(const TxPoll& poll) {
  Call call = std::move(*calling_);
  calling_.reset();
  if (poll.state == TxState::kNonceUsed || !poll.receipt->success) {
    // Looked at afresh on the next pass (released already? posted already?).
    return Status::FailedPrecondition(
        call.what + (poll.state == TxState::kNonceUsed
                         ? " lost its nonce to another transaction"
                         : " reverted in EVM transaction " + Hex0x(poll.receipt->transaction_hash)),
        "call_failed");
  }
  call.on_mined(*poll.receipt);
  return Status::OK();
}

Status CommitmentPoster::Sync() {
  TRIB_ASSIGN_OR_RETURN(uint64_t chain_id, rpc_->ChainId());
  if (options_.expected_chain_id && chain_id != *options_.expected_chain_id) {
    return Status::FailedPrecondition("the EVM node at the settlement RPC is on chain " +
                                          std::to_string(chain_id) + ", not " +
                                          std::to_string(*options_.expected_chain_id),
                                      "wrong_chain_id");
  }
  if (!sender_) {
    sender_.emplace(rpc_.get(), key_, chain_id, options_.tx);
    std::lock_guard<std::mutex> lock(mu_);
    stats_.evm_chain_id = chain_id;
  } else if (chain_id != sender_->chain_id()) {
    return Status::FailedPrecondition("the EVM node's chain id changed from " +
                                          std::to_string(sender_->chain_id()) + " to " +
                                          std::to_string(chain_id),
                                      "wrong_chain_id");
  }
  const std::string at = "TributaryCommitments at " + options_.contract.ToChecksumString();
  TRIB_RETURN_IF_ERROR(contract_.CheckDeployed());
  TRIB_ASSIGN_OR_RETURN(uint64_t interval, contract_.Interval());
  if (interval != options_.every) {
    return Status::FailedPrecondition("settling every " + std::to_string(options_.every) +
                                          " blocks, but the " + at + " takes commitments every " +
                                          std::to_string(interval) + " blocks (its interval())",
                                      "interval_mismatch");
  }
  TRIB_ASSIGN_OR_RETURN(evm::Address sequencer, contract_.Sequencer());
  if (sequencer != key_.address()) {
    return Status::FailedPrecondition(
        "the settlement key's address " + key_.address().ToChecksumString() +
            " is not the sequencer of the " + at + " (" + sequencer.ToChecksumString() + ")",
        "not_sequencer");
  }
  TRIB_ASSIGN_OR_RETURN(uint64_t latest, contract_.LatestHeight());
  const uint64_t height = chain_->height();
  if (latest > height) {
    return Status::FailedPrecondition(
        "the " + at + " holds a commitment at height " + std::to_string(latest) +
            ", above this chain's height " + std::to_string(height) +
            ": it holds another chain's commitments (or this node lost blocks)",
        "wrong_chain");
  }
  if (latest > 0) {
    TRIB_ASSIGN_OR_RETURN(PostedCommitment c, contract_.Commitment(latest));
    if (c.posted_at != 0) {  // 0: revoked, nothing to compare
      TRIB_ASSIGN_OR_RETURN(tributary::BlockHeader header, chain_->GetHeader(latest));
      if (c.block_hash != header.Hash()) {
        return Status::FailedPrecondition(
            "the " + at + " holds block " + ToHex(c.block_hash) + " at height " +
                std::to_string(latest) + ", but this chain's block there is " +
                ToHex(header.Hash()) + ": it holds another chain's commitments",
            "wrong_chain");
      }
    }
  }
  if (options_.bridge) TRIB_RETURN_IF_ERROR(options_.bridge->Check(options_.contract));
  if (options_.rewards) {
    TRIB_ASSIGN_OR_RETURN(evm::Address token,
                          BridgeContract(rpc_.get(), options_.bridge->address()).Token());
    TRIB_RETURN_IF_ERROR(options_.rewards->Check(token));
  }
  posted_ = latest;
  synced_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.contract_height = latest;
  return Status::OK();
}

Status CommitmentPoster::PostHeight(uint64_t height) {
  TRIB_ASSIGN_OR_RETURN(tributary::BlockHeader header, chain_->GetHeader(height));
  current_ = Current{height, header.Hash(), header.state_root};
  Status s = sender_->Send(options_.contract, CommitmentsContract::EncodePost(
                                                  height, current_->block_hash, header.state_root));
  if (!s.ok() && !sender_->in_flight()) {
    // Nothing was sent. A revert is the contract refusing the height: posted already?
    if (s.reason() == "execution_reverted") {
      return ResolvePosted(height, s.WithContext("post(" + std::to_string(height) + ")"));
    }
    current_.reset();
    return s;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.in_flight_height = height;
  }
  if (!s.ok()) return s;  // sent or not: Follow finds out after the backoff
  return Follow();
}

Status CommitmentPoster::Follow() {
  for (;;) {
    TRIB_ASSIGN_OR_RETURN(TxPoll poll, sender_->Poll());
    const uint64_t height = current_ ? current_->height : NextHeight();
    switch (poll.state) {
      case TxState::kPending:
        if (!Sleep(options_.poll_interval)) return Status::OK();
        break;
      case TxState::kMined: {
        if (calling_) return CallDone(poll);
        const evm::TransactionReceipt& r = *poll.receipt;
        if (!r.success) {
          return ResolvePosted(height,
                               Status::FailedPrecondition("post(" + std::to_string(height) +
                                                              ") reverted in EVM transaction " +
                                                              Hex0x(r.transaction_hash),
                                                          "post_reverted"));
        }
        PostedRecord rec;
        rec.height = height;
        if (current_) {
          rec.block_hash = current_->block_hash;
          rec.state_root = current_->state_root;
        }
        rec.tx_hash = r.transaction_hash;
        rec.gas_used = r.gas_used;
        rec.evm_block = r.block_number;
        rec.effective_gas_price = r.effective_gas_price;
        rec.posted_at_ms = NowMs();
        RecordPosted(rec);
        return Status::OK();
      }
      case TxState::kStuck: {
        const uint64_t nonce = sender_->in_flight()->tx.nonce;
        TRIB_RETURN_IF_ERROR(sender_->Replace());
        {
          std::lock_guard<std::mutex> lock(mu_);
          stats_.replacements++;
        }
        const auto& tx = sender_->in_flight()->tx;
        Log("no receipt for " +
            (calling_ ? calling_->what : "the post of height " + std::to_string(height)) +
            " within " + std::to_string(options_.tx.receipt_timeout.count() / 1000) +
            " s: replaced it (nonce " + std::to_string(nonce) + ") by EVM transaction " +
            Hex0x(sender_->in_flight()->hashes.back()) + " with max fee " +
            tx.max_fee_per_gas.ToString() + " wei/gas, priority fee " +
            tx.max_priority_fee_per_gas.ToString());
        break;
      }
      case TxState::kNonceUsed:
        if (calling_) return CallDone(poll);
        return ResolvePosted(
            height,
            Status::FailedPrecondition("the nonce of the post of height " + std::to_string(height) +
                                           " was used by another transaction",
                                       "nonce_used"));
    }
  }
}

Status CommitmentPoster::ResolvePosted(uint64_t height, const Status& otherwise) {
  current_.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.in_flight_height.reset();
  }
  TRIB_ASSIGN_OR_RETURN(uint64_t latest, contract_.LatestHeight());
  if (latest < height) return otherwise;
  posted_ = std::max(posted_, latest);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.contract_height = std::max(stats_.contract_height.value_or(0), latest);
  }
  Log("height " + std::to_string(height) + " is on the contract already (its latest height is " +
      std::to_string(latest) + "); not posting it again");
  return Status::OK();
}

void CommitmentPoster::RecordPosted(PostedRecord record) {
  posted_ = std::max(posted_, record.height);
  current_.reset();
  uint64_t backlog;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.last_posted = record;
    stats_.posts++;
    stats_.gas_used_total += record.gas_used.value_or(0);
    stats_.contract_height = std::max(stats_.contract_height.value_or(0), record.height);
    stats_.in_flight_height.reset();
    backlog = Backlog(tip_, posted_, options_.every);
  }
  std::string line = "posted height " + std::to_string(record.height) + " (block " +
                     Short(record.block_hash) + ", state root " + Short(record.state_root) + ")";
  if (record.tx_hash) line += " in EVM transaction " + Hex0x(*record.tx_hash);
  if (record.evm_block) line += " (EVM block " + std::to_string(*record.evm_block) + ")";
  if (record.gas_used) line += ", gas " + std::to_string(*record.gas_used);
  line += "; backlog " + std::to_string(backlog);
  Log(line);
}

void CommitmentPoster::NoteOk() {
  uint64_t backlog;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.state = CommitmentPosterStats::State::kOk;
    backlog = Backlog(tip_, posted_, options_.every);
  }
  if (logged_state_ == "ok") return;
  Log(std::string(logged_state_ == "unreachable" ? "the EVM node answers again"
                                                 : "settling again") +
      "; the contract is at height " + std::to_string(posted_) + ", backlog " +
      std::to_string(backlog));
  logged_state_ = "ok";
}

void CommitmentPoster::NoteError(const Status& s) {
  const bool unreachable = s.code() == Code::kUnavailable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.state = unreachable ? CommitmentPosterStats::State::kUnreachable
                               : CommitmentPosterStats::State::kError;
    stats_.errors++;
    stats_.last_error = s;
    stats_.last_error_at_ms = NowMs();
  }
  // One line per change of state, not per retry.
  const std::string key = unreachable ? "unreachable" : "error:" + s.reason();
  if (key == logged_state_) return;
  logged_state_ = key;
  Log(unreachable ? "the EVM node is unreachable (" + s.message() + "); retrying with backoff"
                  : "error: " + s.message() + " (" + s.reason() + "); retrying with backoff");
}

}  // namespace tributary::settlement
