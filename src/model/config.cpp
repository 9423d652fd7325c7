#include "tributary/model/config.h"

#include <fstream>
#include <sstream>

namespace tributary::model {
namespace {

using json = nlohmann::json;

Status Bad(const std::string& source, const std::string& msg) {
  return Status::InvalidArgument(source + ": " + msg, "bad_config");
}

// Reads an optional integer field; a present field of the wrong type is an error.
Status IntField(const json& j, const char* name, const std::string& source, int64_t* out,
                bool required) {
  if (!j.contains(name) || j[name].is_null()) {
    return required ? Bad(source, std::string("missing '") + name + "'") : Status::OK();
  }
  if (!j[name].is_number_integer())
    return Bad(source, std::string("'") + name + "' must be an integer");
  *out = j[name].get<int64_t>();
  return Status::OK();
}

Status NumberField(const json& j, const char* name, const std::string& source, double* out) {
  if (!j.contains(name) || j[name].is_null()) return Status::OK();
  if (!j[name].is_number()) return Bad(source, std::string("'") + name + "' must be a number");
  *out = j[name].get<double>();
  return Status::OK();
}

}  // namespace

Result<ModelConfig> ModelConfig::FromJson(const json& j, const std::string& source) {
  if (!j.is_object()) return Bad(source, "must be a JSON object");
  ModelConfig c;
  if (!j.contains("architectures") || !j["architectures"].is_array() ||
      j["architectures"].empty() || !j["architectures"][0].is_string()) {
    return Bad(source, "'architectures' must list the model class, e.g. [\"LlamaForCausalLM\"]");
  }
  c.architecture = j["architectures"][0].get<std::string>();
  if (c.architecture != "LlamaForCausalLM" && c.architecture != "MistralForCausalLM" &&
      c.architecture != "Qwen2ForCausalLM") {
    return Bad(source, "unsupported architecture '" + c.architecture +
                           "' (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)");
  }
  TRIB_RETURN_IF_ERROR(IntField(j, "vocab_size", source, &c.vocab_size, true));
  TRIB_RETURN_IF_ERROR(IntField(j, "hidden_size", source, &c.hidden_size, true));
  TRIB_RETURN_IF_ERROR(IntField(j, "intermediate_size", source, &c.intermediate_size, true));
  TRIB_RETURN_IF_ERROR(IntField(j, "num_hidden_layers", source, &c.num_hidden_layers, true));
  TRIB_RETURN_IF_ERROR(IntField(j, "num_attention_heads", source, &c.num_attention_heads, true));
  c.num_key_value_heads = c.num_attention_heads;
  TRIB_RETURN_IF_ERROR(IntField(j, "num_key_value_heads", source, &c.num_key_value_heads, false));
  if (c.num_attention_heads > 0) c.head_dim = c.hidden_size / c.num_attention_heads;
  TRIB_RETURN_IF_ERROR(IntField(j, "head_dim", source, &c.head_dim, false));
  TRIB_RETURN_IF_ERROR(
      IntField(j, "max_position_embeddings", source, &c.max_position_embeddings, false));
  TRIB_RETURN_IF_ERROR(NumberField(j, "rope_theta", source, &c.rope_theta));
  TRIB_RETURN_IF_ERROR(NumberField(j, "rms_norm_eps", source, &c.rms_norm_eps));
  if (j.contains("initializer_range")) {
    TRIB_RETURN_IF_ERROR(NumberField(j, "initializer_range", source, &c.initializer_range));
  }
  if (j.contains("tie_word_embeddings") && !j["tie_word_embeddings"].is_null()) {
    if (!j["tie_word_embeddings"].is_boolean())
      return Bad(source, "'tie_word_embeddings' must be a boolean");
    c.tie_word_embeddings = j["tie_word_embeddings"].get<bool>();
  }
  c.attention_bias = c.architecture == "Qwen2ForCausalLM";
  if (j.contains("attention_bias") && j["attention_bias"].is_boolean()) {
    c.attention_bias = j["attention_bias"].get<bool>();
  }
  if (j.contains("mlp_bias") && j["mlp_bias"].is_boolean() && j["mlp_bias"].get<bool>()) {
    return Bad(source, "'mlp_bias': true is not supported");
  }
  if (j.contains("hidden_act") && j["hidden_act"] != "silu") {
    return Bad(source, "'hidden_act' must be \"silu\"");
  }
  // A sliding window shorter than the context changes attention; refuse rather than be wrong.
  if (j.contains("sliding_window") && j["sliding_window"].is_number_integer() &&
      !(j.contains("use_sliding_window") && j["use_sliding_window"] == false)) {
    int64_t w = j["sliding_window"].get<int64_t>();
    if (w < c.max_position_embeddings) {
      return Bad(source, "'sliding_window' " + std::to_string(w) +
                             " shorter than the context is not supported");
    }
  }
  // transformers 5 writes rope_theta and the scaling together as "rope_parameters"; earlier
  // versions wrote "rope_theta" and "rope_scaling". Either is read.
  const char* rope_key = j.contains("rope_parameters") && !j["rope_parameters"].is_null()
                             ? "rope_parameters"
                             : "rope_scaling";
  if (std::string(rope_key) == "rope_parameters") {
    if (!j[rope_key].is_object()) return Bad(source, "'rope_parameters' must be an object");
    TRIB_RETURN_IF_ERROR(NumberField(j[rope_key], "rope_theta", source, &c.rope_theta));
  }
  if (j.contains(rope_key) && !j[rope_key].is_null()) {
    const json& rs = j[rope_key];
    if (!rs.is_object()) return Bad(source, std::string("'") + rope_key + "' must be an object");
    std::string type = rs.value("rope_type", rs.value("type", std::string()));
    if (type != "llama3" && type != "linear" && type != "default") {
      return Bad(source,
                 std::string(rope_key) + " type '" + type + "' is not supported (llama3, linear)");
    }
    c.rope_scaling.type = type == "default" ? "" : type;
    TRIB_RETURN_IF_ERROR(NumberField(rs, "factor", source, &c.rope_scaling.factor));
    TRIB_RETURN_IF_ERROR(
        NumberField(rs, "low_freq_factor", source, &c.rope_scaling.low_freq_factor));
    TRIB_RETURN_IF_ERROR(
        NumberField(rs, "high_freq_factor", source, &c.rope_scaling.high_freq_factor));
    TRIB_RETURN_IF_ERROR(IntField(rs, "original_max_position_embeddings", source,
                                  &c.rope_scaling.original_max_position_embeddings, false));
  }
  auto token_id = [&](const char* name, std::optional<int64_t>* out) -> Status {
    if (!j.contains(name) || j[name].is_null()) return Status::OK();
    const json& v = j[name].is_array() && !j[name].empty() ? j[name][0] : j[name];
    if (!v.is_number_integer())
      return Bad(source, std::string("'") + name + "' must be an integer");
    *out = v.get<int64_t>();
    return Status::OK();
  };
  TRIB_RETURN_IF_ERROR(token_id("bos_token_id", &c.bos_token_id));
  TRIB_RETURN_IF_ERROR(token_id("eos_token_id", &c.eos_token_id));
  if (j.contains("torch_dtype") && j["torch_dtype"].is_string()) {
    c.torch_dtype = j["torch_dtype"].get<std::string>();
  }
  TRIB_RETURN_IF_ERROR(c.Validate(source));
  return c;
}

Status ModelConfig::Validate(const std::string& source) const {
  auto positive = [&](const char* name, int64_t v) -> Status {
    if (v <= 0) return Bad(source, std::string("'") + name + "' must be positive");
    return Status::OK();
  };
  TRIB_RETURN_IF_ERROR(positive("vocab_size", vocab_size));
  TRIB_RETURN_IF_ERROR(positive("hidden_size", hidden_size));
  TRIB_RETURN_IF_ERROR(positive("intermediate_size", intermediate_size));
  TRIB_RETURN_IF_ERROR(positive("num_hidden_layers", num_hidden_layers));
  TRIB_RETURN_IF_ERROR(positive("num_attention_heads", num_attention_heads));
  TRIB_RETURN_IF_ERROR(positive("num_key_value_heads", num_key_value_heads));
  TRIB_RETURN_IF_ERROR(positive("head_dim", head_dim));
  TRIB_RETURN_IF_ERROR(positive("max_position_embeddings", max_position_embeddings));
  if (num_attention_heads % num_key_value_heads != 0) {
    return Bad(source, "num_attention_heads must be a multiple of num_key_value_heads");
  }
  if (head_dim % 2 != 0) return Bad(source, "head_dim must be even for rotary embeddings");
  if (rope_theta <= 0) return Bad(source, "'rope_theta' must be positive");
  if (rms_norm_eps <= 0) return Bad(source, "'rms_norm_eps' must be positive");
  if (rope_scaling.type == "llama3" &&
      (rope_scaling.factor <= 0 || rope_scaling.low_freq_factor <= 0 ||
       rope_scaling.high_freq_factor <= rope_scaling.low_freq_factor)) {
    return Bad(source,
               "llama3 rope_scaling needs factor > 0 and high_freq_factor > low_freq_factor");
  }
  for (const auto& id : {bos_token_id, eos_token_id}) {
    if (id && (*id < 0 || *id >= vocab_size))
      return Bad(source, "a special token id is outside the vocabulary");
  }
  return Status::OK();
}

Result<ModelConfig> ModelConfig::Load(const std::filesystem::path& dir) {
  auto path = dir / "config.json";
  std::ifstream in(path);
  if (!in) return Status::NotFound(path.string() + ": cannot read", "file_not_found");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return Bad(path.string(), "is not valid JSON");
  return FromJson(j, path.string());
}

json ModelConfig::ToJson() const {
  json j = {{"architectures", {architecture}},
            {"model_type", architecture == "Qwen2ForCausalLM"     ? "qwen2"
                           : architecture == "MistralForCausalLM" ? "mistral"
                                                                  : "llama"},
            {"vocab_size", vocab_size},
            {"hidden_size", hidden_size},
            {"intermediate_size", intermediate_size},
            {"num_hidden_layers", num_hidden_layers},
            {"num_attention_heads", num_attention_heads},
            {"num_key_value_heads", num_key_value_heads},
            {"head_dim", head_dim},
            {"max_position_embeddings", max_position_embeddings},
            {"rope_theta", rope_theta},
            {"rms_norm_eps", rms_norm_eps},
            {"initializer_range", initializer_range},
            {"tie_word_embeddings", tie_word_embeddings},
            {"attention_bias", attention_bias},
            {"hidden_act", "silu"},
            {"torch_dtype", torch_dtype}};
  if (!rope_scaling.type.empty()) {
    j["rope_scaling"] = {
        {"rope_type", rope_scaling.type},
        {"factor", rope_scaling.factor},
        {"low_freq_factor", rope_scaling.low_freq_factor},
        {"high_freq_factor", rope_scaling.high_freq_factor},
        {"original_max_position_embeddings", rope_scaling.original_max_position_embeddings}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  j["bos_token_id"] = bos_token_id ? json(*bos_token_id) : json(nullptr);
  j["eos_token_id"] = eos_token_id ? json(*eos_token_id) : json(nullptr);
  return j;
}

}  // namespace tributary::model
