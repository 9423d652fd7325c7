// The OPEN bridge's Tributary side: withdrawals to an EVM chain and credits of deposits made
// there (docs/settlement.md, "The bridge"; the EVM side is contracts/src/OpenBridge.sol).
//
// Supply stays constant on Tributary: OPEN that is on the EVM side is held here by the bridge
// escrow, a system account nobody can sign for. A chain that bridges gives the escrow, at genesis,
// the OPEN that starts on the EVM side; OpenBridge on the EVM chain locks what is on Tributary's
// side. So a deposit (locked there) is paid here from the escrow, and a withdrawal (paid into the
// escrow here) is released there: escrow + locked stays equal across both chains.
//
//   bridge.withdraw  anyone: moves `amount` (> 0) from the sender to the escrow and writes the
//                    withdrawal record OpenBridge.release proves against a committed state root.
//                    Ids are 1, 2, ... Event "bridge.withdrawn" {id, from, recipient, amount}.
//   bridge.credit    only the chain's sequencer (which watches OpenBridge's Deposited events):
//                    pays deposit `deposit_id` (> 0) of `amount` (> 0) to `account` from the
//                    escrow, once per deposit id ("deposit_credited" for a repeat;
//                    "insufficient_balance" when the escrow holds less). Event "bridge.credited"
//                    {deposit_id, account, amount, evm_tx}.
//
// State keys (economy prefixes):
//   'B' | u64 id (big-endian)       -> abi.encode(address recipient, uint256 amount), 64 bytes:
//                                      exactly OpenBridge.withdrawalKey / withdrawalValue. Never
//                                      changed or deleted once written.
//   'C'                             -> u64 number of withdrawals
//   'D' | u64 deposit id            -> DepositCredit
//
// Payload JSON: bridge.withdraw {"recipient": "0x<40 hex>", "amount": "<base units>"};
// bridge.credit {"deposit_id": N, "account": "trb…", "amount": "<base units>",
// "evm_tx": "0x<64 hex>"} (the EVM transaction that deposited, for the record).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"
#include "tributary/ledger/genesis.h"
#include "tributary/ledger/state.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::economy {

inline constexpr std::string_view kBridgeWithdrawKind = "bridge.withdraw";
inline constexpr std::string_view kBridgeCreditKind = "bridge.credit";

//! 20 bytes of an EVM account.
using EvmAddress = std::array<uint8_t, 20>;

//! "0x" and 40 lowercase hex digits.
std::string EvmAddressToString(const EvmAddress& a);
//! 0x and 40 hex digits (any case; the checksum is the EVM library's business, not the
//! ledger's). InvalidArgument "bad_evm_address".
Result<EvmAddress> ParseEvmAddress(std::string_view text);

//! The bridge escrow ("tributary/bridge/v1"): the OPEN that is on the EVM side.
Address BridgeEscrowAddress();

//! What a dev chain's escrow starts with: 1,000,000 OPEN (tools/settle-local.sh mints as much on
//! its local EVM chain, so the two sides match).
inline constexpr Amount kDevBridgeEscrow = Amount{1000000} * Amount{1000000000000000000ULL};
//! Moves kDevBridgeEscrow from the genesis' first account to the bridge escrow (a no-op when that
//! account holds less).
void SetDevBridgeEscrow(Genesis* genesis);

//! A withdrawal record. Value type.
struct Withdrawal {
  EvmAddress recipient{};
  Amount amount = 0;

  //! abi.encode(address, uint256): 12 zero bytes, the address, 32-byte big-endian amount.
  Bytes Encode() const;
  //! Corruption unless exactly that shape with an amount below 2^128.
  static Result<Withdrawal> Decode(ByteView b);
};

//! A credited deposit. Value type.
struct DepositCredit {
  Address account;
  Amount amount = 0;
  uint64_t height = 0;  //!< the Tributary block that credited it
  Hash32 evm_tx{};      //!< the EVM transaction that deposited

  Bytes Encode() const;
  static Result<DepositCredit> Decode(ByteView b);
};

//! 'B' | u64 big-endian: OpenBridge.withdrawalKey(id).
std::string WithdrawalKey(uint64_t id);
std::string DepositCreditKey(uint64_t deposit_id);

Result<uint64_t> LoadWithdrawalCount(const StateReader& state);
//! Writes withdrawal record `w` under the next id and returns the id (the OPEN must already be
//! in the escrow).
Result<uint64_t> AppendWithdrawal(Overlay& state, const Withdrawal& w);
Result<std::optional<Withdrawal>> LoadWithdrawal(const StateReader& state, uint64_t id);
Result<std::optional<DepositCredit>> LoadDepositCredit(const StateReader& state,
                                                       uint64_t deposit_id);

struct BridgeWithdrawPayload {
  EvmAddress recipient{};
  Amount amount = 0;

  Bytes Encode() const;
  static Result<BridgeWithdrawPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<BridgeWithdrawPayload> FromJson(const nlohmann::json& j);
  //! amount > 0, recipient not zero; reason "bad_withdrawal".
  Status Check() const;
};

struct BridgeCreditPayload {
  uint64_t deposit_id = 0;
  Address account;
  Amount amount = 0;
  Hash32 evm_tx{};

  Bytes Encode() const;
  static Result<BridgeCreditPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<BridgeCreditPayload> FromJson(const nlohmann::json& j);
  //! deposit_id > 0, amount > 0; reason "bad_credit".
  Status Check() const;
};

//! Adds bridge.withdraw and bridge.credit.
void RegisterBridgeKinds(TxKindRegistry& registry);

}  // namespace tributary::economy
