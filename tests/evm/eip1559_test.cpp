#include "tributary/evm/eip1559.h"

#include <gtest/gtest.h>

#include "evm/evm_vectors.h"
#include "tributary/evm/rlp.h"

namespace tributary::evm {
namespace {

using testing::Addr;
using testing::H32;
using testing::Hex;
using testing::Q;
using testing::Vectors;

Eip1559Transaction FromFixture(const nlohmann::json& v) {
  Eip1559Transaction tx;
  tx.chain_id = *ToUint64(Q(v["chain_id"]));
  tx.nonce = *ToUint64(Q(v["nonce"]));
  tx.max_priority_fee_per_gas = Q(v["max_priority_fee_per_gas"]);
  tx.max_fee_per_gas = Q(v["max_fee_per_gas"]);
  tx.gas_limit = *ToUint64(Q(v["gas_limit"]));
  if (!v["to"].is_null()) tx.to = Addr(v["to"].get<std::string>());
  tx.value = Q(v["value"]);
  tx.data = Hex(v["data"].get<std::string>());
  for (const auto& e : v["access_list"]) {
    AccessListEntry entry;
    entry.address = Addr(e["address"].get<std::string>());
    for (const auto& k : e["storage_keys"]) entry.storage_keys.push_back(H32(k.get<std::string>()));
    tx.access_list.push_back(std::move(entry));
  }
  return tx;
}

// ethers' Wallet.signTransaction: unsigned encoding, signing hash, raw signed bytes, tx hash.
TEST(Eip1559Test, EthersVectors) {
  ASSERT_EQ(Vectors()["eip1559"].size(), 6u);
  for (const auto& v : Vectors()["eip1559"]) {
    SCOPED_TRACE(v["raw"].get<std::string>().substr(0, 40));
    const Eip1559Transaction tx = FromFixture(v);
    EXPECT_EQ("0x" + ToHex(tx.EncodeUnsigned()), v["unsigned"].get<std::string>());
    EXPECT_EQ("0x" + ToHex(tx.SigningHash()), v["signing_hash"].get<std::string>());

    auto key = PrivateKey::FromHex(v["private_key"].get<std::string>());
    ASSERT_TRUE(key.ok());
    const SignedEip1559Transaction signed_tx = SignTransaction(tx, *key);
    EXPECT_EQ("0x" + ToHex(signed_tx.Encode()), v["raw"].get<std::string>());
    EXPECT_EQ("0x" + ToHex(signed_tx.Hash()), v["hash"].get<std::string>());
    EXPECT_EQ(signed_tx.signature.y_parity, v["y_parity"].get<int>());
    EXPECT_EQ("0x" + ToHex(signed_tx.signature.r), v["r"].get<std::string>());
    EXPECT_EQ("0x" + ToHex(signed_tx.signature.s), v["s"].get<std::string>());

    // Decoding gives back the same transaction and its sender.
    auto decoded = DecodeSignedTransaction(Hex(v["raw"].get<std::string>()));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, signed_tx);
    auto sender = decoded->Sender();
    ASSERT_TRUE(sender.ok());
    EXPECT_EQ(sender->ToChecksumString(), v["from"].get<std::string>());
    auto unsigned_tx = DecodeUnsignedTransaction(Hex(v["unsigned"].get<std::string>()));
    ASSERT_TRUE(unsigned_tx.ok()) << unsigned_tx.status().ToString();
    EXPECT_EQ(*unsigned_tx, tx);
  }
}

// Rebuilds a raw transaction with one of its twelve fields replaced.
Bytes WithField(const Bytes& raw, size_t index, RlpItem field) {
  auto list = RlpDecode(ByteView(raw).subspan(1));
  EXPECT_TRUE(list.ok());
  std::vector<RlpItem> items = list->items();
  items[index] = std::move(field);
  Bytes out{0x02};
  RlpEncodeTo(RlpItem::List(std::move(items)), out);
  return out;
}

std::string Reason(ByteView raw) { return DecodeSignedTransaction(raw).status().reason(); }

TEST(Eip1559Test, RejectsBadEncodings) {
  const Bytes raw = Hex(Vectors()["eip1559"][1]["raw"].get<std::string>());
  ASSERT_TRUE(DecodeSignedTransaction(raw).ok());

  EXPECT_EQ(Reason(Bytes{}), "tx_type");
  Bytes legacy = raw;
  legacy[0] = 0x01;
  EXPECT_EQ(Reason(legacy), "tx_type");
  EXPECT_EQ(Reason(ByteView(raw).subspan(0, raw.size() - 1)), "rlp_truncated");
  Bytes trailing = raw;
  trailing.push_back(0);
  EXPECT_EQ(Reason(trailing), "rlp_trailing_bytes");
  EXPECT_EQ(Reason(Bytes{0x02, 0x80}), "tx_shape");  // a string, not a list
  EXPECT_EQ(Reason(Bytes{0x02, 0xc0}), "tx_shape");  // an empty list

  // An integer field with a leading zero (nonce 7 as 0x0007), a 9-byte nonce.
  EXPECT_EQ(Reason(WithField(raw, 1, RlpItem::String(Bytes{0x00, 0x07}))), "tx_field");
  EXPECT_EQ(Reason(WithField(raw, 1, RlpItem::String(Bytes(9, 1)))), "tx_field");
  EXPECT_EQ(Reason(WithField(raw, 2, RlpItem::String(Bytes(33, 1)))), "tx_field");
  EXPECT_EQ(Reason(WithField(raw, 3, RlpItem::List({}))), "tx_field");
  // `to` of 19 bytes; data as a list; an access-list entry of the wrong shape.
  EXPECT_EQ(Reason(WithField(raw, 5, RlpItem::String(Bytes(19, 1)))), "tx_shape");
  EXPECT_EQ(Reason(WithField(raw, 7, RlpItem::List({}))), "tx_shape");
  EXPECT_EQ(Reason(WithField(raw, 8, RlpItem::List({RlpItem::List({})}))), "tx_shape");
  EXPECT_EQ(Reason(WithField(
                raw, 8,
                RlpItem::List({RlpItem::List({RlpItem::String(Bytes(20, 1)),
                                              RlpItem::List({RlpItem::String(Bytes(31, 1))})})}))),
            "tx_shape");
}

TEST(Eip1559Test, RejectsBadSignatures) {
  const auto& v = Vectors()["eip1559"][0];
  const Bytes raw = Hex(v["raw"].get<std::string>());
  EXPECT_EQ(Reason(WithField(raw, 9, RlpItem::Uint(Amount{2}))), "bad_signature");
  EXPECT_EQ(Reason(WithField(raw, 10, RlpItem::Uint(U256()))), "bad_signature");  // r = 0
  // r with a leading zero byte is a non-canonical integer.
  EXPECT_EQ(Reason(WithField(raw, 10, RlpItem::String(Bytes{0x00, 0x01}))), "tx_field");
  // s replaced by n - s (and the parity flipped): the malleable twin, refused.
  const Hash32 order = H32("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  const U256 s = Q(v["s"]);
  const U256 high_s = *U256::Sub(U256::FromBytes(order), s);
  Bytes flipped = WithField(raw, 11, RlpItem::Uint(high_s));
  flipped = WithField(flipped, 9, RlpItem::Uint(Amount{v["y_parity"].get<int>() == 0 ? 1u : 0u}));
  EXPECT_EQ(Reason(flipped), "high_s");
}

TEST(Eip1559Test, ContractCreationHasEmptyTo) {
  const auto& v = Vectors()["eip1559"][2];
  ASSERT_TRUE(v["to"].is_null());
  auto decoded = DecodeSignedTransaction(Hex(v["raw"].get<std::string>()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->tx.to.has_value());
}

}  // namespace
}  // namespace tributary::evm
