// A Hardhat node (`npx hardhat node`, contracts/) as a child process on a free loopback port, and
// scripts/deploy.js run against it. Needs contracts/node_modules (tools/contracts-test.sh
// --no-test, CTest fixture contracts_deps).
//
// Its accounts are Hardhat's deterministic ones: account #0 deploys; kAccountKeys[i] is the
// private key of account #i.
//
// Thread-safety: one thread uses a HardhatNode.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tributary/base/status.h"

namespace tributary::testing {

class HardhatNode {
 public:
  //! Private keys of Hardhat's accounts #0 to #2 (hex, 0x-prefixed).
  static constexpr const char* kAccountKeys[] = {
      "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
      "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"};

  //! `log` receives the node's stdout and stderr.
  explicit HardhatNode(std::filesystem::path log);
  ~HardhatNode();  //!< kills it
  HardhatNode(const HardhatNode&) = delete;
  HardhatNode& operator=(const HardhatNode&) = delete;

  //! Starts it and waits until it answers eth_chainId.
  Status Start(int timeout_ms = 60000);
  void Kill();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

  //! Runs scripts/deploy.js against this node with `env` (SEQUENCER, INTERVAL, WINDOW, ...) and
  //! returns the JSON it prints (the contracts' addresses).
  Result<nlohmann::json> Deploy(const std::map<std::string, std::string>& env);

 private:
  std::filesystem::path log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tributary::testing
