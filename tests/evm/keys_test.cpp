#include "tributary/evm/keys.h"

#include <gtest/gtest.h>

#include <set>

#include "evm/evm_vectors.h"
#include "tributary/evm/keccak.h"

namespace tributary::evm {
namespace {

using testing::H32;
using testing::Hex;
using testing::Vectors;

PrivateKey Key(std::string_view hex) {
  auto k = PrivateKey::FromHex(hex);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return *k;
}

// The web3.js documentation's example account; the generator for private key 1 (its public key
// is the curve's base point G).
TEST(EvmKeysTest, PublishedAddresses) {
  EXPECT_EQ(Key("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
                .address()
                .ToChecksumString(),
            "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  const PrivateKey one = Key("0000000000000000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(ToHex(one.public_key().Compressed()),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_EQ(one.address().ToChecksumString(), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

TEST(EvmKeysTest, EthersKeysAndAddresses) {
  for (const auto& v : Vectors()["keys"]) {
    const PrivateKey k = Key(v["private_key"].get<std::string>());
    EXPECT_EQ("0x" + ToHex(k.public_key().uncompressed), v["public_key"].get<std::string>());
    EXPECT_EQ("0x" + ToHex(k.public_key().Compressed()),
              v["compressed_public_key"].get<std::string>());
    EXPECT_EQ(k.address().ToChecksumString(), v["address"].get<std::string>());
    // Parsing either public key form gives the same key.
    auto from_compressed = PublicKey::Parse(Hex(v["compressed_public_key"].get<std::string>()));
    ASSERT_TRUE(from_compressed.ok());
    EXPECT_EQ(*from_compressed, k.public_key());
  }
}

// RFC 6979 nonces and low s: byte-for-byte the signatures ethers makes.
TEST(EvmKeysTest, EthersSignaturesAndRecovery) {
  int n = 0;
  for (const auto& v : Vectors()["signatures"]) {
    const PrivateKey k = Key(v["private_key"].get<std::string>());
    const Hash32 digest = H32(v["digest"].get<std::string>());
    const Signature sig = k.Sign(digest);
    EXPECT_EQ("0x" + ToHex(sig.r), v["r"].get<std::string>());
    EXPECT_EQ("0x" + ToHex(sig.s), v["s"].get<std::string>());
    EXPECT_EQ(sig.y_parity, v["y_parity"].get<int>());
    EXPECT_EQ("0x" + ToHex(sig.ToBytes()), v["serialized"].get<std::string>());

    auto parsed = Signature::FromBytes(Hex(v["serialized"].get<std::string>()));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, sig);
    auto recovered = RecoverAddress(digest, sig);
    ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
    EXPECT_EQ(*recovered, k.address());
    EXPECT_TRUE(VerifySignature(k.public_key(), digest, sig).ok());
    ++n;
  }
  EXPECT_EQ(n, 30);
}

TEST(EvmKeysTest, PersonalMessageHash) {
  // ethers.hashMessage("Hello World"), the fourth digest of the fixture.
  EXPECT_EQ("0x" + ToHex(PersonalMessageHash(AsBytes("Hello World"))),
            Vectors()["signatures"][3]["digest"].get<std::string>());
}

// n - s, the other (high) s of the same signature, which EIP-2 forbids.
Hash32 Negate(const Hash32& s) {
  const Hash32 order = H32("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  return U256::Sub(U256::FromBytes(order), U256::FromBytes(s))->ToBytes();
}

TEST(EvmKeysTest, HighSRefused) {
  const PrivateKey k = Key("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  const Hash32 digest = Keccak256(AsBytes("settle"));
  Signature sig = k.Sign(digest);
  Signature high = sig;
  high.s = Negate(sig.s);
  high.y_parity ^= 1;  // the flipped signature recovers the same key with the other parity
  auto r = RecoverPublicKey(digest, high);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "high_s");
  EXPECT_EQ(VerifySignature(k.public_key(), digest, high).reason(), "high_s");
  EXPECT_EQ(CheckSignatureValues(high).reason(), "high_s");
}

TEST(EvmKeysTest, BadSignatureValues) {
  const Hash32 digest = Keccak256(AsBytes("x"));
  Signature zero;
  EXPECT_EQ(RecoverPublicKey(digest, zero).status().reason(), "bad_signature");
  Signature big;  // r = 2^256 - 1 >= n
  big.r.fill(0xff);
  big.s[31] = 1;
  EXPECT_EQ(RecoverPublicKey(digest, big).status().reason(), "bad_signature");
  Signature parity;
  parity.r[31] = 1;
  parity.s[31] = 1;
  parity.y_parity = 2;
  EXPECT_EQ(RecoverPublicKey(digest, parity).status().reason(), "bad_signature");

  EXPECT_EQ(Signature::FromBytes(Bytes(64)).status().reason(), "bad_signature");
  Bytes v29(65, 1);
  v29[64] = 29;
  EXPECT_EQ(Signature::FromBytes(v29).status().reason(), "bad_signature");
  v29[64] = 0;
  EXPECT_TRUE(Signature::FromBytes(v29).ok());

  // A valid signature by another key does not verify.
  const PrivateKey a = Key("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  const PrivateKey b = Key("0000000000000000000000000000000000000000000000000000000000000002");
  EXPECT_EQ(VerifySignature(b.public_key(), digest, a.Sign(digest)).reason(), "bad_signature");
}

TEST(EvmKeysTest, BadPrivateKeys) {
  EXPECT_EQ(PrivateKey::FromBytes(Bytes(32, 0)).status().reason(), "bad_private_key");
  EXPECT_EQ(PrivateKey::FromBytes(Bytes(31, 1)).status().reason(), "bad_private_key");
  // n itself is out of range; n - 1 is the largest key.
  EXPECT_EQ(PrivateKey::FromHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
                .status()
                .reason(),
            "bad_private_key");
  EXPECT_TRUE(
      PrivateKey::FromHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140").ok());
  EXPECT_EQ(PrivateKey::FromHex("0xzz").status().reason(), "bad_private_key");
  EXPECT_EQ(PublicKey::Parse(Bytes(65, 4)).status().reason(), "bad_public_key");
  EXPECT_EQ(PublicKey::Parse(Bytes(20, 2)).status().reason(), "bad_public_key");
}

TEST(EvmKeysTest, GeneratedKeysSignAndRecover) {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    const PrivateKey k = PrivateKey::Generate();
    EXPECT_TRUE(seen.insert(ToHex(k.bytes())).second);
    const Hash32 digest = Keccak256(k.bytes());
    auto recovered = RecoverAddress(digest, k.Sign(digest));
    ASSERT_TRUE(recovered.ok());
    EXPECT_EQ(*recovered, k.address());
  }
}

// EIP-55's own examples: all-caps, all-lowercase and mixed-case addresses.
TEST(EvmAddressTest, Eip55SpecExamples) {
  for (const char* text :
       {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    auto a = Address::Parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.status().ToString();
    EXPECT_EQ(a->ToChecksumString(), text);
  }
}

TEST(EvmAddressTest, EthersChecksums) {
  for (const auto& v : Vectors()["eip55"]) {
    auto a = Address::Parse(v["lower"].get<std::string>());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->ToChecksumString(), v["checksummed"].get<std::string>());
    EXPECT_EQ(a->ToLowerHex(), v["lower"].get<std::string>());
    EXPECT_TRUE(Address::Parse(v["checksummed"].get<std::string>()).ok());
  }
}

TEST(EvmAddressTest, BadAddresses) {
  // One letter's case flipped: the checksum catches it.
  EXPECT_EQ(Address::Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").status().reason(),
            "bad_checksum");
  EXPECT_EQ(Address::Parse("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed").status().reason(),
            "bad_checksum");
  for (const char* text :
       {"", "0x", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",
        "0xg2908400098527886E0F7030069857D2E4169EE7", "0X52908400098527886E0F7030069857D2E4169EE7",
        " 0x52908400098527886E0F7030069857D2E4169EE7"}) {
    EXPECT_EQ(Address::Parse(text).status().reason(), "bad_address") << text;
  }
  EXPECT_EQ(Address::FromBytes(Bytes(19)).status().reason(), "bad_address");
}

}  // namespace
}  // namespace tributary::evm
