// The token suffix array: libdivsufsort sorts all byte suffixes of the fixed-width big-endian
// encoding (infini-gram's approach), then the suffixes at token boundaries that do not start
// with a separator are compacted in place into packed token offsets. Sorting the W - 1
// unaligned suffixes per token is wasted work, but no maintained integer-alphabet suffix sorter
// is packaged, and libdivsufsort is fast enough (see docs/benchmarks.md).
#include "suffix-sort.h"

#include <divsufsort.h>
#include <divsufsort64.h>

#include <new>
#include <string>

#include "shard-format.h"

namespace tributary::attribution::internal {
namespace {

constexpr uint64_t kProgressStep = uint64_t{1} << 24;

bool IsSeparator(const uint8_t* p, uint32_t width) {
  for (uint32_t i = 0; i < width; ++i) {
    if (p[i] != 0xFF) return false;
  }
  return true;
}

// Keeps sa[i] for i < n when it is a token boundary not at a separator, writing entry j (j <= i)
// as `pw` bytes at out + j * pw: out may alias sa, since a write never reaches an unread entry
// (j * pw + pw <= i * sizeof(T) + pw <= (i + 1) * sizeof(T) when pw <= sizeof(T)).
template <typename T>
uint64_t Compact(const T* sa, uint64_t n, const uint8_t* text, uint32_t width, uint32_t pw,
                 uint8_t* out, const ProgressFn& progress) {
  uint64_t j = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const auto pos = static_cast<uint64_t>(sa[i]);
    if (pos % width != 0 || IsSeparator(text + pos, width)) continue;
    StorePosition(out + j * pw, pw, pos / width);
    ++j;
    if (progress && (i + 1) % kProgressStep == 0) progress({"filter", i + 1, n});
  }
  if (progress) progress({"filter", n, n});
  return j;
}

}  // namespace

Result<SortedSuffixes> SortTokenSuffixes(const uint8_t* text, uint64_t tokens, uint32_t token_bytes,
                                         uint32_t position_bytes, bool wide,
                                         const ProgressFn& progress) {
  SortedSuffixes out;
  out.width_ = position_bytes;
  const uint64_t n = tokens * token_bytes;
  if (n == 0) return out;
  const bool narrow = !wide && position_bytes == 4 && n < (uint64_t{1} << 31);
  try {
    if (progress) progress({"sort", 0, 1});
    if (narrow) {
      out.narrow_.reset(new int32_t[n]);
      if (divsufsort(text, out.narrow_.get(), static_cast<saidx_t>(n)) != 0) {
        return Status::ResourceExhausted("divsufsort failed on " + std::to_string(n) + " bytes");
      }
      if (progress) progress({"sort", 1, 1});
      auto* buf = reinterpret_cast<uint8_t*>(out.narrow_.get());
      out.count_ = Compact(out.narrow_.get(), n, text, token_bytes, position_bytes, buf, progress);
      out.data_ = buf;
    } else {
      out.wide_.reset(new int64_t[n]);
      if (divsufsort64(text, out.wide_.get(), static_cast<saidx64_t>(n)) != 0) {
        return Status::ResourceExhausted("divsufsort64 failed on " + std::to_string(n) + " bytes");
      }
      if (progress) progress({"sort", 1, 1});
      auto* buf = reinterpret_cast<uint8_t*>(out.wide_.get());
      out.count_ = Compact(out.wide_.get(), n, text, token_bytes, position_bytes, buf, progress);
      out.data_ = buf;
    }
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory sorting " + std::to_string(n) + " bytes");
  }
  return out;
}

}  // namespace tributary::attribution::internal
