// Shared pieces of the `tributary` command line.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tributary/base/status.h"

namespace tributary::cli {

//! Options every command understands.
struct Common {
  std::string node = "http://127.0.0.1:8645";
  bool json = false;
};

//! Prints "error: <message>" to stderr and returns exit code 1.
int Fail(const Status& s);
//! Prints JSON (pretty) to stdout.
void PrintJson(const nlohmann::json& j);

//! A JSON HTTP call to the node. Non-2xx answers become a Status carrying the node's error.
Result<nlohmann::json> NodeGet(const Common& c, const std::string& path);
Result<nlohmann::json> NodePost(const Common& c, const std::string& path,
                                const nlohmann::json& body);

//! True when the command line names a model command (model ..., generate).
bool IsModelCommand(int argc, char** argv);
//! Replaces this process with tributary-model (beside this executable) and the same arguments;
//! returns only on failure, with the exit code.
int ExecModelBinary(int argc, char** argv);

//! True when stderr is a terminal and --json is off: progress lines are shown.
bool ShowProgress(const Common& c);

}  // namespace tributary::cli
