// `tributary agent register|budget|exit|list|show` and `tributary report file|resolve|list|show`:
// agents with stake, their owners' budgets, and slash reports (docs/governance.md). Arguments
// and printing only; the rules live in economy/agents.h and the node.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cli/cli.h"

namespace tributary::cli {

class AgentCommands {
 public:
  //! Adds the commands to `app`.
  void Add(CLI::App& app);
  //! Runs the command the parsed line chose; nullopt when it chose none of these.
  std::optional<int> Run(const Common& c) const;

 private:
  CLI::App *register_ = nullptr, *budget_ = nullptr, *exit_ = nullptr, *list_ = nullptr,
           *show_ = nullptr;
  CLI::App *file_ = nullptr, *resolve_ = nullptr, *reports_ = nullptr, *report_show_ = nullptr;

  std::string from_, owner_, name_, purpose_, endpoint_, stake_, agent_, daily_, total_;
  std::string target_agent_, target_contribution_, receipt_, contribution_, text_, reason_,
      decision_, status_;
  uint64_t report_ = 0;
};

}  // namespace tributary::cli
