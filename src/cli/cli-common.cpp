#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli/cli.h"
#include "cli/commands.h"
#include "tributary/base/keystore.h"

namespace tributary::cli {

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << " (" << s.reason() << ")\n";
  return 1;
}

int PrintTxDone(const Common& c, const nlohmann::json& answer, const std::string& line) {
  if (c.json) {
    PrintJson(answer);
  } else {
    std::cout << line << " (tx " << answer.value("hash", "") << ", block "
              << answer.value("height", 0) << ")\n";
  }
  return 0;
}

std::optional<std::string> TxEventAttr(const nlohmann::json& answer, const std::string& type,
                                       const std::string& attr) {
  if (!answer.contains("receipt")) return std::nullopt;
  for (const auto& e : answer["receipt"].value("events", nlohmann::json::array())) {
    if (e.value("type", "") != type || !e["attrs"].contains(attr)) continue;
    return e["attrs"][attr].get<std::string>();
  }
  return std::nullopt;
}

std::string TokensText(const nlohmann::json& base_units) {
  auto a = ParseAmount(base_units.is_string() ? base_units.get<std::string>() : "0");
  return a.ok() ? FormatTokens(*a) : "?";
}

void PrintJson(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<std::vector<VersionRef>> ParseVersions(const std::string& text, const std::string& option) {
  std::vector<VersionRef> out;
  for (const auto& item : SplitComma(text)) {
    auto at = item.find('@');
    auto digits = [](const std::string& s) {
      return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (at == std::string::npos || !digits(item.substr(0, at)) || !digits(item.substr(at + 1))) {
      return Status::InvalidArgument(
          option + " takes DATANET@VERSION[,...] such as 1@2, not '" + item + "'", "bad_data");
    }
    VersionRef ref{std::stoull(item.substr(0, at)),
                   static_cast<uint32_t>(std::stoul(item.substr(at + 1)))};
    for (const auto& r : out) {
      if (r.datanet == ref.datanet && r.version == ref.version) {
        return Status::InvalidArgument(option + " names " + item + " twice", "bad_data");
      }
    }
    out.push_back(ref);
  }
  if (out.empty()) {
    return Status::InvalidArgument(option + " names no Datanet version", "bad_data");
  }
  return out;
}

Result<Address> ResolveAddress(const std::string& text) {
  if (text.rfind("trb", 0) == 0 && text.size() == 51) return Address::Parse(text);
  auto k = Keystore(Keystore::DefaultHome()).Info(text);
  if (k.ok()) return k->address();
  auto a = Address::Parse(text);
  if (!a.ok()) {
    return Status::InvalidArgument("'" + text + "' is neither an address nor a local key name",
                                   "bad_address");
  }
  return a;
}

bool ShowProgress(const Common& c) { return !c.json && ::isatty(STDERR_FILENO); }

namespace {

Result<std::unique_ptr<httplib::Client>> MakeClient(const Common& c) {
  std::string url = c.node;
  if (url.rfind("http://", 0) != 0) {
    return Status::InvalidArgument("--node must be an http:// URL, got '" + url + "'",
                                   "bad_node_url");
  }
  auto client = std::make_unique<httplib::Client>(url);
  if (!client->is_valid())
    return Status::InvalidArgument("bad --node URL '" + url + "'", "bad_node_url");
  client->set_connection_timeout(5);
  client->set_tcp_nodelay(true);
  client->set_read_timeout(60);
  if (!c.api_key.empty()) {
    client->set_default_headers({{"Authorization", "Bearer " + c.api_key}});
  }
  return client;
}

Result<nlohmann::json> Decode(const Common& c, httplib::Result& res) {
  if (!res) {
    return Status::Unavailable("cannot reach the node at " + c.node + " (" +
                                   httplib::to_string(res.error()) +
                                   "); is `tributary node` running?",
                               "node_unreachable");
  }
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status >= 200 && res->status < 300) {
    if (j.is_discarded())
      return Status::Internal("the node answered with invalid JSON", "bad_response");
    return j;
  }
  if (!j.is_discarded() && j.contains("error") && j["error"].is_object()) {
    Code code = res->status == 404   ? Code::kNotFound
                : res->status >= 500 ? Code::kUnavailable
                                     : Code::kInvalidArgument;
    return Status(code, j["error"].value("code", "error"), j["error"].value("message", res->body));
  }
  return Status::Unavailable("the node answered HTTP " + std::to_string(res->status),
                             "bad_response");
}

}  // namespace

Result<nlohmann::json> NodeGet(const Common& c, const std::string& path) {
  TRIB_ASSIGN_OR_RETURN(auto client, MakeClient(c));
  auto res = client->Get(path.c_str());
  return Decode(c, res);
}

Result<nlohmann::json> NodePost(const Common& c, const std::string& path,
                                const nlohmann::json& body) {
  TRIB_ASSIGN_OR_RETURN(auto client, MakeClient(c));
  auto res = client->Post(path.c_str(), body.dump(), "application/json");
  return Decode(c, res);
}

Status NodeStream(const Common& c, const std::string& path, const nlohmann::json& body,
                  const std::function<void(const nlohmann::json&)>& on_event) {
  TRIB_ASSIGN_OR_RETURN(auto client, MakeClient(c));
  client->set_read_timeout(900);  // a long answer on a busy CPU
  std::string buffer, error_body;
  int status = 0;
  Status mid_stream;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "text/event-stream");
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status != 200) {
      error_body.append(data, n);
      return true;
    }
    buffer.append(data, n);
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string event = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (event.rfind("data: ", 0) != 0) continue;  // comments (keep-alives)
      std::string data_text = event.substr(6);
      if (data_text == "[DONE]") continue;
      auto j = nlohmann::json::parse(data_text, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("error") && j["error"].is_object()) {
        mid_stream = Status::Unavailable(j["error"].value("message", "the answer failed"),
                                         j["error"].value("code", "error"));
        continue;
      }
      on_event(j);
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  if (!client->send(req, res, err)) {
    return Status::Unavailable("cannot reach the node at " + c.node + " (" +
                                   httplib::to_string(err) + "); is `tributary node` running?",
                               "node_unreachable");
  }
  if (status != 200) {
    auto j = nlohmann::json::parse(error_body, nullptr, false);
    if (!j.is_discarded() && j.contains("error") && j["error"].is_object()) {
      const auto& e = j["error"];
      std::string code =
          e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "error";
      return Status(status == 404   ? Code::kNotFound
                    : status >= 500 ? Code::kUnavailable
                                    : Code::kInvalidArgument,
                    code, e.value("message", error_body));
    }
    return Status::Unavailable("the node answered HTTP " + std::to_string(status), "bad_response");
  }
  return mid_stream;
}

void ProgressLine::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (done != total && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r%s %.1f/%.1f %s", label_.c_str(), done / scale_, total / scale_,
               unit_.c_str());
  // A rate over the first instants says nothing (millions a second); wait for one.
  if (secs >= 0.2) {
    double rate = secs > 0 ? done / secs : 0;
    double eta = rate > 0 ? (total - done) / rate : 0;
    std::fprintf(stderr, "  %.1f %s/s  ETA %.0fs", rate / scale_, unit_.c_str(), eta);
  }
  std::fprintf(stderr, "   ");
  open_ = done != total;
  if (!open_) std::fprintf(stderr, "\n");
}

void ProgressLine::Finish() {
  if (open_) std::fprintf(stderr, "\n");
  open_ = false;
}

Result<nlohmann::json> NodePostFiles(const Common& c, const std::string& path,
                                     const std::vector<std::pair<std::string, std::string>>& files,
                                     const std::optional<nlohmann::json>& tx, bool progress) {
  TRIB_ASSIGN_OR_RETURN(auto client, MakeClient(c));
  client->set_read_timeout(600);  // the node validates the whole upload before answering
  // The boundary must not occur in any part (a file holding it would be cut short there).
  std::string boundary = "tributary-upload-7c1f0e5b9a2d4c38";
  const std::string tx_text = tx ? tx->dump() : std::string();
  for (int attempt = 1;; ++attempt) {
    bool clashes = tx_text.find(boundary) != std::string::npos;
    for (const auto& file : files)
      clashes = clashes || file.second.find(boundary) != std::string::npos;
    if (!clashes) break;
    boundary = "tributary-upload-7c1f0e5b9a2d4c38-" + std::to_string(attempt);
  }
  auto escape = [](const std::string& name) {
    std::string out;
    for (char ch : name) {
      if (ch == '"' || ch == '\\' || ch == '\r' || ch == '\n')
        out += '_';
      else
        out += ch;
    }
    return out;
  };
  std::string body;
  for (const auto& [name, content] : files) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
            escape(name) + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    body += content;
    body += "\r\n";
  }
  if (tx) {
    body += "--" + boundary +
            "\r\nContent-Disposition: form-data; name=\"tx\"\r\nContent-Type: "
            "application/json\r\n\r\n" +
            tx_text + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  ProgressLine line(progress, "uploading", "MB", 1e6);
  const size_t total = body.size();
  auto res = client->Post(
      path.c_str(), total,
      [&](size_t offset, size_t length, httplib::DataSink& sink) {
        size_t n = std::min<size_t>(length, 256 * 1024);
        sink.write(body.data() + offset, n);
        line.Update(offset + n, total);
        return true;
      },
      "multipart/form-data; boundary=" + boundary);
  return Decode(c, res);
}

}  // namespace tributary::cli

namespace tributary::cli {

bool IsModelCommand(int argc, char** argv) {
  bool model = false;  // saw `model`; the next word picks the binary
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--node") {
      ++i;  // skip its value
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    if (!model) {
      if (a != "model") {
        return a == "generate" || a == "factory" || a == "index" || a == "attribute" ||
               a == "attribution" || a == "serve";
      }
      model = true;
      continue;
    }
    // The registry commands talk to the node and need no libtorch: they stay in `tributary`.
    // (import and pull go to tributary-model too: they share its model library.)
    return a != "register" && a != "list" && a != "show";
  }
  return false;  // `tributary model` or `model --help`: tributary's own help (names the rest)
}

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(".") : self.parent_path();
}

std::filesystem::path ModelToolPath() { return ExecutableDir() / "tributary-model"; }

int ExecModelBinary(int argc, char** argv) {
  auto bin = ModelToolPath();
  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  std::string path = bin.string();
  args[0] = path.data();
  ::execv(path.c_str(), args.data());
  std::cerr << "error: cannot run " << path << " for the model commands (" << std::strerror(errno)
            << "); build it with `make build`\n";
  return 1;
}

Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen must be HOST:PORT, got '" + listen + "'",
                                   "bad_listen");
  }
  std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return Status::InvalidArgument("--listen port must be 0..65535, got '" + port + "'",
                                   "bad_listen");
  }
  return std::make_pair(listen.substr(0, colon), std::stoi(port));
}

std::vector<std::string> ServeBudgets::ToArgs() const {
  return {"--max-active-adapters",
          std::to_string(max_active_adapters),
          "--adapter-cache-mb",
          std::to_string(adapter_cache_mb),
          "--adapter-dtype",
          adapter_dtype,
          "--kv-budget-tokens",
          std::to_string(kv_budget_tokens),
          "--max-queued",
          std::to_string(max_queued),
          "--max-step-tokens",
          std::to_string(max_step_tokens),
          "--prefill-chunk",
          std::to_string(prefill_chunk),
          "--max-running",
          std::to_string(max_running),
          "--max-overtakes",
          std::to_string(max_overtakes),
          "--threads",
          std::to_string(threads)};
}

}  // namespace tributary::cli
