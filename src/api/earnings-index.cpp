#include "api/earnings-index.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

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

//! sum += amount, saturating at the largest Amount (an index must not wrap, nor stop).
void AddTo(Amount& sum, Amount amount) { sum = CheckedAdd(sum, amount).value_or(kAmountMax); }

uint64_t ParseId(const std::string& text) { return std::strtoull(text.c_str(), nullptr, 10); }

json RolesJson(const std::map<std::string, Amount>& by_role) {
  json roles = json::object();
  for (const auto& [role, amount] : by_role) roles[role] = AmountToString(amount);
  return roles;
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
    if (e.type == "inference.settled") {
      auto payer = Address::Parse(Attr(e, "payer"));
      auto paid = ParseAmount(Attr(e, "paid"));
      if (!payer.ok() || !paid.ok()) continue;
      answers_++;
      AddTo(fees_paid_, *paid);
      AddRecent(accounts_[*payer], header, Attr(e, "request_id"), ParseId(Attr(e, "model")),
                "payer", *paid);
      continue;
    }
    if (e.type != "inference.earned") continue;
    auto account = Address::Parse(Attr(e, "account"));
    auto amount = ParseAmount(Attr(e, "amount"));
    if (!account.ok() || !amount.ok()) continue;
    const std::string role = Attr(e, "role");
    const uint64_t model = ParseId(Attr(e, "model"));
    Totals& t = accounts_[*account];
    t.credits++;
    AddTo(t.total, *amount);
    AddTo(total_earned_, *amount);
    AddTo(t.by_role[role], *amount);
    AddTo(t.by_model[model], *amount);
    AddTo(t.by_day[header.timestamp_ms / economy::kMsPerDay], *amount);
    const std::string contribution = Attr(e, "contribution");
    if (!contribution.empty()) {
      AddTo(t.by_contribution[contribution], *amount);
      AddTo(t.by_datanet[ParseId(Attr(e, "datanet"))], *amount);
    }
    AddRecent(t, header, Attr(e, "request_id"), model, role, *amount);
  }
}

void EarningsIndex::AddRecent(Totals& t, const BlockHeader& header, const std::string& request_id,
                              uint64_t model, const std::string& role, Amount amount) {
  // A request settles once, in one block: only this block's receipts can be the same one.
  for (auto it = t.recent.rbegin(); it != t.recent.rend() && it->height == header.height; ++it) {
    if (it->request_id == request_id && it->role == role) {
      AddTo(it->amount, amount);
      return;
    }
  }
  t.recent.push_back({request_id, header.height, header.timestamp_ms, model, role, amount});
  if (t.recent.size() > kMaxRecentReceipts) t.recent.pop_front();
}

json EarningsIndex::Breakdown(const Address& account) {
  std::lock_guard<std::mutex> lock(mu_);
  Totals empty;
  auto it = accounts_.find(account);
  const Totals& t = it == accounts_.end() ? empty : it->second;
  return {{"credits", t.credits},
          {"by_role", RolesJson(t.by_role)},
          {"by_model", Rows(t.by_model, "model")},
          {"by_datanet", Rows(t.by_datanet, "datanet")},
          {"by_contribution", Rows(t.by_contribution, "contribution")},
          {"by_day", Rows(t.by_day, "day", true)},
          {"indexed_height", height_}};
}

json EarningsIndex::Earners(size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, const Totals*>> earners;
  for (const auto& [address, t] : accounts_) {
    if (t.credits > 0) earners.emplace_back(address.ToString(), &t);
  }
  std::sort(earners.begin(), earners.end(), [](const auto& a, const auto& b) {
    if (a.second->total != b.second->total) return a.second->total > b.second->total;
    return a.first < b.first;
  });
  if (earners.size() > limit) earners.resize(limit);
  json rows = json::array();
  for (const auto& [account, t] : earners) {
    rows.push_back({{"account", account},
                    {"total", AmountToString(t->total)},
                    {"credits", t->credits},
                    {"by_role", RolesJson(t->by_role)}});
  }
  return {{"fees_paid", AmountToString(fees_paid_)},
          {"answers", answers_},
          {"total_earned", AmountToString(total_earned_)},
          {"indexed_height", height_},
          {"earners", rows}};
}

json EarningsIndex::RecentReceipts(const Address& account, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  json rows = json::array();
  auto it = accounts_.find(account);
  if (it != accounts_.end()) {
    const auto& recent = it->second.recent;
    for (auto r = recent.rbegin(); r != recent.rend() && rows.size() < limit; ++r) {
      rows.push_back({{"request_id", r->request_id},
                      {"height", r->height},
                      {"timestamp_ms", r->timestamp_ms},
                      {"model", r->model},
                      {"role", r->role},
                      {"amount", AmountToString(r->amount)}});
    }
  }
  return {{"receipts", rows}, {"indexed_height", height_}};
}

}  // namespace tributary::http
