// Serving against a real node process (`tributary node --base`, which supervises a real
// `tributary-model serve` worker) on loopback: the OpenAI routes with concurrent clients on
// different adapters, streaming and not; a registered model served by its ledger id; operator
// routes; OpenAI-shaped errors for every kind of bad request; a client that disconnects
// mid-stream; overload answered 429; unload while a request runs; the worker restarted after a
// crash.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "support/test_util.h"
#include "support/tx_util.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

struct Answer {
  int status = 0;
  json body;         // non-streaming answers and errors
  std::string text;  // streamed or not
  std::string finish;
  std::vector<json> events;  // streamed chunks
  bool done = false;         // saw data: [DONE]
  std::string retry_after;
};

Answer Post(int port, const std::string& path, const json& body, const std::string& bearer = "") {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120);
  httplib::Headers headers;
  if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  Answer a;
  const bool stream = body.is_object() && body.contains("stream") && body["stream"].is_boolean() &&
                      body["stream"].get<bool>();
  std::string buffer;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = headers;
  req.body = body.is_string() ? body.get<std::string>() : body.dump();
  req.set_header("Content-Type", "application/json");
  req.response_handler = [&](const httplib::Response& r) {
    a.status = r.status;
    a.retry_after = r.get_header_value("Retry-After");
    return true;
  };
  req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
    buffer.append(d, n);
    return true;
  };
  httplib::Response res;
  httplib::Error err;
  if (!c.send(req, res, err)) return a;
  if (!stream || a.status != 200) {
    a.body = json::parse(buffer, nullptr, false);
    if (a.status == 200 && a.body.contains("choices")) {
      const json& ch = a.body["choices"][0];
      a.text = ch.contains("message") ? ch["message"]["content"].get<std::string>()
                                      : ch["text"].get<std::string>();
      a.finish = ch["finish_reason"];
    }
    return a;
  }
  size_t end;
  while ((end = buffer.find("\n\n")) != std::string::npos) {
    std::string ev = buffer.substr(0, end);
    buffer.erase(0, end + 2);
    if (ev.rfind("data: ", 0) != 0) continue;
    if (ev == "data: [DONE]") {
      a.done = true;
      continue;
    }
    json j = json::parse(ev.substr(6));
    a.events.push_back(j);
    if (j.contains("error")) a.body = j;
    if (!j.contains("choices") || j["choices"].empty()) continue;
    const json& ch = j["choices"][0];
    if (ch.contains("delta") && ch["delta"].contains("content")) a.text += ch["delta"]["content"];
    if (ch.contains("text")) a.text += ch["text"].get<std::string>();
    if (ch["finish_reason"].is_string()) a.finish = ch["finish_reason"];
  }
  return a;
}

json Chat(const std::string& model, const std::string& content, int max_tokens,
          bool stream = false) {
  return {{"model", model},           {"messages", {{{"role", "user"}, {"content", content}}}},
          {"max_tokens", max_tokens}, {"temperature", 0},
          {"ignore_eos", true},       {"stream", stream}};
}

bool WaitServing(int port, int seconds = 60) {
  for (int i = 0; i < seconds * 20; ++i) {
    auto h = HttpGet(port, "/healthz").json();
    if (h.is_object() && h.value("serving", "") == "ready") return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

double Metric(int port, const std::string& series) {
  std::string text = HttpGet(port, "/metrics").body;
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

std::string ReadToken(const fs::path& data) {
  std::ifstream in(data / "operator.token");
  std::string t;
  std::getline(in, t);
  return t;
}

class ServeNodeTest : public ::testing::Test {
 protected:
  // A tiny chat model (ChatML) and two random adapters of different ranks.
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    base_ = tmp_->path() / "base";
    auto init = RunTributary(
        {"model", "init",         "--chat", "--out",          base_.string(), "--vocab",
         "300",   "--layers",     "2",      "--hidden",       "64",           "--heads",
         "4",     "--kv-heads",   "2",      "--intermediate", "128",          "--max-positions",
         "2048",  "--init-range", "0.2"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    int seed = 1;
    for (auto [name, rank] : {std::pair{"a8", "8"}, std::pair{"b16", "16"}}) {
      auto r = RunTributary({"model", "init-adapter", "--base", base_.string(), "--out",
                             (tmp_->path() / name).string(), "--rank", rank, "--targets",
                             "q_proj,k_proj,v_proj,o_proj", "--seed", std::to_string(seed++)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { delete tmp_; }

  std::unique_ptr<NodeProcess> StartNode(const fs::path& data,
                                         std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--dev",  "--block-interval-ms", "0", "--rate-limit", "0",
                                     "--base", base_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto node = std::make_unique<NodeProcess>(data, tmp_->path() / "home", args);
    EXPECT_TRUE(node->Start()) << node->output();
    EXPECT_TRUE(WaitServing(node->port())) << node->output();
    return node;
  }

  void LoadAdapter(const NodeProcess& node, const fs::path& data, const std::string& name) {
    auto r =
        Post(node.port(), "/v1/load_lora_adapter",
             {{"lora_name", name}, {"lora_path", (tmp_->path() / name).string()}}, ReadToken(data));
    ASSERT_EQ(r.status, 200) << r.body.dump();
  }

  static TempDir* tmp_;
  static fs::path base_;
};

TempDir* ServeNodeTest::tmp_ = nullptr;
fs::path ServeNodeTest::base_;

TEST_F(ServeNodeTest, ConcurrentClientsOnDifferentAdaptersGetWhatTheyGetAlone) {
  TempDir data;
  auto node = StartNode(data.path());
  const int port = node->port();
  const std::string token = ReadToken(data.path());
  ASSERT_FALSE(token.empty());

  // The operator routes need the operator token.
  json load = {{"lora_name", "a8"}, {"lora_path", (tmp_->path() / "a8").string()}};
  EXPECT_EQ(Post(port, "/v1/load_lora_adapter", load).status, 401);
  EXPECT_EQ(Post(port, "/v1/load_lora_adapter", load, "wrong").status, 401);
  auto bad_path =
      Post(port, "/v1/load_lora_adapter",
           {{"lora_name", "x"}, {"lora_path", (tmp_->path() / "nowhere").string()}}, token);
  EXPECT_EQ(bad_path.status, 400) << bad_path.body.dump();
  EXPECT_EQ(bad_path.body["error"]["param"], "lora_path");
  LoadAdapter(*node, data.path(), "a8");
  LoadAdapter(*node, data.path(), "b16");

  struct Case {
    std::string model, path, prompt;
    bool stream;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 12; ++i) {
    const char* models[] = {"base", "a8", "b16"};
    cases.push_back({models[i % 3], i % 2 ? "/v1/chat/completions" : "/v1/completions",
                     "question " + std::to_string(i), i % 4 < 2});
  }
  auto body = [](const Case& c) {
    json b = c.path == "/v1/completions"
                 ? json{{"model", c.model}, {"prompt", c.prompt}, {"max_tokens", 24},
                        {"temperature", 0}, {"ignore_eos", true}, {"stream", c.stream}}
                 : Chat(c.model, c.prompt, 24, c.stream);
    return b;
  };
  std::vector<std::future<Answer>> together;
  for (const auto& c : cases) {
    together.push_back(
        std::async(std::launch::async, [&, c] { return Post(port, c.path, body(c)); }));
  }
  std::vector<Answer> answers;
  for (auto& f : together) answers.push_back(f.get());
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(answers[i].status, 200) << answers[i].body.dump();
    EXPECT_EQ(answers[i].finish, "length");
    if (cases[i].stream) EXPECT_TRUE(answers[i].done) << "ends with data: [DONE]";
    Answer alone = Post(port, cases[i].path, body(cases[i]));
    EXPECT_EQ(answers[i].text, alone.text) << cases[i].model << " " << cases[i].prompt;
  }
  EXPECT_NE(answers[0].text, answers[1].text);  // different weights, different answers
  // usage, the request id and the x-tributary-request-id header.
  Answer one = Post(port, "/v1/chat/completions", Chat("a8", "hello", 5));
  EXPECT_EQ(one.body["usage"]["completion_tokens"], 5);
  EXPECT_EQ(one.body["object"], "chat.completion");
  EXPECT_EQ(one.body["model"], "a8");
  EXPECT_TRUE(one.body["tributary"]["request_id"].is_string());
  Answer streamed = Post(port, "/v1/chat/completions", [] {
    json b = Chat("b16", "hello", 5, true);
    b["stream_options"] = {{"include_usage", true}};
    return b;
  }());
  ASSERT_GE(streamed.events.size(), 3u);
  EXPECT_EQ(streamed.events.front()["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(streamed.events.back()["usage"]["total_tokens"],
            streamed.events.back()["usage"]["prompt_tokens"].get<int>() + 5);

  // The models list has the base first; metrics count requests per model and cache hits.
  json models = HttpGet(port, "/v1/models").json();
  EXPECT_EQ(models["data"][0]["id"], "base");
  EXPECT_GT(Metric(port, "tributary_serve_generation_tokens_total"), 0);
  EXPECT_GE(Metric(port, "tributary_serve_adapter_cache_hits_total"), 8);
  EXPECT_EQ(Metric(port, "tributary_serve_adapter_loads_total"), 2);
  EXPECT_NE(HttpGet(port, "/metrics").body.find("tributary_serve_requests_total{model=\"a8\"}"),
            std::string::npos);

  // The CLI: one-shot chat and completion.
  auto chat = RunCli(*node, {"chat", "--model", "a8", "--prompt", "hello", "--max-tokens", "5",
                             "--temperature", "0"});
  EXPECT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_EQ(chat.out, one.text + "\n");
  auto missing = RunCli(*node, {"chat", "--model", "nope", "--prompt", "hi"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
  auto cj =
      RunCliJson(*node, {"complete", "--model", "base", "--prompt", "abc", "--max-tokens", "4"});
  EXPECT_EQ(cj["usage"]["completion_tokens"], 4);
  EXPECT_EQ(cj["finish_reason"], "length");
}

TEST_F(ServeNodeTest, EveryBadRequestGetsAnOpenAiShapedError) {
  TempDir data;
  auto node = StartNode(data.path());
  const int port = node->port();
  struct Bad {
    json body;
    int status;
    std::string param;  // "" = not checked
  };
  const std::string cmpl = "/v1/completions";
  std::vector<std::pair<std::string, Bad>> bad = {
      {"/v1/chat/completions", {"{not json", 400, ""}},
      {"/v1/chat/completions", {json::array(), 400, ""}},
      {"/v1/chat/completions", {{{"messages", json::array()}}, 400, "model"}},
      {"/v1/chat/completions", {Chat("nope", "hi", 5), 404, "model"}},
      {"/v1/chat/completions", {Chat("tributary-model-77", "hi", 5), 404, "model"}},
      {"/v1/chat/completions", {{{"model", "base"}, {"messages", "hi"}}, 400, "messages"}},
      {"/v1/chat/completions",
       {{{"model", "base"}, {"messages", {{{"role", "wizard"}, {"content", "x"}}}}},
        400,
        "messages[0].role"}},
      {"/v1/chat/completions",
       {[&] {
          json b = Chat("base", "hi", 5);
          b["n"] = 3;
          return b;
        }(),
        400, "n"}},
      {"/v1/chat/completions",
       {[&] {
          json b = Chat("base", "hi", 5);
          b["temperature"] = "warm";
          return b;
        }(),
        400, "temperature"}},
      {"/v1/chat/completions",
       {[&] {
          json b = Chat("base", "hi", 5);
          b["max_tokens"] = -4;
          return b;
        }(),
        400, "max_tokens"}},
      {"/v1/chat/completions",
       {[&] {
          json b = Chat("base", "hi", 5);
          b["stream"] = "yes";
          return b;
        }(),
        400, "stream"}},
      {"/v1/chat/completions",
       {[&] {
          json b = Chat("base", "hi", 5);
          b["stop"] = {1};
          return b;
        }(),
        400, "stop"}},
      {"/v1/chat/completions",
       {[&] {
          json b = Chat("base", "hi", 5);
          b["top_logprobs"] = 3;
          return b;
        }(),
        400, "top_logprobs"}},
      {cmpl, {{{"model", "base"}}, 400, "prompt"}},
      {cmpl, {{{"model", "base"}, {"prompt", 12}}, 400, "prompt"}},
      {cmpl, {{{"model", "base"}, {"prompt", "hi"}, {"top_p", 9}}, 400, "top_p"}},
      {cmpl, {{{"model", "base"}, {"prompt", std::string(2100, 'x')}}, 400, "messages"}},
      {cmpl, {{{"model", "base"}, {"prompt", {5, 99999}}}, 400, "prompt"}},
  };
  for (const auto& [path, b] : bad) {
    Answer a = Post(port, path, b.body);
    EXPECT_EQ(a.status, b.status) << b.body.dump() << " -> " << a.body.dump();
    ASSERT_TRUE(a.body.is_object() && a.body.contains("error")) << b.body.dump();
    const json& e = a.body["error"];
    EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty());
    EXPECT_TRUE(e["type"].is_string());
    EXPECT_TRUE(e.contains("param") && e.contains("code"));
    if (!b.param.empty()) EXPECT_EQ(e["param"], b.param) << b.body.dump();
  }
  Answer too_long = Post(port, cmpl, {{"model", "base"}, {"prompt", std::string(2100, 'x')}});
  EXPECT_EQ(too_long.body["error"]["code"], "context_length_exceeded");

  // A node without --base answers 503, in the same shape.
  TempDir plain;
  NodeProcess bare(plain.path(), tmp_->path() / "home");
  ASSERT_TRUE(bare.Start()) << bare.output();
  Answer off = Post(bare.port(), "/v1/chat/completions", Chat("base", "hi", 5));
  EXPECT_EQ(off.status, 503);
  EXPECT_NE(off.body["error"]["message"].get<std::string>().find("--base"), std::string::npos);
}

TEST_F(ServeNodeTest, DisconnectsOverloadUnloadAndAWorkerCrash) {
  TempDir data;
  // One long request fills the KV budget; one more may wait; the next is refused.
  auto node = StartNode(data.path(), {"--kv-budget-tokens", "1700", "--max-queued", "1"});
  const int port = node->port();
  LoadAdapter(*node, data.path(), "a8");

  // A client that goes away mid-stream frees its slot.
  {
    httplib::Client c("127.0.0.1", port);
    int chunks = 0;
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body = json{
        {"model", "a8"},
        {"prompt", "go"},
        {"max_tokens", 1600},
        {"ignore_eos", true},
        {"stream",
         true}}.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < 3; };
    httplib::Response res;
    httplib::Error err;
    c.send(req, res, err);
    EXPECT_EQ(chunks, 3);
  }
  bool freed = false;
  for (int i = 0; i < 200 && !freed; ++i) {
    freed = Metric(port, "tributary_serve_requests_running") == 0 &&
            Metric(port, "tributary_serve_requests_cancelled_total") == 1;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(freed) << HttpGet(port, "/metrics").body;
  EXPECT_LT(Metric(port, "tributary_serve_generation_tokens_total"), 1600)
      << "the request stopped when its client left";

  // Overload: the first runs, the second waits, the third is refused with 429 and Retry-After.
  json long_body = {{"model", "a8"},
                    {"prompt", "long"},
                    {"max_tokens", 1600},
                    {"temperature", 0},
                    {"ignore_eos", true}};
  json base_body = long_body;
  base_body["model"] = "base";
  Answer reference = Post(port, "/v1/completions", long_body);
  ASSERT_EQ(reference.status, 200);
  auto first =
      std::async(std::launch::async, [&] { return Post(port, "/v1/completions", long_body); });
  for (int i = 0; i < 200 && Metric(port, "tributary_serve_requests_running") < 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  auto second =
      std::async(std::launch::async, [&] { return Post(port, "/v1/completions", base_body); });
  for (int i = 0; i < 200 && Metric(port, "tributary_serve_requests_waiting") < 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  Answer third = Post(port, "/v1/completions", long_body);
  EXPECT_EQ(third.status, 429) << third.body.dump();
  EXPECT_EQ(third.body["error"]["type"], "rate_limit_error");
  EXPECT_EQ(third.retry_after, "1");
  // Unload while the first runs: it finishes on the weights it started with.
  auto unload =
      Post(port, "/v1/unload_lora_adapter", {{"lora_name", "a8"}}, ReadToken(data.path()));
  EXPECT_EQ(unload.status, 200) << unload.body.dump();
  Answer a1 = first.get(), a2 = second.get();
  EXPECT_EQ(a1.status, 200);
  EXPECT_EQ(a2.status, 200);
  EXPECT_EQ(a1.text, reference.text);
  EXPECT_EQ(a1.finish, "length");
  EXPECT_EQ(Post(port, "/v1/completions", long_body).status, 404) << "unloaded";
  EXPECT_EQ(Metric(port, "tributary_serve_requests_refused_total"), 1);

  // A crashed worker is restarted; meanwhile requests get 503, and nothing else is lost.
  FILE* p =
      ::popen(("pgrep -f 'tributary-model serve --base " + base_.string() + "'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {0};
  std::string pids;
  while (std::fgets(buf, sizeof buf, p)) pids += buf;
  ::pclose(p);
  ASSERT_FALSE(pids.empty());
  // Several nodes may run (other tests): kill the worker whose parent is this node.
  bool killed = false;
  std::istringstream in(pids);
  for (std::string line; std::getline(in, line);) {
    pid_t pid = std::stoi(line);
    std::ifstream stat("/proc/" + line + "/stat");
    std::string s((std::istreambuf_iterator<char>(stat)), {});
    auto close = s.rfind(')');
    if (close == std::string::npos || close + 2 > s.size()) continue;  // gone (pgrep's shell)
    std::istringstream fields(s.substr(close + 2));
    char state;
    pid_t ppid;
    fields >> state >> ppid;
    std::ifstream cmd("/proc/" + std::to_string(ppid) + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmd)), {});
    if (cmdline.find(data.path().string()) != std::string::npos) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  ASSERT_TRUE(killed);
  Answer during;
  for (int i = 0; i < 100; ++i) {
    during = Post(port, "/v1/completions", {{"model", "base"}, {"prompt", "x"}, {"max_tokens", 2}});
    if (during.status == 503) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(during.status, 503);
  // Serving again once the supervisor has restarted the worker (1 s backoff, then the load).
  Answer after;
  for (int i = 0; i < 600; ++i) {
    after = Post(port, "/v1/completions", {{"model", "base"}, {"prompt", "x"}, {"max_tokens", 2}});
    if (after.status == 200) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(after.status, 200) << after.body.dump();
  EXPECT_EQ(HttpGet(port, "/healthz").json()["status"], "ok") << "the node itself never stopped";
}

// Past --max-answers the node refuses at once with 429 and Retry-After, before any HTTP thread
// is held (the overload soak found connections queueing behind busy threads instead); the place
// comes back when the answer ends, a stream included.
TEST_F(ServeNodeTest, AnswersPastTheLimitAreRefusedAtOnce) {
  TempDir data;
  auto node = StartNode(data.path(), {"--max-answers", "1"});
  const int port = node->port();
  json long_body = {{"model", "base"},  {"prompt", "long"},   {"max_tokens", 1200},
                    {"temperature", 0}, {"ignore_eos", true}, {"stream", true}};
  auto first =
      std::async(std::launch::async, [&] { return Post(port, "/v1/completions", long_body); });
  for (int i = 0; i < 200 && Metric(port, "tributary_serve_requests_running") < 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  const auto asked = std::chrono::steady_clock::now();
  Answer refused = Post(port, "/v1/completions", {{"model", "base"}, {"prompt", "hi"}});
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s) << "refused at once, not queued";
  EXPECT_EQ(refused.status, 429) << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["type"], "rate_limit_error");
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("1 requests at once"),
            std::string::npos);
  EXPECT_EQ(refused.retry_after, "1");
  // Reads and other routes are not limited.
  EXPECT_EQ(HttpGet(port, "/v1/models").status, 200);
  EXPECT_EQ(first.get().status, 200);
  // The stream's place is given back as the server lets go of it, just after its last byte.
  Answer after;
  for (int i = 0; i < 100; ++i) {
    after = Post(port, "/v1/completions", {{"model", "base"}, {"prompt", "hi"}});
    if (after.status != 429) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(after.status, 200) << after.body.dump();

  auto bad = RunTributaryTimed({"node", "--data", (data.path() / "other").string(), "--dev",
                                "--listen", "127.0.0.1:0", "--max-answers", "-1"},
                               {"TRIBUTARY_HOME=" + (tmp_->path() / "home").string()}, 10000);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--max-answers"), std::string::npos) << bad.err;
  auto bad_dtype =
      RunTributaryTimed({"node", "--data", (data.path() / "other").string(), "--dev", "--listen",
                         "127.0.0.1:0", "--base", base_.string(), "--adapter-dtype", "f16"},
                        {"TRIBUTARY_HOME=" + (tmp_->path() / "home").string()}, 10000);
  EXPECT_NE(bad_dtype.exit_code, 0);
  EXPECT_NE(bad_dtype.err.find("--adapter-dtype must be base, f32 or bf16, got 'f16'"),
            std::string::npos)
      << bad_dtype.err;
}

TEST_F(ServeNodeTest, AdapterDtypeReachesTheWorkersCache) {
  TempDir data;
  auto node = StartNode(data.path(), {"--adapter-dtype", "bf16"});
  LoadAdapter(*node, data.path(), "a8");
  // Rank 8 on q, k, v, o of two layers (hidden 64, k and v 32 wide): 7,168 weights, 2 bytes each.
  EXPECT_EQ(Metric(node->port(), "tributary_serve_adapter_cache_bytes"), 7168 * 2);
  Answer a = Post(node->port(), "/v1/completions",
                  {{"model", "a8"}, {"prompt", "hello"}, {"max_tokens", 4}, {"temperature", 0}});
  EXPECT_EQ(a.status, 200) << a.body.dump();
}

TEST_F(ServeNodeTest, ARegisteredModelIsServedByItsIdAndNameWhenItsFilesAreHere) {
  TempDir data;
  auto node = StartNode(data.path(), {"--demo"});
  const int port = node->port();
  const fs::path adapter = data.path() / "models" / "quill";
  auto train =
      RunCli(*node, {"factory", "train", "--base", base_.string(), "--data", "1@1", "--out",
                     adapter.string(), "--max-steps", "2", "--heldout", "0", "--checkpoint-every",
                     "0", "--batch-size", "2", "--max-seq-len", "64"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  // Free (price 0): no key needed. Priced models are paid_inference_test's.
  json reg = RunCliJson(*node, {"model", "register", "--from", "dev", "--name", "quill", "--base",
                                base_.string(), "--adapter", adapter.string(), "--price", "0"});
  const uint64_t id = reg["model"]["id"];
  const std::string model_id = "tributary-model-" + std::to_string(id);

  Answer by_id = Post(port, "/v1/chat/completions", Chat(model_id, "Quillmere?", 8));
  ASSERT_EQ(by_id.status, 200) << by_id.body.dump();
  EXPECT_EQ(by_id.body["model"], model_id);
  for (const std::string& name : {std::to_string(id), std::string("quill")}) {
    Answer a = Post(port, "/v1/chat/completions", Chat(name, "Quillmere?", 8));
    EXPECT_EQ(a.status, 200) << a.body.dump();
    EXPECT_EQ(a.text, by_id.text) << name;
  }
  json models = HttpGet(port, "/v1/models").json();
  bool listed = false;
  for (const auto& m : models["data"]) {
    if (m["id"] == model_id) {
      listed = true;
      EXPECT_EQ(m["parent"], "base");
      EXPECT_EQ(m["tributary"]["price_per_1k_tokens"], "0");
    }
  }
  EXPECT_TRUE(listed) << models.dump();

  // Without its files on this machine, the model is refused clearly (and nothing else breaks).
  fs::rename(adapter, data.path() / "elsewhere");
  Answer gone = Post(port, "/v1/chat/completions", Chat(model_id, "Quillmere?", 8));
  EXPECT_EQ(gone.status, 400) << gone.body.dump();
  EXPECT_EQ(gone.body["error"]["code"], "model_not_servable");
  EXPECT_EQ(Post(port, "/v1/chat/completions", Chat("base", "hi", 3)).status, 200);
}

TEST_F(ServeNodeTest, TheOfficialOpenAiClientWorksAgainstTheNode) {
  const char* js = std::getenv("TRIBUTARY_JS_DIR");  // set by CTest (tools/js-test-deps.sh)
  if (!js) GTEST_SKIP() << "TRIBUTARY_JS_DIR is not set (run through ctest)";
  TempDir data;
  auto node = StartNode(data.path(), {"--demo"});
  LoadAdapter(*node, data.path(), "a8");
  // A priced model and an API key, for the paid checks.
  const fs::path adapter = data.path() / "models" / "paid";
  auto train =
      RunCli(*node, {"factory", "train", "--base", base_.string(), "--data", "1@1", "--out",
                     adapter.string(), "--max-steps", "2", "--heldout", "0", "--checkpoint-every",
                     "0", "--batch-size", "2", "--max-seq-len", "64"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  json reg = RunCliJson(*node, {"model", "register", "--from", "dev", "--name", "paid", "--base",
                                base_.string(), "--adapter", adapter.string(), "--price", "0.001"});
  ASSERT_TRUE(reg.contains("model")) << reg.dump();
  json key = RunCliJson(*node, {"apikey", "create", "--from", "dev"});
  ASSERT_TRUE(key.contains("key")) << key.dump();
  const std::string cmd = "node " + (fs::path(js) / "openai_client.mjs").string() + " " +
                          node->url() + " a8 paid " + key["key"].get<std::string>() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("openai client checks passed"), std::string::npos) << out;
}

}  // namespace
}  // namespace tributary::testing
