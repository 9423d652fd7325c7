// Shared pieces of the `tributary` command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tributary/base/keys.h"
#include "tributary/base/status.h"

namespace tributary::cli {

//! Options every command understands.
struct Common {
  std::string node = "http://127.0.0.1:8645";
  bool json = false;
  std::string api_key;  //!< sent as "Authorization: Bearer" (paid models); --api-key
};

//! Prints "error: <message>" to stderr and returns exit code 1.
int Fail(const Status& s);
//! Prints JSON (pretty) to stdout.
void PrintJson(const nlohmann::json& j);

//! After SubmitTxAndWait: the tx answer under --json, else `line` with the tx hash and block.
//! Returns 0 (the exit code).
int PrintTxDone(const Common& c, const nlohmann::json& answer, const std::string& line);
//! An attribute of the first event `type` in a tx answer's receipt.
std::optional<std::string> TxEventAttr(const nlohmann::json& answer, const std::string& type,
                                       const std::string& attr);
//! A JSON string of base units as a token quantity ("1.5"); "?" when it is not one.
std::string TokensText(const nlohmann::json& base_units);

//! The non-empty items of a comma-separated list ("a,,b" -> {a, b}).
std::vector<std::string> SplitComma(const std::string& s);

//! A Datanet version named on the command line (DATANET@VERSION).
struct VersionRef {
  uint64_t datanet = 0;
  uint32_t version = 0;
};
//! Parses "1@2,3@1": at least one item, no item twice. InvalidArgument (reason "bad_data")
//! naming `option` (e.g. "--data") otherwise.
Result<std::vector<VersionRef>> ParseVersions(const std::string& text, const std::string& option);

//! "HOST:PORT" as (host, port); InvalidArgument (reason "bad_listen") naming --listen.
Result<std::pair<std::string, int>> ParseListen(const std::string& listen);

//! An address ("trb..."), or the name of a key in the local keystore.
Result<Address> ResolveAddress(const std::string& text);

//! A JSON HTTP call to the node. Non-2xx answers become a Status carrying the node's error.
Result<nlohmann::json> NodeGet(const Common& c, const std::string& path);
Result<nlohmann::json> NodePost(const Common& c, const std::string& path,
                                const nlohmann::json& body);

//! POSTs `body` to an OpenAI streaming route and calls `on_event` with each server-sent event's
//! JSON (keep-alive comments and [DONE] skipped). An error answer, or an error event mid-stream,
//! becomes the Status.
Status NodeStream(const Common& c, const std::string& path, const nlohmann::json& body,
                  const std::function<void(const nlohmann::json&)>& on_event);

//! Uploads files as multipart/form-data (each a part with its file name) plus, when given, a
//! part "tx" holding the tx JSON. With `progress`, shows bytes sent, rate and ETA on stderr.
Result<nlohmann::json> NodePostFiles(const Common& c, const std::string& path,
                                     const std::vector<std::pair<std::string, std::string>>& files,
                                     const std::optional<nlohmann::json>& tx, bool progress);

//! A one-line progress display on stderr ("\r" updates, at most 5 a second): done/total in
//! `unit`, the rate and the ETA. Prints nothing when disabled.
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::string label, std::string unit, double unit_scale = 1)
      : enabled_(enabled),
        label_(std::move(label)),
        unit_(std::move(unit)),
        scale_(unit_scale),
        start_(std::chrono::steady_clock::now()) {}
  //! Ends the line with "\n" when done == total.
  void Update(uint64_t done, uint64_t total);
  //! Ends a line left short of its total (a step that stopped early), so later output starts
  //! on a line of its own.
  void Finish();

 private:
  bool enabled_;
  bool open_ = false;  //!< a line is shown and not yet ended
  std::string label_, unit_;
  double scale_;
  std::chrono::steady_clock::time_point start_, last_{};
};

//! True when the command line names a command run by tributary-model (model init,
//! model init-adapter, generate, factory ..., index ..., attribute, attribution ...).
bool IsModelCommand(int argc, char** argv);
//! The directory of the running executable ("." when /proc/self/exe cannot be read).
std::filesystem::path ExecutableDir();
//! tributary-model beside this executable.
std::filesystem::path ModelToolPath();
//! Replaces this process with tributary-model (beside this executable) and the same arguments;
//! returns only on failure, with the exit code.
int ExecModelBinary(int argc, char** argv);

//! True when stderr is a terminal and --json is off: progress lines are shown.
bool ShowProgress(const Common& c);

}  // namespace tributary::cli
