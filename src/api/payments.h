// Payments for answers (docs/payments.md): API keys checked against the ledger, reservations so
// that concurrent requests never overspend, a durable journal of charges, and the settler that
// commits them to the ledger in inference.settle transactions.
//
// A paid request goes Reserve -> (the answer) -> Charge, or Reserve -> Release when no answer was
// given. Charge appends the receipt to DIR/journal and fsyncs before it returns, so an answer is
// acknowledged only once its charge survives kill -9; on start, every journaled receipt the
// ledger has not settled is settled again (the ledger skips request ids it already has, so a
// receipt is never charged twice).
//
// What a payer can spend: the balance in the pending state (committed blocks plus the mempool,
// where submitted settlements already count) minus what this node holds for it (reservations and
// charges not yet submitted). The same holds for a key's daily and total limits.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tributary/base/keys.h"
#include "tributary/economy/inference.h"
#include "tributary/ledger/chain.h"

namespace tributary::http {

//! What a reservation holds for one request.
struct PaymentHold {
  Hash32 key_hash{};
  Address payer;
  uint64_t model = 0;
  Amount reserved = 0;
};

struct PaymentStats {
  uint64_t reserved_requests = 0;  //!< holds open now
  uint64_t charged = 0;            //!< receipts journaled since start
  uint64_t settled = 0;            //!< receipts the ledger settled since start
  uint64_t unsettled = 0;          //!< journaled, not yet settled
  uint64_t settle_txs = 0;         //!< inference.settle transactions submitted
  uint64_t released = 0;           //!< holds released without a charge
};

class Payments {
 public:
  //! Opens DIR/journal (creating DIR), reloads what is unsettled and starts the settler, which
  //! signs with `settler` (the chain's sequencer key) and submits at most one settlement per
  //! `interval` and never a second while the first is pending.
  static Result<std::unique_ptr<Payments>> Open(Chain* chain, const std::filesystem::path& dir,
                                                KeyPair settler,
                                                std::chrono::milliseconds interval);
  ~Payments();

  //! Checks the key behind `secret` (ApiKeyHash) and holds the most `max_tokens` can cost at
  //! `price_per_1k`. Errors: reason "invalid_api_key" (unknown, revoked or expired key),
  //! "model_not_allowed" and "limit_reached" (PermissionDenied), "insufficient_funds".
  Result<PaymentHold> Reserve(std::string_view secret, uint64_t model, Amount price_per_1k,
                              uint64_t max_tokens, uint64_t now_ms);
  //! Checks a key without holding anything (a key sent to a free model): "invalid_api_key".
  Status CheckKey(std::string_view secret, uint64_t now_ms);
  //! Gives the hold back: no answer was given.
  void Release(const PaymentHold& hold);
  //! Journals `receipt` durably, then swaps the hold for the receipt's fee. After OK the charge
  //! is settled exactly once, whatever happens to this process; after an error nothing was
  //! charged and the hold is still the caller's to Release.
  Status Charge(const PaymentHold& hold, const economy::InferenceReceipt& receipt);
  //! Waits until nothing journaled is unsettled, or `timeout`; true when all are settled.
  bool WaitSettled(std::chrono::milliseconds timeout);
  PaymentStats stats();

 private:
  Payments(Chain* chain, std::filesystem::path dir, KeyPair settler,
           std::chrono::milliseconds interval);
  Status LoadJournal();
  Status AppendJournal(const std::string& line);
  void SettleLoop();
  void SettleOnce();
  void CompactJournalLocked();
  void AddOwed(const Address& payer, const Hash32& key, Amount amount);
  void SubOwed(const Address& payer, const Hash32& key, Amount amount);

  Chain* chain_;
  std::filesystem::path dir_;
  KeyPair settler_;
  std::chrono::milliseconds interval_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<Address, Amount> owed_by_payer_;
  std::map<Hash32, Amount> owed_by_key_;
  std::map<std::string, Address> payer_of_;  // request id -> payer, until submitted
  std::deque<economy::InferenceReceipt> unsubmitted_;
  std::vector<economy::InferenceReceipt> in_flight_;  // in the settlement tx below
  std::optional<Hash32> in_flight_tx_;
  size_t journal_lines_ = 0;
  PaymentStats stats_;

  std::mutex journal_mu_;
  int journal_fd_ = -1;
  std::thread settler_thread_;
};

}  // namespace tributary::http
