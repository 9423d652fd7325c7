#include "tributary/base/keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "tributary/base/hash.h"

namespace tributary {
namespace {

std::array<uint8_t, 32> Seed(std::string_view hex) {
  auto s = FixedFromHex<32>(hex);
  EXPECT_TRUE(s.ok());
  return *s;
}

Signature Sig(std::string_view hex) {
  auto s = FixedFromHex<64>(hex);
  EXPECT_TRUE(s.ok());
  return *s;
}

// RFC 8032 section 7.1, TEST 1: empty message.
TEST(KeysTest, Rfc8032Vector1) {
  KeyPair kp =
      KeyPair::FromSeed(Seed("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(ToHex(kp.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Bytes msg;
  Signature sig = kp.Sign(msg);
  EXPECT_EQ(ToHex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(VerifySignature(kp.public_key(), msg, sig));
  EXPECT_EQ(ToHex(kp.seed()), "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
}

// RFC 8032 section 7.1, TEST 2: one-byte message 0x72.
TEST(KeysTest, Rfc8032Vector2) {
  KeyPair kp =
      KeyPair::FromSeed(Seed("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  EXPECT_EQ(ToHex(kp.public_key()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  Bytes msg = {0x72};
  Signature want =
      Sig("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
          "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_EQ(kp.Sign(msg), want);
  EXPECT_TRUE(VerifySignature(kp.public_key(), msg, want));
  Bytes other = {0x73};
  EXPECT_FALSE(VerifySignature(kp.public_key(), other, want));
}

TEST(KeysTest, SignVerify) {
  KeyPair kp = KeyPair::Generate();
  Bytes msg(AsBytes("pay alice 5").begin(), AsBytes("pay alice 5").end());
  Signature sig = kp.Sign(msg);
  EXPECT_TRUE(VerifySignature(kp.public_key(), msg, sig));
  // Deterministic signatures.
  EXPECT_EQ(kp.Sign(msg), sig);

  // Any flipped bit in the message, signature or key fails.
  Bytes bad_msg = msg;
  bad_msg[0] ^= 1;
  EXPECT_FALSE(VerifySignature(kp.public_key(), bad_msg, sig));
  for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    Signature bad_sig = sig;
    bad_sig[i] ^= 0x01;
    EXPECT_FALSE(VerifySignature(kp.public_key(), msg, bad_sig)) << i;
  }
  KeyPair other = KeyPair::Generate();
  EXPECT_FALSE(VerifySignature(other.public_key(), msg, sig));
  EXPECT_FALSE(VerifySignature(kp.public_key(), msg, Signature{}));
  PublicKey zero{};
  EXPECT_FALSE(VerifySignature(zero, msg, sig));
}

TEST(KeysTest, GenerateIsRandomFromSeedIsDeterministic) {
  KeyPair a = KeyPair::Generate();
  KeyPair b = KeyPair::Generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_NE(a.seed(), b.seed());
  KeyPair a2 = KeyPair::FromSeed(a.seed());
  EXPECT_EQ(a2.public_key(), a.public_key());
  KeyPair copy = a;
  EXPECT_EQ(copy.public_key(), a.public_key());
  EXPECT_EQ(copy.Sign(AsBytes("x")), a.Sign(AsBytes("x")));
}

TEST(AddressTest, DerivationMatchesSpec) {
  KeyPair kp =
      KeyPair::FromSeed(Seed("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  // First 20 bytes of BLAKE2b-256("tributary/address/v1" || public key).
  Bytes buf(AsBytes("tributary/address/v1").begin(), AsBytes("tributary/address/v1").end());
  buf.insert(buf.end(), kp.public_key().begin(), kp.public_key().end());
  Hash32 h = Blake2b256(buf);
  Address a = Address::FromPublicKey(kp.public_key());
  EXPECT_TRUE(std::equal(a.bytes.begin(), a.bytes.end(), h.begin()));
  // Text form: "trb" + 40 hex + first 4 bytes of BLAKE2b-256(address bytes).
  Hash32 sum = Blake2b256(ByteView(a.bytes.data(), a.bytes.size()));
  std::string text = a.ToString();
  EXPECT_EQ(text.size(), 51u);
  EXPECT_EQ(text, "trb" + ToHex(a.bytes) + ToHex(ByteView(sum.data(), 4)));
}

TEST(AddressTest, TextRoundTrip) {
  for (int i = 0; i < 20; ++i) {
    Address a = Address::FromPublicKey(KeyPair::Generate().public_key());
    std::string text = a.ToString();
    ASSERT_EQ(text.size(), 51u);
    EXPECT_EQ(text.substr(0, 3), "trb");
    auto back = Address::Parse(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().ToString();
    EXPECT_EQ(*back, a);
  }
  Address zero;
  auto z = Address::Parse(zero.ToString());
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*z, zero);
}

TEST(AddressTest, ChecksumCatchesEveryOneCharacterTypo) {
  Address a = Address::FromPublicKey(KeyPair::FromSeed(std::array<uint8_t, 32>{7}).public_key());
  std::string text = a.ToString();
  const std::string digits = "0123456789abcdef";
  int tried = 0;
  for (size_t pos = 3; pos < text.size(); ++pos) {
    for (char c : digits) {
      if (c == text[pos]) continue;
      std::string typo = text;
      typo[pos] = c;
      auto r = Address::Parse(typo);
      ASSERT_FALSE(r.ok()) << "typo at " << pos << " accepted: " << typo;
      EXPECT_EQ(r.status().reason(), "bad_address");
      ++tried;
    }
  }
  EXPECT_EQ(tried, 48 * 15);
  // Two adjacent characters swapped.
  for (size_t pos = 3; pos + 1 < text.size(); ++pos) {
    if (text[pos] == text[pos + 1]) continue;
    std::string swapped = text;
    std::swap(swapped[pos], swapped[pos + 1]);
    EXPECT_FALSE(Address::Parse(swapped).ok()) << swapped;
  }
}

TEST(AddressTest, RejectsWrongForms) {
  Address a = Address::FromPublicKey(KeyPair::FromSeed(std::array<uint8_t, 32>{9}).public_key());
  std::string text = a.ToString();
  auto expect_bad = [](const std::string& t) {
    auto r = Address::Parse(t);
    ASSERT_FALSE(r.ok()) << "accepted '" << t << "'";
    EXPECT_EQ(r.status().reason(), "bad_address") << t;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << t;
  };
  expect_bad("");
  expect_bad("trb");
  expect_bad(text.substr(0, 50));           // too short
  expect_bad(text + "0");                   // too long
  expect_bad("trc" + text.substr(3));       // wrong prefix
  expect_bad("TRB" + text.substr(3));       // uppercase prefix
  expect_bad("0x" + text.substr(2));        // hex prefix
  expect_bad("xtrb" + text.substr(3, 47));  // right length, wrong prefix
  std::string upper = text;
  for (size_t i = 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  if (upper != text) expect_bad(upper);  // uppercase hex
  // A single uppercase letter in the body.
  for (size_t i = 3; i < text.size(); ++i) {
    if (text[i] >= 'a' && text[i] <= 'f') {
      std::string one = text;
      one[i] = static_cast<char>(std::toupper(one[i]));
      expect_bad(one);
      break;
    }
  }
  std::string nonhex = text;
  nonhex[10] = 'g';
  expect_bad(nonhex);
  std::string space = text;
  space[50] = ' ';
  expect_bad(space);
  // The bare hex of the 20 bytes, without prefix or checksum.
  expect_bad(ToHex(a.bytes));
}

TEST(AddressTest, Ordering) {
  Address a, b;
  b.bytes[19] = 1;
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  std::set<Address> s = {b, a, b};
  EXPECT_EQ(s.size(), 2u);
}

}  // namespace
}  // namespace tributary
