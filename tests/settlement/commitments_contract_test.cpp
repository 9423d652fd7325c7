#include "tributary/settlement/commitments_contract.h"

#include <gtest/gtest.h>

#include "tributary/evm/keccak.h"

namespace tributary::settlement {
namespace {

Hash32 H(const char* text) { return evm::Keccak256(AsBytes(text)); }

TEST(CommitmentsContractTest, EncodesPost) {
  const Bytes data = CommitmentsContract::EncodePost(10, H("b10"), H("s10"));
  ASSERT_EQ(data.size(), 4u + 3 * 32);
  // keccak256("post(uint64,bytes32,bytes32)")[0:4]
  const Hash32 sig = evm::Keccak256(AsBytes("post(uint64,bytes32,bytes32)"));
  EXPECT_TRUE(std::equal(data.begin(), data.begin() + 4, sig.begin()));
  EXPECT_EQ(data[4 + 31], 10);
  EXPECT_TRUE(
      std::all_of(data.begin() + 4, data.begin() + 4 + 31, [](uint8_t b) { return b == 0; }));
  EXPECT_TRUE(std::equal(data.begin() + 36, data.begin() + 68, H("b10").begin()));
  EXPECT_TRUE(std::equal(data.begin() + 68, data.end(), H("s10").begin()));
}

TEST(CommitmentsContractTest, DecodesCommitmentPosted) {
  EXPECT_EQ(CommitmentsContract::PostedTopic(),
            evm::Keccak256(AsBytes("CommitmentPosted(uint64,bytes32,bytes32,uint64)")));
  evm::Log log;
  Hash32 height{};
  height[31] = 15;
  log.topics = {CommitmentsContract::PostedTopic(), height};
  const Hash32 b = H("b15"), s = H("s15");
  log.data.insert(log.data.end(), b.begin(), b.end());
  log.data.insert(log.data.end(), s.begin(), s.end());
  Hash32 at{};
  at[31] = 0x42;
  log.data.insert(log.data.end(), at.begin(), at.end());
  log.block_number = 7;
  log.transaction_hash = H("tx");
  auto e = CommitmentsContract::DecodePosted(log);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->height, 15u);
  EXPECT_EQ(e->commitment.block_hash, b);
  EXPECT_EQ(e->commitment.state_root, s);
  EXPECT_EQ(e->commitment.posted_at, 0x42u);
  EXPECT_EQ(e->evm_block, 7u);
  EXPECT_EQ(e->tx_hash, H("tx"));
  log.topics[0] = H("another event");
  EXPECT_FALSE(CommitmentsContract::DecodePosted(log).ok());
}

}  // namespace
}  // namespace tributary::settlement
