// The node's serving worker: one resident `tributary-model serve` process holding the base model
// and its adapters, started, watched and restarted by the node (docs/serving.md says why a
// process and not a library in the node). Internal to the api library.
//
// The worker prints one JSON line with its port when it is ready. If it exits, requests in
// flight fail (the proxy answers 503) and it is started again after a backoff (1 s doubling to
// 30 s; reset after a minute of uptime). The worker's stdin is a pipe from the node: when the
// node dies, the worker sees EOF and exits.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/status.h"

namespace tributary::http {

struct ServeEndpoint {
  int port = 0;
  std::string token;      //!< X-Tributary-Worker-Token
  std::string base_name;  //!< the base's model id in the API
  Hash32 base_hash{};     //!< HashModelFiles(base, kBase): registered adapters must match it
  int64_t context_length = 0;
  std::filesystem::path base_dir;
};

class ServeSupervisor {
 public:
  //! `tool`: the tributary-model executable; `args`: extra arguments for `serve` (budgets);
  //! `log`: the worker's stderr is appended there.
  ServeSupervisor(std::string tool, std::vector<std::string> args, std::filesystem::path log);
  ~ServeSupervisor();
  //! Starts serving `base` (a no-op if already started).
  void Start(const std::filesystem::path& base);
  void Stop();
  //! The worker's endpoint while it is up.
  std::optional<ServeEndpoint> Ready() const;
  //! "off", "starting", "ready" or "restarting: <why>", for errors and /healthz.
  std::string State() const;
  bool started() const;

 private:
  void Run();
  //! Spawns the worker and waits for its ready line; the pid is kept in pid_.
  Result<ServeEndpoint> Spawn();

  const std::string tool_;
  const std::vector<std::string> args_;
  const std::filesystem::path log_;
  std::filesystem::path base_;
  Hash32 base_hash_{};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<ServeEndpoint> ready_;
  std::string state_ = "off";
  bool stop_ = false;
  bool started_ = false;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::thread thread_;
};

}  // namespace tributary::http
