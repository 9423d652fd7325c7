// Internal: the shard file's constants and little/big-endian helpers (the format is documented
// in include/tributary/attribution/span_index.h).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace tributary::attribution::internal {

static_assert(std::endian::native == std::endian::little, "positions are read little-endian");

inline constexpr char kMagic[8] = {'T', 'R', 'B', 'S', 'P', 'A', 'N', '1'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint64_t kHeaderBytes = 256;
inline constexpr uint64_t kSectionTableOffset = 64;
inline constexpr uint64_t kSectionEntryBytes = 24;
inline constexpr uint64_t kHeaderCrcOffset = 232;
inline constexpr uint64_t kAlign = 64;
inline constexpr uint64_t kContributorBytes = 64;
inline constexpr uint64_t kContributionBytes = 40;
inline constexpr uint64_t kRowBytes = 36;

enum SectionId : int {
  kMeta = 0,
  kContributors,
  kContributions,
  kRows,
  kRowStarts,
  kText,
  kSuffixArray,
  kSectionCount
};

inline uint64_t AlignUp(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

inline void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void PutU64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t GetU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
inline uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

//! The separator for a token width: the largest W-byte value.
inline uint32_t SeparatorFor(uint32_t width) {
  return width >= 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1;
}

//! A big-endian token of W bytes.
template <uint32_t W>
inline uint32_t LoadToken(const uint8_t* p) {
  if constexpr (W == 2) {
    return uint32_t{p[0]} << 8 | p[1];
  } else if constexpr (W == 3) {
    return uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
  } else {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  }
}
inline void StoreToken(uint8_t* p, uint32_t width, uint32_t v) {
  for (uint32_t i = 0; i < width; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (width - 1 - i)));
}

//! A little-endian position of P bytes (the build machine is little-endian: x86-64).
template <uint32_t P>
inline uint64_t LoadPosition(const uint8_t* p) {
  uint32_t lo;
  std::memcpy(&lo, p, 4);
  if constexpr (P == 4) {
    return lo;
  } else {
    return uint64_t{lo} | uint64_t{p[4]} << 32;
  }
}
inline void StorePosition(uint8_t* p, uint32_t width, uint64_t v) {
  for (uint32_t i = 0; i < width; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace tributary::attribution::internal
