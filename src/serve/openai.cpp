#include "tributary/serve/openai.h"

#include <cmath>

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

json TokenEntry(const TokenLogprob& t) {
  json bytes = json::array();
  for (unsigned char c : t.text) bytes.push_back(static_cast<int>(c));
  return {{"token", t.text}, {"logprob", t.logprob}, {"bytes", bytes}};
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

Result<EngineRequest> ToEngineRequest(const OpenAiRequest& r, const model::Tokenizer& tokenizer,
                                      int64_t context_length) {
  EngineRequest e;
  e.sampling = r.sampling;
  e.top_logprobs = r.top_logprobs;
  if (r.endpoint == Endpoint::kChat) {
    auto rendered = tokenizer.ApplyChatTemplate(r.messages);
    if (!rendered.ok()) {
      return Status::InvalidArgument(
          "this model cannot chat: " + rendered.status().message() + " (use /v1/completions)",
          "messages");
    }
    e.prompt = std::move(*rendered);
    if (!r.max_tokens_given) e.sampling.max_tokens = static_cast<int>(context_length);
  } else {
    e.prompt = r.prompt;
    e.prompt_tokens = r.prompt_tokens;
    if (!r.max_tokens_given) e.sampling.max_tokens = 16;
  }
  return e;
}

ResponseBuilder::ResponseBuilder(const OpenAiRequest& request, std::string request_id,
                                 int64_t created)
    : request_(request),
      request_id_(std::move(request_id)),
      id_((request.endpoint == Endpoint::kChat ? "chatcmpl-" : "cmpl-") + request_id_),
      created_(created) {
  if (request_.endpoint == Endpoint::kChat) {
    logprobs_ = {{"content", json::array()}};
  } else {
    logprobs_ = {{"tokens", json::array()},
                 {"token_logprobs", json::array()},
                 {"top_logprobs", json::array()},
                 {"text_offset", json::array()}};
  }
}

json ResponseBuilder::Extras() const { return {{"request_id", request_id_}}; }

json ResponseBuilder::Usage(const EngineEvent& done) const {
  return {{"prompt_tokens", done.prompt_tokens},
          {"completion_tokens", done.completion_tokens},
          {"total_tokens", done.prompt_tokens + done.completion_tokens}};
}

json ResponseBuilder::Logprobs(const EngineEvent& event) const {
  if (request_.endpoint == Endpoint::kChat) {
    json content = json::array();
    for (const auto& [chosen, top] : event.logprobs) {
      json entry = TokenEntry(chosen);
      entry["top_logprobs"] = json::array();
      for (const auto& t : top) entry["top_logprobs"].push_back(TokenEntry(t));
      content.push_back(std::move(entry));
    }
    return {{"content", content}};
  }
  json out = {{"tokens", json::array()},
              {"token_logprobs", json::array()},
              {"top_logprobs", json::array()},
              {"text_offset", json::array()}};
  size_t offset = text_offset_;
  for (const auto& [chosen, top] : event.logprobs) {
    out["tokens"].push_back(chosen.text);
    out["token_logprobs"].push_back(chosen.logprob);
    json alternatives = json::object();
    for (const auto& t : top) alternatives[t.text] = t.logprob;
    out["top_logprobs"].push_back(alternatives);
    out["text_offset"].push_back(offset);
    offset += chosen.text.size();
  }
  return out;
}

json ResponseBuilder::StartChunk() const {
  if (request_.endpoint != Endpoint::kChat) return nullptr;
  return {{"id", id_},
          {"object", "chat.completion.chunk"},
          {"created", created_},
          {"model", request_.model},
          {"choices", json::array({{{"index", 0},
                                    {"delta", {{"role", "assistant"}, {"content", ""}}},
                                    {"logprobs", nullptr},
                                    {"finish_reason", nullptr}}})}};
}

json ResponseBuilder::TextChunk(const EngineEvent& event, int64_t prompt_tokens) {
  completion_tokens_ += static_cast<int64_t>(event.tokens.size());
  const bool with_logprobs = request_.top_logprobs >= 0 && !event.logprobs.empty();
  if (event.text.empty() && !with_logprobs) return nullptr;
  json choice = {{"index", 0},
                 {"logprobs", with_logprobs ? Logprobs(event) : json(nullptr)},
                 {"finish_reason", nullptr}};
  std::string object;
  if (request_.endpoint == Endpoint::kChat) {
    choice["delta"] = {{"content", event.text}};
    object = "chat.completion.chunk";
  } else {
    choice["text"] = event.text;
    object = "text_completion";
  }
  for (const auto& lp : event.logprobs) text_offset_ += lp.first.text.size();
  json chunk = {{"id", id_},
                {"object", object},
                {"created", created_},
                {"model", request_.model},
                {"choices", json::array({choice})}};
  if (request_.continuous_usage) {
    EngineEvent so_far;
    so_far.prompt_tokens = prompt_tokens;
    so_far.completion_tokens = completion_tokens_;
    chunk["usage"] = Usage(so_far);
  }
  return chunk;
}

std::vector<json> ResponseBuilder::FinalChunks(const EngineEvent& done) const {
  const bool chat = request_.endpoint == Endpoint::kChat;
  json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", done.finish_reason}};
  if (chat) {
    choice["delta"] = json::object();
  } else {
    choice["text"] = "";
  }
  const std::string object = chat ? "chat.completion.chunk" : "text_completion";
  std::vector<json> out;
  out.push_back({{"id", id_},
                 {"object", object},
                 {"created", created_},
                 {"model", request_.model},
                 {"choices", json::array({choice})},
                 {"tributary", Extras()}});
  if (request_.include_usage) {
    out.push_back({{"id", id_},
                   {"object", object},
                   {"created", created_},
                   {"model", request_.model},
                   {"choices", json::array()},
                   {"usage", Usage(done)},
                   {"tributary", Extras()}});
  }
  return out;
}

void ResponseBuilder::Add(const EngineEvent& event) {
  text_ += event.text;
  if (request_.top_logprobs < 0 || event.logprobs.empty()) return;
  json part = Logprobs(event);
  for (auto& [key, values] : part.items()) {
    for (auto& v : values) logprobs_[key].push_back(std::move(v));
  }
  for (const auto& lp : event.logprobs) text_offset_ += lp.first.text.size();
}

json ResponseBuilder::Answer(const EngineEvent& done) const {
  json choice = {{"index", 0},
                 {"logprobs", request_.top_logprobs >= 0 ? logprobs_ : json(nullptr)},
                 {"finish_reason", done.finish_reason}};
  const bool chat = request_.endpoint == Endpoint::kChat;
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", text_}};
  } else {
    choice["text"] = text_;
  }
  return {{"id", id_},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", created_},
          {"model", request_.model},
          {"choices", json::array({choice})},
          {"usage", Usage(done)},
          {"tributary", Extras()}};
}

}  // namespace tributary::serve
