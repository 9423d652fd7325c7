// Decoders against mutated and random input: never a crash, and what RLP and EIP-1559 decoding
// accepts is canonical (it encodes back to the same bytes).
#include <gtest/gtest.h>

#include <random>

#include "evm/evm_vectors.h"
#include "tributary/evm/abi.h"
#include "tributary/evm/eip1559.h"
#include "tributary/evm/rlp.h"

namespace tributary::evm {
namespace {

using testing::Hex;
using testing::Types;
using testing::Vectors;

Bytes Mutate(const Bytes& in, std::mt19937_64& rng) {
  Bytes out = in;
  switch (rng() % 4) {
    case 0:  // flip a byte
      if (!out.empty()) out[rng() % out.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      break;
    case 1:  // truncate
      out.resize(out.empty() ? 0 : rng() % out.size());
      break;
    case 2:  // insert a byte
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(out.empty() ? 0 : rng() % out.size()),
                 static_cast<uint8_t>(rng()));
      break;
    default:  // set a byte to a length-ish value
      if (!out.empty()) out[rng() % out.size()] = static_cast<uint8_t>(0xb7 + rng() % 0x49);
      break;
  }
  return out;
}

TEST(EvmMutationTest, RlpAndTransactions) {
  std::mt19937_64 rng(20240611);
  std::vector<Bytes> seeds;
  for (const auto& v : Vectors()["eip1559"]) seeds.push_back(Hex(v["raw"].get<std::string>()));
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes in = seeds[rng() % seeds.size()];
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) in = Mutate(in, rng);
    if (in.size() > 1) {
      auto item = RlpDecode(ByteView(in).subspan(1));
      if (item.ok()) {
        EXPECT_EQ(RlpEncode(*item), Bytes(in.begin() + 1, in.end()));
      }
    }
    auto tx = DecodeSignedTransaction(in);
    if (tx.ok()) {
      ++accepted;
      EXPECT_EQ(tx->Encode(), in);
    }
  }
  // Some mutations (a flipped data or value byte) leave a valid transaction.
  EXPECT_GT(accepted, 0);
}

TEST(EvmMutationTest, RandomRlp) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20000; ++round) {
    Bytes in(rng() % 24);
    for (auto& b : in) b = static_cast<uint8_t>(rng() % 4 == 0 ? 0xc0 + rng() % 64 : rng());
    auto item = RlpDecode(in);
    if (item.ok()) {
      EXPECT_EQ(RlpEncode(*item), in);
    }
  }
}

TEST(EvmMutationTest, AbiDecodeNeverCrashes) {
  std::mt19937_64 rng(11);
  for (const auto& c : Vectors()["abi"]) {
    const std::vector<AbiType> types = Types(c["types"]);
    const Bytes seed = Hex(c["encoded"].get<std::string>());
    for (int round = 0; round < 2000; ++round) {
      Bytes in = seed;
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) in = Mutate(in, rng);
      auto decoded = AbiDecode(types, in);
      if (decoded.ok()) {
        // Whatever decodes also encodes (every decoded value fits its type).
        EXPECT_TRUE(AbiEncode(types, *decoded).ok());
      }
    }
  }
}

}  // namespace
}  // namespace tributary::evm
