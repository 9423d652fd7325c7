// Llama-family decoder (Llama, Mistral, Qwen2) in libtorch: weights, KV cache, batched forward.
//
// A batch is a list of sequences, each bringing its new token ids and its own KV cache, so
// sequences of different lengths (prefill and decode mixed) run in one call. Token rows of all
// sequences are packed into one [T, hidden] matrix for every linear layer; attention runs per
// sequence against that sequence's cache.
//
// Thread-safety: a LlamaModel is read-only after Load/Random and may be shared by threads that
// each own their KvCaches. Forward is not re-entrant on the same KvCache.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/config.h"

namespace tributary::model {

//! Keys and values of one sequence for every layer: [layers] of [capacity, kv_heads, head_dim],
//! of which the first length() rows hold the sequence. Forward writes new rows in place and
//! grows a buffer by half when it is full (at most to `capacity_limit`), so a decode step copies
//! one row per layer, not the whole cache. A Forward that fails leaves length() unchanged.
struct KvCache {
  std::vector<torch::Tensor> keys;
  std::vector<torch::Tensor> values;
  //! The most rows a buffer grows to when more are not needed yet (e.g. prompt + max_tokens, what
  //! a scheduler reserved); 0: no limit but the model's context. Never limits the length.
  int64_t capacity_limit = 0;
  int64_t tokens = 0;  //!< rows in use; Forward advances it
  int64_t length() const { return tokens; }
};

struct SequenceInput {
  std::vector<int64_t> tokens;  //!< new tokens (at least one)
  KvCache* cache = nullptr;     //!< extended in place; must not be shared within a batch
  int adapter = -1;             //!< index into Forward's `adapters`; -1 = the base model alone
};

struct LayerWeights {
  torch::Tensor input_norm, q_proj, k_proj, v_proj, o_proj;  // projections are [out, in]
  torch::Tensor q_bias, k_bias, v_bias;                      // defined when attention_bias
  torch::Tensor post_norm, gate_proj, up_proj, down_proj;
};

class LoraAdapter;

//! Observes adapted projections during a Forward with `train`: for adapter `adapter`, layer
//! `layer`, module `module`, `x` is the input rows [n, in] and `delta` the low-rank output
//! scale·(xAᵀ)Bᵀ [n, out] for those rows (part of the autograd graph; retain_grad on it to read
//! its gradient after backward). Rows are in the order of the adapter's rows in the batch.
using LoraHooks = std::function<void(int adapter, int64_t layer, const std::string& module,
                                     const torch::Tensor& x, const torch::Tensor& delta)>;

//! The weight of a projection by module name ("q_proj", ..., "down_proj").
torch::Tensor& ModuleWeight(LayerWeights& layer, const std::string& module);

class LlamaModel {
 public:
  //! Loads config.json and the safetensors weights of a Hugging Face checkpoint directory,
  //! checking every tensor's presence and shape (errors name the file and tensor).
  //! `device` may be CUDA where libtorch has it (bf16/fp16 are for devices that support them).
  static Result<std::unique_ptr<LlamaModel>> Load(const std::filesystem::path& dir,
                                                  torch::ScalarType dtype = torch::kFloat32,
                                                  torch::Device device = torch::kCPU);
  //! Random weights (normal, std config.initializer_range; norms 1) from `seed`: for tests, `model
  //! init` and pretraining.
  static std::unique_ptr<LlamaModel> Random(const ModelConfig& config, uint64_t seed);

  //! Moves the weights to `device` in `dtype` (before any adapter is loaded for this model).
  //! Not thread-safe.
  void To(torch::Device device, torch::ScalarType dtype);

  //! Writes config.json and model.safetensors (float32) in Hugging Face layout.
  Status Save(const std::filesystem::path& dir) const;

  const ModelConfig& config() const { return config_; }
  //! Where the weights live; adapters, caches and outputs follow it (logits come back there).
  torch::Device device() const { return device_; }
  torch::ScalarType dtype() const { return dtype_; }

  //! Runs the batch; returns logits [total new tokens, vocab] in float32, rows in batch order.
  //! Sequences may use different adapters: each adapted projection adds scale·(xAᵀ)Bᵀ for the
  //! rows of every adapter present, gathered per adapter over the whole batch (SGMV-style), so
  //! the base weights run once for all rows whatever the mix. InvalidArgument for empty
  //! sequences, token ids outside the vocabulary or an adapter index out of range.
  //! With `last_only`, returns just each sequence's last row, [sequences, vocab]: what
  //! generation needs, and it skips the vocabulary projection for every other prompt token.
  //! With `train`, autograd records the pass (gradients reach adapter tensors that require
  //! them; the base weights never do) and adapters apply their lora_dropout, drawn from
  //! torch's global generator (seed it for reproducible steps). `hooks`, when given, sees each
  //! adapted projection's input and low-rank output (for gradient sketches); with hooks the
  //! pass is recorded for autograd even without `train`, and no dropout is applied.
  Result<torch::Tensor> Forward(const std::vector<SequenceInput>& batch,
                                const std::vector<const LoraAdapter*>& adapters = {},
                                bool last_only = false, bool train = false,
                                const LoraHooks* hooks = nullptr) const;

  //! Adds scale·BA to the targeted weights (for batches that all use one adapter). Keeps the
  //! original weights, so UnmergeAdapter restores them bit for bit. Not thread-safe: no Forward
  //! may run concurrently. FailedPrecondition if an adapter is already merged.
  Status MergeAdapter(const LoraAdapter& adapter);
  void UnmergeAdapter();
  bool has_merged_adapter() const { return !merged_originals_.empty(); }

  //! Every weight by Hugging Face name (a tied lm_head once, as embed_tokens). The tensors share
  //! storage with the model: a trainer sets requires_grad on them and updates them in place
  //! (no Forward may run concurrently then).
  std::vector<std::pair<std::string, torch::Tensor>> NamedParameters() const;

  //! Names of the weights in Hugging Face layout, with their shapes.
  std::vector<std::pair<std::string, std::vector<int64_t>>> WeightShapes() const;

  const std::vector<LayerWeights>& layers() const { return layers_; }

 private:
  LlamaModel() = default;
  void InitRope();
  torch::Tensor Rotate(const torch::Tensor& x, const torch::Tensor& positions) const;
  //! The member holding the weight called `name` (a name from WeightShapes).
  torch::Tensor* Slot(const std::string& name);
  torch::Tensor Weight(const std::string& name) const;

  ModelConfig config_;
  torch::ScalarType dtype_ = torch::kFloat32;
  torch::Device device_ = torch::kCPU;
  torch::Tensor embed_, norm_, lm_head_;
  std::vector<LayerWeights> layers_;
  torch::Tensor inv_freq_;  // [head_dim / 2], float32
  std::map<std::pair<int64_t, std::string>, torch::Tensor> merged_originals_;
};

}  // namespace tributary::model
