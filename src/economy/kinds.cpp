#include "tributary/economy/kinds.h"

#include <memory>

#include "tributary/base/encoding.h"
#include "tributary/datanet/kinds.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/agents.h"
#include "tributary/economy/bridge.h"
#include "tributary/economy/governance.h"
#include "tributary/economy/inference.h"
#include "tributary/economy/rewards.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/tx.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

bool IsZero(const Hash32& h) {
  for (uint8_t b : h) {
    if (b) return false;
  }
  return true;
}

class RegisterModelKind final : public PayloadKind<RegisterModelPayload> {
 public:
  std::string_view name() const override { return kRegisterModelKind; }

 protected:
  Status Check(const RegisterModelPayload& p) const override { return p.Check(); }

  Status Run(TxContext& ctx, const RegisterModelPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Amount min_share,
                          ProtocolParam(ctx.state, kMinContributorsShareParam, ctx.height));
    TRIB_RETURN_IF_ERROR(
        CheckContributorsShare(p.contributors_share_ppm, static_cast<uint32_t>(min_share)));
    for (const auto& ref : p.data) {
      TRIB_ASSIGN_OR_RETURN(auto d, datanet::LoadDatanet(ctx.state, ref.datanet));
      if (!d) {
        return Status::NotFound("no Datanet " + std::to_string(ref.datanet), "unknown_datanet");
      }
      TRIB_ASSIGN_OR_RETURN(auto v, datanet::LoadVersion(ctx.state, ref.datanet, ref.version));
      if (!v) {
        return Status::NotFound("Datanet " + std::to_string(ref.datanet) + " has no version " +
                                    std::to_string(ref.version) + " (it has " +
                                    std::to_string(d->versions) + ")",
                                "unknown_version");
      }
      if (v->root != ref.root) {
        return Status::FailedPrecondition("Datanet " + std::to_string(ref.datanet) + " version " +
                                              std::to_string(ref.version) + " has root " +
                                              ToHex(v->root) + ", not " + ToHex(ref.root),
                                          "root_mismatch");
      }
    }
    TRIB_ASSIGN_OR_RETURN(auto existing, LoadModelIdByAdapter(ctx.state, p.adapter_hash));
    if (existing) {
      return Status::FailedPrecondition("adapter " + ToHex(p.adapter_hash) +
                                            " is already registered as model " +
                                            std::to_string(*existing),
                                        "adapter_registered");
    }
    TRIB_ASSIGN_OR_RETURN(uint64_t count, LoadModelCount(ctx.state));
    Model m;
    m.id = count + 1;
    m.owner = ctx.sender;
    m.name = p.name;
    m.base_hash = p.base_hash;
    m.adapter_hash = p.adapter_hash;
    m.data = p.data;
    m.config_hash = p.config_hash;
    m.metrics = p.metrics;
    m.price_per_1k_tokens = p.price_per_1k_tokens;
    m.contributors_share_ppm = p.contributors_share_ppm;
    m.registered_height = ctx.height;
    m.registered_ms = ctx.timestamp_ms;
    StoreModel(ctx.state, m);
    ctx.state.Put(ModelCounterKey(), Writer().U64(m.id).bytes());
    ctx.events.push_back({"model.registered",
                          {{"model", std::to_string(m.id)},
                           {"owner", m.owner.ToString()},
                           {"name", m.name},
                           {"adapter_hash", ToHex(m.adapter_hash)},
                           {"price_per_1k_tokens", AmountToString(m.price_per_1k_tokens)},
                           {"contributors_share_ppm", std::to_string(m.contributors_share_ppm)}}});
    return Status::OK();
  }
};

}  // namespace

// ---- payload encoding ----

Bytes RegisterModelPayload::Encode() const {
  Writer w;
  w.Str(name).Fixed(base_hash).Fixed(adapter_hash).U32(static_cast<uint32_t>(data.size()));
  for (const auto& d : data) w.U64(d.datanet).U32(d.version).Fixed(d.root);
  w.Fixed(config_hash).Str(metrics).U128(price_per_1k_tokens);
  // Absent means the default, so a registration from before the share existed keeps its bytes
  // and every value still has exactly one encoding.
  if (contributors_share_ppm != kDefaultContributorsSharePpm) w.U32(contributors_share_ppm);
  return std::move(w).bytes();
}

Result<RegisterModelPayload> RegisterModelPayload::Decode(ByteView b) {
  Reader r(b);
  RegisterModelPayload p;
  uint32_t n = 0;
  Status s = r.Str(&p.name, kMaxModelNameChars * 4);
  if (s.ok()) s = r.Fixed(&p.base_hash);
  if (s.ok()) s = r.Fixed(&p.adapter_hash);
  if (s.ok()) s = r.U32(&n);
  if (s.ok() && n > kMaxDataRefs) s = Status::InvalidArgument("too many Datanet versions");
  for (uint32_t i = 0; s.ok() && i < n; ++i) {
    DataRef d;
    s = r.U64(&d.datanet);
    if (s.ok()) s = r.U32(&d.version);
    if (s.ok()) s = r.Fixed(&d.root);
    p.data.push_back(d);
  }
  if (s.ok()) s = r.Fixed(&p.config_hash);
  if (s.ok()) s = r.Str(&p.metrics, kMaxMetricsBytes);
  if (s.ok()) s = r.U128(&p.price_per_1k_tokens);
  if (s.ok() && r.remaining() > 0) {
    s = r.U32(&p.contributors_share_ppm);
    if (s.ok() && p.contributors_share_ppm == kDefaultContributorsSharePpm) {
      s = Status::InvalidArgument("the default contributors' share is encoded by its absence");
    }
  }
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

Status RegisterModelPayload::Check() const {
  TRIB_RETURN_IF_ERROR(CheckName(name));
  if (IsZero(base_hash)) return Status::InvalidArgument("base_hash is unset", "bad_model");
  if (IsZero(adapter_hash)) return Status::InvalidArgument("adapter_hash is unset", "bad_model");
  if (IsZero(config_hash)) return Status::InvalidArgument("config_hash is unset", "bad_model");
  TRIB_RETURN_IF_ERROR(CheckDataRefs(data));
  TRIB_RETURN_IF_ERROR(CheckMetrics(metrics));
  TRIB_RETURN_IF_ERROR(CheckPrice(price_per_1k_tokens));
  // The governed minimum (fees.min_contributors_share_ppm) is checked when the tx applies.
  return CheckContributorsShare(contributors_share_ppm, 0);
}

json RegisterModelPayload::ToJson() const {
  json refs = json::array();
  for (const auto& d : data) {
    refs.push_back({{"datanet", d.datanet}, {"version", d.version}, {"root", ToHex(d.root)}});
  }
  json m = json::parse(metrics, nullptr, false);
  return json{{"name", name},
              {"base_hash", ToHex(base_hash)},
              {"adapter_hash", ToHex(adapter_hash)},
              {"data", refs},
              {"config_hash", ToHex(config_hash)},
              {"metrics", m.is_discarded() ? json(metrics) : m},
              {"price_per_1k_tokens", AmountToString(price_per_1k_tokens)},
              {"contributors_share_ppm", contributors_share_ppm}};
}

Result<RegisterModelPayload> RegisterModelPayload::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  RegisterModelPayload p;
  TRIB_ASSIGN_OR_RETURN(p.name, PayloadString(j, "name"));
  TRIB_ASSIGN_OR_RETURN(p.base_hash, PayloadHash(j, "base_hash"));
  TRIB_ASSIGN_OR_RETURN(p.adapter_hash, PayloadHash(j, "adapter_hash"));
  TRIB_ASSIGN_OR_RETURN(p.config_hash, PayloadHash(j, "config_hash"));
  auto it = j.find("data");
  if (it == j.end() || !it->is_array()) {
    return BadPayload("payload.data must be an array of {datanet, version, root}");
  }
  if (it->size() > kMaxDataRefs) {
    return BadPayload("payload.data names at most " + std::to_string(kMaxDataRefs) +
                      " Datanet versions");
  }
  for (const auto& d : *it) {
    if (!d.is_object()) return BadPayload("payload.data must hold {datanet, version, root}");
    DataRef ref;
    TRIB_ASSIGN_OR_RETURN(ref.datanet, PayloadU64(d, "datanet"));
    TRIB_ASSIGN_OR_RETURN(uint64_t version, PayloadU64(d, "version"));
    if (version > UINT32_MAX) return BadPayload("payload.data version is out of range");
    ref.version = static_cast<uint32_t>(version);
    TRIB_ASSIGN_OR_RETURN(ref.root, PayloadHash(d, "root"));
    p.data.push_back(ref);
  }
  auto mt = j.find("metrics");
  if (mt != j.end() && !mt->is_null()) {
    auto canonical = CanonicalMetrics(*mt);
    if (!canonical.ok()) return BadPayload("payload.metrics: " + canonical.status().message());
    p.metrics = std::move(*canonical);
  }
  TRIB_ASSIGN_OR_RETURN(std::string price, PayloadString(j, "price_per_1k_tokens"));
  auto amount = ParseAmount(price);
  if (!amount.ok()) {
    return BadPayload("payload.price_per_1k_tokens must be a decimal string of base units: " +
                      amount.status().message());
  }
  p.price_per_1k_tokens = *amount;
  TRIB_ASSIGN_OR_RETURN(uint64_t share,
                        PayloadU64(j, "contributors_share_ppm", kDefaultContributorsSharePpm));
  if (share > kPartsPerMillion) {
    return BadPayload("payload.contributors_share_ppm is at most 1000000");
  }
  p.contributors_share_ppm = static_cast<uint32_t>(share);
  return p;
}

void RegisterEconomyKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<RegisterModelKind>());
  RegisterInferenceKinds(registry);
  RegisterGovernanceKinds(registry);
  RegisterAgentKinds(registry);
  RegisterBridgeKinds(registry);
  RegisterRewardKinds(registry);
}

const TxKindRegistry& AllTxKinds() {
  static const TxKindRegistry* kinds = [] {
    auto* r = new TxKindRegistry();
    RegisterLedgerKinds(*r);
    datanet::RegisterDatanetKinds(*r);
    RegisterEconomyKinds(*r);
    return r;
  }();
  return *kinds;
}

}  // namespace tributary::economy
