// Reward epochs: earnings from paid answers paid out on the EVM chain, through RewardDistributor
// (docs/settlement.md, "Reward epochs and claims"; contracts/src/RewardDistributor.sol).
//
// An account chooses where its earnings go. By default they are credited on Tributary as they
// settle. After rewards.set_payout names an EVM address, its shares of every settled answer
// (inference.settle: contributor, model owner or other non-staker roles) go instead to the bridge
// escrow and are added to that address's leaf in the open epoch. rewards.close, sent by the
// sequencer, closes the open epoch: its total becomes one bridge withdrawal to `recipient` (the
// RewardDistributor's poster), and the next epoch opens. The node then releases that withdrawal
// on the EVM chain (it is an ordinary bridge withdrawal) and posts the epoch's root over its
// leaves, (address, amount) in OpenZeppelin's StandardMerkleTree, with
// RewardDistributor.postEpoch(epoch, root, total), which takes `total` from the poster. Each
// address then claims its amount with a Merkle proof. OPEN is conserved: what the leaves pay out
// on the EVM chain is exactly what left Tributary for the escrow.
//
//   rewards.set_payout  anyone, for itself: {"evm_address": "0x…"} sets it, "" clears it (earnings
//                       go to the Tributary balance again). Event "rewards.payout_set".
//   rewards.close       only the sequencer: {"epoch": N, "recipient": "0x…"}; N must be the open
//                       epoch ("wrong_epoch"). An epoch without earnings closes with no
//                       withdrawal. Event "rewards.closed" {epoch, total, leaves, withdrawal_id}.
//
// State keys (economy prefixes):
//   'S' | 20B account                 -> 20-byte EVM payout address
//   'T'                               -> u64 the open epoch (absent: 1)
//   'F' | u64 epoch                   -> RewardEpoch
//   'f' | u64 epoch | 20B EVM address -> u128 the address's amount in the epoch (its leaf)
//   'i' | u64 epoch | u64 index       -> 20B EVM address: the epoch's leaves in order of first credit
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/keys.h"
#include "tributary/economy/bridge.h"
#include "tributary/ledger/state.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::economy {

inline constexpr std::string_view kSetPayoutKind = "rewards.set_payout";
inline constexpr std::string_view kCloseEpochKind = "rewards.close";

//! An epoch's totals. Value type.
struct RewardEpoch {
  Amount total = 0;
  uint64_t leaves = 0;  //!< distinct EVM addresses
  bool closed = false;
  uint64_t close_height = 0;   //!< the block that closed it
  uint64_t withdrawal_id = 0;  //!< the bridge withdrawal of `total` (0: none, total 0)
  EvmAddress recipient{};      //!< who that withdrawal pays (the distributor's poster)

  Bytes Encode() const;
  static Result<RewardEpoch> Decode(ByteView b);
};

Result<std::optional<EvmAddress>> LoadPayoutAddress(const StateReader& state,
                                                    const Address& account);
//! The open epoch (1 before any close).
Result<uint64_t> LoadOpenEpoch(const StateReader& state);
//! The epoch's record (all zero for an epoch nothing was credited to or closed yet).
Result<RewardEpoch> LoadRewardEpoch(const StateReader& state, uint64_t epoch);
//! The epoch's leaves, (address, amount), in order of first credit.
Result<std::vector<std::pair<EvmAddress, Amount>>> LoadEpochLeaves(const StateReader& state,
                                                                   uint64_t epoch);

void StorePayoutAddress(Overlay& state, const Address& account,
                        const std::optional<EvmAddress>& address);
void StoreRewardEpoch(Overlay& state, uint64_t epoch, const RewardEpoch& e);
void StoreOpenEpoch(Overlay& state, uint64_t epoch);

//! Pays `amount` of an earning from `payer` to `earner`: to its Tributary balance, or, when the
//! earner set a payout address, to the bridge escrow and that address's leaf in the open epoch
//! (then `*epoch` is set to the epoch). Errors as MoveBalance.
Status PayEarning(Overlay& state, const Address& payer, const Address& earner, Amount amount,
                  std::optional<uint64_t>* epoch);

struct SetPayoutPayload {
  std::optional<EvmAddress> evm_address;  //!< none: clear

  Bytes Encode() const;
  static Result<SetPayoutPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<SetPayoutPayload> FromJson(const nlohmann::json& j);
  //! A set address is not the zero address; reason "bad_payout".
  Status Check() const;
};

struct CloseEpochPayload {
  uint64_t epoch = 0;
  EvmAddress recipient{};

  Bytes Encode() const;
  static Result<CloseEpochPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<CloseEpochPayload> FromJson(const nlohmann::json& j);
  //! epoch > 0, recipient not zero; reason "bad_epoch".
  Status Check() const;
};

//! Adds rewards.set_payout and rewards.close.
void RegisterRewardKinds(TxKindRegistry& registry);

}  // namespace tributary::economy
