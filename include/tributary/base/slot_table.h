// SlotTable: a hash index that stores nothing but 32-bit slot numbers.
//
// Large in-memory indexes (a Datanet's duplicate index holds a million rows and more) keep their
// records in arrays indexed by slot. A node-based map beside them costs 40-90 bytes an entry; this
// table costs 4 bytes an entry, 5.3-10.7 bytes a slot held (open addressing with linear probing,
// a power-of-two capacity, at most 3/4 full, doubled when it would pass that). The table never
// sees the keys: the owner passes the hash of the key it inserts, looks up or erases, and, when
// the table grows or closes a gap, tells it the hash of any slot it holds (`hash_of`). Several
// slots may share a hash (a multimap); lookups visit every slot of the probe run and the owner
// compares keys. Hashes must be well mixed in their low bits (the home position is hash & mask);
// keying them with a secret the input cannot see keeps crafted input from piling into one run.
//
// Thread-safety: not thread-safe; const calls may run concurrently with each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tributary {

class SlotTable {
 public:
  static constexpr uint32_t kEmpty = UINT32_MAX;  //!< not a valid slot

  size_t size() const { return size_; }
  size_t capacity() const { return entries_.size(); }
  //! Heap bytes held by the table.
  size_t MemoryBytes() const { return entries_.capacity() * sizeof(uint32_t); }

  //! Adds `slot` (< kEmpty), whose key hashes to `hash`. `hash_of(s)` returns the hash of any slot
  //! `s` already held; it is called only when the table grows.
  template <typename HashOf>
  void Insert(uint32_t slot, uint64_t hash, HashOf&& hash_of) {
    if ((size_ + 1) * 4 > entries_.size() * 3) Grow(hash_of);
    size_t i = Home(hash);
    while (entries_[i] != kEmpty) i = Next(i);
    entries_[i] = slot;
    ++size_;
  }

  //! Calls `visit(slot)` for each slot that may hash to `hash` (the probe run from its home to the
  //! next empty entry, which holds every such slot and possibly others), until `visit` returns
  //! true; returns whether it did.
  template <typename Visit>
  bool Find(uint64_t hash, Visit&& visit) const {
    if (entries_.empty()) return false;
    for (size_t i = Home(hash); entries_[i] != kEmpty; i = Next(i)) {
      if (visit(entries_[i])) return true;
    }
    return false;
  }

  //! Removes `slot`, inserted with `hash`; false when it is not held. Closes the gap by moving
  //! later entries of the run back (no tombstones, so lookups stay short after many erases).
  template <typename HashOf>
  bool Erase(uint32_t slot, uint64_t hash, HashOf&& hash_of) {
    if (entries_.empty()) return false;
    size_t i = Home(hash);
    while (entries_[i] != slot) {
      if (entries_[i] == kEmpty) return false;
      i = Next(i);
    }
    // Backward shift: an entry at j may fill the hole at i unless its home lies cyclically in
    // (i, j], where it would then be unreachable.
    for (size_t j = Next(i);; j = Next(j)) {
      if (entries_[j] == kEmpty) break;
      const size_t home = Home(hash_of(entries_[j]));
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      entries_[i] = entries_[j];
      i = j;
    }
    entries_[i] = kEmpty;
    --size_;
    return true;
  }

 private:
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & (entries_.size() - 1); }
  size_t Next(size_t i) const { return (i + 1) & (entries_.size() - 1); }

  template <typename HashOf>
  void Grow(HashOf& hash_of) {
    std::vector<uint32_t> old(entries_.empty() ? 16 : entries_.size() * 2, kEmpty);
    old.swap(entries_);
    for (uint32_t slot : old) {
      if (slot == kEmpty) continue;
      size_t i = Home(hash_of(slot));
      while (entries_[i] != kEmpty) i = Next(i);
      entries_[i] = slot;
    }
  }

  std::vector<uint32_t> entries_;
  size_t size_ = 0;
};

}  // namespace tributary
