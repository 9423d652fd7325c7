#include "tributary/base/slot_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace tributary {
namespace {

// Keys live beside the table, by slot, as its owners keep them.
struct Owner {
  std::vector<uint64_t> key_of;
  SlotTable table;
  uint64_t (*hash)(uint64_t) = nullptr;

  uint64_t HashOf(uint32_t slot) const { return hash(key_of[slot]); }
  void Insert(uint32_t slot, uint64_t key) {
    if (key_of.size() <= slot) key_of.resize(slot + 1);
    key_of[slot] = key;
    table.Insert(slot, hash(key), [&](uint32_t s) { return HashOf(s); });
  }
  bool Erase(uint32_t slot) {
    return table.Erase(slot, HashOf(slot), [&](uint32_t s) { return HashOf(s); });
  }
  std::set<uint32_t> Lookup(uint64_t key) const {
    std::set<uint32_t> out;
    table.Find(hash(key), [&](uint32_t s) {
      if (key_of[s] == key) out.insert(s);
      return false;
    });
    return out;
  }
};

TEST(SlotTableTest, EmptyTableFindsNothingAndErasesNothing) {
  SlotTable t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.Find(42, [](uint32_t) { return true; }));
  EXPECT_FALSE(t.Erase(1, 42, [](uint32_t) { return uint64_t{0}; }));
  EXPECT_EQ(t.MemoryBytes(), 0u);
}

// Every hash lands in a handful of home positions, so runs are long, wrap around the end of the
// table and overlap; erasing from their middles must keep every other slot reachable. Checked
// against a std::multimap after every operation of a random sequence.
TEST(SlotTableTest, RandomInsertsAndErasesMatchAMultimapUnderHeavyCollisions) {
  using HashFn = uint64_t (*)(uint64_t);
  const HashFn hashes[] = {
      [](uint64_t k) -> uint64_t { return k % 7 * 0x9E3779B97F4A7C15ULL + 15; },
      [](uint64_t k) -> uint64_t { return k; }, [](uint64_t k) -> uint64_t { return k % 3; }};
  for (HashFn hash : hashes) {
    Owner owner;
    owner.hash = hash;
    std::multimap<uint64_t, uint32_t> reference;
    std::vector<uint32_t> held;
    std::mt19937_64 rng(7);
    uint32_t next_slot = 0;
    for (int op = 0; op < 4000; ++op) {
      if (held.empty() || rng() % 3 != 0) {
        const uint64_t key = rng() % 50;  // many slots per key
        owner.Insert(next_slot, key);
        reference.emplace(key, next_slot);
        held.push_back(next_slot++);
      } else {
        const size_t pick = rng() % held.size();
        const uint32_t slot = held[pick];
        held[pick] = held.back();
        held.pop_back();
        ASSERT_TRUE(owner.Erase(slot));
        for (auto it = reference.begin(); it != reference.end(); ++it) {
          if (it->second == slot) {
            reference.erase(it);
            break;
          }
        }
        EXPECT_FALSE(owner.Erase(slot)) << "erased twice";
      }
      ASSERT_EQ(owner.table.size(), reference.size());
      if (op % 97 == 0) {
        for (uint64_t key = 0; key < 50; ++key) {
          std::set<uint32_t> want;
          auto [a, b] = reference.equal_range(key);
          for (auto it = a; it != b; ++it) want.insert(it->second);
          ASSERT_EQ(owner.Lookup(key), want) << "key " << key << " after op " << op;
        }
      }
    }
    EXPECT_LE(owner.table.size() * 4, owner.table.capacity() * 3);  // at most 3/4 full
  }
}

TEST(SlotTableTest, FindStopsWhenVisitSaysSo) {
  Owner owner;
  owner.hash = [](uint64_t) -> uint64_t { return 5; };
  for (uint32_t s = 0; s < 10; ++s) owner.Insert(s, s);
  int visited = 0;
  EXPECT_TRUE(owner.table.Find(5, [&](uint32_t) { return ++visited == 3; }));
  EXPECT_EQ(visited, 3);
}

TEST(SlotTableTest, CostsFourBytesAnEntryAtMostThreeQuartersFull) {
  Owner owner;
  owner.hash = [](uint64_t k) -> uint64_t { return k * 0x9E3779B97F4A7C15ULL; };
  for (uint32_t s = 0; s < 100000; ++s) owner.Insert(s, s);
  EXPECT_EQ(owner.table.capacity(), 131072u * 2);  // 100,000 > 3/4 of 131,072
  EXPECT_EQ(owner.table.MemoryBytes(), owner.table.capacity() * 4);
  for (uint32_t s = 0; s < 100000; s += 1000) EXPECT_EQ(owner.Lookup(s), std::set<uint32_t>{s});
}

}  // namespace
}  // namespace tributary
