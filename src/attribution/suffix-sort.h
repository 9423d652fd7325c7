// Internal: the suffix array of a token stream, by libdivsufsort over its byte encoding.
#pragma once

#include <cstdint>
#include <memory>

#include "tributary/attribution/shard_builder.h"
#include "tributary/base/status.h"

namespace tributary::attribution::internal {

//! Packed positions: count entries of `width` bytes (little-endian) at data().
class SortedSuffixes {
 public:
  const uint8_t* data() const { return data_; }
  uint64_t count() const { return count_; }
  uint32_t width() const { return width_; }
  uint64_t bytes() const { return count_ * width_; }

 private:
  friend Result<SortedSuffixes> SortTokenSuffixes(const uint8_t*, uint64_t, uint32_t, uint32_t,
                                                  bool, const ProgressFn&);
  std::unique_ptr<int32_t[]> narrow_;
  std::unique_ptr<int64_t[]> wide_;
  const uint8_t* data_ = nullptr;
  uint64_t count_ = 0;
  uint32_t width_ = 4;
};

//! The suffix array of the stream `text` (tokens tokens of token_bytes bytes, big-endian): the
//! offsets (in tokens) of the suffixes that start at a token other than the separator, in
//! lexicographic order, as position_bytes-byte entries. The 32-bit libdivsufsort sorts when the
//! text has fewer than 2^31 bytes, position_bytes is 4 and !wide; else the 64-bit one.
//! ResourceExhausted when memory runs out.
Result<SortedSuffixes> SortTokenSuffixes(const uint8_t* text, uint64_t tokens, uint32_t token_bytes,
                                         uint32_t position_bytes, bool wide,
                                         const ProgressFn& progress);

}  // namespace tributary::attribution::internal
