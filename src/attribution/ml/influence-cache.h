// Internal: the influence cache file "<sketches>.influence" that InfluenceIndex keeps beside a
// sketch file, so the O(count · dim^2) pass over the matrix runs once per file and damping.
//
// File (little-endian; every section 8-byte aligned):
//   0    8   magic "TRBINFL1"
//   8    4   u32 format version (1)
//   12   4   u32 flags: bit 0 = the trak section is present; bit 1 = its factor is the dual one;
//                bit 2 = λ was scaled by min(count, dim) (without it, a dual factor is stale)
//   16   8   u64 size of the sketch file in bytes   } the cache is reused while these two
//   24   8   i64 its modification time, ns         } still match the file on disk
//   32   8   u64 count (sketches)
//   40   4   u32 dim
//   44   4   u32 reserved (0)
//   48   8   f64 trak: the damping the section was computed with (0 without it)
//   56   8   f64 trak: λ = damping · trace(G^T G) / min(count, dim) (0 without it)
//   64   64  SHA-256 of the whole sketch file, lowercase hex ASCII
//   128      count f64: |g_i| (Euclidean norms, for tracin)
//            trak only: count f64: |g_i|_M = sqrt(g_i^T (G^T G + λI)^-1 g_i)
//            trak only: dim · dim f64: L, the lower Cholesky factor of G^T G + λI, row-major;
//              with bit 1 (fewer sketches than dims) count · count f64, that of G G^T + λI
//   end-32   32  SHA-256 of every byte before it (a torn or corrupted file is ignored)
// One trak section per file: opening with another damping recomputes and replaces it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::attribution::internal {

struct InfluenceCache {
  uint64_t file_size = 0;
  int64_t mtime_ns = 0;
  uint64_t count = 0;
  uint32_t dim = 0;
  std::string sha256;         // hex
  std::vector<double> norms;  // |g_i|
  bool has_trak = false;
  bool dual = false;         // factor is count x count, of G G^T + λI
  bool rank_scaled = false;  // λ over min(count, dim), not dim (they differ only when dual)
  double damping = 0, lambda = 0;
  std::vector<double> trak_norms;  // |g_i|_M
  std::vector<double> factor;      // L, dim x dim (dual: count x count) row-major
};

//! NotFound when absent; Corruption for anything that is not a whole, intact cache file.
Result<InfluenceCache> ReadInfluenceCache(const std::filesystem::path& path);
//! Writes atomically: a temporary file beside `path`, fsynced, then renamed over it.
Status WriteInfluenceCache(const std::filesystem::path& path, const InfluenceCache& cache);

}  // namespace tributary::attribution::internal
