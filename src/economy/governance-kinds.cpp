// gov.delegate, gov.propose, gov.vote, gov.execute and gov.cancel (rules in economy/governance.h).
#include <memory>

#include "tributary/base/encoding.h"
#include "tributary/economy/agents.h"
#include "tributary/economy/fee_split.h"
#include "tributary/economy/governance.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/tx.h"
#include "tributary/ledger/votes.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

// {to}: 20-byte address.
struct DelegatePayload {
  Address to;
  Bytes Encode() const { return Writer().Fixed(to.bytes).bytes(); }
  static Result<DelegatePayload> Decode(ByteView b) {
    DelegatePayload p;
    Reader r(b);
    Status s = r.Fixed(&p.to.bytes);
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    return p;
  }
  json ToJson() const { return {{"to", to.ToString()}}; }
  static Result<DelegatePayload> FromJson(const json& j) {
    TRIB_ASSIGN_OR_RETURN(std::string to, PayloadString(j, "to"));
    DelegatePayload p;
    TRIB_ASSIGN_OR_RETURN(p.to, Address::Parse(to));
    return p;
  }
};

// {proposal, support}: u64 | u8.
struct VotePayload {
  uint64_t proposal = 0;
  VoteSupport support = VoteSupport::kFor;
  Bytes Encode() const { return Writer().U64(proposal).U8(static_cast<uint8_t>(support)).bytes(); }
  static Result<VotePayload> Decode(ByteView b) {
    VotePayload p;
    Reader r(b);
    uint8_t support = 0;
    Status s = r.U64(&p.proposal);
    if (s.ok()) s = r.U8(&support);
    if (s.ok() && support > 2) s = Status::InvalidArgument("support must be 0, 1 or 2");
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    p.support = static_cast<VoteSupport>(support);
    return p;
  }
  json ToJson() const { return {{"proposal", proposal}, {"support", VoteSupportName(support)}}; }
  static Result<VotePayload> FromJson(const json& j) {
    VotePayload p;
    TRIB_ASSIGN_OR_RETURN(p.proposal, PayloadU64(j, "proposal"));
    TRIB_ASSIGN_OR_RETURN(std::string support, PayloadString(j, "support"));
    TRIB_ASSIGN_OR_RETURN(p.support, ParseVoteSupport(support));
    return p;
  }
};

// {proposal}: u64.
struct ProposalIdPayload {
  uint64_t proposal = 0;
  Bytes Encode() const { return Writer().U64(proposal).bytes(); }
  static Result<ProposalIdPayload> Decode(ByteView b) {
    ProposalIdPayload p;
    Reader r(b);
    Status s = r.U64(&p.proposal);
    if (s.ok()) s = r.ExpectEnd();
    if (!s.ok()) return MalformedPayload(s);
    return p;
  }
  json ToJson() const { return {{"proposal", proposal}}; }
  static Result<ProposalIdPayload> FromJson(const json& j) {
    ProposalIdPayload p;
    TRIB_ASSIGN_OR_RETURN(p.proposal, PayloadU64(j, "proposal"));
    return p;
  }
};

Status CheckProposalId(uint64_t id) {
  if (id == 0) return Status::InvalidArgument("proposal ids start at 1", "bad_payload");
  return Status::OK();
}

Result<Proposal> RequireProposal(const StateReader& state, uint64_t id) {
  TRIB_ASSIGN_OR_RETURN(auto p, LoadProposal(state, id));
  if (!p) return Status::NotFound("no proposal " + std::to_string(id), "unknown_proposal");
  return *p;
}

class DelegateKind final : public PayloadKind<DelegatePayload> {
 public:
  std::string_view name() const override { return kDelegateKind; }

 protected:
  Status Check(const DelegatePayload&) const override { return Status::OK(); }
  Status Run(TxContext& ctx, const DelegatePayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(auto before, LoadDelegate(ctx.state, ctx.sender));
    TRIB_RETURN_IF_ERROR(SetDelegate(ctx.state, ctx.sender, p.to, ctx.height));
    TRIB_ASSIGN_OR_RETURN(Amount weight, VotingWeight(ctx.state, ctx.sender));
    ctx.events.push_back({"gov.delegated",
                          {{"account", ctx.sender.ToString()},
                           {"from", before ? before->ToString() : ""},
                           {"to", p.to.ToString()},
                           {"weight", AmountToString(weight)}}});
    return Status::OK();
  }
};

class ProposeKind final : public PayloadKind<ProposePayload> {
 public:
  std::string_view name() const override { return kProposeKind; }

 protected:
  Status Check(const ProposePayload& p) const override { return p.Check(); }
  Status Run(TxContext& ctx, const ProposePayload& p) const override {
    const uint64_t h = ctx.height;
    TRIB_ASSIGN_OR_RETURN(Amount threshold, ProtocolParam(ctx.state, kProposalThresholdParam, h));
    // Votes as of the block before, so power delegated in this block cannot propose.
    TRIB_ASSIGN_OR_RETURN(Amount votes, VotesAt(ctx.state, ctx.sender, h - 1));
    if (votes < threshold) {
      return Status::PermissionDenied(
          "proposing needs " + FormatTokens(threshold) + " OPEN of votes (delegated by block " +
              std::to_string(h - 1) + "); " + ctx.sender.ToString() + " has " + FormatTokens(votes),
          "below_proposal_threshold");
    }
    for (const auto& d : p.reports) {
      TRIB_ASSIGN_OR_RETURN(auto report, LoadReport(ctx.state, d.report));
      if (!report) {
        return Status::NotFound("no report " + std::to_string(d.report), "unknown_report");
      }
      if (report->target != ReportTarget::kAgent) {
        return Status::FailedPrecondition("report " + std::to_string(d.report) +
                                              " is about a contribution: its Datanet's owner "
                                              "decides it (slash.resolve)",
                                          "not_agent_report");
      }
      if (report->status != ReportStatus::kOpen) {
        return Status::FailedPrecondition("report " + std::to_string(d.report) + " is already " +
                                              std::string(ReportStatusName(report->status)),
                                          "report_closed");
      }
    }
    TRIB_ASSIGN_OR_RETURN(Amount delay, ProtocolParam(ctx.state, kVotingDelayParam, h));
    TRIB_ASSIGN_OR_RETURN(Amount period, ProtocolParam(ctx.state, kVotingPeriodParam, h));
    TRIB_ASSIGN_OR_RETURN(Amount timelock, ProtocolParam(ctx.state, kTimelockParam, h));
    TRIB_ASSIGN_OR_RETURN(Amount quorum_ppm, ProtocolParam(ctx.state, kQuorumParam, h));
    TRIB_ASSIGN_OR_RETURN(uint64_t count, LoadProposalCount(ctx.state));
    Proposal prop;
    prop.id = count + 1;
    prop.proposer = ctx.sender;
    prop.title = p.title;
    prop.text = p.text;
    prop.changes = p.changes;
    prop.reports = p.reports;
    prop.created_height = h;
    // The parameters' bounds keep these sums far below 2^64.
    prop.snapshot_height = h + static_cast<uint64_t>(delay);
    prop.end_height = prop.snapshot_height + static_cast<uint64_t>(period);
    prop.timelock_blocks = static_cast<uint64_t>(timelock);
    MulDivResult q = MulDiv(ctx.supply, static_cast<uint64_t>(quorum_ppm), kPartsPerMillion);
    prop.quorum = q.quotient + (q.remainder != 0 ? 1 : 0);  // rounded up: never below the share
    StoreProposal(ctx.state, prop);
    StoreProposalCount(ctx.state, prop.id);
    ctx.events.push_back({"gov.proposed",
                          {{"proposal", std::to_string(prop.id)},
                           {"proposer", ctx.sender.ToString()},
                           {"snapshot_height", std::to_string(prop.snapshot_height)},
                           {"voting_ends_height", std::to_string(prop.end_height)}}});
    return Status::OK();
  }
};

class VoteKind final : public PayloadKind<VotePayload> {
 public:
  std::string_view name() const override { return kVoteKind; }

 protected:
  Status Check(const VotePayload& p) const override { return CheckProposalId(p.proposal); }
  Status Run(TxContext& ctx, const VotePayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Proposal prop, RequireProposal(ctx.state, p.proposal));
    if (prop.StateAt(ctx.height) != ProposalState::kActive) {
      return Status::FailedPrecondition(
          "proposal " + std::to_string(prop.id) + " is " +
              std::string(ProposalStateName(prop.StateAt(ctx.height))) + " at block " +
              std::to_string(ctx.height) + "; it takes votes in blocks " +
              std::to_string(prop.snapshot_height + 1) + ".." + std::to_string(prop.end_height),
          "voting_closed");
    }
    TRIB_ASSIGN_OR_RETURN(auto previous, LoadBallot(ctx.state, prop.id, ctx.sender));
    if (previous) {
      return Status::AlreadyExists(ctx.sender.ToString() + " already voted " +
                                       std::string(VoteSupportName(previous->support)) +
                                       " on proposal " + std::to_string(prop.id),
                                   "already_voted");
    }
    TRIB_ASSIGN_OR_RETURN(Amount weight, VotesAt(ctx.state, ctx.sender, prop.snapshot_height));
    if (weight == 0) {
      return Status::FailedPrecondition(
          ctx.sender.ToString() + " had no votes delegated to it at the snapshot (block " +
              std::to_string(prop.snapshot_height) + ")",
          "no_voting_power");
    }
    Amount* tally = p.support == VoteSupport::kFor       ? &prop.for_votes
                    : p.support == VoteSupport::kAgainst ? &prop.against_votes
                                                         : &prop.abstain_votes;
    auto sum = CheckedAdd(*tally, weight);
    if (!sum) return Status::Internal("tally overflows");
    *tally = *sum;
    prop.voters += 1;
    StoreProposal(ctx.state, prop);
    StoreBallot(ctx.state, prop.id, ctx.sender, {p.support, weight});
    ctx.events.push_back({"gov.voted",
                          {{"proposal", std::to_string(prop.id)},
                           {"voter", ctx.sender.ToString()},
                           {"support", std::string(VoteSupportName(p.support))},
                           {"weight", AmountToString(weight)}}});
    return Status::OK();
  }
};

class ExecuteKind final : public PayloadKind<ProposalIdPayload> {
 public:
  std::string_view name() const override { return kExecuteKind; }

 protected:
  Status Check(const ProposalIdPayload& p) const override { return CheckProposalId(p.proposal); }
  Status Run(TxContext& ctx, const ProposalIdPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Proposal prop, RequireProposal(ctx.state, p.proposal));
    const ProposalState state = prop.StateAt(ctx.height);
    if (state != ProposalState::kSucceeded) {
      std::string why = std::string(ProposalStateName(state));
      if (state == ProposalState::kDefeated) {
        why += prop.QuorumReached() ? " (no more votes for than against)"
                                    : " (quorum of " + FormatTokens(prop.quorum) +
                                          " OPEN for or abstaining not reached)";
      }
      return Status::FailedPrecondition("proposal " + std::to_string(prop.id) + " is " + why +
                                            " at block " + std::to_string(ctx.height) +
                                            "; only a succeeded proposal can be executed",
                                        "proposal_not_succeeded");
    }
    if (ctx.height < prop.ExecutableHeight()) {
      return Status::FailedPrecondition(
          "proposal " + std::to_string(prop.id) + " is in its timelock until block " +
              std::to_string(prop.ExecutableHeight()) + " (now " + std::to_string(ctx.height) + ")",
          "timelock");
    }
    for (const auto& c : prop.changes) {
      TRIB_ASSIGN_OR_RETURN(const ParamSpec* spec, ProtocolParams().Require(c.name));
      TRIB_ASSIGN_OR_RETURN(Amount before, ParamAt(ctx.state, *spec, ctx.height));
      TRIB_RETURN_IF_ERROR(StoreParam(ctx.state, *spec, c.value, ctx.height + 1));
      ctx.events.push_back({"param.changed",
                            {{"name", c.name},
                             {"from", AmountToString(before)},
                             {"to", AmountToString(c.value)},
                             {"effective_height", std::to_string(ctx.height + 1)},
                             {"proposal", std::to_string(prop.id)}}});
    }
    for (const auto& d : prop.reports) {
      TRIB_ASSIGN_OR_RETURN(auto report, LoadReport(ctx.state, d.report));
      if (!report || report->status != ReportStatus::kOpen) {
        ctx.events.push_back(
            {"gov.report_skipped",
             {{"proposal", std::to_string(prop.id)}, {"report", std::to_string(d.report)}}});
        continue;
      }
      TRIB_RETURN_IF_ERROR(ResolveReport(ctx, d.report, d.uphold, GovernorAddress(), prop.id));
    }
    prop.executed_height = ctx.height;
    StoreProposal(ctx.state, prop);
    ctx.events.push_back({"gov.executed", {{"proposal", std::to_string(prop.id)}}});
    return Status::OK();
  }
};

class CancelKind final : public PayloadKind<ProposalIdPayload> {
 public:
  std::string_view name() const override { return kCancelKind; }

 protected:
  Status Check(const ProposalIdPayload& p) const override { return CheckProposalId(p.proposal); }
  Status Run(TxContext& ctx, const ProposalIdPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Proposal prop, RequireProposal(ctx.state, p.proposal));
    if (prop.proposer != ctx.sender) {
      return Status::PermissionDenied("only the proposer " + prop.proposer.ToString() +
                                          " can cancel proposal " + std::to_string(prop.id),
                                      "not_proposer");
    }
    const ProposalState state = prop.StateAt(ctx.height);
    if (state != ProposalState::kPending && state != ProposalState::kActive) {
      return Status::FailedPrecondition("proposal " + std::to_string(prop.id) + " is " +
                                            std::string(ProposalStateName(state)) +
                                            "; it can be canceled only until voting ends (block " +
                                            std::to_string(prop.end_height) + ")",
                                        "proposal_closed");
    }
    prop.canceled = true;
    StoreProposal(ctx.state, prop);
    ctx.events.push_back({"gov.canceled", {{"proposal", std::to_string(prop.id)}}});
    return Status::OK();
  }
};

}  // namespace

void RegisterGovernanceKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<DelegateKind>());
  (void)registry.Add(std::make_unique<ProposeKind>());
  (void)registry.Add(std::make_unique<VoteKind>());
  (void)registry.Add(std::make_unique<ExecuteKind>());
  (void)registry.Add(std::make_unique<CancelKind>());
}

}  // namespace tributary::economy
