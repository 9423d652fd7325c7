// Keccak-256 as Ethereum uses it: the original Keccak submission's padding (domain byte 0x01),
// not FIPS 202 SHA3-256 (0x06). Rate 136 bytes, capacity 512 bits, 32-byte output.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tributary/base/bytes.h"

namespace tributary::evm {

//! Keccak-256 of `data`.
Hash32 Keccak256(ByteView data);

//! Incremental Keccak-256. A value type (copy it to hash a common prefix once); not thread-safe,
//! one instance per thread.
class Keccak256Hasher {
 public:
  Keccak256Hasher() = default;

  Keccak256Hasher& Update(ByteView data);
  Keccak256Hasher& Update(uint8_t byte) { return Update(ByteView(&byte, 1)); }
  //! The digest of everything passed to Update since construction or the last Finish; leaves the
  //! hasher empty again, ready for the next message.
  Hash32 Finish();

  static constexpr size_t kRate = 136;  //!< bytes absorbed per permutation

 private:
  std::array<uint64_t, 25> state_{};
  size_t fill_ = 0;  // bytes of the current block already absorbed
};

}  // namespace tributary::evm
