#include <iostream>

#include "cli/agent-commands.h"
#include "cli/commands.h"
#include "tributary/base/hash.h"
#include "tributary/economy/agents.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

Result<std::string> TokensArg(const std::string& text, const char* option) {
  if (text.empty()) return std::string("0");
  auto a = ParseTokens(text, 18);
  if (!a.ok()) {
    return Status::InvalidArgument(
        std::string(option) + " must be an amount of OPEN such as 5, not '" + text + "'",
        "bad_amount");
  }
  return AmountToString(*a);
}

std::string Budget(const json& amount) {
  return amount == "0" ? std::string("no cap") : TokensText(amount) + " OPEN";
}

void PrintAgent(const json& a) {
  std::cout << "agent " << a.value("address", "") << " [" << a.value("status", "") << "] "
            << a.value("name", "") << "\n"
            << "  owner " << a.value("owner", "") << "; stake " << TokensText(a["stake"])
            << " OPEN; registered in block " << a["registered_height"] << "\n";
  if (!a.value("purpose", "").empty()) std::cout << "  purpose: " << a.value("purpose", "") << "\n";
  if (!a.value("endpoint", "").empty()) {
    std::cout << "  endpoint: " << a.value("endpoint", "") << "\n";
  }
  std::cout << "  budget: " << Budget(a["daily_budget"]) << " a day, " << Budget(a["total_budget"])
            << " in all; spent " << TokensText(a["spent_total"]) << " OPEN\n"
            << "  reports open " << a["open_reports"] << ", upheld " << a["slash_count"]
            << " (slashed " << TokensText(a["slashed_total"]) << " OPEN)\n";
}

void PrintReport(const json& r) {
  std::cout << "report " << r["id"] << " [" << r.value("status", "") << "] against "
            << r.value("target", "") << " "
            << (r.contains("agent") ? r.value("agent", "") : r.value("contribution", "")) << "\n"
            << "  by " << r.value("reporter", "") << " in block " << r["height"] << ": "
            << r.value("reason", "") << "\n"
            << "  evidence: " << r["evidence"].value("kind", "") << " "
            << r["evidence"].value("value", "") << "\n";
  if (r.value("status", "") != "open") {
    std::cout << "  decided in block " << r["decided_height"] << " by "
              << r.value("decided_by", "");
    if (r.contains("proposal")) std::cout << " (proposal " << r["proposal"] << ")";
    std::cout << "; slashed " << TokensText(r["slashed"]) << " OPEN\n";
  }
}

}  // namespace

void AgentCommands::Add(CLI::App& app) {
  auto* agent = app.add_subcommand("agent", "AI agents with stake, budgets set by their owners");
  agent->require_subcommand(1);
  register_ = agent->add_subcommand("register", "declare your account an agent and lock stake");
  register_->add_option("--from", from_, "the agent's key name")->required();
  register_->add_option("--owner", owner_, "the owner's address or key name")->required();
  register_->add_option("--name", name_, "a name (up to 64 characters)")->required();
  register_->add_option("--purpose", purpose_, "what it does (up to 280 characters)");
  register_->add_option("--endpoint", endpoint_, "an http(s) URL where it can be reached");
  register_->add_option("--stake", stake_, "OPEN to lock (at least agent.min_stake)")->required();
  budget_ = agent->add_subcommand("budget", "cap what an agent you own pays for answers");
  budget_->add_option("--from", from_, "the owner's key name")->required();
  budget_->add_option("agent", agent_, "the agent's address or key name")->required();
  budget_->add_option("--daily", daily_, "OPEN per UTC day (default: no cap)");
  budget_->add_option("--total", total_, "OPEN in all (default: no cap)");
  exit_ = agent->add_subcommand("exit", "retire an agent and return its stake");
  exit_->add_option("--from", from_, "the agent's or owner's key name")->required();
  exit_->add_option("agent", agent_, "the agent's address or key name")->required();
  list_ = agent->add_subcommand("list", "agents in registration order");
  list_->add_option("--owner", owner_, "only this owner's (address or key name)");
  show_ = agent->add_subcommand("show", "one agent");
  show_->add_option("agent", agent_, "address or key name")->required();

  auto* report = app.add_subcommand("report", "slash reports against agents and contributions");
  report->require_subcommand(1);
  file_ = report->add_subcommand("file", "report an agent or an accepted contribution");
  file_->add_option("--from", from_, "the reporter's key name")->required();
  file_->add_option("--agent", target_agent_, "the agent reported (address or key name)");
  file_->add_option("--contribution", target_contribution_, "the contribution reported (id)");
  file_->add_option("--evidence-receipt", receipt_, "a settled receipt's request id");
  file_->add_option("--evidence-contribution", contribution_, "a contribution id");
  file_->add_option("--evidence-text", text_, "text whose SHA-256 is the evidence");
  file_->add_option("--reason", reason_, "why (up to 280 characters)")->required();
  resolve_ = report->add_subcommand("resolve", "decide a contribution report (Datanet owner)");
  resolve_->add_option("--from", from_, "the Datanet owner's key name")->required();
  resolve_->add_option("report", report_, "report id")->required();
  resolve_->add_option("decision", decision_, "uphold or dismiss")->required();
  reports_ = report->add_subcommand("list", "reports, newest first");
  reports_->add_option("--status", status_, "open, upheld or dismissed");
  report_show_ = report->add_subcommand("show", "one report");
  report_show_->add_option("report", report_, "report id")->required();
}

std::optional<int> AgentCommands::Run(const Common& c) const {
  if (*register_) {
    auto owner = ResolveAddress(owner_);
    if (!owner.ok()) return Fail(owner.status().WithContext("--owner"));
    auto stake = TokensArg(stake_, "--stake");
    if (!stake.ok()) return Fail(stake.status());
    auto r = SubmitTxAndWait(c, from_, std::string(economy::kRegisterAgentKind),
                             {{"owner", owner->ToString()},
                              {"name", name_},
                              {"purpose", purpose_},
                              {"endpoint", endpoint_},
                              {"stake", *stake}});
    if (!r.ok()) return Fail(r.status());
    return PrintTxDone(
        c, *r, "agent " + from_ + " registered, " + TokensText(json(*stake)) + " OPEN staked");
  }
  if (*budget_ || *exit_) {
    auto agent = ResolveAddress(agent_);
    if (!agent.ok()) return Fail(agent.status());
    if (budget_->parsed()) {
      auto daily = TokensArg(daily_, "--daily");
      if (!daily.ok()) return Fail(daily.status());
      auto total = TokensArg(total_, "--total");
      if (!total.ok()) return Fail(total.status());
      auto r = SubmitTxAndWait(
          c, from_, std::string(economy::kAgentBudgetKind),
          {{"agent", agent->ToString()}, {"daily_limit", *daily}, {"total_limit", *total}});
      if (!r.ok()) return Fail(r.status());
      return PrintTxDone(c, *r,
                         "budget of " + agent->ToString() + ": " + Budget(json(*daily)) +
                             " a day, " + Budget(json(*total)) + " in all");
    }
    auto r = SubmitTxAndWait(c, from_, std::string(economy::kAgentExitKind),
                             {{"agent", agent->ToString()}});
    if (!r.ok()) return Fail(r.status());
    return PrintTxDone(c, *r,
                       "agent " + agent->ToString() + " exited; its stake is back in its balance");
  }
  if (*list_) {
    std::string path = "/v1/agents";
    if (!owner_.empty()) {
      auto owner = ResolveAddress(owner_);
      if (!owner.ok()) return Fail(owner.status().WithContext("--owner"));
      path += "?owner=" + owner->ToString();
    }
    auto r = NodeGet(c, path);
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
    } else if ((*r)["agents"].empty()) {
      std::cout << "no agents\n";
    } else {
      for (const auto& a : (*r)["agents"]) PrintAgent(a);
    }
    return 0;
  }
  if (*show_) {
    auto agent = ResolveAddress(agent_);
    if (!agent.ok()) return Fail(agent.status());
    auto r = NodeGet(c, "/v1/agents/" + agent->ToString());
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
    } else {
      PrintAgent(*r);
    }
    return 0;
  }
  if (*file_) {
    if (target_agent_.empty() == target_contribution_.empty()) {
      return Fail(
          Status::InvalidArgument("name one target: --agent or --contribution", "bad_report"));
    }
    const int evidences = !receipt_.empty() + !contribution_.empty() + !text_.empty();
    if (evidences != 1) {
      return Fail(Status::InvalidArgument(
          "give one piece of evidence: --evidence-receipt, --evidence-contribution or "
          "--evidence-text",
          "bad_report"));
    }
    json target;
    if (!target_agent_.empty()) {
      auto a = ResolveAddress(target_agent_);
      if (!a.ok()) return Fail(a.status().WithContext("--agent"));
      target = {{"agent", a->ToString()}};
    } else {
      target = {{"contribution", target_contribution_}};
    }
    json evidence = !receipt_.empty()        ? json{{"receipt", receipt_}}
                    : !contribution_.empty() ? json{{"contribution", contribution_}}
                                             : json{{"text_hash", ToHex(Sha256(AsBytes(text_)))}};
    auto r = SubmitTxAndWait(c, from_, std::string(economy::kSlashReportKind),
                             {{"target", target}, {"evidence", evidence}, {"reason", reason_}});
    if (!r.ok()) return Fail(r.status());
    const std::string id = TxEventAttr(*r, "slash.reported", "report").value_or("?");
    return PrintTxDone(
        c, *r,
        "report " + id + " filed; " +
            (target.contains("agent")
                 ? "a governance proposal decides it (gov propose --uphold " + id + ")"
                 : "the Datanet's owner decides it (report resolve " + id + ")"));
  }
  if (*resolve_) {
    if (decision_ != "uphold" && decision_ != "dismiss") {
      return Fail(Status::InvalidArgument("decide uphold or dismiss, not '" + decision_ + "'",
                                          "bad_report"));
    }
    auto r = SubmitTxAndWait(c, from_, std::string(economy::kSlashResolveKind),
                             {{"report", report_}, {"uphold", decision_ == "uphold"}});
    if (!r.ok()) return Fail(r.status());
    return PrintTxDone(
        c, *r,
        "report " + std::to_string(report_) + (decision_ == "uphold" ? " upheld" : " dismissed"));
  }
  if (*reports_) {
    auto r = NodeGet(c, "/v1/reports" + (status_.empty() ? "" : "?status=" + status_));
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
    } else if ((*r)["reports"].empty()) {
      std::cout << "no reports\n";
    } else {
      for (const auto& rep : (*r)["reports"]) PrintReport(rep);
    }
    return 0;
  }
  if (*report_show_) {
    auto r = NodeGet(c, "/v1/reports/" + std::to_string(report_));
    if (!r.ok()) return Fail(r.status());
    if (c.json) {
      PrintJson(*r);
    } else {
      PrintReport(*r);
    }
    return 0;
  }
  return std::nullopt;
}

}  // namespace tributary::cli
