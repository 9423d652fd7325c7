#include "support/fake_commitments_chain.h"

#include "tributary/evm/abi.h"
#include "tributary/evm/keccak.h"
#include "tributary/evm/quantity.h"

namespace tributary::testing {
namespace {

using json = nlohmann::json;

std::string Q(uint64_t v) { return evm::FormatQuantity(v); }
std::string H(const Hash32& h) { return "0x" + ToHex(h); }
std::string Hex0x(ByteView b) { return "0x" + ToHex(b); }

json Error(int code, const std::string& message, std::optional<std::string> data = std::nullopt) {
  json e = {{"code", code}, {"message", message}};
  if (data) e["data"] = *data;
  return {{"error", e}};
}
json Ok(json result) { return {{"result", std::move(result)}}; }

Bytes Sel(const char* signature) {
  auto s = evm::FunctionSelector(signature);
  return Bytes(s.begin(), s.end());
}

bool HasSelector(const Bytes& data, const char* signature) {
  const Bytes s = Sel(signature);
  return data.size() >= 4 && std::equal(s.begin(), s.end(), data.begin());
}

Bytes Encode(std::vector<evm::AbiType> types, std::vector<evm::AbiValue> values) {
  return *evm::AbiEncode(types, values);
}

Bytes ErrorData(const char* signature, std::vector<evm::AbiType> types,
                std::vector<evm::AbiValue> values) {
  Bytes out = Sel(signature);
  const Bytes args = Encode(std::move(types), std::move(values));
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

struct PostArgs {
  uint64_t height = 0;
  Hash32 block_hash{};
  Hash32 state_root{};
};

std::optional<PostArgs> DecodePost(const Bytes& data) {
  auto fn = evm::FunctionSignature::Parse("post(uint64,bytes32,bytes32)");
  auto v = fn->DecodeCall(data);
  if (!v.ok()) return std::nullopt;
  PostArgs p;
  p.height = *evm::ToUint64((*v)[0].as_uint());
  p.block_hash = (*v)[1].as_hash();
  p.state_root = (*v)[2].as_hash();
  return p;
}

// fee >= old × 1.1, as geth wants of a replacement.
bool Bumped(const U256& fee, const U256& old) {
  auto tenfold = U256::Mul(fee, 10);
  auto elevenfold = U256::Mul(old, 11);
  return tenfold && elevenfold && *tenfold >= *elevenfold;
}

}  // namespace

FakeCommitmentsChain::FakeCommitmentsChain(const evm::Address& sequencer, uint64_t interval,
                                           uint64_t chain_id)
    : sequencer_(sequencer), interval_(interval), chain_id_(chain_id) {
  contract_ = *evm::Address::Parse("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");
  server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
    json request = json::parse(req.body, nullptr, false);
    std::lock_guard<std::mutex> lock(mu_);
    if (!reachable_) {
      res.status = 503;
      res.set_content("unavailable", "text/plain");
      return;
    }
    calls_[request.value("method", "")]++;
    json answer = Handle(request);
    answer["jsonrpc"] = "2.0";
    answer["id"] = request["id"];
    res.set_content(answer.dump(), "application/json");
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // Server::stop() before the thread listens would be lost (and the destructor would hang).
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeCommitmentsChain::~FakeCommitmentsChain() {
  server_.stop();
  thread_.join();
}

void FakeCommitmentsChain::SetReachable(bool v) {
  std::lock_guard<std::mutex> lock(mu_);
  reachable_ = v;
}
void FakeCommitmentsChain::SetAutomine(bool v) {
  std::lock_guard<std::mutex> lock(mu_);
  automine_ = v;
}
void FakeCommitmentsChain::SetHideReceipts(bool v) {
  std::lock_guard<std::mutex> lock(mu_);
  hide_receipts_ = v;
}
void FakeCommitmentsChain::SetPriorityFeeSupported(bool v) {
  std::lock_guard<std::mutex> lock(mu_);
  priority_supported_ = v;
}
void FakeCommitmentsChain::SetDeployed(bool v) {
  std::lock_guard<std::mutex> lock(mu_);
  deployed_ = v;
}

void FakeCommitmentsChain::PostDirectly(uint64_t height, const Hash32& block_hash,
                                        const Hash32& state_root) {
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = height;
  commitments_[height] = {block_hash, state_root, 1700000000 + block_};
}

void FakeCommitmentsChain::PostByOtherBeforeEstimate(uint64_t height, const Hash32& block_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  post_by_other_ = {height, block_hash};
}

void FakeCommitmentsChain::Mine() {
  std::lock_guard<std::mutex> lock(mu_);
  MineLocked();
}

std::vector<evm::SignedEip1559Transaction> FakeCommitmentsChain::sent() {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}
std::vector<uint64_t> FakeCommitmentsChain::mined_posts() {
  std::lock_guard<std::mutex> lock(mu_);
  return mined_posts_;
}
uint64_t FakeCommitmentsChain::latest_height() {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}
settlement::PostedCommitment FakeCommitmentsChain::commitment(uint64_t height) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = commitments_.find(height);
  return it == commitments_.end() ? settlement::PostedCommitment{} : it->second;
}
int FakeCommitmentsChain::calls(const std::string& method) {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[method];
}

std::optional<std::pair<std::string, std::string>> FakeCommitmentsChain::PostRevert(
    const evm::Address& from, const Bytes& data) {
  auto post = DecodePost(data);
  if (!post) return std::pair<std::string, std::string>{"execution reverted", "0x"};
  if (from != sequencer_) {
    return std::pair<std::string, std::string>{
        "execution reverted: custom error NotSequencer",
        Hex0x(ErrorData("NotSequencer(address)", {evm::AbiType::Address()},
                        {evm::AbiValue::FromAddress(from)}))};
  }
  if (post->height <= latest_) {
    return std::pair<std::string, std::string>{
        "execution reverted: custom error HeightNotIncreasing",
        Hex0x(ErrorData("HeightNotIncreasing(uint64,uint64)",
                        {evm::AbiType::Uint(64), evm::AbiType::Uint(64)},
                        {evm::AbiValue::FromUint(U256(post->height)),
                         evm::AbiValue::FromUint(U256(latest_))}))};
  }
  if (post->height % interval_ != 0) {
    return std::pair<std::string, std::string>{
        "execution reverted: custom error HeightNotOnInterval",
        Hex0x(ErrorData("HeightNotOnInterval(uint64,uint64)",
                        {evm::AbiType::Uint(64), evm::AbiType::Uint(64)},
                        {evm::AbiValue::FromUint(U256(post->height)),
                         evm::AbiValue::FromUint(U256(interval_))}))};
  }
  return std::nullopt;
}

json FakeCommitmentsChain::Call(const std::string& hex) {
  const Bytes data = *FromHex(hex);
  using T = evm::AbiType;
  using V = evm::AbiValue;
  if (HasSelector(data, "interval()")) {
    return Ok(Hex0x(Encode({T::Uint(64)}, {V::FromUint(U256(interval_))})));
  }
  if (HasSelector(data, "latestHeight()")) {
    return Ok(Hex0x(Encode({T::Uint(64)}, {V::FromUint(U256(latest_))})));
  }
  if (HasSelector(data, "sequencer()")) {
    return Ok(Hex0x(Encode({T::Address()}, {V::FromAddress(sequencer_)})));
  }
  if (HasSelector(data, "commitment(uint64)")) {
    auto fn = evm::FunctionSignature::Parse("commitment(uint64)");
    const uint64_t h = *evm::ToUint64((*fn->DecodeCall(data))[0].as_uint());
    settlement::PostedCommitment c;
    if (auto it = commitments_.find(h); it != commitments_.end()) c = it->second;
    return Ok(Hex0x(Encode(
        {T::FixedBytes(32), T::FixedBytes(32), T::Uint(64)},
        {V::FromHash(c.block_hash), V::FromHash(c.state_root), V::FromUint(U256(c.posted_at))})));
  }
  return Error(3, "execution reverted", "0x");
}

json FakeCommitmentsChain::Handle(const json& request) {
  const std::string method = request.value("method", "");
  const json params = request.value("params", json::array());
  if (method == "eth_chainId") return Ok(Q(chain_id_));
  if (method == "eth_blockNumber") return Ok(Q(block_));
  if (method == "eth_getCode") {
    const bool here = deployed_ && *evm::Address::Parse(params[0].get<std::string>()) == contract_;
    return Ok(here ? "0x6080604052" : "0x");
  }
  if (method == "eth_call") {
    const json& call = params[0];
    if (!call.contains("to") || *evm::Address::Parse(call["to"].get<std::string>()) != contract_ ||
        !deployed_) {
      return Ok("0x");
    }
    return Call(call.value("data", "0x"));
  }
  if (method == "eth_getTransactionCount") {
    const std::string tag = params[1].get<std::string>();
    if (*evm::Address::Parse(params[0].get<std::string>()) != sequencer_) return Ok("0x0");
    return Ok(Q(tag == "pending" ? mined_nonce_ + pool_.size() : mined_nonce_));
  }
  if (method == "eth_getBlockByNumber") {
    Hash32 hash = evm::Keccak256(AsBytes("block" + std::to_string(block_)));
    Hash32 parent = evm::Keccak256(AsBytes("block" + std::to_string(block_ - 1)));
    return Ok({{"number", Q(block_)},
               {"hash", H(hash)},
               {"parentHash", H(parent)},
               {"timestamp", Q(1700000000 + block_)},
               {"gasLimit", Q(30000000)},
               {"gasUsed", "0x0"},
               {"baseFeePerGas", Q(kBaseFee)}});
  }
  if (method == "eth_maxPriorityFeePerGas") {
    if (!priority_supported_) return Error(-32601, "the method does not exist");
    return Ok(Q(kPriorityFee));
  }
  if (method == "eth_estimateGas") {
    const json& call = params[0];
    const Bytes data = *FromHex(call.value("data", "0x"));
    if (post_by_other_) {
      auto post = DecodePost(data);
      if (post && post->height == post_by_other_->first) {
        latest_ = post->height;
        commitments_[post->height] = {post_by_other_->second, Hash32{}, 1700000000 + block_};
        post_by_other_.reset();
      }
    }
    const evm::Address from = *evm::Address::Parse(call.value("from", "0x" + std::string(40, '0')));
    if (auto revert = PostRevert(from, data)) return Error(3, revert->first, revert->second);
    return Ok(Q(kGasEstimate));
  }
  if (method == "eth_sendRawTransaction") {
    auto tx = evm::DecodeSignedTransaction(*FromHex(params[0].get<std::string>()));
    if (!tx.ok()) return Error(-32602, "invalid transaction: " + tx.status().message());
    auto from = tx->Sender();
    if (!from.ok() || *from != sequencer_) return Error(-32000, "insufficient funds for gas");
    if (tx->tx.chain_id != chain_id_) return Error(-32000, "invalid chain id");
    if (tx->tx.nonce < mined_nonce_) return Error(-32000, "nonce too low");
    auto& versions = pool_[tx->tx.nonce];
    for (const auto& v : versions) {
      if (v.Hash() == tx->Hash()) return Error(-32000, "already known");
    }
    if (!versions.empty()) {
      const auto& old = versions.back().tx;
      if (!Bumped(tx->tx.max_fee_per_gas, old.max_fee_per_gas) ||
          !Bumped(tx->tx.max_priority_fee_per_gas, old.max_priority_fee_per_gas)) {
        return Error(-32000, "replacement transaction underpriced");
      }
    }
    versions.push_back(*tx);
    sent_.push_back(*tx);
    if (automine_) MineLocked();
    return Ok(H(tx->Hash()));
  }
  if (method == "eth_getTransactionReceipt") {
    auto hash = FixedFromHex<32>(params[0].get<std::string>());
    auto it = receipts_.find(*hash);
    if (hide_receipts_ || it == receipts_.end()) return Ok(nullptr);
    return Ok(it->second);
  }
  if (method == "eth_getLogs") {
    const json& f = params[0];
    json out = json::array();
    for (const json& log : logs_) {
      if (f.contains("topics") && f["topics"].size() > 1 && !f["topics"][1].is_null() &&
          f["topics"][1][0] != log["topics"][1]) {
        continue;
      }
      out.push_back(log);
    }
    return Ok(out);
  }
  return Error(-32601, "the method " + method + " does not exist");
}

void FakeCommitmentsChain::MineLocked() {
  for (;;) {
    auto it = pool_.find(mined_nonce_);
    if (it == pool_.end() || it->second.empty()) break;
    // The version with the highest priority fee wins (the last accepted one).
    const evm::SignedEip1559Transaction tx = it->second.back();
    pool_.erase(it);
    mined_nonce_++;
    block_++;
    const Hash32 block_hash = evm::Keccak256(AsBytes("block" + std::to_string(block_)));
    const bool to_contract = tx.tx.to && *tx.tx.to == contract_;
    const bool ok = to_contract && !PostRevert(*tx.Sender(), tx.tx.data);
    json logs = json::array();
    if (ok) {
      const PostArgs post = *DecodePost(tx.tx.data);
      latest_ = post.height;
      const uint64_t posted_at = 1700000000 + block_;
      commitments_[post.height] = {post.block_hash, post.state_root, posted_at};
      mined_posts_.push_back(post.height);
      using T = evm::AbiType;
      using V = evm::AbiValue;
      json log = {
          {"address", contract_.ToLowerHex()},
          {"topics",
           json::array({H(settlement::CommitmentsContract::PostedTopic()),
                        H(*evm::EncodeTopic(T::Uint(64), V::FromUint(U256(post.height))))})},
          {"data", Hex0x(Encode({T::FixedBytes(32), T::FixedBytes(32), T::Uint(64)},
                                {V::FromHash(post.block_hash), V::FromHash(post.state_root),
                                 V::FromUint(U256(posted_at))}))},
          {"blockNumber", Q(block_)},
          {"blockHash", H(block_hash)},
          {"transactionHash", H(tx.Hash())},
          {"logIndex", "0x0"},
          {"removed", false}};
      logs.push_back(log);
      logs_.push_back(log);
    }
    receipts_[tx.Hash()] = {{"transactionHash", H(tx.Hash())},
                            {"blockHash", H(block_hash)},
                            {"blockNumber", Q(block_)},
                            {"transactionIndex", "0x0"},
                            {"status", ok ? "0x1" : "0x0"},
                            {"gasUsed", Q(ok ? kGasUsed : 30000)},
                            {"cumulativeGasUsed", Q(ok ? kGasUsed : 30000)},
                            {"effectiveGasPrice", Q(kBaseFee + kPriorityFee)},
                            {"from", sequencer_.ToLowerHex()},
                            {"to", contract_.ToLowerHex()},
                            {"contractAddress", nullptr},
                            {"logs", logs}};
  }
}

}  // namespace tributary::testing
