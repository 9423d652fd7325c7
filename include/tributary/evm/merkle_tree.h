// OpenZeppelin's StandardMerkleTree (@openzeppelin/merkle-tree 1.x), so that Solidity's
// MerkleProof.verify / multiProofVerify accept the roots and proofs the node builds.
//
// Leaf hash = keccak256(keccak256(abi.encode(values...))) (double hashing keeps a leaf from
// passing for an inner node); node hash = keccak256(min(a, b) || max(a, b)) (a "sorted pair", so
// proofs carry no left/right flags). The tree is an array of 2n - 1 nodes: root at 0, the
// children of node i at 2i + 1 and 2i + 2, the leaves, sorted ascending by hash (a stable sort,
// so equal leaves keep their input order), stored from the end: leaf k at index 2n - 2 - k.
// This is the library's own layout (`tree` in its dump), not a level-by-level tree: for n not a
// power of two its leaves sit on two levels.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/evm/abi.h"

namespace tributary::evm {

//! keccak256(keccak256(encoded)), for `encoded` = abi.encode of a leaf's values.
Hash32 StandardLeafHash(ByteView encoded);
//! The leaf hash of `values` encoded as `types` (AbiEncode's errors).
Result<Hash32> StandardLeafHash(std::span<const AbiType> types, std::span<const AbiValue> values);
//! keccak256 of the two hashes in ascending order.
Hash32 SortedPairHash(const Hash32& a, const Hash32& b);

//! The root a single-leaf proof leads to (OpenZeppelin's processProof).
Hash32 ProcessProof(const Hash32& leaf, std::span<const Hash32> proof);
//! True when `proof` leads from `leaf` to `root` (MerkleProof.verify).
bool VerifyProof(const Hash32& root, const Hash32& leaf, std::span<const Hash32> proof);

//! A proof for several leaves at once (MerkleProof.multiProofVerify's arguments).
struct MultiProof {
  std::vector<Hash32> leaves;  //!< leaf hashes, in the order the proof consumes them
  std::vector<Hash32> proof;
  std::vector<bool> proof_flags;
};
//! The root a multiproof leads to (processMultiProof). InvalidArgument (reason
//! "bad_multiproof") when the counts of leaves, proof hashes and flags do not fit together.
Result<Hash32> ProcessMultiProof(const MultiProof& proof);

//! A built tree. Immutable after Build; thread-safe to read.
class StandardMerkleTree {
 public:
  //! The tree over leaves given by their values (each a row of `leaf_encoding` values).
  //! InvalidArgument: reason "empty_tree" for no values, AbiEncode's for a bad row.
  static Result<StandardMerkleTree> Build(std::vector<AbiType> leaf_encoding,
                                          std::span<const std::vector<AbiValue>> values);
  //! The tree over leaf hashes already computed, in input order (each row's index is its
  //! position); `sort_leaves` false keeps that order in the tree (the library's
  //! sortLeaves: false). InvalidArgument "empty_tree" for none.
  static Result<StandardMerkleTree> FromLeafHashes(std::vector<Hash32> leaf_hashes,
                                                   bool sort_leaves = true);

  const Hash32& root() const { return nodes_.front(); }
  //! The number of leaves.
  size_t size() const { return leaf_tree_index_.size(); }
  //! All 2n - 1 nodes in the library's array layout (its dump's `tree`).
  const std::vector<Hash32>& nodes() const { return nodes_; }
  //! Where the leaf given as row `index` sits in nodes() (its dump's `treeIndex`).
  size_t tree_index(size_t index) const { return leaf_tree_index_[index]; }
  //! The leaf hash of row `index`.
  const Hash32& leaf_hash(size_t index) const { return nodes_[leaf_tree_index_[index]]; }

  //! The proof for row `index`, leaf level first (getProof). InvalidArgument (reason
  //! "bad_leaf_index") when index >= size().
  Result<std::vector<Hash32>> Proof(size_t index) const;
  //! The multiproof for the given rows (getMultiProof). InvalidArgument: "bad_leaf_index" for
  //! an index out of range, "duplicate_leaf_index" for an index given twice.
  Result<MultiProof> GetMultiProof(std::span<const size_t> indices) const;

 private:
  StandardMerkleTree() = default;
  std::vector<Hash32> nodes_;
  std::vector<size_t> leaf_tree_index_;  // row -> index in nodes_
};

}  // namespace tributary::evm
