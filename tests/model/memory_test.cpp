#include "tributary/model/memory.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

namespace tributary::model {
namespace {

// AddressSanitizer replaces malloc, so glibc's arena statistics say nothing under it.
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
// What the serving worker and the trainer rely on: the memory of one pass is still mapped for the
// next one, so the next pass reuses it instead of faulting fresh pages in. Each test runs in its
// own process under ctest, so the process-wide setting here touches no other test.
TEST(KeepFreedTensorMemory, APassReusesTheMemoryOfThePreviousOne) {
  KeepFreedTensorMemory();
  KeepFreedTensorMemory();  // idempotent
  // A pass: activations of several sizes, larger than glibc's default mmap ceiling (32 MiB),
  // allocated in turn and freed together.
  auto pass = [] {
    std::vector<torch::Tensor> activations;
    for (int64_t mib : {48, 64, 40, 96}) activations.push_back(torch::ones({mib << 18}));
  };
  const struct mallinfo2 before = mallinfo2();
  pass();
  const struct mallinfo2 after_first = mallinfo2();
  EXPECT_EQ(after_first.hblkhd, before.hblkhd) << "a tensor was served by its own mmap";
  EXPECT_GE(after_first.fordblks, size_t{248} << 20)
      << "the freed tensors' memory went back to the kernel";
  pass();
  const struct mallinfo2 after_second = mallinfo2();
  for (int i = 0; i < 3; ++i) pass();
  EXPECT_EQ(mallinfo2().arena, after_second.arena) << "a later pass grew the heap again";
}
#endif

TEST(KeepFreedTensorMemory, TensorsStayAlignedAndUsable) {
  KeepFreedTensorMemory();
  for (int64_t n : {1, 3, 17, 1000, 1 << 20}) {
    auto a = torch::arange(n, torch::kFloat32);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data_ptr()) % 64, 0u) << n;
    EXPECT_DOUBLE_EQ(a.sum().item<double>(), static_cast<double>(n) * (n - 1) / 2) << n;
  }
  auto empty = torch::empty({0});
  EXPECT_EQ(empty.numel(), 0);
}

}  // namespace
}  // namespace tributary::model
