// Posting block commitments to a real EVM chain: a Hardhat node (contracts/, started here on a
// free loopback port), the contracts deployed by contracts/scripts/deploy.js, and `tributary node
// --settle-*` reaching the Hardhat node through a TCP proxy the test can cut. Checks the posted
// commitments against the node's blocks, the backlog after an outage, a kill -9 and restart, and
// that no height is ever posted twice (no transaction wasted: the sequencer's nonce equals the
// number of CommitmentPosted events). Needs contracts/node_modules (CTest fixture
// contracts_deps).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <thread>

#include "support/hardhat_node.h"
#include "support/planted_model.h"
#include "support/tcp_proxy.h"
#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/economy/bridge.h"
#include "tributary/evm/keys.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/settlement/bridge_contract.h"
#include "tributary/settlement/commitments_contract.h"
#include "tributary/settlement/reward_epochs.h"
#include "tributary/settlement/tx_sender.h"

namespace tributary::testing {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool WaitFor(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return done();
}

std::unique_ptr<evm::RpcClient> Rpc(const std::string& url) {
  evm::RpcClientOptions o;
  o.url = url;
  o.timeout = milliseconds(5000);
  return evm::RpcClient::Create(o).value();
}

std::filesystem::path WriteKey(const std::filesystem::path& dir, const std::string& hex,
                               mode_t mode = 0600) {
  const auto p = dir / "evm.key";
  std::ofstream(p) << hex << "\n";
  ::chmod(p.c_str(), mode);
  return p;
}

uint64_t NodeHeight(int port) {
  json j = HttpGet(port, "/healthz").json();
  return j.is_object() ? j.value("height", uint64_t{0}) : 0;
}

// Every CommitmentPosted event: the heights must be 5, 10, 15, ... (each multiple once, in
// order), as many as the contract's height says, and each commitment the node's block at that
// height. The events are read between two equal reads of the height: the node keeps posting
// (one a second at these settings), and a post landing in between would make them disagree.
void CheckPosted(const settlement::CommitmentsContract& contract, int node_port, uint64_t every) {
  Result<std::vector<settlement::CommitmentPostedEvent>> events =
      Status::Unavailable("the contract's height kept moving");
  uint64_t latest = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto before = contract.LatestHeight();
    ASSERT_TRUE(before.ok()) << before.status().ToString();
    events = contract.PostedEvents(evm::BlockTag::Earliest(), evm::BlockTag::Latest());
    auto after = contract.LatestHeight();
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    latest = *after;
    if (*before == *after) break;
  }
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), latest / every);
  for (size_t i = 0; i < events->size(); ++i) {
    const auto& e = (*events)[i];
    ASSERT_EQ(e.height, every * (i + 1)) << "event " << i;
    json block = HttpGet(node_port, "/v1/blocks/" + std::to_string(e.height)).json();
    ASSERT_TRUE(block.is_object());
    EXPECT_EQ(ToHex(e.commitment.block_hash), block["hash"]) << e.height;
    EXPECT_EQ(ToHex(e.commitment.state_root), block["state_root"]) << e.height;
  }
}

TEST(SettlementTest, PostsCommitmentsThroughOutagesAndRestartsNeverTwice) {
  TempDir tmp;
  HardhatNode hardhat(tmp.path() / "hardhat.log");
  ASSERT_TRUE(hardhat.Start().ok()) << hardhat.log();
  const auto key = evm::PrivateKey::FromHex(HardhatNode::kAccountKeys[1]).value();
  const std::string sequencer = key.address().ToChecksumString();
  auto deployed = hardhat.Deploy({{"SEQUENCER", sequencer}, {"INTERVAL", "5"}, {"WINDOW", "60"}});
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  const std::string address = (*deployed)["TributaryCommitments"];
  auto rpc = Rpc(hardhat.url());
  const settlement::CommitmentsContract contract(rpc.get(), *evm::Address::Parse(address));
  auto latest = [&]() -> uint64_t {
    auto h = contract.LatestHeight();
    return h.ok() ? *h : 0;
  };
  auto nonce = [&] { return rpc->GetTransactionCount(key.address(), evm::BlockTag::Latest()); };
  // Every post is one transaction from the sequencer: its nonce is the contract's height / 5.
  // Both are read between two equal reads of the height, so a post landing in between (one a
  // second at these settings) cannot make them disagree.
  auto expect_one_tx_per_post = [&] {
    for (int attempt = 0; attempt < 20; ++attempt) {
      const uint64_t before = latest();
      auto n = nonce();
      if (n.ok() && latest() == before) {
        EXPECT_EQ(*n, before / 5);
        return;
      }
    }
    ADD_FAILURE() << "the contract's height kept moving";
  };

  TcpProxy proxy(hardhat.port());
  const auto key_file = WriteKey(tmp.path(), HardhatNode::kAccountKeys[1]);
  NodeProcess node(
      tmp.path() / "data", tmp.path() / "home",
      {"--dev", "--block-interval-ms", "200", "--rate-limit", "0", "--settle-rpc", proxy.url(),
       "--settle-key", key_file.string(), "--settle-every", "5", "--settle-commitments", address});
  ASSERT_TRUE(node.Start()) << node.output();

  // 1. Posting as blocks come.
  ASSERT_TRUE(WaitFor([&] { return latest() >= 15; }, seconds(60))) << node.output();
  json s = HttpGet(node.port(), "/v1/settlement").json()["commitments"];
  EXPECT_EQ(s["state"], "ok") << s.dump();
  EXPECT_EQ(s["every"], 5);
  EXPECT_EQ(s["contract"], address);
  EXPECT_EQ(s["sender"], sequencer);
  EXPECT_EQ(s["evm_chain_id"], 31337);
  ASSERT_TRUE(s["last_posted"].is_object()) << s.dump();
  EXPECT_GT(s["last_posted"]["gas_used"].get<uint64_t>(), 50000u);
  EXPECT_LT(s["last_posted"]["gas_used"].get<uint64_t>(), 150000u);
  {
    CheckPosted(contract, node.port(), 5);
    expect_one_tx_per_post();
  }

  // 2. The EVM node unreachable: blocks go on, the backlog grows, then drains in order.
  ASSERT_TRUE(proxy.Cut());
  const uint64_t at_cut = latest();
  const uint64_t height_at_cut = NodeHeight(node.port());
  ASSERT_TRUE(WaitFor([&] { return NodeHeight(node.port()) >= height_at_cut + 16; }, seconds(30)));
  s = HttpGet(node.port(), "/v1/settlement").json()["commitments"];
  EXPECT_EQ(s["state"], "unreachable") << s.dump();
  EXPECT_GE(s["backlog"].get<uint64_t>(), 3u) << s.dump();
  EXPECT_LE(latest(), at_cut + 5);  // at most the post in flight when the link went
  EXPECT_NE(HttpGet(node.port(), "/metrics").body.find("\ntributary_settlement_up 0\n"),
            std::string::npos);
  ASSERT_TRUE(proxy.Restore());
  const uint64_t height_at_restore = NodeHeight(node.port());
  ASSERT_TRUE(WaitFor([&] { return latest() >= height_at_restore / 5 * 5; }, seconds(60)))
      << node.output();
  ASSERT_TRUE(WaitFor(
      [&] {
        json c = HttpGet(node.port(), "/v1/settlement").json()["commitments"];
        return c["state"] == "ok";
      },
      seconds(30)));
  {
    CheckPosted(contract, node.port(), 5);
    expect_one_tx_per_post();
  }
  const std::string first_run = node.output();
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
    return n;
  };
  // One line per change of state, not one per retry.
  EXPECT_EQ(count(first_run, "settlement: the EVM node is unreachable"), 1u) << first_run;
  EXPECT_EQ(count(first_run, "settlement: the EVM node answers again"), 1u) << first_run;
  EXPECT_GE(count(first_run, ", gas "), 3u);

  // 3. kill -9 and restart: resumes above latestHeight, posts nothing twice.
  node.Kill();
  const uint64_t before_restart = latest();
  ASSERT_TRUE(node.Start()) << node.output();
  EXPECT_NE(node.output().find("the contract is at height " + std::to_string(before_restart)),
            std::string::npos)
      << node.output();
  ASSERT_TRUE(WaitFor([&] { return latest() >= before_restart + 10; }, seconds(60)))
      << node.output();
  {
    CheckPosted(contract, node.port(), 5);
    expect_one_tx_per_post();
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        json c = HttpGet(node.port(), "/v1/settlement").json()["commitments"];
        return c["last_posted"].is_object() && c["last_posted"]["height"] == latest();
      },
      seconds(10)));
  s = HttpGet(node.port(), "/v1/settlement").json()["commitments"];
  auto events = contract.PostedEvents(evm::BlockTag::Earliest(), evm::BlockTag::Latest());
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(s["last_posted"]["tx_hash"], "0x" + ToHex(*events->back().tx_hash));

  // 4. Another Tributary chain (a fresh data directory) on the same contract is refused.
  node.Kill();
  CommandResult other = RunTributary(
      {"node", "--dev", "--data", (tmp.path() / "other").string(), "--listen",
       "127.0.0.1:" + std::to_string(FreePort()), "--settle-rpc", hardhat.url(), "--settle-key",
       key_file.string(), "--settle-every", "5", "--settle-commitments", address},
      {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()});
  EXPECT_EQ(other.exit_code, 1) << other.out << other.err;
  EXPECT_NE(other.err.find("another chain's commitments"), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("(wrong_chain)"), std::string::npos) << other.err;
}

Amount TributaryBalance(int port, const std::string& address) {
  json a = HttpGet(port, "/v1/accounts/" + address).json();
  auto balance = ParseAmount(a.is_object() ? a.value("balance", "0") : "0");
  return balance.ok() ? *balance : 0;
}

// OPEN across both chains: a deposit on the EVM chain credited on Tributary by the node, a
// withdrawal on Tributary released on the EVM chain by the node with a proof against a committed
// state root, OPEN conserved on both sides (escrow + locked stays the genesis escrow), a release
// that cannot be repeated or forged, and a kill -9 that credits nothing twice.
TEST(SettlementTest, BridgesOpenBothWaysAndConservesIt) {
  TempDir tmp;
  HardhatNode hardhat(tmp.path() / "hardhat.log");
  ASSERT_TRUE(hardhat.Start().ok()) << hardhat.log();
  const auto key = evm::PrivateKey::FromHex(HardhatNode::kAccountKeys[1]).value();
  const auto depositor = evm::PrivateKey::FromHex(HardhatNode::kAccountKeys[2]).value();
  auto deployed = hardhat.Deploy({{"SEQUENCER", key.address().ToChecksumString()},
                                  {"INTERVAL", "5"},
                                  {"WINDOW", "1"},
                                  {"MINT", depositor.address().ToChecksumString() + "=1000"}});
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  const std::string commitments = (*deployed)["TributaryCommitments"];
  const std::string bridge_address = (*deployed)["OpenBridge"];
  auto rpc = Rpc(hardhat.url());
  const settlement::Erc20Token open(
      rpc.get(), *evm::Address::Parse((*deployed)["OpenToken"].get<std::string>()));
  const evm::Address bridge = *evm::Address::Parse(bridge_address);
  auto evm_balance = [&](const evm::Address& a) { return open.BalanceOf(a).value().ToString(); };

  const auto key_file = WriteKey(tmp.path(), HardhatNode::kAccountKeys[1]);
  TempDir depositor_dir;
  const auto depositor_key = WriteKey(depositor_dir.path(), HardhatNode::kAccountKeys[2]);
  const auto home = tmp.path() / "home";
  const std::vector<std::string> flags = {"--dev",
                                          "--block-interval-ms",
                                          "200",
                                          "--rate-limit",
                                          "0",
                                          "--settle-rpc",
                                          hardhat.url(),
                                          "--settle-key",
                                          key_file.string(),
                                          "--settle-every",
                                          "5",
                                          "--settle-commitments",
                                          commitments,
                                          "--settle-bridge",
                                          bridge_address,
                                          "--settle-confirmations",
                                          "1"};
  NodeProcess node(tmp.path() / "data", home, flags);
  ASSERT_TRUE(node.Start()) << node.output();
  const std::vector<std::string> env = {"TRIBUTARY_HOME=" + home.string()};
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--node", node.url()});
    return RunTributary(args, env);
  };
  ASSERT_EQ(cli({"keys", "new", "--name", "alice", "--unencrypted"}).exit_code, 0);
  std::string alice = cli({"keys", "show", "alice", "--address"}).out;
  alice.erase(alice.find_last_not_of("\n") + 1);
  const std::string escrow = economy::BridgeEscrowAddress().ToString();
  const Amount genesis_escrow = economy::kDevBridgeEscrow;
  EXPECT_EQ(TributaryBalance(node.port(), escrow), genesis_escrow);

  // 1. Deposit 250 OPEN on the EVM chain for alice: the node credits exactly that.
  CommandResult dep = cli({"--json", "bridge", "deposit", "--rpc", hardhat.url(), "--bridge",
                           bridge_address, "--evm-key", depositor_key.string(), "--to", "alice",
                           "--amount", "250", "--wait", "--timeout", "60"});
  ASSERT_EQ(dep.exit_code, 0) << dep.out << dep.err << node.output();
  json deposit = json::parse(dep.out);
  EXPECT_EQ(deposit["deposit_id"], 1);
  EXPECT_EQ(deposit["credited"]["account"], alice);
  EXPECT_EQ(TributaryBalance(node.port(), alice), 250 * Pow10(18));
  EXPECT_EQ(TributaryBalance(node.port(), escrow), genesis_escrow - 250 * Pow10(18));
  EXPECT_EQ(evm_balance(depositor.address()), AmountToString(750 * Pow10(18)));
  EXPECT_EQ(evm_balance(bridge), AmountToString(250 * Pow10(18)));

  // 2. Withdraw 100 OPEN to the depositor's EVM account: released by the node once final.
  CommandResult wd = cli({"--json", "bridge", "withdraw", "--from", "alice", "--to",
                          depositor.address().ToChecksumString(), "--amount", "100"});
  ASSERT_EQ(wd.exit_code, 0) << wd.out << wd.err;
  json withdrawal = json::parse(wd.out);
  const Amount fee = ParseAmount(withdrawal["receipt"]["fee_charged"].get<std::string>()).value();
  EXPECT_EQ(TributaryBalance(node.port(), alice), 150 * Pow10(18) - fee);
  ASSERT_TRUE(
      WaitFor([&] { return evm_balance(depositor.address()) == AmountToString(850 * Pow10(18)); },
              seconds(90)))
      << node.output();
  EXPECT_EQ(evm_balance(bridge), AmountToString(150 * Pow10(18)));
  // Conserved: escrow on Tributary + locked on the EVM chain = the genesis escrow; the depositor
  // and alice hold their 1,000 OPEN less alice's fee.
  EXPECT_EQ(TributaryBalance(node.port(), escrow) + 150 * Pow10(18), genesis_escrow);
  EXPECT_EQ(TributaryBalance(node.port(), alice) + 850 * Pow10(18) + fee, 1000 * Pow10(18));

  json w = HttpGet(node.port(), "/v1/bridge/withdrawals/1").json();
  EXPECT_EQ(w["released"], true) << w.dump();
  EXPECT_EQ(w["amount"], AmountToString(100 * Pow10(18)));
  EXPECT_EQ(w["recipient"], economy::EvmAddressToString(
                                *economy::ParseEvmAddress(depositor.address().ToLowerHex())));
  ASSERT_TRUE(w["proof"].is_object()) << w.dump();
  EXPECT_EQ(w["proof"]["height"].get<uint64_t>() % 5, 0u);
  json b = HttpGet(node.port(), "/v1/settlement").json()["bridge"];
  EXPECT_EQ(b["releases"], 1) << b.dump();
  EXPECT_EQ(b["withdrawals_released"], 1);
  EXPECT_GT(b["last_release_gas"].get<uint64_t>(), 50000u);
  EXPECT_EQ(b["credits_submitted"], 1);
  EXPECT_NE(HttpGet(node.port(), "/metrics").body.find("\ntributary_bridge_releases_total 1\n"),
            std::string::npos);
  const std::string released_line = "settlement: released withdrawal 1 (100 OPEN to ";
  EXPECT_NE(node.output().find(released_line), std::string::npos) << node.output();

  // 3. The same release again, and a forged one, are refused by the contract (nothing is sent:
  // eth_estimateGas sees the revert).
  std::vector<Hash32> siblings;
  for (const auto& h : w["proof"]["siblings"])
    siblings.push_back(*FixedFromHex<32>(h.get<std::string>()));
  settlement::TxSender anyone(rpc.get(), depositor, 31337);
  const uint64_t height = w["proof"]["height"];
  Status again =
      anyone.Send(bridge, settlement::BridgeContract::EncodeRelease(
                              1, depositor.address(), U256(100 * Pow10(18)), height, siblings));
  EXPECT_EQ(again.reason(), "execution_reverted") << again.ToString();
  ASSERT_FALSE(siblings.empty());
  siblings[0][0] ^= 1;
  Status forged =
      anyone.Send(bridge, settlement::BridgeContract::EncodeRelease(
                              1, depositor.address(), U256(100 * Pow10(18)), height, siblings));
  EXPECT_EQ(forged.reason(), "execution_reverted") << forged.ToString();

  // 4. kill -9 and restart: deposit 1 is not credited again, withdrawal 1 not released again,
  // and a second deposit and withdrawal still go through.
  node.Kill();
  ASSERT_TRUE(node.Start()) << node.output();
  CommandResult dep2 = cli({"--json", "bridge", "deposit", "--rpc", hardhat.url(), "--bridge",
                            bridge_address, "--evm-key", depositor_key.string(), "--to", "alice",
                            "--amount", "5", "--wait", "--timeout", "60"});
  ASSERT_EQ(dep2.exit_code, 0) << dep2.out << dep2.err << node.output();
  EXPECT_EQ(json::parse(dep2.out)["deposit_id"], 2);
  EXPECT_EQ(TributaryBalance(node.port(), alice), 155 * Pow10(18) - fee);
  ASSERT_EQ(cli({"bridge", "withdraw", "--from", "alice", "--to",
                 depositor.address().ToChecksumString(), "--amount", "1"})
                .exit_code,
            0);
  ASSERT_TRUE(
      WaitFor([&] { return evm_balance(depositor.address()) == AmountToString(846 * Pow10(18)); },
              seconds(90)))
      << node.output();
  EXPECT_EQ(evm_balance(bridge), AmountToString(154 * Pow10(18)));
  CommandResult status = cli({"bridge", "withdrawal", "2"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("released: yes"), std::string::npos) << status.out;
}

// The loop to the EVM chain: a contributor who chose an EVM payout address earns from a paid
// answer; the node closes the epoch, releases its OPEN to the poster through the bridge, posts
// the epoch's root; the contributor's claim raises its ERC-20 balance by exactly what it earned;
// a second claim and a forged one revert.
TEST(SettlementTest, AContributorClaimsWhatAPaidAnswerEarnedItOnTheEvmChain) {
  TempDir tmp;
  HardhatNode hardhat(tmp.path() / "hardhat.log");
  ASSERT_TRUE(hardhat.Start().ok()) << hardhat.log();
  const auto key = evm::PrivateKey::FromHex(HardhatNode::kAccountKeys[1]).value();
  const auto payer = evm::PrivateKey::FromHex(HardhatNode::kAccountKeys[2]).value();
  // What starts on Tributary's side (a --dev chain's supply less its escrow) is locked in the
  // bridge, so whatever leaves Tributary can be released.
  auto deployed = hardhat.Deploy({{"SEQUENCER", key.address().ToChecksumString()},
                                  {"INTERVAL", "5"},
                                  {"WINDOW", "1"},
                                  {"LOCK", "999000000"}});
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  const std::string distributor = (*deployed)["RewardDistributor"];
  auto rpc = Rpc(hardhat.url());
  const settlement::Erc20Token open(
      rpc.get(), *evm::Address::Parse((*deployed)["OpenToken"].get<std::string>()));
  const auto key_file = WriteKey(tmp.path(), HardhatNode::kAccountKeys[1]);
  TempDir payer_dir;
  const auto payer_key = WriteKey(payer_dir.path(), HardhatNode::kAccountKeys[2]);

  PlantedModel planted = BuildPlantedModel(
      tmp.path(), 200,
      {"--settle-rpc", hardhat.url(), "--settle-key", key_file.string(), "--settle-every", "5",
       "--settle-commitments", (*deployed)["TributaryCommitments"], "--settle-bridge",
       (*deployed)["OpenBridge"], "--settle-confirmations", "1", "--settle-rewards", distributor,
       "--settle-epoch-blocks", "25"});
  ASSERT_TRUE(planted.error.empty()) << planted.error;
  NodeProcess& node = *planted.node;
  // Span attribution needs the lineage's index.
  CommandResult index = RunCli(
      node, {"index", "build", "--model", planted.model, "--index",
             (planted.data / "index").string(), "--models", (planted.data / "models").string()});
  ASSERT_EQ(index.exit_code, 0) << index.out << index.err;

  // alice (a contributor) is paid on the EVM chain from now on, at an address with no OPEN yet.
  const std::string alice_evm = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";  // Hardhat #3
  ASSERT_EQ(
      RunCli(node, {"rewards", "payout", "--from", "alice", "--evm-address", alice_evm}).exit_code,
      0);
  const evm::Address alice_address = *evm::Address::Parse(alice_evm);
  ASSERT_EQ(open.BalanceOf(alice_address).value(), U256(0));

  // A paid answer that credits alice (every fact's answer is traced to some contributions; ask
  // until one of hers is among them).
  FundedKey(node, "app", "1");
  json created = RunCliJson(node, {"apikey", "create", "--from", "app", "--label", "app"});
  const std::string api_key = created.value("key", "");
  ASSERT_FALSE(api_key.empty());
  std::string alice;
  {
    auto a = RunCli(node, {"keys", "show", "alice", "--address"}).out;
    alice = a.substr(0, a.find('\n'));
  }
  const Amount alice_balance =
      ParseAmount(HttpGet(node.port(), "/v1/accounts/" + alice).json().value("balance", "0"))
          .value();
  Amount earned = 0;
  uint64_t epoch = 0;
  json last_tx;
  for (const PlantedFact& f : planted.facts) {
    httplib::Client client("127.0.0.1", node.port());
    client.set_read_timeout(120);
    json body = {{"model", planted.model},
                 {"messages", {{{"role", "user"}, {"content", f.prompt}}}},
                 {"max_tokens", 12},
                 {"temperature", 0}};
    auto r = client.Post("/v1/chat/completions", {{"Authorization", "Bearer " + api_key}},
                         body.dump(), "application/json");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    const std::string id = r->get_header_value("x-tributary-request-id");
    json settled;
    ASSERT_TRUE(WaitFor(
        [&] {
          auto s = HttpGet(node.port(), "/v1/receipts/" + id);
          if (s.status == 200) settled = s.json();
          return s.status == 200;
        },
        seconds(60)));
    auto got = HttpGet(node.port(), "/v1/tx/" + settled["receipt"].value("tx_hash", ""));
    json tx = got.json();
    last_tx = tx["receipt"];
    for (const auto& e : tx["receipt"]["events"]) {
      if (e.value("type", "") != "inference.earned" || e["attrs"].value("account", "") != alice) {
        continue;
      }
      if (e["attrs"].value("request_id", "") != id) continue;
      earned += ParseAmount(e["attrs"].value("amount", "0")).value();
      epoch = std::stoull(e["attrs"].value("reward_epoch", "0"));
    }
    if (earned > 0) break;
  }
  ASSERT_GT(earned, 0u) << "no answer credited alice " << alice << ": " << last_tx.dump();
  ASSERT_GT(epoch, 0u);
  EXPECT_EQ(ParseAmount(HttpGet(node.port(), "/v1/accounts/" + alice).json().value("balance", "0"))
                .value(),
            alice_balance)
      << "alice is paid on the EVM chain, not here";

  // The epoch closes, its OPEN is released to the poster, its root posted.
  ASSERT_TRUE(WaitFor(
      [&] {
        json e = HttpGet(node.port(), "/v1/rewards/epochs/" + std::to_string(epoch)).json();
        return e.is_object() && e.value("posted", false) == true;
      },
      seconds(120)))
      << HttpGet(node.port(), "/v1/settlement").body << node.output();
  json e = HttpGet(node.port(), "/v1/rewards/epochs/" + std::to_string(epoch)).json();
  EXPECT_EQ(e["state"], "closed");
  EXPECT_GE(ParseAmount(e["total"].get<std::string>()).value(), earned);

  // alice's claim, sent by someone else (it pays alice): her balance rises by exactly her earnings.
  CommandResult claim =
      RunCli(node, {"--json", "claim", "--epoch", std::to_string(epoch), "--from", "alice",
                    "--send", "--rpc", hardhat.url(), "--evm-key", payer_key.string()});
  ASSERT_EQ(claim.exit_code, 0) << claim.out << claim.err;
  EXPECT_EQ(open.BalanceOf(alice_address).value(), U256(earned));
  json claimed = json::parse(claim.out);
  EXPECT_EQ(claimed["amount"], AmountToString(earned));
  EXPECT_GT(claimed["gas_used"].get<uint64_t>(), 30000u);

  // A second claim reverts (nothing sent); so does a forged one.
  CommandResult again =
      RunCli(node, {"claim", "--epoch", std::to_string(epoch), "--from", "alice", "--send", "--rpc",
                    hardhat.url(), "--evm-key", payer_key.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("execution_reverted"), std::string::npos) << again.err;
  auto tree =
      HttpGet(node.port(), "/v1/rewards/epochs/" + std::to_string(epoch) + "/claims/" + alice_evm)
          .json();
  settlement::RewardClaim forged;
  forged.epoch = epoch;
  forged.account = *economy::ParseEvmAddress(alice_evm);
  forged.amount = earned + 1;
  for (const auto& h : tree["proof"])
    forged.proof.push_back(*FixedFromHex<32>(h.get<std::string>()));
  auto sent = settlement::SendClaim(rpc.get(), payer, *evm::Address::Parse(distributor), forged,
                                    seconds(30));
  EXPECT_EQ(sent.status().reason(), "execution_reverted") << sent.status().ToString();
  EXPECT_EQ(open.BalanceOf(alice_address).value(), U256(earned));

  json rewards = HttpGet(node.port(), "/v1/settlement").json()["rewards"];
  EXPECT_GE(rewards["epochs_posted"].get<uint64_t>(), epoch) << rewards.dump();
  EXPECT_NE(node.output().find("settlement: posted reward epoch " + std::to_string(epoch) + " ("),
            std::string::npos);
  EXPECT_NE(HttpGet(node.port(), "/metrics").body.find("\ntributary_rewards_epochs_posted_total "),
            std::string::npos);
  // Bad input to the routes.
  EXPECT_EQ(HttpGet(node.port(), "/v1/rewards/epochs/0").status, 404);
  EXPECT_EQ(HttpGet(node.port(), "/v1/rewards/epochs/abc").status, 400);
  EXPECT_EQ(HttpGet(node.port(), "/v1/rewards/epochs/1/claims/0x12").status, 400);
  EXPECT_EQ(HttpGet(node.port(), "/v1/rewards/epochs/" + std::to_string(epoch) +
                                     "/claims/0x0000000000000000000000000000000000000001")
                .status,
            404);
}

// `tributary node` with one bad --settle-* value: exit code 1 and a single line of error.
class SettlementOptionsTest : public ::testing::Test {
 protected:
  CommandResult Node(const std::vector<std::string>& settle) {
    std::vector<std::string> args = {"node",     "--dev",
                                     "--data",   (tmp_.path() / "data").string(),
                                     "--listen", "127.0.0.1:" + std::to_string(FreePort())};
    args.insert(args.end(), settle.begin(), settle.end());
    return RunTributary(args, {"TRIBUTARY_HOME=" + (tmp_.path() / "home").string()});
  }
  void ExpectRefused(const std::vector<std::string>& settle, const std::string& reason) {
    SCOPED_TRACE(reason);
    CommandResult r = Node(settle);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("(" + reason + ")"), std::string::npos) << r.err;
  }
  std::vector<std::string> Settle(const std::string& url, const std::string& key,
                                  const std::string& every, const std::string& address) {
    return {"--settle-rpc",   url,   "--settle-key",         key,
            "--settle-every", every, "--settle-commitments", address};
  }
  TempDir tmp_;
  const std::string kAddress = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
};

TEST_F(SettlementOptionsTest, RefusesBadValuesWithoutAnEvmNode) {
  const std::string key = WriteKey(tmp_.path(), HardhatNode::kAccountKeys[1]).string();
  const std::string url = "http://127.0.0.1:" + std::to_string(FreePort());
  ExpectRefused({"--settle-rpc", url}, "missing_settle_option");
  ExpectRefused(Settle("ftp://127.0.0.1:8545", key, "5", kAddress), "bad_rpc_url");
  ExpectRefused(Settle("http://", key, "5", kAddress), "bad_rpc_url");
  ExpectRefused(Settle(url, (tmp_.path() / "missing.key").string(), "5", kAddress), "no_key_file");
  ExpectRefused(Settle(url, key, "0", kAddress), "bad_settle_option");
  ExpectRefused(Settle(url, key, "five", kAddress), "bad_settle_option");
  ExpectRefused(Settle(url, key, "-5", kAddress), "bad_settle_option");
  ExpectRefused(Settle(url, key, "5", "0x1234"), "bad_address");
  ExpectRefused(Settle(url, key, "5", "0xE7f1725E7734CE288F8367e1Bb143E90bb3F0512"),
                "bad_checksum");
  TempDir other;
  const std::string world = WriteKey(other.path(), HardhatNode::kAccountKeys[1], 0644).string();
  ExpectRefused(Settle(url, world, "5", kAddress), "key_file_permissions");
  TempDir third;
  const std::string garbage = WriteKey(third.path(), "not a key").string();
  ExpectRefused(Settle(url, garbage, "5", kAddress), "bad_key_file");
  auto with_chain = Settle(url, key, "5", kAddress);
  with_chain.insert(with_chain.end(), {"--settle-chain-id", "0"});
  ExpectRefused(with_chain, "bad_settle_option");
}

TEST_F(SettlementOptionsTest, RefusesContractsThatDoNotCheckOut) {
  HardhatNode hardhat(tmp_.path() / "hardhat.log");
  ASSERT_TRUE(hardhat.Start().ok()) << hardhat.log();
  const auto key = evm::PrivateKey::FromHex(HardhatNode::kAccountKeys[1]).value();
  auto deployed = hardhat.Deploy(
      {{"SEQUENCER", key.address().ToChecksumString()}, {"INTERVAL", "5"}, {"WINDOW", "60"}});
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  const std::string address = (*deployed)["TributaryCommitments"];
  const std::string key_file = WriteKey(tmp_.path(), HardhatNode::kAccountKeys[1]).string();

  ExpectRefused(Settle(hardhat.url(), key_file, "7", address), "interval_mismatch");
  auto chain_id = Settle(hardhat.url(), key_file, "5", address);
  chain_id.insert(chain_id.end(), {"--settle-chain-id", "1"});
  ExpectRefused(chain_id, "wrong_chain_id");
  // The bridge is a contract, but not this one; the token address holds OpenToken.
  ExpectRefused(Settle(hardhat.url(), key_file, "5", (*deployed)["OpenBridge"]),
                "not_commitments_contract");
  ExpectRefused(Settle(hardhat.url(), key_file, "5", (*deployed)["deployer"]), "no_contract");
  TempDir elsewhere;
  const std::string not_sequencer =
      WriteKey(elsewhere.path(), HardhatNode::kAccountKeys[2]).string();
  ExpectRefused(Settle(hardhat.url(), not_sequencer, "5", address), "not_sequencer");
  auto bridge = Settle(hardhat.url(), key_file, "5", address);
  bridge.insert(bridge.end(), {"--settle-bridge", (*deployed)["RewardDistributor"]});
  ExpectRefused(bridge, "not_bridge_contract");
  bridge.back() = (*deployed)["deployer"];
  ExpectRefused(bridge, "no_contract");
  bridge.back() = "0x12";
  ExpectRefused(bridge, "bad_address");
  bridge.back() = (*deployed)["OpenBridge"];
  bridge.insert(bridge.end(), {"--settle-confirmations", "0"});
  ExpectRefused(bridge, "bad_settle_option");

  // A commitment of another Tributary chain, above this (new) chain's height.
  auto rpc = Rpc(hardhat.url());
  settlement::TxSender sender(rpc.get(), key, 31337);
  ASSERT_TRUE(sender
                  .Send(*evm::Address::Parse(address),
                        settlement::CommitmentsContract::EncodePost(5, Hash32{1}, Hash32{2}))
                  .ok());
  for (int i = 0; i < 100 && sender.in_flight(); ++i) {
    auto poll = sender.Poll();
    ASSERT_TRUE(poll.ok()) << poll.status().ToString();
    if (poll->state != settlement::TxState::kMined) std::this_thread::sleep_for(milliseconds(50));
  }
  ExpectRefused(Settle(hardhat.url(), key_file, "5", address), "wrong_chain");
}

}  // namespace
}  // namespace tributary::testing
