#include "tributary/evm/merkle_tree.h"

#include <gtest/gtest.h>

#include "evm/evm_vectors.h"
#include "tributary/evm/keccak.h"

namespace tributary::evm {
namespace {

using testing::Addr;
using testing::H32;
using testing::Q;
using testing::Vectors;

std::vector<Hash32> Hashes(const nlohmann::json& list) {
  std::vector<Hash32> out;
  for (const auto& h : list) out.push_back(H32(h.get<std::string>()));
  return out;
}

StandardMerkleTree BuildFromFixture(const nlohmann::json& m) {
  std::vector<std::vector<AbiValue>> rows;
  for (const auto& v : m["values"]) {
    rows.push_back(
        {AbiValue::FromAddress(Addr(v[0].get<std::string>())), AbiValue::FromUint(Q(v[1]))});
  }
  auto tree = StandardMerkleTree::Build({AbiType::Address(), AbiType::Uint()}, rows);
  EXPECT_TRUE(tree.ok()) << tree.status().ToString();
  return *tree;
}

// @openzeppelin/merkle-tree's StandardMerkleTree.of(values, ["address", "uint256"]): the same
// leaves, node array, root, proofs and multiproofs.
TEST(StandardMerkleTreeTest, MatchesOpenZeppelin) {
  ASSERT_EQ(Vectors()["merkle"].size(), 8u);
  for (const auto& m : Vectors()["merkle"]) {
    SCOPED_TRACE("tree of " + std::to_string(m["values"].size()));
    const StandardMerkleTree tree = BuildFromFixture(m);
    EXPECT_EQ("0x" + ToHex(tree.root()), m["root"].get<std::string>());
    EXPECT_EQ(tree.nodes(), Hashes(m["tree"]));
    const Hash32 root = tree.root();

    for (const auto& p : m["proofs"]) {
      const size_t i = p["value_index"].get<size_t>();
      EXPECT_EQ(tree.tree_index(i), p["tree_index"].get<size_t>());
      const Hash32 leaf = H32(p["leaf"].get<std::string>());
      EXPECT_EQ(tree.leaf_hash(i), leaf);
      // The leaf hash from its values, as a contract computes it:
      // keccak256(bytes.concat(keccak256(abi.encode(account, amount)))).
      const auto& v = m["values"][i];
      auto direct =
          StandardLeafHash(std::vector{AbiType::Address(), AbiType::Uint()},
                           std::vector{AbiValue::FromAddress(Addr(v[0].get<std::string>())),
                                       AbiValue::FromUint(Q(v[1]))});
      ASSERT_TRUE(direct.ok());
      EXPECT_EQ(*direct, leaf);

      auto proof = tree.Proof(i);
      ASSERT_TRUE(proof.ok());
      EXPECT_EQ(*proof, Hashes(p["proof"]));
      EXPECT_TRUE(VerifyProof(root, leaf, *proof));
      // A proof for another leaf, or a changed proof, fails.
      Hash32 other = leaf;
      other[31] ^= 1;
      EXPECT_FALSE(VerifyProof(root, other, *proof));
      if (!proof->empty()) {
        std::vector<Hash32> bent = *proof;
        bent.back()[0] ^= 0x80;
        EXPECT_FALSE(VerifyProof(root, leaf, bent));
      }
    }

    for (const auto& mp : m["multiproofs"]) {
      std::vector<size_t> indices;
      for (const auto& i : mp["value_indices"]) indices.push_back(i.get<size_t>());
      auto got = tree.GetMultiProof(indices);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(got->leaves, Hashes(mp["leaves"]));
      EXPECT_EQ(got->proof, Hashes(mp["proof"]));
      std::vector<bool> flags;
      for (const auto& f : mp["proof_flags"]) flags.push_back(f.get<bool>());
      EXPECT_EQ(got->proof_flags, flags);
      auto processed = ProcessMultiProof(*got);
      ASSERT_TRUE(processed.ok()) << processed.status().ToString();
      EXPECT_EQ(*processed, root);
    }
  }
}

TEST(StandardMerkleTreeTest, SortedPairHashIsOrderFree) {
  const Hash32 a = Keccak256(AsBytes("a"));
  const Hash32 b = Keccak256(AsBytes("b"));
  EXPECT_EQ(SortedPairHash(a, b), SortedPairHash(b, a));
  const Hash32& lo = a < b ? a : b;
  const Hash32& hi = a < b ? b : a;
  Bytes concat(lo.begin(), lo.end());
  concat.insert(concat.end(), hi.begin(), hi.end());
  EXPECT_EQ(SortedPairHash(a, b), Keccak256(concat));
}

TEST(StandardMerkleTreeTest, DuplicateLeavesAndUnsortedOption) {
  const Hash32 x = Keccak256(AsBytes("x"));
  const Hash32 y = Keccak256(AsBytes("y"));
  auto tree = StandardMerkleTree::FromLeafHashes({y, x, y});
  ASSERT_TRUE(tree.ok());
  for (size_t i = 0; i < 3; ++i) {
    auto proof = tree->Proof(i);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyProof(tree->root(), tree->leaf_hash(i), *proof));
  }
  // Equal leaves keep their input order: row 0 before row 2.
  EXPECT_GT(tree->tree_index(0), tree->tree_index(2));
  auto unsorted = StandardMerkleTree::FromLeafHashes({y, x}, /*sort_leaves=*/false);
  ASSERT_TRUE(unsorted.ok());
  EXPECT_EQ(unsorted->tree_index(0), 2u);
  EXPECT_EQ(unsorted->tree_index(1), 1u);
}

TEST(StandardMerkleTreeTest, BadInput) {
  EXPECT_EQ(StandardMerkleTree::FromLeafHashes({}).status().reason(), "empty_tree");
  const std::vector<std::vector<AbiValue>> none;
  EXPECT_EQ(StandardMerkleTree::Build({AbiType::Address()}, none).status().reason(), "empty_tree");
  const std::vector<std::vector<AbiValue>> wrong = {{AbiValue::FromBool(true)}};
  EXPECT_EQ(StandardMerkleTree::Build({AbiType::Address()}, wrong).status().reason(),
            "abi_value_mismatch");

  auto tree = StandardMerkleTree::FromLeafHashes(
      {Keccak256(AsBytes("1")), Keccak256(AsBytes("2")), Keccak256(AsBytes("3"))});
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(tree->Proof(3).status().reason(), "bad_leaf_index");
  EXPECT_EQ(tree->GetMultiProof(std::vector<size_t>{0, 3}).status().reason(), "bad_leaf_index");
  EXPECT_EQ(tree->GetMultiProof(std::vector<size_t>{1, 1}).status().reason(),
            "duplicate_leaf_index");

  auto mp = tree->GetMultiProof(std::vector<size_t>{0, 2});
  ASSERT_TRUE(mp.ok());
  MultiProof broken = *mp;
  broken.proof_flags.push_back(true);
  EXPECT_EQ(ProcessMultiProof(broken).status().reason(), "bad_multiproof");
  broken = *mp;
  broken.leaves.clear();
  EXPECT_EQ(ProcessMultiProof(broken).status().reason(), "bad_multiproof");
  // All flags true but too few leaves to take two from the stack each time.
  MultiProof lying;
  lying.leaves = {Hash32{}};
  lying.proof = {Hash32{}};
  lying.proof_flags = {true};
  EXPECT_EQ(ProcessMultiProof(lying).status().reason(), "bad_multiproof");
  // The empty multiproof of OpenZeppelin: no leaves, the root as the only proof hash.
  auto empty = tree->GetMultiProof(std::vector<size_t>{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*ProcessMultiProof(*empty), tree->root());
}

}  // namespace
}  // namespace tributary::evm
