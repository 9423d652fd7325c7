// Internal: the shard file's constants and little/big-endian helpers (the format is documented
// in include/tributary/attribution/shard_reader.h).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

namespace tributary::attribution::internal {

static_assert(std::endian::native == std::endian::little, "positions are read little-endian");

inline constexpr char kMagic[8] = {'T', 'R', 'B', 'S', 'P', 'A', 'N', '1'};
//! Version 1 has no sample table; version 2 adds it (section 7) and a longer header.
inline constexpr uint32_t kFormatVersion1 = 1;
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint64_t kSectionTableOffset = 64;
inline constexpr uint64_t kSectionEntryBytes = 24;
//! Where version 2 keeps M, the tokens of each sample.
inline constexpr uint64_t kSampleTokensOffset = 256;
//! Largest sample interval and sample length a reader accepts (and a builder writes).
inline constexpr uint32_t kMaxSampleInterval = uint32_t{1} << 20;
inline constexpr uint32_t kMaxSampleTokens = 64;
inline constexpr uint64_t kRowStartSampleInterval = 64;
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
  kSamples,
  kSectionCount
};

//! The header's layout in a format version (1 or 2).
struct HeaderLayout {
  uint64_t bytes;       //!< the header's length; the first section starts there
  uint64_t crc_offset;  //!< the header CRC covers [0, crc_offset)
  int sections;         //!< section table entries
};
inline constexpr uint64_t kHeaderBytesMax = 320;
inline HeaderLayout LayoutOf(uint32_t version) {
  if (version == kFormatVersion1) return {256, 232, kSamples};
  return {320, 260, kSectionCount};
}

//! A view of a shard's sample table: `count` records of `tokens` W-byte tokens, record j the
//! start of suffix j * interval. count is 0 when the shard has none.
struct SampleTable {
  const uint8_t* bytes = nullptr;
  uint64_t count = 0;
  uint64_t interval = 0;
  uint32_t tokens = 0;
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

//! zlib's CRC-32 of n bytes, continuing from crc (0 to start).
inline uint32_t Crc(uint32_t crc, const uint8_t* p, uint64_t n) {
  while (n > 0) {
    const auto chunk = static_cast<uInt>(std::min<uint64_t>(n, uint64_t{1} << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
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
