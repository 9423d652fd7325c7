#include "tributary/evm/keccak.h"

#include <bit>

// Keccak-f[1600] is written here because no library this project uses provides Ethereum's
// Keccak-256: Debian bookworm's OpenSSL is 3.0, whose EVP has only FIPS 202 SHA3 ("KECCAK-256"
// arrived in OpenSSL 3.2), libgcrypt 1.10 and libsodium have no Keccak, and taking Crypto++ or
// Botan (which do) would bring a second general-purpose crypto library in for one function.
// When the project's OpenSSL is 3.2 or newer, EVP_MD_fetch(nullptr, "KECCAK-256", nullptr)
// replaces this file. Checked against published and ethers-generated vectors
// (tests/evm/keccak_test.cpp): empty input, "abc", inputs around the 136-byte block edge, 1 MB.
namespace tributary::evm {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
// rho rotation amounts and pi lane order, walking the lanes in the order pi visits them
// starting from lane 1 (FIPS 202 sections 3.2.2 and 3.2.3).
constexpr int kRho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                          27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                         15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

// The permutation on 25 lanes; lane (x, y) is a[x + 5 * y].
void KeccakF1600(std::array<uint64_t, 25>& a) {
  uint64_t c[5];
  for (uint64_t rc : kRoundConstants) {
    // theta
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      const uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi
    uint64_t carried = a[1];
    for (int i = 0; i < 24; ++i) {
      const int j = kPi[i];
      const uint64_t next = a[j];
      a[j] = std::rotl(carried, kRho[i]);
      carried = next;
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      for (int x = 0; x < 5; ++x) c[x] = a[y + x];
      for (int x = 0; x < 5; ++x) a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
    }
    // iota
    a[0] ^= rc;
  }
}

// XORs byte `pos` of the state (lanes little-endian, as the Keccak reference defines them).
inline void XorByte(std::array<uint64_t, 25>& a, size_t pos, uint8_t b) {
  a[pos / 8] ^= uint64_t{b} << (8 * (pos % 8));
}

}  // namespace

Keccak256Hasher& Keccak256Hasher::Update(ByteView data) {
  size_t i = 0;
  // Whole aligned lanes at a time when the block is lane-aligned; bytes otherwise.
  while (i < data.size()) {
    if (fill_ % 8 == 0 && data.size() - i >= 8 && fill_ + 8 <= kRate) {
      uint64_t lane = 0;
      for (int k = 7; k >= 0; --k) lane = (lane << 8) | data[i + k];
      state_[fill_ / 8] ^= lane;
      fill_ += 8;
      i += 8;
    } else {
      XorByte(state_, fill_++, data[i++]);
    }
    if (fill_ == kRate) {
      KeccakF1600(state_);
      fill_ = 0;
    }
  }
  return *this;
}

Hash32 Keccak256Hasher::Finish() {
  // Keccak's multi-rate padding with Ethereum's domain byte: 0x01 ... 0x80 (one byte: 0x81).
  XorByte(state_, fill_, 0x01);
  XorByte(state_, kRate - 1, 0x80);
  KeccakF1600(state_);
  Hash32 out;
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(state_[i / 8] >> (8 * (i % 8)));
  *this = Keccak256Hasher();
  return out;
}

Hash32 Keccak256(ByteView data) { return Keccak256Hasher().Update(data).Finish(); }

}  // namespace tributary::evm
