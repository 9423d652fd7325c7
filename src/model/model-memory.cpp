#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "tributary/model/memory.h"

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

namespace tributary::model {
namespace {

// libtorch's own CPU allocator uses posix_memalign, and glibc's aligned allocation does not reuse
// a freed block of nearly the same size: a pass of activations freed and allocated again grows
// the heap by about its largest tensor every time (measured: +96 MiB a pass for tensors of 40-96
// MiB, while plain malloc settles after one pass). This one takes plain malloc blocks and aligns
// inside them, keeping the block's start just before the aligned address.
constexpr size_t kAlignment = 64;  // what libtorch's vectorised kernels expect (c10 gAlignment)

void FreeAligned(void* p) {
  if (p == nullptr) return;
  void* block;
  std::memcpy(&block, static_cast<char*>(p) - sizeof(void*), sizeof(void*));
  std::free(block);
}

// libtorch 1.13 (Debian) declares `allocate(size_t) const`; 2.x declares it non-const and adds
// copy_data. Both signatures are defined, so each version finds the one it calls.
class MallocCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) { return Allocate(n); }
  c10::DataPtr allocate(size_t n) const { return Allocate(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const {
    if (count > 0) std::memcpy(dest, src, count);
  }
  c10::DeleterFnPtr raw_deleter() const override { return &FreeAligned; }

 private:
  static c10::DataPtr Allocate(size_t n) {
    void* p = nullptr;
    if (n > 0) {
      if (n > SIZE_MAX - kAlignment - sizeof(void*)) throw std::bad_alloc();
      void* block = std::malloc(n + kAlignment + sizeof(void*));
      if (block == nullptr) throw std::bad_alloc();
      auto start = reinterpret_cast<uintptr_t>(block) + sizeof(void*);
      p = reinterpret_cast<void*>((start + kAlignment - 1) & ~(uintptr_t{kAlignment} - 1));
      std::memcpy(static_cast<char*>(p) - sizeof(void*), &block, sizeof(void*));
    }
    return {p, p, &FreeAligned, c10::Device(c10::DeviceType::CPU)};
  }
};

}  // namespace

void KeepFreedTensorMemory() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD) && defined(M_ARENA_MAX)
    // Setting either threshold also turns off glibc's dynamic threshold, which would otherwise
    // move it back down to 32 MiB at most.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    // One arena: each thread's own arena would keep its own freed blocks (and cannot hold blocks
    // over 64 MiB at all), so a pass on a new HTTP thread would fault its memory in again.
    mallopt(M_ARENA_MAX, 1);
#endif
    static MallocCpuAllocator allocator;  // lives as long as the process: tensors outlive main
    c10::SetCPUAllocator(&allocator, /*priority=*/1);
  });
}

}  // namespace tributary::model
