// The OpenAI routes of the node: POST /v1/chat/completions and /v1/completions, proxied to the
// serving worker (serve-supervisor.h) once the node has resolved `model` against the ledger's
// registry, and the operator's adapter routes POST /v1/load_lora_adapter and
// /v1/unload_lora_adapter. Errors are in OpenAI's shape (serve/openai_error.h).
//
// `model` names the base (its name, or "base"), a registered model ("tributary-model-<id>", its
// id, or its name: the most recently registered model of that name), or an adapter an operator
// loaded. A registered model is served only when its adapter's files are found under the node's
// models directory by content hash and it was trained on the base this node serves.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <random>

#include "api/paid-answer.h"
#include "api/serve-supervisor.h"
#include "http.h"
#include "tributary/base/json_parse.h"
#include "tributary/economy/model_files.h"
#include "tributary/economy/models.h"
#include "tributary/serve/openai_error.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;
using serve::OpenAiError;

void SendOpenAiError(httplib::Response& res, const Status& s) {
  OpenAiError e = OpenAiError::FromStatus(s);
  if (e.http_status == 429) res.set_header("Retry-After", "1");
  SendJson(res, e.http_status, e.ToJson());
}

// 128 random bits: request ids name receipts on the ledger, so they must not repeat across
// restarts or nodes.
std::string NewRequestId() {
  static std::mutex mu;
  static std::random_device rd;
  std::lock_guard<std::mutex> lock(mu);
  Bytes b(16);
  for (auto& x : b) x = static_cast<uint8_t>(rd());
  return ToHex(b);
}

// One of the answers in flight (AddOpenAiRoutes' limit); gives its place back when destroyed.
struct AnswerSlot {
  explicit AnswerSlot(std::shared_ptr<std::atomic<int>> count) : count(std::move(count)) {}
  ~AnswerSlot() { count->fetch_sub(1); }
  AnswerSlot(const AnswerSlot&) = delete;
  AnswerSlot& operator=(const AnswerSlot&) = delete;
  std::shared_ptr<std::atomic<int>> count;
};

// What the proxy tells the worker about the model of a request.
struct Resolved {
  bool base = false;
  std::string adapter_name;  // the adapter's id in the API
  std::string adapter_dir;   // empty: an operator-loaded adapter the worker knows by name
  uint64_t model_id = 0;     // a registered model
  Amount price_per_1k = 0;
};

Result<Resolved> ResolveServedModel(Chain* chain, economy::AdapterLocator* locator,
                                    const ServeEndpoint& ep, const std::string& model) {
  if (model == ep.base_name || model == "base") return Resolved{true, "", "", 0, 0};
  std::optional<economy::Model> found;
  auto id = economy::ParseModelId(model);
  TRIB_RETURN_IF_ERROR(
      chain->ReadState([&](const StateReader& st, const StateReader&, const BlockHeader&) {
        if (id.ok()) {
          TRIB_ASSIGN_OR_RETURN(found, economy::LoadModel(st, *id));
          return Status::OK();
        }
        // By name: the most recently registered model of that name.
        TRIB_ASSIGN_OR_RETURN(uint64_t count, economy::LoadModelCount(st));
        for (uint64_t i = count; i >= 1; --i) {
          TRIB_ASSIGN_OR_RETURN(auto m, economy::LoadModel(st, i));
          if (m && m->name == model) {
            found = std::move(m);
            break;
          }
        }
        return Status::OK();
      }));
  if (!found) {
    if (id.ok()) {
      return Status::NotFound("the model '" + model + "' does not exist", "model_not_found");
    }
    return Resolved{false, model, "", 0, 0};  // maybe an adapter an operator loaded
  }
  if (found->base_hash != ep.base_hash) {
    return Status::FailedPrecondition("the model '" + model + "' was trained on base " +
                                          ToHex(found->base_hash) + "; this node serves " +
                                          ep.base_name + " (" + ToHex(ep.base_hash) + ")",
                                      "model_not_servable");
  }
  auto dir = locator->Find(found->adapter_hash);
  if (!dir.ok()) {
    return Status::FailedPrecondition(
        "the model '" + model + "' cannot be served here: " + dir.status().message(),
        "model_not_servable");
  }
  return Resolved{false, economy::OpenAiModelId(found->id), dir->string(), found->id,
                  found->price_per_1k_tokens};
}

// One proxied request's answer, filled by the thread that talks to the worker and drained by
// the node's response (so that a stream passes through as it is produced).
struct Relay {
  std::mutex mu;
  std::condition_variable cv;
  int status = 0;  // 0 until the worker's headers arrive
  std::string content_type;
  std::deque<std::string> chunks;
  bool done = false;
  bool failed = false;  // the worker could not be reached or went away
  std::atomic<bool> cancelled{false};
  std::thread thread;
};

}  // namespace

void AddOpenAiRoutes(httplib::Server& server, const RouteContext& ctx) {
  Chain* chain = ctx.chain;
  const ServerOptions* opts = ctx.opts;
  ServeSupervisor* serve = ctx.serve;
  economy::AdapterLocator* locator = ctx.locator;

  // Answers in flight: each holds an HTTP thread until it ends (a stream, until its last chunk).
  // Past the limit a request is refused at once, while threads remain to say so.
  const int max_answers =
      opts->max_answers > 0 ? opts->max_answers : std::max(1, opts->threads - 8);
  auto answering = std::make_shared<std::atomic<int>>(0);
  auto take_slot = [answering, max_answers]() -> std::shared_ptr<AnswerSlot> {
    if (answering->fetch_add(1) >= max_answers) {
      answering->fetch_sub(1);
      return nullptr;
    }
    return std::make_shared<AnswerSlot>(answering);
  };

  // Sends `body` to the worker's `path` and relays the answer; `headers` add to the token.
  // `slot` is held until the answer has been sent.
  auto proxy = [=](const httplib::Request& req, httplib::Response& res, const ServeEndpoint& ep,
                   const std::string& path, const std::string& body, httplib::Headers headers,
                   bool stream, std::shared_ptr<PaidAnswer> paid,
                   std::shared_ptr<AnswerSlot> slot) {
    auto relay = std::make_shared<Relay>();
    headers.emplace("X-Tributary-Worker-Token", ep.token);
    relay->thread = std::thread([relay, ep, path, body, headers] {
      httplib::Client client("127.0.0.1", ep.port);
      client.set_connection_timeout(std::chrono::seconds(5));
      client.set_read_timeout(std::chrono::seconds(900));
      client.set_write_timeout(std::chrono::seconds(30));
      httplib::Request r;
      r.method = "POST";
      r.path = path;
      r.headers = headers;
      r.body = body;
      r.set_header("Content-Type", "application/json");
      r.response_handler = [relay](const httplib::Response& head) {
        std::lock_guard<std::mutex> lock(relay->mu);
        relay->status = head.status;
        relay->content_type = head.get_header_value("Content-Type");
        relay->cv.notify_all();
        return !relay->cancelled.load();
      };
      r.content_receiver = [relay](const char* data, size_t n, uint64_t, uint64_t) {
        std::lock_guard<std::mutex> lock(relay->mu);
        relay->chunks.emplace_back(data, n);
        relay->cv.notify_all();
        return !relay->cancelled.load();
      };
      httplib::Response response;
      httplib::Error error = httplib::Error::Success;
      bool ok = client.send(r, response, error);
      std::lock_guard<std::mutex> lock(relay->mu);
      relay->done = true;
      relay->failed = !ok && !relay->cancelled;
      relay->cv.notify_all();
    });
    auto finish = [relay] {
      relay->cancelled = true;
      if (relay->thread.joinable()) relay->thread.join();
    };
    std::unique_lock<std::mutex> lock(relay->mu);
    relay->cv.wait(lock, [&] { return relay->status != 0 || relay->done; });
    if (relay->status == 0 || (relay->failed && relay->chunks.empty())) {
      lock.unlock();
      finish();
      return SendOpenAiError(
          res, Status::Unavailable("the serving engine went away while answering; retry",
                                   "engine_unavailable"));
    }
    res.status = relay->status;
    if (!stream || relay->status != 200) {
      relay->cv.wait(lock, [&] { return relay->done; });
      std::string all;
      for (auto& c : relay->chunks) all += c;
      const bool failed = relay->failed;
      const std::string type = relay->content_type;
      lock.unlock();
      finish();
      if (failed) {
        return SendOpenAiError(
            res, Status::Unavailable("the serving engine went away while answering; retry",
                                     "engine_unavailable"));
      }
      if (res.status == 429) res.set_header("Retry-After", "1");
      if (paid && res.status == 200) {
        auto with_receipt = paid->FinishAnswer(all);
        if (!with_receipt.ok()) {
          return SendOpenAiError(
              res, Status::Unavailable("the answer's charge could not be recorded (" +
                                           with_receipt.status().message() + "); retry",
                                       "payment_journal_failed"));
        }
        all = std::move(*with_receipt);
      }
      return res.set_content(all, type.empty() ? "application/json" : type);
    }
    lock.unlock();
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [relay, paid](size_t, httplib::DataSink& sink) {
          std::unique_lock<std::mutex> lock(relay->mu);
          while (true) {
            relay->cv.wait(lock, [&] { return !relay->chunks.empty() || relay->done; });
            while (!relay->chunks.empty()) {
              std::string c = std::move(relay->chunks.front());
              relay->chunks.pop_front();
              lock.unlock();
              if (paid) c = paid->OnStreamBytes(c);
              bool ok = c.empty() || sink.write(c.data(), c.size());
              lock.lock();
              if (!ok) {
                relay->cancelled = true;  // the client went away: the worker frees the slot
                if (paid) paid->OnStreamCut();
                return false;
              }
            }
            if (relay->done) {
              if (paid) paid->OnStreamCut();  // a no-op once the stream ended with its receipt
              if (relay->failed) {
                const std::string err =
                    "data: " +
                    OpenAiError::FromStatus(
                        Status::Unavailable("the serving engine went away mid-answer",
                                            "engine_unavailable"))
                        .ToJson()
                        .dump() +
                    "\n\ndata: [DONE]\n\n";
                lock.unlock();
                sink.write(err.data(), err.size());
                lock.lock();
              }
              sink.done();
              return true;
            }
          }
        },
        [finish, slot](bool) { finish(); });
  };

  auto complete = [=](const httplib::Request& req, httplib::Response& res, const char* path) {
    if (req.body.size() > opts->max_body_bytes) {
      return SendOpenAiError(
          res,
          Status::InvalidArgument(
              "the request body exceeds " + std::to_string(opts->max_body_bytes) + " bytes", ""));
    }
    auto body = ParseJsonBounded(req.body, opts->max_json_depth);
    if (!body.ok())
      return SendOpenAiError(res, Status::InvalidArgument(body.status().message(), ""));
    if (!body->is_object()) {
      return SendOpenAiError(res, Status::InvalidArgument("the body must be a JSON object", ""));
    }
    if (!body->contains("model") || !(*body)["model"].is_string() ||
        (*body)["model"].get<std::string>().empty()) {
      return SendOpenAiError(res,
                             Status::InvalidArgument("model must be a non-empty string", "model"));
    }
    if (body->contains("stream") && !(*body)["stream"].is_boolean() &&
        !(*body)["stream"].is_null()) {
      return SendOpenAiError(res, Status::InvalidArgument("stream must be a boolean", "stream"));
    }
    const bool stream = body->value("stream", false);
    std::shared_ptr<AnswerSlot> slot = take_slot();
    if (!slot) {
      return SendOpenAiError(
          res, Status::ResourceExhausted("the node is answering " + std::to_string(max_answers) +
                                             " requests at once; retry shortly",
                                         "overloaded"));
    }
    auto ep = serve ? serve->Ready() : std::nullopt;
    if (!ep) {
      std::string state = serve && serve->started() ? serve->State() : "off";
      return SendOpenAiError(
          res, Status::Unavailable(state == "off" ? "this node serves no base model (start it with "
                                                    "--base DIR)"
                                                  : "the serving engine is not ready (" + state +
                                                        "); retry shortly",
                                   "engine_unavailable"));
    }
    auto resolved = ResolveServedModel(chain, locator, *ep, (*body)["model"]);
    if (!resolved.ok()) return SendOpenAiError(res, resolved.status());
    const std::string id = NewRequestId();
    const bool chat = std::string_view(path) == "/v1/chat/completions";
    // A model with a price is paid for by the caller's API key (docs/payments.md).
    std::shared_ptr<PaidAnswer> paid;
    std::string forward = req.body;
    if (resolved->model_id != 0 && resolved->price_per_1k > 0) {
      auto begun =
          PaidAnswer::Begin(ctx, id, resolved->model_id, resolved->price_per_1k, *body, chat,
                            req.get_header_value("Authorization"), ep->context_length);
      if (!begun.ok()) return SendOpenAiError(res, begun.status());
      paid = std::move(*begun);
      forward = paid->PrepareBody(*body).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    res.set_header("x-tributary-request-id", id);
    httplib::Headers headers = {{"X-Tributary-Request-Id", id}};
    if (resolved->base) {
      headers.emplace("X-Tributary-Base", "1");
    } else if (!resolved->adapter_dir.empty()) {
      headers.emplace("X-Tributary-Adapter", resolved->adapter_name);
      headers.emplace("X-Tributary-Adapter-Dir", resolved->adapter_dir);
    }
    proxy(req, res, *ep, path, forward, headers, stream, std::move(paid), std::move(slot));
  };
  server.Post("/v1/chat/completions", [=](const httplib::Request& req, httplib::Response& res) {
    complete(req, res, "/v1/chat/completions");
  });
  server.Post("/v1/completions", [=](const httplib::Request& req, httplib::Response& res) {
    complete(req, res, "/v1/completions");
  });

  // The operator's routes, in vLLM's shape: load a local adapter that is not registered, or drop
  // one from the cache.
  auto operator_route = [=](const httplib::Request& req, httplib::Response& res, const char* path) {
    const std::string auth = req.get_header_value("Authorization");
    if (opts->operator_token.empty()) {
      return SendOpenAiError(
          res, Status::PermissionDenied("this node has no operator token (--operator-token-file)",
                                        "operator_only"));
    }
    if (auth != "Bearer " + opts->operator_token) {
      return SendOpenAiError(
          res, Status::PermissionDenied("this route needs the operator token", "unauthorized"));
    }
    auto ep = serve ? serve->Ready() : std::nullopt;
    if (!ep) {
      return SendOpenAiError(
          res, Status::Unavailable("the serving engine is not ready", "engine_unavailable"));
    }
    proxy(req, res, *ep, path, req.body, {}, false, nullptr, nullptr);
  };
  server.Post("/v1/load_lora_adapter", [=](const httplib::Request& req, httplib::Response& res) {
    operator_route(req, res, "/v1/load_lora_adapter");
  });
  server.Post("/v1/unload_lora_adapter", [=](const httplib::Request& req, httplib::Response& res) {
    operator_route(req, res, "/v1/unload_lora_adapter");
  });
}

//! The worker's metrics text ("" when it is not up), for the node's /metrics.
std::string ServeMetrics(ServeSupervisor* serve) {
  auto ep = serve ? serve->Ready() : std::nullopt;
  if (!ep) return "";
  httplib::Client client("127.0.0.1", ep->port);
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(2));
  auto r = client.Get("/metrics", {{"X-Tributary-Worker-Token", ep->token}});
  return r && r->status == 200 ? r->body : "";
}

}  // namespace tributary::http
