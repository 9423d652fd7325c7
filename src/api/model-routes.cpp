// The model registry routes: register a model (a signed model.register tx), list the registry,
// and show one model with its lineage (base, Datanet versions with their contributors, config,
// metrics, price).
//
// GET /v1/models is the registry listing and also the path of the OpenAI "list models" call that
// serving will answer. The two are one route, not two that collide: the answer already carries
// the OpenAI fields (`object: "list"`, `data: [{id, object: "model", created, owned_by,
// parent}]`) next to the registry's own `models`, and serving extends it (base models, loaded
// adapters) rather than adding a second handler. OpenAI model ids are "tributary-model-<id>":
// names are not unique, ids are; `parent` is the base model's content hash (hex), the only
// identity of a base model the ledger records. GET /v1/models/{id} takes "<id>" or
// "tributary-model-<id>".
#include "api/serve-supervisor.h"
#include "http.h"
#include "tributary/economy/contributor-tally.h"
#include "tributary/economy/kinds.h"
#include "tributary/economy/models.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxPage = 1000;

Result<economy::Model> GetModel(Chain* chain, uint64_t id) {
  std::optional<economy::Model> m;
  TRIB_RETURN_IF_ERROR(
      chain->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        TRIB_ASSIGN_OR_RETURN(m, economy::LoadModel(s, id));
        return Status::OK();
      }));
  if (!m) return Status::NotFound("no model " + std::to_string(id), "unknown_model");
  return std::move(*m);
}

json LineageOf(const economy::Model& m, const std::vector<economy::DataLineage>& data) {
  json list = json::array();
  for (const auto& l : data) list.push_back(economy::LineageJson(l));
  json metrics = json::parse(m.metrics, nullptr, false);
  return json{{"base", {{"hash", ToHex(m.base_hash)}}},
              {"adapter", {{"hash", ToHex(m.adapter_hash)}}},
              {"data", list},
              {"config", {{"hash", ToHex(m.config_hash)}}},
              {"metrics", metrics.is_discarded() ? json::object() : metrics},
              {"price_per_1k_tokens", AmountToString(m.price_per_1k_tokens)}};
}

}  // namespace

void AddModelRoutes(httplib::Server& server, const RouteContext& ctx) {
  Chain* chain = ctx.chain;
  const ServerOptions* opts = ctx.opts;
  ServeSupervisor* serve = ctx.serve;
  // Lineage contributors: tallied once per Datanet version length, in short slices of the chain
  // lock, instead of every accepted contribution under one lock on every request.
  auto tally = std::make_shared<economy::ContributorTally>(
      [chain](const std::function<Status(const StateReader&)>& fn) {
        return chain->ReadState(
            [&](const StateReader& s, const StateReader&, const BlockHeader&) { return fn(s); });
      });

  // Register: the body is a signed model.register tx (or {"tx": ...}); answers 201 with the
  // model once the tx is committed.
  server.Post("/v1/models", [=](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req, res, opts->max_json_depth, opts->max_body_bytes);
    if (!body) return;
    auto tx = SignedTx(*body, economy::kRegisterModelKind);
    if (!tx.ok()) return SendStatus(res, tx.status());
    auto l = SubmitAndWait(chain, *tx, opts->max_wait);
    if (!l.ok()) return SendStatus(res, l.status());
    auto id = EventId(l->receipt, "model.registered", "model");
    if (id) {
      auto m = GetModel(chain, *id);
      if (!m.ok()) return SendStatus(res, m.status());
      return SendJson(
          res, 201,
          {{"model", m->ToJson()}, {"tx", ToHex(l->receipt.tx_hash)}, {"height", l->height}});
    }
    SendError(res, 500, "internal", "model.registered event missing from the receipt");
  });

  // The registry listing (see the top of this file for the OpenAI fields). ?from=ID&limit=N pages
  // by id; ?adapter_hash=HEX finds the model registered for that adapter (an empty list if none).
  server.Get("/v1/models", [=](const httplib::Request& req, httplib::Response& res) {
    auto first = UintParam(req, "from", 1, UINT64_MAX);
    if (!first.ok()) return SendStatus(res, first.status());
    auto limit = UintParam(req, "limit", 100, kMaxPage);
    if (!limit.ok()) return SendStatus(res, limit.status());
    std::optional<Hash32> adapter;
    if (req.has_param("adapter_hash")) {
      auto h = ParseHash(req.get_param_value("adapter_hash"), "adapter_hash");
      if (!h.ok()) return SendStatus(res, h.status());
      adapter = *h;
    }
    std::vector<economy::Model> list;
    uint64_t count = 0;
    Status s = chain->ReadState([&](const StateReader& st, const StateReader&, const BlockHeader&) {
      TRIB_ASSIGN_OR_RETURN(count, economy::LoadModelCount(st));
      if (adapter) {
        TRIB_ASSIGN_OR_RETURN(auto id, economy::LoadModelIdByAdapter(st, *adapter));
        if (!id) return Status::OK();
        TRIB_ASSIGN_OR_RETURN(auto m, economy::LoadModel(st, *id));
        if (!m) return Status::Corruption("model " + std::to_string(*id) + " is missing");
        list.push_back(std::move(*m));
        return Status::OK();
      }
      for (uint64_t id = std::max<uint64_t>(*first, 1); id <= count && list.size() < *limit; ++id) {
        TRIB_ASSIGN_OR_RETURN(auto m, economy::LoadModel(st, id));
        if (!m) return Status::Corruption("model " + std::to_string(id) + " is missing");
        list.push_back(std::move(*m));
      }
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    json data = json::array(), models = json::array();
    // The base this node serves comes first (it has no registry entry; `parent` null).
    auto ep = serve ? serve->Ready() : std::nullopt;
    if (ep && !adapter && *first <= 1) {
      data.push_back({{"id", ep->base_name},
                      {"object", "model"},
                      {"created", 0},
                      {"owned_by", "tributary"},
                      {"parent", nullptr},
                      {"tributary",
                       {{"base_hash", ToHex(ep->base_hash)},
                        {"context_length", ep->context_length},
                        {"price_per_1k_tokens", "0"}}}});
    }
    for (const auto& m : list) {
      json entry = m.ToOpenAiJson();
      if (ep && m.base_hash == ep->base_hash) entry["parent"] = ep->base_name;
      data.push_back(std::move(entry));
      models.push_back(m.ToJson());
    }
    SendJson(res, 200, {{"object", "list"}, {"data", data}, {"models", models}, {"total", count}});
  });

  // One model with its lineage.
  server.Get(R"(/v1/models/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    auto id = economy::ParseModelId(req.matches[1].str());
    if (!id.ok()) return SendStatus(res, id.status());
    std::optional<economy::Model> m;
    std::vector<economy::DataLineage> lineage;
    Status s = chain->ReadState([&](const StateReader& st, const StateReader&, const BlockHeader&) {
      TRIB_ASSIGN_OR_RETURN(m, economy::LoadModel(st, *id));
      if (!m) return Status::OK();
      TRIB_ASSIGN_OR_RETURN(lineage, economy::LoadLineage(st, *m, /*with_contributors=*/false));
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    if (!m) return SendError(res, 404, "unknown_model", "no model " + std::to_string(*id));
    for (auto& l : lineage) {
      auto contributors = tally->Contributors(l.version);
      if (!contributors.ok()) return SendStatus(res, contributors.status());
      l.contributors = std::move(*contributors);
    }
    json out = m->ToJson();
    out["lineage"] = LineageOf(*m, lineage);
    SendJson(res, 200, out);
  });
}

}  // namespace tributary::http
