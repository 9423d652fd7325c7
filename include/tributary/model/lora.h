// LoRA adapters in PEFT layout, applied unmerged to mixed batches or merged into the base.
//
// Files: adapter_config.json (r, lora_alpha, target_modules, rank_pattern, alpha_pattern,
// use_rslora, fan_in_fan_out, bias) and adapter_model.safetensors with PEFT key names,
// base_model.model.model.layers.N.<self_attn|mlp>.<module>.lora_A.weight [r, in] and
// .lora_B.weight [out, r]. The update is y = xWᵀ + scale·(xAᵀ)Bᵀ with scale = alpha / r
// (alpha / sqrt(r) with use_rslora). rank_pattern and alpha_pattern keys match a module whose
// name equals the key or ends with "." + key, first match wins (PEFT's rule).
//
// Thread-safety: a loaded LoraAdapter is immutable.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::model {

class LlamaModel;

//! The linear modules LoRA can target in a Llama-family layer.
const std::vector<std::string>& LoraModuleNames();

struct LoraConfig {
  int64_t r = 8;
  double lora_alpha = 16;
  std::vector<std::string> target_modules = {"q_proj", "v_proj"};
  std::map<std::string, int64_t> rank_pattern;
  std::map<std::string, double> alpha_pattern;
  double lora_dropout = 0;  //!< dropout on the adapter's input while training
  bool use_rslora = false;
  bool fan_in_fan_out = false;  //!< accepted; Llama layers are nn.Linear, for which PEFT ignores it
  std::string base_model_name_or_path;

  //! `source` names the file in errors. Refuses bias other than "none", unknown target modules.
  static Result<LoraConfig> FromJson(const nlohmann::json& j, const std::string& source);
  nlohmann::json ToJson() const;
  //! Rank and scale for a module path such as "model.layers.3.self_attn.q_proj".
  int64_t RankFor(const std::string& module_path) const;
  double ScaleFor(const std::string& module_path) const;
};

//! One adapted linear module.
struct LoraWeights {
  torch::Tensor a;  //!< [r, in]
  torch::Tensor b;  //!< [out, r]
  double scale = 1.0;
};

//! A targeted module and its weights (see LoraAdapter::Slots).
struct LoraSlotWeights {
  int64_t layer = 0;
  std::string module;
  const LoraWeights* weights = nullptr;
};

class LoraAdapter {
 public:
  //! Loads DIR/adapter_config.json and DIR/adapter_model.safetensors and checks every tensor
  //! against `base`: the first missing, unexpected or misshapen tensor is named in the error.
  //! The weights are kept in `storage` (default: the base's dtype) on the base's device; a
  //! bfloat16 copy of a float32 adapter takes half the memory and Forward widens it as it reads.
  static Result<LoraAdapter> Load(const std::filesystem::path& dir, const LlamaModel& base,
                                  std::optional<torch::ScalarType> storage = std::nullopt);
  //! Random A and B (both nonzero, unlike PEFT's zero-initialised B, so the adapter changes
  //! outputs): for tests, benchmarks and `model init-adapter`.
  static LoraAdapter Random(const LlamaModel& base, LoraConfig config, uint64_t seed);
  //! PEFT's initialisation for training: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with
  //! a = sqrt(5)), B = 0, so the adapter starts as the identity. Deterministic in `seed`.
  static LoraAdapter Init(const LlamaModel& base, LoraConfig config, uint64_t seed);
  //! Every A and B tensor by PEFT key, in key order. The tensors share storage with the adapter:
  //! a trainer sets requires_grad on them and updates them in place (not thread-safe then).
  std::vector<std::pair<std::string, torch::Tensor>> NamedParameters() const;
  //! The targeted modules in (layer, module) order.
  std::vector<LoraSlotWeights> Slots() const;
  //! Writes adapter_config.json and adapter_model.safetensors (float32) in PEFT layout.
  Status Save(const std::filesystem::path& dir) const;

  const LoraConfig& config() const { return config_; }
  //! Weights for layer `layer`, module `module` ("q_proj", ...); nullptr when not targeted.
  const LoraWeights* Find(int64_t layer, const std::string& module) const;

  //! PEFT's key for a module's A or B:
  //! base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight
  static std::string PeftKey(int64_t layer, const std::string& module, char which);

 private:
  LoraConfig config_;
  std::map<std::pair<int64_t, std::string>, LoraWeights> weights_;
};

}  // namespace tributary::model
