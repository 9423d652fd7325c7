#include "api/earnings-index.h"

#include <cstdio>
#include <ctime>

#include "tributary/economy/inference.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

std::string Attr(const Event& e, std::string_view key) {
  for (const auto& [k, v] : e.attrs) {
    if (k == key) return v;
  }
  return "";
}

std::string Day(uint64_t day) {
  std::time_t t = static_cast<std::time_t>(day * 86400);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

template <typename K>
json Rows(const std::map<K, Amount>& m, const char* key, bool as_day = false) {
  json out = json::array();
  for (const auto& [k, v] : m) {
    json row;
    if constexpr (std::is_same_v<K, uint64_t>) {
      row[key] = as_day ? json(Day(k)) : json(k);
    } else {
      row[key] = k;
    }
    row["amount"] = AmountToString(v);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

EarningsIndex::EarningsIndex(Chain* chain) : chain_(chain) {
  // Subscribe first, then read what is already committed: a block committed in between is seen
  // by both, and Add skips blocks at or below the height already read.
  listener_ = chain_->AddCommitListener([this](const CommittedBlock& b) {
    std::lock_guard<std::mutex> lock(mu_);
    if (b.header.height <= height_) return;
    for (const auto& r : b.receipts) Add(b.header, r);
    height_ = b.header.height;
  });
  const uint64_t tip = chain_->height();
  for (uint64_t h = 1; h <= tip; ++h) {
    auto block = chain_->GetBlock(h);
    if (!block.ok()) break;
    std::lock_guard<std::mutex> lock(mu_);
    if (h <= height_) continue;
    for (const auto& hash : block->second) {
      auto tx = chain_->GetTx(hash);
      if (tx.ok() && tx->tx.kind == economy::kSettleInferenceKind) Add(block->first, tx->receipt);
    }
    height_ = h;
  }
}

EarningsIndex::~EarningsIndex() { chain_->RemoveCommitListener(listener_); }

void EarningsIndex::Add(const BlockHeader& header, const Receipt& receipt) {
  for (const auto& e : receipt.events) {
    if (e.type != "inference.earned") continue;
    auto account = Address::Parse(Attr(e, "account"));
    auto amount = ParseAmount(Attr(e, "amount"));
    if (!account.ok() || !amount.ok()) continue;
    Totals& t = accounts_[*account];
    t.credits++;
    t.by_role[Attr(e, "role")] += *amount;
    t.by_model[std::strtoull(Attr(e, "model").c_str(), nullptr, 10)] += *amount;
    t.by_day[header.timestamp_ms / economy::kMsPerDay] += *amount;
    const std::string contribution = Attr(e, "contribution");
    if (!contribution.empty()) {
      t.by_contribution[contribution] += *amount;
      t.by_datanet[std::strtoull(Attr(e, "datanet").c_str(), nullptr, 10)] += *amount;
    }
  }
}

json EarningsIndex::Breakdown(const Address& account) {
  std::lock_guard<std::mutex> lock(mu_);
  json roles = json::object();
  Totals empty;
  auto it = accounts_.find(account);
  const Totals& t = it == accounts_.end() ? empty : it->second;
  for (const auto& [role, amount] : t.by_role) roles[role] = AmountToString(amount);
  return {{"credits", t.credits},
          {"by_role", roles},
          {"by_model", Rows(t.by_model, "model")},
          {"by_datanet", Rows(t.by_datanet, "datanet")},
          {"by_contribution", Rows(t.by_contribution, "contribution")},
          {"by_day", Rows(t.by_day, "day", true)},
          {"indexed_height", height_}};
}

}  // namespace tributary::http
