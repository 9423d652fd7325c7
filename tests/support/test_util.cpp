#include "support/test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace tributary::testing {

namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

pid_t SpawnTributary(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& out_path, const std::string& err_path) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err =
      err_path == out_path ? out : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int in = ::open("/dev/null", O_RDONLY);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  // No controlling terminal and no passphrase from the caller's shell: a command that would ask
  // for a passphrase fails at once instead of waiting for someone at the terminal.
  ::setsid();
  ::unsetenv("TRIBUTARY_PASSPHRASE");
  ::unsetenv("TRIBUTARY_PASSPHRASE_FILE");
  for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> argv;
  std::string bin = TRIBUTARY_BIN;
  argv.push_back(bin.data());
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(bin.c_str(), argv.data());
  ::_exit(127);
}

CommandResult RunTributary(const std::vector<std::string>& args,
                           const std::vector<std::string>& env) {
  TempDir tmp;
  std::string out = (tmp.path() / "out").string(), err = (tmp.path() / "err").string();
  pid_t pid = SpawnTributary(args, env, out, err);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

NodeProcess::NodeProcess(std::filesystem::path data, std::filesystem::path home,
                         std::vector<std::string> extra)
    : data_(std::move(data)), home_(std::move(home)), extra_(std::move(extra)) {
  log_ = data_.parent_path() / (data_.filename().string() + ".node.log");
}

NodeProcess::~NodeProcess() {
  Kill();
  // The log sits beside the data directory (often the temp dir itself, under /tmp): keep it only
  // when the test failed, and say where.
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "node log kept: %s\n", log_.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }
}

bool NodeProcess::Start(int timeout_ms) {
  port_ = FreePort();
  std::vector<std::string> args = {"node", "--data", data_.string(), "--listen",
                                   "127.0.0.1:" + std::to_string(port_)};
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<std::string> env = env_;
  env.push_back("TRIBUTARY_HOME=" + home_.string());
  pid_ = SpawnTributary(args, env, log_.string(), log_.string());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) return false;
    if (HttpGet(port_, "/healthz").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool NodeProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void NodeProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int NodeProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string NodeProcess::output() const { return ReadFile(log_); }

HttpResponse HttpGet(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(60);
  auto r = c.Get(path.c_str());
  if (!r) return {};
  return {r->status, r->body};
}

HttpResponse HttpPost(int port, const std::string& path, const std::string& body,
                      const std::string& content_type) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(60);
  auto r = c.Post(path.c_str(), body, content_type.c_str());
  if (!r) return {};
  return {r->status, r->body};
}

}  // namespace tributary::testing
