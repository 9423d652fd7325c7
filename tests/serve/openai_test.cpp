// The OpenAI wire format: every field checked with the field named, and the shapes of answers
// and stream chunks.
#include "tributary/serve/openai.h"

#include <gtest/gtest.h>

#include "tributary/serve/openai_error.h"

namespace tributary::serve {
namespace {

using json = nlohmann::json;

json Chat(json extra = json::object()) {
  json body = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  body.update(extra);
  return body;
}

// The field an invalid request is blamed on.
std::string Blamed(const json& body, Endpoint endpoint = Endpoint::kChat) {
  auto r = ParseOpenAiRequest(body, endpoint);
  EXPECT_FALSE(r.ok()) << body.dump();
  if (r.ok()) return "";
  OpenAiError e = OpenAiError::FromStatus(r.status());
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  return e.param;
}

TEST(OpenAiRequestTest, ParsesEveryField) {
  auto r = ParseOpenAiRequest(
      Chat({{"max_completion_tokens", 7},
            {"temperature", 0.5},
            {"top_p", 0.9},
            {"seed", 42},
            {"stop", {"\n\n", "END"}},
            {"stream", true},
            {"stream_options", {{"include_usage", true}}},
            {"logprobs", true},
            {"top_logprobs", 3},
            {"user", "u1"},
            {"n", 1},
            {"frequency_penalty", 0},
            {"messages",
             {{{"role", "developer"}, {"content", "be brief"}},
              {{"role", "user"},
               {"content",
                {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}}}}}),
      Endpoint::kChat);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sampling.max_tokens, 7);
  EXPECT_DOUBLE_EQ(r->sampling.temperature, 0.5);
  EXPECT_DOUBLE_EQ(r->sampling.top_p, 0.9);
  EXPECT_EQ(r->sampling.seed, 42u);
  EXPECT_EQ(r->sampling.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_TRUE(r->stream && r->include_usage);
  EXPECT_EQ(r->top_logprobs, 3);
  ASSERT_EQ(r->messages.size(), 2u);
  EXPECT_EQ(r->messages[0].role, "system");
  EXPECT_EQ(r->messages[1].content, "ab");

  auto c = ParseOpenAiRequest({{"model", "m"}, {"prompt", {1, 2, 3}}, {"logprobs", 2}},
                              Endpoint::kCompletion);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->prompt_tokens, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(c->top_logprobs, 2);
  EXPECT_FALSE(c->max_tokens_given);
}

TEST(OpenAiRequestTest, EachBadFieldIsNamed) {
  EXPECT_EQ(Blamed(json::array()), "");
  EXPECT_EQ(Blamed({{"messages", json::array()}}), "model");
  EXPECT_EQ(Blamed(Chat({{"model", 3}})), "model");
  EXPECT_EQ(Blamed(Chat({{"messages", json::array()}})), "messages");
  EXPECT_EQ(Blamed(Chat({{"messages", "hi"}})), "messages");
  EXPECT_EQ(Blamed(Chat({{"messages", {{{"role", "tool"}, {"content", "x"}}}}})),
            "messages[0].role");
  EXPECT_EQ(Blamed(Chat({{"messages", {{{"role", 1}, {"content", "x"}}}}})), "messages[0].role");
  EXPECT_EQ(Blamed(Chat({{"messages", {{{"role", "user"}}}}})), "messages[0].content");
  EXPECT_EQ(
      Blamed(Chat({{"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}}}}}}}})),
      "messages[0].content");
  EXPECT_EQ(Blamed(Chat({{"max_tokens", 0}})), "max_tokens");
  EXPECT_EQ(Blamed(Chat({{"max_tokens", "10"}})), "max_tokens");
  EXPECT_EQ(Blamed(Chat({{"max_completion_tokens", -1}})), "max_completion_tokens");
  EXPECT_EQ(Blamed(Chat({{"temperature", 2.5}})), "temperature");
  EXPECT_EQ(Blamed(Chat({{"temperature", "hot"}})), "temperature");
  EXPECT_EQ(Blamed(Chat({{"top_p", 0}})), "top_p");
  EXPECT_EQ(Blamed(Chat({{"top_p", 1.5}})), "top_p");
  EXPECT_EQ(Blamed(Chat({{"seed", 1.5}})), "seed");
  EXPECT_EQ(Blamed(Chat({{"stop", 5}})), "stop");
  EXPECT_EQ(Blamed(Chat({{"stop", {"a", "b", "c", "d", "e"}}})), "stop");
  EXPECT_EQ(Blamed(Chat({{"stop", ""}})), "stop");
  EXPECT_EQ(Blamed(Chat({{"stream", "yes"}})), "stream");
  EXPECT_EQ(Blamed(Chat({{"stream_options", {{"include_usage", true}}}})), "stream_options");
  EXPECT_EQ(Blamed(Chat({{"stream", true}, {"stream_options", 1}})), "stream_options");
  EXPECT_EQ(Blamed(Chat({{"logprobs", 1}})), "logprobs");
  EXPECT_EQ(Blamed(Chat({{"top_logprobs", 2}})), "top_logprobs");
  EXPECT_EQ(Blamed(Chat({{"logprobs", true}, {"top_logprobs", 21}})), "top_logprobs");
  EXPECT_EQ(Blamed(Chat({{"n", 2}})), "n");
  EXPECT_EQ(Blamed(Chat({{"user", 7}})), "user");
  EXPECT_EQ(Blamed(Chat({{"tools", {{{"type", "function"}}}}})), "tools");
  EXPECT_EQ(Blamed(Chat({{"presence_penalty", 0.5}})), "presence_penalty");
  EXPECT_EQ(Blamed(Chat({{"response_format", {{"type", "json_object"}}}})), "response_format");
  const Endpoint cmpl = Endpoint::kCompletion;
  EXPECT_EQ(Blamed({{"model", "m"}}, cmpl), "prompt");
  EXPECT_EQ(Blamed({{"model", "m"}, {"prompt", {"a", "b"}}}, cmpl), "prompt");
  EXPECT_EQ(Blamed({{"model", "m"}, {"prompt", {1, -2}}}, cmpl), "prompt");
  EXPECT_EQ(Blamed({{"model", "m"}, {"prompt", ""}}, cmpl), "prompt");
  EXPECT_EQ(Blamed({{"model", "m"}, {"prompt", "a"}, {"logprobs", 6}}, cmpl), "logprobs");
  EXPECT_EQ(Blamed({{"model", "m"}, {"prompt", "a"}, {"echo", true}}, cmpl), "echo");
  EXPECT_EQ(Blamed({{"model", "m"}, {"prompt", "a"}, {"best_of", 3}}, cmpl), "best_of");
  EXPECT_EQ(Blamed({{"model", "m"}, {"prompt", "a"}, {"suffix", "z"}}, cmpl), "suffix");
}

TEST(OpenAiErrorTest, StatusesMapToOpenAiStatusesAndTypes) {
  EXPECT_EQ(OpenAiError::FromStatus(Status::NotFound("x", "model_not_found")).http_status, 404);
  EXPECT_EQ(OpenAiError::FromStatus(Status::NotFound("x", "model_not_found")).code,
            "model_not_found");
  auto overloaded = OpenAiError::FromStatus(Status::ResourceExhausted("x", "overloaded"));
  EXPECT_EQ(overloaded.http_status, 429);
  EXPECT_EQ(overloaded.type, "rate_limit_error");
  EXPECT_EQ(OpenAiError::FromStatus(Status::PermissionDenied("x", "unauthorized")).http_status,
            401);
  EXPECT_EQ(OpenAiError::FromStatus(Status::PermissionDenied("x", "limit")).http_status, 403);
  EXPECT_EQ(OpenAiError::FromStatus(Status::Unavailable("x", "engine_unavailable")).http_status,
            503);
  json j = OpenAiError::FromStatus(Status::InvalidArgument("bad", "temperature")).ToJson();
  EXPECT_EQ(j["error"]["param"], "temperature");
  EXPECT_EQ(j["error"]["message"], "bad");
  EXPECT_TRUE(j["error"].contains("type") && j["error"].contains("code"));
}

TEST(ResponseBuilderTest, AnswersAndChunksHaveOpenAisShape) {
  auto r = ParseOpenAiRequest(Chat({{"stream", true},
                                    {"stream_options", {{"include_usage", true}}},
                                    {"logprobs", true},
                                    {"top_logprobs", 1}}),
                              Endpoint::kChat);
  ASSERT_TRUE(r.ok());
  ResponseBuilder b(*r, "req1", 1700000000);
  EXPECT_EQ(b.id(), "chatcmpl-req1");
  json start = b.StartChunk();
  EXPECT_EQ(start["object"], "chat.completion.chunk");
  EXPECT_EQ(start["choices"][0]["delta"]["role"], "assistant");
  EngineEvent text;
  text.text = "Hel";
  text.tokens = {5};
  text.logprobs.push_back({TokenLogprob{5, "Hel", -0.25}, {TokenLogprob{5, "Hel", -0.25}}});
  json chunk = b.TextChunk(text);
  EXPECT_EQ(chunk["choices"][0]["delta"]["content"], "Hel");
  EXPECT_EQ(chunk["choices"][0]["logprobs"]["content"][0]["token"], "Hel");
  EXPECT_EQ(chunk["choices"][0]["logprobs"]["content"][0]["bytes"], json({72, 101, 108}));
  EngineEvent done;
  done.kind = EngineEvent::Kind::kDone;
  done.finish_reason = "stop";
  done.prompt_tokens = 4;
  done.completion_tokens = 1;
  auto finals = b.FinalChunks(done);
  ASSERT_EQ(finals.size(), 2u);
  EXPECT_EQ(finals[0]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(finals[0]["tributary"]["request_id"], "req1");
  EXPECT_TRUE(finals[1]["choices"].empty());
  EXPECT_EQ(finals[1]["usage"]["total_tokens"], 5);

  auto c =
      ParseOpenAiRequest({{"model", "m"}, {"prompt", "x"}, {"logprobs", 1}}, Endpoint::kCompletion);
  ResponseBuilder cb(*c, "req2", 1);
  EngineEvent t1 = text, t2 = text;
  t2.text = "lo";
  t2.logprobs[0].first.text = "lo";
  cb.Add(t1);
  cb.Add(t2);
  json answer = cb.Answer(done);
  EXPECT_EQ(answer["object"], "text_completion");
  EXPECT_EQ(answer["choices"][0]["text"], "Hello");
  EXPECT_EQ(answer["choices"][0]["logprobs"]["text_offset"], json({0, 3}));
  EXPECT_EQ(answer["usage"]["prompt_tokens"], 4);
}

}  // namespace
}  // namespace tributary::serve
