#include "api/paid-answer.h"

#include <algorithm>
#include <chrono>

#include "tributary/base/hash.h"
#include "tributary/economy/fee_split.h"
#include "tributary/economy/inference.h"
#include "tributary/economy/models.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

constexpr size_t kReceiptTopContributions = 5;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The text of a choice: chat message or delta content, or completion text.
std::string ChoiceText(const json& answer, bool delta) {
  if (!answer.is_object() || !answer.contains("choices") || !answer["choices"].is_array() ||
      answer["choices"].empty()) {
    return "";
  }
  const json& c = answer["choices"][0];
  const json* field = nullptr;
  if (c.contains(delta ? "delta" : "message") && c[delta ? "delta" : "message"].is_object()) {
    const json& m = c[delta ? "delta" : "message"];
    if (m.contains("content")) field = &m["content"];
  } else if (c.contains("text")) {
    field = &c["text"];
  }
  return field && field->is_string() ? field->get<std::string>() : "";
}

// The tokens a request can use at most: its prompt (bounded by the bytes of its JSON: byte-level
// BPE never makes more tokens than bytes, and the chat template adds a few a message) plus
// max_tokens (or what the worker defaults to), within the context.
uint64_t MostTokens(const json& body, bool chat, int64_t context_length) {
  const json& prompt = chat ? body.value("messages", json()) : body.value("prompt", json());
  uint64_t bound = prompt.dump().size() + 16;
  if (chat && prompt.is_array()) bound += 16 * prompt.size();
  uint64_t max_tokens = chat ? static_cast<uint64_t>(std::max<int64_t>(context_length, 0)) : 16;
  for (const char* f : {"max_tokens", "max_completion_tokens"}) {
    if (body.contains(f) && body[f].is_number_unsigned()) max_tokens = body[f].get<uint64_t>();
  }
  uint64_t most = bound + max_tokens;
  if (context_length > 0) most = std::min<uint64_t>(most, static_cast<uint64_t>(context_length));
  return most;
}

// What attribution reads as the prompt: the last user message (chat), or the prompt string.
std::string PromptText(const json& body, bool chat) {
  if (!chat) {
    const json& p = body.value("prompt", json());
    if (p.is_string()) return p.get<std::string>();
    if (p.is_array() && !p.empty() && p[0].is_string()) return p[0].get<std::string>();
    return "";
  }
  const json& messages = body.value("messages", json());
  if (!messages.is_array()) return "";
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (!it->is_object() || it->value("role", "") != "user") continue;
    const json& c = it->value("content", json());
    if (c.is_string()) return c.get<std::string>();
    std::string text;
    if (c.is_array()) {
      for (const auto& part : c) {
        if (part.is_object() && part.value("type", "") == "text") text += part.value("text", "");
      }
    }
    return text;
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<PaidAnswer>> PaidAnswer::Begin(const RouteContext& ctx,
                                                      const std::string& request_id, uint64_t model,
                                                      Amount price_per_1k, const json& body,
                                                      bool chat, std::string_view authorization,
                                                      int64_t context_length) {
  if (!ctx.payments) {
    return Status::Unavailable("this node takes no payments (it is not the sequencer)",
                               "payments_unavailable");
  }
  const std::string_view secret =
      authorization.substr(0, 7) == "Bearer " ? authorization.substr(7) : std::string_view();
  if (secret.empty()) {
    return Status::PermissionDenied(economy::OpenAiModelId(model) + " costs " +
                                        AmountToString(price_per_1k) +
                                        " base units per 1,000 tokens: pass an API key "
                                        "(Authorization: Bearer <key>; `tributary apikey create`)",
                                    "invalid_api_key");
  }
  TRIB_ASSIGN_OR_RETURN(PaymentHold hold,
                        ctx.payments->Reserve(secret, model, price_per_1k,
                                              MostTokens(body, chat, context_length), NowMs()));
  PaidRequest r;
  r.request_id = request_id;
  r.model = model;
  r.price_per_1k = price_per_1k;
  r.chat = chat;
  r.prompt_text = PromptText(body, chat);
  r.prompt_hash = Sha256(AsBytes(body.value(chat ? "messages" : "prompt", json()).dump()));
  return std::make_unique<PaidAnswer>(ctx, ctx.payments, std::move(hold), std::move(r));
}

PaidAnswer::PaidAnswer(const RouteContext& ctx, Payments* payments, PaymentHold hold,
                       PaidRequest request)
    : ctx_(ctx), payments_(payments), hold_(std::move(hold)), request_(std::move(request)) {}

PaidAnswer::~PaidAnswer() {
  if (!charged_) payments_->Release(hold_);
}

json PaidAnswer::PrepareBody(json body) {
  if (!body.value("stream", false)) return body;
  json so = body.contains("stream_options") && body["stream_options"].is_object()
                ? body["stream_options"]
                : json::object();
  client_usage_ = so.value("include_usage", false);
  client_continuous_ = so.value("continuous_usage_stats", false);
  so["include_usage"] = true;
  so["continuous_usage_stats"] = true;
  body["stream_options"] = so;
  return body;
}

Result<json> PaidAnswer::Settle(int64_t prompt_tokens, int64_t completion_tokens) {
  settled_ = true;
  economy::InferenceReceipt r;
  r.request_id = request_.request_id;
  r.key_hash = hold_.key_hash;
  r.model = request_.model;
  r.prompt_hash = request_.prompt_hash;
  r.output_hash = Sha256(AsBytes(output_));
  r.prompt_tokens = static_cast<uint64_t>(std::max<int64_t>(0, prompt_tokens));
  r.completion_tokens = static_cast<uint64_t>(std::max<int64_t>(0, completion_tokens));
  auto fee = economy::InferenceFee(r.prompt_tokens + r.completion_tokens, request_.price_per_1k);
  if (!fee) return Status::Internal("the fee overflows");
  r.fee = *fee;
  r.served_ms = NowMs();

  // The combined attribution of the answer, in the worker that served it.
  json top = json::array();
  std::string attribution = "engine";
  std::vector<std::pair<economy::ReceiptWeight, std::string>> weights;  // with the contributor
  // The engine's default span rule (a short answer's whole text counts: MinLenForOutput).
  auto a = AttributeInEngine(
      ctx_, {{"model", request_.model}, {"prompt", request_.prompt_text}, {"output", output_}});
  if (a && a->first == 200 && a->second.contains("weights") && a->second["weights"].is_array()) {
    for (const auto& w : a->second["weights"]) {
      auto id = FixedFromHex<32>(w.value("contribution", ""));
      const uint64_t parts = w.value("parts_per_million", uint64_t{0});
      if (!id.ok() || parts == 0 || parts > economy::kPartsPerMillion) continue;
      weights.push_back({{*id, static_cast<uint32_t>(parts)}, w.value("contributor", "")});
    }
    r.provenance_hash = Sha256(AsBytes(a->second.value("provenance", json::object()).dump()));
  } else {
    attribution = !a ? std::string("unavailable: the serving engine cannot attribute this model")
                     : "unavailable: " + a->second.value("error", json::object())
                                             .value("message", std::string("attribution failed"));
    r.provenance_hash = Sha256(AsBytes(json{{"unavailable", attribution}}.dump()));
  }
  // The largest shares (the ledger keeps at most kMaxReceiptContributions); the rest counts as
  // unattributed.
  std::stable_sort(weights.begin(), weights.end(),
                   [](const auto& x, const auto& y) { return x.first.parts > y.first.parts; });
  if (weights.size() > economy::kMaxReceiptContributions) {
    weights.resize(economy::kMaxReceiptContributions);
  }
  uint64_t attributed = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    attributed += weights[i].first.parts;
    r.weights.push_back(weights[i].first);
    if (i < kReceiptTopContributions) {
      top.push_back({{"contribution", ToHex(weights[i].first.contribution)},
                     {"contributor", weights[i].second},
                     {"parts_per_million", weights[i].first.parts}});
    }
  }
  std::sort(r.weights.begin(), r.weights.end(),
            [](const auto& x, const auto& y) { return x.contribution < y.contribution; });
  r.unattributed = static_cast<uint32_t>(economy::kPartsPerMillion -
                                         std::min<uint64_t>(attributed, economy::kPartsPerMillion));
  TRIB_RETURN_IF_ERROR(payments_->Charge(hold_, r));
  charged_ = true;
  return json{{"request_id", r.request_id},
              {"model", economy::OpenAiModelId(r.model)},
              {"fee", AmountToString(r.fee)},
              {"prompt_tokens", r.prompt_tokens},
              {"completion_tokens", r.completion_tokens},
              {"top_contributions", top},
              {"unattributed_parts_per_million", r.unattributed},
              {"attribution", attribution},
              {"status", "journaled"},
              {"url", "/v1/receipts/" + r.request_id}};
}

Result<std::string> PaidAnswer::FinishAnswer(const std::string& worker_body) {
  json answer = json::parse(worker_body, nullptr, false);
  if (!answer.is_object() || !answer.contains("usage")) {
    return Status::Internal("the serving engine's answer has no usage", "engine_error");
  }
  output_ = ChoiceText(answer, false);
  const json& u = answer["usage"];
  TRIB_ASSIGN_OR_RETURN(json receipt, Settle(u.value("prompt_tokens", int64_t{0}),
                                             u.value("completion_tokens", int64_t{0})));
  if (!answer.contains("tributary") || !answer["tributary"].is_object()) {
    answer["tributary"] = json::object();
  }
  answer["tributary"]["receipt"] = std::move(receipt);
  return answer.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string PaidAnswer::OnStreamBytes(const std::string& bytes) {
  sse_ += bytes;
  std::string out;
  size_t end;
  while ((end = sse_.find("\n\n")) != std::string::npos) {
    const std::string event = sse_.substr(0, end);
    sse_.erase(0, end + 2);
    if (event.rfind("data: ", 0) != 0) {
      out += event + "\n\n";  // comments (keep-alives) pass through
    } else if (event == "data: [DONE]") {
      out += OnStreamDone() + "data: [DONE]\n\n";
    } else {
      out += OnStreamData(event.substr(6));
    }
  }
  return out;
}

std::string PaidAnswer::OnStreamData(const std::string& data) {
  json chunk = json::parse(data, nullptr, false);
  if (!chunk.is_object()) return "data: " + data + "\n\n";
  if (chunk.contains("error")) {
    errored_ = true;
    return "data: " + data + "\n\n";
  }
  last_chunk_ = {{"id", chunk.value("id", "")},
                 {"object", chunk.value("object", "")},
                 {"created", chunk.value("created", int64_t{0})},
                 {"model", chunk.value("model", "")}};
  bool changed = false;
  if (chunk.contains("usage") && chunk["usage"].is_object()) {
    prompt_tokens_ = chunk["usage"].value("prompt_tokens", prompt_tokens_);
    completion_tokens_ = chunk["usage"].value("completion_tokens", completion_tokens_);
  }
  const bool usage_only = chunk.contains("choices") && chunk["choices"].is_array() &&
                          chunk["choices"].empty() && chunk.contains("usage");
  if (usage_only) {
    if (!client_usage_) return "";
  } else {
    output_ += ChoiceText(chunk, request_.chat);
    if (chunk.contains("usage") && !client_continuous_) {
      chunk.erase("usage");
      changed = true;
    }
  }
  if (!changed) return "data: " + data + "\n\n";
  return "data: " + chunk.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

std::string PaidAnswer::OnStreamDone() {
  if (errored_ && completion_tokens_ == 0) return "";  // nothing was delivered: nothing owed
  auto receipt = Settle(prompt_tokens_, completion_tokens_);
  json chunk = last_chunk_.is_object() ? last_chunk_ : json::object();
  chunk["choices"] = json::array();
  if (!receipt.ok()) {
    // The charge could not be journaled: say so instead of a receipt.
    return "data: " +
           json{{"error",
                 {{"message",
                   "the answer's charge could not be recorded: " + receipt.status().message()},
                  {"type", "server_error"},
                  {"param", nullptr},
                  {"code", "payment_journal_failed"}}}}
               .dump() +
           "\n\n";
  }
  chunk["tributary"] = {{"request_id", request_.request_id}, {"receipt", *receipt}};
  return "data: " + chunk.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

void PaidAnswer::OnStreamCut() {
  if (settled_ || completion_tokens_ == 0) return;
  (void)Settle(prompt_tokens_, completion_tokens_);
}

}  // namespace tributary::http
