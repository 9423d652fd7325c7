//! Governance: the protocol's parameters and the governor that changes them by token vote
//! (docs/governance.md).
//!
//!   gov.delegate  {to}: the sender's voting weight (balance + staked + unbonding) counts for `to`
//!                 (itself included) from this block on; until an account delegates, its tokens
//!                 do not vote. Event "gov.delegated".
//!   gov.propose   {title, text, changes: [{name, value}], reports: [{report, uphold}]}: needs the
//!   proposal threshold in votes
//!                 as of the previous block. Snapshot at height + voting delay; voting in the
//!                 voting period after it; the quorum, delay, period and timelock in force at
//!                 proposal time are kept with the proposal. Event "gov.proposed" {proposal}.
//!   gov.vote      {proposal, support: for|against|abstain}: once per account, while active; the
//!                 weight is the voter's votes as of the snapshot. Event "gov.voted".
//!   gov.execute   {proposal}: anyone, once the proposal succeeded (for > against and for +
//!                 abstain >= quorum) and the timelock after the vote has passed. Each change
//!                 applies from the next block; each report decision is applied (a report
//!                 decided meanwhile is skipped). Events "gov.executed", "param.changed",
//!                 "slash.upheld"/"slash.dismissed".
//!   gov.cancel    {proposal}: the proposer, until voting ends. Event "gov.canceled".
//!
//! State keys: 'G' -> u64 number of proposals (ids are 1, 2, ...);
//!             'o' | u64 proposal -> Proposal;
//!             'b' | u64 proposal | 20B voter -> u8 support | u128 weight.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/keys.h"
#include "tributary/ledger/genesis.h"
#include "tributary/ledger/params.h"
#include "tributary/ledger/state.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::economy {

// ---- protocol parameters ----

//! The treasury's share of every inference fee.
inline constexpr std::string_view kProtocolShareParam = "fees.protocol_share_ppm";
//! The least share of a fee (after the protocol's) a model may give its contributors.
inline constexpr std::string_view kMinContributorsShareParam = "fees.min_contributors_share_ppm";
//! How much each spam slash lowers a contributor's reward weight in that Datanet.
inline constexpr std::string_view kPenaltyPerSlashParam = "fees.penalty_per_slash_ppm";
//! Of the protocol's share of each fee, the part paid to stakers (the treasury keeps the rest).
inline constexpr std::string_view kStakingRewardShareParam = "staking.reward_share_ppm";
inline constexpr std::string_view kProposalThresholdParam = "gov.proposal_threshold";
inline constexpr std::string_view kVotingDelayParam = "gov.voting_delay_blocks";
inline constexpr std::string_view kVotingPeriodParam = "gov.voting_period_blocks";
inline constexpr std::string_view kQuorumParam = "gov.quorum_ppm";
inline constexpr std::string_view kTimelockParam = "gov.timelock_blocks";

//! Every governed parameter of the protocol, with its bounds and default. Built once; read-only.
const ParamRegistry& ProtocolParams();
//! The value of a registered parameter for the block at `height`.
Result<Amount> ProtocolParam(const StateReader& state, std::string_view name, uint64_t height);
//! The genesis's protocol_params name registered parameters with values in bounds
//! (InvalidArgument "bad_genesis" otherwise).
Status CheckGenesisParams(const Genesis& genesis);
//! Shortens the governor's clock for a development chain: a 2-block voting delay, a 10-block
//! voting period and a 2-block timelock (20 s, 20 s and 4 s at the default 2-second block).
void SetDevGovernanceParams(Genesis* genesis);

// ---- the governor ----

inline constexpr size_t kMaxProposalTitleChars = 120;
inline constexpr size_t kMaxProposalTextBytes = 8 * 1024;
inline constexpr size_t kMaxProposalChanges = 16;

inline constexpr std::string_view kDelegateKind = "gov.delegate";
inline constexpr std::string_view kProposeKind = "gov.propose";
inline constexpr std::string_view kVoteKind = "gov.vote";
inline constexpr std::string_view kExecuteKind = "gov.execute";
inline constexpr std::string_view kCancelKind = "gov.cancel";

struct ParamChange {
  std::string name;
  Amount value = 0;
  bool operator==(const ParamChange&) const = default;
};

//! A decision on an open slash report against an agent (economy/agents.h), applied on execution.
struct ReportDecision {
  uint64_t report = 0;
  bool uphold = false;
  bool operator==(const ReportDecision&) const = default;
};

enum class VoteSupport : uint8_t { kAgainst = 0, kFor = 1, kAbstain = 2 };
std::string_view VoteSupportName(VoteSupport s);
Result<VoteSupport> ParseVoteSupport(std::string_view name);

enum class ProposalState : uint8_t {
  kPending,    //!< before its snapshot: votes not open yet
  kActive,     //!< voting
  kCanceled,   //!< by its proposer
  kDefeated,   //!< voting ended without quorum or without more for than against
  kSucceeded,  //!< passed; executable once the timelock has run
  kExecuted,
};
std::string_view ProposalStateName(ProposalState s);

struct Proposal {
  uint64_t id = 0;
  Address proposer;
  std::string title;
  std::string text;
  std::vector<ParamChange> changes;
  std::vector<ReportDecision> reports;
  uint64_t created_height = 0;
  uint64_t snapshot_height = 0;  //!< votes count as of this block
  uint64_t end_height = 0;       //!< the last block that takes votes
  uint64_t timelock_blocks = 0;
  Amount quorum = 0;  //!< for + abstain needed (base units of voting weight)
  Amount for_votes = 0;
  Amount against_votes = 0;
  Amount abstain_votes = 0;
  uint64_t voters = 0;
  bool canceled = false;
  uint64_t executed_height = 0;  //!< 0 until executed

  //! The first block that may execute it (after the vote and the timelock).
  uint64_t ExecutableHeight() const { return end_height + timelock_blocks + 1; }
  ProposalState StateAt(uint64_t height) const;
  bool QuorumReached() const;

  Bytes Encode() const;
  static Result<Proposal> Decode(ByteView b);
  //! Everything, with the state and tally as they stand for the block at `height`.
  nlohmann::json ToJson(uint64_t height) const;
};

struct Ballot {
  VoteSupport support = VoteSupport::kFor;
  Amount weight = 0;
};

Result<uint64_t> LoadProposalCount(const StateReader& state);
Result<std::optional<Proposal>> LoadProposal(const StateReader& state, uint64_t id);
Result<std::optional<Ballot>> LoadBallot(const StateReader& state, uint64_t id,
                                         const Address& voter);
void StoreProposalCount(Overlay& state, uint64_t n);
void StoreProposal(Overlay& state, const Proposal& p);
void StoreBallot(Overlay& state, uint64_t id, const Address& voter, const Ballot& b);

struct ProposePayload {
  std::string title;
  std::string text;
  std::vector<ParamChange> changes;
  std::vector<ReportDecision> reports;

  Bytes Encode() const;
  static Result<ProposePayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<ProposePayload> FromJson(const nlohmann::json& j);
  //! Title, text, 1..16 changes and report decisions in all: each change a registered
  //! parameter, in bounds, named once; each report once (reasons bad_proposal, unknown_param,
  //! param_out_of_bounds).
  Status Check() const;
};

//! Adds gov.delegate, gov.propose, gov.vote, gov.execute and gov.cancel.
void RegisterGovernanceKinds(TxKindRegistry& registry);

}  // namespace tributary::economy
