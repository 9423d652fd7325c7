// The OpenAI wire format of /v1/chat/completions and /v1/completions: parsed requests
// (openai_request.h) turned into engine requests, and answers and stream chunks built from engine
// events.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/tokenizer.h"
#include "tributary/serve/engine.h"
#include "tributary/serve/openai_request.h"

namespace tributary::serve {

//! The engine request for a parsed request: the chat template applied (with the assistant's
//! generation prompt) for chat, max_tokens defaulting to what the context leaves (chat) or 16
//! (completions, OpenAI's default).
Result<EngineRequest> ToEngineRequest(const OpenAiRequest& request,
                                      const model::Tokenizer& tokenizer, int64_t context_length);

//! Builds answers for one request from its events.
class ResponseBuilder {
 public:
  ResponseBuilder(const OpenAiRequest& request, std::string request_id, int64_t created);
  //! The first stream chunk (chat: the assistant role with empty content); null for completions.
  nlohmann::json StartChunk() const;
  //! A stream chunk for a text event; null when it carries nothing (no text, no logprobs).
  //! With continuous usage it carries the usage so far (`prompt_tokens` of the request).
  nlohmann::json TextChunk(const EngineEvent& event, int64_t prompt_tokens = 0);
  //! The chunks that end a stream: finish_reason, then usage when asked, each with `tributary`.
  std::vector<nlohmann::json> FinalChunks(const EngineEvent& done) const;
  //! Adds a text event to the whole answer (non-streaming).
  void Add(const EngineEvent& event);
  //! The whole answer after the final event.
  nlohmann::json Answer(const EngineEvent& done) const;
  const std::string& id() const { return id_; }

 private:
  nlohmann::json Logprobs(const EngineEvent& event) const;
  nlohmann::json Usage(const EngineEvent& done) const;
  nlohmann::json Extras() const;
  const OpenAiRequest& request_;
  std::string request_id_, id_;
  int64_t created_;
  std::string text_;
  nlohmann::json logprobs_;  // accumulated for the whole answer
  size_t text_offset_ = 0;
  int64_t completion_tokens_ = 0;  // streamed so far
};

}  // namespace tributary::serve
