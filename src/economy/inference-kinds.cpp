// apikey.create, apikey.revoke and inference.settle (rules in economy/inference.h).
#include <algorithm>
#include <map>
#include <memory>

#include "tributary/base/encoding.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/agents.h"
#include "tributary/economy/governance.h"
#include "tributary/economy/inference.h"
#include "tributary/economy/rewards.h"
#include "tributary/economy/models.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/staking.h"
#include "tributary/ledger/tx.h"

namespace tributary::economy {
namespace {

class CreateApiKeyKind final : public PayloadKind<CreateApiKeyPayload> {
 public:
  std::string_view name() const override { return kCreateApiKeyKind; }

 protected:
  Status Check(const CreateApiKeyPayload& p) const override { return p.Check(); }

  Status Run(TxContext& ctx, const CreateApiKeyPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(auto existing, LoadApiKey(ctx.state, p.key_hash));
    if (existing) {
      return Status::AlreadyExists("an API key with this hash exists", "apikey_exists");
    }
    for (uint64_t m : p.models) {
      TRIB_ASSIGN_OR_RETURN(auto model, LoadModel(ctx.state, m));
      if (!model) return Status::NotFound("no model " + std::to_string(m), "unknown_model");
    }
    ApiKey k;
    k.key_hash = p.key_hash;
    k.owner = ctx.sender;
    k.label = p.label;
    k.models = p.models;
    k.daily_limit = p.daily_limit;
    k.total_limit = p.total_limit;
    k.expires_ms = p.expires_ms;
    k.created_height = ctx.height;
    k.created_ms = ctx.timestamp_ms;
    TRIB_ASSIGN_OR_RETURN(uint64_t count, LoadOwnerKeyCount(ctx.state, ctx.sender));
    ctx.state.Put(ApiKeyKey(k.key_hash), k.Encode());
    ctx.state.Put(OwnerKeyListKey(ctx.sender, count), Bytes(k.key_hash.begin(), k.key_hash.end()));
    ctx.state.Put(OwnerKeyCountKey(ctx.sender), Writer().U64(count + 1).bytes());
    ctx.events.push_back(
        {"apikey.created", {{"key_hash", ToHex(k.key_hash)}, {"owner", k.owner.ToString()}}});
    return Status::OK();
  }
};

class RevokeApiKeyKind final : public PayloadKind<RevokeApiKeyPayload> {
 public:
  std::string_view name() const override { return kRevokeApiKeyKind; }

 protected:
  Status Check(const RevokeApiKeyPayload& p) const override { return p.Check(); }

  Status Run(TxContext& ctx, const RevokeApiKeyPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(auto k, LoadApiKey(ctx.state, p.key_hash));
    if (!k) return Status::NotFound("no API key with this hash", "unknown_apikey");
    if (k->owner != ctx.sender) {
      return Status::PermissionDenied(
          "only the key's owner " + k->owner.ToString() + " can revoke it", "not_key_owner");
    }
    if (k->revoked) return Status::FailedPrecondition("the key is already revoked", "revoked");
    k->revoked = true;
    k->revoked_height = ctx.height;
    ctx.state.Put(ApiKeyKey(k->key_hash), k->Encode());
    ctx.events.push_back({"apikey.revoked", {{"key_hash", ToHex(k->key_hash)}}});
    return Status::OK();
  }
};

// The claims of a receipt's weights that earn: accepted contributions in a Datanet version the
// model was trained on, each lowered by its contributor's slashes in that Datanet. Everything
// else counts as unattributed.
Result<std::vector<SplitClaim>> EarningClaims(const StateReader& s, const Model& model,
                                              const InferenceReceipt& r, uint64_t height) {
  TRIB_ASSIGN_OR_RETURN(Amount penalty_per_slash, ProtocolParam(s, kPenaltyPerSlashParam, height));
  std::vector<SplitClaim> claims;
  for (const auto& w : r.weights) {
    TRIB_ASSIGN_OR_RETURN(auto c, datanet::LoadContribution(s, w.contribution));
    if (!c || c->status != datanet::ContributionStatus::kAccepted) continue;
    bool trained_on = false;
    for (const auto& ref : model.data) {
      if (ref.datanet != c->datanet) continue;
      TRIB_ASSIGN_OR_RETURN(auto v, datanet::LoadVersion(s, ref.datanet, ref.version));
      trained_on |= v && c->accepted_index < v->contributions;
    }
    if (!trained_on) continue;
    TRIB_ASSIGN_OR_RETURN(auto stats, datanet::LoadStats(s, c->datanet, c->contributor));
    // An agent's upheld reports count against its contributions everywhere.
    TRIB_ASSIGN_OR_RETURN(auto agent, LoadAgent(s, c->contributor));
    if (agent) stats.slashed_count += agent->slash_count;
    // The parameter is at most 10^6, so the product fits in 128 bits for any slash count.
    const uint64_t penalty = static_cast<uint64_t>(
        std::min<Amount>(kPartsPerMillion, Amount{stats.slashed_count} * penalty_per_slash));
    const uint64_t parts = uint64_t{w.parts} * (kPartsPerMillion - penalty) / kPartsPerMillion;
    if (parts == 0) continue;
    claims.push_back({w.contribution, c->contributor, c->datanet, static_cast<uint32_t>(parts)});
  }
  return claims;  // the receipt's weights are sorted by contribution id, so these are too
}

Result<uint32_t> SharePpm(const TxContext& ctx, std::string_view param) {
  TRIB_ASSIGN_OR_RETURN(Amount ppm, ProtocolParam(ctx.state, param, ctx.height));
  return static_cast<uint32_t>(ppm);  // bounded by the parameter's spec (at most 10^6)
}

// Moves staking.reward_share_ppm of the treasury's part to a stakers' part (the last), floor-
// rounded so the treasury keeps any fraction. Nothing moves while nothing is staked.
Status DirectToStakers(const TxContext& ctx, std::vector<SplitPart>* parts) {
  TRIB_ASSIGN_OR_RETURN(StakingPool pool, LoadStakingPool(ctx.state));
  if (pool.total_staked == 0) return Status::OK();
  TRIB_ASSIGN_OR_RETURN(uint32_t share, SharePpm(ctx, kStakingRewardShareParam));
  for (auto& part : *parts) {
    if (part.role != SplitRole::kTreasury) continue;
    const Amount stakers = MulDiv(part.amount, share, kPartsPerMillion).quotient;
    if (stakers == 0) return Status::OK();
    part.amount -= stakers;
    SplitPart out;
    out.role = SplitRole::kStakers;
    out.account = StakingPoolAddress();
    out.amount = stakers;
    parts->push_back(out);
    return Status::OK();
  }
  return Status::OK();
}

class SettleInferenceKind final : public PayloadKind<SettleInferencePayload> {
 public:
  std::string_view name() const override { return kSettleInferenceKind; }

 protected:
  Status Check(const SettleInferencePayload& p) const override { return p.Check(); }

  Status Run(TxContext& ctx, const SettleInferencePayload& p) const override {
    if (ctx.tx.sender != ctx.sequencer) {
      return Status::PermissionDenied("only the chain's sequencer settles inference",
                                      "not_sequencer");
    }
    for (const auto& r : p.receipts) {
      auto reject = [&](const std::string& reason) {
        ctx.events.push_back(
            {"inference.rejected", {{"request_id", r.request_id}, {"reason", reason}}});
        return Status::OK();
      };
      TRIB_ASSIGN_OR_RETURN(auto done, LoadReceipt(ctx.state, r.request_id));
      if (done) {
        ctx.events.push_back(
            {"inference.duplicate",
             {{"request_id", r.request_id}, {"height", std::to_string(done->height)}}});
        continue;
      }
      TRIB_ASSIGN_OR_RETURN(auto key, LoadApiKey(ctx.state, r.key_hash));
      if (!key) {
        TRIB_RETURN_IF_ERROR(reject("unknown_apikey"));
        continue;
      }
      TRIB_ASSIGN_OR_RETURN(auto model, LoadModel(ctx.state, r.model));
      if (!model) {
        TRIB_RETURN_IF_ERROR(reject("unknown_model"));
        continue;
      }
      auto fee = InferenceFee(r.prompt_tokens + r.completion_tokens, model->price_per_1k_tokens);
      if (r.prompt_tokens + r.completion_tokens < r.prompt_tokens || !fee || *fee != r.fee) {
        TRIB_RETURN_IF_ERROR(reject("wrong_fee"));
        continue;
      }
      TRIB_ASSIGN_OR_RETURN(Account payer, LoadAccount(ctx.state, key->owner));
      SettledReceipt settled;
      settled.receipt = r;
      settled.payer = key->owner;
      settled.paid = std::min(r.fee, payer.balance);
      // An agent never pays past the budget its owner set (the node refuses answers over it).
      TRIB_ASSIGN_OR_RETURN(auto agent, LoadAgent(ctx.state, key->owner));
      const uint64_t today = ctx.timestamp_ms / kMsPerDay;
      if (agent && !agent->exited) settled.paid = std::min(settled.paid, agent->Headroom(today));
      settled.height = ctx.height;
      settled.timestamp_ms = ctx.timestamp_ms;
      settled.tx_hash = ctx.tx_hash;
      SplitInput in;
      in.fee = settled.paid;
      TRIB_ASSIGN_OR_RETURN(in.protocol_ppm, SharePpm(ctx, kProtocolShareParam));
      in.contributors_ppm = model->contributors_share_ppm;
      TRIB_ASSIGN_OR_RETURN(in.claims, EarningClaims(ctx.state, *model, r, ctx.height));
      in.owner = model->owner;
      in.treasury = TreasuryAddress();
      TRIB_ASSIGN_OR_RETURN(settled.parts, SplitFee(in));
      TRIB_RETURN_IF_ERROR(DirectToStakers(ctx, &settled.parts));
      for (const auto& part : settled.parts) {
        if (part.amount == 0) continue;
        std::optional<uint64_t> reward_epoch;
        if (part.role == SplitRole::kStakers) {
          TRIB_RETURN_IF_ERROR(AddStakingRewards(ctx.state, key->owner, part.amount));
        } else {
          // To the earner's balance, or to its leaf in the open reward epoch (rewards.h).
          TRIB_RETURN_IF_ERROR(
              PayEarning(ctx.state, key->owner, part.account, part.amount, &reward_epoch));
        }
        TRIB_ASSIGN_OR_RETURN(Earnings e, LoadEarnings(ctx.state, part.account));
        auto total = CheckedAdd(e.total, part.amount);
        if (!total) return Status::Internal("earnings overflow");
        e.total = *total;
        e.credits += 1;
        ctx.state.Put(EarningsKey(part.account), e.Encode());
        std::vector<std::pair<std::string, std::string>> attrs = {
            {"request_id", r.request_id},
            {"account", part.account.ToString()},
            {"role", std::string(SplitRoleName(part.role))},
            {"model", std::to_string(r.model)},
            {"amount", AmountToString(part.amount)}};
        if (part.role == SplitRole::kContributor) {
          attrs.push_back({"contribution", ToHex(part.contribution)});
          attrs.push_back({"datanet", std::to_string(part.datanet)});
        }
        if (reward_epoch) attrs.push_back({"reward_epoch", std::to_string(*reward_epoch)});
        ctx.events.push_back({"inference.earned", std::move(attrs)});
      }
      if (key->spent_day != today) {
        key->spent_day = today;
        key->spent_today = 0;
      }
      auto spent_total = CheckedAdd(key->spent_total, settled.paid);
      auto spent_today = CheckedAdd(key->spent_today, settled.paid);
      if (!spent_total || !spent_today) return Status::Internal("key spend overflows");
      key->spent_total = *spent_total;
      key->spent_today = *spent_today;
      key->requests += 1;
      ctx.state.Put(ApiKeyKey(key->key_hash), key->Encode());
      if (agent && !agent->exited && settled.paid > 0) {
        if (agent->spent_day != today) {
          agent->spent_day = today;
          agent->spent_today = 0;
        }
        auto agent_today = CheckedAdd(agent->spent_today, settled.paid);
        auto agent_total = CheckedAdd(agent->spent_total, settled.paid);
        if (!agent_today || !agent_total) return Status::Internal("agent spend overflows");
        agent->spent_today = *agent_today;
        agent->spent_total = *agent_total;
        StoreAgent(ctx.state, *agent);
      }
      ctx.state.Put(ReceiptKey(r.request_id), settled.Encode());
      ctx.events.push_back({"inference.settled",
                            {{"request_id", r.request_id},
                             {"model", std::to_string(r.model)},
                             {"payer", key->owner.ToString()},
                             {"fee", AmountToString(r.fee)},
                             {"paid", AmountToString(settled.paid)}}});
    }
    return Status::OK();
  }
};

}  // namespace

void RegisterInferenceKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<CreateApiKeyKind>());
  (void)registry.Add(std::make_unique<RevokeApiKeyKind>());
  (void)registry.Add(std::make_unique<SettleInferenceKind>());
}

}  // namespace tributary::economy
