// agent.register, agent.budget, agent.exit, slash.report and slash.resolve (rules in
// economy/agents.h).
#include <memory>

#include "tributary/base/encoding.h"
#include "tributary/base/unicode.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/agents.h"
#include "tributary/economy/fee_split.h"
#include "tributary/economy/governance.h"
#include "tributary/economy/inference.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/tx.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

Status BadAgent(const std::string& m) { return Status::InvalidArgument(m, "bad_agent"); }
Status BadReport(const std::string& m) { return Status::InvalidArgument(m, "bad_report"); }

Status CheckText(const char* field, const std::string& v, size_t max_chars, bool required) {
  if (required && v.empty()) return BadAgent(std::string(field) + " is required");
  if (!IsValidUtf8(v) || HasControlChars(v)) {
    return BadAgent(std::string(field) + " must be UTF-8 without control characters");
  }
  if (CountCodePoints(v) > max_chars) {
    return BadAgent(std::string(field) + " is longer than " + std::to_string(max_chars) +
                    " characters");
  }
  return Status::OK();
}

Result<Amount> AmountField(const json& j, const char* field, std::optional<Amount> dflt) {
  TRIB_ASSIGN_OR_RETURN(
      std::string text,
      PayloadString(j, field,
                    dflt ? std::optional<std::string>(AmountToString(*dflt)) : std::nullopt));
  auto a = ParseAmount(text);
  if (!a.ok()) {
    return BadPayload(std::string("payload.") + field + " must be a string of base units");
  }
  return *a;
}

Result<Address> AddressField(const json& j, const char* field) {
  TRIB_ASSIGN_OR_RETURN(std::string text, PayloadString(j, field));
  return Address::Parse(text);
}

Result<Agent> RequireAgent(const StateReader& s, const Address& a) {
  TRIB_ASSIGN_OR_RETURN(auto agent, LoadAgent(s, a));
  if (!agent) return Status::NotFound(a.ToString() + " is not an agent", "unknown_agent");
  return *agent;
}

// ---- payloads ----

struct RegisterAgentPayload {
  Address owner;
  std::string name, purpose, endpoint;
  Amount stake = 0;

  Bytes Encode() const {
    return Writer().Fixed(owner.bytes).Str(name).Str(purpose).Str(endpoint).U128(stake).bytes();
  }
  static Result<RegisterAgentPayload> Decode(ByteView b) {
    RegisterAgentPayload p;
    Reader r(b);
    Status s = r.Fixed(&p.owner.bytes);
    if (s.ok()) s = r.Str(&p.name, kMaxAgentNameChars * 4);
    if (s.ok()) s = r.Str(&p.purpose, kMaxAgentPurposeChars * 4);
    if (s.ok()) s = r.Str(&p.endpoint, kMaxAgentEndpointBytes);
    if (s.ok()) s = r.U128(&p.stake);
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    return p;
  }
  json ToJson() const {
    return {{"owner", owner.ToString()},
            {"name", name},
            {"purpose", purpose},
            {"endpoint", endpoint},
            {"stake", AmountToString(stake)}};
  }
  static Result<RegisterAgentPayload> FromJson(const json& j) {
    RegisterAgentPayload p;
    TRIB_ASSIGN_OR_RETURN(p.owner, AddressField(j, "owner"));
    TRIB_ASSIGN_OR_RETURN(p.name, PayloadString(j, "name"));
    TRIB_ASSIGN_OR_RETURN(p.purpose, PayloadString(j, "purpose", ""));
    TRIB_ASSIGN_OR_RETURN(p.endpoint, PayloadString(j, "endpoint", ""));
    TRIB_ASSIGN_OR_RETURN(p.stake, AmountField(j, "stake", std::nullopt));
    return p;
  }
  Status Check() const {
    TRIB_RETURN_IF_ERROR(CheckText("name", name, kMaxAgentNameChars, true));
    TRIB_RETURN_IF_ERROR(CheckText("purpose", purpose, kMaxAgentPurposeChars, false));
    if (!endpoint.empty()) {
      const bool http = endpoint.rfind("http://", 0) == 0 || endpoint.rfind("https://", 0) == 0;
      if (!http || endpoint.size() > kMaxAgentEndpointBytes ||
          endpoint.find_first_of(" \t\r\n") != std::string::npos || HasControlChars(endpoint)) {
        return BadAgent("endpoint must be an http:// or https:// URL of at most " +
                        std::to_string(kMaxAgentEndpointBytes) + " bytes");
      }
    }
    return Status::OK();
  }
};

struct AgentBudgetPayload {
  Address agent;
  Amount daily_limit = 0, total_limit = 0;

  Bytes Encode() const {
    return Writer().Fixed(agent.bytes).U128(daily_limit).U128(total_limit).bytes();
  }
  static Result<AgentBudgetPayload> Decode(ByteView b) {
    AgentBudgetPayload p;
    Reader r(b);
    Status s = r.Fixed(&p.agent.bytes);
    if (s.ok()) s = r.U128(&p.daily_limit);
    if (s.ok()) s = r.U128(&p.total_limit);
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    return p;
  }
  json ToJson() const {
    return {{"agent", agent.ToString()},
            {"daily_limit", AmountToString(daily_limit)},
            {"total_limit", AmountToString(total_limit)}};
  }
  static Result<AgentBudgetPayload> FromJson(const json& j) {
    AgentBudgetPayload p;
    TRIB_ASSIGN_OR_RETURN(p.agent, AddressField(j, "agent"));
    TRIB_ASSIGN_OR_RETURN(p.daily_limit, AmountField(j, "daily_limit", Amount{0}));
    TRIB_ASSIGN_OR_RETURN(p.total_limit, AmountField(j, "total_limit", Amount{0}));
    return p;
  }
  Status Check() const { return Status::OK(); }
};

struct AgentExitPayload {
  Address agent;
  Bytes Encode() const { return Writer().Fixed(agent.bytes).bytes(); }
  static Result<AgentExitPayload> Decode(ByteView b) {
    AgentExitPayload p;
    Reader r(b);
    Status s = r.Fixed(&p.agent.bytes);
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    return p;
  }
  json ToJson() const { return {{"agent", agent.ToString()}}; }
  static Result<AgentExitPayload> FromJson(const json& j) {
    AgentExitPayload p;
    TRIB_ASSIGN_OR_RETURN(p.agent, AddressField(j, "agent"));
    return p;
  }
  Status Check() const { return Status::OK(); }
};

struct SlashReportPayload {
  ReportTarget target = ReportTarget::kAgent;
  Address agent;
  Hash32 contribution{};
  EvidenceKind evidence_kind = EvidenceKind::kTextHash;
  std::string evidence;
  std::string reason;

  Bytes Encode() const {
    Writer w;
    w.U8(static_cast<uint8_t>(target));
    if (target == ReportTarget::kAgent) {
      w.Fixed(agent.bytes);
    } else {
      w.Fixed(contribution);
    }
    w.U8(static_cast<uint8_t>(evidence_kind)).Str(evidence).Str(reason);
    return std::move(w).bytes();
  }
  static Result<SlashReportPayload> Decode(ByteView b) {
    SlashReportPayload p;
    Reader r(b);
    uint8_t target = 0, kind = 0;
    Status s = r.U8(&target);
    if (s.ok() && target > 1) s = Status::InvalidArgument("unknown target");
    if (s.ok() && target == 0) s = r.Fixed(&p.agent.bytes);
    if (s.ok() && target == 1) s = r.Fixed(&p.contribution);
    if (s.ok()) s = r.U8(&kind);
    if (s.ok() && kind > 2) s = Status::InvalidArgument("unknown evidence kind");
    if (s.ok()) s = r.Str(&p.evidence, kMaxEvidenceBytes);
    if (s.ok()) s = r.Str(&p.reason, kMaxReportReasonChars * 4);
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    p.target = static_cast<ReportTarget>(target);
    p.evidence_kind = static_cast<EvidenceKind>(kind);
    return p;
  }
  json ToJson() const {
    json t = target == ReportTarget::kAgent ? json{{"agent", agent.ToString()}}
                                            : json{{"contribution", ToHex(contribution)}};
    const char* kind = evidence_kind == EvidenceKind::kReceipt        ? "receipt"
                       : evidence_kind == EvidenceKind::kContribution ? "contribution"
                                                                      : "text_hash";
    return {{"target", t}, {"evidence", {{kind, evidence}}}, {"reason", reason}};
  }
  static Result<SlashReportPayload> FromJson(const json& j) {
    SlashReportPayload p;
    if (!j.is_object() || !j.contains("target") || !j["target"].is_object() ||
        j["target"].size() != 1) {
      return BadPayload(R"(payload.target must be {"agent": ADDRESS} or {"contribution": ID})");
    }
    const json& t = j["target"];
    if (t.contains("agent")) {
      p.target = ReportTarget::kAgent;
      TRIB_ASSIGN_OR_RETURN(p.agent, AddressField(t, "agent"));
    } else if (t.contains("contribution")) {
      p.target = ReportTarget::kContribution;
      TRIB_ASSIGN_OR_RETURN(p.contribution, PayloadHash(t, "contribution"));
    } else {
      return BadPayload(R"(payload.target must be {"agent": ADDRESS} or {"contribution": ID})");
    }
    if (!j.contains("evidence") || !j["evidence"].is_object() || j["evidence"].size() != 1 ||
        !j["evidence"].begin().value().is_string()) {
      return BadPayload(
          R"(payload.evidence must be {"receipt": ID}, {"contribution": ID} or {"text_hash": HEX})");
    }
    const std::string kind = j["evidence"].begin().key();
    p.evidence = j["evidence"].begin().value().get<std::string>();
    if (kind == "receipt") {
      p.evidence_kind = EvidenceKind::kReceipt;
    } else if (kind == "contribution") {
      p.evidence_kind = EvidenceKind::kContribution;
    } else if (kind == "text_hash") {
      p.evidence_kind = EvidenceKind::kTextHash;
    } else {
      return BadPayload("unknown evidence kind '" + kind + "'");
    }
    TRIB_ASSIGN_OR_RETURN(p.reason, PayloadString(j, "reason"));
    return p;
  }
  Status Check() const {
    if (reason.empty() || !IsValidUtf8(reason) || HasControlChars(reason) ||
        CountCodePoints(reason) > kMaxReportReasonChars) {
      return BadReport("a report needs a reason of 1.." + std::to_string(kMaxReportReasonChars) +
                       " characters without control characters");
    }
    if (evidence.empty() || evidence.size() > kMaxEvidenceBytes)
      return BadReport("evidence is required");
    if (evidence_kind != EvidenceKind::kReceipt) {
      auto h = FixedFromHex<32>(evidence);
      if (!h.ok()) return BadReport("evidence must be 64 hex digits (a contribution id or a hash)");
    }
    return Status::OK();
  }
};

struct SlashResolvePayload {
  uint64_t report = 0;
  bool uphold = false;
  Bytes Encode() const { return Writer().U64(report).U8(uphold ? 1 : 0).bytes(); }
  static Result<SlashResolvePayload> Decode(ByteView b) {
    SlashResolvePayload p;
    Reader r(b);
    uint8_t u = 0;
    Status s = r.U64(&p.report);
    if (s.ok()) s = r.U8(&u);
    if (s.ok() && u > 1) s = Status::InvalidArgument("uphold must be 0 or 1");
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    p.uphold = u == 1;
    return p;
  }
  json ToJson() const { return {{"report", report}, {"uphold", uphold}}; }
  static Result<SlashResolvePayload> FromJson(const json& j) {
    SlashResolvePayload p;
    TRIB_ASSIGN_OR_RETURN(p.report, PayloadU64(j, "report"));
    if (!j.contains("uphold") || !j["uphold"].is_boolean()) {
      return BadPayload("payload.uphold must be true or false");
    }
    p.uphold = j["uphold"].get<bool>();
    return p;
  }
  Status Check() const {
    if (report == 0) return BadReport("report ids start at 1");
    return Status::OK();
  }
};

// ---- kinds ----

class RegisterAgentKind final : public PayloadKind<RegisterAgentPayload> {
 public:
  std::string_view name() const override { return kRegisterAgentKind; }

 protected:
  Status Check(const RegisterAgentPayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const RegisterAgentPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(auto existing, LoadAgent(ctx.state, ctx.sender));
    if (existing && !existing->exited) {
      return Status::AlreadyExists(ctx.sender.ToString() + " is already an agent", "agent_exists");
    }
    TRIB_ASSIGN_OR_RETURN(Amount min_stake,
                          ProtocolParam(ctx.state, kMinAgentStakeParam, ctx.height));
    if (p.stake < min_stake) {
      return Status::FailedPrecondition("an agent locks at least " + FormatTokens(min_stake) +
                                            " OPEN (agent.min_stake), not " + FormatTokens(p.stake),
                                        "stake_too_low");
    }
    TRIB_RETURN_IF_ERROR(
        MoveBalance(ctx.state, ctx.sender, AgentEscrowAddress(), p.stake, "agent stake"));
    Agent a;
    if (existing) a = *existing;  // re-registering keeps the slash record
    a.address = ctx.sender;
    a.owner = p.owner;
    a.name = p.name;
    a.purpose = p.purpose;
    a.endpoint = p.endpoint;
    a.stake = p.stake;
    a.registered_height = ctx.height;
    a.exited = false;
    a.exit_height = 0;
    if (!existing) {
      TRIB_ASSIGN_OR_RETURN(uint64_t n, LoadAgentCount(ctx.state));
      AppendAgent(ctx.state, n, ctx.sender);
    }
    StoreAgent(ctx.state, a);
    ctx.events.push_back({"agent.registered",
                          {{"agent", a.address.ToString()},
                           {"owner", a.owner.ToString()},
                           {"name", a.name},
                           {"stake", AmountToString(a.stake)}}});
    return Status::OK();
  }
};

class AgentBudgetKind final : public PayloadKind<AgentBudgetPayload> {
 public:
  std::string_view name() const override { return kAgentBudgetKind; }

 protected:
  Status Check(const AgentBudgetPayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const AgentBudgetPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Agent a, RequireAgent(ctx.state, p.agent));
    if (a.owner != ctx.sender) {
      return Status::PermissionDenied(
          "only the agent's owner " + a.owner.ToString() + " sets its budget", "not_agent_owner");
    }
    if (a.exited) return Status::FailedPrecondition("the agent has exited", "agent_exited");
    a.daily_budget = p.daily_limit;
    a.total_budget = p.total_limit;
    StoreAgent(ctx.state, a);
    ctx.events.push_back({"agent.budget",
                          {{"agent", a.address.ToString()},
                           {"daily_limit", AmountToString(a.daily_budget)},
                           {"total_limit", AmountToString(a.total_budget)}}});
    return Status::OK();
  }
};

class AgentExitKind final : public PayloadKind<AgentExitPayload> {
 public:
  std::string_view name() const override { return kAgentExitKind; }

 protected:
  Status Check(const AgentExitPayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const AgentExitPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Agent a, RequireAgent(ctx.state, p.agent));
    if (ctx.sender != a.address && ctx.sender != a.owner) {
      return Status::PermissionDenied("only the agent or its owner can retire it",
                                      "not_agent_owner");
    }
    if (a.exited) return Status::FailedPrecondition("the agent has exited", "agent_exited");
    if (a.open_reports > 0) {
      return Status::FailedPrecondition(std::to_string(a.open_reports) +
                                            " open report(s) hold the agent's stake until they "
                                            "are decided",
                                        "open_reports");
    }
    TRIB_RETURN_IF_ERROR(
        MoveBalance(ctx.state, AgentEscrowAddress(), a.address, a.stake, "agent stake return"));
    ctx.events.push_back(
        {"agent.exited", {{"agent", a.address.ToString()}, {"returned", AmountToString(a.stake)}}});
    a.stake = 0;
    a.exited = true;
    a.exit_height = ctx.height;
    StoreAgent(ctx.state, a);
    return Status::OK();
  }
};

class SlashReportKind final : public PayloadKind<SlashReportPayload> {
 public:
  std::string_view name() const override { return kSlashReportKind; }

 protected:
  Status Check(const SlashReportPayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const SlashReportPayload& p) const override {
    std::optional<Agent> agent;
    if (p.target == ReportTarget::kAgent) {
      TRIB_ASSIGN_OR_RETURN(agent, RequireAgent(ctx.state, p.agent));
      if (agent->exited) return Status::FailedPrecondition("the agent has exited", "agent_exited");
    } else {
      TRIB_ASSIGN_OR_RETURN(auto c, datanet::LoadContribution(ctx.state, p.contribution));
      if (!c) {
        return Status::NotFound("no contribution " + ToHex(p.contribution), "unknown_contribution");
      }
      if (c->status != datanet::ContributionStatus::kAccepted) {
        return Status::FailedPrecondition(
            "only accepted contributions are reported; the Datanet's owner reviews pending ones "
            "(reject as spam slashes their stake)",
            "not_accepted");
      }
    }
    if (p.evidence_kind == EvidenceKind::kReceipt) {
      TRIB_ASSIGN_OR_RETURN(auto r, LoadReceipt(ctx.state, p.evidence));
      if (!r) return Status::NotFound("no settled receipt " + p.evidence, "unknown_evidence");
    } else if (p.evidence_kind == EvidenceKind::kContribution) {
      TRIB_ASSIGN_OR_RETURN(auto c,
                            datanet::LoadContribution(ctx.state, *FixedFromHex<32>(p.evidence)));
      if (!c) return Status::NotFound("no contribution " + p.evidence, "unknown_evidence");
    }
    TRIB_ASSIGN_OR_RETURN(uint64_t n, LoadReportCount(ctx.state));
    SlashReport r;
    r.id = n + 1;
    r.reporter = ctx.sender;
    r.target = p.target;
    r.agent = p.agent;
    r.contribution = p.contribution;
    r.evidence_kind = p.evidence_kind;
    r.evidence = p.evidence;
    r.reason = p.reason;
    r.height = ctx.height;
    StoreReport(ctx.state, r);
    StoreReportCount(ctx.state, r.id);
    if (agent) {
      agent->open_reports += 1;
      StoreAgent(ctx.state, *agent);
    }
    ctx.events.push_back({"slash.reported",
                          {{"report", std::to_string(r.id)},
                           {"target", p.target == ReportTarget::kAgent ? p.agent.ToString()
                                                                       : ToHex(p.contribution)}}});
    return Status::OK();
  }
};

class SlashResolveKind final : public PayloadKind<SlashResolvePayload> {
 public:
  std::string_view name() const override { return kSlashResolveKind; }

 protected:
  Status Check(const SlashResolvePayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const SlashResolvePayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(auto r, LoadReport(ctx.state, p.report));
    if (!r) return Status::NotFound("no report " + std::to_string(p.report), "unknown_report");
    if (r->target == ReportTarget::kAgent) {
      return Status::PermissionDenied(
          "reports against agents are decided by a governance vote (gov propose --uphold " +
              std::to_string(r->id) + ")",
          "decided_by_governance");
    }
    TRIB_ASSIGN_OR_RETURN(auto c, datanet::LoadContribution(ctx.state, r->contribution));
    if (!c) return Status::Corruption("a reported contribution is missing");
    TRIB_ASSIGN_OR_RETURN(auto d, datanet::LoadDatanet(ctx.state, c->datanet));
    if (!d) return Status::Corruption("a reported contribution's Datanet is missing");
    if (d->owner != ctx.sender) {
      return Status::PermissionDenied("only Datanet " + std::to_string(d->id) + "'s owner " +
                                          d->owner.ToString() + " decides this report",
                                      "not_datanet_owner");
    }
    return ResolveReport(ctx, p.report, p.uphold, ctx.sender, 0);
  }
};

}  // namespace

Status ResolveReport(TxContext& ctx, uint64_t id, bool uphold, const Address& decided_by,
                     uint64_t proposal) {
  TRIB_ASSIGN_OR_RETURN(auto r, LoadReport(ctx.state, id));
  if (!r) return Status::NotFound("no report " + std::to_string(id), "unknown_report");
  if (r->status != ReportStatus::kOpen) {
    return Status::FailedPrecondition(
        "report " + std::to_string(id) + " was already " + std::string(ReportStatusName(r->status)),
        "report_closed");
  }
  std::vector<std::pair<std::string, std::string>> attrs = {{"report", std::to_string(id)}};
  if (r->target == ReportTarget::kAgent) {
    TRIB_ASSIGN_OR_RETURN(Agent a, RequireAgent(ctx.state, r->agent));
    if (a.open_reports > 0) a.open_reports -= 1;
    attrs.push_back({"agent", a.address.ToString()});
    if (uphold) {
      TRIB_ASSIGN_OR_RETURN(Amount share,
                            ProtocolParam(ctx.state, kAgentSlashShareParam, ctx.height));
      const Amount amount =
          MulDiv(a.stake, static_cast<uint64_t>(share), kPartsPerMillion).quotient;
      TRIB_RETURN_IF_ERROR(
          MoveBalance(ctx.state, AgentEscrowAddress(), TreasuryAddress(), amount, "agent slash"));
      a.stake -= amount;
      a.slash_count += 1;
      auto total = CheckedAdd(a.slashed_total, amount);
      if (!total) return Status::Internal("slashed total overflows");
      a.slashed_total = *total;
      r->slashed = amount;
      attrs.push_back({"slashed", AmountToString(amount)});
      attrs.push_back({"slash_count", std::to_string(a.slash_count)});
    }
    StoreAgent(ctx.state, a);
  } else if (uphold) {
    TRIB_ASSIGN_OR_RETURN(auto c, datanet::LoadContribution(ctx.state, r->contribution));
    if (!c) return Status::Corruption("a reported contribution is missing");
    TRIB_ASSIGN_OR_RETURN(auto stats, datanet::LoadStats(ctx.state, c->datanet, c->contributor));
    stats.slashed_count += 1;
    datanet::StoreStats(ctx.state, c->datanet, c->contributor, stats);
    attrs.push_back({"contributor", c->contributor.ToString()});
    attrs.push_back({"datanet", std::to_string(c->datanet)});
    attrs.push_back({"slash_count", std::to_string(stats.slashed_count)});
  }
  r->status = uphold ? ReportStatus::kUpheld : ReportStatus::kDismissed;
  r->decided_height = ctx.height;
  r->decided_by = decided_by;
  r->proposal = proposal;
  StoreReport(ctx.state, *r);
  ctx.events.push_back({uphold ? "slash.upheld" : "slash.dismissed", std::move(attrs)});
  return Status::OK();
}

void RegisterAgentKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<RegisterAgentKind>());
  (void)registry.Add(std::make_unique<AgentBudgetKind>());
  (void)registry.Add(std::make_unique<AgentExitKind>());
  (void)registry.Add(std::make_unique<SlashReportKind>());
  (void)registry.Add(std::make_unique<SlashResolveKind>());
}

}  // namespace tributary::economy
