#include "tributary/ledger/smt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "tributary/base/hash.h"

namespace tributary {
namespace {

using Entry = std::pair<Hash32, Hash32>;  // (key_hash, value_hash)

Hash32 RandomHash(std::mt19937_64& rng) {
  Hash32 h;
  for (size_t i = 0; i < h.size(); i += 8) {
    uint64_t x = rng();
    for (size_t j = 0; j < 8; ++j) h[i + j] = static_cast<uint8_t>(x >> (8 * j));
  }
  return h;
}

int Bit(const Hash32& key, int i) { return (key[i / 8] >> (7 - i % 8)) & 1; }

Hash32 Node(const Hash32& left, const Hash32& right) {
  Bytes buf = {0x01};
  buf.insert(buf.end(), left.begin(), left.end());
  buf.insert(buf.end(), right.begin(), right.end());
  return Sha256(buf);
}

Hash32 Leaf(const Hash32& key, const Hash32& value) {
  Bytes buf = {0x00};
  buf.insert(buf.end(), key.begin(), key.end());
  buf.insert(buf.end(), value.begin(), value.end());
  return Sha256(buf);
}

// The definition in smt.h, directly: the subtree at `depth` holding `leaves` (sorted by key, all
// sharing the first `depth` bits) is empty (zero), the leaf hash if it has one leaf, or else the
// node hash of its two halves.
Hash32 RefSubtree(std::span<const Entry> leaves, int depth) {
  if (leaves.empty()) return Hash32{};
  if (leaves.size() == 1) return Leaf(leaves[0].first, leaves[0].second);
  auto mid = std::partition_point(leaves.begin(), leaves.end(),
                                  [&](const Entry& e) { return Bit(e.first, depth) == 0; });
  const size_t k = mid - leaves.begin();
  return Node(RefSubtree(leaves.first(k), depth + 1), RefSubtree(leaves.subspan(k), depth + 1));
}

Hash32 RefRoot(const std::map<Hash32, Hash32>& state) {
  std::vector<Entry> leaves(state.begin(), state.end());  // std::map orders keys bytewise = bitwise
  return RefSubtree(leaves, 0);
}

Hash32 Flip(Hash32 h, int byte = 0) {
  h[byte] ^= 0x10;
  return h;
}

Hash32 KeyWithFirstByte(uint8_t b, uint8_t last = 0) {
  Hash32 k{};
  k[0] = b;
  k[31] = last;
  return k;
}

TEST(SmtTest, EmptyRootIsZero) {
  SparseMerkleTree tree;
  EXPECT_EQ(tree.Root(), Hash32{});
  EXPECT_EQ(tree.size(), 0u);

  std::mt19937_64 rng(1);
  const Hash32 key = RandomHash(rng);
  SmtProof proof = tree.Prove(key);
  EXPECT_TRUE(proof.siblings.empty());
  EXPECT_FALSE(proof.other_leaf.has_value());
  EXPECT_TRUE(VerifySmtProof(Hash32{}, key, std::nullopt, proof).ok());
  EXPECT_FALSE(VerifySmtProof(Hash32{}, key, RandomHash(rng), proof).ok());

  tree.Erase(key);  // erasing from an empty tree is a no-op
  EXPECT_EQ(tree.Root(), Hash32{});
}

TEST(SmtTest, LeafHashDefinition) {
  std::mt19937_64 rng(2);
  const Hash32 k = RandomHash(rng), v = RandomHash(rng);
  EXPECT_EQ(SmtLeafHash(k, v), Leaf(k, v));
}

TEST(SmtTest, SingleLeafRootIsLeafHash) {
  std::mt19937_64 rng(3);
  const Hash32 k = RandomHash(rng), v = RandomHash(rng);
  SparseMerkleTree tree;
  tree.Put(k, v);
  EXPECT_EQ(tree.size(), 1u);
  EXPECT_EQ(tree.Root(), SmtLeafHash(k, v));
  SmtProof proof = tree.Prove(k);
  EXPECT_TRUE(proof.siblings.empty());
  EXPECT_TRUE(VerifySmtProof(tree.Root(), k, v, proof).ok());
}

TEST(SmtTest, HandComputedSmallTree) {
  // a = 000..., b = 010..., c = 1...: a and b share the first bit, so the root's left child is the
  // node over (a, b) and its right child is c's leaf.
  const Hash32 a = KeyWithFirstByte(0x00), b = KeyWithFirstByte(0x40), c = KeyWithFirstByte(0x80);
  const Hash32 va = KeyWithFirstByte(1), vb = KeyWithFirstByte(2), vc = KeyWithFirstByte(3);
  SparseMerkleTree tree;
  tree.Put(a, va);
  tree.Put(b, vb);
  // Without c, the pair sits under a one-sided node at the root (right side empty).
  EXPECT_EQ(tree.Root(), Node(Node(Leaf(a, va), Leaf(b, vb)), Hash32{}));
  tree.Put(c, vc);
  EXPECT_EQ(tree.Root(), Node(Node(Leaf(a, va), Leaf(b, vb)), Leaf(c, vc)));
  // Keys differing only in the last bit: a chain of 255 one-sided nodes above their fork.
  SparseMerkleTree deep;
  const Hash32 x = KeyWithFirstByte(0, 0), y = KeyWithFirstByte(0, 1);
  deep.Put(x, va);
  deep.Put(y, vb);
  Hash32 expect = Node(Leaf(x, va), Leaf(y, vb));
  for (int i = 0; i < 255; ++i) expect = Node(expect, Hash32{});
  EXPECT_EQ(deep.Root(), expect);
  EXPECT_EQ(deep.Prove(x).siblings.size(), 256u);
  EXPECT_TRUE(VerifySmtProof(expect, x, va, deep.Prove(x)).ok());
  EXPECT_TRUE(VerifySmtProof(expect, y, vb, deep.Prove(y)).ok());
  deep.Erase(y);
  EXPECT_EQ(deep.Root(), Leaf(x, va));
}

TEST(SmtTest, RootIndependentOfInsertionOrder) {
  std::mt19937_64 rng(4);
  std::vector<Entry> entries;
  std::map<Hash32, Hash32> state;
  for (int i = 0; i < 2000; ++i) {
    entries.emplace_back(RandomHash(rng), RandomHash(rng));
    state[entries.back().first] = entries.back().second;
  }
  const Hash32 want = RefRoot(state);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(entries.begin(), entries.end(), rng);
    SparseMerkleTree tree;
    for (const auto& [k, v] : entries) tree.Put(k, v);
    EXPECT_EQ(tree.size(), entries.size());
    EXPECT_EQ(tree.Root(), want) << "round " << round;
  }
}

TEST(SmtTest, RandomOperationsMatchReference) {
  std::mt19937_64 rng(5);
  // A small key pool, so that replacements and erasures of present keys are frequent.
  std::vector<Hash32> pool;
  for (int i = 0; i < 300; ++i) pool.push_back(RandomHash(rng));
  // Keys with long shared prefixes exercise chains and collapses.
  for (int i = 0; i < 16; ++i) {
    Hash32 k = pool[0];
    k[31] ^= static_cast<uint8_t>(i + 1);
    pool.push_back(k);
    Hash32 k2 = pool[1];
    k2[4] ^= static_cast<uint8_t>(1u << (i % 8));
    pool.push_back(k2);
  }
  SparseMerkleTree tree;
  std::map<Hash32, Hash32> state;
  for (int step = 0; step < 10000; ++step) {
    const Hash32& key = pool[rng() % pool.size()];
    if (rng() % 3 == 0) {
      tree.Erase(key);
      state.erase(key);
    } else {
      const Hash32 value = RandomHash(rng);
      tree.Put(key, value);
      state[key] = value;
    }
    ASSERT_EQ(tree.size(), state.size());
    // Check the root at irregular intervals, so that several edits accumulate between rehashes.
    if (rng() % 7 == 0) {
      ASSERT_EQ(tree.Root(), RefRoot(state)) << "step " << step;
    }
  }
  EXPECT_EQ(tree.Root(), RefRoot(state));
}

TEST(SmtTest, PutSameValueAndEraseAbsentChangeNothing) {
  std::mt19937_64 rng(6);
  SparseMerkleTree tree;
  std::map<Hash32, Hash32> state;
  for (int i = 0; i < 100; ++i) {
    const Hash32 k = RandomHash(rng), v = RandomHash(rng);
    tree.Put(k, v);
    state[k] = v;
  }
  const Hash32 root = tree.Root();
  for (const auto& [k, v] : state) tree.Put(k, v);
  for (int i = 0; i < 100; ++i) tree.Erase(RandomHash(rng));
  EXPECT_EQ(tree.size(), 100u);
  EXPECT_EQ(tree.Root(), root);
  EXPECT_EQ(root, RefRoot(state));
}

TEST(SmtTest, EraseEverythingReturnsToZero) {
  std::mt19937_64 rng(7);
  std::map<Hash32, Hash32> state;
  SparseMerkleTree tree;
  for (int i = 0; i < 1000; ++i) {
    const Hash32 k = RandomHash(rng), v = RandomHash(rng);
    tree.Put(k, v);
    state[k] = v;
  }
  ASSERT_EQ(tree.Root(), RefRoot(state));
  std::vector<Hash32> keys;
  for (const auto& [k, v] : state) keys.push_back(k);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < keys.size(); ++i) {
    tree.Erase(keys[i]);
    state.erase(keys[i]);
    if (i % 97 == 0 || state.size() < 5) {
      ASSERT_EQ(tree.Root(), RefRoot(state)) << i;
    }
  }
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.Root(), Hash32{});
  // And the tree is usable again.
  tree.Put(keys[0], keys[1]);
  EXPECT_EQ(tree.Root(), SmtLeafHash(keys[0], keys[1]));
}

TEST(SmtTest, MoveKeepsContents) {
  std::mt19937_64 rng(8);
  SparseMerkleTree tree;
  for (int i = 0; i < 50; ++i) tree.Put(RandomHash(rng), RandomHash(rng));
  const Hash32 root = tree.Root();
  SparseMerkleTree moved(std::move(tree));
  EXPECT_EQ(moved.Root(), root);
  EXPECT_EQ(moved.size(), 50u);
  SparseMerkleTree assigned;
  assigned.Put(RandomHash(rng), RandomHash(rng));
  assigned = std::move(moved);
  EXPECT_EQ(assigned.Root(), root);
  EXPECT_EQ(assigned.size(), 50u);
  // A moved-from tree is empty and usable.
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.Root(), Hash32{});
  EXPECT_FALSE(tree.Find(RandomHash(rng)).has_value());
  EXPECT_TRUE(tree.Prove(RandomHash(rng)).siblings.empty());
  tree.Erase(RandomHash(rng));
  const Hash32 k = RandomHash(rng), v = RandomHash(rng);
  tree.Put(k, v);
  EXPECT_EQ(tree.Root(), SmtLeafHash(k, v));
}

// Checks that a proof verifies as given and fails under every tampering we can think of.
void ExpectProofSoundness(const Hash32& root, const Hash32& key, const std::optional<Hash32>& value,
                          const SmtProof& proof, std::mt19937_64& rng) {
  ASSERT_TRUE(VerifySmtProof(root, key, value, proof).ok());
  // Wrong root.
  EXPECT_FALSE(VerifySmtProof(Flip(root), key, value, proof).ok());
  EXPECT_FALSE(VerifySmtProof(Hash32{}, key, value, proof).ok());
  // Wrong claim: another value, or the opposite of membership.
  if (value) {
    EXPECT_FALSE(VerifySmtProof(root, key, Flip(*value), proof).ok());
    EXPECT_FALSE(VerifySmtProof(root, key, std::nullopt, proof).ok());
  } else {
    EXPECT_FALSE(VerifySmtProof(root, key, RandomHash(rng), proof).ok());
    if (proof.other_leaf) {
      // A membership claim never carries another leaf.
      EXPECT_FALSE(VerifySmtProof(root, key, proof.other_leaf->second, proof).ok());
    }
  }
  // Any sibling changed.
  for (size_t i = 0; i < proof.siblings.size(); ++i) {
    SmtProof bad = proof;
    bad.siblings[i] = Flip(bad.siblings[i], static_cast<int>(i % 32));
    EXPECT_FALSE(VerifySmtProof(root, key, value, bad).ok()) << "sibling " << i;
  }
  // Siblings added or removed.
  if (!proof.siblings.empty()) {
    SmtProof bad = proof;
    bad.siblings.pop_back();
    EXPECT_FALSE(VerifySmtProof(root, key, value, bad).ok()) << "truncated";
  }
  {
    SmtProof bad = proof;
    bad.siblings.push_back(Hash32{});
    EXPECT_FALSE(VerifySmtProof(root, key, value, bad).ok()) << "extended";
  }
  // The other leaf changed, dropped, or replaced by the key itself.
  if (proof.other_leaf) {
    SmtProof bad = proof;
    bad.other_leaf->second = Flip(bad.other_leaf->second);
    EXPECT_FALSE(VerifySmtProof(root, key, value, bad).ok()) << "other value";
    bad = proof;
    bad.other_leaf->first = key;
    EXPECT_FALSE(VerifySmtProof(root, key, value, bad).ok()) << "other key = key";
    bad = proof;
    bad.other_leaf.reset();
    EXPECT_FALSE(VerifySmtProof(root, key, value, bad).ok()) << "other dropped";
  } else if (!value) {
    SmtProof bad = proof;
    bad.other_leaf.emplace(RandomHash(rng), RandomHash(rng));
    EXPECT_FALSE(VerifySmtProof(root, key, value, bad).ok()) << "other added";
  }
}

TEST(SmtTest, MembershipAndNonMembershipProofs) {
  std::mt19937_64 rng(9);
  SparseMerkleTree tree;
  std::map<Hash32, Hash32> state;
  for (int i = 0; i < 500; ++i) {
    const Hash32 k = RandomHash(rng), v = RandomHash(rng);
    tree.Put(k, v);
    state[k] = v;
  }
  const Hash32 root = tree.Root();
  ASSERT_EQ(root, RefRoot(state));
  for (const auto& [k, v] : state) {
    SmtProof proof = tree.Prove(k);
    EXPECT_FALSE(proof.other_leaf.has_value());
    ExpectProofSoundness(root, k, v, proof, rng);
  }
  int ended_empty = 0, ended_at_leaf = 0;
  for (int i = 0; i < 2000; ++i) {
    const Hash32 k = RandomHash(rng);
    ASSERT_EQ(state.count(k), 0u);
    SmtProof proof = tree.Prove(k);
    if (proof.other_leaf) {
      ++ended_at_leaf;
      EXPECT_NE(proof.other_leaf->first, k);
      EXPECT_EQ(state.at(proof.other_leaf->first), proof.other_leaf->second);
    } else {
      ++ended_empty;
    }
    ExpectProofSoundness(root, k, std::nullopt, proof, rng);
  }
  EXPECT_GT(ended_empty, 0);
  EXPECT_GT(ended_at_leaf, 0);
}

TEST(SmtTest, NonMembershipBothEndings) {
  // a = 000..., b = 010...: the root's right side is empty and a and b fork at bit 1.
  const Hash32 a = KeyWithFirstByte(0x00), b = KeyWithFirstByte(0x40);
  const Hash32 va = KeyWithFirstByte(7), vb = KeyWithFirstByte(8);
  SparseMerkleTree tree;
  tree.Put(a, va);
  tree.Put(b, vb);
  const Hash32 root = tree.Root();
  std::mt19937_64 rng(10);

  const Hash32 in_empty = KeyWithFirstByte(0x80);  // path: right of the root, an empty subtree
  SmtProof p1 = tree.Prove(in_empty);
  EXPECT_EQ(p1.siblings.size(), 1u);
  EXPECT_FALSE(p1.other_leaf.has_value());
  ExpectProofSoundness(root, in_empty, std::nullopt, p1, rng);

  const Hash32 at_leaf = KeyWithFirstByte(0x20);  // path 00...: ends at a's leaf
  SmtProof p2 = tree.Prove(at_leaf);
  EXPECT_EQ(p2.siblings.size(), 2u);
  ASSERT_TRUE(p2.other_leaf.has_value());
  EXPECT_EQ(p2.other_leaf->first, a);
  EXPECT_EQ(p2.other_leaf->second, va);
  ExpectProofSoundness(root, at_leaf, std::nullopt, p2, rng);

  // a's leaf does not lie on the path of 01..., so it cannot prove that key absent (b is there).
  const Hash32 off_path = KeyWithFirstByte(0x40, 1);
  SmtProof forged = p2;
  EXPECT_FALSE(VerifySmtProof(root, off_path, std::nullopt, forged).ok());
  // Nor can a proof of a's membership be passed off as b's absence.
  EXPECT_FALSE(VerifySmtProof(root, b, std::nullopt, tree.Prove(a)).ok());
  ExpectProofSoundness(root, b, vb, tree.Prove(b), rng);
}

TEST(SmtTest, ProofsTrackUpdates) {
  std::mt19937_64 rng(11);
  SparseMerkleTree tree;
  std::vector<Hash32> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back(RandomHash(rng));
    tree.Put(keys.back(), RandomHash(rng));
  }
  tree.Root();
  // Prove without an explicit Root() after edits: the proof is against the fresh root.
  const Hash32 v = RandomHash(rng);
  tree.Put(keys[0], v);
  tree.Erase(keys[1]);
  SmtProof p0 = tree.Prove(keys[0]);
  SmtProof p1 = tree.Prove(keys[1]);
  const Hash32 root = tree.Root();
  EXPECT_TRUE(VerifySmtProof(root, keys[0], v, p0).ok());
  EXPECT_TRUE(VerifySmtProof(root, keys[1], std::nullopt, p1).ok());
}

TEST(SmtTest, ProofDepthStaysSmall) {
  std::mt19937_64 rng(12);
  SparseMerkleTree tree;
  std::vector<Hash32> keys;
  for (int i = 0; i < 10000; ++i) {
    keys.push_back(RandomHash(rng));
    tree.Put(keys.back(), RandomHash(rng));
  }
  const Hash32 root = tree.Root();
  size_t max_depth = 0;
  for (const Hash32& k : keys) {
    SmtProof proof = tree.Prove(k);
    max_depth = std::max(max_depth, proof.siblings.size());
  }
  EXPECT_LT(max_depth, 40u);
  EXPECT_GE(max_depth, 13u);  // at least log2(10000)
  for (int i = 0; i < 100; ++i) {
    const Hash32 k = RandomHash(rng);
    SmtProof proof = tree.Prove(k);
    EXPECT_LT(proof.siblings.size(), 40u);
    EXPECT_TRUE(VerifySmtProof(root, k, std::nullopt, proof).ok());
  }
}

TEST(SmtTest, VerifyRejectsOverlongProof) {
  SmtProof proof;
  proof.siblings.assign(257, Hash32{});
  EXPECT_FALSE(VerifySmtProof(Hash32{}, Hash32{}, std::nullopt, proof).ok());
}

}  // namespace
}  // namespace tributary
