// The governor on a real executor: the whole life of a proposal, every refusal, and the snapshot
// rule (tokens moved after a proposal's snapshot never vote twice).
#include "tributary/economy/governance.h"

#include "economy/economy_fixture.h"
#include "tributary/economy/agents.h"
#include "tributary/ledger/votes.h"

namespace tributary::economy {
namespace {

class GovernanceTest : public EconomyTest {
 protected:
  GovernanceTest() {
    // The development clock: snapshot 2 blocks after the proposal, 10 blocks of voting, 2 of
    // timelock. Supply 4000 OPEN: the quorum is 1000 OPEN, the threshold 100 OPEN.
    SetDevGovernanceParams(&genesis_);
    EXPECT_TRUE(CheckGenesisParams(genesis_).ok());
    exec_ = std::make_unique<Executor>(genesis_, kinds_);
    state_ = std::make_unique<State>();
    Overlay o(state_.get());
    exec_->ApplyGenesis(o);
    state_->Apply(o.writes());
  }

  Bytes Delegate(const KeyPair& to) {
    return kinds_.Find(kDelegateKind)->PayloadFromJson({{"to", Addr(to).ToString()}}).value();
  }
  Bytes Vote(uint64_t id, const std::string& support) {
    return kinds_.Find(kVoteKind)
        ->PayloadFromJson({{"proposal", id}, {"support", support}})
        .value();
  }
  Bytes Id(std::string_view kind, uint64_t id) {
    return kinds_.Find(kind)->PayloadFromJson({{"proposal", id}}).value();
  }
  Bytes ProtocolShare(const std::string& value) {
    ProposePayload p;
    p.title = "Raise the protocol share";
    p.text = "The treasury funds the\nindexers.";
    p.changes = {{std::string(kProtocolShareParam), *ParseAmount(value)}};
    EXPECT_TRUE(p.Check().ok()) << p.Check().ToString();
    return p.Encode();
  }
  std::string Refused(const KeyPair& from, std::string_view kind, Bytes payload) {
    Applied a = Send(from, kind, std::move(payload));
    EXPECT_EQ(a.receipt.status, Receipt::kFailed);
    return a.action.reason();
  }
  // Blocks pass: transfers of 1 base unit from carol to herself.
  void AdvanceTo(uint64_t height) {
    while (height_ + 1 < height) {
      Ok(carol_, "transfer", Writer().Fixed(Addr(carol_).bytes).U128(1).bytes());
    }
  }
  Proposal P(uint64_t id) { return *LoadProposal(*state_, id).value(); }
  Amount Share(uint64_t height) { return *ProtocolParam(*state_, kProtocolShareParam, height); }
};

TEST_F(GovernanceTest, AProposalPassesAndItsChangeAppliesFromTheNextBlock) {
  Ok(owner_, kDelegateKind, Delegate(owner_));
  Ok(carol_, kDelegateKind, Delegate(owner_));  // carol's weight votes with the owner's
  Ok(alice_, kDelegateKind, Delegate(alice_));
  Ok(owner_, kProposeKind, ProtocolShare("75000"));
  const uint64_t created = height_;
  ASSERT_EQ(*LoadProposalCount(*state_), 1u);
  Proposal p = P(1);
  EXPECT_EQ(p.snapshot_height, created + 2);
  EXPECT_EQ(p.end_height, created + 12);
  EXPECT_EQ(p.ExecutableHeight(), created + 15);
  EXPECT_EQ(p.quorum, 1000 * kOpen);
  EXPECT_EQ(p.StateAt(height_ + 1), ProposalState::kPending);

  // Too early: the snapshot block is not complete until voting opens.
  EXPECT_EQ(Refused(alice_, kVoteKind, Vote(1, "against")), "voting_closed");
  AdvanceTo(p.snapshot_height + 1);
  Ok(owner_, kVoteKind, Vote(1, "for"));
  EXPECT_EQ(Refused(owner_, kVoteKind, Vote(1, "against")), "already_voted");
  Ok(alice_, kVoteKind, Vote(1, "against"));
  p = P(1);
  // The owner votes with its own weight and carol's as of the snapshot (less a few fees).
  EXPECT_GT(p.for_votes, 1999 * kOpen);
  EXPECT_LT(p.for_votes, 2000 * kOpen);
  EXPECT_GT(p.against_votes, 999 * kOpen);
  EXPECT_EQ(p.voters, 2u);
  auto ballot = LoadBallot(*state_, 1, Addr(alice_)).value();
  ASSERT_TRUE(ballot.has_value());
  EXPECT_EQ(ballot->support, VoteSupport::kAgainst);

  // Executing before the vote ends, then inside the timelock: refused with the reason.
  EXPECT_EQ(Refused(bob_, kExecuteKind, Id(kExecuteKind, 1)), "proposal_not_succeeded");
  AdvanceTo(p.end_height + 1);
  EXPECT_EQ(P(1).StateAt(height_ + 1), ProposalState::kSucceeded);
  EXPECT_EQ(Refused(bob_, kExecuteKind, Id(kExecuteKind, 1)), "timelock");
  EXPECT_EQ(Refused(bob_, kVoteKind, Vote(1, "for")), "voting_closed");
  AdvanceTo(p.ExecutableHeight());
  EXPECT_EQ(Share(height_ + 1), kProtocolSharePpm);
  Applied executed = Ok(bob_, kExecuteKind, Id(kExecuteKind, 1));  // anyone may execute
  const uint64_t at = height_;
  EXPECT_EQ(Share(at), kProtocolSharePpm) << "not in the executing block itself";
  EXPECT_EQ(Share(at + 1), 75'000u);
  EXPECT_EQ(P(1).StateAt(at + 1), ProposalState::kExecuted);
  EXPECT_EQ(P(1).executed_height, at);
  bool changed = false;
  for (const auto& e : executed.receipt.events) changed |= e.type == "param.changed";
  EXPECT_TRUE(changed);
  EXPECT_EQ(Refused(bob_, kExecuteKind, Id(kExecuteKind, 1)), "proposal_not_succeeded");
}

TEST_F(GovernanceTest, TokensMovedAfterTheSnapshotDoNotVoteTwice) {
  Ok(owner_, kDelegateKind, Delegate(owner_));
  Ok(alice_, kDelegateKind, Delegate(alice_));
  Ok(owner_, kProposeKind, ProtocolShare("60000"));
  Proposal p = P(1);
  AdvanceTo(p.snapshot_height + 1);
  Ok(alice_, kVoteKind, Vote(1, "for"));
  // alice hands her tokens to bob after the snapshot; bob delegates to himself and tries to vote
  // with them: at the snapshot bob had no votes.
  Ok(alice_, "transfer", Writer().Fixed(Addr(bob_).bytes).U128(900 * kOpen).bytes());
  Ok(bob_, kDelegateKind, Delegate(bob_));
  EXPECT_GT(*CurrentVotes(*state_, Addr(bob_)), 1899 * kOpen);
  EXPECT_EQ(Refused(bob_, kVoteKind, Vote(1, "for")), "no_voting_power");
  // alice's ballot keeps its snapshot weight.
  EXPECT_GT(P(1).for_votes, 999 * kOpen);
}

TEST_F(GovernanceTest, RefusalsNameTheirReason) {
  Ok(owner_, kDelegateKind, Delegate(owner_));
  // Under the threshold: carol never delegated, so she has no votes.
  EXPECT_EQ(Refused(carol_, kProposeKind, ProtocolShare("60000")), "below_proposal_threshold");
  // Delegated in this very block does not count (votes as of the block before).
  Ok(alice_, kDelegateKind, Delegate(alice_));
  // Out of bounds, unknown, repeated, empty: the payload itself is refused.
  ProposePayload p;
  p.title = "t";
  p.changes = {{std::string(kProtocolShareParam), 500'001}};
  EXPECT_EQ(p.Check().reason(), "param_out_of_bounds");
  p.changes = {{"fees.nonexistent", 1}};
  EXPECT_EQ(p.Check().reason(), "unknown_param");
  p.changes = {{std::string(kQuorumParam), 1}, {std::string(kQuorumParam), 2}};
  EXPECT_EQ(p.Check().reason(), "bad_proposal");
  p.changes = {};
  EXPECT_EQ(p.Check().reason(), "bad_proposal");
  p.changes = {{std::string(kQuorumParam), 0}};  // a quorum of nobody
  EXPECT_EQ(p.Check().reason(), "param_out_of_bounds");
  p.changes = {{std::string(kQuorumParam), 1}};
  p.title = "";
  EXPECT_EQ(p.Check().reason(), "bad_proposal");
  p.title = "bell\x07";
  EXPECT_EQ(p.Check().reason(), "bad_proposal");
  EXPECT_EQ(kinds_.Find(kProposeKind)
                ->PayloadFromJson(
                    {{"title", "t"}, {"changes", {{{"name", "gov.quorum_ppm"}, {"value", 5}}}}})
                .status()
                .reason(),
            "bad_payload");
  EXPECT_EQ(kinds_.Find(kVoteKind)
                ->PayloadFromJson({{"proposal", 1}, {"support", "maybe"}})
                .status()
                .reason(),
            "bad_vote");
  EXPECT_EQ(kinds_.Find(kVoteKind)->CheckPayload(Writer().U64(0).U8(1).bytes()).reason(),
            "bad_payload");
  EXPECT_EQ(Refused(owner_, kVoteKind, Vote(7, "for")), "unknown_proposal");

  // Cancel: only the proposer, only until voting ends.
  Ok(owner_, kProposeKind, ProtocolShare("60000"));
  EXPECT_EQ(Refused(alice_, kCancelKind, Id(kCancelKind, 1)), "not_proposer");
  Ok(owner_, kCancelKind, Id(kCancelKind, 1));
  EXPECT_EQ(P(1).StateAt(height_ + 1), ProposalState::kCanceled);
  EXPECT_EQ(Refused(owner_, kCancelKind, Id(kCancelKind, 1)), "proposal_closed");
  AdvanceTo(P(1).snapshot_height + 1);
  EXPECT_EQ(Refused(owner_, kVoteKind, Vote(1, "for")), "voting_closed");

  // Without quorum: the owner alone (under 1000 OPEN after fees) is defeated though unopposed.
  Ok(owner_, kProposeKind, ProtocolShare("60000"));
  Proposal p2 = P(2);
  AdvanceTo(p2.snapshot_height + 1);
  Ok(owner_, kVoteKind, Vote(2, "for"));
  AdvanceTo(p2.ExecutableHeight());
  EXPECT_FALSE(P(2).QuorumReached());
  EXPECT_EQ(P(2).StateAt(height_ + 1), ProposalState::kDefeated);
  Applied a = Send(owner_, kExecuteKind, Id(kExecuteKind, 2));
  EXPECT_EQ(a.action.reason(), "proposal_not_succeeded");
  EXPECT_NE(a.action.message().find("quorum"), std::string::npos) << a.action.message();
  EXPECT_EQ(Refused(owner_, kCancelKind, Id(kCancelKind, 2)), "proposal_closed");
  EXPECT_EQ(Share(height_ + 1), kProtocolSharePpm);
}

TEST_F(GovernanceTest, MoreAgainstThanForIsDefeatedAndGenesisValuesAreChecked) {
  Ok(owner_, kDelegateKind, Delegate(owner_));
  Ok(alice_, kDelegateKind, Delegate(alice_));
  Ok(bob_, kDelegateKind, Delegate(alice_));
  Ok(carol_, kDelegateKind, Delegate(carol_));
  Ok(owner_, kProposeKind, ProtocolShare("60000"));
  AdvanceTo(P(1).snapshot_height + 1);
  Ok(owner_, kVoteKind, Vote(1, "for"));
  Ok(carol_, kVoteKind, Vote(1, "abstain"));  // abstaining counts toward the quorum
  Ok(alice_, kVoteKind, Vote(1, "against"));
  AdvanceTo(P(1).end_height + 1);
  EXPECT_TRUE(P(1).QuorumReached());
  EXPECT_EQ(P(1).StateAt(height_ + 1), ProposalState::kDefeated);

  Genesis g = genesis_;
  g.protocol_params["fees.protocol_share_ppm"] = 900'000;
  EXPECT_EQ(CheckGenesisParams(g).reason(), "bad_genesis");
  g.protocol_params.erase("fees.protocol_share_ppm");
  g.protocol_params["no.such"] = 1;
  EXPECT_EQ(CheckGenesisParams(g).reason(), "bad_genesis");
}

TEST_F(GovernanceTest, AnAgentReportIsDecidedByAVoteAndSlashesItsStake) {
  const TxKind* reg = kinds_.Find(kRegisterAgentKind);
  Ok(carol_, kRegisterAgentKind,
     reg->PayloadFromJson({{"owner", Addr(bob_).ToString()},
                           {"name", "trader"},
                           {"stake", AmountToString(200 * kOpen)}})
         .value());
  Ok(owner_, kDelegateKind, Delegate(owner_));
  Ok(alice_, kDelegateKind, Delegate(owner_));
  Bytes report = kinds_.Find(kSlashReportKind)
                     ->PayloadFromJson({{"target", {{"agent", Addr(carol_).ToString()}}},
                                        {"evidence", {{"text_hash", ToHex(H("spam answers"))}}},
                                        {"reason", "it resold answers as its own"}})
                     .value();
  Ok(bob_, kSlashReportKind, report);
  // The report pins the stake; the Datanet-owner route does not decide agents.
  EXPECT_EQ(Refused(carol_, kAgentExitKind,
                    kinds_.Find(kAgentExitKind)
                        ->PayloadFromJson({{"agent", Addr(carol_).ToString()}})
                        .value()),
            "open_reports");
  EXPECT_EQ(Refused(owner_, kSlashResolveKind,
                    kinds_.Find(kSlashResolveKind)
                        ->PayloadFromJson({{"report", 1}, {"uphold", true}})
                        .value()),
            "decided_by_governance");

  ProposePayload p;
  p.title = "Slash the trader";
  p.reports = {{1, true}};
  ASSERT_TRUE(p.Check().ok()) << p.Check().ToString();
  ProposePayload unknown = p;
  unknown.reports = {{7, true}};
  EXPECT_EQ(Refused(owner_, kProposeKind, unknown.Encode()), "unknown_report");
  Ok(owner_, kProposeKind, p.Encode());
  EXPECT_EQ(P(1).reports, p.reports);
  AdvanceTo(P(1).snapshot_height + 1);
  Ok(owner_, kVoteKind, Vote(1, "for"));
  AdvanceTo(P(1).ExecutableHeight());
  const Amount treasury = LoadAccount(*state_, TreasuryAddress())->balance;
  Ok(bob_, kExecuteKind, Id(kExecuteKind, 1));
  // slash.agent_share_ppm (50%) of 200 OPEN to the treasury; the agent's record says so.
  EXPECT_EQ(LoadAccount(*state_, TreasuryAddress())->balance, treasury + 100 * kOpen);
  Agent a = *LoadAgent(*state_, Addr(carol_)).value();
  EXPECT_EQ(a.stake, 100 * kOpen);
  EXPECT_EQ(a.slash_count, 1u);
  EXPECT_EQ(a.open_reports, 0u);
  SlashReport r = *LoadReport(*state_, 1).value();
  EXPECT_EQ(r.status, ReportStatus::kUpheld);
  EXPECT_EQ(r.decided_by, GovernorAddress());
  EXPECT_EQ(r.proposal, 1u);
  EXPECT_EQ(r.slashed, 100 * kOpen);
  // Decided, the report no longer pins the rest of the stake.
  Ok(carol_, kAgentExitKind,
     kinds_.Find(kAgentExitKind)->PayloadFromJson({{"agent", Addr(carol_).ToString()}}).value());
}

TEST_F(GovernanceTest, ProposalsRoundTripThroughTheirEncoding) {
  Ok(owner_, kDelegateKind, Delegate(owner_));
  Ok(owner_, kProposeKind, ProtocolShare("60000"));
  Proposal p = P(1);
  auto back = Proposal::Decode(p.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Encode(), p.Encode());
  EXPECT_EQ(back->changes, p.changes);
  json j = p.ToJson(height_ + 1);
  EXPECT_EQ(j["state"], "pending");
  EXPECT_EQ(j["changes"][0]["name"], "fees.protocol_share_ppm");
  EXPECT_EQ(j["changes"][0]["value"], "60000");
  Bytes bad = p.Encode();
  bad.pop_back();
  EXPECT_EQ(Proposal::Decode(bad).status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace tributary::economy
