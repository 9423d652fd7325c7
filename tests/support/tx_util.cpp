#include "support/tx_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tributary/api/node_server.h"
#include "tributary/base/encoding.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::testing {

using json = nlohmann::json;

std::optional<ChainInfo> FetchChainInfo(int port) {
  auto r = HttpGet(port, "/v1/chain");
  if (r.status != 200) return std::nullopt;
  json j = r.json();
  if (!j.is_object() || !j.contains("chain_id") || !j.contains("params")) return std::nullopt;
  try {
    ChainInfo c;
    c.chain_id = j["chain_id"].get<std::string>();
    c.decimals = j["token"].value("decimals", 18);
    c.sequencer_hex = j.value("sequencer", "");
    const json& p = j["params"];
    auto base = ParseAmount(p.value("base_fee", "0"));
    auto per = ParseAmount(p.value("fee_per_byte", "0"));
    if (!base.ok() || !per.ok()) return std::nullopt;
    c.params.base_fee = *base;
    c.params.fee_per_byte = *per;
    c.params.max_tx_bytes = p.value("max_tx_bytes", c.params.max_tx_bytes);
    c.params.max_block_txs = p.value("max_block_txs", c.params.max_block_txs);
    c.params.unbonding_blocks = p.value("unbonding_blocks", c.params.unbonding_blocks);
    return c;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

json FetchAccount(int port, const Address& address) {
  auto r = HttpGet(port, "/v1/accounts/" + address.ToString());
  if (r.status != 200) return json(nullptr);
  json j = r.json();
  return j.is_discarded() ? json(nullptr) : j;
}

std::optional<uint64_t> FetchNextNonce(int port, const Address& address) {
  json j = FetchAccount(port, address);
  if (!j.is_object() || !j.contains("next_nonce") || !j["next_nonce"].is_number_unsigned()) {
    return std::nullopt;
  }
  return j["next_nonce"].get<uint64_t>();
}

Transaction BuildTx(const ChainInfo& chain, const KeyPair& key, uint64_t nonce,
                    const std::string& kind, Bytes payload, std::optional<Amount> max_fee) {
  Transaction tx;
  tx.chain_id = chain.chain_id;
  tx.sender = key.public_key();
  tx.nonce = nonce;
  tx.kind = kind;
  tx.payload = std::move(payload);
  if (max_fee) {
    tx.max_fee = *max_fee;
  } else {
    // max_fee is a fixed-width field, so its value does not change the encoded size.
    tx.max_fee = chain.params.FeeFor(tx.Encode().size()).value_or(0);
  }
  tx.SignWith(key);
  return tx;
}

Transaction BuildTransfer(const ChainInfo& chain, const KeyPair& key, uint64_t nonce,
                          const Address& to, Amount amount) {
  // Encoded directly rather than through the kind's JSON form, which refuses a zero amount: tests
  // send zero transfers on purpose, to see the node refuse them.
  return BuildTx(chain, key, nonce, "transfer", Writer().Fixed(to.bytes).U128(amount).bytes());
}

std::string RawBody(const Transaction& tx) { return json{{"raw", ToHex(tx.Encode())}}.dump(); }

HttpResponse SubmitTx(int port, const Transaction& tx, bool wait_commit) {
  return HttpPost(port, wait_commit ? "/v1/tx?wait=commit" : "/v1/tx", RawBody(tx));
}

std::optional<std::string> TransferAndWait(int port, const ChainInfo& chain, const KeyPair& key,
                                           const Address& to, Amount amount) {
  auto nonce = FetchNextNonce(port, Address::FromPublicKey(key.public_key()));
  if (!nonce) return std::nullopt;
  Transaction tx = BuildTransfer(chain, key, *nonce, to, amount);
  auto r = SubmitTx(port, tx, true);
  if (r.status != 200) return std::nullopt;
  json j = r.json();
  if (!j.is_object() || j.value("status", "") != "committed") return std::nullopt;
  return j.value("hash", "");
}

::testing::AssertionResult HasErrorShape(const HttpResponse& r) {
  json j = r.json();
  if (j.is_discarded()) {
    return ::testing::AssertionFailure() << "HTTP " << r.status << " body is not JSON: " << r.body;
  }
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return ::testing::AssertionFailure()
           << "HTTP " << r.status << " body has no error object: " << r.body;
  }
  const json& e = j["error"];
  if (!e.contains("code") || !e["code"].is_string() || e["code"].get<std::string>().empty()) {
    return ::testing::AssertionFailure() << "error.code is not a non-empty string: " << r.body;
  }
  if (!e.contains("message") || !e["message"].is_string() ||
      e["message"].get<std::string>().empty()) {
    return ::testing::AssertionFailure() << "error.message is not a non-empty string: " << r.body;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsJsonError(const HttpResponse& r, int status, const std::string& code) {
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "expected HTTP " << status << " (" << code << "), got " << r.status << ": " << r.body;
  }
  auto shape = HasErrorShape(r);
  if (!shape) return shape;
  std::string got = r.json()["error"]["code"].get<std::string>();
  if (got != code) {
    return ::testing::AssertionFailure()
           << "expected error code " << code << ", got " << got << ": " << r.body;
  }
  return ::testing::AssertionSuccess();
}

KeyPair TestKey(uint8_t tag) {
  std::array<uint8_t, 32> seed{};
  seed.fill(0x5a);
  seed[0] = tag;
  return KeyPair::FromSeed(seed);
}

Amount Tokens(uint64_t n) { return Amount{n} * Pow10(18); }

TimedCommandResult RunTributaryTimed(const std::vector<std::string>& args,
                                     const std::vector<std::string>& env, int timeout_ms) {
  TempDir tmp;
  std::string out_path = (tmp.path() / "out").string(), err_path = (tmp.path() / "err").string();
  auto start = std::chrono::steady_clock::now();
  pid_t pid = SpawnTributary(args, env, out_path, err_path);
  TimedCommandResult r;
  int status = 0;
  auto deadline = start + std::chrono::milliseconds(timeout_ms);
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exited = WIFEXITED(status);
  r.exit_code = r.exited ? WEXITSTATUS(status) : -1;
  r.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  r.out = ReadFileBytes(out_path);
  r.err = ReadFileBytes(err_path);
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileBytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string FlipHexDigit(std::string hex, size_t pos) {
  if (pos >= hex.size()) return hex;
  hex[pos] = hex[pos] == '0' ? '1' : '0';
  return hex;
}

// One "error: ..." line on stderr and a plain non-zero exit (no signal, no usage dump).
::testing::AssertionResult FailsWithOneErrorLine(const CommandResult& r,
                                                 const std::string& needle) {
  if (r.exit_code == 0) return ::testing::AssertionFailure() << "exit 0; out: " << r.out;
  if (r.exit_code >= 128)
    return ::testing::AssertionFailure() << "killed by a signal: " << r.exit_code;
  auto lines = Lines(r.err);
  if (lines.size() != 1) {
    return ::testing::AssertionFailure()
           << "expected one stderr line, got " << lines.size() << ":\n"
           << r.err;
  }
  if (lines[0].rfind("error: ", 0) != 0)
    return ::testing::AssertionFailure() << "not an error line: " << r.err;
  if (!needle.empty() && lines[0].find(needle) == std::string::npos) {
    return ::testing::AssertionFailure() << "'" << needle << "' not in: " << lines[0];
  }
  return ::testing::AssertionSuccess();
}

CommandResult RunCli(const NodeProcess& node, std::vector<std::string> args) {
  args.insert(args.begin(), {"--node", node.url()});
  return RunTributary(args, {"TRIBUTARY_HOME=" + node.home().string()});
}

nlohmann::json RunCliJson(const NodeProcess& node, std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  auto r = RunCli(node, args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

std::string FundedKey(const NodeProcess& node, const std::string& name, const std::string& amount) {
  RunCli(node, {"keys", "new", "--name", name, "--unencrypted"});
  auto r =
      RunCli(node, {"tx", "transfer", "--from", "dev", "--to", name, "--amount", amount, "--wait"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto a = RunCli(node, {"keys", "show", name, "--address"}).out;
  return a.substr(0, a.find('\n'));
}

uint64_t CreatePublishedDatanet(const NodeProcess& node, const std::filesystem::path& dir,
                                const std::string& name, const std::vector<std::string>& extra,
                                const std::vector<UploadFile>& files, std::string* error) {
  std::vector<std::string> args = {"--json",    "datanet", "create",    "--name", name,
                                   "--summary", "test",    "--license", "MIT"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto c = RunCli(node, args);
  nlohmann::json j = nlohmann::json::parse(c.out, nullptr, false);
  if (c.exit_code != 0 || j.is_discarded()) {
    *error = "create " + name + ": " + c.err;
    return 0;
  }
  const uint64_t id = j["datanet"].value("id", uint64_t{0});
  for (const auto& f : files) {
    std::filesystem::path p = dir / f.name;
    WriteFileBytes(p, f.content);
    std::vector<std::string> up_args = {"--json",    "datanet",          "contribute",
                                        "--datanet", std::to_string(id), p.string()};
    if (!f.from.empty()) up_args.insert(up_args.end(), {"--from", f.from});
    auto up = RunCli(node, up_args);
    nlohmann::json u = nlohmann::json::parse(up.out, nullptr, false);
    if (up.exit_code != 0 || u.is_discarded() || u.value("status", "") != "accepted") {
      *error = "contribute " + f.name + " to " + name + ": " + up.out + up.err;
      return 0;
    }
  }
  auto pub = RunCli(node, {"datanet", "publish", std::to_string(id)});
  if (pub.exit_code != 0) {
    *error = "publish " + name + ": " + pub.err;
    return 0;
  }
  return id;
}

}  // namespace tributary::testing
