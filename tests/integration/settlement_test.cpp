// Posting block commitments to a real EVM chain: a Hardhat node (contracts/, started here on a
// free loopback port), the contracts deployed by contracts/scripts/deploy.js, and `tributary node
// --settle-*` reaching the Hardhat node through a TCP proxy the test can cut. Checks the posted
// commitments against the node's blocks, the backlog after an outage, a kill -9 and restart, and
// that no height is ever posted twice (no transaction wasted: the sequencer's nonce equals the
// number of CommitmentPosted events). Needs contracts/node_modules (CTest fixture
// contracts_deps).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <thread>

#include "support/hardhat_node.h"
#include "support/tcp_proxy.h"
#include "support/test_util.h"
#include "tributary/evm/keys.h"
#include "tributary/evm/rpc_client.h"
#include "tributary/settlement/commitments_contract.h"
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
// order) and each commitment the node's block at that height.
void CheckPosted(const settlement::CommitmentsContract& contract, int node_port, uint64_t every,
                 uint64_t latest) {
  auto events = contract.PostedEvents(evm::BlockTag::Earliest(), evm::BlockTag::Latest());
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
    const uint64_t l = latest();
    CheckPosted(contract, node.port(), 5, l);
    EXPECT_EQ(nonce().value(), l / 5);
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
    const uint64_t l = latest();
    CheckPosted(contract, node.port(), 5, l);
    EXPECT_EQ(nonce().value(), l / 5);
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
    const uint64_t l = latest();
    CheckPosted(contract, node.port(), 5, l);
    EXPECT_EQ(nonce().value(), l / 5);
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
