#include "tributary/base/encoding.h"

#include <cstring>

namespace tributary {
namespace {
Status Truncated() {
  return Status::InvalidArgument("encoding is truncated", "malformed_encoding");
}
}  // namespace

Writer& Writer::U8(uint8_t v) {
  buf_.push_back(v);
  return *this;
}
Writer& Writer::U32(uint32_t v) {
  for (int i = 3; i >= 0; --i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Writer& Writer::U64(uint64_t v) {
  for (int i = 7; i >= 0; --i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Writer& Writer::U128(Amount v) {
  U64(static_cast<uint64_t>(v >> 64));
  return U64(static_cast<uint64_t>(v));
}
Writer& Writer::Blob(ByteView v) {
  U32(static_cast<uint32_t>(v.size()));
  return Raw(v);
}
Writer& Writer::Raw(ByteView v) {
  buf_.insert(buf_.end(), v.begin(), v.end());
  return *this;
}

Status Reader::Raw(uint8_t* out, size_t n) {
  if (remaining() < n) return Truncated();
  if (n > 0) std::memcpy(out, in_.data() + pos_, n);
  pos_ += n;
  return Status::OK();
}
Status Reader::U8(uint8_t* v) { return Raw(v, 1); }
Status Reader::U32(uint32_t* v) {
  uint8_t b[4];
  TRIB_RETURN_IF_ERROR(Raw(b, 4));
  *v = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
  return Status::OK();
}
Status Reader::U64(uint64_t* v) {
  uint8_t b[8];
  TRIB_RETURN_IF_ERROR(Raw(b, 8));
  uint64_t r = 0;
  for (uint8_t x : b) r = r << 8 | x;
  *v = r;
  return Status::OK();
}
Status Reader::U128(Amount* v) {
  uint64_t hi = 0, lo = 0;
  TRIB_RETURN_IF_ERROR(U64(&hi));
  TRIB_RETURN_IF_ERROR(U64(&lo));
  *v = Amount{hi} << 64 | lo;
  return Status::OK();
}
Status Reader::Blob(Bytes* v, size_t max_len) {
  uint32_t n = 0;
  TRIB_RETURN_IF_ERROR(U32(&n));
  if (n > max_len) {
    return Status::InvalidArgument(
        "field of " + std::to_string(n) + " bytes exceeds its limit of " + std::to_string(max_len),
        "malformed_encoding");
  }
  if (remaining() < n) return Truncated();
  v->assign(in_.begin() + static_cast<ptrdiff_t>(pos_),
            in_.begin() + static_cast<ptrdiff_t>(pos_ + n));
  pos_ += n;
  return Status::OK();
}
Status Reader::Str(std::string* v, size_t max_len) {
  Bytes b;
  TRIB_RETURN_IF_ERROR(Blob(&b, max_len));
  v->assign(b.begin(), b.end());
  return Status::OK();
}
Status Reader::ExpectEnd() const {
  if (remaining() != 0) {
    return Status::InvalidArgument(std::to_string(remaining()) + " trailing bytes after encoding",
                                   "malformed_encoding");
  }
  return Status::OK();
}

}  // namespace tributary
