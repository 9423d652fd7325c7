// How the process's allocator treats tensor memory.
//
// A forward pass with gradients over a few hundred tokens allocates and frees about a gigabyte of
// activations (one attribution query, one training step). glibc serves blocks over its mmap
// threshold (128 KiB, rising to at most 32 MiB) with fresh mmaps and returns freed memory at the
// top of the heap to the kernel, so every such pass faults all of its memory in again. On a
// virtual machine a page fault is expensive: measured on the project's two-core VMs, a 293-token
// attribution query took 4-10 s in the serving worker instead of 1.4-2 s, most of it system time
// (docs/benchmarks.md, payable inference). Keeping freed memory for reuse removes that cost.
#pragma once

namespace tributary::model {

//! Process-wide, once, before the first large tensor: allocations below 1 GiB come from one heap
//! shared by all threads, up to 1 GiB of freed memory stays mapped for reuse, and libtorch's CPU
//! tensors are allocated with plain malloc (aligned to 64 bytes inside the block) rather than
//! posix_memalign, whose blocks glibc does not reuse for the next pass's tensors of about the
//! same size. Repeated passes then reuse pages instead of faulting them in. The price is a
//! resident size that stays at its peak (the serving worker and the trainer reach it on every
//! request or step anyway). Thread-safe. The allocator object lives for the whole process.
void KeepFreedTensorMemory();

}  // namespace tributary::model
