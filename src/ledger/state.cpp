#include "tributary/ledger/state.h"

#include <cstdint>
#include <list>
#include <string_view>
#include <unordered_map>

#include "tributary/base/hash.h"
#include "tributary/ledger/store.h"

namespace tributary {

std::optional<Bytes> Overlay::Get(const std::string& key) const {
  auto it = writes_.find(key);
  if (it != writes_.end()) return it->second;
  return base_ ? base_->Get(key) : std::nullopt;
}

void Overlay::MergeInto(Overlay* parent) {
  for (auto& [k, v] : writes_) parent->writes_[k] = std::move(v);
  writes_.clear();
}

// The values State holds in memory, in one index: entries written but not yet durable (held:
// never evicted; a deletion is held as nullopt so it hides the stored value) and, over a store,
// a cache of values and absences read or made durable, least recently used first out.
class State::Values {
 public:
  explicit Values(size_t budget) : budget_(budget) {}

  //! The entry for `key`, or nullptr; a cached entry becomes the most recent.
  const std::optional<Bytes>* Find(const std::string& key) {
    auto it = index_.find(std::string_view(key));
    if (it == index_.end()) return nullptr;
    Entry& e = *it->second;
    if (!e.held) lru_.splice(lru_.begin(), lru_, it->second);
    return &e.value;
  }

  //! Holds a write until MarkDurable.
  void Hold(const std::string& key, std::optional<Bytes> value) {
    auto it = index_.find(std::string_view(key));
    if (it == index_.end()) {
      held_.push_front({key, std::move(value), true});
      index_.emplace(std::string_view(held_.front().key), held_.begin());
      return;
    }
    Entry& e = *it->second;
    if (!e.held) {
      cached_bytes_ -= Cost(e);
      e.held = true;
      held_.splice(held_.begin(), lru_, it->second);
    }
    e.value = std::move(value);
  }

  //! Forgets `key` (memory mode's deletion).
  void Erase(const std::string& key) {
    auto it = index_.find(std::string_view(key));
    if (it == index_.end()) return;
    auto entry = it->second;
    index_.erase(it);
    if (entry->held) {
      held_.erase(entry);
    } else {
      cached_bytes_ -= Cost(*entry);
      lru_.erase(entry);
    }
  }

  //! Caches what the store holds for `key` (not held: callers looked it up first).
  void Cache(const std::string& key, std::optional<Bytes> value) {
    lru_.push_front({key, std::move(value), false});
    index_.emplace(std::string_view(lru_.front().key), lru_.begin());
    cached_bytes_ += Cost(lru_.front());
    Evict();
  }

  //! Every held entry joins the cache as its most recent entries.
  void ReleaseHeld() {
    for (Entry& e : held_) {
      e.held = false;
      cached_bytes_ += Cost(e);
    }
    lru_.splice(lru_.begin(), held_);
    Evict();
  }

  template <typename Fn>
  void ForEachHeld(Fn&& fn) const {
    for (const Entry& e : held_) fn(e.key, e.value);
  }

  size_t cached_bytes() const { return cached_bytes_; }
  uint64_t hits = 0;
  uint64_t misses = 0;

 private:
  struct Entry {
    std::string key;
    std::optional<Bytes> value;
    bool held;
  };
  // Key and value bytes plus what a list node and an index slot cost, roughly.
  static size_t Cost(const Entry& e) {
    return e.key.size() + (e.value ? e.value->size() : 0) + 128;
  }
  void Evict() {
    while (cached_bytes_ > budget_ && !lru_.empty()) {
      const Entry& last = lru_.back();
      cached_bytes_ -= Cost(last);
      index_.erase(std::string_view(last.key));
      lru_.pop_back();
    }
  }

  size_t budget_;
  size_t cached_bytes_ = 0;
  // List nodes never move (splice relinks them), so index_ may view their keys.
  std::list<Entry> held_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

State::State() : values_(std::make_unique<Values>(SIZE_MAX)) {}
State::~State() = default;

Status State::LoadFrom(Store* store, size_t cache_bytes) {
  tree_ = SparseMerkleTree();
  TRIB_RETURN_IF_ERROR(store->ScanState([&](const std::string& k, ByteView v) {
    tree_.Put(KeyHash(k), ValueHash(v));
    return Status::OK();
  }));
  store_ = store;
  values_ = std::make_unique<Values>(cache_bytes);
  return Status::OK();
}

std::optional<Bytes> State::Get(const std::string& key) const {
  if (const std::optional<Bytes>* v = values_->Find(key)) {
    values_->hits++;
    return *v;
  }
  if (!store_) return std::nullopt;
  // The tree knows every key: an absent one costs no store read.
  std::optional<Hash32> value_hash = tree_.Find(KeyHash(key));
  if (!value_hash) {
    values_->hits++;
    values_->Cache(key, std::nullopt);
    return std::nullopt;
  }
  values_->misses++;
  auto stored = store_->GetState(key);
  Status error;
  if (!stored.ok()) {
    error = stored.status().WithContext("reading state key " + ToHex(AsBytes(key)));
  } else if (!*stored) {
    error = Status::Corruption("state key " + ToHex(AsBytes(key)) +
                               " is in the state tree but missing from the database");
  } else if (ValueHash(**stored) != *value_hash) {
    error = Status::Corruption("the stored value of state key " + ToHex(AsBytes(key)) +
                               " does not match the state tree (the database was modified)");
  }
  if (!error.ok()) {
    if (read_error_.ok()) read_error_ = std::move(error);
    return std::nullopt;
  }
  values_->Cache(key, *stored);
  return std::move(*stored);
}

void State::Apply(const std::map<std::string, std::optional<Bytes>>& writes) {
  for (const auto& [k, v] : writes) {
    if (v) {
      tree_.Put(KeyHash(k), ValueHash(*v));
      values_->Hold(k, *v);
    } else {
      tree_.Erase(KeyHash(k));
      if (store_) {
        values_->Hold(k, std::nullopt);
      } else {
        values_->Erase(k);
      }
    }
  }
}

void State::MarkDurable() {
  if (store_) values_->ReleaseHeld();
}

Status State::TakeReadError() {
  Status s = std::move(read_error_);
  read_error_ = Status::OK();
  return s;
}

void State::ForEach(const std::function<void(const std::string&, const Bytes&)>& fn) const {
  values_->ForEachHeld([&](const std::string& k, const std::optional<Bytes>& v) {
    if (v) fn(k, *v);
  });
}

State::CacheStats State::cache_stats() const {
  if (!store_) return {};
  return {values_->hits, values_->misses, values_->cached_bytes()};
}

Hash32 State::Sha256Of(const std::string& s) { return Sha256(AsBytes(s)); }
Hash32 State::Sha256Of(ByteView b) { return Sha256(b); }

}  // namespace tributary
