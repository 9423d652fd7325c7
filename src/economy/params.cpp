// The protocol's governed parameters: the catalog the governor checks changes against.
#include "tributary/datanet/kinds.h"
#include "tributary/economy/agents.h"
#include "tributary/economy/fee_split.h"
#include "tributary/economy/governance.h"

namespace tributary::economy {
namespace {

// Block counts assume the node's default 2-second block interval.
constexpr uint64_t kBlocksPerDay = 86'400 / 2;
const Amount kOpen = Pow10(18);

ParamRegistry* BuildRegistry() {
  auto* r = new ParamRegistry();
  auto add = [&](std::string_view name, ParamUnit unit, Amount lo, Amount hi, Amount dflt,
                 const char* description) {
    Status s = r->Add({std::string(name), unit, lo, hi, dflt, description});
    if (!s.ok()) std::abort();  // a programming error in the table below
  };
  constexpr ParamUnit kPpm = ParamUnit::kPartsPerMillion, kUnits = ParamUnit::kBaseUnits,
                      kBlocks = ParamUnit::kBlocks;
  add(kProtocolShareParam, kPpm, 0, 500'000, 50'000, "the treasury's share of every inference fee");
  add(kMinContributorsShareParam, kPpm, 0, kPartsPerMillion, 500'000,
      "the least share of a fee (after the protocol's) a model may give its contributors");
  add(kPenaltyPerSlashParam, kPpm, 0, kPartsPerMillion, 250'000,
      "how much each spam slash lowers a contributor's reward weight in that Datanet");
  add(kStakingRewardShareParam, kPpm, 0, kPartsPerMillion, 500'000,
      "of the protocol's share of each fee, the part paid to stakers pro rata to stake");
  add(kProposalThresholdParam, kUnits, 0, Pow10(9) * kOpen, 100 * kOpen,
      "the votes a proposer needs (as of the block before the proposal)");
  add(kVotingDelayParam, kBlocks, 0, 30 * kBlocksPerDay, kBlocksPerDay,
      "blocks from a proposal to its snapshot (voting opens the block after)");
  add(kVotingPeriodParam, kBlocks, 1, 90 * kBlocksPerDay, 14 * kBlocksPerDay,
      "blocks a proposal takes votes for");
  add(kQuorumParam, kPpm, 1, kPartsPerMillion, 250'000,
      "the share of the token supply that must vote for or abstain");
  add(kTimelockParam, kBlocks, 0, 30 * kBlocksPerDay, kBlocksPerDay,
      "blocks between the end of a successful vote and its execution");
  add(kMinAgentStakeParam, kUnits, 0, Pow10(9) * kOpen, 100 * kOpen,
      "the least stake an agent locks at agent.register");
  add(kAgentSlashShareParam, kPpm, 1, kPartsPerMillion, 500'000,
      "the share of an agent's stake an upheld report moves to the treasury");
  for (const ParamSpec& spec : datanet::DatanetParams()) {
    if (!r->Add(spec).ok()) std::abort();
  }
  return r;
}

}  // namespace

const ParamRegistry& ProtocolParams() {
  static const ParamRegistry* registry = BuildRegistry();
  return *registry;
}

Result<Amount> ProtocolParam(const StateReader& state, std::string_view name, uint64_t height) {
  TRIB_ASSIGN_OR_RETURN(const ParamSpec* spec, ProtocolParams().Require(name));
  return ParamAt(state, *spec, height);
}

Status CheckGenesisParams(const Genesis& genesis) {
  for (const auto& [name, value] : genesis.protocol_params) {
    Status s = ProtocolParams().Require(name).status();
    if (s.ok()) s = ProtocolParams().Find(name)->CheckValue(value);
    if (!s.ok()) return Status::InvalidArgument("genesis: " + s.message(), "bad_genesis");
  }
  return Status::OK();
}

void SetDevGovernanceParams(Genesis* genesis) {
  genesis->protocol_params[std::string(kVotingDelayParam)] = 2;
  genesis->protocol_params[std::string(kVotingPeriodParam)] = 10;
  genesis->protocol_params[std::string(kTimelockParam)] = 2;
}

}  // namespace tributary::economy
