#include "tributary/ledger/smt.h"

#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tributary/base/hash.h"

namespace tributary {
namespace {

constexpr Hash32 kEmptyHash{};
constexpr int kKeyBits = 256;

//! Bit `i` of a key hash, most significant bit of byte 0 first.
inline int Bit(const Hash32& key, int i) { return (key[i >> 3] >> (7 - (i & 7))) & 1; }

//! The first bit index at which two different keys differ.
int FirstDifferingBit(const Hash32& a, const Hash32& b, int from) {
  for (int byte = from >> 3; byte < 32; ++byte) {
    const uint8_t x = a[byte] ^ b[byte];
    if (x != 0) return byte * 8 + std::countl_zero(x);
  }
  return kKeyBits;  // equal; callers never ask
}

Hash32 InnerHash(const Hash32& left, const Hash32& right) {
  std::array<uint8_t, 65> buf;
  buf[0] = 0x01;
  std::memcpy(buf.data() + 1, left.data(), 32);
  std::memcpy(buf.data() + 33, right.data(), 32);
  return Sha256(buf);
}

Status BadProof(std::string msg) { return Status::InvalidArgument(std::move(msg), "bad_proof"); }

// A reference to a node: 0 is an empty subtree, kLeafBit | i the leaf at index i, and i + 1
// (below kLeafBit) the inner node at index i.
using Ref = uint32_t;
constexpr Ref kEmpty = 0;
constexpr Ref kLeafBit = 0x80000000u;
constexpr uint32_t kMaxNodes = kLeafBit - 2;
inline bool IsLeaf(Ref r) { return (r & kLeafBit) != 0; }

struct LeafNode {
  Hash32 key;
  Hash32 value;
};

// An inner node: a subtree with at least two keys below it. `hash` is valid when !dirty.
// Invariant: every ancestor of a dirty node is dirty, so Root() finds all dirty nodes by
// descending through dirty nodes only.
struct InnerNode {
  Hash32 hash;
  Ref child[2];
  uint32_t dirty;
};

// Nodes in fixed chunks: an index stays valid and an element never moves (so a pointer into the
// pool survives later additions), and growth wastes at most one chunk, unlike a vector's doubling.
// Freed indices are reused.
template <typename T>
class ChunkPool {
 public:
  uint32_t Add(const T& value) {
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      if (size_ == kMaxNodes) throw std::length_error("sparse Merkle tree: too many nodes");
      if (size_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<T[]>(kChunk));
      i = size_++;
    }
    At(i) = value;
    return i;
  }
  void Free(uint32_t i) { free_.push_back(i); }
  T& At(uint32_t i) { return chunks_[i >> kShift][i & (kChunk - 1)]; }
  const T& At(uint32_t i) const { return chunks_[i >> kShift][i & (kChunk - 1)]; }

 private:
  static constexpr uint32_t kShift = 12;
  static constexpr uint32_t kChunk = 1u << kShift;
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t size_ = 0;
};

}  // namespace

Hash32 SmtLeafHash(const Hash32& key_hash, const Hash32& value_hash) {
  std::array<uint8_t, 65> buf;
  buf[0] = 0x00;
  std::memcpy(buf.data() + 1, key_hash.data(), 32);
  std::memcpy(buf.data() + 33, value_hash.data(), 32);
  return Sha256(buf);
}

struct SparseMerkleTree::Nodes {
  ChunkPool<InnerNode> inners;
  ChunkPool<LeafNode> leaves;
  Ref root = kEmpty;

  Ref NewLeaf(const Hash32& key, const Hash32& value) {
    return kLeafBit | leaves.Add(LeafNode{key, value});
  }
  Ref NewInner() { return inners.Add(InnerNode{{}, {kEmpty, kEmpty}, 1}) + 1; }
  LeafNode& Leaf(Ref r) { return leaves.At(r & ~kLeafBit); }
  const LeafNode& Leaf(Ref r) const { return leaves.At(r & ~kLeafBit); }
  InnerNode& Inner(Ref r) { return inners.At(r - 1); }
  const InnerNode& Inner(Ref r) const { return inners.At(r - 1); }

  //! The hash of the subtree at `r`, recomputing dirty inner nodes below it (and leaves' hashes,
  //! which are not kept). Recursion depth is at most 257.
  Hash32 Hash(Ref r) {
    if (r == kEmpty) return kEmptyHash;
    if (IsLeaf(r)) {
      const LeafNode& leaf = Leaf(r);
      return SmtLeafHash(leaf.key, leaf.value);
    }
    InnerNode& inner = Inner(r);  // no node is added during hashing, so the reference holds
    if (inner.dirty) {
      const Hash32 left = Hash(inner.child[0]);
      const Hash32 right = Hash(inner.child[1]);
      inner.hash = InnerHash(left, right);
      inner.dirty = 0;
    }
    return inner.hash;
  }
};

SparseMerkleTree::SparseMerkleTree() : nodes_(std::make_unique<Nodes>()) {}
SparseMerkleTree::~SparseMerkleTree() = default;
SparseMerkleTree::SparseMerkleTree(SparseMerkleTree&& other) noexcept
    : nodes_(std::move(other.nodes_)), size_(std::exchange(other.size_, 0)) {}
SparseMerkleTree& SparseMerkleTree::operator=(SparseMerkleTree&& other) noexcept {
  nodes_ = std::move(other.nodes_);
  size_ = std::exchange(other.size_, 0);
  return *this;
}

SparseMerkleTree::Nodes& SparseMerkleTree::MutableNodes() {
  if (!nodes_) nodes_ = std::make_unique<Nodes>();
  return *nodes_;
}

void SparseMerkleTree::Put(const Hash32& key_hash, const Hash32& value_hash) {
  Nodes& n = MutableNodes();
  // Inner nodes on the path, to mark dirty once we know the tree changed. Pointers into the pools
  // (`slot`) stay valid while nodes are added: pool elements never move.
  std::array<Ref, kKeyBits + 1> path;
  int depth = 0;
  Ref* slot = &n.root;
  while (*slot != kEmpty && !IsLeaf(*slot)) {
    path[depth] = *slot;
    slot = &n.Inner(*slot).child[Bit(key_hash, depth)];
    ++depth;
  }
  if (*slot == kEmpty) {
    *slot = n.NewLeaf(key_hash, value_hash);
    ++size_;
  } else {
    LeafNode& leaf = n.Leaf(*slot);
    if (leaf.key == key_hash) {
      if (leaf.value == value_hash) return;  // no change: nothing to rehash
      leaf.value = value_hash;
    } else {
      // Another key is alone in this subtree: push it down to where the two keys diverge,
      // with a chain of inner nodes (one child empty) over their common prefix.
      const int split = FirstDifferingBit(leaf.key, key_hash, depth);
      const Ref other = *slot;
      for (int d = depth; d < split; ++d) {
        *slot = n.NewInner();
        slot = &n.Inner(*slot).child[Bit(key_hash, d)];
      }
      const Ref fork = n.NewInner();
      *slot = fork;
      const int b = Bit(key_hash, split);
      const Ref added = n.NewLeaf(key_hash, value_hash);
      n.Inner(fork).child[b] = added;
      n.Inner(fork).child[1 - b] = other;
      ++size_;
    }
  }
  for (int i = depth - 1; i >= 0 && !n.Inner(path[i]).dirty; --i) n.Inner(path[i]).dirty = 1;
}

void SparseMerkleTree::Erase(const Hash32& key_hash) {
  if (!nodes_) return;
  Nodes& n = *nodes_;
  std::array<Ref*, kKeyBits + 1> slots;
  int depth = 0;
  Ref* slot = &n.root;
  while (*slot != kEmpty && !IsLeaf(*slot)) {
    slots[depth] = slot;
    slot = &n.Inner(*slot).child[Bit(key_hash, depth)];
    ++depth;
  }
  if (*slot == kEmpty || n.Leaf(*slot).key != key_hash) return;  // absent
  n.leaves.Free(*slot & ~kLeafBit);
  *slot = kEmpty;
  --size_;
  // Collapse upwards: an inner node left with one leaf (and an empty side) becomes that leaf.
  // A leaf's hash does not depend on its depth.
  int i = depth - 1;
  for (; i >= 0; --i) {
    const InnerNode& inner = n.Inner(*slots[i]);
    const int lone = inner.child[0] != kEmpty ? (inner.child[1] != kEmpty ? -1 : 0) : 1;
    if (lone < 0 || !IsLeaf(inner.child[lone])) break;
    const Ref leaf = inner.child[lone];
    n.inners.Free(*slots[i] - 1);
    *slots[i] = leaf;
  }
  for (; i >= 0 && !n.Inner(*slots[i]).dirty; --i) n.Inner(*slots[i]).dirty = 1;
}

std::optional<Hash32> SparseMerkleTree::Find(const Hash32& key_hash) const {
  if (!nodes_) return std::nullopt;
  const Nodes& n = *nodes_;
  Ref r = n.root;
  int depth = 0;
  while (r != kEmpty && !IsLeaf(r)) {
    r = n.Inner(r).child[Bit(key_hash, depth)];
    ++depth;
  }
  if (r == kEmpty) return std::nullopt;
  const LeafNode& leaf = n.Leaf(r);
  if (leaf.key != key_hash) return std::nullopt;
  return leaf.value;
}

Hash32 SparseMerkleTree::Root() { return nodes_ ? nodes_->Hash(nodes_->root) : kEmptyHash; }

SmtProof SparseMerkleTree::Prove(const Hash32& key_hash) {
  SmtProof proof;
  if (!nodes_ || nodes_->root == kEmpty) return proof;
  Nodes& n = *nodes_;
  n.Hash(n.root);  // every inner node is clean from here on
  Ref r = n.root;
  int depth = 0;
  while (r != kEmpty && !IsLeaf(r)) {
    const InnerNode& inner = n.Inner(r);
    const int b = Bit(key_hash, depth);
    proof.siblings.push_back(n.Hash(inner.child[1 - b]));
    r = inner.child[b];
    ++depth;
  }
  if (r != kEmpty) {
    const LeafNode& leaf = n.Leaf(r);
    if (leaf.key != key_hash) proof.other_leaf.emplace(leaf.key, leaf.value);
  }
  return proof;
}

Status VerifySmtProof(const Hash32& root, const Hash32& key_hash,
                      const std::optional<Hash32>& value_hash, const SmtProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > static_cast<size_t>(kKeyBits)) return BadProof("smt proof deeper than 256 levels");
  Hash32 h;
  if (value_hash) {
    if (proof.other_leaf) return BadProof("membership proof carries another leaf");
    h = SmtLeafHash(key_hash, *value_hash);
  } else if (proof.other_leaf) {
    const auto& [other_key, other_value] = *proof.other_leaf;
    if (other_key == key_hash) return BadProof("non-membership proof ends at the key itself");
    // The other leaf must sit on the key's path: the two share the path's `depth` bits.
    if (FirstDifferingBit(other_key, key_hash, 0) < static_cast<int>(depth)) {
      return BadProof("non-membership proof's leaf is off the key's path");
    }
    h = SmtLeafHash(other_key, other_value);
  } else {
    h = kEmptyHash;
  }
  for (size_t i = depth; i-- > 0;) {
    h = Bit(key_hash, static_cast<int>(i)) == 0 ? InnerHash(h, proof.siblings[i])
                                                : InnerHash(proof.siblings[i], h);
  }
  if (h != root) return BadProof("smt proof does not match the root");
  return Status::OK();
}

}  // namespace tributary
