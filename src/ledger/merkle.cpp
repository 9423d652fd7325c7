#include "tributary/ledger/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>

#include "tributary/base/hash.h"

namespace tributary::merkle {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;
// Leaf data up to this size is prefixed in a stack buffer; larger data goes to the heap.
constexpr size_t kStackLeafMax = 256;

Status BadProof(std::string msg) { return Status::InvalidArgument(std::move(msg), "bad_proof"); }

//! Largest power of two strictly smaller than n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

//! MTH over leaf_hashes[lo, hi), hi > lo. Streams the leaves through a stack of
//! perfect-subtree roots (at most 64 deep), so it needs no heap memory.
Hash32 RangeRoot(std::span<const Hash32> leaf_hashes) {
  std::array<Hash32, 65> stack;
  size_t top = 0;
  uint64_t count = 0;
  for (const Hash32& h : leaf_hashes) {
    stack[top++] = h;
    ++count;
    // Each trailing zero bit of `count` is a pair of equal-sized subtrees to merge.
    for (uint64_t c = count; (c & 1) == 0; c >>= 1) {
      stack[top - 2] = NodeHash(stack[top - 2], stack[top - 1]);
      --top;
    }
  }
  // The remaining subtrees shrink left to right; RFC 6962 merges them from the right.
  Hash32 root = stack[top - 1];
  for (size_t i = top - 1; i-- > 0;) root = NodeHash(stack[i], root);
  return root;
}

}  // namespace

Hash32 LeafHash(ByteView leaf_data) {
  if (leaf_data.size() <= kStackLeafMax) {
    std::array<uint8_t, kStackLeafMax + 1> buf;
    buf[0] = kLeafPrefix;
    if (!leaf_data.empty()) std::memcpy(buf.data() + 1, leaf_data.data(), leaf_data.size());
    return Sha256(ByteView(buf.data(), leaf_data.size() + 1));
  }
  Bytes buf(leaf_data.size() + 1);
  buf[0] = kLeafPrefix;
  std::memcpy(buf.data() + 1, leaf_data.data(), leaf_data.size());
  return Sha256(buf);
}

Hash32 NodeHash(const Hash32& left, const Hash32& right) {
  std::array<uint8_t, 65> buf;
  buf[0] = kNodePrefix;
  std::memcpy(buf.data() + 1, left.data(), 32);
  std::memcpy(buf.data() + 33, right.data(), 32);
  return Sha256(buf);
}

Hash32 EmptyRoot() { return Sha256(ByteView()); }

Hash32 RootFromLeafHashes(std::span<const Hash32> leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot();
  return RangeRoot(leaf_hashes);
}

Result<InclusionProof> Prove(std::span<const Hash32> leaf_hashes, uint64_t index) {
  const uint64_t size = leaf_hashes.size();
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " out of range for tree size " + std::to_string(size));
  }
  InclusionProof proof;
  proof.leaf_index = index;
  proof.tree_size = size;
  // Walk RFC 6962 PATH from the root down, collecting the sibling subtree roots;
  // PATH lists them leaf level first, so reverse at the end. Total work is O(size).
  uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    const uint64_t k = SplitPoint(hi - lo);
    if (index < lo + k) {
      proof.path.push_back(RangeRoot(leaf_hashes.subspan(lo + k, hi - lo - k)));
      hi = lo + k;
    } else {
      proof.path.push_back(RangeRoot(leaf_hashes.subspan(lo, k)));
      lo += k;
    }
  }
  std::reverse(proof.path.begin(), proof.path.end());
  return proof;
}

Status VerifyInclusion(const Hash32& leaf_hash, const InclusionProof& proof, const Hash32& root) {
  // RFC 9162 section 2.1.3.2.
  if (proof.leaf_index >= proof.tree_size) {
    return BadProof("leaf index " + std::to_string(proof.leaf_index) +
                    " out of range for tree size " + std::to_string(proof.tree_size));
  }
  uint64_t fn = proof.leaf_index;
  uint64_t sn = proof.tree_size - 1;
  Hash32 r = leaf_hash;
  for (const Hash32& p : proof.path) {
    if (sn == 0) return BadProof("inclusion proof is too long");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      // fn == sn with fn a left child: it has no right sibling at this level, so skip the levels
      // where it is promoted unchanged (fn != 0 here, since fn == sn and sn != 0).
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return BadProof("inclusion proof is too short");
  if (r != root) return BadProof("inclusion proof does not match the root");
  return Status::OK();
}

Status VerifyPrecedingLeaves(std::span<const Hash32> preceding, const InclusionProof& proof) {
  if (proof.leaf_index >= proof.tree_size) {
    return BadProof("leaf index " + std::to_string(proof.leaf_index) +
                    " out of range for tree size " + std::to_string(proof.tree_size));
  }
  if (preceding.size() != proof.leaf_index) {
    return BadProof(std::to_string(preceding.size()) + " leaves given before leaf " +
                    std::to_string(proof.leaf_index));
  }
  // Walk RFC 6962 PATH from the root down as Prove does; a step to the right has the subtree on
  // its left, [lo, lo + k), as its sibling. PATH lists siblings leaf level first.
  struct Left {
    size_t level;  // from the root
    uint64_t lo, size;
  };
  std::vector<Left> lefts;
  size_t levels = 0;
  uint64_t lo = 0, hi = proof.tree_size;
  while (hi - lo > 1) {
    const uint64_t k = SplitPoint(hi - lo);
    if (proof.leaf_index < lo + k) {
      hi = lo + k;
    } else {
      lefts.push_back({levels, lo, k});
      lo += k;
    }
    ++levels;
  }
  if (proof.path.size() != levels) return BadProof("inclusion proof has the wrong length");
  for (const Left& l : lefts) {
    if (RangeRoot(preceding.subspan(l.lo, l.size)) != proof.path[levels - 1 - l.level]) {
      return BadProof("the leaves before leaf " + std::to_string(proof.leaf_index) +
                      " are not the tree's");
    }
  }
  return Status::OK();
}

}  // namespace tributary::merkle
