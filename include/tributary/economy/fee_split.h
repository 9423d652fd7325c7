// The fee of a paid answer and its split between the protocol, the model's contributors and the
// model's owner (docs/payments.md).
//
//   fee = ceil((prompt + completion tokens) x price per 1,000 tokens / 1,000), in base units.
//
// Of a fee F: the protocol share (kProtocolSharePpm) goes to the treasury; of the rest, the
// model's contributors' share (set at model.register, at least kMinContributorsSharePpm) is
// divided among contributions by their attribution parts per million, and the remainder goes to
// the model's owner, who also receives the contributors' share of the `unattributed` parts.
//
// Every recipient's exact share is F x w / 10^18 for an integer weight w (the weights sum to
// 10^18 exactly). Each gets the floor; the units left over (fewer than the number of recipients)
// go one at a time to the largest fractional remainders, ties to contributions in ascending id
// order, then the owner, then the treasury. So the parts always sum to F exactly and no part is
// negative. Pure integer arithmetic (192-bit intermediate products): the same inputs give the
// same parts on any machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"
#include "tributary/base/status.h"

namespace tributary::economy {

inline constexpr uint32_t kPartsPerMillion = 1'000'000;
//! The defaults of the governed parameters (economy/governance.h) the split uses: the treasury's
//! share of every fee (5%, fees.protocol_share_ppm); the least share of the rest a model may give
//! its contributors (50%, fees.min_contributors_share_ppm); how much each spam slash a
//! contributor has in a Datanet lowers their contributions' weight there (a quarter, down to
//! nothing at four, fees.penalty_per_slash_ppm; the weight removed counts as unattributed).
inline constexpr uint32_t kProtocolSharePpm = 50'000;
inline constexpr uint32_t kMinContributorsSharePpm = 500'000;
inline constexpr uint32_t kPenaltyPerSlashPpm = 250'000;
//! The share a model gives its contributors when its registration names none (50%).
inline constexpr uint32_t kDefaultContributorsSharePpm = 500'000;

//! ceil(tokens x price_per_1k / 1000); nullopt on overflow.
std::optional<Amount> InferenceFee(uint64_t tokens, Amount price_per_1k);

//! floor(a x b / d) and (a x b) mod d for d > 0, with b <= d (so the quotient fits).
struct MulDivResult {
  Amount quotient = 0;
  uint64_t remainder = 0;
};
MulDivResult MulDiv(Amount a, uint64_t b, uint64_t d);

//! kStakers: the part of the treasury's share paid to stakers (staking.reward_share_ppm), added
//! by inference.settle after the split when anything is staked.
enum class SplitRole : uint8_t { kContributor = 0, kOwner = 1, kTreasury = 2, kStakers = 3 };
std::string_view SplitRoleName(SplitRole role);

//! One contribution's claim on the contributors' share.
struct SplitClaim {
  Hash32 contribution{};
  Address contributor;
  uint64_t datanet = 0;
  uint32_t parts = 0;  //!< parts per million of the attributed answer
};

struct SplitPart {
  SplitRole role = SplitRole::kOwner;
  Address account;
  Hash32 contribution{};  //!< contributors only
  uint64_t datanet = 0;   //!< contributors only
  Amount amount = 0;
  bool operator==(const SplitPart&) const = default;
};

struct SplitInput {
  Amount fee = 0;
  uint32_t protocol_ppm = kProtocolSharePpm;
  uint32_t contributors_ppm = kDefaultContributorsSharePpm;
  //! Sorted by contribution id, no id twice, parts summing to at most 10^6 (the rest is
  //! unattributed).
  std::vector<SplitClaim> claims;
  Address owner;
  Address treasury;
};

//! The split of `in.fee`: one part per claim (in claim order), then the owner, then the
//! treasury; parts of 0 are kept so the caller sees every recipient. InvalidArgument
//! ("bad_split") for shares above 10^6, unsorted or repeated claims or parts above 10^6.
Result<std::vector<SplitPart>> SplitFee(const SplitInput& in);

}  // namespace tributary::economy
