// What each account earned from paid answers, broken down by role, model, Datanet, contribution
// and UTC day: an index of the node, built from the inference.earned events of committed blocks
// (read once at start, then from each new block). The totals it breaks down are in ledger state
// (economy/inference.h, provable); this index only explains them. Internal to the api library.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

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

 private:
  struct Totals {
    uint64_t credits = 0;
    std::map<std::string, Amount> by_role;
    std::map<uint64_t, Amount> by_model, by_datanet, by_day;
    std::map<std::string, Amount> by_contribution;
  };
  void Add(const BlockHeader& header, const Receipt& receipt);

  Chain* chain_;
  uint64_t listener_ = 0;
  std::mutex mu_;
  std::map<Address, Totals> accounts_;
  uint64_t height_ = 0;
};

}  // namespace tributary::http
