// Hash functions. SHA-256 for everything a verifier outside this code base
// must recompute (Merkle trees per RFC 6962, block and tx ids); BLAKE2b for
// internal ids (addresses).
#pragma once

#include <cstdint>

#include "tributary/base/bytes.h"

namespace tributary {

Hash32 Sha256(ByteView data);

//! Incremental SHA-256. Not thread-safe; one instance per thread.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  Sha256Hasher& Update(ByteView data);
  Sha256Hasher& Update(uint8_t byte) { return Update(ByteView(&byte, 1)); }
  Hash32 Finish();

 private:
  void* ctx_;  // EVP_MD_CTX, owned
};

//! BLAKE2b with a 32-byte output.
Hash32 Blake2b256(ByteView data);

//! The SplitMix64 output function (Steele, Lea, Flood 2014): a bijection on 64-bit values that
//! spreads every input bit over the output. Not cryptographic: for hash tables, seeds and
//! deterministic pseudo-random streams (state += 0x9E3779B97F4A7C15, then Mix64(state)).
constexpr uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace tributary
