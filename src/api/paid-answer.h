// One paid answer on its way through the node's OpenAI routes: the reservation made before it,
// the usage and text gathered from the worker's answer (whole or streamed), the attribution of
// the text in the serving worker, and the receipt journaled before the answer is acknowledged
// (payments.h). Internal to the api library.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/http.h"
#include "api/payments.h"

namespace tributary::http {

struct PaidRequest {
  std::string request_id;
  uint64_t model = 0;
  Amount price_per_1k = 0;
  bool chat = false;
  std::string prompt_text;  //!< what attribution reads as the prompt (the last user message)
  Hash32 prompt_hash{};     //!< SHA-256 of the canonical JSON of `messages` or `prompt`
};

class PaidAnswer {
 public:
  //! Starts a paid request for registered model `model` at `price_per_1k`: checks the caller's
  //! `authorization` header ("Bearer <key>") and holds the most the request can cost (`body` is
  //! the OpenAI request; the context bounds its tokens). Errors in the shape the routes answer:
  //! payments_unavailable (no Payments in `ctx`), invalid_api_key and Payments::Reserve's.
  static Result<std::unique_ptr<PaidAnswer>> Begin(const RouteContext& ctx,
                                                   const std::string& request_id, uint64_t model,
                                                   Amount price_per_1k, const nlohmann::json& body,
                                                   bool chat, std::string_view authorization,
                                                   int64_t context_length);
  PaidAnswer(const RouteContext& ctx, Payments* payments, PaymentHold hold, PaidRequest request);
  //! Releases the hold when nothing was charged (the answer failed or was never given).
  ~PaidAnswer();
  PaidAnswer(const PaidAnswer&) = delete;
  PaidAnswer& operator=(const PaidAnswer&) = delete;

  //! The body to forward: a stream asks for usage in every chunk (so a cut stream is charged
  //! for what it delivered); what the client itself asked for is remembered.
  nlohmann::json PrepareBody(nlohmann::json body);
  //! A whole answer (the worker's 200 body) -> the body to send, with `tributary.receipt`.
  //! An error means the charge could not be journaled: the answer must not be given.
  Result<std::string> FinishAnswer(const std::string& worker_body);
  //! Bytes of the worker's stream as they arrive -> the bytes to forward: whole events only,
  //! each through OnStreamData, and the receipt chunk (OnStreamDone) before "data: [DONE]".
  std::string OnStreamBytes(const std::string& bytes);
  //! A stream event's data (the text after "data: "): the event to forward ("" drops it).
  std::string OnStreamData(const std::string& data);
  //! The end of a stream: the chunk with `tributary.receipt`, to send before "data: [DONE]".
  std::string OnStreamDone();
  //! The stream was cut (client gone, worker gone): charges what was delivered.
  void OnStreamCut();

 private:
  //! Attributes the output, journals the receipt; the receipt's JSON for the answer.
  Result<nlohmann::json> Settle(int64_t prompt_tokens, int64_t completion_tokens);

  RouteContext ctx_;
  Payments* payments_;
  PaymentHold hold_;
  PaidRequest request_;
  bool charged_ = false;
  bool settled_ = false;
  // Streams.
  bool client_usage_ = false, client_continuous_ = false;
  std::string output_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  nlohmann::json last_chunk_;  // id, object, created, model of the stream
  std::string sse_;            // stream bytes not yet cut into events
  bool errored_ = false;
};

}  // namespace tributary::http
