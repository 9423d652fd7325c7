// GGUF -> Hugging Face layout: config.json from the llama.* keys, model.safetensors from the
// dequantized tensors (q/k rows un-permuted), tokenizer files from gguf-tokenizer.cpp.

#include <cmath>
#include <cstring>
#include <set>
#include <system_error>

#include "tributary/base/file_io.h"
#include "tributary/model/ggml_quant.h"
#include "tributary/model/gguf_import.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;

Status MissingKey(const GgufFile& file, const std::string& key) {
  return Status::InvalidArgument(file.path().string() + ": metadata '" + key + "' is missing",
                                 "missing_key");
}

Result<int64_t> RequiredInt(const GgufFile& file, const std::string& key) {
  const GgufValue* v = file.Find(key);
  if (!v) return MissingKey(file, key);
  auto i = v->AsInt();
  if (!i) {
    return Status::InvalidArgument(
        file.path().string() + ": metadata '" + key + "' is not an integer", "bad_gguf");
  }
  return *i;
}

std::optional<int64_t> OptionalInt(const GgufFile& file, const std::string& key) {
  const GgufValue* v = file.Find(key);
  return v ? v->AsInt() : std::nullopt;
}

std::optional<double> OptionalFloat(const GgufFile& file, const std::string& key) {
  const GgufValue* v = file.Find(key);
  return v ? v->AsFloat() : std::nullopt;
}

// llama.cpp's converter stores attn_q / attn_k with the rows of each head reordered from
// [2][head_dim/2] (rotate-half pairs i and i + head_dim/2) to [head_dim/2][2] (adjacent pairs):
// permute(w, n_head) = w.reshape(n_head, 2, d/2, in).swapaxes(1, 2). This is the inverse.
std::vector<float> UnpermuteRows(const std::vector<float>& w, int64_t heads, int64_t head_dim,
                                 int64_t in) {
  std::vector<float> out(w.size());
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        const int64_t src = h * head_dim + i * 2 + j;
        const int64_t dst = h * head_dim + j * half + i;
        std::memcpy(&out[static_cast<size_t>(dst * in)], &w[static_cast<size_t>(src * in)],
                    static_cast<size_t>(in) * sizeof(float));
      }
    }
  }
  return out;
}

// Round to nearest even, as torch's float -> bfloat16 conversion does; NaN stays NaN.
uint16_t FloatToBFloat16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  const uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

// The Hugging Face name of a GGUF Llama tensor; "" for tensors the checkpoint does not keep.
std::string HfName(const std::string& gguf_name, std::string* error) {
  static const std::pair<const char*, const char*> kGlobal[] = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
  };
  for (const auto& [g, h] : kGlobal) {
    if (gguf_name == g) return h;
  }
  if (gguf_name == "rope_freqs.weight") {
    *error =
        "tensor 'rope_freqs.weight' (per-frequency rope factors, as Llama 3.1 GGUFs carry) "
        "is not supported";
    return "";
  }
  static const std::pair<const char*, const char*> kLayer[] = {
      {"attn_norm.weight", "input_layernorm.weight"},
      {"attn_q.weight", "self_attn.q_proj.weight"},
      {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},
      {"attn_output.weight", "self_attn.o_proj.weight"},
      {"ffn_norm.weight", "post_attention_layernorm.weight"},
      {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},
      {"ffn_down.weight", "mlp.down_proj.weight"},
  };
  if (gguf_name.rfind("blk.", 0) == 0) {
    const size_t dot = gguf_name.find('.', 4);
    if (dot != std::string::npos) {
      const std::string layer = gguf_name.substr(4, dot - 4);
      const std::string rest = gguf_name.substr(dot + 1);
      for (const auto& [g, h] : kLayer) {
        if (rest == g) return "model.layers." + layer + "." + h;
      }
    }
  }
  *error = "tensor '" + gguf_name + "' has no Hugging Face Llama counterpart";
  return "";
}

}  // namespace

Result<ModelConfig> GgufModelConfig(const GgufFile& file) {
  const GgufValue* arch_v = file.Find("general.architecture");
  if (!arch_v || !arch_v->AsString()) return MissingKey(file, "general.architecture");
  const std::string& arch = *arch_v->AsString();
  if (arch != "llama") {
    return Status::InvalidArgument(
        file.path().string() + ": architecture '" + arch + "' is not supported (supported: llama)",
        "unsupported_architecture");
  }
  ModelConfig c;
  c.architecture = "LlamaForCausalLM";
  TRIB_ASSIGN_OR_RETURN(c.num_hidden_layers, RequiredInt(file, "llama.block_count"));
  TRIB_ASSIGN_OR_RETURN(c.hidden_size, RequiredInt(file, "llama.embedding_length"));
  TRIB_ASSIGN_OR_RETURN(c.intermediate_size, RequiredInt(file, "llama.feed_forward_length"));
  TRIB_ASSIGN_OR_RETURN(c.num_attention_heads, RequiredInt(file, "llama.attention.head_count"));
  c.num_key_value_heads =
      OptionalInt(file, "llama.attention.head_count_kv").value_or(c.num_attention_heads);
  c.head_dim = OptionalInt(file, "llama.attention.key_length")
                   .value_or(c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0);
  c.max_position_embeddings = OptionalInt(file, "llama.context_length").value_or(2048);
  c.rope_theta = OptionalFloat(file, "llama.rope.freq_base").value_or(10000.0);
  c.rms_norm_eps = OptionalFloat(file, "llama.attention.layer_norm_rms_epsilon").value_or(1e-5);
  if (const GgufValue* s = file.Find("llama.rope.scaling.type"); s && s->AsString()) {
    const std::string& type = *s->AsString();
    if (type == "linear") {
      c.rope_scaling.type = "linear";
      c.rope_scaling.factor = OptionalFloat(file, "llama.rope.scaling.factor").value_or(1.0);
    } else if (type != "none") {
      return Status::InvalidArgument(file.path().string() + ": llama.rope.scaling.type '" + type +
                                         "' is not supported (none, linear)",
                                     "unsupported_architecture");
    }
  }
  // The vocabulary size: the embedding's rows (the tokenizer may list fewer, never more).
  const GgufTensorInfo* embed = file.FindTensor("token_embd.weight");
  if (!embed) {
    return Status::InvalidArgument(file.path().string() + ": tensor 'token_embd.weight' is missing",
                                   "missing_tensor");
  }
  if (embed->dims.size() != 2 || embed->dims[0] != c.hidden_size) {
    return Status::InvalidArgument(
        file.path().string() + ": tensor 'token_embd.weight' is not [vocab, hidden]",
        "wrong_shape");
  }
  c.vocab_size = embed->dims[1];
  c.tie_word_embeddings = file.FindTensor("output.weight") == nullptr;
  c.bos_token_id = OptionalInt(file, "tokenizer.ggml.bos_token_id");
  c.eos_token_id = OptionalInt(file, "tokenizer.ggml.eos_token_id");
  TRIB_RETURN_IF_ERROR(c.Validate(file.path().string()));
  return c;
}

Result<GgufImportSummary> ImportGguf(const fs::path& gguf, const fs::path& out_dir,
                                     const GgufImportOptions& options) {
  if (options.dtype != DType::kF32 && options.dtype != DType::kBF16) {
    return Status::InvalidArgument(
        "import writes F32 or BF16, not " + std::string(DTypeName(options.dtype)),
        "unsupported_dtype");
  }
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !options.overwrite) {
    return Status::AlreadyExists(out_dir.string() + " already exists (overwrite to replace it)",
                                 "already_exists");
  }
  TRIB_ASSIGN_OR_RETURN(auto file, GgufFile::Open(gguf));
  TRIB_ASSIGN_OR_RETURN(ModelConfig config, GgufModelConfig(*file));
  TRIB_ASSIGN_OR_RETURN(GgufTokenizerFiles tok, GgufTokenizer(*file));

  GgufImportSummary summary;
  summary.config = config;
  if (const GgufValue* n = file->Find("general.name"); n && n->AsString()) {
    summary.name = *n->AsString();
  }

  // Check names and shapes of every tensor before the slow part.
  std::map<std::string, const GgufTensorInfo*> by_hf;
  for (const GgufTensorInfo& t : file->tensors()) {
    if (!GgmlBlockOf(t.type)) {
      return Status::InvalidArgument(gguf.string() + ": tensor '" + t.name +
                                         "': unsupported quantization type " + GgmlTypeName(t.type),
                                     "unsupported_quantization");
    }
    std::string error;
    std::string hf = HfName(t.name, &error);
    if (hf.empty()) {
      return Status::InvalidArgument(gguf.string() + ": " + error, "unsupported_architecture");
    }
    by_hf[hf] = &t;
  }
  std::set<std::string> types;
  {
    // What the model loader needs, by the shapes it expects.
    const int64_t kv_dim = config.num_key_value_heads * config.head_dim;
    const int64_t q_dim = config.num_attention_heads * config.head_dim;
    std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
        {"model.embed_tokens.weight", {config.vocab_size, config.hidden_size}},
        {"model.norm.weight", {config.hidden_size}}};
    if (!config.tie_word_embeddings) {
      expected.push_back({"lm_head.weight", {config.vocab_size, config.hidden_size}});
    }
    for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      expected.push_back({p + "input_layernorm.weight", {config.hidden_size}});
      expected.push_back({p + "self_attn.q_proj.weight", {q_dim, config.hidden_size}});
      expected.push_back({p + "self_attn.k_proj.weight", {kv_dim, config.hidden_size}});
      expected.push_back({p + "self_attn.v_proj.weight", {kv_dim, config.hidden_size}});
      expected.push_back({p + "self_attn.o_proj.weight", {config.hidden_size, q_dim}});
      expected.push_back({p + "post_attention_layernorm.weight", {config.hidden_size}});
      expected.push_back(
          {p + "mlp.gate_proj.weight", {config.intermediate_size, config.hidden_size}});
      expected.push_back(
          {p + "mlp.up_proj.weight", {config.intermediate_size, config.hidden_size}});
      expected.push_back(
          {p + "mlp.down_proj.weight", {config.hidden_size, config.intermediate_size}});
    }
    for (const auto& [name, shape] : expected) {
      auto it = by_hf.find(name);
      if (it == by_hf.end()) {
        return Status::InvalidArgument(gguf.string() + ": tensor for '" + name + "' is missing",
                                       "missing_tensor");
      }
      if (it->second->shape() != shape) {
        return Status::InvalidArgument(gguf.string() + ": tensor '" + it->second->name +
                                           "' has the wrong shape for '" + name + "'",
                                       "wrong_shape");
      }
    }
    if (by_hf.size() != expected.size()) {
      return Status::InvalidArgument(
          gguf.string() + ": " + std::to_string(by_hf.size() - expected.size()) +
              " tensors beyond the " + std::to_string(config.num_hidden_layers) + " layers",
          "unsupported_architecture");
    }
  }

  // Dequantize, un-permute q and k, convert; keep the bytes until the file is written.
  std::vector<std::vector<uint8_t>> buffers;
  buffers.reserve(by_hf.size());
  std::vector<TensorData> out;
  out.reserve(by_hf.size());
  size_t done = 0;
  for (const auto& [hf, info] : by_hf) {
    TRIB_ASSIGN_OR_RETURN(std::vector<float> values, file->ReadFloat(*info));
    types.insert(GgmlTypeName(info->type));
    const bool is_q = hf.find("self_attn.q_proj") != std::string::npos;
    const bool is_k = hf.find("self_attn.k_proj") != std::string::npos;
    if (is_q || is_k) {
      values = UnpermuteRows(values, is_q ? config.num_attention_heads : config.num_key_value_heads,
                             config.head_dim, config.hidden_size);
    }
    std::vector<uint8_t> bytes;
    if (options.dtype == DType::kF32) {
      bytes.resize(values.size() * 4);
      std::memcpy(bytes.data(), values.data(), bytes.size());
    } else {
      bytes.resize(values.size() * 2);
      for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t b = FloatToBFloat16(values[i]);
        std::memcpy(&bytes[i * 2], &b, 2);
      }
    }
    summary.parameters += info->numel();
    buffers.push_back(std::move(bytes));
    out.push_back(
        {hf, options.dtype, info->shape(), ByteView(buffers.back().data(), buffers.back().size())});
    ++done;
    if (options.progress) options.progress(done, by_hf.size(), info->name);
  }
  summary.tensors = out.size();
  summary.quantizations.assign(types.begin(), types.end());

  // Everything goes to a sibling staging directory first, renamed into place at the end.
  fs::path parent = out_dir.parent_path();
  if (parent.empty()) parent = ".";
  fs::create_directories(parent, ec);
  if (ec) return Status::IOError(parent.string() + ": " + ec.message());
  const fs::path staging = parent / ("." + out_dir.filename().string() + ".import.tmp");
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return Status::IOError(staging.string() + ": " + ec.message());
  ModelConfig written = config;
  written.torch_dtype = options.dtype == DType::kF32 ? "float32" : "bfloat16";
  TRIB_RETURN_IF_ERROR(WriteFileAtomic(staging / "config.json", written.ToJson().dump(2)));
  TRIB_RETURN_IF_ERROR(
      WriteSafetensors(staging / "model.safetensors", out, {{"format", "pt"}, {"source", "gguf"}}));
  TRIB_RETURN_IF_ERROR(WriteFileAtomic(staging / "tokenizer.json", tok.tokenizer_json));
  TRIB_RETURN_IF_ERROR(
      WriteFileAtomic(staging / "tokenizer_config.json", tok.tokenizer_config_json));
  if (fs::exists(out_dir, ec)) fs::remove_all(out_dir, ec);
  fs::rename(staging, out_dir, ec);
  if (ec)
    return Status::IOError("cannot move " + staging.string() + " to " + out_dir.string() + ": " +
                           ec.message());
  return summary;
}

}  // namespace tributary::model
