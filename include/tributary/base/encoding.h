// Canonical binary encoding: what gets hashed and signed.
//
// Integers are fixed-width big-endian; byte strings and text carry a u32
// big-endian length prefix; there are no optional fields and no padding, so
// one value has exactly one encoding. Reader fails (never crashes) on
// truncated input and callers check that all input was consumed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"

namespace tributary {

class Writer {
 public:
  Writer& U8(uint8_t v);
  Writer& U32(uint32_t v);
  Writer& U64(uint64_t v);
  Writer& U128(Amount v);
  //! Length-prefixed (u32) bytes.
  Writer& Blob(ByteView v);
  Writer& Str(std::string_view v) { return Blob(AsBytes(v)); }
  //! Raw bytes with no prefix (fixed-size fields: keys, hashes).
  Writer& Raw(ByteView v);
  template <size_t N>
  Writer& Fixed(const std::array<uint8_t, N>& a) {
    return Raw(ByteView(a.data(), N));
  }

  const Bytes& bytes() const& { return buf_; }
  Bytes&& bytes() && { return std::move(buf_); }

 private:
  Bytes buf_;
};

//! Reads a canonical encoding. Does not own the input; it must outlive the Reader.
class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}

  Status U8(uint8_t* v);
  Status U32(uint32_t* v);
  Status U64(uint64_t* v);
  Status U128(Amount* v);
  //! Length-prefixed bytes; fails when the length exceeds `max_len` or the input.
  Status Blob(Bytes* v, size_t max_len = SIZE_MAX);
  Status Str(std::string* v, size_t max_len = SIZE_MAX);
  Status Raw(uint8_t* out, size_t n);
  template <size_t N>
  Status Fixed(std::array<uint8_t, N>* a) {
    return Raw(a->data(), N);
  }
  //! Fails unless every byte was consumed.
  Status ExpectEnd() const;

  size_t remaining() const { return in_.size() - pos_; }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

}  // namespace tributary
