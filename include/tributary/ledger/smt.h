// Sparse Merkle tree: the authenticated structure behind each block's state root.
//
// Keys and values enter as 32-byte hashes. The tree is the 256-level binary
// tree indexed by the key hash's bits (most significant bit of byte 0 first;
// 0 = left), with these hashes:
//   empty subtree          = 32 zero bytes
//   leaf                   = SHA-256(0x00 || key_hash || value_hash)
//   internal node          = SHA-256(0x01 || left || right)
// and one compression: a subtree that holds exactly one leaf is represented
// by that leaf's hash, at the highest level where it is alone (as in Diem's
// sparse Merkle tree). So depth is O(log n) for n keys, and so are updates
// and proofs. The root of an empty tree is 32 zero bytes.
//
// In memory a leaf takes 64 bytes (key and value hashes; its hash is recomputed when needed) and
// an inner node 44 (its hash, two child references, a dirty flag), in chunked pools: about 127
// bytes a random key, against 204 with a heap node each (`ledger_bench --smt-keys`).
//
// Thread-safety: none; the owner serialises access.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "tributary/base/bytes.h"

namespace tributary {

//! A membership or non-membership proof for one key hash.
struct SmtProof {
  //! Sibling hashes from the root down; siblings.size() is the depth of the path.
  std::vector<Hash32> siblings;
  //! For non-membership ending at another key's leaf: that leaf's (key_hash, value_hash).
  //! Absent for membership proofs and for paths that end in an empty subtree.
  std::optional<std::pair<Hash32, Hash32>> other_leaf;
};

class SparseMerkleTree {
 public:
  SparseMerkleTree();
  ~SparseMerkleTree();
  SparseMerkleTree(SparseMerkleTree&&) noexcept;
  SparseMerkleTree& operator=(SparseMerkleTree&&) noexcept;

  //! Inserts or replaces the value hash for `key_hash`. O(log n).
  void Put(const Hash32& key_hash, const Hash32& value_hash);
  //! Removes `key_hash` if present (collapsing subtrees left with one leaf). O(log n).
  void Erase(const Hash32& key_hash);
  //! The value hash stored for `key_hash`, nullopt when absent. O(log n).
  std::optional<Hash32> Find(const Hash32& key_hash) const;
  //! The root hash; recomputes only nodes changed since the last call.
  Hash32 Root();
  size_t size() const { return size_; }

  //! Proof for `key_hash` against Root(): membership if present, else non-membership.
  SmtProof Prove(const Hash32& key_hash);

 private:
  // The nodes, in two pools addressed by 32-bit references (no allocation or pointer per node);
  // null only in a moved-from tree, which behaves as empty.
  struct Nodes;
  Nodes& MutableNodes();
  std::unique_ptr<Nodes> nodes_;
  size_t size_ = 0;
};

//! Leaf hash as defined above.
Hash32 SmtLeafHash(const Hash32& key_hash, const Hash32& value_hash);

//! Checks `proof` against `root`: with `value_hash` set, that the key maps to it;
//! with nullopt, that the key is absent.
Status VerifySmtProof(const Hash32& root, const Hash32& key_hash,
                      const std::optional<Hash32>& value_hash, const SmtProof& proof);

}  // namespace tributary
