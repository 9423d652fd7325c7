//! Staking rewards: stakers share the fee income governance directs to them, pro rata to stake,
//! through a per-share accumulator (docs/governance.md).
//!
//! Rewards are held by the staking pool account (a system account). Adding R to the pool when
//! T base units are staked raises the accumulator by floor((R x 10^18 + carry) / T) and keeps the
//! remainder as the next carry, so no fraction is ever lost; a staker's share since its last
//! snapshot is floor(counted stake x (accumulator - snapshot) / 10^18). The floors leave dust in
//! the pool (at most one base unit per staker per accrual), never a shortfall: the pool always
//! holds at least what every staker could claim. No loop over stakers: a staker's share is
//! computed when its stake changes or it claims.
//!
//! A staker's counted stake follows its account's `staked` field: the executor calls
//! TrackAccountChanges after each step of a tx, so every kind that changes stake (stake, unstake,
//! slashing) is accounted without doing anything itself. Stake locked before this accounting
//! existed counts from the staker's next change or claim.
//!
//! State keys: 'Y'           -> StakingPool
//!             'y' | 20B     -> StakerRecord
#pragma once

#include "tributary/base/amount.h"
#include "tributary/base/keys.h"
#include "tributary/base/uint256.h"
#include "tributary/ledger/state.h"

namespace tributary {

//! The account that holds staking rewards until they are claimed ("tributary/staking/v1").
Address StakingPoolAddress();

struct StakingPool {
  Amount total_staked = 0;  //!< the sum of every staker's counted stake
  U256 acc;                 //!< rewards per staked base unit, x 10^18, since the beginning
  Amount carry = 0;         //!< (R x 10^18) mod total_staked left over from the last addition
  Amount distributed = 0;   //!< rewards added ever
  Amount claimed = 0;       //!< rewards claimed ever

  Bytes Encode() const;
  static Result<StakingPool> Decode(ByteView b);
};

struct StakerRecord {
  Amount counted = 0;  //!< the stake the pool's total includes for this account
  U256 snapshot;       //!< the accumulator when `owed` was last brought up to date
  Amount owed = 0;     //!< rewards accrued and not yet claimed

  Bytes Encode() const;
  static Result<StakerRecord> Decode(ByteView b);
};

Result<StakingPool> LoadStakingPool(const StateReader& state);
Result<StakerRecord> LoadStakerRecord(const StateReader& state, const Address& staker);

//! What `staker` could claim now (owed plus what accrued since its snapshot).
Result<Amount> ClaimableStakingRewards(const StateReader& state, const Address& staker);

//! Moves `amount` from `from`'s balance into the pool and credits it to stakers. FailedPrecondition
//! "no_stakers" when nothing is staked (the caller keeps the amount elsewhere).
Status AddStakingRewards(Overlay& state, const Address& from, Amount amount);

//! Pays `staker` everything it can claim; returns the amount (0 is not an error).
Result<Amount> ClaimStakingRewards(Overlay& state, const Address& staker);

//! Brings voting checkpoints and staking records in step with the accounts that `writes` changes
//! relative to `before` (its base): a changed weight moves its delegate's votes, a changed stake
//! accrues the staker's rewards and updates the pool's total. Writes into `writes`.
Status TrackAccountChanges(Overlay& writes, const StateReader& before, uint64_t height);

}  // namespace tributary
