// The serving worker's HTTP front: the OpenAI routes answered by an Engine, on loopback, for the
// node that supervises this process (docs/serving.md says why serving runs in its own process).
//
// Routes: GET /healthz, GET /v1/models (the base and the cached adapters), POST
// /v1/chat/completions, POST /v1/completions, POST /v1/load_lora_adapter, POST
// /v1/unload_lora_adapter, GET /v1/adapters (the host cache), GET /metrics, and POST
// /v1/attribution when the process provides it.
// Every request must carry `X-Tributary-Worker-Token` (a secret the node passes at start), so
// that other local processes cannot use the worker behind the node's back.
// The node says which adapter a request runs with in `X-Tributary-Adapter` (its name) and
// `X-Tributary-Adapter-Dir`, or asks for the base with `X-Tributary-Base: 1`; without them,
// `model` names the base or an adapter already loaded under that name. `X-Tributary-Request-Id`
// sets the request id.
//
// Thread-safety: Start and Stop from one thread; the routes run on the server's pool.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tributary/base/status.h"
#include "tributary/serve/engine.h"

namespace tributary::serve {

struct WorkerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  //!< 0 picks a free port
  std::string token;
  size_t max_body_bytes = 4 << 20;
  int max_json_depth = 32;
  int threads = 64;  //!< concurrent HTTP requests (each stream holds one)
  std::chrono::seconds request_timeout{600};
  //! When set, POST /v1/attribution answers with it: (HTTP status, JSON body). The node sends the
  //! request with the model it resolved (attribution/service.h).
  std::function<std::pair<int, nlohmann::json>(const nlohmann::json&)> attribute;
};

class WorkerServer {
 public:
  //! `engine` must outlive the server.
  WorkerServer(Engine* engine, WorkerOptions options);
  ~WorkerServer();
  Status Start();
  void Stop();
  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::serve
