// Attribution sketches: a random projection of each training example's loss gradient with
// respect to the adapter's LoRA factors, kept next to the adapter so Proof of Attribution can
// score outputs against the training data (TracIn-style inner products and their variants).
//
// Projection. For a targeted module with factors A [r, in], B [out, r] and scale s, the
// gradient of an example's loss L (its mean token cross-entropy over the loss positions) is
//   dL/dA = s · Σ_t (Bᵀ g_t) x_tᵀ      dL/dB = s · Σ_t g_t (A x_t)ᵀ
// over the example's tokens t, with x_t the module's input and g_t = dL/dy_t its output
// gradient. Both are sums of outer products, so each side is projected on its own and the full
// gradient is never formed (LoGra-style Kronecker projection):
//   S_A = (dL/dA) R_inᵀ = s · Σ_t (Bᵀ g_t)(R_in x_t)ᵀ   [r, k]
//   S_B = R_out (dL/dB) = s · Σ_t (R_out g_t)(A x_t)ᵀ   [k, r]
// R_in [k, in] and R_out [k, out] are Gaussian with variance 1/k, drawn per module from a
// generator seeded with Mix(seed, layer, module index). k = max(1, floor(dim / (2 Σ r))), so a
// deep adapter whose 2 Σ r exceeds the requested dim gets k = 1 and a longer sketch. The sketch is
// the concatenation, over modules in (layer, module) order, of S_A then S_B flattened row-major:
// its length is 2 k Σ r (close to the requested dim).
//
// Base checkpoint (TracIn over two checkpoints). The adapter's final weights fit its training
// rows: their loss, and with it their gradient, is near zero, so an output asked in other words
// than the row it learned from lines up with that row's final gradient no better than with any
// other. At the base model (the adapter's start, B = 0) the same rows are still unknown, their
// gradients large and specific. With options.base_dim > 0 each sketch gets a second segment,
// after the first: per targeted module, the gradient of the loss with respect to the module's
// base weight W [out, in], evaluated at the base model without the adapter, projected on both
// sides (LoGra):
//   S_W = Q_out (dL/dW) Q_inᵀ = Σ_t (Q_out g⁰_t)(Q_in x⁰_t)ᵀ   [kb, kb]
// Q_out [kb, out] and Q_in [kb, in] are Gaussian (variance 1/kb) from Mix(seed ^ salt, layer,
// module index); kb = max(1, floor(sqrt(base_dim / modules))). The segment is n_modules · kb²
// long; an inner product over the whole sketch is TracIn's sum over the two checkpoints. The
// description's "base_checkpoint" records kb and the length; files without it have one segment.
//
// File (sketches.bin, little-endian, memory-mappable):
//   0   8   magic "TRBSKCH1"
//   8   4   u32 format version (1)
//   12  4   u32 dtype: 0 = float32, 1 = float16
//   16  4   u32 dim (floats per sketch)
//   20  4   u32 reserved (0)
//   24  8   u64 count (sketches)
//   32  8   u64 projection seed
//   40  8   u64 offset of the JSON description (UTF-8; modules, k, seed, loss definition)
//   48  8   u64 its length
//   56  8   u64 offset of the key table: count records of 128 bytes
//               row id (32 raw bytes) | contribution id (32 raw bytes) | contributor (64 bytes
//               ASCII address, zero-padded)
//   64  8   u64 offset of the matrix: count × dim values, row-major, 64-byte aligned
//   72  56  reserved (0)
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tributary/factory/data.h"

namespace tributary::model {
class LlamaModel;
class LoraAdapter;
}  // namespace tributary::model

namespace tributary::factory {

struct SketchOptions {
  int64_t dim = 1024;  //!< requested length (the actual one is 2 k Σ r, at least 2 Σ r)
  uint64_t seed = 0x534B45544348ULL;
  //! Requested length of the base-checkpoint segment (0: none); the actual one is
  //! modules · kb².
  int64_t base_dim = 0;
  bool half = false;  //!< store float16 (halves the file; scores lose ~3 digits)
  int64_t batch_size = 8;
};

//! The per-module projection an adapter's sketches use.
class SketchProjection {
 public:
  //! Fails when the adapter targets nothing, dim < 1 or base_dim < 0.
  static Result<SketchProjection> Create(const model::LoraAdapter& adapter,
                                         const SketchOptions& options);
  int64_t dim() const { return dim_; }  //!< both segments
  int64_t k() const { return k_; }
  int64_t base_k() const { return base_k_; }      //!< 0 without a base segment
  int64_t base_dim() const { return base_dim_; }  //!< the base segment's length (0: none)
  uint64_t seed() const { return seed_; }
  nlohmann::json ToJson() const;

  //! Sketches of `examples` (one row each, [n, dim] float32 on the CPU), computed with the
  //! adapter's current weights. Deterministic.
  Result<torch::Tensor> Compute(const model::LlamaModel& base, const model::LoraAdapter& adapter,
                                const std::vector<const Example*>& examples,
                                int64_t batch_size = 8) const;
  //! The same projection applied to full gradients (by PEFT key, as NamedParameters names
  //! them): the slow reference Compute must agree with. [dim] float32.
  Result<torch::Tensor> ProjectGradients(
      const std::vector<std::pair<std::string, torch::Tensor>>& named_grads) const;
  //! The base segment applied to full base-weight gradients dL/dW [out, in] by (layer, module),
  //! taken at the base model: the slow reference for Compute's base segment. [base_dim] float32.
  Result<torch::Tensor> ProjectBaseGradients(
      const std::map<std::pair<int64_t, std::string>, torch::Tensor>& grads) const;

 private:
  struct Module {
    int64_t layer;
    std::string module;
    int64_t r, in, out;
    double scale;
    torch::Tensor r_in, r_out;  // [k, in], [k, out]
    torch::Tensor q_in, q_out;  // [kb, in], [kb, out]; undefined without a base segment
  };
  std::vector<Module> modules_;
  int64_t dim_ = 0, k_ = 0, base_k_ = 0, base_dim_ = 0;
  uint64_t seed_ = 0;
};

struct SketchKey {
  std::string row_id, contribution, contributor;
};

//! Writes `path` (sketches.bin) for `examples` (the training ones) atomically;
//! `progress(done, total)`. When `should_stop` returns true (polled every 64 examples) nothing is
//! written and the status has reason "interrupted".
Status WriteSketches(const std::filesystem::path& path, const model::LlamaModel& base,
                     const model::LoraAdapter& adapter, const std::vector<const Example*>& examples,
                     const SketchOptions& options,
                     const std::function<void(int64_t, int64_t)>& progress = {},
                     const std::function<bool()>& should_stop = {});

//! A memory-mapped sketch file. Immutable; safe to share between threads.
class SketchFile {
 public:
  static Result<std::unique_ptr<SketchFile>> Open(const std::filesystem::path& path);
  ~SketchFile();
  SketchFile(const SketchFile&) = delete;
  SketchFile& operator=(const SketchFile&) = delete;

  int64_t count() const { return count_; }
  int64_t dim() const { return dim_; }
  bool half() const { return half_; }
  uint64_t seed() const { return seed_; }
  const nlohmann::json& description() const { return description_; }
  SketchKey Key(int64_t i) const;
  //! The matrix as a tensor over the mapping ([count, dim], float32 or float16; no copy).
  torch::Tensor Matrix() const;

 private:
  SketchFile() = default;
  void* map_ = nullptr;
  size_t size_ = 0;
  int64_t count_ = 0, dim_ = 0;
  bool half_ = false;
  uint64_t seed_ = 0;
  uint64_t keys_offset_ = 0, matrix_offset_ = 0;
  nlohmann::json description_;
};

}  // namespace tributary::factory
