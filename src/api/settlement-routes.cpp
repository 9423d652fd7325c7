// GET /v1/settlement and the settlement gauges of /metrics (docs/settlement.md).
#include "http.h"
#include "tributary/settlement/commitment_poster.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

json Opt(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }
std::string Hex0x(const Hash32& h) { return "0x" + ToHex(h); }

json CommitmentsJson(const settlement::CommitmentPosterStats& s) {
  json last = nullptr;
  if (s.last_posted) {
    const settlement::PostedRecord& p = *s.last_posted;
    last = {{"height", p.height},
            {"block_hash", ToHex(p.block_hash)},
            {"state_root", ToHex(p.state_root)},
            {"tx_hash", p.tx_hash ? json(Hex0x(*p.tx_hash)) : json(nullptr)},
            {"gas_used", Opt(p.gas_used)},
            {"evm_block", Opt(p.evm_block)},
            {"effective_gas_price",
             p.effective_gas_price ? json(p.effective_gas_price->ToString()) : json(nullptr)},
            {"posted_at_ms", p.posted_at_ms}};
  }
  json error = nullptr;
  if (s.last_error) {
    error = {{"code", s.last_error->reason()},
             {"message", s.last_error->message()},
             {"at_ms", s.last_error_at_ms}};
  }
  return {{"state", settlement::StateName(s.state)},
          {"contract", s.contract.ToChecksumString()},
          {"sender", s.sender.ToChecksumString()},
          {"every", s.every},
          {"evm_chain_id", Opt(s.evm_chain_id)},
          {"contract_height", Opt(s.contract_height)},
          {"chain_height", s.chain_height},
          {"backlog", Opt(s.backlog)},
          {"in_flight_height", Opt(s.in_flight_height)},
          {"last_posted", last},
          {"posts", s.posts},
          {"gas_used_total", s.gas_used_total},
          {"replacements", s.replacements},
          {"errors", s.errors},
          {"last_error", error}};
}

}  // namespace

void AddSettlementRoutes(httplib::Server& server, const RouteContext& ctx) {
  settlement::CommitmentPoster* poster = ctx.opts->commitments;
  server.Get("/v1/settlement", [poster](const httplib::Request&, httplib::Response& res) {
    if (poster == nullptr) {
      return SendError(res, 404, "settlement_off",
                       "this node does not settle to an EVM chain (start it with --settle-rpc, "
                       "--settle-key, --settle-every and --settle-commitments)");
    }
    // Room beside "commitments" for reward epochs and the bridge.
    SendJson(res, 200, {{"commitments", CommitmentsJson(poster->stats())}});
  });
}

std::string SettlementMetrics(const ServerOptions& opts) {
  if (opts.commitments == nullptr) return "";
  const settlement::CommitmentPosterStats s = opts.commitments->stats();
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(v) + "\n";
  };
  metric("tributary_settlement_up", "gauge",
         "Whether the commitment poster's last step succeeded (1) or it is retrying (0).",
         s.state == settlement::CommitmentPosterStats::State::kOk ? 1 : 0);
  metric("tributary_settlement_contract_height", "gauge",
         "Latest height committed on the EVM contract, as last seen.",
         s.contract_height.value_or(0));
  metric("tributary_settlement_backlog", "gauge", "Commitments due but not yet posted.",
         s.backlog.value_or(0));
  metric("tributary_settlement_last_gas_used", "gauge", "Gas used by the latest commitment post.",
         s.last_posted ? s.last_posted->gas_used.value_or(0) : 0);
  metric("tributary_settlement_posts_total", "counter", "Commitments posted by this process.",
         s.posts);
  metric("tributary_settlement_gas_used_total", "counter",
         "Gas used by the commitments posted by this process.", s.gas_used_total);
  metric("tributary_settlement_replacements_total", "counter",
         "Stuck commitment transactions replaced by the same nonce.", s.replacements);
  metric("tributary_settlement_errors_total", "counter",
         "Errors of the commitment poster (each retry counts).", s.errors);
  return out;
}

}  // namespace tributary::http
