#include "tributary/ledger/smt.h"

#include <array>
#include <bit>
#include <cstring>
#include <new>
#include <string>

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

}  // namespace

Hash32 SmtLeafHash(const Hash32& key_hash, const Hash32& value_hash) {
  std::array<uint8_t, 65> buf;
  buf[0] = 0x00;
  std::memcpy(buf.data() + 1, key_hash.data(), 32);
  std::memcpy(buf.data() + 33, value_hash.data(), 32);
  return Sha256(buf);
}

// A trie node: a Leaf (one key) or an Inner node (a subtree with at least two keys; a null child
// is an empty subtree). `hash` is valid when !dirty. Invariant: every ancestor of a dirty node is
// dirty, so Root() finds all dirty nodes by descending through dirty nodes only.
//
// Leaves and inner nodes have different sizes, so they are separate types; a C++20 destroying
// delete dispatches on `is_leaf`, which lets std::unique_ptr<Node> own either without a vtable.
struct SparseMerkleTree::Node {
  struct Leaf;
  struct Inner;

  Hash32 hash;
  bool is_leaf;
  bool dirty = true;

  explicit Node(bool leaf) : is_leaf(leaf) {}
  static void operator delete(Node* p, std::destroying_delete_t);

  // Owning pointers are always typed std::unique_ptr<Node>.
  static std::unique_ptr<Node> NewLeaf(const Hash32& key, const Hash32& value);
  static std::unique_ptr<Node> NewInner();

  //! Recomputes the hashes of this node's dirty descendants and its own; returns its hash.
  const Hash32& Rehash();
};

struct SparseMerkleTree::Node::Leaf : SparseMerkleTree::Node {
  Leaf(const Hash32& k, const Hash32& v) : Node(true), key(k), value(v) {}
  Hash32 key;
  Hash32 value;
};

struct SparseMerkleTree::Node::Inner : SparseMerkleTree::Node {
  Inner() : Node(false) {}
  std::unique_ptr<Node> child[2];

  const Hash32& ChildHash(int i) { return child[i] ? child[i]->Rehash() : kEmptyHash; }
};

void SparseMerkleTree::Node::operator delete(Node* p, std::destroying_delete_t) {
  if (p->is_leaf) {
    Leaf* leaf = static_cast<Leaf*>(p);
    leaf->~Leaf();
    ::operator delete(leaf);
  } else {
    Inner* inner = static_cast<Inner*>(p);
    inner->~Inner();  // frees the children; depth is at most 257
    ::operator delete(inner);
  }
}

std::unique_ptr<SparseMerkleTree::Node> SparseMerkleTree::Node::NewLeaf(const Hash32& key,
                                                                        const Hash32& value) {
  return std::unique_ptr<Node>(new Leaf(key, value));
}

std::unique_ptr<SparseMerkleTree::Node> SparseMerkleTree::Node::NewInner() {
  return std::unique_ptr<Node>(new Inner());
}

const Hash32& SparseMerkleTree::Node::Rehash() {
  if (dirty) {
    if (is_leaf) {
      Leaf* leaf = static_cast<Leaf*>(this);
      hash = SmtLeafHash(leaf->key, leaf->value);
    } else {
      Inner* inner = static_cast<Inner*>(this);
      hash = InnerHash(inner->ChildHash(0), inner->ChildHash(1));
    }
    dirty = false;
  }
  return hash;
}

SparseMerkleTree::SparseMerkleTree() = default;
SparseMerkleTree::~SparseMerkleTree() = default;
SparseMerkleTree::SparseMerkleTree(SparseMerkleTree&&) noexcept = default;
SparseMerkleTree& SparseMerkleTree::operator=(SparseMerkleTree&&) noexcept = default;

void SparseMerkleTree::Put(const Hash32& key_hash, const Hash32& value_hash) {
  // Inner nodes on the path, to mark dirty once we know the tree changed.
  std::array<Node*, kKeyBits + 1> path;
  int depth = 0;
  std::unique_ptr<Node>* slot = &root_;
  while (*slot && !(*slot)->is_leaf) {
    path[depth] = slot->get();
    slot = &static_cast<Node::Inner*>(slot->get())->child[Bit(key_hash, depth)];
    ++depth;
  }
  if (!*slot) {
    *slot = Node::NewLeaf(key_hash, value_hash);
    ++size_;
  } else {
    Node::Leaf* leaf = static_cast<Node::Leaf*>(slot->get());
    if (leaf->key == key_hash) {
      if (leaf->value == value_hash) return;  // no change: nothing to rehash
      leaf->value = value_hash;
      leaf->dirty = true;
    } else {
      // Another key is alone in this subtree: push it down to where the two keys diverge,
      // with a chain of inner nodes (one child empty) over their common prefix.
      const int split = FirstDifferingBit(leaf->key, key_hash, depth);
      std::unique_ptr<Node> other = std::move(*slot);
      for (int d = depth; d < split; ++d) {
        *slot = Node::NewInner();
        slot = &static_cast<Node::Inner*>(slot->get())->child[Bit(key_hash, d)];
      }
      *slot = Node::NewInner();
      auto* fork = static_cast<Node::Inner*>(slot->get());
      const int b = Bit(key_hash, split);
      fork->child[b] = Node::NewLeaf(key_hash, value_hash);
      fork->child[1 - b] = std::move(other);
      ++size_;
    }
  }
  for (int i = depth - 1; i >= 0 && !path[i]->dirty; --i) path[i]->dirty = true;
}

void SparseMerkleTree::Erase(const Hash32& key_hash) {
  std::array<std::unique_ptr<Node>*, kKeyBits + 1> slots;
  int depth = 0;
  std::unique_ptr<Node>* slot = &root_;
  while (*slot && !(*slot)->is_leaf) {
    slots[depth] = slot;
    slot = &static_cast<Node::Inner*>(slot->get())->child[Bit(key_hash, depth)];
    ++depth;
  }
  if (!*slot || static_cast<Node::Leaf*>(slot->get())->key != key_hash) return;  // absent
  slot->reset();
  --size_;
  // Collapse upwards: an inner node left with one leaf (and an empty side) becomes that leaf.
  // A leaf's hash does not depend on its depth, so a moved leaf stays clean.
  int i = depth - 1;
  for (; i >= 0; --i) {
    auto* inner = static_cast<Node::Inner*>(slots[i]->get());
    const int lone = inner->child[0] ? (inner->child[1] ? -1 : 0) : 1;
    if (lone < 0 || !inner->child[lone]->is_leaf) break;
    std::unique_ptr<Node> leaf = std::move(inner->child[lone]);
    *slots[i] = std::move(leaf);  // frees `inner`
  }
  for (; i >= 0 && !(*slots[i])->dirty; --i) (*slots[i])->dirty = true;
}

std::optional<Hash32> SparseMerkleTree::Find(const Hash32& key_hash) const {
  const Node* node = root_.get();
  int depth = 0;
  while (node && !node->is_leaf) {
    node = static_cast<const Node::Inner*>(node)->child[Bit(key_hash, depth)].get();
    ++depth;
  }
  if (!node) return std::nullopt;
  const auto* leaf = static_cast<const Node::Leaf*>(node);
  if (leaf->key != key_hash) return std::nullopt;
  return leaf->value;
}

Hash32 SparseMerkleTree::Root() { return root_ ? root_->Rehash() : kEmptyHash; }

SmtProof SparseMerkleTree::Prove(const Hash32& key_hash) {
  SmtProof proof;
  if (!root_) return proof;
  root_->Rehash();
  Node* node = root_.get();
  int depth = 0;
  while (node && !node->is_leaf) {
    auto* inner = static_cast<Node::Inner*>(node);
    const int b = Bit(key_hash, depth);
    proof.siblings.push_back(inner->child[1 - b] ? inner->child[1 - b]->hash : kEmptyHash);
    node = inner->child[b].get();
    ++depth;
  }
  if (node) {
    auto* leaf = static_cast<Node::Leaf*>(node);
    if (leaf->key != key_hash) proof.other_leaf.emplace(leaf->key, leaf->value);
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
