#include <httplib.h>

#include <algorithm>
#include <thread>

#include "tributary/evm/abi.h"
#include "tributary/evm/quantity.h"
#include "tributary/evm/rpc_client.h"

// JSON-RPC framing is written here over the HTTP and JSON libraries the node already uses
// (cpp-httplib, nlohmann-json) rather than Debian's libjsonrpccpp, which would bring jsoncpp,
// libcurl and libmicrohttpd in for a request/response envelope of a few lines.

namespace tributary::evm {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct RpcClient::Endpoint {
  std::string scheme_host_port;  // what httplib::Client takes: "http://host:port"
  std::string path;              // "/" or the URL's path
};

namespace {

Status BadResponse(std::string_view method, const std::string& why) {
  return Status::Unavailable("JSON-RPC " + std::string(method) + ": malformed answer: " + why,
                             "rpc_bad_response");
}

// --- Reading fields of a result ---------------------------------------------------------------
// Each reader fails with a message naming the field; the caller adds the method.

Result<const json*> Member(const json& obj, const char* key) {
  if (!obj.is_object()) return Status::InvalidArgument("expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) return Status::InvalidArgument(std::string("missing field ") + key);
  return &*it;
}

Result<std::string> StringOf(const json& j, const char* what) {
  if (!j.is_string()) return Status::InvalidArgument(std::string(what) + " is not a string");
  return j.get<std::string>();
}

Result<U256> QuantityOf(const json& j, const char* what) {
  TRIB_ASSIGN_OR_RETURN(std::string s, StringOf(j, what));
  auto v = ParseQuantity(s);
  if (!v.ok()) return Status::InvalidArgument(std::string(what) + ": " + v.status().message());
  return *v;
}

Result<uint64_t> Quantity64Of(const json& j, const char* what) {
  TRIB_ASSIGN_OR_RETURN(U256 v, QuantityOf(j, what));
  auto small = ToUint64(v);
  if (!small.ok()) return Status::InvalidArgument(std::string(what) + " does not fit 64 bits");
  return *small;
}

Result<Bytes> DataOf(const json& j, const char* what) {
  TRIB_ASSIGN_OR_RETURN(std::string s, StringOf(j, what));
  if (!s.starts_with("0x")) return Status::InvalidArgument(std::string(what) + " lacks 0x");
  auto b = FromHex(s);
  if (!b.ok()) return Status::InvalidArgument(std::string(what) + ": " + b.status().message());
  return *b;
}

Result<Hash32> HashOf(const json& j, const char* what) {
  TRIB_ASSIGN_OR_RETURN(Bytes b, DataOf(j, what));
  if (b.size() != 32) return Status::InvalidArgument(std::string(what) + " is not 32 bytes");
  Hash32 h;
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

Result<Address> AddressOf(const json& j, const char* what) {
  TRIB_ASSIGN_OR_RETURN(std::string s, StringOf(j, what));
  auto a = Address::Parse(s);
  if (!a.ok()) return Status::InvalidArgument(std::string(what) + ": " + a.status().message());
  return *a;
}

// Field readers: required, and optional (absent or null gives nullopt).
template <typename T, typename F>
Result<T> Required(const json& obj, const char* key, F read) {
  TRIB_ASSIGN_OR_RETURN(const json* j, Member(obj, key));
  return read(*j, key);
}
template <typename T, typename F>
Result<std::optional<T>> Optional(const json& obj, const char* key, F read) {
  if (!obj.is_object()) return Status::InvalidArgument("expected an object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<T>();
  TRIB_ASSIGN_OR_RETURN(T v, read(*it, key));
  return std::optional<T>(std::move(v));
}

Result<Log> ParseLog(const json& j) {
  Log log;
  TRIB_ASSIGN_OR_RETURN(log.address, Required<Address>(j, "address", AddressOf));
  TRIB_ASSIGN_OR_RETURN(const json* topics, Member(j, "topics"));
  if (!topics->is_array()) return Status::InvalidArgument("topics is not an array");
  for (const json& t : *topics) {
    TRIB_ASSIGN_OR_RETURN(Hash32 h, HashOf(t, "topic"));
    log.topics.push_back(h);
  }
  TRIB_ASSIGN_OR_RETURN(log.data, Required<Bytes>(j, "data", DataOf));
  TRIB_ASSIGN_OR_RETURN(log.block_number, Optional<uint64_t>(j, "blockNumber", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(log.block_hash, Optional<Hash32>(j, "blockHash", HashOf));
  TRIB_ASSIGN_OR_RETURN(log.transaction_hash, Optional<Hash32>(j, "transactionHash", HashOf));
  TRIB_ASSIGN_OR_RETURN(log.log_index, Optional<uint64_t>(j, "logIndex", Quantity64Of));
  auto removed = j.find("removed");
  if (removed != j.end() && !removed->is_null()) {
    if (!removed->is_boolean()) return Status::InvalidArgument("removed is not a bool");
    log.removed = removed->get<bool>();
  }
  return log;
}

Result<TransactionReceipt> ParseReceipt(const json& j) {
  TransactionReceipt r;
  TRIB_ASSIGN_OR_RETURN(r.transaction_hash, Required<Hash32>(j, "transactionHash", HashOf));
  TRIB_ASSIGN_OR_RETURN(r.block_hash, Required<Hash32>(j, "blockHash", HashOf));
  TRIB_ASSIGN_OR_RETURN(r.block_number, Required<uint64_t>(j, "blockNumber", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(r.transaction_index,
                        Required<uint64_t>(j, "transactionIndex", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(uint64_t status, Required<uint64_t>(j, "status", Quantity64Of));
  if (status > 1) return Status::InvalidArgument("status is neither 0x0 nor 0x1");
  r.success = status == 1;
  TRIB_ASSIGN_OR_RETURN(r.gas_used, Required<uint64_t>(j, "gasUsed", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(r.cumulative_gas_used,
                        Required<uint64_t>(j, "cumulativeGasUsed", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(r.effective_gas_price, Optional<U256>(j, "effectiveGasPrice", QuantityOf));
  TRIB_ASSIGN_OR_RETURN(r.from, Optional<Address>(j, "from", AddressOf));
  TRIB_ASSIGN_OR_RETURN(r.to, Optional<Address>(j, "to", AddressOf));
  TRIB_ASSIGN_OR_RETURN(r.contract_address, Optional<Address>(j, "contractAddress", AddressOf));
  TRIB_ASSIGN_OR_RETURN(const json* logs, Member(j, "logs"));
  if (!logs->is_array()) return Status::InvalidArgument("logs is not an array");
  for (const json& l : *logs) {
    auto log = ParseLog(l);
    if (!log.ok()) return Status::InvalidArgument("log: " + log.status().message());
    r.logs.push_back(std::move(log).value());
  }
  return r;
}

Result<BlockHeader> ParseBlockHeader(const json& j) {
  BlockHeader b;
  TRIB_ASSIGN_OR_RETURN(b.number, Required<uint64_t>(j, "number", Quantity64Of));
  // The pending block has no hash yet: zero.
  TRIB_ASSIGN_OR_RETURN(std::optional<Hash32> hash, Optional<Hash32>(j, "hash", HashOf));
  b.hash = hash.value_or(Hash32{});
  TRIB_ASSIGN_OR_RETURN(b.parent_hash, Required<Hash32>(j, "parentHash", HashOf));
  TRIB_ASSIGN_OR_RETURN(b.timestamp, Required<uint64_t>(j, "timestamp", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(b.gas_limit, Required<uint64_t>(j, "gasLimit", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(b.gas_used, Required<uint64_t>(j, "gasUsed", Quantity64Of));
  TRIB_ASSIGN_OR_RETURN(b.base_fee_per_gas, Optional<U256>(j, "baseFeePerGas", QuantityOf));
  return b;
}

// Converts a reader's InvalidArgument into the client's malformed-answer status.
template <typename T>
Result<T> Checked(std::string_view method, Result<T> r) {
  if (!r.ok()) return BadResponse(method, r.status().message());
  return r;
}

json CallJson(const CallRequest& call) {
  json j = json::object();
  if (call.from) j["from"] = call.from->ToLowerHex();
  if (call.to) j["to"] = call.to->ToLowerHex();
  if (call.gas) j["gas"] = FormatQuantity(*call.gas);
  if (call.value) j["value"] = FormatQuantity(*call.value);
  j["data"] = "0x" + ToHex(call.data);
  return j;
}

std::string Hex0x(ByteView b) { return "0x" + ToHex(b); }

// The node's error object as a Status.
Status RpcErrorStatus(std::string_view method, const json& error) {
  int64_t code = 0;
  std::string message = "(no message)";
  if (error.is_object()) {
    if (auto it = error.find("code"); it != error.end() && it->is_number_integer()) {
      code = it->get<int64_t>();
    }
    if (auto it = error.find("message"); it != error.end() && it->is_string()) {
      message = it->get<std::string>();
    }
  }
  std::string text =
      "JSON-RPC " + std::string(method) + " failed: " + std::to_string(code) + " " + message;
  // Revert data: a hex string in `data`, or (Hardhat) in `data.data`.
  std::optional<std::string> data;
  if (error.is_object()) {
    if (auto it = error.find("data"); it != error.end()) {
      if (it->is_string()) {
        data = it->get<std::string>();
      } else if (it->is_object()) {
        if (auto inner = it->find("data"); inner != it->end() && inner->is_string()) {
          data = inner->get<std::string>();
        }
      }
    }
  }
  const bool reverted = code == 3 || message.find("revert") != std::string::npos;
  if (reverted) {
    if (data) {
      if (auto bytes = FromHex(*data); bytes.ok()) {
        if (auto reason = DecodeRevertReason(*bytes); reason.ok()) {
          text += " (reason: " + *reason + ")";
        }
      }
      text += " (data " + data->substr(0, 2 + 2 * 1024) + ")";
    }
    return Status(Code::kFailedPrecondition, "execution_reverted", text);
  }
  Code c = Code::kFailedPrecondition;
  if (code == -32700 || (code >= -32602 && code <= -32600)) c = Code::kInvalidArgument;
  if (code == -32005) c = Code::kResourceExhausted;
  return Status(c, "rpc_error", text);
}

bool ParseUrl(std::string_view url, std::string& scheme_host_port, std::string& path) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  const size_t slash = rest.find('/');
  std::string_view host_port = rest.substr(0, slash);
  if (host_port.empty() || host_port.find_first_of(" ?#@") != std::string_view::npos) return false;
  // A port, when given, is digits after the last ':' (outside an IPv6 literal's brackets).
  const size_t colon = host_port.rfind(':');
  const size_t bracket = host_port.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string_view port = host_port.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (colon == 0) return false;
  }
  scheme_host_port = std::string(url.substr(0, url.size() - rest.size())) + std::string(host_port);
  path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  return true;
}

}  // namespace

BlockTag BlockTag::Number(uint64_t number) { return BlockTag(FormatQuantity(number)); }

Result<std::unique_ptr<RpcClient>> RpcClient::Create(RpcClientOptions options) {
  auto endpoint = std::make_unique<Endpoint>();
  if (!ParseUrl(options.url, endpoint->scheme_host_port, endpoint->path)) {
    return Status::InvalidArgument(
        "bad JSON-RPC URL '" + options.url + "': expected http(s)://host[:port][/path]",
        "bad_rpc_url");
  }
  if (options.timeout <= std::chrono::milliseconds(0)) {
    return Status::InvalidArgument("JSON-RPC timeout must be positive", "bad_rpc_options");
  }
  return std::unique_ptr<RpcClient>(new RpcClient(std::move(options), std::move(endpoint)));
}

RpcClient::RpcClient(RpcClientOptions options, std::unique_ptr<Endpoint> endpoint)
    : options_(std::move(options)), endpoint_(std::move(endpoint)) {}

RpcClient::~RpcClient() = default;

Result<json> RpcClient::Call(std::string_view method, json params) {
  return CallWithTimeout(method, params, options_.timeout);
}

Result<json> RpcClient::CallWithTimeout(std::string_view method, const json& params,
                                        std::chrono::milliseconds timeout) {
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  const json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};

  httplib::Client client(endpoint_->scheme_host_port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);

  httplib::Request req;
  req.method = "POST";
  req.path = endpoint_->path;
  req.body = request.dump();
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "application/json");
  std::string body;
  bool too_large = false;
  bool too_slow = false;
  const auto deadline = Clock::now() + timeout;
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (body.size() + len > options_.max_response_bytes) {
      too_large = true;
      return false;
    }
    if (Clock::now() > deadline) {
      too_slow = true;
      return false;
    }
    body.append(data, len);
    return true;
  };
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  const std::string where = "JSON-RPC " + std::string(method) + " to " + options_.url + ": ";
  if (!client.send(req, res, error)) {
    if (too_large) {
      return BadResponse(
          method, "answer larger than " + std::to_string(options_.max_response_bytes) + " bytes");
    }
    const std::string what = httplib::to_string(error);
    switch (error) {
      case httplib::Error::Connection:
      case httplib::Error::ConnectionTimeout:
        return Status::Unavailable(where + "cannot connect (" + what + ")", "rpc_unreachable");
      case httplib::Error::Read:
        return Status::Unavailable(where + "no complete answer within " +
                                       std::to_string(timeout.count()) + " ms (" + what + ")",
                                   "rpc_timeout");
      case httplib::Error::Canceled:
        if (too_slow) {
          return Status::Unavailable(
              where + "answer not complete within " + std::to_string(timeout.count()) + " ms",
              "rpc_timeout");
        }
        [[fallthrough]];
      default:
        return Status::Unavailable(where + what, "rpc_transport");
    }
  }
  if (res.status != 200) {
    return Status::Unavailable(
        where + "HTTP " + std::to_string(res.status) + ": " + body.substr(0, 300),
        "rpc_http_status");
  }
  json answer = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded()) return BadResponse(method, "not JSON: " + body.substr(0, 200));
  if (!answer.is_object()) return BadResponse(method, "not a JSON-RPC response object");
  auto id_it = answer.find("id");
  if (id_it == answer.end() || !id_it->is_number_unsigned() || id_it->get<uint64_t>() != id) {
    return BadResponse(method, "the answer's id does not match the request's");
  }
  if (auto err = answer.find("error"); err != answer.end() && !err->is_null()) {
    return RpcErrorStatus(method, *err);
  }
  auto result = answer.find("result");
  if (result == answer.end()) return BadResponse(method, "neither result nor error");
  return std::move(*result);
}

Result<uint64_t> RpcClient::ChainId() {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_chainId", json::array()));
  return Checked<uint64_t>("eth_chainId", Quantity64Of(r, "result"));
}

Result<uint64_t> RpcClient::BlockNumber() {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_blockNumber", json::array()));
  return Checked<uint64_t>("eth_blockNumber", Quantity64Of(r, "result"));
}

Result<uint64_t> RpcClient::GetTransactionCount(const Address& account, const BlockTag& block) {
  TRIB_ASSIGN_OR_RETURN(
      json r, Call("eth_getTransactionCount", json::array({account.ToLowerHex(), block.ToJson()})));
  return Checked<uint64_t>("eth_getTransactionCount", Quantity64Of(r, "result"));
}

Result<U256> RpcClient::GetBalance(const Address& account, const BlockTag& block) {
  TRIB_ASSIGN_OR_RETURN(
      json r, Call("eth_getBalance", json::array({account.ToLowerHex(), block.ToJson()})));
  return Checked<U256>("eth_getBalance", QuantityOf(r, "result"));
}

Result<U256> RpcClient::GasPrice() {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_gasPrice", json::array()));
  return Checked<U256>("eth_gasPrice", QuantityOf(r, "result"));
}

Result<U256> RpcClient::MaxPriorityFeePerGas() {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_maxPriorityFeePerGas", json::array()));
  return Checked<U256>("eth_maxPriorityFeePerGas", QuantityOf(r, "result"));
}

Result<BlockHeader> RpcClient::GetBlockByNumber(const BlockTag& block) {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_getBlockByNumber", json::array({block.ToJson(), false})));
  if (r.is_null()) {
    return Status::NotFound("no block " + block.ToJson() + " on the node", "no_such_block");
  }
  return Checked<BlockHeader>("eth_getBlockByNumber", ParseBlockHeader(r));
}

Result<uint64_t> RpcClient::EstimateGas(const CallRequest& call) {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_estimateGas", json::array({CallJson(call)})));
  return Checked<uint64_t>("eth_estimateGas", Quantity64Of(r, "result"));
}

Result<Bytes> RpcClient::CallContract(const CallRequest& call, const BlockTag& block) {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_call", json::array({CallJson(call), block.ToJson()})));
  return Checked<Bytes>("eth_call", DataOf(r, "result"));
}

Result<Hash32> RpcClient::SendRawTransaction(ByteView raw) {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_sendRawTransaction", json::array({Hex0x(raw)})));
  return Checked<Hash32>("eth_sendRawTransaction", HashOf(r, "result"));
}

Result<std::optional<TransactionReceipt>> RpcClient::GetTransactionReceipt(const Hash32& tx_hash) {
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_getTransactionReceipt", json::array({Hex0x(tx_hash)})));
  if (r.is_null()) return std::optional<TransactionReceipt>();
  TRIB_ASSIGN_OR_RETURN(TransactionReceipt receipt,
                        Checked<TransactionReceipt>("eth_getTransactionReceipt", ParseReceipt(r)));
  return std::optional<TransactionReceipt>(std::move(receipt));
}

Result<std::vector<Log>> RpcClient::GetLogs(const LogFilter& filter) {
  json f = {{"fromBlock", filter.from_block.ToJson()}, {"toBlock", filter.to_block.ToJson()}};
  if (!filter.addresses.empty()) {
    json addresses = json::array();
    for (const Address& a : filter.addresses) addresses.push_back(a.ToLowerHex());
    f["address"] = std::move(addresses);
  }
  if (!filter.topics.empty()) {
    json topics = json::array();
    for (const auto& position : filter.topics) {
      if (position.empty()) {
        topics.push_back(nullptr);
        continue;
      }
      json any = json::array();
      for (const Hash32& t : position) any.push_back(Hex0x(t));
      topics.push_back(std::move(any));
    }
    f["topics"] = std::move(topics);
  }
  TRIB_ASSIGN_OR_RETURN(json r, Call("eth_getLogs", json::array({f})));
  if (!r.is_array()) return BadResponse("eth_getLogs", "result is not an array");
  std::vector<Log> logs;
  logs.reserve(r.size());
  for (const json& l : r) {
    TRIB_ASSIGN_OR_RETURN(Log log, Checked<Log>("eth_getLogs", ParseLog(l)));
    logs.push_back(std::move(log));
  }
  return logs;
}

Result<TransactionReceipt> RpcClient::WaitForReceipt(const Hash32& tx_hash,
                                                     Clock::time_point deadline,
                                                     std::chrono::milliseconds poll_interval) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  Status last = Status::OK();
  for (;;) {
    const auto left = duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0)) break;
    auto r = CallWithTimeout("eth_getTransactionReceipt", json::array({Hex0x(tx_hash)}),
                             std::min(options_.timeout, std::max(left, milliseconds(1))));
    if (r.ok()) {
      if (!r->is_null()) {
        return Checked<TransactionReceipt>("eth_getTransactionReceipt", ParseReceipt(*r));
      }
      last = Status::OK();
    } else if (r.status().code() == Code::kUnavailable &&
               r.status().reason() != "rpc_bad_response") {
      last = r.status();
    } else {
      return r.status();
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(poll_interval, deadline - now));
  }
  std::string message = "no receipt for 0x" + ToHex(tx_hash) + " before the deadline";
  if (!last.ok()) message += " (last error: " + last.ToString() + ")";
  return Status::Unavailable(message, "receipt_timeout");
}

}  // namespace tributary::evm
