// The request bodies of /v1/chat/completions and /v1/completions, parsed with every field checked
// and errors naming it. Torch-free: the fuzz target for the OpenAI routes builds it with clang.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/sampling.h"
#include "tributary/model/tokenizer.h"

namespace tributary::serve {

enum class Endpoint { kChat, kCompletion };

struct OpenAiRequest {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;
  bool stream = false;
  bool include_usage = false;  //!< stream_options.include_usage
  //! stream_options.continuous_usage_stats (vLLM's extension): usage so far in every text chunk
  bool continuous_usage = false;
  std::vector<model::ChatMessage> messages;  //!< chat
  std::string prompt;                        //!< completion (text)
  std::vector<int32_t> prompt_tokens;        //!< completion given as token ids
  model::SamplingParams sampling;
  bool max_tokens_given = false;
  int top_logprobs = -1;  //!< -1: no logprobs
  std::string user;
};

//! Parses a request body. InvalidArgument whose reason is the field at fault ("messages",
//! "temperature", ...): wrong types, values out of range, n other than 1, unknown roles, features
//! this server does not have (tools, response_format other than text, echo, best_of, suffix).
//! Fields OpenAI defines that change nothing here (frequency_penalty 0, ...) are accepted, and
//! vLLM's `ignore_eos` (generate to max_tokens, for benchmarks).
Result<OpenAiRequest> ParseOpenAiRequest(const nlohmann::json& body, Endpoint endpoint);

}  // namespace tributary::serve
