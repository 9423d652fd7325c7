#include "tributary/ledger/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

#include "tributary/base/hash.h"

namespace tributary::merkle {
namespace {

Hash32 H(std::string_view hex) {
  auto h = FixedFromHex<32>(hex);
  EXPECT_TRUE(h.ok()) << hex;
  return h.ok() ? *h : Hash32{};
}

Bytes B(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

// The eight leaves of the Certificate Transparency / transparency-dev test tree
// (transparency-dev/merkle proof/verify_test.go, originally CT's merkle_tree_test).
std::vector<Bytes> CtLeaves() {
  return {B(""),
          B("00"),
          B("10"),
          B("2021"),
          B("3031"),
          B("40414243"),
          B("5051525354555657"),
          B("606162636465666768696a6b6c6d6e6f")};
}

// Roots of the trees made of the first 1..8 of those leaves.
const char* const kCtRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Hash32> LeafHashes(const std::vector<Bytes>& leaves) {
  std::vector<Hash32> out;
  for (const Bytes& l : leaves) out.push_back(LeafHash(l));
  return out;
}

std::vector<Hash32> SyntheticLeafHashes(size_t n) {
  std::vector<Hash32> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash(AsBytes("leaf-" + std::to_string(i))));
  return out;
}

// RFC 6962 section 2.1 MTH, written as directly as possible.
Hash32 NaiveRoot(std::span<const Hash32> d) {
  if (d.empty()) return Sha256(ByteView());
  if (d.size() == 1) return d[0];
  size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  return NodeHash(NaiveRoot(d.subspan(0, k)), NaiveRoot(d.subspan(k)));
}

// RFC 6962 section 2.1.1 PATH.
std::vector<Hash32> NaivePath(size_t m, std::span<const Hash32> d) {
  if (d.size() <= 1) return {};
  size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  std::vector<Hash32> path;
  if (m < k) {
    path = NaivePath(m, d.subspan(0, k));
    path.push_back(NaiveRoot(d.subspan(k)));
  } else {
    path = NaivePath(m - k, d.subspan(k));
    path.push_back(NaiveRoot(d.subspan(0, k)));
  }
  return path;
}

Hash32 Flip(Hash32 h, int bit = 3) {
  h[0] ^= static_cast<uint8_t>(1u << bit);
  return h;
}

TEST(MerkleTest, HasherVectors) {
  // transparency-dev/merkle rfc6962/rfc6962_test.go.
  EXPECT_EQ(ToHex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(LeafHash(ByteView())),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(ToHex(LeafHash(AsBytes("L123456"))),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
  EXPECT_NE(LeafHash(ByteView()), EmptyRoot());
}

TEST(MerkleTest, LargeLeafHash) {
  // Leaves larger than the stack buffer take the heap path; same definition.
  Bytes big(10000, 0xab);
  Bytes prefixed = big;
  prefixed.insert(prefixed.begin(), 0x00);
  EXPECT_EQ(LeafHash(big), Sha256(prefixed));
  Bytes edge(256, 0x11);
  Bytes edge_prefixed = edge;
  edge_prefixed.insert(edge_prefixed.begin(), 0x00);
  EXPECT_EQ(LeafHash(edge), Sha256(edge_prefixed));
}

TEST(MerkleTest, EmptyTree) {
  EXPECT_EQ(ToHex(RootFromLeafHashes({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto proof = Prove({}, 0);
  ASSERT_FALSE(proof.ok());
  EXPECT_EQ(proof.status().code(), Code::kInvalidArgument);
}

TEST(MerkleTest, CtRoots) {
  const std::vector<Hash32> leaves = LeafHashes(CtLeaves());
  for (size_t n = 1; n <= leaves.size(); ++n) {
    EXPECT_EQ(ToHex(RootFromLeafHashes(std::span(leaves).first(n))), kCtRoots[n - 1])
        << "size " << n;
  }
}

TEST(MerkleTest, CtInclusionProofs) {
  struct Vector {
    uint64_t index;  // 0-based (the Go vectors are 1-based)
    uint64_t size;
    std::vector<const char*> path;
  };
  const std::vector<Vector> vectors = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const std::vector<Hash32> leaves = LeafHashes(CtLeaves());
  for (const Vector& v : vectors) {
    SCOPED_TRACE("index " + std::to_string(v.index) + " size " + std::to_string(v.size));
    auto tree = std::span(leaves).first(v.size);
    auto proof = Prove(tree, v.index);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(proof->leaf_index, v.index);
    EXPECT_EQ(proof->tree_size, v.size);
    ASSERT_EQ(proof->path.size(), v.path.size());
    for (size_t i = 0; i < v.path.size(); ++i) EXPECT_EQ(ToHex(proof->path[i]), v.path[i]);

    // The published proof verifies against the published root.
    InclusionProof published{v.index, v.size, {}};
    for (const char* p : v.path) published.path.push_back(H(p));
    const Hash32 root = H(kCtRoots[v.size - 1]);
    EXPECT_TRUE(VerifyInclusion(leaves[v.index], published, root).ok());
    EXPECT_FALSE(VerifyInclusion(leaves[v.index], published, EmptyRoot()).ok());
  }
}

TEST(MerkleTest, RootMatchesNaiveReference) {
  const std::vector<Hash32> all = SyntheticLeafHashes(70);
  for (size_t n = 0; n <= 70; ++n) {
    auto d = std::span(all).first(n);
    EXPECT_EQ(RootFromLeafHashes(d), NaiveRoot(d)) << "size " << n;
  }
  // A larger, non-power-of-two size.
  const std::vector<Hash32> big = SyntheticLeafHashes(1000);
  EXPECT_EQ(RootFromLeafHashes(big), NaiveRoot(big));
}

TEST(MerkleTest, EveryProofVerifies) {
  const std::vector<Hash32> all = SyntheticLeafHashes(70);
  for (uint64_t n = 1; n <= 70; ++n) {
    auto d = std::span(all).first(n);
    const Hash32 root = RootFromLeafHashes(d);
    for (uint64_t m = 0; m < n; ++m) {
      auto proof = Prove(d, m);
      ASSERT_TRUE(proof.ok());
      EXPECT_EQ(proof->path, NaivePath(m, d)) << "index " << m << " size " << n;
      Status s = VerifyInclusion(d[m], *proof, root);
      EXPECT_TRUE(s.ok()) << "index " << m << " size " << n << ": " << s.ToString();
    }
  }
}

TEST(MerkleTest, TamperedProofsFail) {
  const std::vector<Hash32> all = SyntheticLeafHashes(70);
  for (uint64_t n = 1; n <= 70; ++n) {
    auto d = std::span(all).first(n);
    const Hash32 root = RootFromLeafHashes(d);
    for (uint64_t m = 0; m < n; ++m) {
      SCOPED_TRACE("index " + std::to_string(m) + " size " + std::to_string(n));
      const InclusionProof good = *Prove(d, m);
      ASSERT_TRUE(VerifyInclusion(d[m], good, root).ok());

      // Wrong leaf: flipped bits, or another leaf of the tree.
      EXPECT_FALSE(VerifyInclusion(Flip(d[m]), good, root).ok());
      EXPECT_FALSE(VerifyInclusion(Flip(d[m], 7), good, root).ok());
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(d[(m + 1) % n], good, root).ok());
      }

      // Wrong root.
      EXPECT_FALSE(VerifyInclusion(d[m], good, Flip(root)).ok());
      EXPECT_FALSE(VerifyInclusion(d[m], good, EmptyRoot()).ok());

      // Any path element changed.
      for (size_t i = 0; i < good.path.size(); ++i) {
        InclusionProof bad = good;
        bad.path[i] = Flip(bad.path[i]);
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "path[" << i << "]";
      }
      // Path elements removed, added, or reordered.
      if (!good.path.empty()) {
        InclusionProof bad = good;
        bad.path.pop_back();
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "truncated";
        bad = good;
        bad.path.erase(bad.path.begin());
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "first removed";
      }
      {
        InclusionProof bad = good;
        bad.path.push_back(root);
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "trailing root";
        bad = good;
        bad.path.insert(bad.path.begin(), Hash32{});
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "preceding zero";
      }
      if (good.path.size() > 1) {
        InclusionProof bad = good;
        std::swap(bad.path[0], bad.path[1]);
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "swapped";
      }

      // Any other index.
      for (uint64_t j = 0; j < n + 2; ++j) {
        if (j == m) continue;
        InclusionProof bad = good;
        bad.leaf_index = j;
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "leaf_index " << j;
      }
      // Wrong tree sizes that change the tree's shape around the leaf.
      for (uint64_t size : {n * 2, n / 2, m, uint64_t{0}}) {
        InclusionProof bad = good;
        bad.tree_size = size;
        EXPECT_FALSE(VerifyInclusion(d[m], bad, root).ok()) << "tree_size " << size;
      }
    }
  }
}

TEST(MerkleTest, WrongSizeWithSameShapeStillNeedsMatchingRoot) {
  // Leaf 0 has the same path shape in trees of 5 and 6 leaves (RFC 9162 cannot tell those sizes
  // apart from the path alone), but the path's contents differ, so a proof from one tree does
  // not verify against the other tree's root.
  const std::vector<Hash32> all = SyntheticLeafHashes(6);
  InclusionProof p5 = *Prove(std::span(all).first(5), 0);
  const Hash32 root6 = RootFromLeafHashes(all);
  p5.tree_size = 6;
  EXPECT_FALSE(VerifyInclusion(all[0], p5, root6).ok());
}

TEST(MerkleTest, ProveIndexOutOfRange) {
  const std::vector<Hash32> all = SyntheticLeafHashes(5);
  for (uint64_t index : {uint64_t{5}, uint64_t{6}, uint64_t{1} << 40, ~uint64_t{0}}) {
    auto proof = Prove(all, index);
    ASSERT_FALSE(proof.ok());
    EXPECT_EQ(proof.status().code(), Code::kInvalidArgument);
  }
  InclusionProof bogus{5, 5, {}};
  EXPECT_FALSE(VerifyInclusion(all[0], bogus, RootFromLeafHashes(all)).ok());
  InclusionProof zero{0, 0, {}};
  EXPECT_FALSE(VerifyInclusion(EmptyRoot(), zero, EmptyRoot()).ok());
}

TEST(MerkleTest, SingleLeafTree) {
  const Hash32 leaf = LeafHash(AsBytes("data"));
  const Hash32 leaves[] = {leaf};
  EXPECT_EQ(RootFromLeafHashes(leaves), leaf);
  auto proof = Prove(leaves, 0);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(proof->path.empty());
  EXPECT_TRUE(VerifyInclusion(leaf, *proof, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(leaf, *proof, Flip(leaf)).ok());
}

// The leaves before a leaf are proven by the left siblings of its audit path: for every tree
// size and position the true prefix passes, and any other (a changed, missing, extra or swapped
// leaf, or the prefix of another tree) does not.
TEST(MerkleTest, PrecedingLeavesAreBoundByTheAuditPath) {
  for (size_t n = 1; n <= 33; ++n) {
    const std::vector<Hash32> all = SyntheticLeafHashes(n);
    for (size_t m = 0; m < n; ++m) {
      SCOPED_TRACE(std::to_string(m) + " of " + std::to_string(n));
      auto proof = Prove(all, m);
      ASSERT_TRUE(proof.ok());
      const std::span<const Hash32> before(all.data(), m);
      EXPECT_TRUE(VerifyPrecedingLeaves(before, *proof).ok());
      if (m == 0) {
        EXPECT_FALSE(VerifyPrecedingLeaves(std::span<const Hash32>(all.data(), 1), *proof).ok());
        continue;
      }
      EXPECT_FALSE(VerifyPrecedingLeaves(before.first(m - 1), *proof).ok()) << "one missing";
      EXPECT_FALSE(VerifyPrecedingLeaves(std::span<const Hash32>(all.data(), m + 1), *proof).ok())
          << "one extra";
      for (size_t i = 0; i < m; ++i) {
        std::vector<Hash32> changed(before.begin(), before.end());
        changed[i] = Flip(changed[i]);
        EXPECT_FALSE(VerifyPrecedingLeaves(changed, *proof).ok()) << "leaf " << i << " changed";
      }
      if (m >= 2) {
        std::vector<Hash32> swapped(before.begin(), before.end());
        std::swap(swapped[0], swapped[m - 1]);
        EXPECT_FALSE(VerifyPrecedingLeaves(swapped, *proof).ok()) << "first and last swapped";
      }
      // The prefix of a tree that differs only after the leaf is the same prefix.
      std::vector<Hash32> later = all;
      later.back() = Flip(later.back());
      if (m + 1 < n) {
        auto other = Prove(later, m);
        ASSERT_TRUE(other.ok());
        EXPECT_TRUE(VerifyPrecedingLeaves(before, *other).ok());
      }
    }
  }
  // A path of the wrong length, or an index out of range.
  const std::vector<Hash32> all = SyntheticLeafHashes(6);
  auto proof = Prove(all, 4);
  ASSERT_TRUE(proof.ok());
  InclusionProof longer = *proof;
  longer.path.push_back(all[0]);
  EXPECT_FALSE(VerifyPrecedingLeaves(std::span<const Hash32>(all.data(), 4), longer).ok());
  InclusionProof past{6, 6, {}};
  EXPECT_FALSE(VerifyPrecedingLeaves(all, past).ok());
}

}  // namespace
}  // namespace tributary::merkle
