// The JSON-RPC client against a tiny in-process server that answers canned JSON-RPC. (A real
// Ethereum node is exercised by the settlement tests against Hardhat.)
#include "tributary/evm/rpc_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "evm/evm_vectors.h"
#include "tributary/evm/abi.h"
#include "tributary/evm/keccak.h"
#include "tributary/evm/quantity.h"

namespace tributary::evm {
namespace {

using nlohmann::json;
using testing::Addr;
using testing::H32;
using testing::Hex;
using testing::Hex0x;

// Answers POST / with what the handler for the request's method returns. A handler returns
// the `result` (wrapped into a response with the request's id) or, through the Reply struct,
// any body and status it likes.
class FakeNode {
 public:
  struct Reply {
    int status = 200;
    std::string body;
  };
  using Handler = std::function<Reply(const json& request)>;

  FakeNode() {
    server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      json request = json::parse(req.body, nullptr, false);
      Handler h;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
        auto it = handlers_.find(request.value("method", ""));
        if (it != handlers_.end()) h = it->second;
      }
      Reply reply =
          h ? h(request) : Reply{200, Error(request, -32601, "the method does not exist")};
      res.status = reply.status;
      res.set_content(reply.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Stop() before the listen loop runs does nothing, and the destructor's join would then wait
    // forever: return only once the server is running.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~FakeNode() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

  void On(const std::string& method, Handler h) {
    std::lock_guard<std::mutex> lock(mu_);
    handlers_[method] = std::move(h);
  }
  //! Answers `method` with `result`.
  void Result(const std::string& method, json result) {
    On(method, [result](const json& req) { return Reply{200, Ok(req, result)}; });
  }
  std::vector<json> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  json last_params() { return requests().back()["params"]; }

  static std::string Ok(const json& req, const json& result) {
    return json{{"jsonrpc", "2.0"}, {"id", req["id"]}, {"result", result}}.dump();
  }
  static std::string Error(const json& req, int code, const std::string& message,
                           json data = nullptr) {
    json err = {{"code", code}, {"message", message}};
    if (!data.is_null()) err["data"] = data;
    return json{{"jsonrpc", "2.0"}, {"id", req["id"]}, {"error", err}}.dump();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, Handler> handlers_;
  std::vector<json> requests_;
};

std::unique_ptr<RpcClient> Client(const std::string& url, int timeout_ms = 2000) {
  RpcClientOptions o;
  o.url = url;
  o.timeout = std::chrono::milliseconds(timeout_ms);
  auto c = RpcClient::Create(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

const char* kAccount = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
const char* kHash = "0x88df016429689c079f3b2f6ad39fa052532c56795b733da78a91ebe6a713944b";
const char* kBlockHash = "0xb3b20624f8f0f86eb50dd04688409e5cea4bd02d700bf6e79e9384d47d6a5a35";

json ReceiptJson(const std::string& status) {
  return {{"transactionHash", kHash},
          {"blockHash", kBlockHash},
          {"blockNumber", "0x1b4"},
          {"transactionIndex", "0x0"},
          {"status", status},
          {"gasUsed", "0x5208"},
          {"cumulativeGasUsed", "0x5208"},
          {"effectiveGasPrice", "0x3b9aca07"},
          {"from", "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"},
          {"to", nullptr},
          {"contractAddress", "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
          {"logs", json::array({{{"address", "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
                                 {"topics", json::array({Hex0x(EventTopic("Ping(uint256)"))})},
                                 {"data", Hex0x(U256(Amount{9}).ToBytes())},
                                 {"blockNumber", "0x1b4"},
                                 {"blockHash", kBlockHash},
                                 {"transactionHash", kHash},
                                 {"logIndex", "0x0"},
                                 {"removed", false}}})}};
}

TEST(RpcClientTest, QuantitiesAndParams) {
  FakeNode node;
  node.Result("eth_chainId", "0x7a69");
  node.Result("eth_blockNumber", "0x1b4");
  node.Result("eth_getTransactionCount", "0x7");
  node.Result("eth_gasPrice", "0x3b9aca07");
  node.Result("eth_maxPriorityFeePerGas", "0x3b9aca00");
  node.Result("eth_getBalance", "0xde0b6b3a7640000");
  auto rpc = Client(node.url());

  EXPECT_EQ(*rpc->ChainId(), 31337u);
  EXPECT_EQ(*rpc->BlockNumber(), 436u);
  EXPECT_EQ(*rpc->GetTransactionCount(Addr(kAccount)), 7u);
  EXPECT_EQ(node.last_params(),
            json::array({"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23", "pending"}));
  EXPECT_EQ(*rpc->GasPrice(), U256(Amount{1000000007}));
  EXPECT_EQ(*rpc->MaxPriorityFeePerGas(), U256(Amount{1000000000}));
  EXPECT_EQ(*rpc->GetBalance(Addr(kAccount), BlockTag::Number(436)),
            U256(Amount{1000000000000000000}));
  EXPECT_EQ(node.last_params()[1], "0x1b4");

  const json first = node.requests().front();
  EXPECT_EQ(first["jsonrpc"], "2.0");
  EXPECT_EQ(first["method"], "eth_chainId");
  EXPECT_EQ(first["params"], json::array());
}

TEST(RpcClientTest, BlocksCallsAndTransactions) {
  FakeNode node;
  node.On("eth_getBlockByNumber", [](const json& req) {
    if (req["params"][0] == "0xffff") return FakeNode::Reply{200, FakeNode::Ok(req, nullptr)};
    return FakeNode::Reply{200, FakeNode::Ok(req, {{"number", "0x1b4"},
                                                   {"hash", kBlockHash},
                                                   {"parentHash", kHash},
                                                   {"timestamp", "0x6553f100"},
                                                   {"gasLimit", "0x1c9c380"},
                                                   {"gasUsed", "0x5208"},
                                                   {"baseFeePerGas", "0x7"},
                                                   {"transactions", json::array()}})};
  });
  node.Result("eth_estimateGas", "0x5208");
  // balanceOf returns uint256 1000.
  node.Result("eth_call", Hex0x(U256(Amount{1000}).ToBytes()));
  node.On("eth_sendRawTransaction", [](const json& req) {
    const Bytes raw = Hex(req["params"][0].get<std::string>());
    return FakeNode::Reply{200, FakeNode::Ok(req, Hex0x(Keccak256(raw)))};
  });
  auto rpc = Client(node.url());

  auto block = rpc->GetBlockByNumber(BlockTag::Latest());
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ(block->number, 436u);
  EXPECT_EQ(block->hash, H32(kBlockHash));
  EXPECT_EQ(block->timestamp, 0x6553f100u);
  ASSERT_TRUE(block->base_fee_per_gas.has_value());
  EXPECT_EQ(*block->base_fee_per_gas, U256(Amount{7}));
  EXPECT_EQ(node.last_params(), json::array({"latest", false}));
  EXPECT_EQ(rpc->GetBlockByNumber(BlockTag::Number(0xffff)).status().reason(), "no_such_block");

  CallRequest call;
  call.from = Addr(kAccount);
  call.to = Addr("0x5FbDB2315678afecb367f032d93F642f64180aa3");
  call.value = U256(Amount{5});
  call.data = Bytes{0x70, 0xa0, 0x82, 0x31};
  EXPECT_EQ(*rpc->EstimateGas(call), 21000u);
  EXPECT_EQ(node.last_params()[0], json({{"from", "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"},
                                         {"to", "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
                                         {"value", "0x5"},
                                         {"data", "0x70a08231"}}));
  auto out = rpc->CallContract(call);
  ASSERT_TRUE(out.ok());
  auto decoded = AbiDecode(std::vector{AbiType::Uint()}, *out);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*decoded)[0].as_uint(), U256(Amount{1000}));
  EXPECT_EQ(node.last_params()[1], "latest");

  const Bytes raw = Hex(testing::Vectors()["eip1559"][0]["raw"].get<std::string>());
  auto hash = rpc->SendRawTransaction(raw);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(*hash, Keccak256(raw));
  EXPECT_EQ(node.last_params()[0], Hex0x(raw));
}

TEST(RpcClientTest, ReceiptsAndLogs) {
  FakeNode node;
  std::atomic<int> polls{0};
  node.On("eth_getTransactionReceipt", [&](const json& req) {
    // Not mined for the first two polls.
    if (polls.fetch_add(1) < 2) return FakeNode::Reply{200, FakeNode::Ok(req, nullptr)};
    return FakeNode::Reply{200, FakeNode::Ok(req, ReceiptJson("0x1"))};
  });
  node.On("eth_getLogs", [](const json& req) {
    return FakeNode::Reply{200, FakeNode::Ok(req, ReceiptJson("0x1")["logs"])};
  });
  auto rpc = Client(node.url());

  auto none = rpc->GetTransactionReceipt(H32(kHash));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto receipt =
      rpc->WaitForReceipt(H32(kHash), std::chrono::steady_clock::now() + std::chrono::seconds(10),
                          std::chrono::milliseconds(10));
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(polls.load(), 3);
  EXPECT_TRUE(receipt->success);
  EXPECT_EQ(receipt->block_number, 436u);
  EXPECT_EQ(receipt->gas_used, 21000u);
  EXPECT_FALSE(receipt->to.has_value());
  ASSERT_TRUE(receipt->contract_address.has_value());
  EXPECT_EQ(receipt->contract_address->ToChecksumString(),
            "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  ASSERT_EQ(receipt->logs.size(), 1u);
  EXPECT_EQ(receipt->logs[0].topics[0], EventTopic("Ping(uint256)"));

  LogFilter filter;
  filter.from_block = BlockTag::Number(100);
  filter.addresses = {Addr("0x5FbDB2315678afecb367f032d93F642f64180aa3")};
  filter.topics = {{EventTopic("Ping(uint256)")}, {}, {H32(kHash), H32(kBlockHash)}};
  auto logs = rpc->GetLogs(filter);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  ASSERT_EQ(logs->size(), 1u);
  auto ev = EventAbi::Parse("Ping(uint256 n)");
  auto values = ev->DecodeLog((*logs)[0].topics, (*logs)[0].data);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)[0].as_uint(), U256(Amount{9}));
  EXPECT_EQ(node.last_params()[0],
            json({{"fromBlock", "0x64"},
                  {"toBlock", "latest"},
                  {"address", json::array({"0x5fbdb2315678afecb367f032d93f642f64180aa3"})},
                  {"topics", json::array({json::array({Hex0x(EventTopic("Ping(uint256)"))}),
                                          nullptr, json::array({kHash, kBlockHash})})}}));
}

TEST(RpcClientTest, WaitForReceiptGivesUpAtTheDeadline) {
  FakeNode node;
  node.Result("eth_getTransactionReceipt", nullptr);
  auto rpc = Client(node.url());
  const auto start = std::chrono::steady_clock::now();
  auto r = rpc->WaitForReceipt(H32(kHash), start + std::chrono::milliseconds(300),
                               std::chrono::milliseconds(50));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "receipt_timeout");
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_GE(node.requests().size(), 3u);

  // A reverted transaction's receipt is an answer, not an error.
  node.Result("eth_getTransactionReceipt", ReceiptJson("0x0"));
  auto reverted =
      rpc->WaitForReceipt(H32(kHash), std::chrono::steady_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(reverted.ok());
  EXPECT_FALSE(reverted->success);

  // An RPC error object ends the wait at once.
  node.On("eth_getTransactionReceipt", [](const json& req) {
    return FakeNode::Reply{200, FakeNode::Error(req, -32000, "unknown transaction")};
  });
  auto failed =
      rpc->WaitForReceipt(H32(kHash), std::chrono::steady_clock::now() + std::chrono::seconds(30));
  EXPECT_EQ(failed.status().reason(), "rpc_error");
}

TEST(RpcClientTest, RpcErrorObjects) {
  FakeNode node;
  node.On("eth_sendRawTransaction", [](const json& req) {
    return FakeNode::Reply{200, FakeNode::Error(req, -32000, "nonce too low")};
  });
  // A revert with Error("not owner") as data (geth's form: code 3, data a hex string).
  const Bytes revert = *FunctionSignature::Parse("Error(string)")
                            ->EncodeCall(std::vector{AbiValue::FromString("not owner")});
  node.On("eth_call", [&](const json& req) {
    return FakeNode::Reply{200,
                           FakeNode::Error(req, 3, "execution reverted: not owner", Hex0x(revert))};
  });
  // Hardhat's form: data an object holding the revert data.
  node.On("eth_estimateGas", [&](const json& req) {
    return FakeNode::Reply{
        200, FakeNode::Error(req, -32603,
                             "Error: VM Exception while processing transaction: reverted with "
                             "reason string 'not owner'",
                             {{"message", "reverted"}, {"data", Hex0x(revert)}})};
  });
  node.On("eth_getLogs", [](const json& req) {
    return FakeNode::Reply{200,
                           FakeNode::Error(req, -32005, "query returned more than 10000 results")};
  });
  node.On("eth_getBalance", [](const json& req) {
    return FakeNode::Reply{200, FakeNode::Error(req, -32602, "invalid argument 0")};
  });
  auto rpc = Client(node.url());

  auto sent = rpc->SendRawTransaction(Bytes{0x02, 0xc0});
  EXPECT_EQ(sent.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(sent.status().reason(), "rpc_error");
  EXPECT_NE(sent.status().message().find("-32000 nonce too low"), std::string::npos);
  EXPECT_NE(sent.status().message().find("eth_sendRawTransaction"), std::string::npos);

  auto called = rpc->CallContract(CallRequest{});
  EXPECT_EQ(called.status().reason(), "execution_reverted");
  EXPECT_NE(called.status().message().find("(reason: not owner)"), std::string::npos);
  EXPECT_NE(called.status().message().find(Hex0x(revert)), std::string::npos);

  auto estimated = rpc->EstimateGas(CallRequest{});
  EXPECT_EQ(estimated.status().reason(), "execution_reverted");
  EXPECT_NE(estimated.status().message().find("(reason: not owner)"), std::string::npos);

  EXPECT_EQ(rpc->GetLogs(LogFilter{}).status().code(), Code::kResourceExhausted);
  EXPECT_EQ(rpc->GetBalance(Addr(kAccount)).status().code(), Code::kInvalidArgument);
  // A method the node does not have (the fake answers -32601).
  auto unknown = rpc->Call("eth_nothing", json::array());
  EXPECT_EQ(unknown.status().reason(), "rpc_error");
  EXPECT_NE(unknown.status().message().find("-32601"), std::string::npos);
}

TEST(RpcClientTest, MalformedAnswers) {
  FakeNode node;
  auto rpc = Client(node.url());
  auto answer = [&](std::function<std::string(const json&)> body, int status = 200) {
    node.On("eth_chainId", [=](const json& req) { return FakeNode::Reply{status, body(req)}; });
    return rpc->ChainId().status();
  };
  auto expect_bad = [&](Status s, const char* reason, const char* what) {
    EXPECT_EQ(s.reason(), reason) << what << ": " << s.ToString();
    EXPECT_EQ(s.code(), Code::kUnavailable) << what;
  };
  expect_bad(answer([](const json&) { return "<html>bad gateway</html>"; }), "rpc_bad_response",
             "not JSON");
  expect_bad(answer([](const json&) { return "[]"; }), "rpc_bad_response", "an array");
  expect_bad(answer([](const json&) { return R"({"jsonrpc":"2.0","id":999999,"result":"0x1"})"; }),
             "rpc_bad_response", "another id");
  expect_bad(
      answer([](const json& req) { return json{{"jsonrpc", "2.0"}, {"id", req["id"]}}.dump(); }),
      "rpc_bad_response", "neither result nor error");
  expect_bad(answer([](const json& req) { return FakeNode::Ok(req, 31337); }), "rpc_bad_response",
             "a number, not a quantity");
  expect_bad(answer([](const json& req) { return FakeNode::Ok(req, "0xzz"); }), "rpc_bad_response",
             "bad hex");
  expect_bad(answer([](const json& req) { return FakeNode::Ok(req, "0x"); }), "rpc_bad_response",
             "empty quantity");
  expect_bad(
      answer([](const json& req) { return FakeNode::Ok(req, "0x1" + std::string(20, '0')); }),
      "rpc_bad_response", "beyond 64 bits");
  expect_bad(answer([](const json&) { return "gateway exploded"; }, 502), "rpc_http_status",
             "HTTP 502");

  // A receipt missing a field and one with a bad address.
  node.On("eth_getTransactionReceipt", [](const json& req) {
    json r = ReceiptJson("0x1");
    r.erase("blockHash");
    return FakeNode::Reply{200, FakeNode::Ok(req, r)};
  });
  auto missing = rpc->GetTransactionReceipt(H32(kHash));
  EXPECT_EQ(missing.status().reason(), "rpc_bad_response");
  EXPECT_NE(missing.status().message().find("blockHash"), std::string::npos);
  node.On("eth_getTransactionReceipt", [](const json& req) {
    json r = ReceiptJson("0x1");
    r["from"] = "0x1234";
    return FakeNode::Reply{200, FakeNode::Ok(req, r)};
  });
  EXPECT_EQ(rpc->GetTransactionReceipt(H32(kHash)).status().reason(), "rpc_bad_response");
  node.Result("eth_getLogs", json::object());
  EXPECT_EQ(rpc->GetLogs(LogFilter{}).status().reason(), "rpc_bad_response");
  node.Result("eth_sendRawTransaction", "0x1234");
  EXPECT_EQ(rpc->SendRawTransaction(Bytes{1}).status().reason(), "rpc_bad_response");
  node.Result("eth_call", "deadbeef");  // no 0x
  EXPECT_EQ(rpc->CallContract(CallRequest{}).status().reason(), "rpc_bad_response");

  // An answer over the size limit.
  RpcClientOptions small;
  small.url = node.url();
  small.max_response_bytes = 64;
  auto limited = std::move(RpcClient::Create(small)).value();
  node.Result("eth_call", "0x" + std::string(200, 'a'));
  EXPECT_EQ(limited->CallContract(CallRequest{}).status().reason(), "rpc_bad_response");
}

TEST(RpcClientTest, TransportFailures) {
  // Nothing listens on port 1.
  auto unreachable = Client("http://127.0.0.1:1/", 1000);
  auto r = unreachable->ChainId();
  EXPECT_EQ(r.status().reason(), "rpc_unreachable") << r.status().ToString();
  EXPECT_EQ(r.status().code(), Code::kUnavailable);

  // A node slower than the timeout.
  FakeNode node;
  node.On("eth_chainId", [](const json& req) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return FakeNode::Reply{200, FakeNode::Ok(req, "0x1")};
  });
  auto rpc = Client(node.url(), 150);
  const auto start = std::chrono::steady_clock::now();
  auto slow = rpc->ChainId();
  EXPECT_EQ(slow.status().reason(), "rpc_timeout") << slow.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(550));

  // A path the node does not serve: HTTP 404.
  auto wrong_path = Client(node.url() + "nope");
  EXPECT_EQ(wrong_path->ChainId().status().reason(), "rpc_http_status");
}

TEST(RpcClientTest, BadUrls) {
  for (const char* url :
       {"", "localhost:8545", "ftp://host/", "http://", "http:///x", "http://host:port/",
        "http://host:/", "http://user@host/", "http://host:123456/"}) {
    RpcClientOptions o;
    o.url = url;
    EXPECT_EQ(RpcClient::Create(o).status().reason(), "bad_rpc_url") << url;
  }
  RpcClientOptions no_time;
  no_time.url = "http://127.0.0.1:8545";
  no_time.timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(RpcClient::Create(no_time).status().reason(), "bad_rpc_options");
  for (const char* url : {"http://127.0.0.1:8545", "https://rpc.example.org/v1/key",
                          "http://[::1]:8545/", "http://localhost"}) {
    RpcClientOptions o;
    o.url = url;
    EXPECT_TRUE(RpcClient::Create(o).ok()) << url;
  }
}

TEST(RpcClientTest, SharedByThreads) {
  FakeNode node;
  node.On("eth_blockNumber", [](const json& req) {
    return FakeNode::Reply{200, FakeNode::Ok(req, FormatQuantity(req["id"].get<uint64_t>()))};
  });
  auto rpc = Client(node.url());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  // Four threads: the test server's listen backlog is five connections.
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (rpc->BlockNumber().ok()) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  // Every request had its own id.
  std::set<uint64_t> ids;
  for (const json& r : node.requests()) ids.insert(r["id"].get<uint64_t>());
  EXPECT_EQ(ids.size(), 80u);
}

}  // namespace
}  // namespace tributary::evm
