#include <algorithm>
#include <cctype>
#include <string>
#include <thread>

#include "tributary/settlement/tx_sender.h"

namespace tributary::settlement {
namespace {

using Clock = std::chrono::steady_clock;

// Saturating: fee arithmetic never needs values near 2^256, and a cap is safer than a wrap.
U256 AddSat(const U256& a, const U256& b) {
  auto s = U256::Add(a, b);
  return s ? *s : U256::FromBytes([] {
    std::array<uint8_t, 32> all{};
    all.fill(0xff);
    return all;
  }());
}

// x + x/8 + 1: at least 12.5% more (geth and Hardhat want 10% for a replacement).
U256 Bump(const U256& x) { return AddSat(AddSat(x, U256::DivMod(x, 8).quotient), U256(1)); }

bool Contains(const std::string& text, std::string_view needle) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find(needle) != std::string::npos;
}

// A transport failure: the request may or may not have reached the node.
bool Transport(const Status& s) {
  return s.code() == Code::kUnavailable && s.reason() != "rpc_bad_response";
}

}  // namespace

TxSender::TxSender(evm::RpcClient* rpc, evm::PrivateKey key, uint64_t chain_id,
                   TxSenderOptions options)
    : rpc_(rpc), key_(std::move(key)), chain_id_(chain_id), options_(std::move(options)) {}

Result<TxFees> TxSender::EstimateFees() {
  TRIB_ASSIGN_OR_RETURN(evm::BlockHeader latest, rpc_->GetBlockByNumber(evm::BlockTag::Latest()));
  if (!latest.base_fee_per_gas) {
    return Status::FailedPrecondition(
        "the EVM chain's latest block has no baseFeePerGas: EIP-1559 transactions are not "
        "supported there",
        "no_base_fee");
  }
  TxFees fees;
  auto priority = rpc_->MaxPriorityFeePerGas();
  if (priority.ok()) {
    fees.max_priority_fee_per_gas = *priority;
  } else if (priority.status().reason() == "rpc_error") {
    fees.max_priority_fee_per_gas = options_.fallback_priority_fee;  // method not supported
  } else {
    return priority.status();
  }
  fees.max_fee_per_gas = AddSat(AddSat(*latest.base_fee_per_gas, *latest.base_fee_per_gas),
                                fees.max_priority_fee_per_gas);
  return fees;
}

Status TxSender::Send(const evm::Address& to, Bytes data) {
  if (in_flight_) {
    return Status::FailedPrecondition("a transaction is already in flight", "tx_in_flight");
  }
  TRIB_ASSIGN_OR_RETURN(uint64_t nonce,
                        rpc_->GetTransactionCount(address(), evm::BlockTag::Pending()));
  TRIB_ASSIGN_OR_RETURN(TxFees fees, EstimateFees());
  evm::CallRequest call;
  call.from = address();
  call.to = to;
  call.data = data;
  TRIB_ASSIGN_OR_RETURN(uint64_t gas, rpc_->EstimateGas(call));
  evm::Eip1559Transaction tx;
  tx.chain_id = chain_id_;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = fees.max_priority_fee_per_gas;
  tx.max_fee_per_gas = fees.max_fee_per_gas;
  tx.gas_limit = gas + gas / 100 * options_.gas_headroom_percent +
                 gas % 100 * options_.gas_headroom_percent / 100;
  tx.to = to;
  tx.data = std::move(data);
  return SignAndSend(tx);
}

Status TxSender::SignAndSend(const evm::Eip1559Transaction& tx) {
  const evm::SignedEip1559Transaction signed_tx = evm::SignTransaction(tx, key_);
  const Hash32 hash = signed_tx.Hash();
  const bool fresh = !in_flight_;
  if (fresh) in_flight_.emplace();
  in_flight_->tx = tx;
  in_flight_->hashes.push_back(hash);
  in_flight_->sent_at = Clock::now();
  auto sent = rpc_->SendRawTransaction(signed_tx.Encode());
  if (sent.ok()) return Status::OK();
  const Status& s = sent.status();
  // The node has it already (a resend after a lost answer): as good as sent.
  if (Contains(s.message(), "already known") || Contains(s.message(), "known transaction")) {
    return Status::OK();
  }
  if (Transport(s)) return s;  // it may have arrived: stays in flight
  // Refused: this version is not in the node's pool.
  in_flight_->hashes.pop_back();
  if (fresh) in_flight_.reset();
  return s;
}

Result<TxPoll> TxSender::Poll() {
  if (!in_flight_) return Status::FailedPrecondition("no transaction in flight", "no_tx_in_flight");
  // Newest first: after a replacement, the replacement is the likelier one to be mined.
  for (auto it = in_flight_->hashes.rbegin(); it != in_flight_->hashes.rend(); ++it) {
    TRIB_ASSIGN_OR_RETURN(std::optional<evm::TransactionReceipt> receipt,
                          rpc_->GetTransactionReceipt(*it));
    if (receipt) {
      in_flight_.reset();
      return TxPoll{TxState::kMined, std::move(receipt)};
    }
  }
  if (Clock::now() - in_flight_->sent_at < options_.receipt_timeout) return TxPoll{};
  TRIB_ASSIGN_OR_RETURN(uint64_t mined,
                        rpc_->GetTransactionCount(address(), evm::BlockTag::Latest()));
  if (mined > in_flight_->tx.nonce) {
    // Mined meanwhile (between the receipt lookups and now), or another transaction of this
    // key took the nonce: one more look tells which.
    for (const Hash32& h : in_flight_->hashes) {
      TRIB_ASSIGN_OR_RETURN(std::optional<evm::TransactionReceipt> receipt,
                            rpc_->GetTransactionReceipt(h));
      if (receipt) {
        in_flight_.reset();
        return TxPoll{TxState::kMined, std::move(receipt)};
      }
    }
    in_flight_.reset();
    return TxPoll{TxState::kNonceUsed, std::nullopt};
  }
  return TxPoll{TxState::kStuck, std::nullopt};
}

Status TxSender::Replace() {
  if (!in_flight_) return Status::FailedPrecondition("no transaction in flight", "no_tx_in_flight");
  TRIB_ASSIGN_OR_RETURN(TxFees now, EstimateFees());
  evm::Eip1559Transaction tx = in_flight_->tx;
  tx.max_priority_fee_per_gas =
      std::max(now.max_priority_fee_per_gas, Bump(tx.max_priority_fee_per_gas));
  tx.max_fee_per_gas =
      std::max({now.max_fee_per_gas, Bump(tx.max_fee_per_gas), tx.max_priority_fee_per_gas});
  Status s = SignAndSend(tx);
  // Refused or not, the next attempt starts from these fees.
  if (in_flight_) in_flight_->tx = tx;
  return s;
}

Result<evm::TransactionReceipt> SendAndWait(TxSender& sender, const evm::Address& to, Bytes data,
                                            std::chrono::milliseconds timeout, const char* what) {
  TRIB_RETURN_IF_ERROR(sender.Send(to, std::move(data)).WithContext(what));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    TRIB_ASSIGN_OR_RETURN(TxPoll poll, sender.Poll());
    if (poll.state == TxState::kMined) {
      if (!poll.receipt->success) {
        return Status::FailedPrecondition(std::string(what) + " reverted in EVM transaction 0x" +
                                              ToHex(poll.receipt->transaction_hash),
                                          std::string(what) + "_reverted");
      }
      return *poll.receipt;
    }
    if (poll.state == TxState::kNonceUsed) {
      return Status::FailedPrecondition(
          std::string(what) + ": its nonce was used by another transaction", "nonce_used");
    }
    if (poll.state == TxState::kStuck) TRIB_RETURN_IF_ERROR(sender.Replace());
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable(std::string(what) + ": no receipt within " +
                                     std::to_string(timeout.count() / 1000) + " s",
                                 "receipt_timeout");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}


}  // namespace tributary::settlement
