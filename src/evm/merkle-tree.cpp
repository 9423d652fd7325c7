// OpenZeppelin's tree exists only as a JavaScript package, so it is written here to match
// @openzeppelin/merkle-tree 1.0.8 (src/core.ts makeMerkleTree, getProof, getMultiProof,
// processMultiProof; src/merkletree.ts prepare), checked against that library's output in
// tests/evm/merkle_tree_test.cpp.
#include <algorithm>
#include <deque>
#include <numeric>
#include <string>

#include "tributary/evm/keccak.h"
#include "tributary/evm/merkle_tree.h"

namespace tributary::evm {
namespace {

size_t Parent(size_t i) { return (i - 1) / 2; }
size_t Sibling(size_t i) { return i % 2 == 1 ? i + 1 : i - 1; }

}  // namespace

Hash32 StandardLeafHash(ByteView encoded) {
  const Hash32 inner = Keccak256(encoded);
  return Keccak256(inner);
}

Result<Hash32> StandardLeafHash(std::span<const AbiType> types, std::span<const AbiValue> values) {
  TRIB_ASSIGN_OR_RETURN(Bytes encoded, AbiEncode(types, values));
  return StandardLeafHash(encoded);
}

Hash32 SortedPairHash(const Hash32& a, const Hash32& b) {
  const bool a_first = a <= b;
  return Keccak256Hasher().Update(a_first ? a : b).Update(a_first ? b : a).Finish();
}

Hash32 ProcessProof(const Hash32& leaf, std::span<const Hash32> proof) {
  Hash32 h = leaf;
  for (const Hash32& sibling : proof) h = SortedPairHash(h, sibling);
  return h;
}

bool VerifyProof(const Hash32& root, const Hash32& leaf, std::span<const Hash32> proof) {
  return ProcessProof(leaf, proof) == root;
}

Result<Hash32> ProcessMultiProof(const MultiProof& mp) {
  const size_t from_proof =
      static_cast<size_t>(std::count(mp.proof_flags.begin(), mp.proof_flags.end(), false));
  if (mp.proof.size() < from_proof ||
      mp.leaves.size() + mp.proof.size() != mp.proof_flags.size() + 1) {
    return Status::InvalidArgument("multiproof: " + std::to_string(mp.leaves.size()) + " leaves, " +
                                       std::to_string(mp.proof.size()) + " proof hashes and " +
                                       std::to_string(mp.proof_flags.size()) +
                                       " flags do not fit together",
                                   "bad_multiproof");
  }
  std::deque<Hash32> stack(mp.leaves.begin(), mp.leaves.end());
  std::deque<Hash32> proof(mp.proof.begin(), mp.proof.end());
  for (bool flag : mp.proof_flags) {
    std::deque<Hash32>& second_source = flag ? stack : proof;
    if (stack.empty() || second_source.size() < (flag ? 2u : 1u)) {
      return Status::InvalidArgument("multiproof: flags consume more hashes than there are",
                                     "bad_multiproof");
    }
    const Hash32 a = stack.front();
    stack.pop_front();
    const Hash32 b = second_source.front();
    second_source.pop_front();
    stack.push_back(SortedPairHash(a, b));
  }
  if (stack.size() + proof.size() != 1) {
    return Status::InvalidArgument("multiproof: hashes left over", "bad_multiproof");
  }
  return stack.empty() ? proof.front() : stack.back();
}

Result<StandardMerkleTree> StandardMerkleTree::Build(
    std::vector<AbiType> leaf_encoding, std::span<const std::vector<AbiValue>> values) {
  std::vector<Hash32> leaves;
  leaves.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    auto h = StandardLeafHash(leaf_encoding, values[i]);
    if (!h.ok()) return h.status().WithContext("leaf " + std::to_string(i));
    leaves.push_back(*h);
  }
  return FromLeafHashes(std::move(leaves));
}

Result<StandardMerkleTree> StandardMerkleTree::FromLeafHashes(std::vector<Hash32> leaf_hashes,
                                                              bool sort_leaves) {
  const size_t n = leaf_hashes.size();
  if (n == 0) return Status::InvalidArgument("a Merkle tree needs at least one leaf", "empty_tree");
  // Rows in tree order: sorted by hash, ties in input order (JavaScript's sort is stable).
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (sort_leaves) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return leaf_hashes[a] < leaf_hashes[b]; });
  }
  StandardMerkleTree t;
  t.nodes_.resize(2 * n - 1);
  t.leaf_tree_index_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const size_t tree_index = t.nodes_.size() - 1 - k;
    t.nodes_[tree_index] = leaf_hashes[order[k]];
    t.leaf_tree_index_[order[k]] = tree_index;
  }
  for (size_t i = n - 1; i-- > 0;) {
    t.nodes_[i] = SortedPairHash(t.nodes_[2 * i + 1], t.nodes_[2 * i + 2]);
  }
  return t;
}

Result<std::vector<Hash32>> StandardMerkleTree::Proof(size_t index) const {
  if (index >= size()) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) + " out of range (" +
                                       std::to_string(size()) + " leaves)",
                                   "bad_leaf_index");
  }
  std::vector<Hash32> proof;
  for (size_t i = leaf_tree_index_[index]; i > 0; i = Parent(i))
    proof.push_back(nodes_[Sibling(i)]);
  return proof;
}

Result<MultiProof> StandardMerkleTree::GetMultiProof(std::span<const size_t> indices) const {
  std::vector<size_t> tree_indices;
  tree_indices.reserve(indices.size());
  for (size_t index : indices) {
    if (index >= size()) {
      return Status::InvalidArgument("leaf index " + std::to_string(index) + " out of range",
                                     "bad_leaf_index");
    }
    tree_indices.push_back(leaf_tree_index_[index]);
  }
  std::sort(tree_indices.begin(), tree_indices.end(), std::greater<>());
  if (std::adjacent_find(tree_indices.begin(), tree_indices.end()) != tree_indices.end()) {
    return Status::InvalidArgument("a leaf index is given twice", "duplicate_leaf_index");
  }
  MultiProof mp;
  for (size_t i : tree_indices) mp.leaves.push_back(nodes_[i]);
  std::deque<size_t> stack(tree_indices.begin(), tree_indices.end());
  while (!stack.empty() && stack.front() > 0) {
    const size_t j = stack.front();
    stack.pop_front();
    const size_t s = Sibling(j);
    if (!stack.empty() && stack.front() == s) {
      mp.proof_flags.push_back(true);
      stack.pop_front();
    } else {
      mp.proof_flags.push_back(false);
      mp.proof.push_back(nodes_[s]);
    }
    stack.push_back(Parent(j));
  }
  if (indices.empty()) mp.proof.push_back(nodes_[0]);
  return mp;
}

}  // namespace tributary::evm
