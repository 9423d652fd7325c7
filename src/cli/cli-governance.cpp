#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/governance-commands.h"
#include "tributary/economy/governance.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

// A value as people write it: ppm as "7.5%" or an integer, base units as "100 OPEN" / "100OPEN"
// or an integer, blocks and counts as integers.
Result<Amount> ParseParamValue(const ParamSpec& spec, std::string text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--set " + spec.name + "=" + text + ": " + why, "bad_param");
  };
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (spec.unit == ParamUnit::kPartsPerMillion && !text.empty() && text.back() == '%') {
    // Percent with up to 4 decimals is an exact number of ppm.
    auto ppm = ParseTokens(text.substr(0, text.size() - 1), 4);
    if (!ppm.ok()) return bad("a percentage with at most 4 decimals, such as 7.5%");
    return *ppm;
  }
  if (spec.unit == ParamUnit::kBaseUnits && text.size() > 4 &&
      text.substr(text.size() - 4) == "OPEN") {
    std::string number = text.substr(0, text.size() - 4);
    while (!number.empty() && number.back() == ' ') number.pop_back();
    auto units = ParseTokens(number, 18);
    if (!units.ok()) return bad("an amount of OPEN such as 250 OPEN");
    return *units;
  }
  auto v = ParseAmount(text);
  if (!v.ok()) {
    return bad("an unsigned integer in " + std::string(ParamUnitName(spec.unit)) +
               (spec.unit == ParamUnit::kPartsPerMillion ? " (or a percentage such as 7.5%)"
                : spec.unit == ParamUnit::kBaseUnits     ? " (or an amount such as 250 OPEN)"
                                                         : ""));
  }
  return *v;
}

std::string ParamDisplay(const std::string& unit, const json& value) {
  auto v = ParseAmount(value.is_string() ? value.get<std::string>() : "0");
  if (!v.ok()) return "?";
  if (unit == "ppm") {
    return FormatTokens(*v, 4) + "%";
  }
  if (unit == "base_units") return FormatTokens(*v) + " OPEN";
  if (unit == "bytes") return AmountToString(*v) + " bytes";
  if (unit == "blocks") return AmountToString(*v) + (*v == 1 ? " block" : " blocks");
  return AmountToString(*v);
}

void PrintParam(const json& p) {
  const std::string unit = p.value("unit", "");
  std::cout << p.value("name", "") << " = " << ParamDisplay(unit, p["value"]);
  if (p.value("is_default", true)) {
    std::cout << " (default)";
  } else if (p.value("since_height", 0) == 0) {
    std::cout << " (set at genesis)";
  } else {
    std::cout << " (since block " << p["since_height"] << ", was "
              << ParamDisplay(unit, p["previous"]) << ")";
  }
  std::cout << "\n    " << p.value("description", "") << "; " << ParamDisplay(unit, p["min"])
            << ".." << ParamDisplay(unit, p["max"]) << "\n";
}

void PrintProposal(const json& p, bool full) {
  std::cout << "proposal " << p["id"] << " [" << p.value("state", "") << "] "
            << p.value("title", "") << "\n";
  for (const auto& d : p.value("reports", json::array())) {
    std::cout << "  " << (d.value("uphold", false) ? "uphold" : "dismiss") << " report "
              << d["report"] << "\n";
  }
  for (const auto& c : p["changes"]) {
    const ParamSpec* spec = economy::ProtocolParams().Find(c.value("name", ""));
    std::cout << "  set " << c.value("name", "") << " = "
              << (spec ? ParamDisplay(std::string(ParamUnitName(spec->unit)), c["value"])
                       : c.value("value", ""))
              << "\n";
  }
  const json& t = p["tally"];
  std::cout << "  for " << TokensText(t["for"]) << ", against " << TokensText(t["against"])
            << ", abstain " << TokensText(t["abstain"]) << " OPEN (" << t["voters"]
            << " voters); quorum " << TokensText(p["quorum"]) << " OPEN"
            << (p.value("quorum_reached", false) ? " reached" : " not reached") << "\n";
  std::cout << "  votes in blocks " << p["voting_starts_height"] << ".." << p["voting_ends_height"]
            << " (weights as of block " << p["snapshot_height"] << "); executable from block "
            << p["executable_height"];
  if (p.contains("executed_height")) {
    std::cout << "; executed in block " << p["executed_height"] << ", in force from block "
              << p["effective_height"];
  }
  std::cout << "\n";
  if (full) {
    std::cout << "  proposer " << p.value("proposer", "") << ", block " << p["created_height"]
              << "\n";
    if (!p.value("text", "").empty()) std::cout << "\n" << p.value("text", "") << "\n";
    if (p.contains("ballot") && !p["ballot"].is_null()) {
      std::cout << "  ballot of " << p["ballot"].value("voter", "") << ": "
                << p["ballot"].value("support", "") << " with " << TokensText(p["ballot"]["weight"])
                << " OPEN\n";
    }
  }
}

std::string TokensAttr(const json& r, const std::string& type, const std::string& attr) {
  return TokensText(json(TxEventAttr(r, type, attr).value_or("0")));
}

int Params(const Common& c, const std::string& name) {
  auto r = NodeGet(c, name.empty() ? "/v1/params" : "/v1/params/" + name);
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  if (name.empty()) {
    std::cout << "protocol parameters as of block " << (*r)["height"] << "\n";
    for (const auto& p : (*r)["params"]) PrintParam(p);
  } else {
    PrintParam(*r);
  }
  return 0;
}

int Propose(const Common& c, const std::string& from, const std::string& title, std::string text,
            const std::string& text_file, const std::vector<std::string>& sets,
            const std::vector<uint64_t>& uphold, const std::vector<uint64_t>& dismiss) {
  if (!text_file.empty()) {
    std::ifstream in(text_file, std::ios::binary);
    if (!in) {
      return Fail(Status::NotFound("--text-file " + text_file + " cannot be read", "bad_file"));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (sets.empty() && uphold.empty() && dismiss.empty()) {
    return Fail(Status::InvalidArgument(
        "name at least one change: --set NAME=VALUE, --uphold REPORT or --dismiss REPORT",
        "bad_proposal"));
  }
  json reports = json::array();
  for (uint64_t id : uphold) reports.push_back({{"report", id}, {"uphold", true}});
  for (uint64_t id : dismiss) reports.push_back({{"report", id}, {"uphold", false}});
  json changes = json::array();
  for (const auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos) {
      return Fail(
          Status::InvalidArgument("--set takes NAME=VALUE, not '" + s + "'", "bad_proposal"));
    }
    auto spec = economy::ProtocolParams().Require(s.substr(0, eq));
    if (!spec.ok()) return Fail(spec.status().WithContext("--set"));
    auto value = ParseParamValue(**spec, s.substr(eq + 1));
    if (!value.ok()) return Fail(value.status());
    Status bounds = (*spec)->CheckValue(*value);
    if (!bounds.ok()) return Fail(bounds.WithContext("--set"));
    changes.push_back({{"name", (*spec)->name}, {"value", AmountToString(*value)}});
  }
  json payload = {{"title", title}, {"text", text}, {"changes", changes}, {"reports", reports}};
  auto r = SubmitTxAndWait(c, from, std::string(economy::kProposeKind), payload);
  if (!r.ok()) return Fail(r.status());
  auto id = TxEventAttr(*r, "gov.proposed", "proposal");
  auto ends = TxEventAttr(*r, "gov.proposed", "voting_ends_height");
  auto snap = TxEventAttr(*r, "gov.proposed", "snapshot_height");
  return PrintTxDone(c, *r,
                     "proposal " + id.value_or("?") + " created; voting opens after block " +
                         snap.value_or("?") + " and ends with block " + ends.value_or("?"));
}

}  // namespace

void GovernanceCommands::Add(CLI::App& app) {
  params_ = app.add_subcommand("params", "the protocol's governed parameters");
  params_->add_option("name", name_, "one parameter (default: all)");

  auto* gov = app.add_subcommand("gov", "proposals and votes that change protocol parameters");
  gov->require_subcommand(1);
  delegate_ = gov->add_subcommand("delegate", "let an account vote with your tokens (or yourself)");
  delegate_->add_option("--from", from_, "your key name")->required();
  delegate_->add_option("--to", to_, "address or key name (default: yourself)");
  propose_ = gov->add_subcommand("propose", "propose parameter changes");
  propose_->add_option("--from", from_, "the proposer's key name")->required();
  propose_->add_option("--title", title_, "a one-line title")->required();
  propose_->add_option("--text", text_, "why (Markdown)");
  propose_->add_option("--text-file", text_file_, "why, from a file");
  propose_->add_option("--set", sets_,
                       "NAME=VALUE, e.g. fees.protocol_share_ppm=7.5% (repeatable)");
  propose_->add_option("--uphold", uphold_, "uphold this agent report: slash it (repeatable)");
  propose_->add_option("--dismiss", dismiss_, "dismiss this agent report (repeatable)");
  vote_ = gov->add_subcommand("vote", "vote on a proposal");
  vote_->add_option("--from", from_, "the voter's key name")->required();
  vote_->add_option("proposal", proposal_, "proposal id")->required();
  vote_->add_option("support", support_, "for, against or abstain")->required();
  execute_ = gov->add_subcommand("execute", "apply a passed proposal after its timelock");
  execute_->add_option("--from", from_, "any key name (pays the fee)")->required();
  execute_->add_option("proposal", proposal_, "proposal id")->required();
  cancel_ = gov->add_subcommand("cancel", "withdraw your proposal before voting ends");
  cancel_->add_option("--from", from_, "the proposer's key name")->required();
  cancel_->add_option("proposal", proposal_, "proposal id")->required();
  list_ = gov->add_subcommand("list", "proposals, newest first");
  list_->add_option("--state", state_, "pending, active, succeeded, defeated, executed, canceled");
  show_ = gov->add_subcommand("show", "one proposal with its tally");
  show_->add_option("proposal", proposal_, "proposal id")->required();
  show_->add_option("--voter", voter_, "also show this account's ballot (address or key name)");
  votes_ = gov->add_subcommand("votes", "an account's voting weight, delegate and votes");
  votes_->add_option("account", account_, "address or key name")->required();

  auto* stake = app.add_subcommand("stake", "staking rewards (stake with `tx stake`)");
  stake->require_subcommand(1);
  rewards_ = stake->add_subcommand("rewards", "the staking pool and what an account can claim");
  rewards_->add_option("account", account_, "address or key name (default: the pool only)");
  claim_ = stake->add_subcommand("claim", "pay your staking rewards to your balance");
  claim_->add_option("--from", from_, "the staker's key name")->required();
}

std::optional<int> GovernanceCommands::Run(const Common& c) const {
  if (*params_) return Params(c, name_);
  if (*delegate_) {
    auto to = ResolveAddress(to_.empty() ? from_ : to_);
    if (!to.ok()) return Fail(to.status().WithContext("--to"));
    auto r =
        SubmitTxAndWait(c, from_, std::string(economy::kDelegateKind), {{"to", to->ToString()}});
    if (!r.ok()) return Fail(r.status());
    return PrintTxDone(c, *r,
                       "votes of " + from_ + " now count for " + to->ToString() + " (" +
                           TokensAttr(*r, "gov.delegated", "weight") + " OPEN)");
  }
  if (*propose_) return Propose(c, from_, title_, text_, text_file_, sets_, uphold_, dismiss_);
  if (*vote_) {
    auto support = economy::ParseVoteSupport(support_);
    if (!support.ok()) return Fail(support.status());
    auto r = SubmitTxAndWait(c, from_, std::string(economy::kVoteKind),
                             {{"proposal", proposal_}, {"support", support_}});
    if (!r.ok()) return Fail(r.status());
    return PrintTxDone(c, *r,
                       "voted " + support_ + " on proposal " + std::to_string(proposal_) +
                           " with " + TokensAttr(*r, "gov.voted", "weight") + " OPEN");
  }
  if (*execute_ || *cancel_) {
    const bool exec = execute_->parsed();
    auto r =
        SubmitTxAndWait(c, from_, std::string(exec ? economy::kExecuteKind : economy::kCancelKind),
                        {{"proposal", proposal_}});
    if (!r.ok()) return Fail(r.status());
    std::string line = "proposal " + std::to_string(proposal_) + (exec ? " executed" : " canceled");
    if (exec) {
      auto from = TxEventAttr(*r, "param.changed", "effective_height");
      if (from) line += "; the new values apply from block " + *from;
    }
    return PrintTxDone(c, *r, line);
  }
  if (*list_) {
    auto r = NodeGet(c, "/v1/proposals" + (state_.empty() ? "" : "?state=" + state_));
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
    } else if ((*r)["proposals"].empty()) {
      std::cout << "no proposals" << (state_.empty() ? "" : " " + state_) << "\n";
    } else {
      for (const auto& p : (*r)["proposals"]) PrintProposal(p, false);
    }
    return 0;
  }
  if (*show_) {
    std::string path = "/v1/proposals/" + std::to_string(proposal_);
    if (!voter_.empty()) {
      auto v = ResolveAddress(voter_);
      if (!v.ok()) return Fail(v.status().WithContext("--voter"));
      path += "?voter=" + v->ToString();
    }
    auto r = NodeGet(c, path);
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
    } else {
      PrintProposal(*r, true);
    }
    return 0;
  }
  if (*votes_) {
    auto a = ResolveAddress(account_);
    if (!a.ok()) return Fail(a.status());
    auto r = NodeGet(c, "/v1/accounts/" + a->ToString() + "/votes");
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
    } else {
      std::cout << a->ToString() << ": weight " << TokensText((*r)["weight"])
                << " OPEN, delegated to "
                << ((*r)["delegate"].is_null() ? std::string("nobody (its tokens do not vote)")
                                               : (*r)["delegate"].get<std::string>())
                << "; votes delegated to it " << TokensText((*r)["votes"]) << " OPEN\n";
    }
    return 0;
  }
  if (*rewards_) {
    std::string path = "/v1/staking";
    if (!account_.empty()) {
      auto a = ResolveAddress(account_);
      if (!a.ok()) return Fail(a.status());
      path += "?account=" + a->ToString();
    }
    auto r = NodeGet(c, path);
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
      return 0;
    }
    const json& p = *r;
    std::cout << "staking pool: " << TokensText(p["total_staked"]) << " OPEN staked; "
              << TokensText(p["distributed"]) << " OPEN paid in, " << TokensText(p["claimed"])
              << " OPEN claimed; stakers get " << ParamDisplay("ppm", p["reward_share_ppm"])
              << " of the protocol's fee share\n";
    if (p.contains("account")) {
      const json& a = p["account"];
      std::cout << a.value("address", "") << ": staked " << TokensText(a["staked"])
                << " OPEN, claimable " << TokensText(a["claimable"]) << " OPEN\n";
    }
    return 0;
  }
  if (*claim_) {
    auto r = SubmitTxAndWait(c, from_, "stake.claim", json::object());
    if (!r.ok()) return Fail(r.status());
    return PrintTxDone(
        c, *r, "claimed " + TokensAttr(*r, "stake.claimed", "amount") + " OPEN of staking rewards");
  }
  return std::nullopt;
}

}  // namespace tributary::cli
