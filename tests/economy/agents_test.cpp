// Agents and slash reports on a real executor: registration with stake, owners' budgets, exits,
// and reports on contributions decided by the Datanet's owner.
#include "tributary/economy/agents.h"

#include "economy/economy_fixture.h"
#include "tributary/economy/governance.h"

namespace tributary::economy {
namespace {

class AgentsTest : public EconomyTest {
 protected:
  Bytes Payload(std::string_view kind, const json& j) {
    auto p = kinds_.Find(kind)->PayloadFromJson(j);
    EXPECT_TRUE(p.ok()) << kind << ": " << p.status().ToString();
    return p.ok() ? *p : Bytes{};
  }
  json Registration(const KeyPair& owner, const std::string& stake) {
    return {{"owner", Addr(owner).ToString()},
            {"name", "research-bot"},
            {"purpose", "answers questions about Quillmere"},
            {"endpoint", "https://bot.example/v1"},
            {"stake", stake}};
  }
  std::string Refused(const KeyPair& from, std::string_view kind, const json& j) {
    Applied a = Send(from, kind, Payload(kind, j));
    EXPECT_EQ(a.receipt.status, Receipt::kFailed) << kind;
    return a.action.reason();
  }
  Agent AgentOf(const KeyPair& k) { return *LoadAgent(*state_, Addr(k)).value(); }
  Amount Balance(const Address& a) { return LoadAccount(*state_, a)->balance; }
};

TEST_F(AgentsTest, AnAgentLocksStakeAndItsOwnerSetsItsBudget) {
  const std::string hundred = AmountToString(100 * kOpen);
  EXPECT_EQ(Refused(carol_, kRegisterAgentKind, Registration(owner_, AmountToString(99 * kOpen))),
            "stake_too_low");
  const Amount before = Balance(Addr(carol_));
  Applied reg =
      Ok(carol_, kRegisterAgentKind, Payload(kRegisterAgentKind, Registration(owner_, hundred)));
  EXPECT_EQ(Balance(Addr(carol_)), before - 100 * kOpen - reg.fee);
  EXPECT_EQ(Balance(AgentEscrowAddress()), 100 * kOpen);
  Agent a = AgentOf(carol_);
  EXPECT_EQ(a.owner, Addr(owner_));
  EXPECT_EQ(a.stake, 100 * kOpen);
  EXPECT_EQ(a.name, "research-bot");
  EXPECT_EQ(*LoadAgentCount(*state_), 1u);
  EXPECT_EQ(*LoadAgentAt(*state_, 0), Addr(carol_));
  EXPECT_EQ(Refused(carol_, kRegisterAgentKind, Registration(owner_, hundred)), "agent_exists");

  // Only the owner sets the budget.
  const json budget = {{"agent", Addr(carol_).ToString()},
                       {"daily_limit", AmountToString(kOpen)},
                       {"total_limit", AmountToString(5 * kOpen)}};
  EXPECT_EQ(Refused(carol_, kAgentBudgetKind, budget), "not_agent_owner");
  Ok(owner_, kAgentBudgetKind, Payload(kAgentBudgetKind, budget));
  a = AgentOf(carol_);
  EXPECT_EQ(a.daily_budget, kOpen);
  EXPECT_EQ(a.total_budget, 5 * kOpen);
  EXPECT_EQ(a.Headroom(0), kOpen);
  a.spent_day = 3;
  a.spent_today = kOpen / 4;
  a.spent_total = 4 * kOpen + kOpen / 2;
  EXPECT_EQ(a.Headroom(3), kOpen / 2) << "the total cap binds";
  EXPECT_EQ(a.Headroom(4), kOpen / 2);
  a.total_budget = 0;
  EXPECT_EQ(a.Headroom(3), kOpen * 3 / 4);
  a.daily_budget = 0;
  EXPECT_EQ(a.Headroom(3), kAmountMax);

  // Exit returns the stake; a second exit is refused.
  EXPECT_EQ(Refused(bob_, kAgentExitKind, {{"agent", Addr(carol_).ToString()}}), "not_agent_owner");
  const Amount held = Balance(Addr(carol_));
  Ok(owner_, kAgentExitKind, Payload(kAgentExitKind, {{"agent", Addr(carol_).ToString()}}));
  EXPECT_EQ(Balance(Addr(carol_)), held + 100 * kOpen);
  EXPECT_EQ(Balance(AgentEscrowAddress()), 0u);
  EXPECT_TRUE(AgentOf(carol_).exited);
  EXPECT_EQ(Refused(carol_, kAgentExitKind, {{"agent", Addr(carol_).ToString()}}), "agent_exited");
}

TEST_F(AgentsTest, PayloadsAreChecked) {
  const TxKind* reg = kinds_.Find(kRegisterAgentKind);
  json j = Registration(owner_, "1");
  j["endpoint"] = "ftp://bot";
  EXPECT_EQ(reg->PayloadFromJson(j).status().reason(), "bad_agent");
  j["endpoint"] = "https://bot example";
  EXPECT_EQ(reg->PayloadFromJson(j).status().reason(), "bad_agent");
  j = Registration(owner_, "1");
  j["name"] = "";
  EXPECT_EQ(reg->PayloadFromJson(j).status().reason(), "bad_agent");
  j["name"] = std::string(65, 'n');
  EXPECT_EQ(reg->PayloadFromJson(j).status().reason(), "bad_agent");
  j = Registration(owner_, "-5");
  EXPECT_EQ(reg->PayloadFromJson(j).status().reason(), "bad_payload");
  j = Registration(owner_, "1");
  j["owner"] = "nobody";
  EXPECT_FALSE(reg->PayloadFromJson(j).ok());

  const TxKind* report = kinds_.Find(kSlashReportKind);
  const json target = {{"agent", Addr(carol_).ToString()}};
  EXPECT_EQ(report
                ->PayloadFromJson(
                    {{"target", target}, {"evidence", {{"text_hash", "zz"}}}, {"reason", "r"}})
                .status()
                .reason(),
            "bad_report");
  EXPECT_EQ(
      report->PayloadFromJson({{"target", target}, {"evidence", {{"photo", "x"}}}, {"reason", "r"}})
          .status()
          .reason(),
      "bad_payload");
  EXPECT_EQ(
      report
          ->PayloadFromJson(
              {{"target", {{"person", "x"}}}, {"evidence", {{"receipt", "x"}}}, {"reason", "r"}})
          .status()
          .reason(),
      "bad_payload");
  EXPECT_EQ(
      report
          ->PayloadFromJson({{"target", target}, {"evidence", {{"receipt", "x"}}}, {"reason", ""}})
          .status()
          .reason(),
      "bad_report");
  EXPECT_EQ(kinds_.Find(kSlashResolveKind)->PayloadFromJson({{"report", 1}}).status().reason(),
            "bad_payload");
}

TEST_F(AgentsTest, AContributionReportIsDecidedByTheDatanetOwner) {
  TwoVersions();  // Datanet d_ owned by owner_; alice, bob, carol contributed
  // alice's first contribution (accepted in an open Datanet).
  auto first = state_->Get(datanet::ContributionListKey(d_, 0));
  ASSERT_TRUE(first.has_value());
  Hash32 c{};
  std::copy(first->begin(), first->end(), c.begin());
  const json file = {{"target", {{"contribution", ToHex(c)}}},
                     {"evidence", {{"text_hash", ToHex(H("copied from a textbook"))}}},
                     {"reason", "copied text"}};
  Ok(bob_, kSlashReportKind, Payload(kSlashReportKind, file));
  auto r = *LoadReport(*state_, 1).value();
  EXPECT_EQ(r.status, ReportStatus::kOpen);
  EXPECT_EQ(r.target, ReportTarget::kContribution);
  EXPECT_EQ(r.reporter, Addr(bob_));
  // Unknown evidence, an unknown target: refused.
  json bad = file;
  bad["evidence"] = {{"receipt", "no-such-request"}};
  EXPECT_EQ(Refused(bob_, kSlashReportKind, bad), "unknown_evidence");
  bad = file;
  bad["target"] = {{"contribution", ToHex(H("nothing"))}};
  EXPECT_EQ(Refused(bob_, kSlashReportKind, bad), "unknown_contribution");
  bad = file;
  bad["target"] = {{"agent", Addr(carol_).ToString()}};
  EXPECT_EQ(Refused(bob_, kSlashReportKind, bad), "unknown_agent");

  // Only the Datanet's owner decides; an upheld report raises alice's slash count there.
  const json uphold = {{"report", 1}, {"uphold", true}};
  EXPECT_EQ(Refused(bob_, kSlashResolveKind, uphold), "not_datanet_owner");
  EXPECT_EQ((*datanet::LoadStats(*state_, d_, Addr(alice_))).slashed_count, 0u);
  Ok(owner_, kSlashResolveKind, Payload(kSlashResolveKind, uphold));
  EXPECT_EQ((*datanet::LoadStats(*state_, d_, Addr(alice_))).slashed_count, 1u);
  r = *LoadReport(*state_, 1).value();
  EXPECT_EQ(r.status, ReportStatus::kUpheld);
  EXPECT_EQ(r.decided_by, Addr(owner_));
  EXPECT_EQ(Refused(owner_, kSlashResolveKind, uphold), "report_closed");
  EXPECT_EQ(Refused(owner_, kSlashResolveKind, {{"report", 9}, {"uphold", false}}),
            "unknown_report");
  auto back = SlashReport::Decode(r.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Encode(), r.Encode());
}

}  // namespace
}  // namespace tributary::economy
