// Helpers shared by the node's HTTP route files (internal to the api library).
#pragma once

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tributary/api/node_server.h"
#include "tributary/base/status.h"
#include "tributary/datanet/service.h"
#include "tributary/ledger/chain.h"

namespace tributary::http {

//! Where the node puts a multipart/form-data request's Content-Type before httplib reads the
//! body, so that httplib keeps the body raw and the route parses it (ParseMultipartForm).
inline constexpr char kFormContentTypeHeader[] = "X-Tributary-Form-Content-Type";

void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
void SendError(httplib::Response& res, int status, const std::string& code, const std::string& msg);
//! {"error":{"code": reason, "message"}}.
nlohmann::json ErrorJson(const Status& s);
//! The status as {"error":{...}} with HttpStatusFor's code.
void SendStatus(httplib::Response& res, const Status& s);

//! Parses a JSON body with a nesting cap and a size cap; on failure writes the error response.
std::optional<nlohmann::json> ParseBody(const httplib::Request& req, httplib::Response& res,
                                        int max_depth, size_t max_bytes);

//! A query parameter as an unsigned integer (default when absent); InvalidArgument otherwise.
Result<uint64_t> UintParam(const httplib::Request& req, const char* name, uint64_t dflt,
                           uint64_t max);
//! A query parameter as an integer in [1, max] (default when absent): page sizes and exclusive
//! upper bounds. InvalidArgument ("bad_param", naming the parameter) otherwise.
Result<uint64_t> PositiveParam(const httplib::Request& req, const char* name, uint64_t dflt,
                               uint64_t max);
//! A path segment as an unsigned integer.
Result<uint64_t> ParseUint(const std::string& text, const char* what);
Result<Hash32> ParseHash(const std::string& text, const char* what);

//! Runs `fn` with the committed state and the head block's height (Chain::ReadState).
Status ReadCommitted(Chain* chain,
                     const std::function<Status(const StateReader&, uint64_t head)>& fn);

//! Submits `tx`, waits up to `wait` for its block and returns its receipt. A failed receipt
//! becomes the error it records (reason taken from the receipt's error text).
Result<TxLookup> SubmitAndWait(Chain* chain, const Transaction& tx, std::chrono::milliseconds wait);

//! A signed tx from a route's body (the whole body, or its "tx" member) of the expected kind;
//! InvalidArgument "wrong_kind" for another kind.
Result<Transaction> SignedTx(const nlohmann::json& body, std::string_view kind);

//! The numeric attribute `attr` of the first event `type` in `receipt` (ids the kinds assign).
std::optional<uint64_t> EventId(const Receipt& receipt, std::string_view type,
                                std::string_view attr);

class ServeSupervisor;
class Payments;
}  // namespace tributary::http

namespace tributary::economy {
class AdapterLocator;
}

namespace tributary::http {

//! What route files need from the server.
struct RouteContext {
  Chain* chain;
  datanet::DatanetService* datanets;
  const ServerOptions* opts;
  ServeSupervisor* serve = nullptr;  //!< the serving worker; null when the node serves no base
  economy::AdapterLocator* locator = nullptr;  //!< registered adapters' files by content hash
  Payments* payments = nullptr;  //!< paid answers; null when the node cannot settle them
};

//! /v1/chain, /v1/tx, /v1/tx/{hash}, /v1/blocks, /v1/blocks/{height}, /v1/accounts/{address}
//! (ledger-routes.cpp).
void AddLedgerRoutes(httplib::Server& server, const RouteContext& ctx);
//! The Datanet routes (datanet-routes.cpp).
void AddDatanetRoutes(httplib::Server& server, const RouteContext& ctx);
//! The model registry routes (model-routes.cpp); they need only ctx.chain.
void AddModelRoutes(httplib::Server& server, const RouteContext& ctx);
//! GET /v1/index/status (index-routes.cpp).
void AddIndexRoutes(httplib::Server& server, const RouteContext& ctx);
//! The attribution of one answer ({"model", "prompt", "output", ...} as POST /v1/attribution
//! takes) in the serving worker, as (HTTP status, JSON body); nullopt when the worker cannot take
//! it (none running, a model on another base or whose files are not here).
std::optional<std::pair<int, nlohmann::json>> AttributeInEngine(const RouteContext& ctx,
                                                                const nlohmann::json& body);
//! POST /v1/attribution (attribution-routes.cpp).
void AddAttributionRoutes(httplib::Server& server, const RouteContext& ctx);
//! The OpenAI completion routes and the operator's adapter routes (openai-routes.cpp).
void AddOpenAiRoutes(httplib::Server& server, const RouteContext& ctx);
//! Parameters, proposals, voting power and the staking pool (governance-routes.cpp).
void AddGovernanceRoutes(httplib::Server& server, const RouteContext& ctx);
//! Agents and slash reports (agent-routes.cpp).
void AddAgentRoutes(httplib::Server& server, const RouteContext& ctx);
class EarningsIndex;
//! Receipts, earnings and API key listings (payment-routes.cpp).
void AddPaymentRoutes(httplib::Server& server, const RouteContext& ctx, EarningsIndex* earnings);
//! The web app in ServerOptions::web_root at / (web-routes.cpp): a catch-all GET route, so it is
//! added after every other route.
void AddWebRoutes(httplib::Server& server, const RouteContext& ctx);
//! The serving worker's Prometheus text, "" when it is not up (openai-routes.cpp).
std::string ServeMetrics(ServeSupervisor* serve);
//! GET /v1/settlement: the commitment poster's progress (settlement-routes.cpp).
void AddSettlementRoutes(httplib::Server& server, const RouteContext& ctx);
//! The commitment poster's Prometheus gauges, "" when the node does not settle.
std::string SettlementMetrics(const ServerOptions& opts);

}  // namespace tributary::http
