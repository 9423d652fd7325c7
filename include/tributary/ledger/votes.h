//! Voting power: delegation and checkpoints, with ERC20Votes' rules (docs/governance.md).
//!
//! An account's voting weight is everything it owns (balance + staked + unbonding); it counts
//! only once the account delegates it, to itself or to another account. Each delegate's total is
//! kept as checkpoints (the height it changed at, the new total), so the governor reads a
//! delegate's votes as of a past height and tokens moved after a proposal's snapshot are never
//! counted twice. The executor keeps the checkpoints in step with every account change
//! (TrackAccountChanges in ledger/staking.h), so no tx kind has to.
//!
//! State keys: 'g' | 20B account  -> 20B delegate
//!             'w' | 20B delegate -> u64 older checkpoints | u64 height | u128 votes (the latest)
//!             'W' | 20B delegate | u64 index -> u64 height | u128 votes (older, in order)
//! The latest checkpoint lives in the head so a change reads one key; it joins the history when
//! a later block changes the votes again.
#pragma once

#include <optional>

#include "tributary/base/amount.h"
#include "tributary/base/keys.h"
#include "tributary/ledger/state.h"

namespace tributary {

//! The voting weight an account holds: balance + staked + unbonding.
Result<Amount> VotingWeight(const StateReader& state, const Address& account);

//! Whom `account` delegates to, if anyone.
Result<std::optional<Address>> LoadDelegate(const StateReader& state, const Address& account);

//! `delegate`'s votes after every block up to and including `height`.
Result<Amount> VotesAt(const StateReader& state, const Address& delegate, uint64_t height);
//! `delegate`'s latest votes (including changes made in the block being built).
Result<Amount> CurrentVotes(const StateReader& state, const Address& delegate);

//! Makes `to` the delegate of `account` at block `height`, moving the account's whole weight from
//! its previous delegate (if any). Delegating to the current delegate changes nothing.
Status SetDelegate(Overlay& state, const Address& account, const Address& to, uint64_t height);

//! Adds `delta` (or subtracts when `negative`) to `delegate`'s votes at block `height`.
//! Internal error on overflow or underflow (votes cannot exceed the supply).
Status MoveVotes(Overlay& state, const Address& delegate, Amount delta, bool negative,
                 uint64_t height);

}  // namespace tributary
