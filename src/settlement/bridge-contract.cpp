#include <thread>

#include "tributary/evm/abi.h"
#include "tributary/evm/quantity.h"
#include "tributary/settlement/bridge_contract.h"
#include "tributary/settlement/tx_sender.h"

namespace tributary::settlement {
namespace {

const char* kDepositedEvent =
    "Deposited(uint256 indexed depositId, address indexed from, bytes20 tributaryAccount, "
    "uint256 amount)";

const evm::EventAbi& DepositedAbi() {
  static const evm::EventAbi* abi = new evm::EventAbi(*evm::EventAbi::Parse(kDepositedEvent));
  return *abi;
}

Status NotA(const char* what, const char* reason, const evm::Address& address,
            const std::string& view, const Status& why) {
  return Status::FailedPrecondition("the contract at " + address.ToChecksumString() +
                                        " did not answer " + view + " as " + what +
                                        " does: is it another contract? (" + why.message() + ")",
                                    reason);
}

Result<DepositedEvent> DecodeDeposited(const evm::Log& log) {
  TRIB_ASSIGN_OR_RETURN(std::vector<evm::AbiValue> v,
                        DepositedAbi().DecodeLog(log.topics, log.data));
  DepositedEvent e;
  auto id = evm::ToUint64(v[0].as_uint());
  if (!id.ok()) return Status::InvalidArgument("a deposit id does not fit 64 bits", "bad_deposit");
  e.deposit_id = *id;
  e.from = v[1].as_address();
  const Bytes& account = v[2].as_bytes();
  if (account.size() != 20) return Status::Internal("bytes20 decoded to another size");
  std::copy(account.begin(), account.end(), e.account.bytes.begin());
  e.amount = v[3].as_uint();
  e.evm_block = log.block_number.value_or(0);
  e.tx_hash = log.transaction_hash.value_or(Hash32{});
  return e;
}

}  // namespace

Result<evm::AbiValue> CallView(evm::RpcClient* rpc, const evm::Address& address, const char* what,
                               const char* reason, const char* signature,
                               const std::vector<evm::AbiValue>& args, const evm::AbiType& type) {
  TRIB_ASSIGN_OR_RETURN(evm::FunctionSignature fn, evm::FunctionSignature::Parse(signature));
  TRIB_ASSIGN_OR_RETURN(Bytes calldata, fn.EncodeCall(args));
  evm::CallRequest call;
  call.to = address;
  call.data = calldata;
  auto r = rpc->CallContract(call);
  if (!r.ok() && r.status().reason() == "execution_reverted") {
    return NotA(what, reason, address, signature, r.status());
  }
  if (!r.ok()) return r.status().WithContext(std::string(what) + "." + signature);
  auto v = evm::AbiDecode({&type, 1}, *r);
  if (!v.ok()) return NotA(what, reason, address, signature, v.status());
  return (*v)[0];
}

Result<evm::AbiValue> BridgeContract::View(const char* signature,
                                           const std::vector<evm::AbiValue>& args,
                                           const evm::AbiType& type) const {
  return CallView(rpc_, address_, "OpenBridge", "not_bridge_contract", signature, args, type);
}

Result<evm::Address> BridgeContract::Token() const {
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue v, View("token()", {}, evm::AbiType::Address()));
  return v.as_address();
}

Result<evm::Address> BridgeContract::Commitments() const {
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue v, View("commitments()", {}, evm::AbiType::Address()));
  return v.as_address();
}

Result<uint64_t> BridgeContract::DepositCount() const {
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue v, View("depositCount()", {}, evm::AbiType::Uint(256)));
  return evm::ToUint64(v.as_uint());
}

Result<bool> BridgeContract::IsReleased(uint64_t withdrawal_id) const {
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue v,
                        View("isReleased(uint64)", {evm::AbiValue::FromUint(U256(withdrawal_id))},
                             evm::AbiType::Bool()));
  return v.as_bool();
}

Result<std::vector<DepositedEvent>> BridgeContract::Deposits(uint64_t from_block,
                                                             uint64_t to_block) const {
  evm::LogFilter filter;
  filter.from_block = evm::BlockTag::Number(from_block);
  filter.to_block = evm::BlockTag::Number(to_block);
  filter.addresses = {address_};
  filter.topics = {{DepositedTopic()}};
  TRIB_ASSIGN_OR_RETURN(std::vector<evm::Log> logs, rpc_->GetLogs(filter));
  std::vector<DepositedEvent> out;
  for (const evm::Log& log : logs) {
    if (log.removed || log.address != address_) continue;
    TRIB_ASSIGN_OR_RETURN(DepositedEvent e, DecodeDeposited(log));
    out.push_back(e);
  }
  return out;
}

Bytes BridgeContract::EncodeDeposit(const U256& amount, const Address& account) {
  static const evm::FunctionSignature* fn =
      new evm::FunctionSignature(*evm::FunctionSignature::Parse("deposit(uint256,bytes20)"));
  const std::vector<evm::AbiValue> args = {
      evm::AbiValue::FromUint(amount),
      evm::AbiValue::FromFixedBytes(ByteView(account.bytes.data(), account.bytes.size()))};
  return *fn->EncodeCall(args);
}

Bytes BridgeContract::EncodeRelease(uint64_t withdrawal_id, const evm::Address& recipient,
                                    const U256& amount, uint64_t commitment_height,
                                    const std::vector<Hash32>& siblings) {
  static const evm::FunctionSignature* fn = new evm::FunctionSignature(
      *evm::FunctionSignature::Parse("release(uint64,address,uint256,uint64,bytes32[])"));
  std::vector<evm::AbiValue> path;
  path.reserve(siblings.size());
  for (const Hash32& h : siblings) path.push_back(evm::AbiValue::FromHash(h));
  const std::vector<evm::AbiValue> args = {
      evm::AbiValue::FromUint(U256(withdrawal_id)), evm::AbiValue::FromAddress(recipient),
      evm::AbiValue::FromUint(amount), evm::AbiValue::FromUint(U256(commitment_height)),
      evm::AbiValue::FromArray(std::move(path))};
  return *fn->EncodeCall(args);
}

Hash32 BridgeContract::DepositedTopic() { return DepositedAbi().Topic0(); }

Result<U256> Erc20Token::BalanceOf(const evm::Address& owner) const {
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue v,
                        CallView(rpc_, address_, "an ERC-20", "not_erc20", "balanceOf(address)",
                                 {evm::AbiValue::FromAddress(owner)}, evm::AbiType::Uint(256)));
  return v.as_uint();
}

Result<U256> Erc20Token::Allowance(const evm::Address& owner, const evm::Address& spender) const {
  TRIB_ASSIGN_OR_RETURN(
      evm::AbiValue v,
      CallView(rpc_, address_, "an ERC-20", "not_erc20", "allowance(address,address)",
               {evm::AbiValue::FromAddress(owner), evm::AbiValue::FromAddress(spender)},
               evm::AbiType::Uint(256)));
  return v.as_uint();
}

Bytes Erc20Token::EncodeApprove(const evm::Address& spender, const U256& amount) {
  static const evm::FunctionSignature* fn =
      new evm::FunctionSignature(*evm::FunctionSignature::Parse("approve(address,uint256)"));
  const std::vector<evm::AbiValue> args = {evm::AbiValue::FromAddress(spender),
                                           evm::AbiValue::FromUint(amount)};
  return *fn->EncodeCall(args);
}

}  // namespace tributary::settlement

namespace tributary::settlement {

Result<DepositOutcome> DepositToTributary(evm::RpcClient* rpc, const evm::PrivateKey& key,
                                          const evm::Address& bridge, const U256& amount,
                                          const Address& account,
                                          std::chrono::milliseconds timeout) {
  const BridgeContract contract(rpc, bridge);
  TRIB_ASSIGN_OR_RETURN(evm::Address token_address, contract.Token());
  const Erc20Token token(rpc, token_address);
  TRIB_ASSIGN_OR_RETURN(U256 balance, token.BalanceOf(key.address()));
  if (balance < amount) {
    return Status::FailedPrecondition(key.address().ToChecksumString() + " holds " +
                                          balance.ToString() + " OPEN base units, less than " +
                                          amount.ToString(),
                                      "insufficient_open");
  }
  TRIB_ASSIGN_OR_RETURN(uint64_t chain_id, rpc->ChainId());
  TxSender sender(rpc, key, chain_id);
  DepositOutcome out;
  TRIB_ASSIGN_OR_RETURN(U256 allowance, token.Allowance(key.address(), bridge));
  if (allowance < amount) {
    TRIB_ASSIGN_OR_RETURN(
        evm::TransactionReceipt approved,
        SendAndWait(sender, token_address, Erc20Token::EncodeApprove(bridge, amount), timeout,
                    "approve"));
    out.approve_tx = approved.transaction_hash;
  }
  TRIB_ASSIGN_OR_RETURN(evm::TransactionReceipt receipt,
                        SendAndWait(sender, bridge, BridgeContract::EncodeDeposit(amount, account),
                                    timeout, "deposit"));
  out.gas_used = receipt.gas_used;
  for (const evm::Log& log : receipt.logs) {
    if (log.address != bridge || log.topics.empty() ||
        log.topics[0] != BridgeContract::DepositedTopic()) {
      continue;
    }
    TRIB_ASSIGN_OR_RETURN(out.deposit, DecodeDeposited(log));
    out.deposit.evm_block = receipt.block_number;
    out.deposit.tx_hash = receipt.transaction_hash;
    return out;
  }
  return Status::Internal("the deposit's receipt has no Deposited event");
}

}  // namespace tributary::settlement
