// Starting a child process of the node with pipes on its stdin and stdout (internal to the api
// library): the attribution runner and the serving worker's supervisor.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::http {

struct SpawnedChild {
  pid_t pid = -1;
  int stdin_fd = -1;   //!< the parent's (writing) end, close-on-exec
  int stdout_fd = -1;  //!< the parent's (reading) end, close-on-exec
};

//! Starts argv[0] with stdin and stdout on pipes and stderr appended to `stderr_path`
//! ("/dev/null" discards it). `env`: the child's environment ("NAME=value"); empty: this
//! process's. No signal is blocked in the child, although the node blocks SIGINT and SIGTERM in
//! every thread. Unavailable (reason `unavailable_reason`) when the program cannot be started.
Result<SpawnedChild> SpawnWithPipes(const std::vector<std::string>& argv,
                                    const std::vector<std::string>& env,
                                    const std::string& stderr_path,
                                    const std::string& unavailable_reason);

}  // namespace tributary::http
