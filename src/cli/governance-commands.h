// `tributary params`, `tributary gov ...` and `tributary stake rewards|claim`: the protocol's
// parameters, proposals and votes, and staking rewards (docs/governance.md). Arguments and
// printing only; the rules live in economy/governance.h, ledger/staking.h and the node.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace tributary::cli {

class GovernanceCommands {
 public:
  //! Adds the commands to `app`.
  void Add(CLI::App& app);
  //! Runs the command the parsed line chose; nullopt when it chose none of these.
  std::optional<int> Run(const Common& c) const;

 private:
  CLI::App* params_ = nullptr;
  CLI::App *delegate_ = nullptr, *propose_ = nullptr, *vote_ = nullptr, *execute_ = nullptr,
           *cancel_ = nullptr, *list_ = nullptr, *show_ = nullptr, *votes_ = nullptr;
  CLI::App *rewards_ = nullptr, *claim_ = nullptr;

  std::string from_, to_, name_, title_, text_, text_file_, support_, state_, account_, voter_;
  std::vector<std::string> sets_;
  std::vector<uint64_t> uphold_, dismiss_;
  uint64_t proposal_ = 0;
};

}  // namespace tributary::cli
