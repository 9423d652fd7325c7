// The OpenBridge contract (contracts/src/OpenBridge.sol) and the OPEN ERC-20 as the node and the
// CLI see them: calldata of deposit(), release() and approve(), the views read with eth_call and
// the Deposited events.
//
// A view that reverts or whose answer does not decode fails with FailedPrecondition, reason
// "not_bridge_contract" (or "not_erc20"); RpcClient's other errors pass through unchanged.
//
// Thread-safety: immutable after construction; any thread may use it (RpcClient is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"
#include "tributary/base/uint256.h"
#include "tributary/evm/abi.h"
#include "tributary/evm/address.h"
#include "tributary/evm/keys.h"
#include "tributary/evm/rpc_client.h"

namespace tributary::settlement {

//! eth_call of the view `signature` with `args` at the latest block, its answer decoded as one
//! `type`. A revert or an answer that does not decode fails with FailedPrecondition `reason`
//! ("the contract at … did not answer … as `what` does"); RpcClient's other errors pass through.
Result<evm::AbiValue> CallView(evm::RpcClient* rpc, const evm::Address& address, const char* what,
                               const char* reason, const char* signature,
                               const std::vector<evm::AbiValue>& args, const evm::AbiType& type);

//! A Deposited(uint256 indexed depositId, address indexed from, bytes20 tributaryAccount,
//! uint256 amount) log. Value type.
struct DepositedEvent {
  uint64_t deposit_id = 0;
  evm::Address from;
  Address account;  //!< the Tributary account to credit
  U256 amount;
  uint64_t evm_block = 0;
  Hash32 tx_hash{};
};

class BridgeContract {
 public:
  //! The contract at `address`, read through `rpc` (not owned; must outlive this object).
  BridgeContract(evm::RpcClient* rpc, const evm::Address& address) : rpc_(rpc), address_(address) {}

  const evm::Address& address() const { return address_; }

  Result<evm::Address> Token() const;        //!< token()
  Result<evm::Address> Commitments() const;  //!< commitments()
  Result<uint64_t> DepositCount() const;     //!< depositCount()
  Result<bool> IsReleased(uint64_t withdrawal_id) const;
  //! The Deposited events in EVM blocks [from, to], oldest first; logs a reorganization removed
  //! are left out. Deposit ids or amounts that do not fit (ids above 2^64) fail the call.
  Result<std::vector<DepositedEvent>> Deposits(uint64_t from_block, uint64_t to_block) const;

  static Bytes EncodeDeposit(const U256& amount, const Address& account);
  static Bytes EncodeRelease(uint64_t withdrawal_id, const evm::Address& recipient,
                             const U256& amount, uint64_t commitment_height,
                             const std::vector<Hash32>& siblings);
  static Hash32 DepositedTopic();

 private:
  Result<evm::AbiValue> View(const char* signature, const std::vector<evm::AbiValue>& args,
                             const evm::AbiType& type) const;

  evm::RpcClient* rpc_;
  evm::Address address_;
};

//! An ERC-20 token (OPEN on the EVM side).
class Erc20Token {
 public:
  Erc20Token(evm::RpcClient* rpc, const evm::Address& address) : rpc_(rpc), address_(address) {}
  const evm::Address& address() const { return address_; }
  Result<U256> BalanceOf(const evm::Address& owner) const;
  Result<U256> Allowance(const evm::Address& owner, const evm::Address& spender) const;
  static Bytes EncodeApprove(const evm::Address& spender, const U256& amount);

 private:
  evm::RpcClient* rpc_;
  evm::Address address_;
};

//! What DepositToTributary did. Value type.
struct DepositOutcome {
  std::optional<Hash32> approve_tx;  //!< none when the allowance already covered the amount
  DepositedEvent deposit;            //!< from the deposit's receipt
  uint64_t gas_used = 0;             //!< the deposit's (not the approval's)
};

//! Deposits `amount` OPEN base units from `key`'s EVM account into OpenBridge at `bridge` for
//! the Tributary `account`: approve() first when the allowance is short, then deposit(), each
//! followed to its receipt (up to `timeout` each). FailedPrecondition "insufficient_open" when
//! the account holds less; "deposit_reverted" / "approve_reverted" on a revert; RpcClient's
//! errors otherwise.
Result<DepositOutcome> DepositToTributary(evm::RpcClient* rpc, const evm::PrivateKey& key,
                                          const evm::Address& bridge, const U256& amount,
                                          const Address& account,
                                          std::chrono::milliseconds timeout);

}  // namespace tributary::settlement
