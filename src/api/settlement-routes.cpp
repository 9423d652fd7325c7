// GET /v1/settlement, the bridge's withdrawals and deposits, and the settlement gauges of
// /metrics (docs/settlement.md).
#include "http.h"
#include "tributary/economy/bridge.h"
#include "tributary/settlement/bridge_relay.h"
#include "tributary/settlement/commitment_poster.h"
#include "tributary/settlement/reward_epochs.h"

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

json BridgeJson(const settlement::BridgeRelayStats& s) {
  json last_deposit = nullptr;
  if (s.last_deposit_credited) {
    const settlement::DepositedEvent& d = *s.last_deposit_credited;
    last_deposit = {{"deposit_id", d.deposit_id},      {"from", d.from.ToChecksumString()},
                    {"account", d.account.ToString()}, {"amount", d.amount.ToString()},
                    {"evm_block", d.evm_block},        {"evm_tx", Hex0x(d.tx_hash)}};
  }
  return {{"contract", s.bridge.ToChecksumString()},
          {"confirmations", s.confirmations},
          {"scanned_to_evm_block", s.scanned_to},
          {"credits_submitted", s.credits_submitted},
          {"last_deposit_credited", last_deposit},
          {"withdrawals_proven", s.withdrawals_proven},
          {"withdrawals_released", s.released.size()},
          {"releases", s.releases},
          {"release_gas_total", s.release_gas_total},
          {"last_released_id", Opt(s.last_released_id)},
          {"last_release_tx", s.last_release_tx ? json(Hex0x(*s.last_release_tx)) : json(nullptr)},
          {"last_release_gas", Opt(s.last_release_gas)}};
}

json RewardsJson(const settlement::RewardEpochsStats& s) {
  json last = nullptr;
  if (s.last_posted) {
    last = {{"epoch", s.last_posted->epoch},
            {"root", Hex0x(s.last_posted->root)},
            {"total", AmountToString(s.last_posted->total)},
            {"leaves", s.last_posted->leaves},
            {"tx_hash", s.last_post_tx ? json(Hex0x(*s.last_post_tx)) : json(nullptr)},
            {"gas_used", Opt(s.last_post_gas)}};
  }
  return {{"contract", s.distributor.ToChecksumString()},
          {"epoch_blocks", s.epoch_blocks},
          {"open_epoch", s.open_epoch},
          {"contract_last_epoch", Opt(s.contract_last_epoch)},
          {"closes_submitted", s.closes_submitted},
          {"epochs_posted", s.epochs_posted},
          {"post_gas_total", s.post_gas_total},
          {"last_posted", last}};
}

}  // namespace

void AddSettlementRoutes(httplib::Server& server, const RouteContext& ctx) {
  settlement::CommitmentPoster* poster = ctx.opts->commitments;
  settlement::BridgeRelay* bridge = ctx.opts->bridge;
  settlement::RewardEpochs* rewards = ctx.opts->rewards;
  server.Get(
      "/v1/settlement", [poster, bridge, rewards](const httplib::Request&, httplib::Response& res) {
        if (poster == nullptr) {
          return SendError(res, 404, "settlement_off",
                           "this node does not settle to an EVM chain (start it with --settle-rpc, "
                           "--settle-key, --settle-every and --settle-commitments)");
        }
        SendJson(res, 200,
                 {{"commitments", CommitmentsJson(poster->stats())},
                  {"bridge", bridge ? BridgeJson(bridge->stats()) : json(nullptr)},
                  {"rewards", rewards ? RewardsJson(rewards->stats()) : json(nullptr)}});
      });

  // A withdrawal's record, and once taken its proof: what OpenBridge.release needs.
  Chain* chain = ctx.chain;
  server.Get(R"(/v1/bridge/withdrawals/([^/]+))",
             [chain, bridge](const httplib::Request& req, httplib::Response& res) {
               auto id = ParseUint(req.matches[1].str(), "withdrawal id");
               if (!id.ok()) return SendStatus(res, id.status());
               std::optional<economy::Withdrawal> w;
               uint64_t count = 0;
               Status read = chain->ReadState(
                   [&](const StateReader& state, const StateReader&, const BlockHeader&) -> Status {
                     TRIB_ASSIGN_OR_RETURN(w, economy::LoadWithdrawal(state, *id));
                     TRIB_ASSIGN_OR_RETURN(count, economy::LoadWithdrawalCount(state));
                     return Status::OK();
                   });
               if (!read.ok()) return SendStatus(res, read);
               if (!w) {
                 return SendError(res, 404, "unknown_withdrawal",
                                  "no withdrawal " + std::to_string(*id) + " (there are " +
                                      std::to_string(count) + ")");
               }
               json out = {{"id", *id},
                           {"recipient", economy::EvmAddressToString(w->recipient)},
                           {"amount", AmountToString(w->amount)},
                           {"key", "0x" + ToHex(AsBytes(economy::WithdrawalKey(*id)))},
                           {"value", "0x" + ToHex(w->Encode())},
                           {"proof", nullptr},
                           {"released", nullptr}};
               if (bridge) {
                 if (auto p = bridge->Proof(*id)) {
                   json siblings = json::array();
                   for (const Hash32& h : p->siblings) siblings.push_back(Hex0x(h));
                   out["proof"] = {{"height", p->height}, {"siblings", siblings}};
                 }
                 out["released"] = bridge->stats().released.count(*id) > 0;
               }
               SendJson(res, 200, out);
             });

  server.Get(R"(/v1/bridge/deposits/([^/]+))",
             [chain](const httplib::Request& req, httplib::Response& res) {
               auto id = ParseUint(req.matches[1].str(), "deposit id");
               if (!id.ok()) return SendStatus(res, id.status());
               std::optional<economy::DepositCredit> c;
               Status read = chain->ReadState(
                   [&](const StateReader& state, const StateReader&, const BlockHeader&) -> Status {
                     TRIB_ASSIGN_OR_RETURN(c, economy::LoadDepositCredit(state, *id));
                     return Status::OK();
                   });
               if (!read.ok()) return SendStatus(res, read);
               if (!c) {
                 return SendError(res, 404, "deposit_not_credited",
                                  "deposit " + std::to_string(*id) + " is not credited (yet)");
               }
               SendJson(res, 200,
                        {{"deposit_id", *id},
                         {"account", c->account.ToString()},
                         {"amount", AmountToString(c->amount)},
                         {"height", c->height},
                         {"evm_tx", Hex0x(c->evm_tx)}});
             });

  // Reward epochs: an epoch's totals and root, an address's claim, an account's payout address.
  server.Get(R"(/v1/rewards/epochs/([^/]+))", [chain, rewards](const httplib::Request& req,
                                                               httplib::Response& res) {
    auto epoch = ParseUint(req.matches[1].str(), "epoch");
    if (!epoch.ok()) return SendStatus(res, epoch.status());
    economy::RewardEpoch e;
    uint64_t open = 1;
    Status read = chain->ReadState(
        [&](const StateReader& state, const StateReader&, const BlockHeader&) -> Status {
          TRIB_ASSIGN_OR_RETURN(e, economy::LoadRewardEpoch(state, *epoch));
          TRIB_ASSIGN_OR_RETURN(open, economy::LoadOpenEpoch(state));
          return Status::OK();
        });
    if (!read.ok()) return SendStatus(res, read);
    if (*epoch == 0 || *epoch > open) {
      return SendError(res, 404, "unknown_epoch",
                       "no reward epoch " + std::to_string(*epoch) + " (the open one is " +
                           std::to_string(open) + ")");
    }
    json out = {{"epoch", *epoch},
                {"state", e.closed ? "closed" : "open"},
                {"total", AmountToString(e.total)},
                {"accounts", e.leaves},
                {"close_height", e.closed ? json(e.close_height) : json(nullptr)},
                {"withdrawal_id", e.withdrawal_id ? json(e.withdrawal_id) : json(nullptr)},
                {"root", nullptr},
                {"posted", nullptr}};
    if (e.closed) {
      auto tree = settlement::ClosedEpochTree(chain, *epoch);
      if (!tree.ok()) return SendStatus(res, tree.status());
      out["root"] = Hex0x(tree->root);
    }
    if (rewards) {
      auto last = rewards->stats().contract_last_epoch;
      if (last) out["posted"] = *epoch <= *last;
    }
    SendJson(res, 200, out);
  });

  server.Get(R"(/v1/rewards/epochs/([^/]+)/claims/([^/]+))",
             [chain, rewards](const httplib::Request& req, httplib::Response& res) {
               auto epoch = ParseUint(req.matches[1].str(), "epoch");
               if (!epoch.ok()) return SendStatus(res, epoch.status());
               auto account = economy::ParseEvmAddress(req.matches[2].str());
               if (!account.ok()) return SendStatus(res, account.status());
               auto claim = settlement::ClaimIn(chain, *epoch, *account);
               if (!claim.ok()) return SendStatus(res, claim.status());
               json proof = json::array();
               for (const Hash32& h : claim->proof) proof.push_back(Hex0x(h));
               SendJson(res, 200,
                        {{"epoch", claim->epoch},
                         {"account", economy::EvmAddressToString(claim->account)},
                         {"amount", AmountToString(claim->amount)},
                         {"proof", proof},
                         {"root", Hex0x(claim->root)},
                         {"calldata", "0x" + ToHex(settlement::EncodeClaim(*claim))},
                         {"distributor",
                          rewards ? json(rewards->address().ToChecksumString()) : json(nullptr)}});
             });

  server.Get(R"(/v1/rewards/payouts/([^/]+))", [chain](const httplib::Request& req,
                                                       httplib::Response& res) {
    auto account = Address::Parse(req.matches[1].str());
    if (!account.ok()) return SendStatus(res, account.status());
    std::optional<economy::EvmAddress> payout;
    Status read = chain->ReadState(
        [&](const StateReader& state, const StateReader&, const BlockHeader&) -> Status {
          TRIB_ASSIGN_OR_RETURN(payout, economy::LoadPayoutAddress(state, *account));
          return Status::OK();
        });
    if (!read.ok()) return SendStatus(res, read);
    SendJson(
        res, 200,
        {{"account", account->ToString()},
         {"evm_address", payout ? json(economy::EvmAddressToString(*payout)) : json(nullptr)}});
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
  if (opts.bridge) {
    const settlement::BridgeRelayStats b = opts.bridge->stats();
    metric("tributary_bridge_credits_submitted_total", "counter",
           "Deposit credits (bridge.credit) this process submitted.", b.credits_submitted);
    metric("tributary_bridge_withdrawals_proven", "gauge",
           "Withdrawals with a proof against a committed height.", b.withdrawals_proven);
    metric("tributary_bridge_releases_total", "counter",
           "Withdrawals this process released on the EVM chain.", b.releases);
  }
  if (opts.rewards) {
    const settlement::RewardEpochsStats r = opts.rewards->stats();
    metric("tributary_rewards_open_epoch", "gauge", "The open reward epoch on this chain.",
           r.open_epoch);
    metric("tributary_rewards_contract_last_epoch", "gauge",
           "The last reward epoch posted to the RewardDistributor, as last read.",
           r.contract_last_epoch.value_or(0));
    metric("tributary_rewards_epochs_posted_total", "counter", "Reward epochs this process posted.",
           r.epochs_posted);
  }
  return out;
}

}  // namespace tributary::http
