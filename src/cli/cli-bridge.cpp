#include <chrono>
#include <iostream>
#include <thread>

#include "cli/bridge-commands.h"
#include "cli/commands.h"
#include "tributary/economy/bridge.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/settlement/bridge_contract.h"
#include "tributary/settlement/evm_key_file.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

Result<Amount> TokensArg(const std::string& text) {
  auto a = ParseTokens(text, 18);
  if (!a.ok() || *a == 0) {
    return Status::InvalidArgument(
        "--amount must be an amount of OPEN above 0 such as 5, not '" + text + "'", "bad_amount");
  }
  return *a;
}

}  // namespace

void BridgeCommands::Add(CLI::App& app) {
  auto* bridge = app.add_subcommand("bridge", "move OPEN between Tributary and the EVM chain");
  bridge->require_subcommand(1);

  withdraw_ = bridge->add_subcommand(
      "withdraw",
      "send OPEN to an EVM account: the node releases it there once the commitment "
      "proving it is final");
  withdraw_->add_option("--from", from_, "signing key name")->required();
  withdraw_->add_option("--to", to_, "the EVM recipient (0x and 40 hex digits)")->required();
  withdraw_->add_option("--amount", amount_, "OPEN to withdraw, e.g. 12.5")->required();

  withdrawal_ = bridge->add_subcommand("withdrawal", "a withdrawal's record, proof and release");
  withdrawal_->add_option("id", id_, "withdrawal id")->required();

  deposit_ = bridge->add_subcommand(
      "deposit", "lock OPEN in OpenBridge on the EVM chain for a Tributary account");
  deposit_->add_option("--rpc", rpc_, "the EVM node's JSON-RPC URL")->required();
  deposit_->add_option("--bridge", bridge_, "the OpenBridge contract's address")->required();
  deposit_->add_option("--evm-key", evm_key_, "file with the depositor's EVM private key")
      ->required();
  deposit_->add_option("--to", to_, "the Tributary account: address or local key name")->required();
  deposit_->add_option("--amount", amount_, "OPEN to deposit, e.g. 12.5")->required();
  deposit_->add_flag("--wait", wait_, "wait until the node has credited it");
  deposit_->add_option("--timeout", timeout_s_, "seconds to wait for each step")
      ->capture_default_str();
}

std::optional<int> BridgeCommands::Run(const Common& c) const {
  if (withdraw_ && *withdraw_) return Withdraw(c);
  if (withdrawal_ && *withdrawal_) return Withdrawal(c);
  if (deposit_ && *deposit_) return Deposit(c);
  return std::nullopt;
}

int BridgeCommands::Withdraw(const Common& c) const {
  auto recipient = economy::ParseEvmAddress(to_);
  if (!recipient.ok()) return Fail(recipient.status().WithContext("--to"));
  auto amount = TokensArg(amount_);
  if (!amount.ok()) return Fail(amount.status());
  auto r = SubmitTxAndWait(c, from_, std::string(economy::kBridgeWithdrawKind),
                           {{"recipient", economy::EvmAddressToString(*recipient)},
                            {"amount", AmountToString(*amount)}});
  if (!r.ok()) return Fail(r.status());
  const std::string id = TxEventAttr(*r, "bridge.withdrawn", "id").value_or("?");
  return PrintTxDone(c, *r,
                     "withdrawal " + id + ": " + FormatTokens(*amount) + " OPEN to " + to_ +
                         "; the node releases it on the EVM chain once a commitment proving it "
                         "is final (`tributary bridge withdrawal " +
                         id + "`)");
}

int BridgeCommands::Withdrawal(const Common& c) const {
  auto r = NodeGet(c, "/v1/bridge/withdrawals/" + std::to_string(id_));
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  const json& w = *r;
  std::cout << "withdrawal " << w["id"] << ": " << TokensText(w["amount"]) << " OPEN to "
            << w.value("recipient", "") << "\n";
  if (w["proof"].is_null()) {
    std::cout << "  proof: not taken yet (at the next block whose height the node posts)\n";
  } else {
    std::cout << "  proof: at height " << w["proof"]["height"] << " ("
              << w["proof"]["siblings"].size() << " siblings)\n";
  }
  if (w["released"].is_null()) {
    std::cout << "  released: unknown (this node does not relay the bridge)\n";
  } else {
    std::cout << "  released: " << (w["released"].get<bool>() ? "yes" : "not yet") << "\n";
  }
  return 0;
}

int BridgeCommands::Deposit(const Common& c) const {
  auto account = ResolveAddress(to_);
  if (!account.ok()) return Fail(account.status().WithContext("--to"));
  auto amount = TokensArg(amount_);
  if (!amount.ok()) return Fail(amount.status());
  auto bridge = evm::Address::Parse(bridge_);
  if (!bridge.ok()) return Fail(bridge.status().WithContext("--bridge"));
  std::string warning;
  auto key = settlement::ReadEvmKeyFile(evm_key_, &warning);
  if (!key.ok()) return Fail(key.status().WithContext("--evm-key"));
  if (!warning.empty()) std::cerr << "warning: " << warning << "\n";
  evm::RpcClientOptions options;
  options.url = rpc_;
  auto rpc = evm::RpcClient::Create(options);
  if (!rpc.ok()) return Fail(rpc.status().WithContext("--rpc"));
  const auto timeout = std::chrono::seconds(std::max(1, timeout_s_));
  auto done =
      settlement::DepositToTributary(rpc->get(), *key, *bridge, U256(*amount), *account, timeout);
  if (!done.ok()) return Fail(done.status());
  const uint64_t id = done->deposit.deposit_id;
  json out = {{"deposit_id", id},
              {"evm_tx", "0x" + ToHex(done->deposit.tx_hash)},
              {"evm_block", done->deposit.evm_block},
              {"gas_used", done->gas_used},
              {"account", account->ToString()},
              {"amount", AmountToString(*amount)},
              {"credited", nullptr}};
  if (!c.json) {
    std::cout << "deposit " << id << ": " << FormatTokens(*amount) << " OPEN locked for "
              << account->ToString() << " in EVM transaction 0x" << ToHex(done->deposit.tx_hash)
              << " (block " << done->deposit.evm_block << ", gas " << done->gas_used << ")\n";
  }
  if (wait_) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto credited = NodeGet(c, "/v1/bridge/deposits/" + std::to_string(id));
      if (credited.ok()) {
        out["credited"] = *credited;
        if (!c.json) {
          std::cout << "credited on Tributary in block " << (*credited)["height"] << "\n";
        }
        break;
      }
      if (credited.status().reason() != "deposit_not_credited") return Fail(credited.status());
      if (std::chrono::steady_clock::now() > deadline) {
        return Fail(Status::Unavailable(
            "deposit " + std::to_string(id) + " is not credited after " +
                std::to_string(timeout_s_) +
                " s: is the node relaying this bridge (--settle-bridge), and has the deposit "
                "its confirmations?",
            "not_credited"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  if (c.json) PrintJson(out);
  return 0;
}

}  // namespace tributary::cli
