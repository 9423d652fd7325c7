// `tributary node --settle-*`: checks the options and starts the commitment poster
// (docs/settlement.md).
#include <iostream>

#include "cli/commands.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/settlement/bridge_relay.h"
#include "tributary/settlement/commitment_poster.h"
#include "tributary/settlement/evm_key_file.h"
#include "tributary/settlement/reward_epochs.h"

namespace tributary::cli {
namespace {

Result<uint64_t> ParsePositive(const std::string& text, const std::string& option) {
  const bool digits = !text.empty() && text.size() <= 19 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  const uint64_t v = digits ? std::stoull(text) : 0;
  if (v == 0) {
    return Status::InvalidArgument(option + " must be a whole number >= 1, not '" + text + "'",
                                   "bad_settle_option");
  }
  return v;
}

}  // namespace

Settlement::Settlement() = default;
Settlement::Settlement(Settlement&&) noexcept = default;
Settlement::~Settlement() {
  poster.reset();  // it drives the bridge and the reward epochs
  rewards.reset();
  bridge.reset();
}

Result<Settlement> StartSettlement(Chain* chain, const KeyPair& sequencer,
                                   const std::filesystem::path& data, const SettleArgs& args) {
  Settlement out;
  if (!args.any()) return out;
  std::string missing;
  const std::pair<const std::string*, const char*> required[] = {
      {&args.rpc, "--settle-rpc"},
      {&args.key, "--settle-key"},
      {&args.every, "--settle-every"},
      {&args.commitments, "--settle-commitments"}};
  for (const auto& [value, name] : required) {
    if (value->empty()) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) {
    return Status::InvalidArgument(
        "settling needs --settle-rpc, --settle-key, --settle-every and --settle-commitments "
        "(missing: " +
            missing + ")",
        "missing_settle_option");
  }
  settlement::CommitmentPosterOptions options;
  TRIB_ASSIGN_OR_RETURN(options.every, ParsePositive(args.every, "--settle-every"));
  if (!args.chain_id.empty()) {
    TRIB_ASSIGN_OR_RETURN(options.expected_chain_id,
                          ParsePositive(args.chain_id, "--settle-chain-id"));
  }
  auto contract = evm::Address::Parse(args.commitments);
  if (!contract.ok()) {
    return Status::InvalidArgument(
        "--settle-commitments '" + args.commitments +
            "' is not an EVM address (0x and 40 hex digits): " + contract.status().message(),
        contract.status().reason());
  }
  options.contract = *contract;
  std::string warning;
  auto key = settlement::ReadEvmKeyFile(args.key, &warning);
  if (!key.ok()) return key.status().WithContext("--settle-key");
  if (!warning.empty()) std::cerr << "warning: " << warning << "\n";
  evm::RpcClientOptions rpc_options;
  rpc_options.url = args.rpc;
  auto rpc = evm::RpcClient::Create(rpc_options);
  if (!rpc.ok()) return rpc.status().WithContext("--settle-rpc");
  if (!args.bridge.empty()) {
    settlement::BridgeRelayOptions bridge;
    auto address = evm::Address::Parse(args.bridge);
    if (!address.ok()) {
      return Status::InvalidArgument(
          "--settle-bridge '" + args.bridge +
              "' is not an EVM address (0x and 40 hex digits): " + address.status().message(),
          address.status().reason());
    }
    bridge.bridge = *address;
    bridge.every = options.every;
    TRIB_ASSIGN_OR_RETURN(bridge.confirmations,
                          ParsePositive(args.confirmations, "--settle-confirmations"));
    if (!args.bridge_from_block.empty()) {
      const bool digits =
          args.bridge_from_block.size() <= 19 &&
          args.bridge_from_block.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) {
        return Status::InvalidArgument(
            "--settle-bridge-from-block must be an EVM block number, not '" +
                args.bridge_from_block + "'",
            "bad_settle_option");
      }
      bridge.from_block = std::stoull(args.bridge_from_block);
    }
    bridge.dir = data / "settlement";
    bridge.sequencer = sequencer;
    auto bridge_rpc = evm::RpcClient::Create(rpc_options);
    if (!bridge_rpc.ok()) return bridge_rpc.status().WithContext("--settle-rpc");
    TRIB_ASSIGN_OR_RETURN(out.bridge, settlement::BridgeRelay::Open(chain, std::move(*bridge_rpc),
                                                                    std::move(bridge)));
    out.bridge->Start();
    options.bridge = out.bridge.get();
  }
  if (!args.rewards.empty()) {
    if (args.bridge.empty()) {
      return Status::InvalidArgument(
          "--settle-rewards needs --settle-bridge: an epoch's OPEN reaches the EVM chain through "
          "the bridge",
          "missing_settle_option");
    }
    settlement::RewardEpochsOptions rewards;
    auto address = evm::Address::Parse(args.rewards);
    if (!address.ok()) {
      return Status::InvalidArgument(
          "--settle-rewards '" + args.rewards +
              "' is not an EVM address (0x and 40 hex digits): " + address.status().message(),
          address.status().reason());
    }
    rewards.distributor = *address;
    rewards.poster = key->address();
    TRIB_ASSIGN_OR_RETURN(rewards.epoch_blocks,
                          ParsePositive(args.epoch_blocks, "--settle-epoch-blocks"));
    rewards.sequencer = sequencer;
    auto rewards_rpc = evm::RpcClient::Create(rpc_options);
    if (!rewards_rpc.ok()) return rewards_rpc.status().WithContext("--settle-rpc");
    TRIB_ASSIGN_OR_RETURN(out.rewards, settlement::RewardEpochs::Create(
                                           chain, std::move(*rewards_rpc), std::move(rewards)));
    options.rewards = out.rewards.get();
  }
  TRIB_ASSIGN_OR_RETURN(
      out.poster, settlement::CommitmentPoster::Create(chain, std::move(*rpc), std::move(*key),
                                                       std::move(options)));
  Status started = out.poster->Start();
  if (!started.ok()) return started.WithContext("cannot settle to " + args.rpc);
  return out;
}

}  // namespace tributary::cli
