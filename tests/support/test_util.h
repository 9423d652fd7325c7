// Helpers for tests: temporary directories, a real node process, HTTP calls.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace tributary::testing {

//! A fresh directory under /tmp, removed (recursively) on destruction.

//! Runs the tributary binary to completion; returns exit code, stdout and stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunTributary(const std::vector<std::string>& args,
                           const std::vector<std::string>& env = {});

//! Forks and execs the tributary binary with stdin from /dev/null and stdout/stderr to files
//! (the same file when the paths are equal); returns the child's pid.
pid_t SpawnTributary(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& out_path, const std::string& err_path);

//! A `tributary node` child process on a free loopback port.
class NodeProcess {
 public:
  //! Starts `tributary node --data DIR --listen 127.0.0.1:PORT EXTRA...` with TRIBUTARY_HOME=home.
  NodeProcess(std::filesystem::path data, std::filesystem::path home,
              std::vector<std::string> extra = {"--dev", "--block-interval-ms", "0", "--rate-limit",
                                                "0"});
  ~NodeProcess();
  //! More NAME=VALUE variables for the process (before Start).
  void SetEnv(std::vector<std::string> env) { env_ = std::move(env); }
  //! Starts it and waits for /healthz; false if it exited or never answered (see output()).
  bool Start(int timeout_ms = 15000);
  //! SIGKILL and reap.
  void Kill();
  //! SIGTERM and reap; returns the exit status.
  int Stop();
  bool Running();
  //! What the process printed so far (stdout and stderr).
  std::string output() const;
  int port() const { return port_; }
  //! The process id (-1 before Start).
  pid_t pid() const { return pid_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& home() const { return home_; }

 private:
  std::filesystem::path data_, home_, log_;
  std::vector<std::string> extra_, env_;
  int port_ = 0;
  pid_t pid_ = -1;
};

//! A free TCP port on 127.0.0.1 (bound and released).
int FreePort();

struct HttpResponse {
  int status = 0;  //!< 0 when the connection failed
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};
HttpResponse HttpGet(int port, const std::string& path);
HttpResponse HttpPost(int port, const std::string& path, const std::string& body,
                      const std::string& content_type = "application/json");

}  // namespace tributary::testing
