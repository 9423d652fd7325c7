// The engine's host cache of LoRA adapters: loaded on a background thread, budgeted in bytes,
// least recently used evicted first, pinned ones never (internal to the serve library).
//
// Thread-safety: every method may be called from any thread. `on_change` runs on the loader
// thread after each load finishes (success or failure), without the cache's lock held.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "tributary/model/lora.h"
#include "tributary/serve/engine.h"

namespace tributary::serve {

class AdapterCache {
 public:
  //! Adapters are kept in `storage` (default: the base's dtype).
  AdapterCache(const model::LlamaModel& base, int64_t budget_bytes,
               std::optional<torch::ScalarType> storage, std::function<void()> on_change);
  ~AdapterCache();
  AdapterCache(const AdapterCache&) = delete;
  AdapterCache& operator=(const AdapterCache&) = delete;

  enum class State { kReady, kLoading, kFailed };
  struct Lookup {
    State state = State::kLoading;
    std::shared_ptr<const model::LoraAdapter> adapter;  //!< kReady
    Status error;                                       //!< kFailed
  };
  //! The adapter for a request. Cached with the same directory (or `ref.dir` empty): kReady and
  //! marked used. Not cached, or cached from another directory: an asynchronous load starts and
  //! the answer is kLoading (a later call sees its result). A failed load answers kFailed once
  //! per waiting caller until Forget. Not cached and no directory: kFailed, NotFound.
  //! `count` adds the lookup to the hit/miss counters (once per request).
  Lookup Acquire(const AdapterRef& ref, bool count);
  //! Drops a failed entry so that a later request retries the load.
  void Forget(const std::string& name);
  //! Loads now (replacing an entry of the same name; requests holding the old weights keep
  //! them). `pin` keeps it from eviction.
  Status LoadNow(const AdapterRef& ref, bool pin);
  //! NotFound if `name` is not cached.
  Status Unload(const std::string& name);
  std::vector<AdapterCacheInfo> List() const;
  void AddStats(EngineStats* stats) const;

 private:
  struct Entry {
    AdapterRef ref;
    std::shared_ptr<const model::LoraAdapter> adapter;  // null while the first load runs
    int64_t bytes = 0;
    int64_t rank = 0;
    bool pinned = false;
    bool loading = false;
    std::filesystem::path loading_dir;  // the directory being loaded
    Status error;
    uint64_t last_used = 0;
    double load_ms = 0;
  };
  void LoaderLoop();
  //! Reads an adapter and checks it against the base; fills bytes, rank and the time taken.
  Result<std::shared_ptr<const model::LoraAdapter>> Read(const std::filesystem::path& dir,
                                                         int64_t* bytes, int64_t* rank,
                                                         double* ms) const;
  //! Installs a loaded adapter and evicts down to the budget. Requires mu_.
  Status InstallLocked(const AdapterRef& ref, std::shared_ptr<const model::LoraAdapter> adapter,
                       int64_t bytes, int64_t rank, double ms, bool pin);

  const model::LlamaModel& base_;
  const int64_t budget_bytes_;
  const std::optional<torch::ScalarType> storage_;
  std::function<void()> on_change_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::deque<AdapterRef> queue_;
  uint64_t clock_ = 0;
  int64_t bytes_ = 0;
  int64_t hits_ = 0, misses_ = 0, loads_ = 0, evictions_ = 0, failures_ = 0;
  Histogram load_seconds_;
  bool stop_ = false;
  std::thread loader_;
};

}  // namespace tributary::serve
