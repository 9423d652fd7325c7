// `tributary bridge withdraw|withdrawal|deposit`: moving OPEN between Tributary and the EVM chain
// through OpenBridge (docs/settlement.md, "The bridge"). Arguments and printing only; the rules
// live in economy/bridge.h, the node's relay and settlement/bridge_contract.h.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cli/cli.h"

namespace tributary::cli {

class BridgeCommands {
 public:
  //! Adds the commands to `app`.
  void Add(CLI::App& app);
  //! Runs the command the parsed line chose; nullopt when it chose none of these.
  std::optional<int> Run(const Common& c) const;

 private:
  int Withdraw(const Common& c) const;
  int Withdrawal(const Common& c) const;
  int Deposit(const Common& c) const;

  CLI::App *withdraw_ = nullptr, *withdrawal_ = nullptr, *deposit_ = nullptr;
  std::string from_, to_, amount_, rpc_, bridge_, evm_key_;
  uint64_t id_ = 0;
  bool wait_ = false;
  int timeout_s_ = 120;
};

}  // namespace tributary::cli
