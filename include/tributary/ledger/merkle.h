// RFC 6962 Merkle trees (SHA-256) with inclusion proofs.
//
// Used for each block's transaction root and receipts root. Leaf hash =
// SHA-256(0x00 || leaf data), node hash = SHA-256(0x01 || left || right),
// the root of an empty tree = SHA-256(""); a tree of n leaves splits at the
// largest power of two smaller than n (RFC 6962 section 2.1). Verification
// follows RFC 9162 section 2.1.3.2.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tributary/base/bytes.h"

namespace tributary::merkle {

Hash32 LeafHash(ByteView leaf_data);
Hash32 NodeHash(const Hash32& left, const Hash32& right);
//! SHA-256 of the empty string: the root of a tree with no leaves.
Hash32 EmptyRoot();

//! Root over leaves given by their leaf hashes (LeafHash already applied).
Hash32 RootFromLeafHashes(std::span<const Hash32> leaf_hashes);

struct InclusionProof {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::vector<Hash32> path;  //!< audit path, leaf level first (RFC 6962 PATH order)
};

//! The audit path for leaf `index`; InvalidArgument when index >= size.
Result<InclusionProof> Prove(std::span<const Hash32> leaf_hashes, uint64_t index);

//! OK when `proof` shows `leaf_hash` at proof.leaf_index in a tree of proof.tree_size with `root`.
Status VerifyInclusion(const Hash32& leaf_hash, const InclusionProof& proof, const Hash32& root);

//! OK when `preceding` are the leaf hashes of every leaf before proof.leaf_index, in order: each
//! left sibling on the audit path is recomputed from them (together they cover exactly those
//! leaves). With VerifyInclusion of the same proof this proves what comes before a leaf, e.g. to
//! count the rows ahead of it. "bad_proof" otherwise.
Status VerifyPrecedingLeaves(std::span<const Hash32> preceding, const InclusionProof& proof);

}  // namespace tributary::merkle
