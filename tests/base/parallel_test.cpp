#include "tributary/base/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace tributary {
namespace {

TEST(ParallelForTest, CoversEveryIndexOnceInContiguousRanges) {
  for (size_t n : {0u, 1u, 5u, 63u, 64u, 65u, 1000u, 4097u}) {
    for (unsigned threads : {0u, 1u, 2u, 3u, 8u}) {
      for (size_t min_per_range : {1u, 16u, 64u}) {
        std::vector<std::atomic<int>> hits(n);
        std::mutex mu;
        std::set<std::pair<size_t, size_t>> ranges;
        ParallelFor(
            n, min_per_range,
            [&](size_t begin, size_t end) {
              {
                std::lock_guard<std::mutex> lock(mu);
                ranges.emplace(begin, end);
              }
              for (size_t i = begin; i < end; ++i) hits[i]++;
            },
            threads);
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << n << " " << i;
        if (n == 0) EXPECT_TRUE(ranges.empty());
        const unsigned cap =
            threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
        EXPECT_LE(ranges.size(), cap);
        for (const auto& [begin, end] : ranges) EXPECT_LT(begin, end);
        // Split only when every range but the last can have min_per_range items.
        if (ranges.size() > 1) EXPECT_GE(ranges.begin()->second, min_per_range);
      }
    }
  }
}

TEST(ParallelForTest, SmallInputsStayOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  bool same = false;
  ParallelFor(10, 64, [&](size_t, size_t) { same = std::this_thread::get_id() == caller; }, 8);
  EXPECT_TRUE(same);
}

TEST(ParallelForTest, LargeInputsUseSeveralThreads) {
  std::mutex mu;
  std::set<std::thread::id> seen;
  ParallelFor(
      1000, 10,
      [&](size_t, size_t) {
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(std::this_thread::get_id());
      },
      4);
  EXPECT_EQ(seen.size(), 4u);
}

}  // namespace
}  // namespace tributary
