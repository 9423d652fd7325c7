// `tributary rewards payout|epoch` and `tributary claim`: earnings paid on the EVM chain by epoch
// through RewardDistributor (docs/settlement.md, "Reward epochs and claims"). Arguments and
// printing only; the rules live in economy/rewards.h and settlement/reward_epochs.h.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cli/cli.h"

namespace tributary::cli {

class RewardCommands {
 public:
  //! Adds the commands to `app`.
  void Add(CLI::App& app);
  //! Runs the command the parsed line chose; nullopt when it chose none of these.
  std::optional<int> Run(const Common& c) const;

 private:
  int Payout(const Common& c) const;
  int Epoch(const Common& c) const;
  int Claim(const Common& c) const;

  CLI::App *payout_ = nullptr, *epoch_ = nullptr, *claim_ = nullptr;
  std::string from_, evm_address_, account_, rpc_, distributor_, evm_key_;
  uint64_t epoch_number_ = 0;
  bool clear_ = false, send_ = false;
  int timeout_s_ = 120;
};

}  // namespace tributary::cli
