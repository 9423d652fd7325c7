#include "cli/demo-governance.h"

#include <chrono>
#include <thread>

#include "tributary/base/amount.h"
#include "tributary/base/keystore.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

constexpr const char* kTitle = "Raise the protocol's share of fees to 10%";

// Polls GET /v1/proposals/{id} until `done` holds (every half second, at most two minutes).
Result<json> WaitForProposal(const DemoSteps& s, uint64_t id,
                             const std::function<bool(const json&)>& done) {
  for (int tries = 0; tries < 240 && !s.stopping(); ++tries) {
    TRIB_ASSIGN_OR_RETURN(json p, NodeGet(s.node, "/v1/proposals/" + std::to_string(id)));
    if (done(p)) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return Status::Unavailable("proposal " + std::to_string(id) + " did not move on in time");
}

// The demo's proposal from an earlier start, if any (0 when none).
Result<uint64_t> EarlierProposal(const DemoSteps& s) {
  TRIB_ASSIGN_OR_RETURN(json list, NodeGet(s.node, "/v1/proposals?limit=200"));
  for (const auto& p : list["proposals"]) {
    if (p.value("title", "") == kTitle && p.value("state", "") != "defeated" &&
        p.value("state", "") != "canceled") {
      return p.value("id", uint64_t{0});
    }
  }
  return uint64_t{0};
}

Status Governance(const DemoSteps& s) {
  auto cli = [&](std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), {s.self_bin, "--node", s.node.node});
    if (out) args.insert(args.begin() + 3, "--json");
    return s.run(args, out);
  };
  TRIB_ASSIGN_OR_RETURN(json period, NodeGet(s.node, "/v1/params/gov.voting_period_blocks"));
  auto period_blocks = ParseAmount(period.value("value", "0"));
  if (period_blocks.ok() && *period_blocks > 1000) {
    s.say("demo: governance skipped: this ledger's voting period is " + period.value("value", "") +
          " blocks (it predates --dev's short governance clock); "
          "start with a fresh --data directory to see a proposal pass");
    return Status::OK();
  }
  // The staker: demo-dave locks 100 OPEN once.
  TRIB_ASSIGN_OR_RETURN(KeyInfo dave, Keystore(Keystore::DefaultHome()).Info("demo-dave"));
  TRIB_ASSIGN_OR_RETURN(json account, NodeGet(s.node, "/v1/accounts/" + dave.address().ToString()));
  if (account.value("staked", "0") == "0") {
    if (cli({"tx", "stake", "--from", "demo-dave", "--amount", "100", "--wait"}) != 0) {
      return Status::Unavailable("demo-dave's stake failed; see the log");
    }
  }

  TRIB_ASSIGN_OR_RETURN(uint64_t id, EarlierProposal(s));
  if (id == 0) {
    s.say("demo: governance: dev proposes \"" + std::string(kTitle) +
          "\"; stakers receive half of the protocol's share (staking.reward_share_ppm), and "
          "demo-dave has staked 100 OPEN");
    if (cli({"gov", "delegate", "--from", "dev"}) != 0) {
      return Status::Unavailable("delegating dev's votes failed; see the log");
    }
    std::string out;
    if (cli({"gov", "propose", "--from", "dev", "--title", kTitle, "--text",
             "The treasury pays for indexing and audits; 5% does not cover them.", "--set",
             "fees.protocol_share_ppm=10%"},
            &out) != 0) {
      return Status::Unavailable("the proposal failed; see the log");
    }
    TRIB_ASSIGN_OR_RETURN(id, EarlierProposal(s));
    if (id == 0) return Status::Internal("the demo's proposal is not listed");
  }
  TRIB_ASSIGN_OR_RETURN(json p, NodeGet(s.node, "/v1/proposals/" + std::to_string(id)));
  if (p.value("state", "") != "executed") {
    TRIB_ASSIGN_OR_RETURN(
        p, WaitForProposal(s, id, [](const json& j) { return j.value("state", "") != "pending"; }));
    if (p.value("state", "") == "active" &&
        cli({"gov", "vote", "--from", "dev", std::to_string(id), "for"}) != 0) {
      return Status::Unavailable("voting failed; see the log");
    }
    s.say("demo: governance: dev voted for proposal " + std::to_string(id) +
          "; voting ends with block " + std::to_string(p.value("voting_ends_height", 0)) +
          ", then a timelock of " + std::to_string(p.value("timelock_blocks", 0)) + " blocks");
    TRIB_ASSIGN_OR_RETURN(
        p, WaitForProposal(s, id, [](const json& j) {
          return j.value("state", "") != "active" &&
                 (j.value("state", "") != "succeeded" || j.value("executable_now", false));
        }));
    if (p.value("state", "") != "succeeded") {
      return Status::FailedPrecondition("proposal " + std::to_string(id) + " is " +
                                        p.value("state", "") + ", not succeeded");
    }
    if (cli({"gov", "execute", "--from", "dev", std::to_string(id)}) != 0) {
      return Status::Unavailable("executing the proposal failed; see the log");
    }
    TRIB_ASSIGN_OR_RETURN(p, NodeGet(s.node, "/v1/proposals/" + std::to_string(id)));
  }
  TRIB_ASSIGN_OR_RETURN(json share, NodeGet(s.node, "/v1/params/fees.protocol_share_ppm"));
  auto ppm = ParseAmount(share.value("value", "0"));
  s.say("demo: governance: proposal " + std::to_string(id) + " passed (for " +
        TokensText(p["tally"]["for"]) + " OPEN, quorum " + TokensText(p["quorum"]) +
        " OPEN) and was executed in block " + std::to_string(p.value("executed_height", 0)) +
        ": the protocol's share of each fee is " + (ppm.ok() ? FormatTokens(*ppm, 4) : "?") +
        "% from block " + std::to_string(share.value("since_height", 0)) +
        "   (build/tributary gov show " + std::to_string(id) + "; build/tributary params)");
  return Status::OK();
}

}  // namespace

bool RunGovernanceDemo(const DemoSteps& steps) {
  Status s = Governance(steps);
  if (!s.ok() && !steps.stopping()) steps.say("demo: governance: " + s.message());
  return !steps.stopping();
}

void SayStakerRewards(const DemoSteps& steps) {
  auto dave = Keystore(Keystore::DefaultHome()).Info("demo-dave");
  if (!dave.ok()) return;
  auto pool = NodeGet(steps.node, "/v1/staking?account=" + dave->address().ToString());
  if (!pool.ok() || !pool->contains("account")) return;
  steps.say("demo: demo-dave staked " + TokensText((*pool)["account"]["staked"]) +
            " OPEN and can claim " + TokensText((*pool)["account"]["claimable"]) +
            " OPEN of staking rewards   (build/tributary stake rewards demo-dave; "
            "build/tributary stake claim --from demo-dave)");
}

}  // namespace tributary::cli
