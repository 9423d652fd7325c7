// A client for the Ethereum JSON-RPC API over HTTP(S) (cpp-httplib, nlohmann-json): the calls
// settlement needs, each answer parsed and checked.
//
// Errors, all as Status:
//   - the node's JSON-RPC error object: reason "rpc_error" (code kFailedPrecondition, or
//     kInvalidArgument for the JSON-RPC codes -32700 and -32600..-32602 and kResourceExhausted
//     for -32005 "limit exceeded"), or "execution_reverted" (a revert, code 3 or a message
//     saying so; the message gives the decoded reason and the revert data). The message always
//     holds the method, the error code and the node's message.
//   - transport: kUnavailable with reason "rpc_unreachable" (no connection), "rpc_timeout" (no
//     complete answer in time), "rpc_transport" (other socket or TLS failures),
//     "rpc_http_status" (an HTTP status other than 200; the message has the start of the body).
//   - a malformed answer (not JSON, not a JSON-RPC response for this request, a result of the
//     wrong shape): kUnavailable with reason "rpc_bad_response".
//
// Thread-safety: a client may be shared by any number of threads; each call makes its own
// connection and the request id counter is atomic. A call gives up within about twice its
// timeout (connecting, sending and each read wait at most the timeout, and reading stops once
// the timeout has passed since the call began).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/uint256.h"
#include "tributary/evm/address.h"

namespace tributary::evm {

//! A block: a number or one of the tags "latest", "pending", "safe", "finalized", "earliest".
class BlockTag {
 public:
  static BlockTag Latest() { return BlockTag("latest"); }
  static BlockTag Pending() { return BlockTag("pending"); }
  static BlockTag Safe() { return BlockTag("safe"); }
  static BlockTag Finalized() { return BlockTag("finalized"); }
  static BlockTag Earliest() { return BlockTag("earliest"); }
  static BlockTag Number(uint64_t number);
  //! The JSON-RPC form: the tag, or the number as a quantity.
  const std::string& ToJson() const { return text_; }

 private:
  explicit BlockTag(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

//! The call object of eth_call and eth_estimateGas; unset fields are left out.
struct CallRequest {
  std::optional<Address> from;
  std::optional<Address> to;  //!< none: contract creation (eth_estimateGas of a deployment)
  std::optional<uint64_t> gas;
  std::optional<U256> value;
  Bytes data;
};

//! A log entry, as eth_getLogs and receipts give it.
struct Log {
  Address address;
  std::vector<Hash32> topics;
  Bytes data;
  std::optional<uint64_t> block_number;  //!< none while pending
  std::optional<Hash32> block_hash;
  std::optional<Hash32> transaction_hash;
  std::optional<uint64_t> log_index;
  bool removed = false;  //!< dropped by a chain reorganization
};

//! A transaction receipt (eth_getTransactionReceipt).
struct TransactionReceipt {
  Hash32 transaction_hash{};
  Hash32 block_hash{};
  uint64_t block_number = 0;
  uint64_t transaction_index = 0;
  bool success = false;  //!< status 0x1
  uint64_t gas_used = 0;
  uint64_t cumulative_gas_used = 0;
  std::optional<U256> effective_gas_price;
  std::optional<Address> from;
  std::optional<Address> to;
  std::optional<Address> contract_address;  //!< set for a contract creation
  std::vector<Log> logs;
};

//! The header fields of eth_getBlockByNumber (without transactions) that settlement reads.
struct BlockHeader {
  uint64_t number = 0;
  Hash32 hash{};
  Hash32 parent_hash{};
  uint64_t timestamp = 0;
  uint64_t gas_limit = 0;
  uint64_t gas_used = 0;
  std::optional<U256> base_fee_per_gas;  //!< none before London
};

//! An eth_getLogs filter. Topics: position i matches any of topics[i]; an empty position
//! matches anything.
struct LogFilter {
  BlockTag from_block = BlockTag::Latest();  //!< the JSON-RPC defaults
  BlockTag to_block = BlockTag::Latest();
  std::vector<Address> addresses;  //!< empty: any address
  std::vector<std::vector<Hash32>> topics;
};

struct RpcClientOptions {
  //! "http://host:port/path" or "https://…"; the path defaults to "/".
  std::string url;
  //! Each request's limit for connecting, sending and reading the answer.
  std::chrono::milliseconds timeout{10000};
  //! Answers larger than this are refused (reason "rpc_bad_response").
  size_t max_response_bytes = 64u << 20;
};

class RpcClient {
 public:
  //! A client for `options.url`; InvalidArgument (reason "bad_rpc_url") for a URL that is not
  //! http(s)://host[:port][/path], "bad_rpc_options" for a timeout that is not positive.
  //! Connects to nothing yet.
  static Result<std::unique_ptr<RpcClient>> Create(RpcClientOptions options);
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  //! One JSON-RPC call: the `result` member of the answer (which may be null).
  Result<nlohmann::json> Call(std::string_view method, nlohmann::json params);

  Result<uint64_t> ChainId();      //!< eth_chainId
  Result<uint64_t> BlockNumber();  //!< eth_blockNumber
  //! eth_getTransactionCount at `block` ("pending" counts transactions in the pool: the next
  //! nonce to use).
  Result<uint64_t> GetTransactionCount(const Address& account,
                                       const BlockTag& block = BlockTag::Pending());
  Result<U256> GetBalance(const Address& account, const BlockTag& block = BlockTag::Latest());
  Result<U256> GasPrice();              //!< eth_gasPrice
  Result<U256> MaxPriorityFeePerGas();  //!< eth_maxPriorityFeePerGas
  //! eth_getBlockByNumber without transactions; NotFound (reason "no_such_block") for a block
  //! the node does not have.
  Result<BlockHeader> GetBlockByNumber(const BlockTag& block);
  Result<uint64_t> EstimateGas(const CallRequest& call);  //!< eth_estimateGas
  //! eth_call: the return data. A revert is reason "execution_reverted".
  Result<Bytes> CallContract(const CallRequest& call, const BlockTag& block = BlockTag::Latest());
  //! eth_sendRawTransaction: the transaction hash the node reports.
  Result<Hash32> SendRawTransaction(ByteView raw);
  //! eth_getTransactionReceipt; nullopt while the transaction is not mined.
  Result<std::optional<TransactionReceipt>> GetTransactionReceipt(const Hash32& tx_hash);
  Result<std::vector<Log>> GetLogs(const LogFilter& filter);  //!< eth_getLogs

  //! Polls eth_getTransactionReceipt every `poll_interval` until the receipt is there or
  //! `deadline` passes (kUnavailable, reason "receipt_timeout", with the last transport error).
  //! Transport failures (rpc_unreachable, rpc_timeout, rpc_transport, rpc_http_status) while
  //! polling are retried until the deadline; other errors end the wait.
  //! Each request's timeout is cut to the time left. A reverted transaction's receipt is
  //! returned as such (success false), not as an error.
  Result<TransactionReceipt> WaitForReceipt(
      const Hash32& tx_hash, std::chrono::steady_clock::time_point deadline,
      std::chrono::milliseconds poll_interval = std::chrono::milliseconds(1000));

 private:
  struct Endpoint;
  RpcClient(RpcClientOptions options, std::unique_ptr<Endpoint> endpoint);
  Result<nlohmann::json> CallWithTimeout(std::string_view method, const nlohmann::json& params,
                                         std::chrono::milliseconds timeout);

  const RpcClientOptions options_;
  const std::unique_ptr<Endpoint> endpoint_;
  std::atomic<uint64_t> next_id_{1};
};

}  // namespace tributary::evm
