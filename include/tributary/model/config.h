// Model configuration from a Hugging Face `config.json`.
//
// Supported: LlamaForCausalLM and the architectures that share its structure,
// MistralForCausalLM (without a sliding window shorter than the context) and
// Qwen2ForCausalLM (q/k/v projections with bias). Anything else is refused
// with the field named.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tributary/base/status.h"

namespace tributary::model {

struct RopeScaling {
  std::string type;  //!< "" (none), "llama3" or "linear"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string architecture = "LlamaForCausalLM";
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  //!< GQA; equals num_attention_heads when absent
  int64_t head_dim = 0;             //!< hidden_size / num_attention_heads when absent
  int64_t max_position_embeddings = 2048;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  double initializer_range = 0.02;  //!< std of random init (LlamaModel::Random)
  bool tie_word_embeddings = false;
  bool attention_bias = false;  //!< q/k/v biases (Qwen2 always; Llama when attention_bias is set)
  RopeScaling rope_scaling;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;
  std::string torch_dtype = "float32";

  //! Parses and validates; `source` names the file in errors.
  static Result<ModelConfig> FromJson(const nlohmann::json& j, const std::string& source);
  //! Reads DIR/config.json.
  static Result<ModelConfig> Load(const std::filesystem::path& dir);
  //! The Hugging Face form (round-trips through FromJson).
  nlohmann::json ToJson() const;
  //! Shapes and ranges: heads divide hidden size, kv heads divide heads, sizes positive.
  Status Validate(const std::string& source) const;
};

}  // namespace tributary::model
