// `tributary serve`: the serving worker (serve/worker.h) on its own, or started by `tributary node
// --base` (which reads the ready line and passes the worker token in TRIBUTARY_WORKER_TOKEN).
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/serve-commands.h"
#include "tributary/attribution/service.h"
#include "tributary/serve/engine.h"
#include "tributary/serve/worker.h"

namespace tributary::cli {

int RunServe(const Common& common, const ServeArgs& args) {
  auto listen = ParseListen(args.listen);
  if (!listen.ok()) return Fail(listen.status());
  // The node reads one line from our stdout and then closes it; a later write must not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  serve::EngineOptions eo;
  eo.base_dir = args.base;
  eo.dtype = args.dtype;
  eo.base_name = args.name;
  eo.max_active_adapters = args.budgets.max_active_adapters;
  eo.adapter_cache_bytes = args.budgets.adapter_cache_mb << 20;
  eo.adapter_dtype = args.budgets.adapter_dtype;
  eo.kv_budget_tokens = args.budgets.kv_budget_tokens;
  eo.max_queued = args.budgets.max_queued;
  eo.max_step_tokens = args.budgets.max_step_tokens;
  eo.prefill_chunk = args.budgets.prefill_chunk;
  eo.max_running = args.budgets.max_running;
  eo.max_overtakes = args.budgets.max_overtakes;
  eo.threads = args.budgets.threads;
  auto start = std::chrono::steady_clock::now();
  auto engine = serve::Engine::Open(eo);
  if (!engine.ok()) return Fail(engine.status());
  // Attribution runs here too, on the base already in memory.
  attribution::AttributionService attribution((*engine)->shared_base());
  serve::WorkerOptions wo;
  wo.attribute = [&attribution](const nlohmann::json& body) { return attribution.Handle(body); };
  wo.host = listen->first;
  wo.port = listen->second;
  if (const char* token = std::getenv("TRIBUTARY_WORKER_TOKEN")) wo.token = token;
  serve::WorkerServer server(engine->get(), wo);
  Status s = server.Start();
  if (!s.ok()) return Fail(s);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string url = "http://" + wo.host + ":" + std::to_string(server.port());
  // One line, always JSON: the node parses it.
  std::cout << nlohmann::json{{"listening", url},
                              {"port", server.port()},
                              {"base", (*engine)->options().base_name},
                              {"context_length", (*engine)->context_length()},
                              {"load_seconds", load_s}}
                   .dump()
            << std::endl;
  if (!common.json) {
    std::cerr << "tributary serve: " << (*engine)->options().base_name << " loaded in " << load_s
              << " s, listening on " << url << "\n";
  }
  // Started by a node, stdin is a pipe from it: EOF means the node is gone, so stop too.
  std::atomic<bool> parent_gone{false};
  if (!::isatty(0)) {
    std::thread([&parent_gone] {
      char buf[256];
      while (::read(0, buf, sizeof buf) > 0) {
      }
      parent_gone = true;
      ::kill(::getpid(), SIGTERM);
    }).detach();
  }
  int sig = 0;
  sigwait(&signals, &sig);
  server.Stop();
  engine->reset();
  ::_exit(0);  // the stdin reader may still block in read()
}

}  // namespace tributary::cli
