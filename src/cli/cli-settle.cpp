// `tributary node --settle-*`: checks the options and starts the commitment poster
// (docs/settlement.md).
#include <iostream>

#include "cli/commands.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/settlement/commitment_poster.h"
#include "tributary/settlement/evm_key_file.h"

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

Result<std::unique_ptr<settlement::CommitmentPoster>> StartSettlement(Chain* chain,
                                                                      const SettleArgs& args) {
  using Poster = std::unique_ptr<settlement::CommitmentPoster>;
  if (!args.any()) return Poster();
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
  TRIB_ASSIGN_OR_RETURN(
      Poster poster, settlement::CommitmentPoster::Create(chain, std::move(*rpc), std::move(*key),
                                                          std::move(options)));
  Status started = poster->Start();
  if (!started.ok()) return started.WithContext("cannot settle to " + args.rpc);
  return poster;
}

}  // namespace tributary::cli
