#include "api/payments.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "tributary/economy/agents.h"
#include "tributary/economy/models.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/tx.h"

namespace tributary::http {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using economy::InferenceReceipt;

Status InvalidKey(const std::string& why) {
  return Status::PermissionDenied(why, "invalid_api_key");
}

}  // namespace

Payments::Payments(Chain* chain, fs::path dir, KeyPair settler, std::chrono::milliseconds interval)
    : chain_(chain), dir_(std::move(dir)), settler_(std::move(settler)), interval_(interval) {}

Result<std::unique_ptr<Payments>> Payments::Open(Chain* chain, const fs::path& dir, KeyPair settler,
                                                 std::chrono::milliseconds interval) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  std::unique_ptr<Payments> p(new Payments(chain, dir, std::move(settler), interval));
  TRIB_RETURN_IF_ERROR(p->LoadJournal());
  p->settler_thread_ = std::thread([raw = p.get()] { raw->SettleLoop(); });
  return p;
}

Payments::~Payments() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (settler_thread_.joinable()) settler_thread_.join();
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

// The journal: one JSON receipt a line. A torn last line (a crash mid-append, before the fsync
// that would have acknowledged it) is cut off; anything else that does not parse is Corruption.
Status Payments::LoadJournal() {
  const fs::path path = dir_ / "journal";
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) text.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t good = 0, pos = 0;
  std::vector<InferenceReceipt> loaded;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // torn tail
    json j = json::parse(text.substr(pos, nl - pos), nullptr, false);
    auto r = economy::InferenceReceipt::FromJson(j.is_object() ? j["receipt"] : json());
    if (!r.ok()) {
      return Status::Corruption(path.string() + " line " + std::to_string(loaded.size() + 1) +
                                " is not a receipt: " + r.status().message());
    }
    loaded.push_back(std::move(*r));
    pos = good = nl + 1;
  }
  journal_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (journal_fd_ < 0) return Status::IOError("cannot open " + path.string());
  if (good != text.size() && ::ftruncate(journal_fd_, static_cast<off_t>(good)) != 0) {
    return Status::IOError("cannot cut the torn tail of " + path.string());
  }
  journal_lines_ = loaded.size();
  // What the ledger already settled is done; the rest is owed again.
  Status read =
      chain_->ReadState([&](const StateReader& committed, const StateReader&, const BlockHeader&) {
        for (auto& r : loaded) {
          TRIB_ASSIGN_OR_RETURN(auto settled, economy::LoadReceipt(committed, r.request_id));
          if (settled) continue;
          TRIB_ASSIGN_OR_RETURN(auto key, economy::LoadApiKey(committed, r.key_hash));
          if (key) {
            AddOwed(key->owner, r.key_hash, r.fee);
            payer_of_[r.request_id] = key->owner;
          }
          unsubmitted_.push_back(std::move(r));
        }
        return Status::OK();
      });
  stats_.unsettled = unsubmitted_.size();
  return read;
}

Status Payments::AppendJournal(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(journal_fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError("cannot write the payment journal");
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(journal_fd_) != 0) return Status::IOError("cannot sync the payment journal");
  return Status::OK();
}

void Payments::AddOwed(const Address& payer, const Hash32& key, Amount amount) {
  owed_by_payer_[payer] += amount;
  owed_by_key_[key] += amount;
}

void Payments::SubOwed(const Address& payer, const Hash32& key, Amount amount) {
  auto sub = [amount](auto& map, const auto& k) {
    auto it = map.find(k);
    if (it == map.end()) return;
    it->second = it->second > amount ? it->second - amount : 0;
    if (it->second == 0) map.erase(it);
  };
  sub(owed_by_payer_, payer);
  sub(owed_by_key_, key);
}

Status Payments::CheckKey(std::string_view secret, uint64_t now_ms) {
  const Hash32 hash = economy::ApiKeyHash(secret);
  std::optional<economy::ApiKey> key;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader&, const StateReader& pending, const BlockHeader&) {
        TRIB_ASSIGN_OR_RETURN(key, economy::LoadApiKey(pending, hash));
        return Status::OK();
      }));
  if (!key) return InvalidKey("unknown API key");
  if (key->revoked) return InvalidKey("this API key was revoked");
  if (key->expires_ms != 0 && now_ms >= key->expires_ms) return InvalidKey("this API key expired");
  return Status::OK();
}

Result<PaymentHold> Payments::Reserve(std::string_view secret, uint64_t model, Amount price_per_1k,
                                      uint64_t max_tokens, uint64_t now_ms) {
  const Hash32 hash = economy::ApiKeyHash(secret);
  auto cost = economy::InferenceFee(max_tokens, price_per_1k);
  if (!cost) return Status::InvalidArgument("the request's cost overflows", "max_tokens");
  std::lock_guard<std::mutex> lock(mu_);
  PaymentHold hold;
  Status s = chain_->ReadState([&](const StateReader&, const StateReader& pending,
                                   const BlockHeader&) -> Status {
    TRIB_ASSIGN_OR_RETURN(auto key, economy::LoadApiKey(pending, hash));
    if (!key) return InvalidKey("unknown API key");
    if (key->revoked) return InvalidKey("this API key was revoked");
    if (key->expires_ms != 0 && now_ms >= key->expires_ms) {
      return InvalidKey("this API key expired");
    }
    if (!key->Allows(model)) {
      return Status::PermissionDenied("this API key may not call " + economy::OpenAiModelId(model),
                                      "model_not_allowed");
    }
    auto owed_key = owed_by_key_.find(hash);
    const Amount held = owed_key == owed_by_key_.end() ? 0 : owed_key->second;
    auto over = [&](Amount spent, Amount limit) {
      auto total = CheckedAdd(spent, held);
      total = total ? CheckedAdd(*total, *cost) : total;
      return limit != 0 && (!total || *total > limit);
    };
    if (over(key->SpentOn(now_ms / economy::kMsPerDay), key->daily_limit)) {
      return Status::PermissionDenied(
          "this API key's daily limit of " + AmountToString(key->daily_limit) +
              " base units would be exceeded (this request may cost up to " +
              AmountToString(*cost) + ")",
          "limit_reached");
    }
    if (over(key->spent_total, key->total_limit)) {
      return Status::PermissionDenied("this API key's total limit of " +
                                          AmountToString(key->total_limit) +
                                          " base units would be exceeded",
                                      "limit_reached");
    }
    TRIB_ASSIGN_OR_RETURN(Account payer, LoadAccount(pending, key->owner));
    auto owed_payer = owed_by_payer_.find(key->owner);
    const Amount owed = owed_payer == owed_by_payer_.end() ? 0 : owed_payer->second;
    const Amount free = payer.balance > owed ? payer.balance - owed : 0;
    if (free < *cost) {
      return Status::FailedPrecondition("insufficient funds: the account " + key->owner.ToString() +
                                            " has " + AmountToString(free) +
                                            " base units free and this request may cost up to " +
                                            AmountToString(*cost),
                                        "insufficient_funds");
    }
    // An agent's owner-set budget covers everything it has held and may pay now.
    TRIB_ASSIGN_OR_RETURN(auto agent, economy::LoadAgent(pending, key->owner));
    if (agent && !agent->exited) {
      const Amount room = agent->Headroom(now_ms / economy::kMsPerDay);
      if (room == 0 || room - std::min(room, owed) < *cost) {
        return Status::PermissionDenied(
            "the agent " + key->owner.ToString() + " has " +
                AmountToString(room > owed ? room - owed : 0) +
                " base units left of the budget its owner set, and this request may cost up to " +
                AmountToString(*cost),
            "agent_budget");
      }
    }
    hold.key_hash = hash;
    hold.payer = key->owner;
    return Status::OK();
  });
  if (!s.ok()) return s;
  hold.model = model;
  hold.reserved = *cost;
  AddOwed(hold.payer, hold.key_hash, hold.reserved);
  stats_.reserved_requests++;
  return hold;
}

void Payments::Release(const PaymentHold& hold) {
  std::lock_guard<std::mutex> lock(mu_);
  SubOwed(hold.payer, hold.key_hash, hold.reserved);
  stats_.reserved_requests--;
  stats_.released++;
}

Status Payments::Charge(const PaymentHold& hold, const InferenceReceipt& receipt) {
  std::lock_guard<std::mutex> journal(journal_mu_);
  // Not journaled: the hold stays for the caller to release (no answer may be given).
  TRIB_RETURN_IF_ERROR(AppendJournal(json{{"receipt", receipt.ToJson()}}.dump() + "\n"));
  std::lock_guard<std::mutex> lock(mu_);
  SubOwed(hold.payer, hold.key_hash, hold.reserved);
  stats_.reserved_requests--;
  AddOwed(hold.payer, hold.key_hash, receipt.fee);
  payer_of_[receipt.request_id] = hold.payer;
  unsubmitted_.push_back(receipt);
  journal_lines_++;
  stats_.charged++;
  stats_.unsettled++;
  cv_.notify_all();
  return Status::OK();
}

bool Payments::WaitSettled(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return stats_.unsettled == 0; });
}

PaymentStats Payments::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Payments::SettleLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_);
    if (stop_) break;
    lock.unlock();
    SettleOnce();
    lock.lock();
  }
}

void Payments::SettleOnce() {
  // The settlement in flight: once its block is committed, its receipts are done (settled, or
  // skipped by the ledger as duplicates or as rejected: nothing more to do for them either way).
  std::optional<Hash32> flying;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flying = in_flight_tx_;
  }
  if (flying) {
    auto tx = chain_->GetTx(*flying);
    if (tx.ok() && tx->state == TxState::kPending) return;  // one settlement at a time
    std::lock_guard<std::mutex> lock(mu_);
    if (tx.ok() && tx->state == TxState::kCommitted) {
      stats_.settled += in_flight_.size();
      stats_.unsettled -= std::min<uint64_t>(stats_.unsettled, in_flight_.size());
    } else {
      // Gone from the mempool without a block (cannot happen on a single sequencer): retry.
      for (auto it = in_flight_.rbegin(); it != in_flight_.rend(); ++it) {
        unsubmitted_.push_front(*it);
      }
    }
    in_flight_.clear();
    in_flight_tx_.reset();
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> journal(journal_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (unsubmitted_.empty()) {
    if (in_flight_.empty()) CompactJournalLocked();
    return;
  }
  const Genesis& g = chain_->genesis();
  economy::SettleInferencePayload payload;
  const size_t budget = g.params.max_tx_bytes > 1024 ? g.params.max_tx_bytes - 1024 : 0;
  size_t bytes = 0;
  for (const auto& r : unsubmitted_) {
    Writer w;
    r.Encode(w);
    if (payload.receipts.size() >= economy::kMaxReceiptsPerSettle ||
        (bytes + w.bytes().size() > budget && !payload.receipts.empty())) {
      break;
    }
    bytes += w.bytes().size();
    payload.receipts.push_back(r);
  }
  Transaction tx;
  tx.chain_id = g.chain_id;
  tx.kind = std::string(economy::kSettleInferenceKind);
  tx.payload = payload.Encode();
  tx.max_fee = *g.params.FeeFor(g.params.max_tx_bytes);
  auto hash = chain_->SubmitSigned(std::move(tx), settler_);
  if (!hash.ok()) {
    std::fprintf(stderr, "payments: settlement not accepted (%s); retrying\n",
                 hash.status().ToString().c_str());
    return;
  }
  // Submitted: the pending state now counts these charges, so this node stops holding them.
  for (const auto& r : payload.receipts) {
    unsubmitted_.pop_front();
    auto payer = payer_of_.find(r.request_id);
    if (payer != payer_of_.end()) {
      SubOwed(payer->second, r.key_hash, r.fee);
      payer_of_.erase(payer);
    }
  }
  in_flight_ = std::move(payload.receipts);
  in_flight_tx_ = *hash;
  stats_.settle_txs++;
}

void Payments::CompactJournalLocked() {
  if (journal_lines_ == 0) return;
  // Every journaled receipt is settled in a committed block: the journal can start over.
  if (::ftruncate(journal_fd_, 0) == 0 && ::fdatasync(journal_fd_) == 0) journal_lines_ = 0;
}

}  // namespace tributary::http
