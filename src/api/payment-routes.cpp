// The routes of payable inference (docs/payments.md):
//   GET /v1/receipts/{request_id}          the settled receipt with a proof against a block
//   GET /v1/accounts/{address}/earnings    totals (ledger state) and their breakdown (an index)
//   GET /v1/accounts/{address}/apikeys     the account's API keys (hashes, limits, spending)
//   GET /v1/accounts/{address}/receipts    the answers it recently paid for or earned from (index)
//   GET /v1/earners                        top earners and the totals over all answers (index)
#include "api/earnings-index.h"
#include "api/http.h"
#include "tributary/economy/inference.h"
#include "tributary/economy/receipt_proof.h"
#include "tributary/ledger/verify.h"

namespace tributary::http {

using json = nlohmann::json;

void AddPaymentRoutes(httplib::Server& server, const RouteContext& ctx, EarningsIndex* earnings) {
  Chain* chain = ctx.chain;
  server.Get(
      R"(/v1/receipts/([^/]+))", [chain](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        Status bad = economy::CheckRequestId(id);
        if (!bad.ok()) return SendStatus(res, bad);
        const std::string key = economy::ReceiptKey(id);
        auto lookup = chain->GetState(key, true);
        if (!lookup.ok()) return SendStatus(res, lookup.status());
        if (!lookup->value) {
          return SendError(res, 404, "receipt_not_found",
                           "no settled receipt for request " + id +
                               " (a paid answer's receipt settles in the next block or two)");
        }
        auto settled = economy::SettledReceipt::Decode(*lookup->value);
        if (!settled.ok()) return SendStatus(res, Status::Corruption(settled.status().message()));
        json out = economy::SettledReceiptMembers(*settled);
        out["proof"] = StateProofJson(key, *lookup);
        SendJson(res, 200, out);
      });

  server.Get(R"(/v1/accounts/([^/]+)/earnings)", [chain, earnings](const httplib::Request& req,
                                                                   httplib::Response& res) {
    auto addr = Address::Parse(req.matches[1].str());
    if (!addr.ok()) {
      return SendError(res, 400, "bad_address", "not an address: " + req.matches[1].str());
    }
    economy::Earnings totals;
    uint64_t height = 0;
    Status s = chain->ReadState(
        [&](const StateReader& committed, const StateReader&, const BlockHeader& head) {
          height = head.height;
          TRIB_ASSIGN_OR_RETURN(totals, economy::LoadEarnings(committed, *addr));
          return Status::OK();
        });
    if (!s.ok()) return SendStatus(res, s);
    json out = earnings->Breakdown(*addr);
    out["account"] = addr->ToString();
    out["total"] = AmountToString(totals.total);
    out["height"] = height;
    SendJson(res, 200, out);
  });

  server.Get(R"(/v1/accounts/([^/]+)/receipts)", [earnings](const httplib::Request& req,
                                                            httplib::Response& res) {
    auto addr = Address::Parse(req.matches[1].str());
    if (!addr.ok()) {
      return SendError(res, 400, "bad_address", "not an address: " + req.matches[1].str());
    }
    auto limit = PositiveParam(req, "limit", 50, EarningsIndex::kMaxRecentReceipts);
    if (!limit.ok()) return SendStatus(res, limit.status());
    json out = earnings->RecentReceipts(*addr, *limit);
    out["account"] = addr->ToString();
    SendJson(res, 200, out);
  });

  server.Get("/v1/earners", [earnings](const httplib::Request& req, httplib::Response& res) {
    constexpr uint64_t kMaxEarnersPage = 100;
    auto limit = PositiveParam(req, "limit", 10, kMaxEarnersPage);
    if (!limit.ok()) return SendStatus(res, limit.status());
    SendJson(res, 200, earnings->Earners(*limit));
  });

  server.Get(R"(/v1/accounts/([^/]+)/apikeys)", [chain](const httplib::Request& req,
                                                        httplib::Response& res) {
    auto addr = Address::Parse(req.matches[1].str());
    if (!addr.ok()) {
      return SendError(res, 400, "bad_address", "not an address: " + req.matches[1].str());
    }
    json keys = json::array();
    Status s =
        chain->ReadState([&](const StateReader&, const StateReader& pending, const BlockHeader&) {
          TRIB_ASSIGN_OR_RETURN(auto list, economy::LoadOwnerApiKeys(pending, *addr));
          for (const auto& k : list) keys.push_back(k.ToJson());
          return Status::OK();
        });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, {{"owner", addr->ToString()}, {"keys", keys}});
  });
}

}  // namespace tributary::http
