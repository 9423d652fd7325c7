// The `tributary` command line against a real node: keys, transfers, stake,
// accounts, blocks, proofs, and the errors a user sees when something is
// wrong (one "error: ..." line and a non-zero exit).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/base/keystore.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    node_ = new NodeProcess(tmp_->path() / "data", tmp_->path() / "home");
    node_->Start();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete tmp_;
    node_ = nullptr;
    tmp_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(node_ && node_->Running()) << (node_ ? node_->output() : "");
  }

  // `tributary --node URL ARGS...` with this suite's TRIBUTARY_HOME.
  static CommandResult Cli(std::vector<std::string> args) { return RunCli(*node_, args); }
  static json CliJson(std::vector<std::string> args) { return RunCliJson(*node_, args); }
  // Cli with more environment variables (a passphrase).
  static CommandResult CliEnv(std::vector<std::string> env, std::vector<std::string> args) {
    args.insert(args.begin(), {"--node", node_->url()});
    env.insert(env.begin(), "TRIBUTARY_HOME=" + node_->home().string());
    return RunTributary(args, env);
  }
  // Creates key `name` (if needed) and funds it from dev.
  static std::string FundedKey(const std::string& name, const std::string& amount) {
    return testing::FundedKey(*node_, name, amount);
  }

  static TempDir* tmp_;
  static NodeProcess* node_;
};

TempDir* CliTest::tmp_ = nullptr;
NodeProcess* CliTest::node_ = nullptr;

TEST_F(CliTest, KeysNewListShow) {
  auto created = Cli({"keys", "new", "--name", "alice", "--unencrypted"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_NE(created.out.find("created key 'alice'"), std::string::npos) << created.out;
  EXPECT_TRUE(fs::exists(node_->home() / "keys" / "alice.json"));

  // The name is taken now: a clear one-line error, and the key file is not replaced.
  std::string before = ReadFileBytes(node_->home() / "keys" / "alice.json");
  auto again = Cli({"keys", "new", "--name", "alice", "--unencrypted"});
  EXPECT_TRUE(FailsWithOneErrorLine(again, "alice"));
  EXPECT_EQ(ReadFileBytes(node_->home() / "keys" / "alice.json"), before);

  auto shown = Cli({"keys", "show", "alice", "--address"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto lines = Lines(shown.out);
  ASSERT_EQ(lines.size(), 1u) << shown.out;
  std::string address = lines[0];
  EXPECT_EQ(address.size(), 51u);
  EXPECT_EQ(address.rfind("trb", 0), 0u);
  EXPECT_TRUE(Address::Parse(address).ok()) << address;
  EXPECT_NE(created.out.find(address), std::string::npos) << "keys new printed another address";

  auto list = Cli({"keys", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("alice\t" + address + "\tunencrypted"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("dev\ttrb"), std::string::npos) << list.out;

  json list_json = CliJson({"keys", "list"});
  ASSERT_TRUE(list_json.is_array()) << list_json;
  bool found = false;
  for (const auto& k : list_json)
    found |= k.value("name", "") == "alice" && k.value("address", "") == address;
  EXPECT_TRUE(found) << list_json;

  json show_json = CliJson({"keys", "show", "alice"});
  EXPECT_EQ(show_json.value("address", ""), address);
  EXPECT_EQ(show_json.value("public_key", "").size(), 64u);
  EXPECT_FALSE(show_json.contains("seed")) << "keys show must not print the secret seed";
}

// Keys encrypted with a passphrase: from the variable or a file, never needed to read an address,
// refused when missing or wrong; export, import and the upgrade of an unencrypted key.
TEST_F(CliTest, EncryptedKeys) {
  const std::string pass = "TRIBUTARY_PASSPHRASE=s3cret words";
  auto refused = Cli({"keys", "new", "--name", "frida"});
  EXPECT_TRUE(FailsWithOneErrorLine(refused, "TRIBUTARY_PASSPHRASE")) << refused.err;
  EXPECT_NE(refused.err.find("--unencrypted"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(node_->home() / "keys" / "frida.json"));

  auto created = CliEnv({pass}, {"keys", "new", "--name", "frida"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string file_text = ReadFileBytes(node_->home() / "keys" / "frida.json");
  EXPECT_EQ(file_text.find("\"seed\""), std::string::npos) << file_text;
  // The address and the listing need no passphrase.
  auto address = Lines(Cli({"keys", "show", "frida", "--address"}).out).at(0);
  EXPECT_NE(Cli({"keys", "list"}).out.find("frida\t" + address + "\tencrypted"), std::string::npos);
  EXPECT_TRUE(CliJson({"keys", "show", "frida"}).value("encrypted", false));

  auto funded =
      Cli({"tx", "transfer", "--from", "dev", "--to", "frida", "--amount", "5", "--wait"});
  ASSERT_EQ(funded.exit_code, 0) << funded.err;
  const std::vector<std::string> send = {"tx",  "transfer", "--from", "frida", "--to",
                                         "dev", "--amount", "1",      "--wait"};
  EXPECT_TRUE(FailsWithOneErrorLine(Cli(send), "TRIBUTARY_PASSPHRASE"));
  EXPECT_TRUE(
      FailsWithOneErrorLine(CliEnv({"TRIBUTARY_PASSPHRASE=guess"}, send), "wrong passphrase"));
  EXPECT_TRUE(FailsWithOneErrorLine(CliEnv({"TRIBUTARY_PASSPHRASE="}, send), "empty"));
  auto sent = CliEnv({pass}, send);
  EXPECT_EQ(sent.exit_code, 0) << sent.err;

  // From a file: its first line.
  TempDir tmp;
  const fs::path pass_file = tmp.path() / "pass";
  std::ofstream(pass_file) << "s3cret words\nignored\n";
  auto by_file = CliEnv({"TRIBUTARY_PASSPHRASE_FILE=" + pass_file.string()}, send);
  EXPECT_EQ(by_file.exit_code, 0) << by_file.err;
  EXPECT_TRUE(FailsWithOneErrorLine(
      CliEnv({"TRIBUTARY_PASSPHRASE_FILE=" + (tmp.path() / "none").string()}, send),
      "TRIBUTARY_PASSPHRASE_FILE"));

  // Export writes the unencrypted key file; import reads it back under another name.
  const fs::path exported = tmp.path() / "frida.key";
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"keys", "export", "frida", "--out", exported.string()})));
  EXPECT_FALSE(fs::exists(exported));
  auto ex = CliEnv({pass}, {"keys", "export", "frida", "--out", exported.string()});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_NE(ReadFileBytes(exported).find("\"seed\""), std::string::npos);
  EXPECT_TRUE(FailsWithOneErrorLine(
      CliEnv({pass}, {"keys", "export", "frida", "--out", exported.string()}), "exists"));
  auto im = CliEnv({"TRIBUTARY_PASSPHRASE=another"},
                   {"keys", "import", "--name", "frida-copy", exported.string()});
  ASSERT_EQ(im.exit_code, 0) << im.err;
  EXPECT_EQ(Lines(Cli({"keys", "show", "frida-copy", "--address"}).out).at(0), address);
  EXPECT_TRUE(CliJson({"keys", "show", "frida-copy"}).value("encrypted", false));
  // An encrypted key file imports with its passphrase; a bare hex seed imports too.
  auto im2 = CliEnv({pass}, {"keys", "import", "--name", "frida-sealed",
                             (node_->home() / "keys" / "frida.json").string()});
  ASSERT_EQ(im2.exit_code, 0) << im2.err;
  auto seed_json = json::parse(ReadFileBytes(exported));
  const fs::path seed_file = tmp.path() / "seed.hex";
  std::ofstream(seed_file) << "  " << seed_json["seed"].get<std::string>() << "\n";
  auto im3 = Cli({"keys", "import", "--name", "frida-hex", seed_file.string(), "--unencrypted"});
  ASSERT_EQ(im3.exit_code, 0) << im3.err;
  EXPECT_EQ(Lines(Cli({"keys", "show", "frida-hex", "--address"}).out).at(0), address);
  const fs::path junk = tmp.path() / "junk";
  std::ofstream(junk) << "{\"seed\": \"zz\"}";
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"keys", "import", "--name", "junk", junk.string(), "--unencrypted"}), "junk"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli(
      {"keys", "import", "--name", "none", (tmp.path() / "missing").string(), "--unencrypted"})));
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"keys", "import", "--name", "frida", seed_file.string(), "--unencrypted"}), "exists"));

  // Upgrade: an unencrypted key is encrypted in place and keeps its address.
  auto upgraded = CliEnv({pass}, {"keys", "upgrade", "frida-hex"});
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.err;
  EXPECT_TRUE(CliJson({"keys", "show", "frida-hex"}).value("encrypted", false));
  EXPECT_EQ(Lines(Cli({"keys", "show", "frida-hex", "--address"}).out).at(0), address);
  EXPECT_TRUE(
      FailsWithOneErrorLine(CliEnv({pass}, {"keys", "upgrade", "frida-hex"}), "already encrypted"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"keys", "upgrade"}), "--all"));
}

// `keys upgrade --all` in a keystore of an earlier version, and a node whose sequencer key is
// encrypted (`keys upgrade --file`).
TEST(CliKeysTest, UpgradeAllAndAnEncryptedSequencerKey) {
  TempDir tmp;
  const std::string home = "TRIBUTARY_HOME=" + (tmp.path() / "home").string();
  const std::string pass = "TRIBUTARY_PASSPHRASE=operator pass";
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(RunTributary({"keys", "new", "--name", name, "--unencrypted"}, {home}).exit_code, 0);
  }
  auto all = RunTributary({"--json", "keys", "upgrade", "--all"}, {home, pass});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(json::parse(all.out)["encrypted"].size(), 2u) << all.out;
  auto list = RunTributary({"--json", "keys", "list"}, {home});
  for (const auto& k : json::parse(list.out)) EXPECT_TRUE(k.value("encrypted", false)) << k;
  auto none = RunTributary({"keys", "upgrade", "--all"}, {home, pass});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.out.find("every key is encrypted already"), std::string::npos) << none.out;

  fs::path data = tmp.path() / "data";
  fs::create_directories(data);
  ASSERT_TRUE(
      Keystore::WriteKeyFile(data / "sequencer.key", "sequencer", KeyPair::Generate()).ok());
  auto up =
      RunTributary({"keys", "upgrade", "--file", (data / "sequencer.key").string()}, {home, pass});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto no_pass = RunTributaryTimed(
      {"node", "--data", data.string(), "--dev", "--listen", "127.0.0.1:0"}, {home}, 10000);
  ASSERT_FALSE(no_pass.timed_out) << "the node waited for a passphrase";
  EXPECT_NE(no_pass.exit_code, 0);
  auto lines = Lines(no_pass.out + no_pass.err);
  ASSERT_EQ(lines.size(), 1u) << no_pass.out << no_pass.err;
  EXPECT_NE(lines[0].find("sequencer"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("TRIBUTARY_PASSPHRASE"), std::string::npos) << lines[0];

  NodeProcess node(data, tmp.path() / "home");
  node.SetEnv({pass});
  EXPECT_TRUE(node.Start()) << node.output();
}

TEST_F(CliTest, KeyErrors) {
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"keys", "show", "nobody"})));
  for (std::string bad : {std::string("../escape"), std::string("a/b"), std::string("has space"),
                          std::string(65, 'k')}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(FailsWithOneErrorLine(Cli({"keys", "new", "--name", bad})));
  }
  EXPECT_FALSE(fs::exists(node_->home() / "escape.json"));
}

TEST_F(CliTest, TransferThenAccountShowsBalance) {
  Cli({"keys", "new", "--name", "carol", "--unencrypted"});
  auto sent =
      Cli({"tx", "transfer", "--from", "dev", "--to", "carol", "--amount", "12.5", "--wait"});
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  EXPECT_EQ(sent.out.rfind("committed ", 0), 0u) << sent.out;

  // `account NAME --json`, the flag after the subcommand.
  auto literal = Cli({"account", "carol", "--json"});
  ASSERT_EQ(literal.exit_code, 0) << literal.err;
  json account = json::parse(literal.out, nullptr, false);
  ASSERT_TRUE(account.is_object()) << literal.out;
  EXPECT_EQ(account.value("balance", ""), "12500000000000000000") << account;
  EXPECT_EQ(account.value("staked", ""), "0");
  // By address as well as by key name; the human form shows the token amount.
  std::string address = Lines(Cli({"keys", "show", "carol", "--address"}).out).at(0);
  EXPECT_EQ(CliJson({"account", address}).value("balance", ""), "12500000000000000000");
  auto human = Cli({"account", "carol"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("12.5 OPEN"), std::string::npos) << human.out;

  // The same transfer with --json output.
  json j =
      CliJson({"tx", "transfer", "--from", "dev", "--to", address, "--amount", "0.5", "--wait"});
  EXPECT_EQ(j.value("status", ""), "committed") << j;
  EXPECT_EQ(CliJson({"account", "carol"}).value("balance", ""), "13000000000000000000");
}

TEST_F(CliTest, GlobalFlagsAfterTheSubcommand) {
  // `tributary account dev --json --node URL`: the global flags after the subcommand.
  auto r = RunTributary({"account", "dev", "--json", "--node", node_->url()},
                        {"TRIBUTARY_HOME=" + node_->home().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(json::parse(r.out, nullptr, false).is_object()) << r.out;
}

TEST_F(CliTest, BadAmountsAreRefused) {
  Cli({"keys", "new", "--name", "dave", "--unencrypted"});
  auto dev = Keystore(node_->home()).Load("dev");
  ASSERT_TRUE(dev.ok());
  auto nonce = FetchNextNonce(node_->port(), dev->address());
  for (std::string amount : {"abc", "-1", "1.0000000000000000001", "", "1e3", "1,5", "0x10",
                             "1.2.3", "340282366920938463463374607431768211456"}) {
    SCOPED_TRACE(amount);
    auto r = Cli({"tx", "transfer", "--from", "dev", "--to", "dave", "--amount", amount});
    EXPECT_TRUE(FailsWithOneErrorLine(r));
  }
  // The `--amount=-1` spelling too.
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"tx", "transfer", "--from", "dev", "--to", "dave", "--amount=-1"})));
  // Zero is refused by the node.
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"tx", "transfer", "--from", "dev", "--to", "dave", "--amount", "0"})));
  // More than the supply.
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"tx", "transfer", "--from", "dev", "--to", "dave", "--amount", "2000000000", "--wait"}),
      "insufficient_balance"));
  // Nothing was sent.
  EXPECT_EQ(FetchNextNonce(node_->port(), dev->address()), nonce);
  EXPECT_EQ(CliJson({"account", "dave"}).value("balance", ""), "0");
}

TEST_F(CliTest, OtherTransferErrors) {
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"tx", "transfer", "--from", "nobody", "--to", "dev", "--amount", "1"})));
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"tx", "transfer", "--from", "dev", "--to", "nobody", "--amount", "1"}), "--to"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli(
      {"tx", "transfer", "--from", "dev", "--to", "trb" + std::string(48, '0'), "--amount", "1"})));
  // A fresh key cannot pay the fee.
  Cli({"keys", "new", "--name", "broke", "--unencrypted"});
  EXPECT_TRUE(FailsWithOneErrorLine(
      Cli({"tx", "transfer", "--from", "broke", "--to", "dev", "--amount", "1"}),
      "insufficient_balance"));
  // A --max-fee below the fee.
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"tx", "transfer", "--from", "dev", "--to", "broke",
                                         "--amount", "1", "--max-fee", "0.000000000000000001"}),
                                    "fee_too_low"));
}

TEST_F(CliTest, UnreachableNodeIsAClearError) {
  std::vector<std::vector<std::string>> commands = {
      {"account", "dev"},
      {"block", "latest"},
      {"tx", "transfer", "--from", "dev", "--to", "dev", "--amount", "1"},
      {"tx", "get", std::string(64, '0')},
  };
  for (auto args : commands) {
    SCOPED_TRACE(args[0]);
    args.insert(args.begin(), {"--node", "http://127.0.0.1:1"});
    auto r = RunTributaryTimed(args, {"TRIBUTARY_HOME=" + node_->home().string()}, 20000);
    ASSERT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exited);
    EXPECT_NE(r.exit_code, 0);
    auto lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(lines[0].find("cannot reach the node at http://127.0.0.1:1"), std::string::npos)
        << r.err;
  }
  // Not an http:// URL.
  auto bad = RunTributary({"--node", "ftp://example", "account", "dev"},
                          {"TRIBUTARY_HOME=" + node_->home().string()});
  EXPECT_TRUE(FailsWithOneErrorLine(bad, "--node"));
}

TEST_F(CliTest, StakeAndUnstake) {
  FundedKey("erin", "10");
  auto staked = Cli({"tx", "stake", "--from", "erin", "--amount", "5", "--wait"});
  ASSERT_EQ(staked.exit_code, 0) << staked.out << staked.err;
  EXPECT_EQ(staked.out.rfind("committed ", 0), 0u) << staked.out;
  json a = CliJson({"account", "erin"});
  EXPECT_EQ(a.value("staked", ""), "5000000000000000000") << a;
  EXPECT_EQ(a.value("unbonding", ""), "0");

  auto unstaked = Cli({"tx", "unstake", "--from", "erin", "--amount", "2", "--wait"});
  ASSERT_EQ(unstaked.exit_code, 0) << unstaked.out << unstaked.err;
  a = CliJson({"account", "erin"});
  EXPECT_EQ(a.value("staked", ""), "3000000000000000000") << a;
  EXPECT_EQ(a.value("unbonding", ""), "2000000000000000000") << a;
  EXPECT_EQ(a.value("nonce", 0), 2);

  // Unstaking more than is staked, or staking more than the balance, is refused up front.
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"tx", "unstake", "--from", "erin", "--amount", "4"}),
                                    "insufficient_balance"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"tx", "stake", "--from", "erin", "--amount", "100"}),
                                    "insufficient_balance"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"tx", "stake", "--from", "erin", "--amount", "abc"})));
  EXPECT_EQ(CliJson({"account", "erin"}).value("nonce", 0), 2);
}

TEST_F(CliTest, BlockLatestJson) {
  ASSERT_EQ(
      Cli({"tx", "transfer", "--from", "dev", "--to", "dev", "--amount", "1", "--wait"}).exit_code,
      0);
  json b = CliJson({"block", "latest"});
  ASSERT_TRUE(b.is_object()) << b;
  EXPECT_GE(b.value("height", 0), 1);
  EXPECT_EQ(b.value("hash", "").size(), 64u);
  EXPECT_EQ(b.value("state_root", "").size(), 64u);
  ASSERT_TRUE(b["txs"].is_array());
  EXPECT_EQ(b["txs"].size(), b.value("tx_count", 0u));

  json genesis = CliJson({"block", "0"});
  EXPECT_EQ(genesis.value("height", -1), 0);
  auto human = Cli({"block", "latest"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out.rfind("block ", 0), 0u) << human.out;

  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"block", "abc"}), "bad_height"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"block", "99999999"})));
}

TEST_F(CliTest, TxGetWritesAProofThatVerifies) {
  json sent =
      CliJson({"tx", "transfer", "--from", "dev", "--to", "dev", "--amount", "2", "--wait"});
  std::string hash = sent.value("hash", "");
  ASSERT_EQ(hash.size(), 64u) << sent;
  fs::path out = tmp_->path() / "proof.json";
  auto got = Cli({"tx", "get", hash, "--out", out.string()});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(got.out.find("committed"), std::string::npos) << got.out;
  auto v = RunTributary({"verify-proof", out.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(v.out.rfind("VALID", 0), 0u) << v.out;
  auto vj = RunTributary({"--json", "verify-proof", out.string()});
  EXPECT_EQ(json::parse(vj.out, nullptr, false).value("valid", false), true) << vj.out;

  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"tx", "get", std::string(64, '0')}), "tx_not_found"));
  EXPECT_TRUE(FailsWithOneErrorLine(Cli({"tx", "get", "xyz"}), "bad_hash"));
  EXPECT_TRUE(FailsWithOneErrorLine(
      RunTributary({"verify-proof", (tmp_->path() / "missing.json").string()})));

  // Account proofs through the CLI.
  fs::path acct = tmp_->path() / "account.json";
  auto proved = Cli({"account", "dev", "--prove"});
  ASSERT_EQ(proved.exit_code, 0) << proved.err;
  WriteFileBytes(acct, proved.out);
  auto va = RunTributary({"verify-proof", acct.string()});
  EXPECT_EQ(va.exit_code, 0) << va.out << va.err;
}

// ---- `tributary node` start-up errors (no shared node needed) ----

TEST(CliNodeTest, EmptyDataDirWithoutDevOrGenesis) {
  TempDir tmp;
  fs::path data = tmp.path() / "empty";
  std::vector<std::string> env = {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()};
  auto r =
      RunTributaryTimed({"node", "--data", data.string(), "--listen", "127.0.0.1:0"}, env, 10000);
  ASSERT_FALSE(r.timed_out) << "the node started without a chain";
  EXPECT_TRUE(r.exited);
  EXPECT_NE(r.exit_code, 0);
  auto lines = Lines(r.out + r.err);
  ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
  EXPECT_EQ(lines[0].rfind("error: ", 0), 0u);
  EXPECT_NE(lines[0].find("--dev"), std::string::npos) << lines[0];
  EXPECT_FALSE(fs::exists(data / "ledger.db"));

  // With a sequencer key but still no genesis: the message names both ways to create a chain.
  fs::path key = tmp.path() / "seq.key";
  ASSERT_TRUE(Keystore::WriteKeyFile(key, "sequencer", KeyPair::Generate()).ok());
  auto r2 = RunTributaryTimed(
      {"node", "--data", data.string(), "--listen", "127.0.0.1:0", "--sequencer-key", key.string()},
      env, 10000);
  ASSERT_FALSE(r2.timed_out);
  EXPECT_NE(r2.exit_code, 0);
  auto lines2 = Lines(r2.out + r2.err);
  ASSERT_EQ(lines2.size(), 1u) << r2.out << r2.err;
  EXPECT_NE(lines2[0].find("--genesis"), std::string::npos) << lines2[0];
  EXPECT_NE(lines2[0].find("--dev"), std::string::npos) << lines2[0];
}

TEST(CliNodeTest, DevWorksAfterAFailedStartWithoutGenesis) {
  // Regression: a start that failed with no_genesis left an empty ledger.db, and --dev then
  // decided by the file's existence that the chain existed and refused to create one.
  TempDir tmp;
  fs::path data = tmp.path() / "data";
  std::vector<std::string> env = {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()};
  fs::path key = data / "sequencer.key";
  ASSERT_TRUE(Keystore::WriteKeyFile(key, "sequencer", KeyPair::Generate()).ok());
  auto failed =
      RunTributaryTimed({"node", "--data", data.string(), "--listen", "127.0.0.1:0"}, env, 10000);
  ASSERT_NE(failed.exit_code, 0);
  NodeProcess node(data, tmp.path() / "home");
  EXPECT_TRUE(node.Start()) << node.output();
}

TEST(CliNodeTest, BadListenAddress) {
  TempDir tmp;
  std::vector<std::string> env = {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()};
  for (std::string listen :
       {"bad", "127.0.0.1:99999", ":80", "127.0.0.1:", "127.0.0.1:-5", "127.0.0.1:http"}) {
    SCOPED_TRACE(listen);
    auto r = RunTributaryTimed(
        {"node", "--data", (tmp.path() / "d").string(), "--dev", "--listen", listen}, env, 10000);
    ASSERT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exited);
    EXPECT_NE(r.exit_code, 0);
    auto lines = Lines(r.out + r.err);
    ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
    EXPECT_EQ(lines[0].rfind("error: ", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find("--listen"), std::string::npos) << lines[0];
  }
}

TEST(CliNodeTest, BadCacheSizes) {
  TempDir tmp;
  std::vector<std::string> env = {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()};
  for (const auto& [flag, value] :
       std::vector<std::pair<std::string, std::string>>{{"--state-cache-mib", "-1"},
                                                        {"--state-cache-mib", "99999999"},
                                                        {"--db-cache-mib", "0"},
                                                        {"--db-cache-mib", "-3"}}) {
    SCOPED_TRACE(flag + " " + value);
    auto r = RunTributaryTimed({"node", "--data", (tmp.path() / "d").string(), "--dev", "--listen",
                                "127.0.0.1:0", flag, value},
                               env, 10000);
    ASSERT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0);
    auto lines = Lines(r.out + r.err);
    ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
    EXPECT_NE(lines[0].find(flag), std::string::npos) << lines[0];
  }
}

TEST(CliNodeTest, WebDirectoryWithoutAnAppIsAClearError) {
  TempDir tmp;
  fs::path data = tmp.path() / "d";
  fs::create_directories(tmp.path() / "no-app" / "assets");
  std::vector<std::string> env = {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()};
  for (std::string web : {std::string("/nonexistent"), (tmp.path() / "no-app").string()}) {
    SCOPED_TRACE(web);
    auto r = RunTributaryTimed(
        {"node", "--data", data.string(), "--dev", "--listen", "127.0.0.1:0", "--web", web}, env,
        10000);
    ASSERT_FALSE(r.timed_out) << "the node started";
    EXPECT_TRUE(r.exited);
    EXPECT_NE(r.exit_code, 0);
    auto lines = Lines(r.out + r.err);
    ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
    EXPECT_EQ(lines[0].rfind("error: ", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find("--web " + web), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("index.html"), std::string::npos) << lines[0];
    EXPECT_FALSE(fs::exists(data)) << "refused before touching the data directory";
  }
}

TEST(CliNodeTest, WebServesTheAppAndSaysWhere) {
  TempDir tmp;
  fs::path web = tmp.path() / "web";
  fs::create_directories(web);
  std::ofstream(web / "index.html") << "<!doctype html><title>app</title>";
  NodeProcess node(
      tmp.path() / "data", tmp.path() / "home",
      {"--dev", "--block-interval-ms", "0", "--rate-limit", "0", "--web", web.string()});
  ASSERT_TRUE(node.Start()) << node.output();
  EXPECT_NE(node.output().find("web app: " + node.url() + "/\n"), std::string::npos)
      << node.output();
  auto page = HttpGet(node.port(), "/datanets/1");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<!doctype html><title>app</title>");

  // --web '' serves none, and says so.
  NodeProcess bare(tmp.path() / "data2", tmp.path() / "home",
                   {"--dev", "--block-interval-ms", "0", "--rate-limit", "0", "--web", ""});
  ASSERT_TRUE(bare.Start()) << bare.output();
  EXPECT_NE(bare.output().find("web app: none"), std::string::npos) << bare.output();
  EXPECT_TRUE(IsJsonError(HttpGet(bare.port(), "/"), 404, "web_app_missing"));
}

TEST(CliNodeTest, PortInUseIsAClearError) {
  // httplib defaults to SO_REUSEPORT; the node must not share a port with another node.
  TempDir tmp;
  NodeProcess first(tmp.path() / "a", tmp.path() / "home");
  ASSERT_TRUE(first.Start()) << first.output();
  auto r = RunTributaryTimed({"node", "--data", (tmp.path() / "b").string(), "--dev", "--listen",
                              "127.0.0.1:" + std::to_string(first.port())},
                             {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()}, 5000);
  ASSERT_FALSE(r.timed_out) << "the second node is serving on the first one's port";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("error: cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(first.Running());
}

TEST(CliNodeTest, SecondNodeOnTheSameDataDirIsRefused) {
  // Chain::Open holds an exclusive lock on DIR/LOCK: one node per data directory.
  TempDir tmp;
  NodeProcess first(tmp.path() / "data", tmp.path() / "home");
  ASSERT_TRUE(first.Start()) << first.output();
  auto r = RunTributaryTimed(
      {"node", "--data", (tmp.path() / "data").string(), "--dev", "--listen", "127.0.0.1:0"},
      {"TRIBUTARY_HOME=" + (tmp.path() / "home").string()}, 5000);
  ASSERT_FALSE(r.timed_out) << "a second node is running on the same data directory";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_TRUE(first.Running());
}

TEST(CliNodeTest, RestartKeepsTheChain) {
  // A clean stop and a restart with the same command keep height and balances.
  TempDir tmp;
  fs::path data = tmp.path() / "data", home = tmp.path() / "home";
  NodeProcess node(data, home);
  ASSERT_TRUE(node.Start()) << node.output();
  auto r = RunTributary({"--node", node.url(), "tx", "transfer", "--from", "dev", "--to", "dev",
                         "--amount", "1", "--wait"},
                        {"TRIBUTARY_HOME=" + home.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto height = HttpGet(node.port(), "/healthz").json().value("height", 0);
  EXPECT_GE(height, 1);
  EXPECT_EQ(node.Stop(), 0);
  EXPECT_NE(node.output().find("stopping"), std::string::npos);
  ASSERT_TRUE(node.Start()) << node.output();
  EXPECT_EQ(HttpGet(node.port(), "/healthz").json().value("height", -1), height);
  EXPECT_EQ(node.Stop(), 0);
  auto v = RunTributary({"ledger", "verify", "--data", data.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("ledger OK"), std::string::npos);
  // A missing ledger is an error, not a crash.
  EXPECT_TRUE(FailsWithOneErrorLine(
      RunTributary({"ledger", "verify", "--data", (tmp.path() / "nope").string()})));
}

}  // namespace
}  // namespace tributary::testing
