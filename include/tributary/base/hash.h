// Hash functions. SHA-256 for everything a verifier outside this code base
// must recompute (Merkle trees per RFC 6962, block and tx ids); BLAKE2b for
// internal ids (addresses).
#pragma once

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

}  // namespace tributary
