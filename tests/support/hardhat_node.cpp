#include "support/hardhat_node.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "support/test_util.h"
#include "tributary/evm/rpc_client.h"

namespace tributary::testing {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// fork + exec of `argv` in contracts/ with `env` added, stdout and stderr to `out`.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::filesystem::path& out) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (::chdir(TRIBUTARY_CONTRACTS_DIR) != 0) ::_exit(126);
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int in = ::open("/dev/null", O_RDONLY);
  ::dup2(in, 0);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test, however it ends
  for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

}  // namespace

HardhatNode::HardhatNode(std::filesystem::path log) : log_(std::move(log)) {}

HardhatNode::~HardhatNode() { Kill(); }

Status HardhatNode::Start(int timeout_ms) {
  port_ = FreePort();
  pid_ = Spawn({"node", "node_modules/.bin/hardhat", "node", "--hostname", "127.0.0.1", "--port",
                std::to_string(port_)},
               {"HARDHAT_DISABLE_TELEMETRY_PROMPT=true"}, log_);
  evm::RpcClientOptions o;
  o.url = url();
  o.timeout = std::chrono::milliseconds(2000);
  auto rpc = evm::RpcClient::Create(o);
  if (!rpc.ok()) return rpc.status();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Unavailable("hardhat node exited: " + log());
    }
    if ((*rpc)->ChainId().ok()) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Unavailable("hardhat node did not answer in time: " + log());
}

void HardhatNode::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string HardhatNode::log() const { return Slurp(log_); }

Result<nlohmann::json> HardhatNode::Deploy(const std::map<std::string, std::string>& env) {
  std::vector<std::string> e = {"HARDHAT_DISABLE_TELEMETRY_PROMPT=true", "RPC_URL=" + url()};
  for (const auto& [k, v] : env) e.push_back(k + "=" + v);
  const std::filesystem::path out = log_.string() + ".deploy";
  pid_t pid = Spawn(
      {"node", "node_modules/.bin/hardhat", "run", "--network", "localhost", "scripts/deploy.js"},
      e, out);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string text = Slurp(out);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Internal("deploy.js failed: " + text);
  }
  // The JSON is the last line.
  std::string last;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  auto j = nlohmann::json::parse(last, nullptr, false);
  if (j.is_discarded()) return Status::Internal("deploy.js printed no JSON: " + text);
  return j;
}

}  // namespace tributary::testing
