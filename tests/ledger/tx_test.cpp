#include "tributary/ledger/tx.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary {
namespace {

using json = nlohmann::json;

KeyPair FixedKey() {
  std::array<uint8_t, 32> seed;
  for (int i = 0; i < 32; ++i) seed[i] = static_cast<uint8_t>(i);
  return KeyPair::FromSeed(seed);
}

Address FixedRecipient() {
  Address a;
  for (int i = 0; i < 20; ++i) a.bytes[i] = static_cast<uint8_t>(0xa0 + i);
  return a;
}

// The fixed transfer whose encoding is pinned below.
Transaction FixedTransfer() {
  Transaction tx;
  tx.chain_id = "tributary-dev";
  tx.nonce = 7;
  tx.max_fee = Pow10(15);  // 0.001 OPEN
  tx.kind = "transfer";
  tx.payload = Writer().Fixed(FixedRecipient().bytes).U128(Pow10(18) * 3 / 2).bytes();  // 1.5 OPEN
  tx.SignWith(FixedKey());
  return tx;
}

const TxKindRegistry& Kinds() {
  static const TxKindRegistry* kinds = [] {
    auto* r = new TxKindRegistry();
    RegisterLedgerKinds(*r);
    return r;
  }();
  return *kinds;
}

void ExpectSameTx(const Transaction& a, const Transaction& b) {
  EXPECT_EQ(a.chain_id, b.chain_id);
  EXPECT_EQ(a.sender, b.sender);
  EXPECT_EQ(a.nonce, b.nonce);
  EXPECT_EQ(a.max_fee, b.max_fee);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.payload, b.payload);
  EXPECT_EQ(a.signature, b.signature);
  EXPECT_EQ(a.Encode(), b.Encode());
}

// ---- Canonical encoding test vectors. If these change, every signed tx and every tx hash
// ---- changes: that must be a deliberate, versioned decision.

// Ed25519 public key of the seed 00 01 02 ... 1f.
constexpr const char* kFixedPublicKey =
    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
constexpr const char* kFixedBody =
    "01"                                                                // version 1
    "0000000d7472696275746172792d646576"                                // str "tributary-dev"
    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"  // sender key
    "0000000000000007"                                                  // u64 nonce 7
    "000000000000000000038d7ea4c68000"                                  // u128 max_fee 10^15
    "000000087472616e73666572"                                          // str "transfer"
    "00000024"                                                          // payload length 36
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"                          //   recipient
    "000000000000000014d1120d7b160000";                                 //   amount 1.5e18
constexpr const char* kFixedSignature =
    "ee21dcfdf0c532c5defd65c9c1656a48f6d0b3296b2a373291bbce9a4771ac21"
    "a2d8023aa595a42338c6eb7d34c65978b1764c46ef8a6393b96ece973c8c6903";
constexpr const char* kFixedEncoding =
    "010000000d7472696275746172792d64657603a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc86"
    "64125531b80000000000000007000000000000000000038d7ea4c68000000000087472616e7366657200000024"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3000000000000000014d1120d7b160000ee21dcfdf0c532c5de"
    "fd65c9c1656a48f6d0b3296b2a373291bbce9a4771ac21a2d8023aa595a42338c6eb7d34c65978b1764c46ef8a"
    "6393b96ece973c8c6903";
constexpr const char* kFixedHash =
    "efbab583ee91c9a15e129e9a45b81e31efd0dec7b2bbb46cea4625bc28a303c8";

TEST(TxVectorTest, FixedTransferEncoding) {
  Transaction tx = FixedTransfer();
  EXPECT_EQ(ToHex(tx.sender), kFixedPublicKey);
  // "tributary/tx/v1" || body
  EXPECT_EQ(ToHex(tx.SigningBytes()), std::string("7472696275746172792f74782f7631") + kFixedBody);
  EXPECT_EQ(ToHex(tx.signature), kFixedSignature);
  EXPECT_EQ(ToHex(tx.Encode()), kFixedEncoding);
  EXPECT_EQ(std::string(kFixedEncoding), std::string(kFixedBody) + kFixedSignature);
  EXPECT_EQ(ToHex(tx.Hash()), kFixedHash);
  EXPECT_TRUE(tx.SignatureValid());
  // And the pinned bytes decode back to the same transaction.
  auto bytes = FromHex(kFixedEncoding);
  ASSERT_TRUE(bytes.ok());
  auto decoded = Transaction::Decode(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameTx(*decoded, tx);
  EXPECT_TRUE(decoded->SignatureValid());
  EXPECT_EQ(ToHex(Sha256(*bytes)), kFixedHash);
}

TEST(TxVectorTest, EncodingLayoutMatchesSpec) {
  // body = u8 version | str chain_id | 32B sender | u64 nonce | u128 max_fee | str kind | blob
  // payload; encoded = body | 64B signature; signing bytes = "tributary/tx/v1" || body.
  Transaction tx = FixedTransfer();
  Writer body;
  body.U8(1)
      .Str(tx.chain_id)
      .Fixed(tx.sender)
      .U64(tx.nonce)
      .U128(tx.max_fee)
      .Str(tx.kind)
      .Blob(tx.payload);
  Bytes want_encoding = body.bytes();
  want_encoding.insert(want_encoding.end(), tx.signature.begin(), tx.signature.end());
  EXPECT_EQ(tx.Encode(), want_encoding);
  Bytes want_signing(AsBytes("tributary/tx/v1").begin(), AsBytes("tributary/tx/v1").end());
  want_signing.insert(want_signing.end(), body.bytes().begin(), body.bytes().end());
  EXPECT_EQ(tx.SigningBytes(), want_signing);
  EXPECT_EQ(tx.Hash(), Sha256(tx.Encode()));
  EXPECT_TRUE(VerifySignature(tx.sender, want_signing, tx.signature));
  // The transfer payload is 20B recipient | u128 amount.
  EXPECT_EQ(tx.payload.size(), 36u);
}

TEST(TxTest, DecodeRoundTrip) {
  Transaction tx = FixedTransfer();
  Bytes enc = tx.Encode();
  auto back = Transaction::Decode(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSameTx(*back, tx);
  EXPECT_TRUE(back->SignatureValid());
  EXPECT_EQ(back->Hash(), tx.Hash());
  EXPECT_EQ(back->sender_address(), Address::FromPublicKey(FixedKey().public_key()));

  // Edge values survive too.
  Transaction edge;
  edge.chain_id = std::string(kMaxChainIdBytes, 'c');
  edge.nonce = ~uint64_t{0};
  edge.max_fee = kAmountMax;
  edge.kind = std::string(kMaxKindBytes, 'k');
  edge.payload = Bytes(1000, 0x5a);
  edge.SignWith(KeyPair::Generate());
  auto e2 = Transaction::Decode(edge.Encode());
  ASSERT_TRUE(e2.ok()) << e2.status().ToString();
  ExpectSameTx(*e2, edge);

  Transaction empty;  // empty strings and payload
  auto e3 = Transaction::Decode(empty.Encode());
  ASSERT_TRUE(e3.ok());
  ExpectSameTx(*e3, empty);
}

TEST(TxTest, EveryTruncationFails) {
  Bytes enc = FixedTransfer().Encode();
  for (size_t n = 0; n < enc.size(); ++n) {
    auto r = Transaction::Decode(ByteView(enc.data(), n));
    ASSERT_FALSE(r.ok()) << "a prefix of " << n << " of " << enc.size() << " bytes decoded";
    EXPECT_EQ(r.status().reason(), "malformed_encoding") << n;
  }
}

TEST(TxTest, TrailingBytesFail) {
  Bytes enc = FixedTransfer().Encode();
  for (size_t extra : {1, 2, 64}) {
    Bytes longer = enc;
    longer.insert(longer.end(), extra, 0);
    auto r = Transaction::Decode(longer);
    ASSERT_FALSE(r.ok()) << extra;
    EXPECT_EQ(r.status().reason(), "malformed_encoding");
  }
}

TEST(TxTest, MalformedFieldsFail) {
  Transaction tx = FixedTransfer();
  {
    Bytes enc = tx.Encode();
    enc[0] = 2;  // unknown version
    auto r = Transaction::Decode(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "malformed_encoding");
  }
  {
    Transaction long_chain = tx;
    long_chain.chain_id = std::string(kMaxChainIdBytes + 1, 'x');
    auto r = Transaction::Decode(long_chain.Encode());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "malformed_encoding");
  }
  {
    Transaction long_kind = tx;
    long_kind.kind = std::string(kMaxKindBytes + 1, 'x');
    auto r = Transaction::Decode(long_kind.Encode());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "malformed_encoding");
  }
  {
    // A payload length prefix pointing past the end.
    Bytes enc = tx.Encode();
    size_t payload_len_at = enc.size() - 64 - tx.payload.size() - 4;
    enc[payload_len_at] = 0x7f;
    auto r = Transaction::Decode(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "malformed_encoding");
  }
  {
    Bytes huge(kMaxTxBytesCeiling + 1, 0);
    auto r = Transaction::Decode(huge);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "oversized");
  }
}

TEST(TxTest, SignatureCoversEveryField) {
  Transaction tx = FixedTransfer();
  ASSERT_TRUE(tx.SignatureValid());
  auto broken = [&](auto mutate) {
    Transaction t = tx;
    mutate(t);
    return !t.SignatureValid();
  };
  EXPECT_TRUE(broken([](Transaction& t) { t.chain_id = "tributary-main"; }));
  EXPECT_TRUE(broken([](Transaction& t) { t.nonce++; }));
  EXPECT_TRUE(broken([](Transaction& t) { t.max_fee++; }));
  EXPECT_TRUE(broken([](Transaction& t) { t.kind = "stake"; }));
  EXPECT_TRUE(broken([](Transaction& t) { t.payload.back() ^= 1; }));
  EXPECT_TRUE(broken([](Transaction& t) { t.sender = KeyPair::Generate().public_key(); }));
  EXPECT_TRUE(broken([](Transaction& t) { t.signature[5] ^= 0x20; }));
  // Flipping any byte of the encoding either breaks decoding or the signature.
  Bytes enc = tx.Encode();
  for (size_t i = 0; i < enc.size(); ++i) {
    Bytes b = enc;
    b[i] ^= 0x01;
    auto r = Transaction::Decode(b);
    if (r.ok()) {
      EXPECT_FALSE(r->SignatureValid()) << "flip at byte " << i << " still verifies";
    }
  }
}

TEST(TxJsonTest, ToJsonFields) {
  Transaction tx = FixedTransfer();
  auto j = tx.ToJson(Kinds());
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["hash"], ToHex(tx.Hash()));
  EXPECT_EQ((*j)["chain_id"], "tributary-dev");
  EXPECT_EQ((*j)["sender"], ToHex(tx.sender));
  EXPECT_EQ((*j)["from"], tx.sender_address().ToString());
  EXPECT_EQ((*j)["nonce"], 7);
  EXPECT_EQ((*j)["max_fee"], "1000000000000000");
  EXPECT_EQ((*j)["kind"], "transfer");
  EXPECT_EQ((*j)["payload"]["to"], FixedRecipient().ToString());
  EXPECT_EQ((*j)["payload"]["amount"], "1500000000000000000");
  EXPECT_EQ((*j)["signature"], ToHex(tx.signature));
  EXPECT_EQ((*j)["raw"], ToHex(tx.Encode()));
}

TEST(TxJsonTest, RoundTripRawForm) {
  Transaction tx = FixedTransfer();
  auto j = tx.ToJson(Kinds());
  ASSERT_TRUE(j.ok());
  auto back = Transaction::FromJson(*j, Kinds());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSameTx(*back, tx);
  // `raw` alone suffices.
  auto raw_only = Transaction::FromJson(json{{"raw", (*j)["raw"]}}, Kinds());
  ASSERT_TRUE(raw_only.ok()) << raw_only.status().ToString();
  ExpectSameTx(*raw_only, tx);
  // Through text, too.
  auto reparsed = Transaction::FromJson(json::parse(j->dump()), Kinds());
  ASSERT_TRUE(reparsed.ok());
  ExpectSameTx(*reparsed, tx);
}

TEST(TxJsonTest, RoundTripFieldForm) {
  for (const char* kind : {"transfer", "stake", "unstake"}) {
    Transaction tx = FixedTransfer();
    tx.kind = kind;
    if (std::string(kind) != "transfer") tx.payload = Writer().U128(Pow10(18) * 42).bytes();
    tx.SignWith(FixedKey());
    auto j = tx.ToJson(Kinds());
    ASSERT_TRUE(j.ok());
    json fields = *j;
    fields.erase("raw");
    fields.erase("hash");
    fields.erase("from");
    auto back = Transaction::FromJson(json::parse(fields.dump()), Kinds());
    ASSERT_TRUE(back.ok()) << kind << ": " << back.status().ToString();
    ExpectSameTx(*back, tx);
    EXPECT_TRUE(back->SignatureValid()) << kind;
    EXPECT_EQ(back->Hash(), tx.Hash()) << kind;
  }
}

TEST(TxJsonTest, FromJsonErrors) {
  Transaction tx = FixedTransfer();
  json j = *tx.ToJson(Kinds());
  json fields = j;
  fields.erase("raw");

  auto reason_of = [&](const json& doc) {
    auto r = Transaction::FromJson(doc, Kinds());
    return r.ok() ? std::string("ok") : r.status().reason();
  };
  EXPECT_EQ(reason_of(json::array()), "bad_json");
  EXPECT_EQ(reason_of(json("raw")), "bad_json");
  EXPECT_EQ(reason_of(json{{"raw", 5}}), "bad_json");
  EXPECT_EQ(reason_of(json{{"raw", "zz"}}), "malformed_encoding");
  EXPECT_EQ(reason_of(json{{"raw", "abc"}}), "malformed_encoding");
  std::string raw = j["raw"];
  EXPECT_EQ(reason_of(json{{"raw", raw.substr(0, raw.size() - 2)}}), "malformed_encoding");
  EXPECT_EQ(reason_of(json{{"raw", raw + "00"}}), "malformed_encoding");
  EXPECT_EQ(reason_of(json{{"raw", std::string(2 * kMaxTxBytesCeiling + 2, '0')}}), "oversized");

  for (const char* field :
       {"chain_id", "sender", "nonce", "max_fee", "kind", "signature", "payload"}) {
    json missing = fields;
    missing.erase(field);
    EXPECT_EQ(reason_of(missing), "bad_json") << field;
  }
  {
    json wrong = fields;
    wrong["nonce"] = "7";
    EXPECT_EQ(reason_of(wrong), "bad_json");
  }
  {
    json wrong = fields;
    wrong["nonce"] = -1;
    EXPECT_EQ(reason_of(wrong), "bad_json");
  }
  {
    json wrong = fields;
    wrong["max_fee"] = 1000;
    EXPECT_EQ(reason_of(wrong), "bad_json");
  }
  {
    json wrong = fields;
    wrong["max_fee"] = "340282366920938463463374607431768211456";
    EXPECT_EQ(reason_of(wrong), "amount_overflow");
  }
  {
    json wrong = fields;
    wrong["kind"] = "mint";
    EXPECT_EQ(reason_of(wrong), "unknown_kind");
  }
  {
    json wrong = fields;
    wrong["payload"]["to"] = "trb0000";
    EXPECT_EQ(reason_of(wrong), "bad_address");
  }
  {
    json wrong = fields;
    wrong["payload"]["amount"] = 5;
    EXPECT_EQ(reason_of(wrong), "bad_payload");
  }
  {
    json wrong = fields;
    wrong["sender"] = "00";
    EXPECT_FALSE(Transaction::FromJson(wrong, Kinds()).ok());
  }
  {
    json wrong = fields;
    wrong["signature"] = "nothex";
    EXPECT_FALSE(Transaction::FromJson(wrong, Kinds()).ok());
  }
  {
    json wrong = fields;
    wrong["chain_id"] = std::string(kMaxChainIdBytes + 1, 'c');
    EXPECT_EQ(reason_of(wrong), "malformed_encoding");
  }
}

TEST(TxJsonTest, UnknownKindPayloadIsHex) {
  Transaction tx = FixedTransfer();
  tx.kind = "future-kind";
  tx.payload = {1, 2, 3};
  tx.SignWith(FixedKey());
  auto j = tx.ToJson(Kinds());
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["payload"], "010203");
  // Its raw form still decodes (kind validity is the executor's business).
  auto back = Transaction::FromJson(*j, Kinds());
  ASSERT_TRUE(back.ok());
  ExpectSameTx(*back, tx);
}

}  // namespace
}  // namespace tributary
