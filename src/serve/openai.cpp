#include "tributary/serve/openai.h"

namespace tributary::serve {

namespace {

using json = nlohmann::json;

json TokenEntry(const TokenLogprob& t) {
  json bytes = json::array();
  for (unsigned char c : t.text) bytes.push_back(static_cast<int>(c));
  return {{"token", t.text}, {"logprob", t.logprob}, {"bytes", bytes}};
}

}  // namespace

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
