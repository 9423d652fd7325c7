#include "serve/adapter-cache.h"

#include <torch/torch.h>

#include <algorithm>

#include "tributary/model/llama.h"

namespace tributary::serve {

namespace fs = std::filesystem;

namespace {

// Load latency buckets in seconds: adapters of a few MB load in milliseconds, large ones in
// seconds.
std::vector<double> LoadBuckets() { return {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}; }

}  // namespace

AdapterCache::AdapterCache(const model::LlamaModel& base, int64_t budget_bytes,
                           std::optional<torch::ScalarType> storage,
                           std::function<void()> on_change)
    : base_(base),
      budget_bytes_(budget_bytes),
      storage_(storage),
      on_change_(std::move(on_change)),
      load_seconds_(LoadBuckets()) {
  loader_ = std::thread([this] { LoaderLoop(); });
}

AdapterCache::~AdapterCache() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  loader_.join();
}

Result<std::shared_ptr<const model::LoraAdapter>> AdapterCache::Read(const fs::path& dir,
                                                                     int64_t* bytes, int64_t* rank,
                                                                     double* ms) const {
  auto start = std::chrono::steady_clock::now();
  auto loaded = model::LoraAdapter::Load(dir, base_, storage_);
  if (!loaded.ok()) return loaded.status();
  auto adapter = std::make_shared<const model::LoraAdapter>(std::move(*loaded));
  *bytes = 0;
  *rank = 0;
  for (const auto& [name, t] : adapter->NamedParameters()) {
    *bytes += t.numel() * static_cast<int64_t>(t.element_size());
  }
  for (const auto& slot : adapter->Slots()) *rank = std::max(*rank, slot.weights->a.size(0));
  *ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return adapter;
}

Status AdapterCache::InstallLocked(const AdapterRef& ref,
                                   std::shared_ptr<const model::LoraAdapter> adapter, int64_t bytes,
                                   int64_t rank, double ms, bool pin) {
  if (bytes > budget_bytes_) {
    return Status::ResourceExhausted("adapter " + ref.name + " needs " + std::to_string(bytes) +
                                         " bytes, more than the adapter cache's budget of " +
                                         std::to_string(budget_bytes_),
                                     "adapter_too_large");
  }
  Entry& e = entries_[ref.name];
  if (e.adapter) bytes_ -= e.bytes;
  e.ref = ref;
  e.adapter = std::move(adapter);
  e.bytes = bytes;
  e.rank = rank;
  e.pinned = e.pinned || pin;
  e.error = Status::OK();
  e.last_used = ++clock_;
  e.load_ms = ms;
  bytes_ += bytes;
  ++loads_;
  load_seconds_.Observe(ms / 1000);
  // Evict the least recently used unpinned adapters until the cache fits its budget. Requests
  // running on an evicted adapter hold their own reference and finish on it.
  while (bytes_ > budget_bytes_) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == ref.name || it->second.pinned || !it->second.adapter) continue;
      if (victim == entries_.end() || it->second.last_used < victim->second.last_used) victim = it;
    }
    if (victim == entries_.end()) break;  // everything else is pinned or loading
    bytes_ -= victim->second.bytes;
    if (victim->second.loading) {
      victim->second.adapter.reset();
      victim->second.bytes = 0;
    } else {
      entries_.erase(victim);
    }
    ++evictions_;
  }
  return Status::OK();
}

AdapterCache::Lookup AdapterCache::Acquire(const AdapterRef& ref, bool count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ref.name);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (!e.error.ok()) return {State::kFailed, nullptr, e.error};
    const bool same_dir = ref.dir.empty() || ref.dir == e.ref.dir;
    if (e.adapter && same_dir) {
      e.last_used = ++clock_;
      if (count) ++hits_;
      return {State::kReady, e.adapter, Status::OK()};
    }
    if (count) ++misses_;
    if (!e.loading) {
      e.loading = true;
      e.loading_dir = ref.dir;
      queue_.push_back(ref);
      cv_.notify_all();
    }
    return {State::kLoading, nullptr, Status::OK()};
  }
  if (count) ++misses_;
  if (ref.dir.empty()) {
    return {State::kFailed, nullptr,
            Status::NotFound("no adapter named '" + ref.name + "' is loaded", "model_not_found")};
  }
  Entry& e = entries_[ref.name];
  e.ref = ref;
  e.loading = true;
  e.loading_dir = ref.dir;
  queue_.push_back(ref);
  cv_.notify_all();
  return {State::kLoading, nullptr, Status::OK()};
}

void AdapterCache::Forget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it != entries_.end() && !it->second.error.ok()) entries_.erase(it);
}

void AdapterCache::LoaderLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    AdapterRef ref = queue_.front();
    queue_.pop_front();
    lock.unlock();
    int64_t bytes = 0, rank = 0;
    double ms = 0;
    auto loaded = Read(ref.dir, &bytes, &rank, &ms);
    lock.lock();
    auto it = entries_.find(ref.name);
    if (it != entries_.end()) {
      it->second.loading = false;
      Status s = loaded.ok() ? InstallLocked(ref, std::move(*loaded), bytes, rank, ms, false)
                             : loaded.status();
      if (!s.ok()) {
        ++failures_;
        it = entries_.find(ref.name);
        if (it != entries_.end()) {
          if (it->second.adapter) bytes_ -= it->second.bytes;
          it->second.adapter.reset();
          it->second.bytes = 0;
          it->second.error = Status(s.code(), s.reason(),
                                    "adapter " + ref.name + " (" + ref.dir.string() +
                                        ") cannot be loaded: " + s.message());
        }
      }
    }
    lock.unlock();
    if (on_change_) on_change_();
    lock.lock();
  }
}

Status AdapterCache::LoadNow(const AdapterRef& ref, bool pin) {
  int64_t bytes = 0, rank = 0;
  double ms = 0;
  auto loaded = Read(ref.dir, &bytes, &rank, &ms);
  if (!loaded.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++failures_;
    return loaded.status();
  }
  Status s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = InstallLocked(ref, std::move(*loaded), bytes, rank, ms, pin);
  }
  if (on_change_) on_change_();
  return s;
}

Status AdapterCache::Unload(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end() || (!it->second.adapter && !it->second.loading)) {
    return Status::NotFound("no adapter named '" + name + "' is loaded", "model_not_found");
  }
  if (it->second.adapter) bytes_ -= it->second.bytes;
  entries_.erase(it);
  return Status::OK();
}

std::vector<AdapterCacheInfo> AdapterCache::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AdapterCacheInfo> out;
  for (const auto& [name, e] : entries_) {
    if (!e.adapter && !e.loading) continue;
    out.push_back({name, e.ref.dir, e.bytes, e.rank, e.pinned, e.loading, e.load_ms});
  }
  return out;
}

void AdapterCache::AddStats(EngineStats* stats) const {
  std::lock_guard<std::mutex> lock(mu_);
  stats->adapter_hits = hits_;
  stats->adapter_misses = misses_;
  stats->adapter_loads = loads_;
  stats->adapter_evictions = evictions_;
  stats->adapter_load_failures = failures_;
  stats->adapter_cache_bytes = bytes_;
  stats->adapters_cached = 0;
  for (const auto& [name, e] : entries_) stats->adapters_cached += e.adapter ? 1 : 0;
  stats->adapter_load_seconds = load_seconds_;
}

}  // namespace tributary::serve
