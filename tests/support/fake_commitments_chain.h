// An in-process stand-in for an EVM node holding one TributaryCommitments contract: the JSON-RPC
// the commitment poster uses (cpp-httplib on a free loopback port), the contract's rules (only
// the sequencer posts, heights increase and sit on the interval), a transaction pool with nonces
// and fee-bumped replacement, and knobs to make it misbehave. For the poster's decisions without
// a real EVM node (tests/integration/settlement_test.cpp runs a real Hardhat node).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tributary/evm/eip1559.h"
#include "tributary/settlement/commitments_contract.h"

namespace tributary::testing {

class FakeCommitmentsChain {
 public:
  static constexpr uint64_t kGasEstimate = 96640;
  static constexpr uint64_t kGasUsed = 96658;
  static constexpr uint64_t kBaseFee = 1'000'000'000;      // 1 gwei
  static constexpr uint64_t kPriorityFee = 1'500'000'000;  // what eth_maxPriorityFeePerGas says

  FakeCommitmentsChain(const evm::Address& sequencer, uint64_t interval, uint64_t chain_id = 31337);
  ~FakeCommitmentsChain();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  const evm::Address& contract() const { return contract_; }

  // --- Knobs ---
  //! false: every request is answered HTTP 503 (the poster sees the node unreachable).
  void SetReachable(bool reachable);
  //! false: sent transactions wait in the pool until Mine().
  void SetAutomine(bool automine);
  //! true: eth_getTransactionReceipt never finds a receipt (the transactions are still mined).
  void SetHideReceipts(bool hide);
  //! false: eth_maxPriorityFeePerGas is "method not found".
  void SetPriorityFeeSupported(bool supported);
  //! false: no code at the contract address.
  void SetDeployed(bool deployed);
  //! Records a commitment as if another transaction had posted it.
  void PostDirectly(uint64_t height, const Hash32& block_hash, const Hash32& state_root);
  //! The next eth_estimateGas of post(height, ...) first sees `height` posted by someone else.
  void PostByOtherBeforeEstimate(uint64_t height, const Hash32& block_hash);
  //! Mines every pooled transaction, the highest-fee version of each nonce, in nonce order.
  void Mine();

  // --- What happened ---
  //! Every transaction received by eth_sendRawTransaction and accepted into the pool.
  std::vector<evm::SignedEip1559Transaction> sent();
  //! The heights of the successful posts mined, in order (PostDirectly's excluded).
  std::vector<uint64_t> mined_posts();
  uint64_t latest_height();
  settlement::PostedCommitment commitment(uint64_t height);
  //! How many requests of `method` arrived.
  int calls(const std::string& method);

 private:
  struct Mined {
    nlohmann::json receipt;
  };
  nlohmann::json Handle(const nlohmann::json& request);  // under mu_
  nlohmann::json Call(const std::string& data);          // eth_call, under mu_
  // A revert of post(height) by `from`, or nullopt when it would succeed (under mu_).
  std::optional<std::pair<std::string, std::string>> PostRevert(const evm::Address& from,
                                                                const Bytes& data);
  void MineLocked();

  const evm::Address sequencer_;
  const uint64_t interval_;
  const uint64_t chain_id_;
  evm::Address contract_;

  std::mutex mu_;
  bool reachable_ = true, automine_ = true, hide_receipts_ = false, priority_supported_ = true;
  bool deployed_ = true;
  std::optional<std::pair<uint64_t, Hash32>> post_by_other_;
  uint64_t latest_ = 0;
  std::map<uint64_t, settlement::PostedCommitment> commitments_;
  uint64_t mined_nonce_ = 0;
  uint64_t block_ = 1;  // EVM block number of the latest block
  std::map<uint64_t, std::vector<evm::SignedEip1559Transaction>> pool_;  // nonce -> versions
  std::vector<evm::SignedEip1559Transaction> sent_;
  std::map<Hash32, nlohmann::json> receipts_;
  std::vector<nlohmann::json> logs_;
  std::vector<uint64_t> mined_posts_;
  std::map<std::string, int> calls_;

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace tributary::testing
