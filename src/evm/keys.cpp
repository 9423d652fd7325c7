#include "tributary/evm/keys.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "tributary/evm/keccak.h"

namespace tributary::evm {
namespace {

// One context for the process: created and randomized (blinding against side channels) once,
// then only read, which libsecp256k1 allows from any number of threads.
const secp256k1_context* Context() {
  static const secp256k1_context* ctx = [] {
    if (sodium_init() < 0) std::abort();
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    std::array<uint8_t, 32> seed;
    randombytes_buf(seed.data(), seed.size());
    if (!secp256k1_context_randomize(c, seed.data())) std::abort();
    sodium_memzero(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

PublicKey Serialize(const secp256k1_pubkey& key) {
  PublicKey out;
  size_t len = out.uncompressed.size();
  secp256k1_ec_pubkey_serialize(Context(), out.uncompressed.data(), &len, &key,
                                SECP256K1_EC_UNCOMPRESSED);
  return out;
}

// Parses r || s into the library's form and checks the values: r, s in [1, n), s <= n/2.
Result<secp256k1_ecdsa_signature> ParseChecked(const Signature& sig) {
  std::array<uint8_t, 64> compact;
  std::copy(sig.r.begin(), sig.r.end(), compact.begin());
  std::copy(sig.s.begin(), sig.s.end(), compact.begin() + 32);
  secp256k1_ecdsa_signature parsed;
  const Hash32 zero{};
  if (sig.r == zero || sig.s == zero ||
      !secp256k1_ecdsa_signature_parse_compact(Context(), &parsed, compact.data())) {
    return Status::InvalidArgument("signature r or s is zero or not below the curve order",
                                   "bad_signature");
  }
  // normalize returns 1 when it had to replace a high s: such a signature is malleable and
  // Ethereum (EIP-2) does not accept it.
  secp256k1_ecdsa_signature normalized;
  if (secp256k1_ecdsa_signature_normalize(Context(), &normalized, &parsed)) {
    return Status::InvalidArgument("signature s is above n/2 (EIP-2 requires low s)", "high_s");
  }
  return parsed;
}

}  // namespace

std::array<uint8_t, 33> PublicKey::Compressed() const {
  std::array<uint8_t, 33> out;
  out[0] = (uncompressed[64] & 1) ? 0x03 : 0x02;
  std::copy(uncompressed.begin() + 1, uncompressed.begin() + 33, out.begin() + 1);
  return out;
}

Address PublicKey::ToAddress() const {
  const Hash32 h = Keccak256(ByteView(uncompressed.data() + 1, 64));
  Address a;
  std::copy(h.begin() + 12, h.end(), a.bytes.begin());
  return a;
}

Result<PublicKey> PublicKey::Parse(ByteView bytes) {
  secp256k1_pubkey key;
  if ((bytes.size() != 33 && bytes.size() != 65) ||
      !secp256k1_ec_pubkey_parse(Context(), &key, bytes.data(), bytes.size())) {
    return Status::InvalidArgument(
        "not a secp256k1 public key (33 or 65 bytes of a point on the curve)", "bad_public_key");
  }
  return Serialize(key);
}

std::array<uint8_t, 65> Signature::ToBytes() const {
  std::array<uint8_t, 65> out;
  std::copy(r.begin(), r.end(), out.begin());
  std::copy(s.begin(), s.end(), out.begin() + 32);
  out[64] = static_cast<uint8_t>(27 + y_parity);
  return out;
}

Result<Signature> Signature::FromBytes(ByteView bytes) {
  if (bytes.size() != 65) {
    return Status::InvalidArgument(
        "a signature is 65 bytes (r, s, v), got " + std::to_string(bytes.size()), "bad_signature");
  }
  const uint8_t v = bytes[64];
  if (v != 0 && v != 1 && v != 27 && v != 28) {
    return Status::InvalidArgument("signature v must be 0, 1, 27 or 28, got " + std::to_string(v),
                                   "bad_signature");
  }
  Signature sig;
  std::copy(bytes.begin(), bytes.begin() + 32, sig.r.begin());
  std::copy(bytes.begin() + 32, bytes.begin() + 64, sig.s.begin());
  sig.y_parity = v >= 27 ? v - 27 : v;
  return sig;
}

PrivateKey PrivateKey::Generate() {
  Context();  // initialises libsodium too
  std::array<uint8_t, 32> bytes;
  for (;;) {
    randombytes_buf(bytes.data(), bytes.size());
    auto key = FromBytes(bytes);
    if (key.ok()) {
      sodium_memzero(bytes.data(), bytes.size());
      return std::move(key).value();
    }
  }
}

Result<PrivateKey> PrivateKey::FromBytes(ByteView bytes) {
  if (bytes.size() != 32 || !secp256k1_ec_seckey_verify(Context(), bytes.data())) {
    return Status::InvalidArgument(
        "a secp256k1 private key is 32 bytes, not zero and below the curve order",
        "bad_private_key");
  }
  PrivateKey key;
  std::copy(bytes.begin(), bytes.end(), key.key_.begin());
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_create(Context(), &pub, key.key_.data())) {
    return Status::Internal("secp256k1_ec_pubkey_create failed on a verified key");
  }
  key.public_key_ = Serialize(pub);
  key.address_ = key.public_key_.ToAddress();
  return key;
}

Result<PrivateKey> PrivateKey::FromHex(std::string_view hex) {
  auto bytes = tributary::FromHex(hex);
  if (!bytes.ok()) {
    return Status::InvalidArgument("private key: " + bytes.status().message(), "bad_private_key");
  }
  auto key = FromBytes(*bytes);
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

PrivateKey::~PrivateKey() { sodium_memzero(key_.data(), key_.size()); }

Signature PrivateKey::Sign(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature rsig;
  // A null nonce function is RFC 6979; the result always has a low s.
  if (!secp256k1_ecdsa_sign_recoverable(Context(), &rsig, digest.data(), key_.data(), nullptr,
                                        nullptr)) {
    std::abort();  // only for an invalid key, which FromBytes rules out
  }
  std::array<uint8_t, 64> compact;
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(Context(), compact.data(), &recid, &rsig);
  Signature sig;
  std::copy(compact.begin(), compact.begin() + 32, sig.r.begin());
  std::copy(compact.begin() + 32, compact.end(), sig.s.begin());
  sig.y_parity = static_cast<uint8_t>(recid);
  return sig;
}

Status CheckSignatureValues(const Signature& signature) {
  if (signature.y_parity > 1) {
    return Status::InvalidArgument("signature y parity must be 0 or 1", "bad_signature");
  }
  return ParseChecked(signature).status();
}

Result<PublicKey> RecoverPublicKey(const Hash32& digest, const Signature& signature) {
  TRIB_RETURN_IF_ERROR(CheckSignatureValues(signature));
  std::array<uint8_t, 64> compact;
  std::copy(signature.r.begin(), signature.r.end(), compact.begin());
  std::copy(signature.s.begin(), signature.s.end(), compact.begin() + 32);
  secp256k1_ecdsa_recoverable_signature rsig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(Context(), &rsig, compact.data(),
                                                           signature.y_parity)) {
    return Status::InvalidArgument("signature r or s out of range", "bad_signature");
  }
  secp256k1_pubkey key;
  if (!secp256k1_ecdsa_recover(Context(), &key, &rsig, digest.data())) {
    return Status::InvalidArgument("no public key recovers from this signature and digest",
                                   "unrecoverable");
  }
  return Serialize(key);
}

Result<Address> RecoverAddress(const Hash32& digest, const Signature& signature) {
  TRIB_ASSIGN_OR_RETURN(PublicKey key, RecoverPublicKey(digest, signature));
  return key.ToAddress();
}

Status VerifySignature(const PublicKey& key, const Hash32& digest, const Signature& signature) {
  TRIB_ASSIGN_OR_RETURN(secp256k1_ecdsa_signature sig, ParseChecked(signature));
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_parse(Context(), &pub, key.uncompressed.data(),
                                 key.uncompressed.size())) {
    return Status::InvalidArgument("not a secp256k1 public key", "bad_public_key");
  }
  if (!secp256k1_ecdsa_verify(Context(), &sig, digest.data(), &pub)) {
    return Status::InvalidArgument("signature does not match the key and digest", "bad_signature");
  }
  return Status::OK();
}

Hash32 PersonalMessageHash(ByteView message) {
  const std::string prefix =
      "\x19"
      "Ethereum Signed Message:\n" +
      std::to_string(message.size());
  return Keccak256Hasher().Update(AsBytes(prefix)).Update(message).Finish();
}

}  // namespace tributary::evm
