#include "tributary/evm/keccak.h"

#include <gtest/gtest.h>

#include "evm/evm_vectors.h"

namespace tributary::evm {
namespace {

using testing::Vectors;

std::string K(std::string_view s) { return ToHex(Keccak256(AsBytes(s))); }

// Published values: keccak256("") is EIP-1052's hash of empty code; "abc" and the pangram are the
// Keccak-256 values quoted by Keccak implementations' test suites (and equal ethers' output).
TEST(KeccakTest, PublishedVectors) {
  EXPECT_EQ(K(""), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(K("abc"), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(K("The quick brown fox jumps over the lazy dog"),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  // Not SHA3-256 (FIPS 202 pads with 0x06): SHA3-256("") is a7ffc6f8...
  EXPECT_NE(K(""), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

Bytes Input(const nlohmann::json& v) {
  const size_t n = v["length"].get<size_t>();
  Bytes b(n);
  const bool repeat = v["kind"] == "repeat";
  const uint8_t byte = repeat ? testing::Hex(v["byte"].get<std::string>())[0] : 0;
  for (size_t i = 0; i < n; ++i) b[i] = repeat ? byte : static_cast<uint8_t>(i % 256);
  return b;
}

// Lengths around the 136-byte rate (135, 136, 137, 271..273) and 1 MB, against ethers.
TEST(KeccakTest, EthersVectorsOneShot) {
  for (const auto& v : Vectors()["keccak"]) {
    const Bytes in = Input(v);
    EXPECT_EQ("0x" + ToHex(Keccak256(in)), v["hash"].get<std::string>())
        << v["kind"] << " length " << in.size();
  }
}

// The incremental hasher gives the same digest for every way of splitting the input.
TEST(KeccakTest, IncrementalMatchesOneShot) {
  for (const auto& v : Vectors()["keccak"]) {
    const Bytes in = Input(v);
    const std::string want = v["hash"].get<std::string>();
    for (size_t chunk :
         {size_t{1}, size_t{7}, size_t{8}, size_t{135}, size_t{136}, size_t{137}, size_t{4096}}) {
      if (in.size() > 4096 && chunk < 135) continue;  // keep the 1 MB case quick
      Keccak256Hasher h;
      for (size_t i = 0; i < in.size(); i += chunk) {
        h.Update(ByteView(in).subspan(i, std::min(chunk, in.size() - i)));
      }
      EXPECT_EQ("0x" + ToHex(h.Finish()), want) << "length " << in.size() << " chunk " << chunk;
    }
  }
}

TEST(KeccakTest, FinishResetsAndCopiesShareAPrefix) {
  Keccak256Hasher h;
  h.Update(AsBytes("ab"));
  Keccak256Hasher copy = h;
  EXPECT_EQ(ToHex(copy.Update('c').Finish()), K("abc"));
  EXPECT_EQ(ToHex(h.Finish()), K("ab"));
  EXPECT_EQ(ToHex(h.Finish()), K(""));  // empty again after Finish
}

}  // namespace
}  // namespace tributary::evm
