#include <httplib.h>

#include <atomic>
#include <random>
#include <thread>

#include "tributary/base/json_parse.h"
#include "tributary/model/llama.h"
#include "tributary/serve/openai.h"
#include "tributary/serve/openai_error.h"
#include "tributary/serve/worker.h"

namespace tributary::serve {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                  "application/json");
}

void SendError(httplib::Response& res, const Status& s) {
  OpenAiError e = OpenAiError::FromStatus(s);
  if (e.http_status == 429) res.set_header("Retry-After", "1");
  SendJson(res, e.http_status, e.ToJson());
}

std::string SseData(const json& j) {
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

std::string NewRequestId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx%08llx", static_cast<unsigned long long>(salt & 0xffffffff),
                static_cast<unsigned long long>(++counter));
  return buf;
}

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class WorkerServer::Impl {
 public:
  Impl(Engine* engine, WorkerOptions options) : engine_(engine), opts_(std::move(options)) {}

  Status Start();
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  bool Authorized(const httplib::Request& req, httplib::Response& res) const {
    if (opts_.token.empty() || req.get_header_value("X-Tributary-Worker-Token") == opts_.token) {
      return true;
    }
    SendError(res, Status::PermissionDenied("missing or wrong worker token", "forbidden"));
    return false;
  }
  std::optional<json> Body(const httplib::Request& req, httplib::Response& res) const {
    if (req.body.size() > opts_.max_body_bytes) {
      SendError(res, Status::InvalidArgument("the request body exceeds " +
                                                 std::to_string(opts_.max_body_bytes) + " bytes",
                                             ""));
      return std::nullopt;
    }
    auto j = ParseJsonBounded(req.body, opts_.max_json_depth);
    if (!j.ok()) {
      SendError(res, Status::InvalidArgument(j.status().message(), ""));
      return std::nullopt;
    }
    return std::move(*j);
  }
  void Complete(const httplib::Request& req, httplib::Response& res, Endpoint endpoint);
  json ModelList() const;

  Engine* engine_;
  WorkerOptions opts_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

json WorkerServer::Impl::ModelList() const {
  json data = json::array();
  data.push_back({{"id", engine_->options().base_name},
                  {"object", "model"},
                  {"created", 0},
                  {"owned_by", "tributary"},
                  {"parent", nullptr},
                  {"max_model_len", engine_->context_length()}});
  for (const auto& a : engine_->CachedAdapters()) {
    data.push_back({{"id", a.name},
                    {"object", "model"},
                    {"created", 0},
                    {"owned_by", "tributary"},
                    {"parent", engine_->options().base_name},
                    {"root", a.dir.string()}});
  }
  return {{"object", "list"}, {"data", data}};
}

void WorkerServer::Impl::Complete(const httplib::Request& req, httplib::Response& res,
                                  Endpoint endpoint) {
  if (!Authorized(req, res)) return;
  auto body = Body(req, res);
  if (!body) return;
  auto parsed = ParseOpenAiRequest(*body, endpoint);
  if (!parsed.ok()) return SendError(res, parsed.status());
  auto request = std::make_shared<OpenAiRequest>(std::move(*parsed));
  // Which weights: the base, an adapter the node resolved (name and directory), or one loaded
  // here under the requested name.
  std::optional<AdapterRef> adapter;
  const std::string adapter_name = req.get_header_value("X-Tributary-Adapter");
  if (!adapter_name.empty()) {
    adapter = AdapterRef{adapter_name, req.get_header_value("X-Tributary-Adapter-Dir")};
  } else if (!req.has_header("X-Tributary-Base") &&
             request->model != engine_->options().base_name) {
    bool cached = false;
    for (const auto& a : engine_->CachedAdapters()) cached = cached || a.name == request->model;
    if (!cached) {
      return SendError(res, Status::NotFound("the model '" + request->model + "' does not exist",
                                             "model_not_found"));
    }
    adapter = AdapterRef{request->model, {}};
  }
  auto engine_request = ToEngineRequest(*request, engine_->tokenizer(), engine_->context_length());
  if (!engine_request.ok()) return SendError(res, engine_request.status());
  std::string id = req.get_header_value("X-Tributary-Request-Id");
  if (id.empty()) id = NewRequestId();
  engine_request->id = id;
  engine_request->adapter = std::move(adapter);
  engine_request->deadline = Clock::now() + opts_.request_timeout;
  auto submitted = engine_->Submit(std::move(*engine_request));
  if (!submitted.ok()) return SendError(res, submitted.status());
  std::shared_ptr<RequestHandle> handle = std::move(*submitted);
  res.set_header("x-tributary-request-id", id);

  // The first event decides the status: an adapter that cannot load fails before any byte is sent.
  std::optional<EngineEvent> first;
  while (!first) first = handle->Next(std::chrono::milliseconds(1000));
  if (first->kind == EngineEvent::Kind::kError) return SendError(res, first->error);
  auto builder = std::make_shared<ResponseBuilder>(*request, id, UnixSeconds());

  if (!request->stream) {
    std::optional<EngineEvent> e = std::move(first);
    while (true) {
      if (!e) {
        e = handle->Next(std::chrono::milliseconds(1000));
        continue;
      }
      if (e->kind == EngineEvent::Kind::kError) return SendError(res, e->error);
      if (e->kind == EngineEvent::Kind::kDone) return SendJson(res, 200, builder->Answer(*e));
      builder->Add(*e);
      e.reset();
    }
  }

  res.set_header("Cache-Control", "no-cache");
  auto pending = std::make_shared<std::optional<EngineEvent>>(std::move(first));
  res.set_chunked_content_provider(
      "text/event-stream", [handle, builder, request, pending](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& s) {
          if (!sink.write(s.data(), s.size())) {
            handle->Cancel();  // the client went away: free its slot
            return false;
          }
          return true;
        };
        json start = builder->StartChunk();
        if (!start.is_null() && !write(SseData(start))) return false;
        std::optional<EngineEvent> e = std::move(*pending);
        while (true) {
          if (!e) {
            e = handle->Next(std::chrono::milliseconds(1000));
            if (!e) {
              // An SSE comment: keeps proxies from timing out, and finds a vanished client.
              if ((sink.is_writable && !sink.is_writable()) || !write(": keep-alive\n\n")) {
                handle->Cancel();
                return false;
              }
              continue;
            }
          }
          if (e->kind == EngineEvent::Kind::kError) {
            write(SseData(OpenAiError::FromStatus(e->error).ToJson()));
            write("data: [DONE]\n\n");
            sink.done();
            return true;
          }
          if (e->kind == EngineEvent::Kind::kDone) {
            for (const auto& chunk : builder->FinalChunks(*e)) {
              if (!write(SseData(chunk))) return false;
            }
            if (!write("data: [DONE]\n\n")) return false;
            sink.done();
            return true;
          }
          json chunk = builder->TextChunk(*e, handle->prompt_tokens());
          if (!chunk.is_null() && !write(SseData(chunk))) return false;
          e.reset();
        }
      });
}

Status WorkerServer::Impl::Start() {
  const int threads = opts_.threads;
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_payload_max_length(opts_.max_body_bytes + 1);
  server_.set_read_timeout(std::chrono::seconds(30));
  server_.set_write_timeout(std::chrono::seconds(30));
  int listen_fd = -1;
  server_.set_socket_options([&listen_fd](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = sock;
  });

  server_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200,
             {{"ready", true},
              {"base", engine_->options().base_name},
              {"base_dir", engine_->options().base_dir.string()},
              {"context_length", engine_->context_length()},
              {"dtype", engine_->options().dtype}});
  });
  server_.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    SendJson(res, 200, ModelList());
  });
  server_.Get("/v1/adapters", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    json list = json::array();
    for (const auto& a : engine_->CachedAdapters()) {
      list.push_back({{"name", a.name},
                      {"path", a.dir.string()},
                      {"bytes", a.bytes},
                      {"rank", a.rank},
                      {"pinned", a.pinned},
                      {"loading", a.loading},
                      {"load_ms", a.load_ms}});
    }
    SendJson(res, 200, {{"adapters", list}});
  });
  server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Complete(req, res, Endpoint::kChat);
  });
  server_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Complete(req, res, Endpoint::kCompletion);
  });
  server_.Post(
      "/v1/load_lora_adapter", [this](const httplib::Request& req, httplib::Response& res) {
        if (!Authorized(req, res)) return;
        auto body = Body(req, res);
        if (!body) return;
        if (!body->is_object() || !body->contains("lora_name") ||
            !(*body)["lora_name"].is_string() || (*body)["lora_name"].get<std::string>().empty()) {
          return SendError(
              res, Status::InvalidArgument("lora_name must be a non-empty string", "lora_name"));
        }
        if (!body->contains("lora_path") || !(*body)["lora_path"].is_string()) {
          return SendError(res, Status::InvalidArgument("lora_path must be a string", "lora_path"));
        }
        const std::string name = (*body)["lora_name"];
        if (name == engine_->options().base_name) {
          return SendError(res, Status::InvalidArgument(
                                    "lora_name '" + name + "' is the base model's", "lora_name"));
        }
        bool pin = body->value("pinned", false);
        Status s = engine_->LoadAdapter({name, std::string((*body)["lora_path"])}, pin);
        if (!s.ok()) {
          if (s.code() == Code::kNotFound || s.code() == Code::kInvalidArgument ||
              s.code() == Code::kIOError || s.code() == Code::kCorruption) {
            s = Status::InvalidArgument(s.message(), "lora_path");
          }
          return SendError(res, s);
        }
        for (const auto& a : engine_->CachedAdapters()) {
          if (a.name == name) {
            return SendJson(res, 200,
                            {{"lora_name", name},
                             {"lora_path", a.dir.string()},
                             {"bytes", a.bytes},
                             {"rank", a.rank},
                             {"pinned", a.pinned},
                             {"load_ms", a.load_ms}});
          }
        }
        SendJson(res, 200, {{"lora_name", name}});
      });
  server_.Post("/v1/unload_lora_adapter", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
    if (!Authorized(req, res)) return;
    auto body = Body(req, res);
    if (!body) return;
    if (!body->is_object() || !body->contains("lora_name") || !(*body)["lora_name"].is_string()) {
      return SendError(res, Status::InvalidArgument("lora_name must be a string", "lora_name"));
    }
    Status s = engine_->UnloadAdapter((*body)["lora_name"]);
    if (!s.ok()) return SendError(res, s);
    SendJson(res, 200, {{"lora_name", (*body)["lora_name"]}, {"unloaded", true}});
  });
  server_.Post("/v1/attribution", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    if (!opts_.attribute) {
      return SendJson(res, 404,
                      {{"error",
                        {{"code", "attribution_unavailable"},
                         {"message", "this worker runs no attribution"}}}});
    }
    auto body = ParseJsonBounded(req.body, opts_.max_json_depth);
    if (!body.ok()) {
      return SendJson(
          res, 400,
          {{"error", {{"code", body.status().reason()}, {"message", body.status().message()}}}});
    }
    auto [status, answer] = opts_.attribute(*body);
    SendJson(res, status, answer);
  });
  server_.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    res.set_content(engine_->MetricsText(), "text/plain; version=0.0.4");
  });

  port_ = opts_.port == 0 ? server_.bind_to_any_port(opts_.host)
                          : (server_.bind_to_port(opts_.host, opts_.port) ? opts_.port : -1);
  if (port_ <= 0) {
    return Status::Unavailable("cannot listen on " + opts_.host + ":" + std::to_string(opts_.port),
                               "listen_failed");
  }
  // Debian's cpp-httplib listens with a backlog of 5; a burst of clients would wait a second for
  // SYN retransmits. Listening again on the bound socket raises it.
  if (listen_fd >= 0) ::listen(listen_fd, 1024);
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  return Status::OK();
}

WorkerServer::WorkerServer(Engine* engine, WorkerOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {}
WorkerServer::~WorkerServer() { Stop(); }
Status WorkerServer::Start() { return impl_->Start(); }
void WorkerServer::Stop() { impl_->Stop(); }
int WorkerServer::port() const { return impl_->port(); }

}  // namespace tributary::serve
