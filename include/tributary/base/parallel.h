// ParallelFor: a loop over [0, n) split into contiguous ranges run on short-lived threads.
//
// For CPU-bound batches that each take milliseconds or more (signature checks, MinHash signing,
// token sampling); threads are started per call, so a call costs tens of microseconds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace tributary {

//! Calls `body(begin, end)` for contiguous ranges covering [0, n): at most `threads` ranges (0:
//! one per hardware thread), each of at least `min_per_range` items unless n is smaller, the first
//! on the calling thread. Returns when all are done. `body` must not throw (an exception on a
//! worker thread ends the process) and must be safe to run concurrently on disjoint ranges.
template <typename Body>
void ParallelFor(size_t n, size_t min_per_range, Body&& body, unsigned threads = 0) {
  if (n == 0) return;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const size_t ranges =
      std::min<size_t>(threads, std::max<size_t>(1, n / std::max<size_t>(1, min_per_range)));
  if (ranges <= 1) {
    body(size_t{0}, n);
    return;
  }
  const size_t per = (n + ranges - 1) / ranges;
  std::vector<std::thread> pool;
  pool.reserve(ranges - 1);
  for (size_t r = 1; r < ranges; ++r) {
    const size_t begin = std::min(n, r * per), end = std::min(n, begin + per);
    if (begin < end) pool.emplace_back([&body, begin, end] { body(begin, end); });
  }
  body(size_t{0}, std::min(n, per));
  for (auto& t : pool) t.join();
}

}  // namespace tributary
