// Governance and staking reads: the protocol's parameters, proposals with their tallies, an
// account's voting power and the staking pool with what a staker can claim. Changes go through
// the governance tx kinds (POST /v1/tx); these routes only read committed state.
#include <set>

#include "http.h"
#include "tributary/economy/governance.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/staking.h"
#include "tributary/ledger/votes.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxPage = 200;

// A parameter as the next block (the one a tx sent now lands in) applies it.
Result<json> ParamJson(const StateReader& s, const ParamSpec& spec, uint64_t head) {
  TRIB_ASSIGN_OR_RETURN(ParamValue v, LoadParam(s, spec, head + 1));
  json j = {{"name", spec.name},
            {"value", AmountToString(v.value)},
            {"unit", ParamUnitName(spec.unit)},
            {"default", AmountToString(spec.default_value)},
            {"min", AmountToString(spec.min_value)},
            {"max", AmountToString(spec.max_value)},
            {"description", spec.description},
            {"is_default", v.is_default},
            {"since_height", v.since_height}};
  if (v.record && v.since_height > 0) j["previous"] = AmountToString(v.record->previous);
  return j;
}

}  // namespace

void AddGovernanceRoutes(httplib::Server& server, const RouteContext& ctx) {
  Chain* chain = ctx.chain;

  server.Get("/v1/params", [=](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    uint64_t height = 0;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      height = head;
      for (const auto& [name, spec] : economy::ProtocolParams().all()) {
        TRIB_ASSIGN_OR_RETURN(json j, ParamJson(st, spec, head));
        list.push_back(std::move(j));
      }
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, {{"height", height}, {"params", list}});
  });

  server.Get(R"(/v1/params/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    auto spec = economy::ProtocolParams().Require(req.matches[1].str());
    if (!spec.ok()) {
      return SendStatus(res, Status::NotFound(spec.status().message(), "unknown_param"));
    }
    json out;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      TRIB_ASSIGN_OR_RETURN(out, ParamJson(st, **spec, head));
      out["height"] = head;
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, out);
  });

  // Newest first; ?state= filters (pending, active, succeeded, defeated, executed, canceled).
  server.Get("/v1/proposals", [=](const httplib::Request& req, httplib::Response& res) {
    auto offset = UintParam(req, "offset", 0, UINT64_MAX);
    auto limit = UintParam(req, "limit", 50, kMaxPage);
    if (!offset.ok()) return SendStatus(res, offset.status());
    if (!limit.ok()) return SendStatus(res, limit.status());
    const std::string want = req.get_param_value("state");
    static const std::set<std::string> kStates = {"pending",  "active",    "canceled",
                                                  "defeated", "succeeded", "executed"};
    if (!want.empty() && !kStates.count(want)) {
      return SendError(res, 400, "bad_param",
                       "state must be one of pending, active, succeeded, defeated, executed, "
                       "canceled");
    }
    json list = json::array();
    uint64_t total = 0, height = 0;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      height = head;
      TRIB_ASSIGN_OR_RETURN(total, economy::LoadProposalCount(st));
      uint64_t skipped = 0;
      for (uint64_t id = total; id >= 1 && list.size() < *limit; --id) {
        TRIB_ASSIGN_OR_RETURN(auto p, economy::LoadProposal(st, id));
        if (!p) return Status::Corruption("proposal " + std::to_string(id) + " is missing");
        // Votes in the next block are what a caller can still send.
        json j = p->ToJson(head + 1);
        if (!want.empty() && j["state"] != want) continue;
        if (skipped++ < *offset) continue;
        list.push_back(std::move(j));
      }
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, {{"height", height}, {"total", total}, {"proposals", list}});
  });

  // One proposal; ?voter=ADDR adds that account's ballot (or null).
  server.Get(R"(/v1/proposals/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    auto id = ParseUint(req.matches[1].str(), "proposal id");
    if (!id.ok()) return SendStatus(res, id.status());
    std::optional<Address> voter;
    if (req.has_param("voter")) {
      auto v = Address::Parse(req.get_param_value("voter"));
      if (!v.ok()) return SendStatus(res, v.status().WithContext("voter"));
      voter = *v;
    }
    json out;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      TRIB_ASSIGN_OR_RETURN(auto p, economy::LoadProposal(st, *id));
      if (!p) return Status::NotFound("no proposal " + std::to_string(*id), "unknown_proposal");
      out = p->ToJson(head + 1);
      out["height"] = head;
      if (voter) {
        TRIB_ASSIGN_OR_RETURN(auto b, economy::LoadBallot(st, *id, *voter));
        out["ballot"] = b ? json{{"voter", voter->ToString()},
                                 {"support", economy::VoteSupportName(b->support)},
                                 {"weight", AmountToString(b->weight)}}
                          : json(nullptr);
      }
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, out);
  });

  // An account's voting: its own weight, whom it delegates to, and the votes delegated to it.
  server.Get(R"(/v1/accounts/([^/]+)/votes)",
             [=](const httplib::Request& req, httplib::Response& res) {
               auto addr = Address::Parse(req.matches[1].str());
               if (!addr.ok()) return SendStatus(res, addr.status());
               json out;
               Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
                 TRIB_ASSIGN_OR_RETURN(Amount weight, VotingWeight(st, *addr));
                 TRIB_ASSIGN_OR_RETURN(auto delegate, LoadDelegate(st, *addr));
                 TRIB_ASSIGN_OR_RETURN(Amount votes, CurrentVotes(st, *addr));
                 out = {{"address", addr->ToString()},
                        {"weight", AmountToString(weight)},
                        {"delegate", delegate ? json(delegate->ToString()) : json(nullptr)},
                        {"votes", AmountToString(votes)},
                        {"height", head}};
                 return Status::OK();
               });
               if (!s.ok()) return SendStatus(res, s);
               SendJson(res, 200, out);
             });

  // The staking pool; ?account=ADDR adds that staker's stake and claimable rewards.
  server.Get("/v1/staking", [=](const httplib::Request& req, httplib::Response& res) {
    std::optional<Address> who;
    if (req.has_param("account")) {
      auto a = Address::Parse(req.get_param_value("account"));
      if (!a.ok()) return SendStatus(res, a.status().WithContext("account"));
      who = *a;
    }
    json out;
    Status s = ReadCommitted(chain, [&](const StateReader& st, uint64_t head) {
      TRIB_ASSIGN_OR_RETURN(StakingPool pool, LoadStakingPool(st));
      TRIB_ASSIGN_OR_RETURN(Account pool_account, LoadAccount(st, StakingPoolAddress()));
      TRIB_ASSIGN_OR_RETURN(
          Amount share, economy::ProtocolParam(st, economy::kStakingRewardShareParam, head + 1));
      out = {{"height", head},
             {"pool_address", StakingPoolAddress().ToString()},
             {"pool_balance", AmountToString(pool_account.balance)},
             {"total_staked", AmountToString(pool.total_staked)},
             {"distributed", AmountToString(pool.distributed)},
             {"claimed", AmountToString(pool.claimed)},
             {"reward_share_ppm", AmountToString(share)}};
      if (who) {
        TRIB_ASSIGN_OR_RETURN(Account a, LoadAccount(st, *who));
        TRIB_ASSIGN_OR_RETURN(StakerRecord rec, LoadStakerRecord(st, *who));
        TRIB_ASSIGN_OR_RETURN(Amount claimable, ClaimableStakingRewards(st, *who));
        out["account"] = {{"address", who->ToString()},
                          {"staked", AmountToString(a.staked)},
                          {"counted_stake", AmountToString(rec.counted)},
                          {"claimable", AmountToString(claimable)}};
      }
      return Status::OK();
    });
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, 200, out);
  });
}

}  // namespace tributary::http
