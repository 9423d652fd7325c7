// The low-rank update of a few packed rows on raw float32 buffers. Internal to the model library.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "tributary/model/lora.h"

namespace tributary::model {

//! Rows up to which AddLoraRows beats libtorch's `narrow + mm + addmm_` (SmolLM2's q_proj at
//! rank 16: 2.7 against 10.3 us for one row, even at four): a decode step gives each sequence
//! one row, so most adapters in a step have one or two; more rows keep libtorch's GEMM.
inline constexpr int64_t kLoraRowsMax = 3;

//! y[first, first + count) += w.scale · (x[first, first + count) Aᵀ) Bᵀ, in place, when the
//! tensors allow the raw-float path (CPU, row-major, x and y float32, A and B float32 or
//! bfloat16, count ≤ kLoraRowsMax, rank ≤ 256) and no graph is being recorded. Returns false,
//! having changed nothing, when they do not, so the caller takes libtorch's path. Not thread-safe
//! on the same `y`.
bool AddLoraRows(const torch::Tensor& x, const LoraWeights& w, int64_t first, int64_t count,
                 torch::Tensor& y);

}  // namespace tributary::model
