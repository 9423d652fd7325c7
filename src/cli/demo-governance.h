// The governance step of the `make run` demo (docs/governance.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace tributary::cli {

//! What the demo step needs from the demo: the node, this executable, a line printer, a child
//! runner (the CLI, output to the demo log or into `out`) and whether the node is stopping.
struct DemoSteps {
  Common node;
  std::string self_bin;
  std::function<void(const std::string&)> say;
  std::function<int(const std::vector<std::string>&, std::string* out)> run;
  std::function<bool()> stopping;
};

//! demo-dave stakes 100 OPEN; dev delegates its votes to itself, proposes raising
//! fees.protocol_share_ppm from 5% to 10%, votes for it and executes it after the timelock, so
//! the paid answers that follow pay the treasury 10% with half of it going to stakers. Skipped
//! when an earlier start did it. Returns false when the demo should stop.
bool RunGovernanceDemo(const DemoSteps& steps);

//! One line: what demo-dave can claim from staking, and how.
void SayStakerRewards(const DemoSteps& steps);

}  // namespace tributary::cli
