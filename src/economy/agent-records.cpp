// Agents and slash reports in state: encodings, JSON and keys.
#include "tributary/base/encoding.h"
#include "tributary/economy/agents.h"
#include "tributary/ledger/account.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

constexpr uint8_t kAgentVersion = 1;
constexpr uint8_t kReportVersion = 1;

std::string AgentKey(const Address& a) {
  std::string k(1, 'J');
  k.append(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
  return k;
}
std::string AgentListKey(uint64_t index) {
  auto b = Writer().U8('I').U64(index).bytes();
  return std::string(b.begin(), b.end());
}
std::string ReportKey(uint64_t id) {
  auto b = Writer().U8('r').U64(id).bytes();
  return std::string(b.begin(), b.end());
}

Result<uint64_t> LoadCount(const StateReader& state, const std::string& key, const char* what) {
  auto raw = state.Get(key);
  if (!raw) return uint64_t{0};
  Reader r(*raw);
  uint64_t n = 0;
  Status s = r.U64(&n);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption(std::string("stored ") + what + " count does not decode");
  return n;
}

std::string_view TargetName(ReportTarget t) {
  return t == ReportTarget::kAgent ? "agent" : "contribution";
}
std::string_view EvidenceName(EvidenceKind k) {
  switch (k) {
    case EvidenceKind::kReceipt:
      return "receipt";
    case EvidenceKind::kContribution:
      return "contribution";
    case EvidenceKind::kTextHash:
      return "text_hash";
  }
  return "unknown";
}

}  // namespace

Address AgentEscrowAddress() { return SystemAddress("tributary/agent-stake/v1"); }
Address GovernorAddress() { return SystemAddress("tributary/governor/v1"); }

std::string_view ReportStatusName(ReportStatus s) {
  switch (s) {
    case ReportStatus::kOpen:
      return "open";
    case ReportStatus::kUpheld:
      return "upheld";
    case ReportStatus::kDismissed:
      return "dismissed";
  }
  return "unknown";
}

Amount Agent::Headroom(uint64_t day) const {
  Amount room = kAmountMax;
  if (daily_budget != 0) {
    const Amount spent = SpentOn(day);
    room = std::min(room, daily_budget > spent ? daily_budget - spent : 0);
  }
  if (total_budget != 0) {
    room = std::min(room, total_budget > spent_total ? total_budget - spent_total : 0);
  }
  return room;
}

Bytes Agent::Encode() const {
  Writer w;
  w.U8(kAgentVersion).Fixed(address.bytes).Fixed(owner.bytes).Str(name).Str(purpose).Str(endpoint);
  w.U128(stake).U64(registered_height).U128(daily_budget).U128(total_budget);
  w.U64(spent_day).U128(spent_today).U128(spent_total).U64(open_reports).U64(slash_count);
  w.U128(slashed_total).U8(exited ? 1 : 0).U64(exit_height);
  return std::move(w).bytes();
}

Result<Agent> Agent::Decode(ByteView b) {
  Agent a;
  Reader r(b);
  uint8_t version = 0, exited = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != kAgentVersion) s = Status::InvalidArgument("unknown version");
  if (s.ok()) s = r.Fixed(&a.address.bytes);
  if (s.ok()) s = r.Fixed(&a.owner.bytes);
  if (s.ok()) s = r.Str(&a.name, kMaxAgentNameChars * 4);
  if (s.ok()) s = r.Str(&a.purpose, kMaxAgentPurposeChars * 4);
  if (s.ok()) s = r.Str(&a.endpoint, kMaxAgentEndpointBytes);
  if (s.ok()) s = r.U128(&a.stake);
  if (s.ok()) s = r.U64(&a.registered_height);
  if (s.ok()) s = r.U128(&a.daily_budget);
  if (s.ok()) s = r.U128(&a.total_budget);
  if (s.ok()) s = r.U64(&a.spent_day);
  if (s.ok()) s = r.U128(&a.spent_today);
  if (s.ok()) s = r.U128(&a.spent_total);
  if (s.ok()) s = r.U64(&a.open_reports);
  if (s.ok()) s = r.U64(&a.slash_count);
  if (s.ok()) s = r.U128(&a.slashed_total);
  if (s.ok()) s = r.U8(&exited);
  if (s.ok()) s = r.U64(&a.exit_height);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored agent does not decode: " + s.message());
  a.exited = exited != 0;
  return a;
}

json Agent::ToJson() const {
  return {{"address", address.ToString()},
          {"owner", owner.ToString()},
          {"name", name},
          {"purpose", purpose},
          {"endpoint", endpoint},
          {"stake", AmountToString(stake)},
          {"registered_height", registered_height},
          {"daily_budget", AmountToString(daily_budget)},
          {"total_budget", AmountToString(total_budget)},
          {"spent_total", AmountToString(spent_total)},
          {"spent_day", spent_day},
          {"spent_today", AmountToString(spent_today)},
          {"open_reports", open_reports},
          {"slash_count", slash_count},
          {"slashed_total", AmountToString(slashed_total)},
          {"status", exited ? "exited" : "active"},
          {"exit_height", exit_height}};
}

Bytes SlashReport::Encode() const {
  Writer w;
  w.U8(kReportVersion).U64(id).Fixed(reporter.bytes).U8(static_cast<uint8_t>(target));
  w.Fixed(agent.bytes).Fixed(contribution).U8(static_cast<uint8_t>(evidence_kind));
  w.Str(evidence).Str(reason).U64(height).U8(static_cast<uint8_t>(status)).U64(decided_height);
  w.Fixed(decided_by.bytes).U64(proposal).U128(slashed);
  return std::move(w).bytes();
}

Result<SlashReport> SlashReport::Decode(ByteView b) {
  SlashReport p;
  Reader r(b);
  uint8_t version = 0, target = 0, evidence = 0, status = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != kReportVersion) s = Status::InvalidArgument("unknown version");
  if (s.ok()) s = r.U64(&p.id);
  if (s.ok()) s = r.Fixed(&p.reporter.bytes);
  if (s.ok()) s = r.U8(&target);
  if (s.ok()) s = r.Fixed(&p.agent.bytes);
  if (s.ok()) s = r.Fixed(&p.contribution);
  if (s.ok()) s = r.U8(&evidence);
  if (s.ok()) s = r.Str(&p.evidence, kMaxEvidenceBytes);
  if (s.ok()) s = r.Str(&p.reason, kMaxReportReasonChars * 4);
  if (s.ok()) s = r.U64(&p.height);
  if (s.ok()) s = r.U8(&status);
  if (s.ok()) s = r.U64(&p.decided_height);
  if (s.ok()) s = r.Fixed(&p.decided_by.bytes);
  if (s.ok()) s = r.U64(&p.proposal);
  if (s.ok()) s = r.U128(&p.slashed);
  if (s.ok()) s = r.ExpectEnd();
  if (s.ok() && (target > 1 || evidence > 2 || status > 2)) {
    s = Status::InvalidArgument("unknown enum value");
  }
  if (!s.ok()) return Status::Corruption("stored report does not decode: " + s.message());
  p.target = static_cast<ReportTarget>(target);
  p.evidence_kind = static_cast<EvidenceKind>(evidence);
  p.status = static_cast<ReportStatus>(status);
  return p;
}

json SlashReport::ToJson() const {
  json j = {{"id", id},
            {"reporter", reporter.ToString()},
            {"target", TargetName(target)},
            {"evidence", {{"kind", EvidenceName(evidence_kind)}, {"value", evidence}}},
            {"reason", reason},
            {"height", height},
            {"status", ReportStatusName(status)}};
  if (target == ReportTarget::kAgent) {
    j["agent"] = agent.ToString();
  } else {
    j["contribution"] = ToHex(contribution);
  }
  if (status != ReportStatus::kOpen) {
    j["decided_height"] = decided_height;
    j["decided_by"] = decided_by.ToString();
    if (proposal != 0) j["proposal"] = proposal;
    j["slashed"] = AmountToString(slashed);
  }
  return j;
}

Result<std::optional<Agent>> LoadAgent(const StateReader& state, const Address& agent) {
  auto raw = state.Get(AgentKey(agent));
  if (!raw) return std::optional<Agent>();
  TRIB_ASSIGN_OR_RETURN(Agent a, Agent::Decode(*raw));
  return std::optional<Agent>(std::move(a));
}

void StoreAgent(Overlay& state, const Agent& agent) {
  state.Put(AgentKey(agent.address), agent.Encode());
}

Result<uint64_t> LoadAgentCount(const StateReader& state) { return LoadCount(state, "j", "agent"); }

void AppendAgent(Overlay& state, uint64_t index, const Address& agent) {
  state.Put(AgentListKey(index), Bytes(agent.bytes.begin(), agent.bytes.end()));
  state.Put("j", Writer().U64(index + 1).bytes());
}

Result<Address> LoadAgentAt(const StateReader& state, uint64_t index) {
  auto raw = state.Get(AgentListKey(index));
  if (!raw || raw->size() != 20) return Status::Corruption("agent list entry is missing");
  Address a;
  std::copy(raw->begin(), raw->end(), a.bytes.begin());
  return a;
}

Result<uint64_t> LoadReportCount(const StateReader& state) {
  return LoadCount(state, "Q", "report");
}

Result<std::optional<SlashReport>> LoadReport(const StateReader& state, uint64_t id) {
  auto raw = state.Get(ReportKey(id));
  if (!raw) return std::optional<SlashReport>();
  TRIB_ASSIGN_OR_RETURN(SlashReport r, SlashReport::Decode(*raw));
  return std::optional<SlashReport>(std::move(r));
}

void StoreReport(Overlay& state, const SlashReport& r) { state.Put(ReportKey(r.id), r.Encode()); }

void StoreReportCount(Overlay& state, uint64_t n) { state.Put("Q", Writer().U64(n).bytes()); }

}  // namespace tributary::economy
