#include "api/serve-supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "api/child-process.h"
#include "tributary/base/file_hash.h"

extern char** environ;

namespace tributary::http {

namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(600);  // a large base loads from disk

std::string RandomToken() {
  unsigned char bytes[24];
  randombytes_buf(bytes, sizeof bytes);
  return ToHex(ByteView(bytes, sizeof bytes));
}

}  // namespace

ServeSupervisor::ServeSupervisor(std::string tool, std::vector<std::string> args,
                                 std::filesystem::path log)
    : tool_(std::move(tool)), args_(std::move(args)), log_(std::move(log)) {}

ServeSupervisor::~ServeSupervisor() { Stop(); }

void ServeSupervisor::Start(const std::filesystem::path& base) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stop_) return;
  started_ = true;
  base_ = base;
  state_ = "starting";
  thread_ = std::thread([this] { Run(); });
}

bool ServeSupervisor::started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return started_;
}

void ServeSupervisor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    ready_.reset();
    state_ = "off";
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<ServeEndpoint> ServeSupervisor::Ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_;
}

std::string ServeSupervisor::State() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

Result<ServeEndpoint> ServeSupervisor::Spawn() {
  ServeEndpoint ep;
  ep.token = RandomToken();
  ep.base_hash = base_hash_;
  ep.base_dir = base_;
  std::vector<std::string> argv = {tool_,          "serve",    "--base",
                                   base_.string(), "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "TRIBUTARY_WORKER_TOKEN=", 23) != 0) env.emplace_back(*e);
  }
  env.push_back("TRIBUTARY_WORKER_TOKEN=" + ep.token);
  TRIB_ASSIGN_OR_RETURN(SpawnedChild child,
                        SpawnWithPipes(argv, env, log_.string(), "serve_failed"));
  const pid_t pid = child.pid;
  const int out_fd = child.stdout_fd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pid_ = pid;
    stdin_fd_ = child.stdin_fd;
    if (stop_) ::kill(pid, SIGTERM);
  }
  // The ready line: {"listening": "http://127.0.0.1:PORT", "port": PORT, "base": NAME, ...}.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  char buf[4096];
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{out_fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
      continue;
    }
    ssize_t r = ::read(out_fd, buf, sizeof buf);
    if (r <= 0) break;
    line.append(buf, static_cast<size_t>(r));
  }
  ::close(out_fd);  // later stdout output goes nowhere; the worker logs to stderr
  auto j = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  if (!j.is_object() || !j.contains("port") || !j["port"].is_number_integer()) {
    return Status::Unavailable("the serving worker did not start; see " + log_.string(),
                               "serve_failed");
  }
  ep.port = j["port"].get<int>();
  ep.base_name = j.value("base", "");
  ep.context_length = j.value("context_length", int64_t{0});
  return ep;
}

void ServeSupervisor::Run() {
  // Registered adapters name their base by content hash; hash the base once.
  auto hash = HashModelFiles(base_, ModelFiles::kBase);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!hash.ok()) {
      state_ = "failed: " + hash.status().message();
      return;
    }
    base_hash_ = *hash;
  }
  auto backoff = std::chrono::seconds(1);
  while (true) {
    auto started_at = std::chrono::steady_clock::now();
    auto ep = Spawn();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ep.ok() && !stop_) {
        ready_ = *ep;
        state_ = "ready";
      }
    }
    pid_t pid;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pid = pid_;
    }
    int status = 0;
    if (pid > 0) {
      if (!ep.ok()) ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    ready_.reset();
    pid_ = -1;
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    stdin_fd_ = -1;
    if (stop_) return;
    std::string why = !ep.ok() ? ep.status().message()
                      : WIFSIGNALED(status)
                          ? "the worker was killed by signal " + std::to_string(WTERMSIG(status))
                          : "the worker exited with status " + std::to_string(WEXITSTATUS(status));
    if (std::chrono::steady_clock::now() - started_at > std::chrono::minutes(1)) {
      backoff = std::chrono::seconds(1);
    }
    state_ = "restarting: " + why;
    cv_.wait_for(lock, backoff, [&] { return stop_; });
    if (stop_) return;
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
    state_ = "starting";
  }
}

}  // namespace tributary::http
