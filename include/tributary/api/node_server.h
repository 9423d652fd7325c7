// The node's HTTP JSON API (cpp-httplib).
//
// Routes: POST /v1/tx, GET /v1/tx/{hash}, GET /v1/blocks, GET /v1/blocks/{height|latest},
// GET /v1/accounts/{address}[?prove=1], GET /v1/chain, GET /healthz, GET /metrics,
// GET /v1/settlement, and the Datanet routes under /v1/datanets and /v1/contributions
// (docs/datanets.md), and the model registry under /v1/models. Every other GET path is the web
// app's (ServerOptions::web_root). Every error is {"error":{"code":...,"message":...}} with a
// 4xx/5xx status. Request bodies have a size cap, JSON a nesting cap, and each client address a
// token-bucket rate limit answered with 429.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/ledger/chain.h"

namespace tributary::datanet {
class DatanetService;
}
namespace tributary::settlement {
class BridgeRelay;
class CommitmentPoster;
class RewardEpochs;
}  // namespace tributary::settlement

namespace tributary {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8645;  //!< 0 picks a free port
  size_t max_body_bytes = 1 << 20;
  size_t max_upload_bytes = 64 << 20;  //!< contribution uploads (files travel in the body)
  int max_json_depth = 32;
  double rate_limit_rps = 200;  //!< per client address; 0 disables
  double rate_limit_burst = 400;
  int threads = 64;  //!< HTTP threads; an OpenAI answer holds one for its whole length
  //! OpenAI answers in flight at once; more are refused at once with 429 "overloaded" and
  //! Retry-After, so that overload never queues connections behind busy threads (0: threads - 8).
  int max_answers = 0;
  std::chrono::milliseconds max_wait{30000};  //!< longest ?wait=commit
  //! Span-index shards (attribution/index_catalog.h) that GET /v1/index/status lists; empty:
  //! the route answers 503 index_unavailable.
  std::string index_dir;
  //! POST /v1/attribution runs `<model_tool> attribute --request -` (tributary-model, which
  //! loads libtorch; the node does not) with these directories; empty model_tool: 503.
  std::string model_tool;
  std::string models_dir;
  int attribution_workers = 2;  //!< concurrent attribution processes; more get 503 busy
  std::chrono::milliseconds attribution_timeout{300000};
  //! Serving (docs/serving.md): a base model directory served through the OpenAI routes by a
  //! resident `<model_tool> serve` worker; empty: none until StartServing.
  std::string serve_base;
  std::vector<std::string> serve_args;  //!< extra `serve` arguments (budgets)
  std::string serve_log;                //!< the worker's stderr; default models_dir/../serve.log
  std::string operator_token;           //!< Bearer token of the operator routes; empty: refused
  //! Paid answers (docs/payments.md): the key that signs inference.settle transactions (the
  //! chain's sequencer) and the directory of the payment journal. Without both, models with a
  //! price answer 503 payments_unavailable.
  std::optional<KeyPair> settle_key;
  std::string payments_dir;
  std::chrono::milliseconds settle_interval{200};
  //! Directory of the built web app (index.html, assets/) served at /; empty: none.
  std::string web_root;
  //! Web origins besides the node's own allowed to call the API from a browser ("*": any);
  //! others are refused anything but GET (src/api/cors.h). Start fails on a malformed one.
  std::vector<std::string> cors_origins;
  //! Posts block commitments to an EVM chain (docs/settlement.md); GET /v1/settlement and
  //! /metrics show its progress. Null: this node does not settle (the route answers 404). Not
  //! owned; must outlive the server.
  settlement::CommitmentPoster* commitments = nullptr;
  //! Relays the OPEN bridge (credits deposits, releases withdrawals); its progress is in
  //! GET /v1/settlement and withdrawals' proofs in GET /v1/bridge/withdrawals/{id}. Null: no
  //! bridge. Not owned; must outlive the server.
  settlement::BridgeRelay* bridge = nullptr;
  //! Closes and posts reward epochs (GET /v1/settlement shows it). Null: none. Not owned.
  settlement::RewardEpochs* rewards = nullptr;
};

//! The registry of every tx kind this node knows (the ledger's and, later, the other libraries').
const TxKindRegistry& NodeTxKinds();

//! Maps a Status to its HTTP status code.
int HttpStatusFor(const Status& status);

//! OK when every origin is well formed for ServerOptions::cors_origins; else InvalidArgument
//! "bad_cors_origin" naming it (what Start would fail with).
Status CheckCorsOrigins(const std::vector<std::string>& origins);

class NodeServer {
 public:
  //! `chain` (and `datanets`, when given: it serves the Datanet routes) must outlive the server.
  NodeServer(Chain* chain, ServerOptions options, datanet::DatanetService* datanets = nullptr);
  ~NodeServer();

  //! Binds and starts serving on background threads; fails if the address is taken.
  Status Start();
  //! Stops accepting and joins the serving threads.
  void Stop();
  //! The bound port (useful with port 0).
  int port() const;
  //! Starts serving `base` through the OpenAI routes (a no-op when already serving).
  void StartServing(const std::string& base);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary
