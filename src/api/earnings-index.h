// What each account earned from paid answers, broken down by role, model, Datanet, contribution
// and UTC day, the answers each account recently paid for or earned from, and the totals over all
// accounts: an index of the node, built from the inference.earned and inference.settled events of
// committed blocks (read once at start, then from each new block). The totals it breaks down are
// in ledger state (economy/inference.h, provable); this index only explains them. Sums saturate
// at the largest Amount instead of wrapping. Internal to the api library.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "tributary/ledger/chain.h"

namespace tributary::http {

class EarningsIndex {
 public:
  //! Reads every committed block's receipts and subscribes to new blocks.
  explicit EarningsIndex(Chain* chain);
  ~EarningsIndex();
  EarningsIndex(const EarningsIndex&) = delete;
  EarningsIndex& operator=(const EarningsIndex&) = delete;

  //! {"by_role": {role: amount}, "by_model": [{model, amount}], "by_datanet": [...],
  //!  "by_contribution": [...], "by_day": [{"day": "YYYY-MM-DD", amount}], "credits",
  //!  "indexed_height"}; amounts as decimal strings of base units.
  nlohmann::json Breakdown(const Address& account);

  //! {"fees_paid", "answers", "total_earned", "indexed_height", "earners": [{"account", "total",
  //!  "credits", "by_role": {role: amount}}]}: the `limit` accounts that earned most (total
  //! descending, then address), with the totals over every settled answer.
  nlohmann::json Earners(size_t limit);

  //! Receipts kept per account; older ones drop off.
  static constexpr size_t kMaxRecentReceipts = 200;

  //! {"receipts": [{"request_id", "height", "timestamp_ms", "model", "role", "amount"}],
  //!  "indexed_height"}: the newest `limit` settled answers `account` paid for (role "payer",
  //! amount paid) or earned from (its role in inference.earned, the amounts of the request's
  //! parts in that role summed), newest first.
  nlohmann::json RecentReceipts(const Address& account, size_t limit);

 private:
  struct RecentReceipt {
    std::string request_id;
    uint64_t height = 0;
    uint64_t timestamp_ms = 0;
    uint64_t model = 0;
    std::string role;
    Amount amount = 0;
  };
  struct Totals {
    uint64_t credits = 0;
    Amount total = 0;
    std::map<std::string, Amount> by_role;
    std::map<uint64_t, Amount> by_model, by_datanet, by_day;
    std::map<std::string, Amount> by_contribution;
    std::deque<RecentReceipt> recent;  //!< oldest first, at most kMaxRecentReceipts
  };
  void Add(const BlockHeader& header, const Receipt& receipt);
  //! Adds `amount` to the account's receipt of `request_id` in `role` from this block, or keeps a
  //! new one.
  static void AddRecent(Totals& t, const BlockHeader& header, const std::string& request_id,
                        uint64_t model, const std::string& role, Amount amount);

  Chain* chain_;
  uint64_t listener_ = 0;
  std::mutex mu_;
  std::map<Address, Totals> accounts_;
  Amount fees_paid_ = 0;     //!< sum of inference.settled's paid
  uint64_t answers_ = 0;     //!< inference.settled events
  Amount total_earned_ = 0;  //!< sum of inference.earned's amount
  uint64_t height_ = 0;
};

}  // namespace tributary::http
