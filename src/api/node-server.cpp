#include "tributary/api/node_server.h"

#include <httplib.h>

#include <mutex>
#include <thread>
#include <unordered_map>

#include "api/cors.h"
#include "api/earnings-index.h"
#include "api/payments.h"
#include "api/serve-supervisor.h"
#include "http.h"
#include "tributary/base/multipart.h"
#include "tributary/datanet/kinds.h"
#include "tributary/economy/kinds.h"
#include "tributary/economy/model_files.h"

namespace tributary {

Status CheckCorsOrigins(const std::vector<std::string>& origins) {
  return http::CorsPolicy::Create(origins).status();
}
namespace {

using json = nlohmann::json;
using http::SendError;
using http::SendJson;
using http::SendStatus;

// Token bucket per client address. Old idle buckets are pruned so the map stays small.
class RateLimiter {
 public:
  RateLimiter(double rps, double burst) : rps_(rps), burst_(burst) {}
  bool Allow(const std::string& client) {
    if (rps_ <= 0) return true;
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (buckets_.size() > 10000) buckets_.clear();
    auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      double dt = std::chrono::duration<double>(now - b.last).count();
      b.tokens = std::min(burst_, b.tokens + dt * rps_);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double rps_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace

const TxKindRegistry& NodeTxKinds() { return economy::AllTxKinds(); }

int HttpStatusFor(const Status& s) {
  if (s.reason() == "rate_limited" || s.reason() == "quota_exceeded") return 429;
  if (s.reason() == "validation_changed") return 409;
  switch (s.code()) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kFailedPrecondition:
      return 422;
    case Code::kPermissionDenied:
      return 403;
    case Code::kResourceExhausted:
      return 413;
    case Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

class NodeServer::Impl {
 public:
  Impl(Chain* chain, ServerOptions opts, datanet::DatanetService* datanets)
      : chain_(chain),
        datanets_(datanets),
        opts_(std::move(opts)),
        limiter_(opts_.rate_limit_rps, opts_.rate_limit_burst),
        serve_(opts_.model_tool, opts_.serve_args,
               opts_.serve_log.empty()
                   ? (std::filesystem::path(opts_.models_dir).parent_path() / "serve.log")
                   : std::filesystem::path(opts_.serve_log)) {}

  void StartServing(const std::string& base) { serve_.Start(base); }

  Status Start() {
    int threads = opts_.threads;
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Uploads need the larger cap; every other route checks max_body_bytes itself.
    server_.set_payload_max_length(
        datanets_ ? std::max(opts_.max_body_bytes, opts_.max_upload_bytes) : opts_.max_body_bytes);
    server_.set_tcp_nodelay(true);
    // httplib's default adds SO_REUSEPORT, which would let a second node share our port.
    server_.set_socket_options([this](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_fd_ = sock;
    });  // small JSON answers must not wait for delayed ACKs
    TRIB_ASSIGN_OR_RETURN(cors_, http::CorsPolicy::Create(opts_.cors_origins));
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (cors_.Handle(req, res)) return httplib::Server::HandlerResponse::Handled;
      if (!limiter_.Allow(req.remote_addr)) {
        rate_limited_++;
        res.set_header("Retry-After", "1");
        SendError(res, 429, "rate_limited", "too many requests from " + req.remote_addr);
        return httplib::Server::HandlerResponse::Handled;
      }
      // httplib parses multipart/form-data bodies itself before any handler runs, with a parser
      // compiled into Debian's shared library (so not fuzzed with ours) that answers a malformed
      // body with a bare 400. With the Content-Type moved aside it reads the raw body, which the
      // upload routes parse with base/multipart.h. httplib owns the request as non-const; this
      // handler only gets a const view of it.
      auto& headers = const_cast<httplib::Request&>(req).headers;
      headers.erase(http::kFormContentTypeHeader);
      if (auto ct = headers.find("Content-Type");
          ct != headers.end() && IsMultipartFormData(ct->second)) {
        std::string value = std::move(ct->second);
        headers.erase(ct);
        headers.emplace(http::kFormContentTypeHeader, std::move(value));
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Errors produced by httplib itself (unknown route, body too large) get our JSON shape.
    server_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                                      httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 404) {
        SendError(res, 404, "unknown_route", "no route for " + req.method + " " + req.path);
      } else if (res.status == 413) {
        SendError(res, 413, "body_too_large", "request body exceeds the size limit");
      } else if (res.status == 405) {
        SendError(res, 405, "method_not_allowed", req.method + " is not allowed on " + req.path);
      } else {
        SendError(res, res.status, "http_error",
                  "request failed with HTTP " + std::to_string(res.status));
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
          std::string what = "unknown";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          SendError(res, 500, "internal", what);
        });
    if (opts_.settle_key && !opts_.payments_dir.empty()) {
      auto p = http::Payments::Open(chain_, opts_.payments_dir, *opts_.settle_key,
                                    opts_.settle_interval);
      if (!p.ok()) return p.status();
      payments_ = std::move(*p);
    }
    earnings_ = std::make_unique<http::EarningsIndex>(chain_);
    Routes();
    int port = opts_.port == 0 ? server_.bind_to_any_port(opts_.host)
                               : (server_.bind_to_port(opts_.host, opts_.port) ? opts_.port : -1);
    if (port < 0) {
      return Status::Unavailable("cannot listen on " + opts_.host + ":" +
                                     std::to_string(opts_.port) + " (address in use?)",
                                 "listen_failed");
    }
    port_ = port;
    // Debian's cpp-httplib listens with a backlog of 5: a burst of clients would wait a second
    // for SYN retransmits. Listening again on the bound socket raises it.
    if (listen_fd_ >= 0) ::listen(listen_fd_, 1024);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    if (!opts_.serve_base.empty()) serve_.Start(opts_.serve_base);
    return Status::OK();
  }

  void Stop() {
    serve_.Stop();
    server_.stop();
    if (thread_.joinable()) thread_.join();
    payments_.reset();
    earnings_.reset();
  }

  int port() const { return port_; }

 private:
  void Routes() {
    if (datanets_) {
      http::AddDatanetRoutes(server_, http::RouteContext{chain_, datanets_, &opts_});
    }
    http::AddModelRoutes(server_,
                         http::RouteContext{chain_, datanets_, &opts_, &serve_, &locator_});
    http::AddIndexRoutes(server_, http::RouteContext{chain_, datanets_, &opts_});
    http::AddGovernanceRoutes(server_, http::RouteContext{chain_, datanets_, &opts_});
    http::AddAgentRoutes(server_, http::RouteContext{chain_, datanets_, &opts_});
    http::AddAttributionRoutes(server_,
                               http::RouteContext{chain_, datanets_, &opts_, &serve_, &locator_});
    const http::RouteContext serving{chain_,  datanets_, &opts_,
                                     &serve_, &locator_, payments_.get()};
    http::AddOpenAiRoutes(server_, serving);
    http::AddPaymentRoutes(server_, serving, earnings_.get());
    server_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      SendJson(res, 200,
               {{"status", "ok"},
                {"height", chain_->height()},
                {"serving", serve_.started() ? serve_.State() : "off"}});
    });

    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      ChainMetrics m = chain_->Metrics();
      std::string out;
      auto metric = [&](const char* name, const char* type, const char* help,
                        const std::string& v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
               name + " " + v + "\n";
      };
      metric("tributary_block_height", "gauge", "Height of the latest committed block.",
             std::to_string(m.height));
      metric("tributary_blocks_committed_total", "counter", "Blocks committed by this process.",
             std::to_string(m.blocks_committed));
      metric("tributary_txs_committed_total", "counter", "Transactions committed by this process.",
             std::to_string(m.txs_committed));
      metric("tributary_txs_rejected_total", "counter", "Transactions refused or dropped.",
             std::to_string(m.txs_rejected));
      metric("tributary_mempool_size", "gauge", "Transactions waiting for a block.",
             std::to_string(m.mempool_size));
      metric("tributary_state_keys", "gauge",
             "Committed state entries; their Merkle tree is held in memory, the values in the "
             "database.",
             std::to_string(m.state_keys));
      metric("tributary_state_cache_hits_total", "counter", "State reads answered from memory.",
             std::to_string(m.state_cache_hits));
      metric("tributary_state_cache_misses_total", "counter",
             "State reads that went to the database.", std::to_string(m.state_cache_misses));
      metric("tributary_state_cache_bytes", "gauge", "State values held in memory.",
             std::to_string(m.state_cache_bytes));
      out +=
          "# HELP tributary_block_commit_seconds Time to build, sign and durably commit a block.\n"
          "# TYPE tributary_block_commit_seconds summary\n";
      out += "tributary_block_commit_seconds_sum " + std::to_string(m.commit_seconds_sum) + "\n";
      out += "tributary_block_commit_seconds_count " + std::to_string(m.commits) + "\n";
      metric("tributary_last_block_commit_seconds", "gauge", "Commit time of the latest block.",
             std::to_string(m.last_commit_seconds));
      metric("tributary_http_rate_limited_total", "counter", "Requests answered with 429.",
             std::to_string(rate_limited_.load()));
      out += http::ServeMetrics(&serve_);
      out += http::SettlementMetrics(opts_);
      res.set_content(out, "text/plain; version=0.0.4");
    });

    http::AddLedgerRoutes(server_, http::RouteContext{chain_, datanets_, &opts_});
    http::AddSettlementRoutes(server_, http::RouteContext{chain_, datanets_, &opts_});
    // Last: its catch-all GET route must not shadow any route above.
    http::AddWebRoutes(server_, http::RouteContext{chain_, datanets_, &opts_});
  }

  Chain* chain_;
  datanet::DatanetService* datanets_;
  ServerOptions opts_;
  RateLimiter limiter_;
  http::CorsPolicy cors_;
  http::ServeSupervisor serve_;
  economy::AdapterLocator locator_{opts_.models_dir};
  std::unique_ptr<http::Payments> payments_;  // null: this node settles no payments
  std::unique_ptr<http::EarningsIndex> earnings_;
  int listen_fd_ = -1;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<uint64_t> rate_limited_{0};
};

NodeServer::NodeServer(Chain* chain, ServerOptions options, datanet::DatanetService* datanets)
    : impl_(std::make_unique<Impl>(chain, std::move(options), datanets)) {}
NodeServer::~NodeServer() { Stop(); }
Status NodeServer::Start() { return impl_->Start(); }
void NodeServer::Stop() { impl_->Stop(); }
void NodeServer::StartServing(const std::string& base) { impl_->StartServing(base); }
int NodeServer::port() const { return impl_->port(); }

}  // namespace tributary
