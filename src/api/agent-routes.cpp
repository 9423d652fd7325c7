// Agents and slash reports: reads of committed state. Registration, budgets, exits, reports and
// decisions are txs (POST /v1/tx) with the kinds in economy/agents.h.
#include "http.h"
#include "tributary/economy/agents.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxPage = 200;

}  // namespace

void AddAgentRoutes(httplib::Server& server, const RouteContext& ctx) {
  Chain* chain = ctx.chain;

  // In registration order; ?owner=ADDR keeps one owner's agents.
  server.Get("/v1/agents", [=](const httplib::Request& req, httplib::Response& res) {
    auto offset = UintParam(req, "offset", 0, UINT64_MAX);
    auto limit = UintParam(req, "limit", 50, kMaxPage);
    if (!offset.ok()) return SendStatus(res, offset.status());
    if (!limit.ok()) return SendStatus(res, limit.status());
    std::optional<Address> owner;
    if (req.has_param("owner")) {
      auto o = Address::Parse(req.get_param_value("owner"));
      if (!o.ok()) return SendStatus(res, o.status().WithContext("owner"));
      owner = *o;
    }
    json list = json::array();
    uint64_t total = 0, height = 0;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      height = head;
      TRIB_ASSIGN_OR_RETURN(total, economy::LoadAgentCount(st));
      uint64_t skipped = 0;
      for (uint64_t i = 0; i < total && list.size() < *limit; ++i) {
        TRIB_ASSIGN_OR_RETURN(Address a, economy::LoadAgentAt(st, i));
        TRIB_ASSIGN_OR_RETURN(auto agent, economy::LoadAgent(st, a));
        if (!agent) return Status::Corruption("a listed agent is missing");
        if (owner && agent->owner != *owner) continue;
        if (skipped++ < *offset) continue;
        list.push_back(agent->ToJson());
      }
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, {{"height", height}, {"total", total}, {"agents", list}});
  });

  server.Get(R"(/v1/agents/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    auto addr = Address::Parse(req.matches[1].str());
    if (!addr.ok()) return SendStatus(res, addr.status());
    json out;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      TRIB_ASSIGN_OR_RETURN(auto agent, economy::LoadAgent(st, *addr));
      if (!agent) {
        return Status::NotFound(addr->ToString() + " is not an agent", "unknown_agent");
      }
      out = agent->ToJson();
      out["headroom_today"] = [&] {
        const Amount room = agent->Headroom(agent->spent_day);
        return room == kAmountMax ? json(nullptr) : json(AmountToString(room));
      }();
      out["height"] = head;
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, out);
  });

  // Newest first; ?status=open|upheld|dismissed.
  server.Get("/v1/reports", [=](const httplib::Request& req, httplib::Response& res) {
    auto offset = UintParam(req, "offset", 0, UINT64_MAX);
    auto limit = UintParam(req, "limit", 50, kMaxPage);
    if (!offset.ok()) return SendStatus(res, offset.status());
    if (!limit.ok()) return SendStatus(res, limit.status());
    const std::string want = req.get_param_value("status");
    if (!want.empty() && want != "open" && want != "upheld" && want != "dismissed") {
      return SendError(res, 400, "bad_param", "status must be open, upheld or dismissed");
    }
    json list = json::array();
    uint64_t total = 0, height = 0;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      height = head;
      TRIB_ASSIGN_OR_RETURN(total, economy::LoadReportCount(st));
      uint64_t skipped = 0;
      for (uint64_t id = total; id >= 1 && list.size() < *limit; --id) {
        TRIB_ASSIGN_OR_RETURN(auto r, economy::LoadReport(st, id));
        if (!r) return Status::Corruption("report " + std::to_string(id) + " is missing");
        if (!want.empty() && economy::ReportStatusName(r->status) != want) continue;
        if (skipped++ < *offset) continue;
        list.push_back(r->ToJson());
      }
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, {{"height", height}, {"total", total}, {"reports", list}});
  });

  server.Get(R"(/v1/reports/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    auto id = ParseUint(req.matches[1].str(), "report id");
    if (!id.ok()) return SendStatus(res, id.status());
    json out;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      TRIB_ASSIGN_OR_RETURN(auto r, economy::LoadReport(st, *id));
      if (!r) return Status::NotFound("no report " + std::to_string(*id), "unknown_report");
      out = r->ToJson();
      out["height"] = head;
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, out);
  });
}

}  // namespace tributary::http
