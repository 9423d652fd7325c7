#include <cmath>

#include "tributary/serve/openai_request.h"

namespace tributary::serve {

namespace {

using json = nlohmann::json;

Status Bad(const std::string& field, const std::string& message) {
  return Status::InvalidArgument(message, field);
}

// An optional field: absent or null is "not given".
const json* Field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::optional<int64_t>> IntField(const json& body, const char* name, int64_t lo,
                                        int64_t hi) {
  const json* v = Field(body, name);
  if (!v) return std::optional<int64_t>();
  if (!v->is_number_integer()) return Bad(name, std::string(name) + " must be an integer");
  int64_t x = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)
                  ? INT64_MAX
                  : v->get<int64_t>();
  if (x < lo || x > hi) {
    return Bad(name, std::string(name) + " must be between " + std::to_string(lo) + " and " +
                         std::to_string(hi) + ", got " + std::to_string(x));
  }
  return std::optional<int64_t>(x);
}

Result<std::optional<double>> NumberField(const json& body, const char* name, double lo,
                                          double hi) {
  const json* v = Field(body, name);
  if (!v) return std::optional<double>();
  if (!v->is_number()) return Bad(name, std::string(name) + " must be a number");
  double x = v->get<double>();
  if (!(x >= lo && x <= hi)) {
    std::ostringstream msg;
    msg << name << " must be between " << lo << " and " << hi << ", got " << x;
    return Bad(name, msg.str());
  }
  return std::optional<double>(x);
}

Result<std::optional<bool>> BoolField(const json& body, const char* name) {
  const json* v = Field(body, name);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return Bad(name, std::string(name) + " must be a boolean");
  return std::optional<bool>(v->get<bool>());
}

// Chat content: a string, or an array of {"type":"text","text":...} parts joined.
Result<std::string> MessageContent(const json& content, size_t index) {
  const std::string field = "messages[" + std::to_string(index) + "].content";
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return std::string();
  if (!content.is_array()) return Bad(field, field + " must be a string or an array of parts");
  std::string out;
  for (const auto& part : content) {
    if (!part.is_object() || part.value("type", json()) != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      return Bad(field, field + ": only parts {\"type\":\"text\",\"text\":...} are supported");
    }
    out += part["text"].get<std::string>();
  }
  return out;
}

// Fields OpenAI defines that this server does not implement: refused unless at their default.
Status RefuseUnsupported(const json& body, Endpoint endpoint) {
  auto nonzero = [&](const char* name) {
    const json* v = Field(body, name);
    return v && !(v->is_number() && v->get<double>() == 0);
  };
  for (const char* name : {"frequency_penalty", "presence_penalty"}) {
    if (nonzero(name)) return Bad(name, std::string(name) + " is not supported (only 0)");
  }
  for (const char* name : {"tools", "functions", "logit_bias"}) {
    const json* v = Field(body, name);
    if (v && !v->empty()) return Bad(name, std::string(name) + " is not supported");
  }
  if (const json* v = Field(body, "response_format")) {
    if (!v->is_object() || v->value("type", json()) != "text") {
      return Bad("response_format", "only response_format {\"type\":\"text\"} is supported");
    }
  }
  if (endpoint == Endpoint::kCompletion) {
    if (const json* v = Field(body, "echo"); v && *v != false) {
      return Bad("echo", "echo is not supported");
    }
    if (const json* v = Field(body, "suffix"); v && !(v->is_string() && v->empty())) {
      return Bad("suffix", "suffix is not supported");
    }
    if (const json* v = Field(body, "best_of"); v && *v != 1) {
      return Bad("best_of", "best_of other than 1 is not supported");
    }
  }
  return Status::OK();
}

}  // namespace

Result<OpenAiRequest> ParseOpenAiRequest(const json& body, Endpoint endpoint) {
  if (!body.is_object()) return Bad("", "the request body must be a JSON object");
  OpenAiRequest r;
  r.endpoint = endpoint;
  const json* model = Field(body, "model");
  if (!model) return Bad("model", "model is required");
  if (!model->is_string() || model->get<std::string>().empty()) {
    return Bad("model", "model must be a non-empty string");
  }
  r.model = model->get<std::string>();

  if (endpoint == Endpoint::kChat) {
    const json* messages = Field(body, "messages");
    if (!messages) return Bad("messages", "messages is required");
    if (!messages->is_array() || messages->empty()) {
      return Bad("messages", "messages must be a non-empty array");
    }
    for (size_t i = 0; i < messages->size(); ++i) {
      const json& m = (*messages)[i];
      const std::string field = "messages[" + std::to_string(i) + "]";
      if (!m.is_object()) return Bad(field, field + " must be an object");
      if (!m.contains("role") || !m["role"].is_string()) {
        return Bad(field + ".role", field + ".role must be a string");
      }
      std::string role = m["role"].get<std::string>();
      if (role == "developer") role = "system";  // OpenAI's newer name for the system role
      if (role != "system" && role != "user" && role != "assistant") {
        return Bad(field + ".role", field + ".role '" + m["role"].get<std::string>() +
                                        "' is not supported (system, developer, user, assistant)");
      }
      if (!m.contains("content")) return Bad(field + ".content", field + ".content is required");
      TRIB_ASSIGN_OR_RETURN(std::string content, MessageContent(m["content"], i));
      r.messages.push_back({role, std::move(content)});
    }
  } else {
    const json* prompt = Field(body, "prompt");
    if (!prompt) return Bad("prompt", "prompt is required");
    if (prompt->is_string()) {
      r.prompt = prompt->get<std::string>();
    } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
      r.prompt = (*prompt)[0].get<std::string>();
    } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number_integer()) {
      for (const auto& t : *prompt) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > INT32_MAX) {
          return Bad("prompt", "prompt token ids must be non-negative integers");
        }
        r.prompt_tokens.push_back(t.get<int32_t>());
      }
    } else if (prompt->is_array() && prompt->size() > 1) {
      return Bad("prompt", "one prompt per request (a list of prompts is not supported)");
    } else {
      return Bad("prompt", "prompt must be a string or an array of token ids");
    }
    if (r.prompt.empty() && r.prompt_tokens.empty()) return Bad("prompt", "prompt is empty");
  }

  TRIB_RETURN_IF_ERROR(RefuseUnsupported(body, endpoint));
  TRIB_ASSIGN_OR_RETURN(auto n, IntField(body, "n", 1, INT64_MAX));
  if (n && *n != 1) return Bad("n", "n must be 1 (one choice per request)");

  TRIB_ASSIGN_OR_RETURN(auto max_completion, IntField(body, "max_completion_tokens", 1, INT32_MAX));
  TRIB_ASSIGN_OR_RETURN(auto max_tokens, IntField(body, "max_tokens", 1, INT32_MAX));
  if (max_completion) max_tokens = max_completion;
  if (max_tokens) {
    r.sampling.max_tokens = static_cast<int>(*max_tokens);
    r.max_tokens_given = true;
  }
  TRIB_ASSIGN_OR_RETURN(auto temperature, NumberField(body, "temperature", 0, 2));
  r.sampling.temperature = temperature.value_or(1.0);
  TRIB_ASSIGN_OR_RETURN(auto top_p, NumberField(body, "top_p", 0, 1));
  if (top_p && *top_p == 0) return Bad("top_p", "top_p must be greater than 0");
  r.sampling.top_p = top_p.value_or(1.0);
  TRIB_ASSIGN_OR_RETURN(auto seed, IntField(body, "seed", INT64_MIN, INT64_MAX));
  r.sampling.seed = seed ? static_cast<uint64_t>(*seed) : 0;
  if (const json* stop = Field(body, "stop")) {
    if (stop->is_string()) {
      r.sampling.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array()) {
      if (stop->size() > 4) return Bad("stop", "stop takes at most 4 strings");
      for (const auto& s : *stop) {
        if (!s.is_string()) return Bad("stop", "stop must be a string or an array of strings");
        r.sampling.stop.push_back(s.get<std::string>());
      }
    } else {
      return Bad("stop", "stop must be a string or an array of strings");
    }
    for (const auto& s : r.sampling.stop) {
      if (s.empty()) return Bad("stop", "stop strings must not be empty");
    }
  }
  TRIB_ASSIGN_OR_RETURN(auto stream, BoolField(body, "stream"));
  r.stream = stream.value_or(false);
  if (const json* so = Field(body, "stream_options")) {
    if (!so->is_object()) return Bad("stream_options", "stream_options must be an object");
    if (!r.stream) return Bad("stream_options", "stream_options is only allowed with stream: true");
    TRIB_ASSIGN_OR_RETURN(auto usage, BoolField(*so, "include_usage"));
    r.include_usage = usage.value_or(false);
    TRIB_ASSIGN_OR_RETURN(auto continuous, BoolField(*so, "continuous_usage_stats"));
    r.continuous_usage = continuous.value_or(false);
  }
  if (endpoint == Endpoint::kChat) {
    TRIB_ASSIGN_OR_RETURN(auto logprobs, BoolField(body, "logprobs"));
    TRIB_ASSIGN_OR_RETURN(auto top, IntField(body, "top_logprobs", 0, 20));
    if (top && !logprobs.value_or(false)) {
      return Bad("top_logprobs", "top_logprobs needs logprobs: true");
    }
    if (logprobs.value_or(false)) r.top_logprobs = static_cast<int>(top.value_or(0));
  } else {
    TRIB_ASSIGN_OR_RETURN(auto logprobs, IntField(body, "logprobs", 0, 5));
    if (logprobs) r.top_logprobs = static_cast<int>(*logprobs);
  }
  // vLLM's extension: generate past the end-of-sequence token (benchmarks want fixed lengths).
  TRIB_ASSIGN_OR_RETURN(auto ignore_eos, BoolField(body, "ignore_eos"));
  r.sampling.stop_at_eos = !ignore_eos.value_or(false);
  if (const json* user = Field(body, "user")) {
    if (!user->is_string()) return Bad("user", "user must be a string");
    r.user = user->get<std::string>();
  }
  return r;
}

}  // namespace tributary::serve
