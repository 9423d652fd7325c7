#include <fstream>
#include <sstream>

#include "tributary/base/file_io.h"
#include "tributary/economy/bridge.h"
#include "tributary/ledger/smt.h"
#include "tributary/ledger/tx.h"
#include "tributary/settlement/bridge_relay.h"

namespace tributary::settlement {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kCursorFile = "bridge-cursor";
constexpr const char* kProofsFile = "withdrawal-proofs.jsonl";

json ProofToJson(const WithdrawalProof& p) {
  json siblings = json::array();
  for (const Hash32& h : p.siblings) siblings.push_back(ToHex(h));
  return {{"id", p.id}, {"height", p.height}, {"siblings", siblings}};
}

std::optional<WithdrawalProof> ProofFromJson(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_number_unsigned() ||
      !j.contains("height") || !j["height"].is_number_unsigned() || !j.contains("siblings") ||
      !j["siblings"].is_array() || j["siblings"].size() > 256) {
    return std::nullopt;
  }
  WithdrawalProof p;
  p.id = j["id"].get<uint64_t>();
  p.height = j["height"].get<uint64_t>();
  for (const json& s : j["siblings"]) {
    if (!s.is_string()) return std::nullopt;
    auto h = FixedFromHex<32>(s.get<std::string>());
    if (!h.ok()) return std::nullopt;
    p.siblings.push_back(*h);
  }
  return p;
}

}  // namespace

Result<std::unique_ptr<BridgeRelay>> BridgeRelay::Open(Chain* chain,
                                                       std::unique_ptr<evm::RpcClient> rpc,
                                                       BridgeRelayOptions options) {
  if (chain == nullptr || rpc == nullptr) {
    return Status::InvalidArgument("a bridge relay needs a chain and an RPC client");
  }
  if (options.every == 0 || options.confirmations == 0 || options.max_log_range == 0) {
    return Status::InvalidArgument("the bridge needs every, confirmations and a log range >= 1",
                                   "bad_settle_option");
  }
  if (options.dir.empty() || !options.sequencer) {
    return Status::InvalidArgument("the bridge relay needs a directory and the sequencer's key");
  }
  std::unique_ptr<BridgeRelay> relay(new BridgeRelay(chain, std::move(rpc), std::move(options)));
  TRIB_RETURN_IF_ERROR(relay->Load());
  return relay;
}

BridgeRelay::BridgeRelay(Chain* chain, std::unique_ptr<evm::RpcClient> rpc,
                         BridgeRelayOptions options)
    : chain_(chain),
      rpc_(std::move(rpc)),
      options_(std::move(options)),
      contract_(rpc_.get(), options_.bridge) {
  stats_.bridge = options_.bridge;
  stats_.confirmations = options_.confirmations;
}

BridgeRelay::~BridgeRelay() { Stop(); }

Status BridgeRelay::Load() {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    return Status::IOError("cannot create " + options_.dir.string() + ": " + ec.message(),
                           "settlement_dir");
  }
  std::lock_guard<std::mutex> lock(mu_);
  cursor_ = options_.from_block;
  auto cursor = ReadFile(options_.dir / kCursorFile);
  if (cursor.ok()) {
    try {
      cursor_ = std::stoull(*cursor);
    } catch (...) {
      return Status::Corruption(
          (options_.dir / kCursorFile).string() + " does not hold an EVM block number",
          "bad_bridge_cursor");
    }
  }
  stats_.scanned_to = cursor_;
  std::ifstream in(options_.dir / kProofsFile);
  std::string line;
  bool dropped = false;
  while (std::getline(in, line)) {
    auto p = ProofFromJson(line);
    if (!p || !HoldsLocked(*p)) {
      dropped = true;  // a torn line, or a proof of a block lost before it was durable
      continue;
    }
    proofs_[p->id] = *p;
  }
  stats_.withdrawals_proven = proofs_.size();
  if (dropped) TRIB_RETURN_IF_ERROR(RewriteProofsLocked());
  return Status::OK();
}

bool BridgeRelay::HoldsLocked(const WithdrawalProof& p) {
  auto header = chain_->GetHeader(p.height);
  if (!header.ok()) return false;
  const std::string key = economy::WithdrawalKey(p.id);
  auto value = chain_->GetState(key, false);
  if (!value.ok() || !value->value) return false;
  SmtProof proof;
  proof.siblings = p.siblings;
  return VerifySmtProof(header->state_root, State::KeyHash(key), State::ValueHash(*value->value),
                        proof)
      .ok();
}

Status BridgeRelay::RewriteProofsLocked() {
  std::string text;
  for (const auto& [id, p] : proofs_) text += ProofToJson(p).dump() + "\n";
  return WriteFileAtomic(options_.dir / kProofsFile, text);
}

Status BridgeRelay::SaveCursor(uint64_t cursor) {
  return WriteFileAtomic(options_.dir / kCursorFile, std::to_string(cursor) + "\n");
}

void BridgeRelay::Start() {
  if (listening_) return;
  listener_ = chain_->AddCommitListener([this](const CommittedBlock& b) {
    if (b.header.height % options_.every == 0) Capture(b.header.height);
  });
  listening_ = true;
  // A relay started between two multiples proves what it can at the next one; one started at a
  // multiple (a restart) proves now.
  const uint64_t height = chain_->height();
  if (height > 0 && height % options_.every == 0) Capture(height);
}

void BridgeRelay::Stop() {
  if (listening_) {
    chain_->RemoveCommitListener(listener_);
    listening_ = false;
  }
}

void BridgeRelay::Capture(uint64_t height) {
  uint64_t count = 0;
  Status read = chain_->ReadState(
      [&](const StateReader& committed, const StateReader&, const BlockHeader& head) -> Status {
        if (head.height != height) return Status::Unavailable("moved on");
        TRIB_ASSIGN_OR_RETURN(count, economy::LoadWithdrawalCount(committed));
        return Status::OK();
      });
  if (!read.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::string lines;
  for (uint64_t id = 1; id <= count; ++id) {
    if (proofs_.count(id)) continue;
    auto lookup = chain_->GetState(economy::WithdrawalKey(id), true);
    if (!lookup.ok() || !lookup->value || !lookup->proof || lookup->header.height != height) {
      break;  // the chain moved on (only ProduceBlock callers outside the producer do that)
    }
    WithdrawalProof p{id, height, lookup->proof->siblings};
    proofs_[id] = p;
    lines += ProofToJson(p).dump() + "\n";
  }
  stats_.withdrawals_proven = proofs_.size();
  if (lines.empty()) return;
  std::ofstream out(options_.dir / kProofsFile, std::ios::app);
  out << lines;
  out.flush();
}

Status BridgeRelay::Check(const evm::Address& commitments) const {
  TRIB_ASSIGN_OR_RETURN(
      json code, rpc_->Call("eth_getCode", json::array({options_.bridge.ToLowerHex(), "latest"})));
  if (!code.is_string() || code == "0x" || code == "0x0") {
    return Status::FailedPrecondition("no contract at " + options_.bridge.ToChecksumString() +
                                          " on this EVM chain (a wrong --settle-bridge address?)",
                                      "no_contract");
  }
  TRIB_ASSIGN_OR_RETURN(evm::Address bound, contract_.Commitments());
  if (bound != commitments) {
    return Status::FailedPrecondition("the OpenBridge at " + options_.bridge.ToChecksumString() +
                                          " trusts the commitments of " + bound.ToChecksumString() +
                                          ", not " + commitments.ToChecksumString(),
                                      "bridge_mismatch");
  }
  return Status::OK();
}

Status BridgeRelay::CreditDeposits() {
  TRIB_ASSIGN_OR_RETURN(uint64_t latest, rpc_->BlockNumber());
  if (latest + 1 < options_.confirmations) return Status::OK();
  const uint64_t safe = latest + 1 - options_.confirmations;  // the newest block to act on
  uint64_t from;
  {
    std::lock_guard<std::mutex> lock(mu_);
    from = cursor_;
  }
  if (safe < from) return Status::OK();
  const uint64_t to = std::min(safe, from + options_.max_log_range - 1);
  TRIB_ASSIGN_OR_RETURN(std::vector<DepositedEvent> deposits, contract_.Deposits(from, to));
  bool all_credited = true;
  const Genesis& g = chain_->genesis();
  for (const DepositedEvent& d : deposits) {
    auto amount = d.amount.ToAmount();
    if (!amount) {
      // OPEN's supply is far below 2^128 base units: such a deposit cannot come from OPEN.
      return Status::InvalidArgument("deposit " + std::to_string(d.deposit_id) + " of " +
                                         d.amount.ToString() + " base units does not fit 128 bits",
                                     "bad_deposit");
    }
    bool committed = false, pending = false;
    Amount escrow = 0;
    TRIB_RETURN_IF_ERROR(chain_->ReadState(
        [&](const StateReader& c, const StateReader& p, const BlockHeader&) -> Status {
          TRIB_ASSIGN_OR_RETURN(auto cc, economy::LoadDepositCredit(c, d.deposit_id));
          TRIB_ASSIGN_OR_RETURN(auto pc, economy::LoadDepositCredit(p, d.deposit_id));
          TRIB_ASSIGN_OR_RETURN(Account e, LoadAccount(p, economy::BridgeEscrowAddress()));
          committed = cc.has_value();
          pending = pc.has_value();
          escrow = e.balance;
          return Status::OK();
        }));
    if (committed) continue;
    all_credited = false;
    if (pending) continue;
    if (escrow < *amount) {
      return Status::FailedPrecondition(
          "deposit " + std::to_string(d.deposit_id) + " of " + FormatTokens(*amount) +
              " OPEN cannot be credited: the bridge escrow holds " + FormatTokens(escrow) +
              " (give it, at genesis, the OPEN that starts on the EVM side)",
          "bridge_escrow_short");
    }
    economy::BridgeCreditPayload payload;
    payload.deposit_id = d.deposit_id;
    payload.account = d.account;
    payload.amount = *amount;
    payload.evm_tx = d.tx_hash;
    Transaction tx;
    tx.chain_id = g.chain_id;
    tx.kind = std::string(economy::kBridgeCreditKind);
    tx.payload = payload.Encode();
    tx.max_fee = *g.params.FeeFor(g.params.max_tx_bytes);
    TRIB_ASSIGN_OR_RETURN(Hash32 hash, chain_->SubmitSigned(std::move(tx), *options_.sequencer));
    (void)hash;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.credits_submitted++;
    stats_.last_deposit_credited = d;
  }
  if (!all_credited) return Status::OK();
  TRIB_RETURN_IF_ERROR(SaveCursor(to + 1));
  std::lock_guard<std::mutex> lock(mu_);
  cursor_ = to + 1;
  stats_.scanned_to = cursor_;
  return Status::OK();
}

Result<std::optional<PendingRelease>> BridgeRelay::NextRelease(const CommitmentsContract& contract,
                                                               uint64_t posted) {
  std::vector<WithdrawalProof> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, p] : proofs_) {
      if (!stats_.released.count(id) && p.height <= posted) candidates.push_back(p);
    }
  }
  for (const WithdrawalProof& p : candidates) {
    TRIB_ASSIGN_OR_RETURN(bool released, contract_.IsReleased(p.id));
    if (released) {
      NoteReleased(p.id, std::nullopt, std::nullopt);
      continue;
    }
    TRIB_ASSIGN_OR_RETURN(PostedCommitment c, contract.Commitment(p.height));
    TRIB_ASSIGN_OR_RETURN(BlockHeader header, chain_->GetHeader(p.height));
    if (c.posted_at == 0 || c.state_root != header.state_root) {
      // Revoked (or not this chain's root): prove it again at the next multiple.
      std::lock_guard<std::mutex> lock(mu_);
      proofs_.erase(p.id);
      stats_.withdrawals_proven = proofs_.size();
      TRIB_RETURN_IF_ERROR(RewriteProofsLocked());
      continue;
    }
    TRIB_ASSIGN_OR_RETURN(bool final, contract.IsFinal(p.height));
    if (!final) return std::optional<PendingRelease>();  // later proofs are no older
    std::optional<economy::Withdrawal> w;
    TRIB_RETURN_IF_ERROR(chain_->ReadState(
        [&](const StateReader& committed, const StateReader&, const BlockHeader&) -> Status {
          TRIB_ASSIGN_OR_RETURN(w, economy::LoadWithdrawal(committed, p.id));
          return Status::OK();
        }));
    if (!w)
      return Status::Corruption("withdrawal " + std::to_string(p.id) +
                                " has a proof but no record");
    PendingRelease r;
    r.id = p.id;
    r.withdrawal = *w;
    r.proof = p;
    evm::Address recipient;
    std::copy(w->recipient.begin(), w->recipient.end(), recipient.bytes.begin());
    r.calldata =
        BridgeContract::EncodeRelease(p.id, recipient, U256(w->amount), p.height, p.siblings);
    return std::optional<PendingRelease>(std::move(r));
  }
  return std::optional<PendingRelease>();
}

void BridgeRelay::NoteReleased(uint64_t id, std::optional<Hash32> tx, std::optional<uint64_t> gas) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.released.insert(id);
  if (!tx) return;
  stats_.releases++;
  stats_.release_gas_total += gas.value_or(0);
  stats_.last_released_id = id;
  stats_.last_release_tx = tx;
  stats_.last_release_gas = gas;
}

std::optional<WithdrawalProof> BridgeRelay::Proof(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = proofs_.find(id);
  if (it == proofs_.end()) return std::nullopt;
  return it->second;
}

BridgeRelayStats BridgeRelay::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace tributary::settlement
