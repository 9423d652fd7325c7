// POST /v1/attribution: the node runs `tributary-model attribute --request - --json` (which
// loads libtorch, the model, its sketches and span index; the node itself never loads libtorch)
// and answers with what it prints. A crash or hang there cannot take the node down: the child is
// killed at the timeout and the caller gets a 503.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "api/child-process.h"
#include "api/http.h"
#include "api/serve-supervisor.h"
#include "tributary/attribution/index_catalog.h"
#include "tributary/economy/model_files.h"
#include "tributary/economy/models.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

struct ChildResult {
  bool timed_out = false;
  int status = 0;
  std::string out;
};

// Runs argv with `input` on stdin; collects stdout (stderr is discarded) until exit or timeout.
Result<ChildResult> RunChild(const std::vector<std::string>& argv, const std::string& input,
                             std::chrono::milliseconds timeout) {
  TRIB_ASSIGN_OR_RETURN(SpawnedChild child,
                        SpawnWithPipes(argv, {}, "/dev/null", "attribution_unavailable"));
  const pid_t pid = child.pid;
  ChildResult r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t written = 0;
  ::fcntl(child.stdin_fd, F_SETFL, O_NONBLOCK);
  int in_fd = child.stdin_fd, out_fd = child.stdout_fd;
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  char buf[65536];
  while (out_fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int n =
        ::poll(fds, in_fd >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    if (in_fd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) written = input.size();  // the child stopped reading
      if (written == input.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = ::read(out_fd, buf, sizeof buf);
      if (got > 0) {
        r.out.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(out_fd);
        out_fd = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out_fd >= 0) ::close(out_fd);
  if (r.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = status;
  return r;
}

// Attribution in the serving worker when it serves the model's base: no process start and no
// model load, and the node hands over what it resolved (the model's adapter files, the lineage's
// span-index shards, sample rows for the data format) instead of being called back.
}  // namespace

std::optional<std::pair<int, json>> AttributeInEngine(const RouteContext& ctx, const json& body) {
  auto ep = ctx.serve ? ctx.serve->Ready() : std::nullopt;
  if (!ep || !ctx.locator || !body.contains("model")) return std::nullopt;
  const json& jm = body["model"];
  std::string model_text = jm.is_number_unsigned() ? std::to_string(jm.get<uint64_t>())
                           : jm.is_string()        ? jm.get<std::string>()
                                                   : "";
  auto id = economy::ParseModelId(model_text);
  if (!id.ok()) return std::nullopt;
  std::optional<economy::Model> model;
  Status read =
      ctx.chain->ReadState([&](const StateReader& st, const StateReader&, const BlockHeader&) {
        TRIB_ASSIGN_OR_RETURN(model, economy::LoadModel(st, *id));
        return Status::OK();
      });
  if (!read.ok() || !model || model->base_hash != ep->base_hash) return std::nullopt;
  auto adapter_dir = ctx.locator->Find(model->adapter_hash);
  if (!adapter_dir.ok()) return std::nullopt;
  auto tokenizer = attribution::TokenizerIdOfFile(ep->base_dir / "tokenizer.json");
  if (!tokenizer.ok()) return std::nullopt;
  std::vector<attribution::VersionKey> versions;
  for (const auto& d : model->data) versions.push_back({d.datanet, d.version});
  auto shards = attribution::IndexCatalog(ctx.opts->index_dir).LineageShards(*tokenizer, versions);
  if (!shards.ok())
    return std::pair<int, json>(HttpStatusFor(shards.status()), ErrorJson(shards.status()));
  json sample_rows = json::array();
  if (ctx.datanets && !versions.empty()) {
    auto rows = ctx.datanets->VersionRows(versions[0].datanet, versions[0].version, 0, 20);
    if (rows.ok()) {
      for (const auto& r : *rows) sample_rows.push_back(json::parse(r.canonical, nullptr, false));
    }
  }
  json shard_list = json::array();
  for (const auto& s : *shards) shard_list.push_back(s.string());
  json request = {{"request", body},
                  {"model",
                   {{"id", economy::OpenAiModelId(*id)},
                    {"base_dir", ep->base_dir.string()},
                    {"adapter_dir", adapter_dir->string()},
                    {"shards", shard_list},
                    {"sample_rows", sample_rows}}}};
  httplib::Client client("127.0.0.1", ep->port);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(ctx.opts->attribution_timeout));
  auto r =
      client.Post("/v1/attribution", {{"X-Tributary-Worker-Token", ep->token}},
                  request.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  if (!r) {
    return std::pair<int, json>(
        503, ErrorJson(Status::Unavailable("the serving engine went away while attributing; retry",
                                           "attribution_unavailable")));
  }
  json answer = json::parse(r->body, nullptr, false);
  if (answer.is_discarded()) {
    return std::pair<int, json>(500, ErrorJson(Status::Internal("the serving engine answered "
                                                                "attribution with bad JSON",
                                                                "attribution_failed")));
  }
  return std::pair<int, json>(r->status, std::move(answer));
}

void AddAttributionRoutes(httplib::Server& server, const RouteContext& ctx) {
  const ServerOptions* opts = ctx.opts;
  auto running = std::make_shared<std::atomic<int>>(0);
  server.Post("/v1/attribution", [opts, running, ctx](const httplib::Request& req,
                                                      httplib::Response& res) {
    auto body = ParseBody(req, res, opts->max_json_depth, opts->max_body_bytes);
    if (!body) return;
    if (!body->is_object()) {
      return SendError(res, 400, "bad_request", "the body must be a JSON object");
    }
    if (auto engine = AttributeInEngine(ctx, *body)) {
      res.set_header("x-tributary-attribution", "engine");
      return SendJson(res, engine->first, engine->second);
    }
    if (opts->model_tool.empty()) {
      return SendError(res, 503, "attribution_unavailable",
                       "this node runs no attribution (no model tool configured)");
    }
    if (running->fetch_add(1) >= opts->attribution_workers) {
      running->fetch_sub(1);
      return SendError(res, 503, "busy",
                       "all attribution workers are busy; retry in a few seconds");
    }
    std::string host = req.local_addr.empty() ? "127.0.0.1" : req.local_addr;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::vector<std::string> argv = {opts->model_tool,
                                     "--node",
                                     "http://" + host + ":" + std::to_string(req.local_port),
                                     "--json",
                                     "attribute",
                                     "--request",
                                     "-",
                                     "--index",
                                     opts->index_dir,
                                     "--models",
                                     opts->models_dir};
    auto child = RunChild(argv, body->dump(), opts->attribution_timeout);
    running->fetch_sub(1);
    if (!child.ok()) return SendStatus(res, child.status());
    if (child->timed_out) {
      return SendError(res, 503, "attribution_timeout",
                       "attribution took longer than " +
                           std::to_string(opts->attribution_timeout.count() / 1000) + " s");
    }
    // The answer is the last line it printed.
    std::string_view out = child->out;
    while (!out.empty() && out.back() == '\n') out.remove_suffix(1);
    auto nl = out.rfind('\n');
    json j = json::parse(nl == std::string_view::npos ? out : out.substr(nl + 1), nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      const json& e = j["error"];
      return SendStatus(res, Status(CodeFromName(e.value("status", "")), e.value("code", "error"),
                                    e.value("message", "attribution failed")));
    }
    if (!j.is_object() || !WIFEXITED(child->status) || WEXITSTATUS(child->status) != 0) {
      return SendError(
          res, 500, "attribution_failed",
          "the attribution process failed (exit status " + std::to_string(child->status) + ")");
    }
    j["object"] = "attribution";
    SendJson(res, 200, j);
  });
}

}  // namespace tributary::http
