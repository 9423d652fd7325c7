// Proposals, ballots and the propose payload: encodings, JSON and stateless checks.
#include <set>

#include "tributary/base/encoding.h"
#include "tributary/base/unicode.h"
#include "tributary/economy/fee_split.h"
#include "tributary/economy/governance.h"
#include "tributary/ledger/payload_kind.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

constexpr uint8_t kProposalVersion = 1;

Status Bad(const std::string& m) { return Status::InvalidArgument(m, "bad_proposal"); }

std::string ProposalKey(uint64_t id) {
  auto b = Writer().U8('o').U64(id).bytes();
  return std::string(b.begin(), b.end());
}

std::string BallotKey(uint64_t id, const Address& voter) {
  auto b = Writer().U8('b').U64(id).Fixed(voter.bytes).bytes();
  return std::string(b.begin(), b.end());
}

void WriteChanges(Writer& w, const std::vector<ParamChange>& changes) {
  w.U32(static_cast<uint32_t>(changes.size()));
  for (const auto& c : changes) w.Str(c.name).U128(c.value);
}

Status ReadChanges(Reader& r, std::vector<ParamChange>* changes) {
  uint32_t n = 0;
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxProposalChanges) return Status::InvalidArgument("too many changes");
  for (uint32_t i = 0; i < n; ++i) {
    ParamChange c;
    TRIB_RETURN_IF_ERROR(r.Str(&c.name, 64));
    TRIB_RETURN_IF_ERROR(r.U128(&c.value));
    changes->push_back(std::move(c));
  }
  return Status::OK();
}

void WriteReports(Writer& w, const std::vector<ReportDecision>& reports) {
  w.U32(static_cast<uint32_t>(reports.size()));
  for (const auto& d : reports) w.U64(d.report).U8(d.uphold ? 1 : 0);
}

Status ReadReports(Reader& r, std::vector<ReportDecision>* reports) {
  uint32_t n = 0;
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxProposalChanges) return Status::InvalidArgument("too many report decisions");
  for (uint32_t i = 0; i < n; ++i) {
    ReportDecision d;
    uint8_t uphold = 0;
    TRIB_RETURN_IF_ERROR(r.U64(&d.report));
    TRIB_RETURN_IF_ERROR(r.U8(&uphold));
    if (uphold > 1) return Status::InvalidArgument("uphold must be 0 or 1");
    d.uphold = uphold == 1;
    reports->push_back(d);
  }
  return Status::OK();
}

json ReportsJson(const std::vector<ReportDecision>& reports) {
  json out = json::array();
  for (const auto& d : reports) out.push_back({{"report", d.report}, {"uphold", d.uphold}});
  return out;
}

json ChangesJson(const std::vector<ParamChange>& changes) {
  json out = json::array();
  for (const auto& c : changes)
    out.push_back({{"name", c.name}, {"value", AmountToString(c.value)}});
  return out;
}

}  // namespace

std::string_view VoteSupportName(VoteSupport s) {
  switch (s) {
    case VoteSupport::kAgainst:
      return "against";
    case VoteSupport::kFor:
      return "for";
    case VoteSupport::kAbstain:
      return "abstain";
  }
  return "unknown";
}

Result<VoteSupport> ParseVoteSupport(std::string_view name) {
  if (name == "for") return VoteSupport::kFor;
  if (name == "against") return VoteSupport::kAgainst;
  if (name == "abstain") return VoteSupport::kAbstain;
  return Status::InvalidArgument(
      "support must be for, against or abstain, not '" + std::string(name) + "'", "bad_vote");
}

std::string_view ProposalStateName(ProposalState s) {
  switch (s) {
    case ProposalState::kPending:
      return "pending";
    case ProposalState::kActive:
      return "active";
    case ProposalState::kCanceled:
      return "canceled";
    case ProposalState::kDefeated:
      return "defeated";
    case ProposalState::kSucceeded:
      return "succeeded";
    case ProposalState::kExecuted:
      return "executed";
  }
  return "unknown";
}

bool Proposal::QuorumReached() const {
  auto counted = CheckedAdd(for_votes, abstain_votes);
  return counted && *counted >= quorum;
}

ProposalState Proposal::StateAt(uint64_t height) const {
  if (executed_height != 0) return ProposalState::kExecuted;
  if (canceled) return ProposalState::kCanceled;
  if (height <= snapshot_height) return ProposalState::kPending;
  if (height <= end_height) return ProposalState::kActive;
  if (QuorumReached() && for_votes > against_votes) return ProposalState::kSucceeded;
  return ProposalState::kDefeated;
}

Bytes Proposal::Encode() const {
  Writer w;
  w.U8(kProposalVersion).U64(id).Fixed(proposer.bytes).Str(title).Str(text);
  WriteChanges(w, changes);
  WriteReports(w, reports);
  w.U64(created_height).U64(snapshot_height).U64(end_height).U64(timelock_blocks);
  w.U128(quorum).U128(for_votes).U128(against_votes).U128(abstain_votes).U64(voters);
  w.U8(canceled ? 1 : 0).U64(executed_height);
  return std::move(w).bytes();
}

Result<Proposal> Proposal::Decode(ByteView b) {
  Proposal p;
  Reader r(b);
  uint8_t version = 0, canceled = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != kProposalVersion) s = Status::InvalidArgument("unknown version");
  if (s.ok()) s = r.U64(&p.id);
  if (s.ok()) s = r.Fixed(&p.proposer.bytes);
  if (s.ok()) s = r.Str(&p.title, kMaxProposalTitleChars * 4);
  if (s.ok()) s = r.Str(&p.text, kMaxProposalTextBytes);
  if (s.ok()) s = ReadChanges(r, &p.changes);
  if (s.ok()) s = ReadReports(r, &p.reports);
  if (s.ok()) s = r.U64(&p.created_height);
  if (s.ok()) s = r.U64(&p.snapshot_height);
  if (s.ok()) s = r.U64(&p.end_height);
  if (s.ok()) s = r.U64(&p.timelock_blocks);
  if (s.ok()) s = r.U128(&p.quorum);
  if (s.ok()) s = r.U128(&p.for_votes);
  if (s.ok()) s = r.U128(&p.against_votes);
  if (s.ok()) s = r.U128(&p.abstain_votes);
  if (s.ok()) s = r.U64(&p.voters);
  if (s.ok()) s = r.U8(&canceled);
  if (s.ok()) s = r.U64(&p.executed_height);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored proposal does not decode: " + s.message());
  p.canceled = canceled != 0;
  return p;
}

json Proposal::ToJson(uint64_t height) const {
  const ProposalState state = StateAt(height);
  json j = {{"id", id},
            {"proposer", proposer.ToString()},
            {"title", title},
            {"text", text},
            {"changes", ChangesJson(changes)},
            {"reports", ReportsJson(reports)},
            {"state", ProposalStateName(state)},
            {"created_height", created_height},
            {"snapshot_height", snapshot_height},
            {"voting_starts_height", snapshot_height + 1},
            {"voting_ends_height", end_height},
            {"timelock_blocks", timelock_blocks},
            {"executable_height", ExecutableHeight()},
            {"quorum", AmountToString(quorum)},
            {"quorum_reached", QuorumReached()},
            {"tally",
             {{"for", AmountToString(for_votes)},
              {"against", AmountToString(against_votes)},
              {"abstain", AmountToString(abstain_votes)},
              {"voters", voters}}}};
  if (state == ProposalState::kSucceeded) j["executable_now"] = height >= ExecutableHeight();
  if (executed_height != 0) {
    j["executed_height"] = executed_height;
    j["effective_height"] = executed_height + 1;
  }
  return j;
}

Result<uint64_t> LoadProposalCount(const StateReader& state) {
  auto raw = state.Get("G");
  if (!raw) return uint64_t{0};
  Reader r(*raw);
  uint64_t n = 0;
  Status s = r.U64(&n);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored proposal count does not decode");
  return n;
}

void StoreProposalCount(Overlay& state, uint64_t n) { state.Put("G", Writer().U64(n).bytes()); }

Result<std::optional<Proposal>> LoadProposal(const StateReader& state, uint64_t id) {
  auto raw = state.Get(ProposalKey(id));
  if (!raw) return std::optional<Proposal>();
  TRIB_ASSIGN_OR_RETURN(Proposal p, Proposal::Decode(*raw));
  return std::optional<Proposal>(std::move(p));
}

void StoreProposal(Overlay& state, const Proposal& p) { state.Put(ProposalKey(p.id), p.Encode()); }

Result<std::optional<Ballot>> LoadBallot(const StateReader& state, uint64_t id,
                                         const Address& voter) {
  auto raw = state.Get(BallotKey(id, voter));
  if (!raw) return std::optional<Ballot>();
  Reader r(*raw);
  uint8_t support = 0;
  Ballot b;
  Status s = r.U8(&support);
  if (s.ok() && support > 2) s = Status::InvalidArgument("unknown support");
  if (s.ok()) s = r.U128(&b.weight);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored ballot does not decode: " + s.message());
  b.support = static_cast<VoteSupport>(support);
  return std::optional<Ballot>(b);
}

void StoreBallot(Overlay& state, uint64_t id, const Address& voter, const Ballot& b) {
  state.Put(BallotKey(id, voter),
            Writer().U8(static_cast<uint8_t>(b.support)).U128(b.weight).bytes());
}

// ---- ProposePayload ----

Bytes ProposePayload::Encode() const {
  Writer w;
  w.Str(title).Str(text);
  WriteChanges(w, changes);
  WriteReports(w, reports);
  return std::move(w).bytes();
}

Result<ProposePayload> ProposePayload::Decode(ByteView b) {
  ProposePayload p;
  Reader r(b);
  Status s = r.Str(&p.title, kMaxProposalTitleChars * 4);
  if (s.ok()) s = r.Str(&p.text, kMaxProposalTextBytes);
  if (s.ok()) s = ReadChanges(r, &p.changes);
  if (s.ok()) s = ReadReports(r, &p.reports);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json ProposePayload::ToJson() const {
  return {{"title", title},
          {"text", text},
          {"changes", ChangesJson(changes)},
          {"reports", ReportsJson(reports)}};
}

Result<ProposePayload> ProposePayload::FromJson(const json& j) {
  ProposePayload p;
  TRIB_ASSIGN_OR_RETURN(p.title, PayloadString(j, "title"));
  TRIB_ASSIGN_OR_RETURN(p.text, PayloadString(j, "text", ""));
  const json no_items = json::array();
  const json& changes = j.contains("changes") ? j["changes"] : no_items;
  const json& reports = j.contains("reports") ? j["reports"] : no_items;
  if (!changes.is_array()) {
    return BadPayload("payload.changes must be an array of {\"name\", \"value\"}");
  }
  if (!reports.is_array()) {
    return BadPayload("payload.reports must be an array of {\"report\", \"uphold\"}");
  }
  for (const json& d : reports) {
    if (!d.is_object() || !d.contains("uphold") || !d["uphold"].is_boolean()) {
      return BadPayload("each report decision must be {\"report\": id, \"uphold\": bool}");
    }
    ReportDecision decision;
    TRIB_ASSIGN_OR_RETURN(decision.report, PayloadU64(d, "report"));
    decision.uphold = d["uphold"].get<bool>();
    p.reports.push_back(decision);
  }
  for (const json& c : changes) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("value") ||
        !c["value"].is_string()) {
      return BadPayload(
          "each change must be {\"name\": string, \"value\": string of an unsigned integer}");
    }
    ParamChange change;
    change.name = c["name"].get<std::string>();
    auto value = ParseAmount(c["value"].get<std::string>());
    if (!value.ok()) return BadPayload("change " + change.name + ": " + value.status().message());
    change.value = *value;
    p.changes.push_back(std::move(change));
  }
  return p;
}

Status ProposePayload::Check() const {
  if (title.empty()) return Bad("a proposal needs a title");
  if (!IsValidUtf8(title) || HasControlChars(title)) {
    return Bad("the title must be UTF-8 without control characters");
  }
  if (CountCodePoints(title) > kMaxProposalTitleChars) {
    return Bad("the title is longer than " + std::to_string(kMaxProposalTitleChars) +
               " characters");
  }
  if (text.size() > kMaxProposalTextBytes || !IsValidUtf8(text) || HasControlChars(text, true)) {
    return Bad("the text must be UTF-8 of at most " + std::to_string(kMaxProposalTextBytes) +
               " bytes without control characters");
  }
  const size_t actions = changes.size() + reports.size();
  if (actions == 0 || actions > kMaxProposalChanges) {
    return Bad("a proposal holds 1.." + std::to_string(kMaxProposalChanges) +
               " parameter changes and report decisions");
  }
  std::set<uint64_t> decided;
  for (const auto& d : reports) {
    if (d.report == 0) return Bad("report ids start at 1");
    if (!decided.insert(d.report).second) {
      return Bad("report " + std::to_string(d.report) + " is decided twice");
    }
  }
  std::set<std::string> seen;
  for (const auto& c : changes) {
    TRIB_ASSIGN_OR_RETURN(const ParamSpec* spec, ProtocolParams().Require(c.name));
    TRIB_RETURN_IF_ERROR(spec->CheckValue(c.value));
    if (!seen.insert(c.name).second) return Bad(c.name + " is changed twice");
  }
  return Status::OK();
}

}  // namespace tributary::economy
