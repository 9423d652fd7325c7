// The smallest Llama shape the library tests train and sketch: 2 layers, hidden 32, grouped
// query attention. Header-only, like temp_dir.h.
#pragma once

#include <cstdint>

#include "tributary/model/config.h"

namespace tributary::testing {

inline model::ModelConfig TinyModelConfig(int64_t vocab_size) {
  model::ModelConfig c;
  c.vocab_size = vocab_size;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 128;
  // Larger than the usual 0.02, so a random model's logits are not flat and its LoRA
  // gradients are far from zero.
  c.initializer_range = 0.2;
  return c;
}

}  // namespace tributary::testing
