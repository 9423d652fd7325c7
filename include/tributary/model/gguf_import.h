// Importing a GGUF checkpoint (llama.cpp, Ollama) into the Hugging Face layout the rest of the
// project loads: config.json, model.safetensors, tokenizer.json, tokenizer_config.json.
//
// Supported: general.architecture "llama" with a "gpt2" (byte-level BPE) tokenizer whose
// pre-tokenizer (tokenizer.ggml.pre) is one this project's Tokenizer reproduces (see
// GgufPreTokenizers). Tensors are dequantized (ggml_quant.h) and written as float32 or bfloat16.
// llama.cpp's converter permutes the rows of attn_q and attn_k for its interleaved RoPE; the
// import undoes that so the Hugging Face rotate-half convention holds.
//
// Errors name the file and the key or tensor: unsupported_architecture, unsupported_tokenizer,
// missing_tokenizer, missing_key, missing_tensor, wrong_shape, unsupported_quantization, bad_gguf.
// The output directory is written through a temporary sibling and renamed into place, so an
// interrupted import leaves no half-written checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/config.h"
#include "tributary/model/gguf.h"
#include "tributary/model/safetensors.h"

namespace tributary::model {

struct GgufImportOptions {
  DType dtype = DType::kF32;  //!< F32 or BF16
  //! Replace an existing output directory (otherwise AlreadyExists).
  bool overwrite = false;
  //! Called after each tensor: (tensors done, tensors in all, name).
  std::function<void(size_t, size_t, const std::string&)> progress;
};

struct GgufImportSummary {
  ModelConfig config;
  std::string name;                        //!< general.name, "" when absent
  size_t tensors = 0;                      //!< written to model.safetensors
  int64_t parameters = 0;                  //!< elements written
  std::vector<std::string> quantizations;  //!< distinct ggml types read, e.g. {"F32", "Q4_1"}
};

//! The ModelConfig the GGUF's metadata describes (no tensors read).
Result<ModelConfig> GgufModelConfig(const GgufFile& file);

//! tokenizer.json and tokenizer_config.json (as JSON text) from the tokenizer.ggml.* metadata.
struct GgufTokenizerFiles {
  std::string tokenizer_json;
  std::string tokenizer_config_json;
};
Result<GgufTokenizerFiles> GgufTokenizer(const GgufFile& file);

//! tokenizer.ggml.pre values the import understands.
std::vector<std::string> GgufPreTokenizers();

//! Reads `gguf` and writes the checkpoint to `out_dir`.
Result<GgufImportSummary> ImportGguf(const std::filesystem::path& gguf,
                                     const std::filesystem::path& out_dir,
                                     const GgufImportOptions& options = {});

}  // namespace tributary::model
