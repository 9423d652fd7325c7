// Governance on a real node through the `tributary` command line and the HTTP API: a proposal's
// whole life (delegate, propose, vote, quorum, timelock, execute, the parameter in force from the
// next block), the refusals a user sees, staking rewards' commands, and the ledger replaying to the
// same roots afterwards.
#include <gtest/gtest.h>

#include "support/test_util.h"
#include "support/tx_util.h"

namespace tributary::testing {
namespace {

using json = nlohmann::json;

class GovernanceNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<NodeProcess>(tmp_.path() / "data", tmp_.path() / "home");
    ASSERT_TRUE(node_->Start()) << node_->output();
  }
  CommandResult Cli(std::vector<std::string> args) { return RunCli(*node_, args); }
  json CliJson(std::vector<std::string> args) { return RunCliJson(*node_, args); }
  json Get(const std::string& path) {
    HttpResponse r = HttpGet(node_->port(), path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.json();
  }
  uint64_t Height() { return Get("/v1/chain").value("height", uint64_t{0}); }
  // The node makes a block per committed tx here (--block-interval-ms 0): tiny self-transfers.
  void AdvanceUntilNextBlockIs(uint64_t height) {
    while (Height() + 1 < height) {
      auto r =
          Cli({"tx", "transfer", "--from", "dev", "--to", "dev", "--amount", "0.000001", "--wait"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  TempDir tmp_;
  std::unique_ptr<NodeProcess> node_;
};

TEST_F(GovernanceNodeTest, AProposalChangesTheProtocolShareFromTheBlockAfterItsExecution) {
  FundedKey(*node_, "alice", "500");
  json params = Get("/v1/params");
  ASSERT_TRUE(params["params"].is_array());
  json share;
  for (const auto& p : params["params"]) {
    if (p["name"] == "fees.protocol_share_ppm") share = p;
  }
  EXPECT_EQ(share["value"], "50000") << params.dump();
  EXPECT_EQ(share["unit"], "ppm");
  EXPECT_EQ(share["max"], "500000");
  EXPECT_EQ(Get("/v1/params/gov.voting_period_blocks")["value"], "10") << "--dev shortens it";

  // alice has tokens but no votes (nobody delegated them): under the 100 OPEN threshold.
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"gov", "propose", "--from", "alice", "--title", "t",
                                         "--set", "fees.protocol_share_ppm=7.5%"}),
                                    "below_proposal_threshold"));
  json delegated = CliJson({"gov", "delegate", "--from", "dev"});
  EXPECT_EQ(delegated["receipt"]["status"], "success") << delegated.dump();
  json votes = CliJson({"gov", "votes", "dev"});
  EXPECT_NE(votes["votes"], "0");
  EXPECT_EQ(votes["delegate"], votes["address"]);

  json proposed =
      CliJson({"gov", "propose", "--from", "dev", "--title", "Raise the protocol share", "--text",
               "Fund the indexers.", "--set", "fees.protocol_share_ppm=7.5%"});
  ASSERT_EQ(proposed["receipt"]["status"], "success") << proposed.dump();
  json p = Get("/v1/proposals/1");
  EXPECT_EQ(p["state"], "pending");
  EXPECT_EQ(p["title"], "Raise the protocol share");
  EXPECT_EQ(p["changes"][0]["name"], "fees.protocol_share_ppm");
  EXPECT_EQ(p["changes"][0]["value"], "75000");
  const uint64_t snapshot = p["snapshot_height"], end = p["voting_ends_height"],
                 executable = p["executable_height"];

  EXPECT_TRUE(
      FailsWithOneErrorLine(Cli({"gov", "vote", "--from", "dev", "1", "for"}), "voting_closed"));
  AdvanceUntilNextBlockIs(snapshot + 1);
  auto voted = Cli({"gov", "vote", "--from", "dev", "1", "for"});
  ASSERT_EQ(voted.exit_code, 0) << voted.err;
  EXPECT_NE(voted.out.find("voted for on proposal 1"), std::string::npos) << voted.out;
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"gov", "vote", "--from", "dev", "1", "against"}),
                                    "already_voted"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"gov", "vote", "--from", "alice", "1", "against"}),
                                    "no_voting_power"));
  p = Get("/v1/proposals/1?voter=" + votes["address"].get<std::string>());
  EXPECT_EQ(p["state"], "active");
  EXPECT_EQ(p["quorum_reached"], true);
  EXPECT_EQ(p["ballot"]["support"], "for");
  EXPECT_EQ(p["tally"]["voters"], 1);

  AdvanceUntilNextBlockIs(end + 1);
  EXPECT_EQ(Get("/v1/proposals/1")["state"], "succeeded");
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"gov", "execute", "--from", "alice", "1"}), "timelock"));
  AdvanceUntilNextBlockIs(executable);
  auto executed = Cli({"gov", "execute", "--from", "alice", "1"});
  ASSERT_EQ(executed.exit_code, 0) << executed.err;
  const uint64_t at = Height();
  EXPECT_NE(executed.out.find("apply from block " + std::to_string(at + 1)), std::string::npos)
      << executed.out;
  // Executed in the head block: the value shown is the one the next block applies.
  json now = Get("/v1/params/fees.protocol_share_ppm");
  EXPECT_EQ(now["value"], "75000") << now.dump();
  EXPECT_EQ(now["since_height"], at + 1);
  EXPECT_EQ(now["previous"], "50000");
  p = Get("/v1/proposals/1");
  EXPECT_EQ(p["state"], "executed");
  EXPECT_EQ(p["effective_height"], at + 1);
  json listed = CliJson({"gov", "list", "--state", "executed"});
  ASSERT_EQ(listed["proposals"].size(), 1u) << listed.dump();
  auto shown = Cli({"params", "fees.protocol_share_ppm"});
  EXPECT_NE(shown.out.find("7.5%"), std::string::npos) << shown.out;

  // Staking: alice stakes; nothing has been paid in yet, so there is nothing to claim.
  ASSERT_EQ(Cli({"tx", "stake", "--from", "alice", "--amount", "100", "--wait"}).exit_code, 0);
  json pool = CliJson({"stake", "rewards", "alice"});
  EXPECT_EQ(pool["total_staked"], "100000000000000000000") << pool.dump();
  EXPECT_EQ(pool["account"]["claimable"], "0");
  EXPECT_EQ(pool["reward_share_ppm"], "500000");
  EXPECT_TRUE(
      FailsWithOneErrorLine(Cli({"stake", "claim", "--from", "alice"}), "nothing_to_claim"));

  // The parameter survives a restart, and the ledger replays from genesis to the same roots.
  EXPECT_EQ(node_->Stop(), 0);
  auto verified = RunTributary({"ledger", "verify", "--data", (tmp_.path() / "data").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("ledger OK"), std::string::npos) << verified.out;
  ASSERT_TRUE(node_->Start()) << node_->output();
  EXPECT_EQ(Get("/v1/params/fees.protocol_share_ppm")["value"], "75000");
}

TEST_F(GovernanceNodeTest, AnAgentIsRegisteredBudgetedReportedAndSlashedByVote) {
  const std::string bot = FundedKey(*node_, "bot", "500");
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"agent", "register", "--from", "bot", "--owner", "dev",
                                         "--name", "bot", "--stake", "50"}),
                                    "stake_too_low"));
  auto reg =
      Cli({"agent", "register", "--from", "bot", "--owner", "dev", "--name", "bot", "--purpose",
           "buys answers", "--endpoint", "https://bot.example", "--stake", "150"});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  json agent = CliJson({"agent", "show", "bot"});
  EXPECT_EQ(agent["stake"], "150000000000000000000") << agent.dump();
  EXPECT_EQ(agent["status"], "active");
  EXPECT_EQ(CliJson({"agent", "list", "--owner", "dev"})["agents"].size(), 1u);
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"agent", "budget", "--from", "bot", "bot", "--daily", "1"}), "not_agent_owner"));
  ASSERT_EQ(Cli({"agent", "budget", "--from", "dev", "bot", "--daily", "1"}).exit_code, 0);
  EXPECT_EQ(Get("/v1/agents/" + bot)["daily_budget"], "1000000000000000000");

  auto filed = Cli({"report", "file", "--from", "dev", "--agent", "bot", "--evidence-text",
                    "it resold answers", "--reason", "resold answers as its own"});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_NE(filed.out.find("report 1 filed"), std::string::npos) << filed.out;
  EXPECT_TRUE(
      FailsWithOneErrorLine(Cli({"agent", "exit", "--from", "bot", "bot"}), "open_reports"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"report", "resolve", "--from", "dev", "1", "uphold"}),
                                    "decided_by_governance"));

  ASSERT_EQ(Cli({"gov", "delegate", "--from", "dev"}).exit_code, 0);
  ASSERT_EQ(
      Cli({"gov", "propose", "--from", "dev", "--title", "Slash bot", "--uphold", "1"}).exit_code,
      0);
  json p = Get("/v1/proposals/1");
  EXPECT_EQ(p["reports"][0]["report"], 1);
  EXPECT_EQ(p["reports"][0]["uphold"], true);
  AdvanceUntilNextBlockIs(p["snapshot_height"].get<uint64_t>() + 1);
  ASSERT_EQ(Cli({"gov", "vote", "--from", "dev", "1", "for"}).exit_code, 0);
  AdvanceUntilNextBlockIs(p["executable_height"].get<uint64_t>());
  auto executed = Cli({"gov", "execute", "--from", "dev", "1"});
  ASSERT_EQ(executed.exit_code, 0) << executed.err;
  json report = CliJson({"report", "show", "1"});
  EXPECT_EQ(report["status"], "upheld") << report.dump();
  EXPECT_EQ(report["slashed"], "75000000000000000000");
  EXPECT_EQ(report["proposal"], 1);
  agent = Get("/v1/agents/" + bot);
  EXPECT_EQ(agent["stake"], "75000000000000000000");
  EXPECT_EQ(agent["slash_count"], 1);
  EXPECT_EQ(CliJson({"report", "list", "--status", "upheld"})["reports"].size(), 1u);
  auto exited = Cli({"agent", "exit", "--from", "bot", "bot"});
  EXPECT_EQ(exited.exit_code, 0) << exited.err;
  EXPECT_EQ(Get("/v1/agents/" + bot)["status"], "exited");

  // Bad input.
  const int port = node_->port();
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/agents/nobody"), 400, "bad_address"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/agents/" + FundedKey(*node_, "plain", "1")), 404,
                          "unknown_agent"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/reports/x"), 400, "bad_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/reports/9"), 404, "unknown_report"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/reports?status=bogus"), 400, "bad_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/agents?owner=nobody"), 400, "bad_address"));
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"report", "file", "--from", "dev", "--reason", "r", "--evidence-text", "t"}),
      "--agent or --contribution"));
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"report", "file", "--from", "dev", "--agent", "bot", "--reason", "r"}), "evidence"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"report", "resolve", "--from", "dev", "1", "maybe"}),
                                    "uphold or dismiss"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"agent", "register", "--from", "plain", "--owner", "dev",
                                         "--name", "x", "--endpoint", "ftp://x", "--stake", "1"}),
                                    "bad_agent"));
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"agent", "budget", "--from", "dev", "bot", "--daily", "lots"}), "--daily"));
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"gov", "propose", "--from", "dev", "--title", "t", "--uphold", "9"}), "unknown_report"));
}

TEST_F(GovernanceNodeTest, BadInputGetsAClearError) {
  const int port = node_->port();
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/params/fees.nope"), 404, "unknown_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/proposals/abc"), 400, "bad_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/proposals/99"), 404, "unknown_proposal"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/proposals?state=bogus"), 400, "bad_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/proposals?limit=100000"), 400, "bad_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/staking?account=nobody"), 400, "bad_address"));
  EXPECT_TRUE(IsJsonError(HttpGet(port, "/v1/accounts/nobody/votes"), 400, "bad_address"));
  EXPECT_EQ(Get("/v1/proposals")["total"], 0);

  Cli({"gov", "delegate", "--from", "dev"});
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"gov", "propose", "--from", "dev", "--title", "t", "--set", "fees.protocol_share_ppm=60%"},
       "param_out_of_bounds"},
      {{"gov", "propose", "--from", "dev", "--title", "t", "--set", "fees.nope=1"},
       "unknown_param"},
      {{"gov", "propose", "--from", "dev", "--title", "t", "--set", "fees.protocol_share_ppm"},
       "NAME=VALUE"},
      {{"gov", "propose", "--from", "dev", "--title", "t", "--set", "fees.protocol_share_ppm=lots"},
       "bad_param"},
      {{"gov", "propose", "--from", "dev", "--title", "", "--set", "gov.quorum_ppm=30%"},
       "bad_proposal"},
      {{"gov", "propose", "--from", "dev", "--title", "t", "--text-file", "/nonexistent", "--set",
        "gov.quorum_ppm=30%"},
       "/nonexistent"},
      {{"gov", "vote", "--from", "dev", "1", "maybe"}, "bad_vote"},
      {{"gov", "vote", "--from", "dev", "7", "for"}, "unknown_proposal"},
      {{"gov", "execute", "--from", "dev", "7"}, "unknown_proposal"},
      {{"gov", "cancel", "--from", "dev", "7"}, "unknown_proposal"},
      {{"gov", "show", "7"}, "unknown_proposal"},
      {{"gov", "delegate", "--from", "dev", "--to", "nobody"}, "--to"},
      {{"params", "fees.nope"}, "unknown_param"},
      {{"stake", "rewards", "nobody"}, "nobody"},
  };
  for (const auto& c : cases) {
    auto r = Cli(c.args);
    EXPECT_TRUE(FailsWithOneErrorLine(r, c.needle)) << c.args[1] << " " << c.needle;
  }
  EXPECT_EQ(Get("/v1/proposals")["total"], 0) << "no refused proposal was recorded";
}

}  // namespace
}  // namespace tributary::testing
