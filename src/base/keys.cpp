#include "tributary/base/keys.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "tributary/base/hash.h"

namespace tributary {
namespace {

// libsodium must be initialised once before use; sodium_init is idempotent and thread-safe.
void EnsureSodium() {
  static const bool ok = [] { return sodium_init() >= 0; }();
  if (!ok) std::abort();
}

constexpr std::string_view kAddressPrefix = "trb";
constexpr std::string_view kAddressDomain = "tributary/address/v1";

std::array<uint8_t, 4> Checksum(const std::array<uint8_t, 20>& bytes) {
  Hash32 h = Blake2b256(ByteView(bytes.data(), bytes.size()));
  return {h[0], h[1], h[2], h[3]};
}

}  // namespace

KeyPair KeyPair::Generate() {
  EnsureSodium();
  std::array<uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  KeyPair kp = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return kp;
}

KeyPair KeyPair::FromSeed(const std::array<uint8_t, 32>& seed) {
  EnsureSodium();
  KeyPair kp;
  kp.seed_ = seed;
  crypto_sign_seed_keypair(kp.public_key_.data(), kp.secret_.data(), seed.data());
  return kp;
}

KeyPair::~KeyPair() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_.data(), secret_.size());
}

Signature KeyPair::Sign(ByteView message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

bool VerifySignature(const PublicKey& key, ByteView message, const Signature& signature) {
  EnsureSodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

Address Address::FromPublicKey(const PublicKey& key) {
  Bytes buf(kAddressDomain.begin(), kAddressDomain.end());
  buf.insert(buf.end(), key.begin(), key.end());
  Hash32 h = Blake2b256(buf);
  Address a;
  std::memcpy(a.bytes.data(), h.data(), a.bytes.size());
  return a;
}

std::string Address::ToString() const {
  auto sum = Checksum(bytes);
  return std::string(kAddressPrefix) + ToHex(bytes) + ToHex(sum);
}

Result<Address> Address::Parse(std::string_view text) {
  constexpr size_t kLen = 3 + 40 + 8;
  if (text.size() != kLen || text.substr(0, 3) != kAddressPrefix) {
    return Status::InvalidArgument("address must be 'trb' followed by 48 hex digits",
                                   "bad_address");
  }
  for (char c : text.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Status::InvalidArgument("address must use lowercase hex digits", "bad_address");
    }
  }
  auto body = FixedFromHex<20>(text.substr(3, 40));
  auto sum = FixedFromHex<4>(text.substr(43, 8));
  if (!body.ok() || !sum.ok()) return Status::InvalidArgument("address is not hex", "bad_address");
  Address a;
  a.bytes = *body;
  if (Checksum(a.bytes) != *sum) {
    return Status::InvalidArgument("address checksum does not match (mistyped?)", "bad_address");
  }
  return a;
}

}  // namespace tributary
