#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "cli/rewards-commands.h"
#include "tributary/economy/rewards.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/settlement/evm_key_file.h"
#include "tributary/settlement/reward_epochs.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

}  // namespace

void RewardCommands::Add(CLI::App& app) {
  auto* rewards = app.add_subcommand("rewards", "earnings paid on the EVM chain by epoch");
  rewards->require_subcommand(1);
  payout_ = rewards->add_subcommand(
      "payout", "have your earnings paid to an EVM address by epoch (or, with --clear, here)");
  payout_->add_option("--from", from_, "signing key name")->required();
  auto* to = payout_->add_option("--evm-address", evm_address_, "0x and 40 hex digits");
  auto* clear = payout_->add_flag("--clear", clear_, "be paid on Tributary again");
  to->excludes(clear);
  epoch_ = rewards->add_subcommand("epoch", "a reward epoch's total, accounts and root");
  epoch_->add_option("epoch", epoch_number_, "epoch number")->required();

  claim_ = app.add_subcommand(
      "claim", "an EVM address's claim in a reward epoch: print it, or send it with --send");
  claim_->add_option("--epoch", epoch_number_, "epoch number")->required();
  auto* from = claim_->add_option("--from", from_, "key name whose payout address claims");
  auto* account = claim_->add_option("--account", account_, "or the EVM address itself");
  from->excludes(account);
  claim_->add_flag("--send", send_, "send the claim transaction (from --evm-key)");
  claim_->add_option("--rpc", rpc_, "the EVM node's JSON-RPC URL (with --send)");
  claim_->add_option("--distributor", distributor_,
                     "the RewardDistributor's address (default: the node's)");
  claim_->add_option("--evm-key", evm_key_, "file with the EVM key that pays the gas (--send)");
  claim_->add_option("--timeout", timeout_s_, "seconds to wait for the receipt")
      ->capture_default_str();
}

std::optional<int> RewardCommands::Run(const Common& c) const {
  if (payout_ && *payout_) return Payout(c);
  if (epoch_ && *epoch_) return Epoch(c);
  if (claim_ && *claim_) return Claim(c);
  return std::nullopt;
}

int RewardCommands::Payout(const Common& c) const {
  if (evm_address_.empty() && !clear_) {
    return Fail(Status::InvalidArgument("give --evm-address 0x… or --clear", "missing_option"));
  }
  std::string address;
  if (!clear_) {
    auto a = economy::ParseEvmAddress(evm_address_);
    if (!a.ok()) return Fail(a.status().WithContext("--evm-address"));
    address = economy::EvmAddressToString(*a);
  }
  auto r =
      SubmitTxAndWait(c, from_, std::string(economy::kSetPayoutKind), {{"evm_address", address}});
  if (!r.ok()) return Fail(r.status());
  return PrintTxDone(c, *r,
                     clear_ ? "earnings of " + from_ + " are paid on Tributary again"
                            : "earnings of " + from_ + " are paid to " + address +
                                  " on the EVM chain, by reward epoch");
}

int RewardCommands::Epoch(const Common& c) const {
  auto r = NodeGet(c, "/v1/rewards/epochs/" + std::to_string(epoch_number_));
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  const json& e = *r;
  std::cout << "reward epoch " << e["epoch"] << " [" << e.value("state", "")
            << "]: " << TokensText(e["total"]) << " OPEN to " << e["accounts"]
            << " EVM addresses\n";
  if (!e["root"].is_null()) std::cout << "  root " << e.value("root", "") << "\n";
  if (!e["withdrawal_id"].is_null()) {
    std::cout << "  its OPEN leaves through bridge withdrawal " << e["withdrawal_id"] << "\n";
  }
  if (!e["posted"].is_null()) {
    std::cout << "  posted to the RewardDistributor: "
              << (e["posted"].get<bool>() ? "yes" : "not yet") << "\n";
  }
  return 0;
}

int RewardCommands::Claim(const Common& c) const {
  std::string account = account_;
  if (account.empty()) {
    if (from_.empty()) {
      return Fail(Status::InvalidArgument("give --from NAME or --account 0x…", "missing_option"));
    }
    auto key = LoadKey(from_);
    if (!key.ok()) return Fail(key.status());
    auto payout = NodeGet(c, "/v1/rewards/payouts/" + key->address().ToString());
    if (!payout.ok()) return Fail(payout.status());
    if ((*payout)["evm_address"].is_null()) {
      return Fail(Status::FailedPrecondition(
          from_ +
              " has no payout address: its earnings are paid on Tributary (set one with "
              "`tributary rewards payout --from " +
              from_ + " --evm-address 0x…`)",
          "no_payout_address"));
    }
    account = (*payout)["evm_address"].get<std::string>();
  }
  auto evm_account = economy::ParseEvmAddress(account);
  if (!evm_account.ok()) return Fail(evm_account.status().WithContext("--account"));
  auto r = NodeGet(c, "/v1/rewards/epochs/" + std::to_string(epoch_number_) + "/claims/" +
                          economy::EvmAddressToString(*evm_account));
  if (!r.ok()) return Fail(r.status());
  json out = *r;
  if (!send_) {
    if (c.json) {
      PrintJson(out);
    } else {
      std::cout << "claim in epoch " << out["epoch"] << ": " << TokensText(out["amount"])
                << " OPEN to " << out.value("account", "") << "\n  proof (" << out["proof"].size()
                << " hashes): " << out["proof"].dump()
                << "\n  RewardDistributor.claim calldata: " << out.value("calldata", "")
                << "\n  send it: add --send --rpc URL --evm-key FILE\n";
    }
    return 0;
  }
  if (rpc_.empty() || evm_key_.empty()) {
    return Fail(
        Status::InvalidArgument("--send needs --rpc URL and --evm-key FILE", "missing_option"));
  }
  std::string distributor_text = distributor_;
  if (distributor_text.empty()) {
    if (out["distributor"].is_null()) {
      return Fail(Status::InvalidArgument(
          "the node does not post reward epochs: give --distributor ADDRESS", "missing_option"));
    }
    distributor_text = out["distributor"].get<std::string>();
  }
  auto distributor = evm::Address::Parse(distributor_text);
  if (!distributor.ok()) return Fail(distributor.status().WithContext("--distributor"));
  std::string warning;
  auto key = settlement::ReadEvmKeyFile(evm_key_, &warning);
  if (!key.ok()) return Fail(key.status().WithContext("--evm-key"));
  if (!warning.empty()) std::cerr << "warning: " << warning << "\n";
  evm::RpcClientOptions options;
  options.url = rpc_;
  auto rpc = evm::RpcClient::Create(options);
  if (!rpc.ok()) return Fail(rpc.status().WithContext("--rpc"));
  settlement::RewardClaim claim;
  claim.epoch = epoch_number_;
  claim.account = *evm_account;
  claim.amount = ParseAmount(out["amount"].get<std::string>()).value();
  for (const auto& h : out["proof"]) claim.proof.push_back(*FixedFromHex<32>(h.get<std::string>()));
  auto receipt = settlement::SendClaim(rpc->get(), *key, *distributor, claim,
                                       std::chrono::seconds(std::max(1, timeout_s_)));
  if (!receipt.ok()) return Fail(receipt.status());
  out["tx_hash"] = "0x" + ToHex(receipt->transaction_hash);
  out["gas_used"] = receipt->gas_used;
  if (c.json) {
    PrintJson(out);
  } else {
    std::cout << "claimed " << TokensText(out["amount"]) << " OPEN for " << out.value("account", "")
              << " in epoch " << out["epoch"] << ": EVM transaction " << out.value("tx_hash", "")
              << " (gas " << receipt->gas_used << ")\n";
  }
  return 0;
}

}  // namespace tributary::cli
