// soak: the OpenAI routes of a real node at twice what the machine can answer, for minutes. First
// a closed-loop probe measures capacity (answers a second at a fixed concurrency); then requests
// arrive open-loop (Poisson) at `--load` times that rate, half paid by an API key from the
// registered adapter and half free from the base, half streamed. The node must answer what it
// cannot take with 429 (never a 5xx, never a dropped connection), complete every answer it
// accepts, and keep its resident memory (the node and its serving worker) within 10% of its level
// after warm-up. Prints a table and a verdict; exits 1 when a rule was broken. Not part of CI:
// docs/benchmarks.md records its runs.
//
// Usage: soak --tiny                     (builds a node with the test suite's planted-facts model)
//        soak --node URL --pid PID --model ID --api-key KEY [--prompt TEXT]...
//        [--minutes 10] [--load 2] [--probe-s 30] [--warmup-s 60] [--concurrency 8]
//        [--max-tokens 16] [--state-cache-mib 4] [--db-cache-mib 8] (--tiny's node)
#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/planted_model.h"
#include "support/tx_util.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  bool tiny = false;
  std::string node, model, api_key;
  pid_t pid = 0;
  std::vector<std::string> prompts;
  double minutes = 10, load = 2, probe_s = 30, warmup_s = 60;
  int concurrency = 8, max_tokens = 16;
  // --tiny: the node's two bounded ledger caches, small so that they fill during the warm-up and
  // what the memory rule then sees is growth that no cache bounds.
  std::string state_cache_mib = "4", db_cache_mib = "8";
};

struct Target {
  std::string host;
  int port = 0;
};

Target ParseUrl(const std::string& url) {
  std::string rest = url.substr(url.find("//") + 2);
  auto colon = rest.rfind(':');
  return {rest.substr(0, colon), std::stoi(rest.substr(colon + 1))};
}

// What one request came to.
enum class Outcome { kComplete, kIncomplete, kRefused429, kClientError, kServerError, kNoAnswer };

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kComplete:
      return "200 complete";
    case Outcome::kIncomplete:
      return "200 incomplete";
    case Outcome::kRefused429:
      return "429 refused";
    case Outcome::kClientError:
      return "other 4xx";
    case Outcome::kServerError:
      return "5xx";
    case Outcome::kNoAnswer:
      return "no answer";
  }
  return "?";
}

// One chat completion; `paid` asks the registered adapter with the API key, else the base.
Outcome Ask(const Target& t, const Args& a, const std::string& prompt, bool paid, bool stream) {
  httplib::Client c(t.host, t.port);
  c.set_read_timeout(300);
  c.set_connection_timeout(30);
  json body = {{"model", paid ? a.model : "base"},
               {"messages", {{{"role", "user"}, {"content", prompt}}}},
               {"max_tokens", a.max_tokens},
               {"temperature", 0},
               {"stream", stream}};
  httplib::Headers h;
  if (paid) h.emplace("Authorization", "Bearer " + a.api_key);
  auto r = c.Post("/v1/chat/completions", h, body.dump(), "application/json");
  if (!r) return Outcome::kNoAnswer;
  if (r->status == 429) return Outcome::kRefused429;
  if (r->status >= 500) return Outcome::kServerError;
  if (r->status != 200) return Outcome::kClientError;
  if (stream) {
    // Complete: a chunk with a finish_reason, no error event, and the closing [DONE].
    const bool done = r->body.find("data: [DONE]") != std::string::npos;
    const bool finished = r->body.find("\"finish_reason\":\"") != std::string::npos;
    const bool error = r->body.find("\"error\"") != std::string::npos;
    return done && finished && !error ? Outcome::kComplete : Outcome::kIncomplete;
  }
  json j = json::parse(r->body, nullptr, false);
  const bool ok = j.is_object() && j.contains("choices") && j["choices"].size() == 1 &&
                  j["choices"][0]["finish_reason"].is_string();
  return ok ? Outcome::kComplete : Outcome::kIncomplete;
}

// Resident memory (KiB) of `root` and every process below it; `own` gets root's alone.
long TreeRssKib(pid_t root, long* own) {
  std::map<pid_t, pid_t> parent;
  std::map<pid_t, long> rss;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream status(e.path() / "status");
    std::string line;
    pid_t pid = std::stoi(name), ppid = 0;
    long kib = 0;
    while (std::getline(status, line)) {
      if (line.rfind("PPid:", 0) == 0) ppid = std::stoi(line.substr(5));
      if (line.rfind("VmRSS:", 0) == 0) kib = std::stol(line.substr(6));
    }
    parent[pid] = ppid;
    rss[pid] = kib;
  }
  long total = 0;
  *own = rss.count(root) ? rss[root] : 0;
  for (const auto& [pid, kib] : rss) {
    for (pid_t p = pid; p > 1; p = parent.count(p) ? parent[p] : 0) {
      if (p == root) {
        total += kib;
        break;
      }
    }
  }
  return total;
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// The node's tributary_state_keys gauge (-1 when it cannot be read).
long StateKeys(const Target& t) {
  httplib::Client c(t.host, t.port);
  auto r = c.Get("/metrics");
  if (!r || r->status != 200) return -1;
  const std::string key = "\ntributary_state_keys ";
  auto at = r->body.find(key);
  return at == std::string::npos ? -1 : std::stol(r->body.substr(at + key.size()));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto v = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--tiny") {
      a.tiny = true;
    } else if (k == "--node") {
      a.node = v();
    } else if (k == "--pid") {
      a.pid = std::stoi(v());
    } else if (k == "--model") {
      a.model = v();
    } else if (k == "--api-key") {
      a.api_key = v();
    } else if (k == "--prompt") {
      a.prompts.push_back(v());
    } else if (k == "--minutes") {
      a.minutes = std::stod(v());
    } else if (k == "--load") {
      a.load = std::stod(v());
    } else if (k == "--probe-s") {
      a.probe_s = std::stod(v());
    } else if (k == "--warmup-s") {
      a.warmup_s = std::stod(v());
    } else if (k == "--concurrency") {
      a.concurrency = std::stoi(v());
    } else if (k == "--max-tokens") {
      a.max_tokens = std::stoi(v());
    } else if (k == "--state-cache-mib") {
      a.state_cache_mib = v();
    } else if (k == "--db-cache-mib") {
      a.db_cache_mib = v();
    } else {
      std::fprintf(stderr, "unknown argument %s (see the comment at the top of bench/soak.cpp)\n",
                   k.c_str());
      return 2;
    }
  }
  std::unique_ptr<tributary::testing::TempDir> tmp;
  std::unique_ptr<tributary::testing::PlantedModel> planted;
  if (a.tiny) {
    tmp = std::make_unique<tributary::testing::TempDir>();
    std::fprintf(stderr, "soak: building a node with a tiny planted-facts model...\n");
    planted =
        std::make_unique<tributary::testing::PlantedModel>(tributary::testing::BuildPlantedModel(
            tmp->path(), 0,
            {"--state-cache-mib", a.state_cache_mib, "--db-cache-mib", a.db_cache_mib}));
    tributary::testing::BuildPlantedIndex(planted.get());
    if (!planted->error.empty()) {
      std::fprintf(stderr, "setup: %s\n", planted->error.c_str());
      return 1;
    }
    a.node = planted->node->url();
    a.pid = planted->node->pid();
    a.model = planted->model;
    a.api_key = tributary::testing::PlantedApiKey(*planted, "soak-app", "100000");
    for (size_t i = 0; i < 8; ++i) a.prompts.push_back(planted->facts[i].prompt);
  }
  if (a.node.empty() || a.model.empty() || a.api_key.empty() || a.pid <= 0) {
    std::fprintf(stderr, "need --tiny, or --node --pid --model --api-key\n");
    return 2;
  }
  if (a.prompts.empty()) a.prompts = {"What is a pip in Quillmere?", "Who founded Quillmere?"};
  const Target t = ParseUrl(a.node);
  // Every request in flight is a socket.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  std::mutex mu;
  std::map<Outcome, long> counts;
  auto record = [&](Outcome o) {
    std::lock_guard<std::mutex> lock(mu);
    counts[o]++;
  };

  // 1. Capacity: answers a second with `concurrency` clients asking back to back.
  std::atomic<long> probe_done{0};
  {
    const auto end = Clock::now() + std::chrono::duration<double>(a.probe_s);
    std::vector<std::thread> clients;
    for (int c = 0; c < a.concurrency; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; Clock::now() < end; ++i) {
          const bool paid = (c + i) % 2 == 0;
          if (Ask(t, a, a.prompts[(c + i) % a.prompts.size()], paid, i % 2 == 1) ==
              Outcome::kComplete) {
            probe_done++;
          }
        }
      });
    }
    for (auto& th : clients) th.join();
  }
  const double capacity = static_cast<double>(probe_done.load()) / a.probe_s;
  const double rate = capacity * a.load;
  std::fprintf(stderr, "soak: capacity %.2f answers/s; offering %.2f requests/s for %.1f min\n",
               capacity, rate, a.minutes);
  if (capacity <= 0) {
    std::fprintf(stderr, "soak: the node answered nothing in the probe\n");
    return 1;
  }

  // 2. Open loop at `load` times capacity; memory sampled every 5 s.
  std::atomic<long> in_flight{0}, peak_in_flight{0}, sent{0};
  std::vector<std::pair<double, long>> rss;  // (seconds since start, KiB of node + worker)
  std::vector<long> node_rss;                // KiB of the node process alone, same times
  std::atomic<bool> stop{false};
  const long keys_before = StateKeys(t);
  const auto start = Clock::now();
  std::thread sampler([&] {
    while (!stop) {
      long own = 0;
      long kib = TreeRssKib(a.pid, &own);
      {
        std::lock_guard<std::mutex> lock(mu);
        rss.emplace_back(std::chrono::duration<double>(Clock::now() - start).count(), kib);
        node_rss.push_back(own);
      }
      for (int i = 0; i < 50 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> gap(rate);
  const auto end = start + std::chrono::duration<double>(a.minutes * 60);
  auto next = start;
  // Each request runs on its own thread (open loop: arrivals never wait for answers); finished
  // threads are joined as the loop goes, never waiting on one still running.
  struct Flight {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Flight> requests;
  for (long i = 0; Clock::now() < end; ++i) {
    next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(rng)));
    std::this_thread::sleep_until(next);
    const std::string prompt = a.prompts[static_cast<size_t>(i) % a.prompts.size()];
    in_flight++;
    peak_in_flight = std::max(peak_in_flight.load(), in_flight.load());
    sent++;
    auto done = std::make_shared<std::atomic<bool>>(false);
    requests.push_back({std::thread([&, prompt, i, done] {
                          record(Ask(t, a, prompt, i % 2 == 0, (i / 2) % 2 == 1));
                          in_flight--;
                          *done = true;
                        }),
                        done});
    if (requests.size() > 256) {
      auto running = std::partition(requests.begin(), requests.end(),
                                    [](const Flight& f) { return !*f.done; });
      for (auto it = running; it != requests.end(); ++it) it->thread.join();
      requests.erase(running, requests.end());
    }
  }
  for (auto& f : requests) f.thread.join();
  stop = true;
  sampler.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const bool alive = Alive(a.pid);
  const long keys_after = StateKeys(t);

  // Memory: the mean over the 30 s after warm-up is the level; the rest must stay within 10%.
  double level = 0;
  int level_n = 0;
  long peak = 0, low = 0;
  for (const auto& [s, kib] : rss) {
    if (s >= a.warmup_s && s < a.warmup_s + 30) {
      level += static_cast<double>(kib);
      level_n++;
    }
  }
  level = level_n ? level / level_n : 0;
  double worst = 0;
  for (const auto& [s, kib] : rss) {
    if (s < a.warmup_s) continue;
    peak = std::max(peak, kib);
    low = low == 0 ? kib : std::min(low, kib);
    if (level > 0) worst = std::max(worst, std::abs(static_cast<double>(kib) - level) / level);
  }

  std::printf(
      "soak: %s, model %s, %.1f min at %.1fx capacity (%.2f answers/s -> %.2f requests/s)\n",
      a.node.c_str(), a.model.c_str(), elapsed / 60, a.load, capacity, rate);
  std::printf("%-16s %10s %8s\n", "outcome", "requests", "share");
  const long total = sent.load();
  for (Outcome o : {Outcome::kComplete, Outcome::kRefused429, Outcome::kIncomplete,
                    Outcome::kClientError, Outcome::kServerError, Outcome::kNoAnswer}) {
    std::printf("%-16s %10ld %7.1f%%\n", OutcomeName(o), counts[o],
                total ? 100.0 * static_cast<double>(counts[o]) / static_cast<double>(total) : 0);
  }
  std::printf("%-16s %10ld   (%.1f/s offered)\n", "sent", total,
              static_cast<double>(total) / elapsed);
  std::printf("peak requests in flight %ld; answered %.2f/s\n", peak_in_flight.load(),
              static_cast<double>(counts[Outcome::kComplete]) / elapsed);
  std::printf(
      "resident memory (node + worker) after %.0f s warm-up: level %.1f MiB, low %.1f, "
      "peak %.1f, worst deviation %.1f%%\n",
      a.warmup_s, level / 1024, static_cast<double>(low) / 1024, static_cast<double>(peak) / 1024,
      100 * worst);
  if (!node_rss.empty()) {
    std::printf("the node alone: %.1f MiB after the probe, %.1f MiB at the end\n",
                static_cast<double>(node_rss.front()) / 1024,
                static_cast<double>(node_rss.back()) / 1024);
  }
  if (keys_before >= 0 && keys_after > keys_before && node_rss.size() > 1) {
    const double grew = static_cast<double>(node_rss.back() - node_rss.front()) * 1024;
    std::printf("ledger state: %ld keys -> %ld (+%ld); the node grew %.0f bytes a new key\n",
                keys_before, keys_after, keys_after - keys_before,
                grew / static_cast<double>(keys_after - keys_before));
  }
  std::printf("memory over time (s: MiB node + worker):");
  for (size_t i = 0; i < rss.size(); i += std::max<size_t>(1, rss.size() / 12)) {
    std::printf(" %.0f:%.0f", rss[i].first, static_cast<double>(rss[i].second) / 1024);
  }
  std::printf("\n");
  bool pass = true;
  auto rule = [&](bool ok, const char* what) {
    std::printf("%-4s %s\n", ok ? "ok" : "FAIL", what);
    pass = pass && ok;
  };
  rule(counts[Outcome::kServerError] == 0, "no 5xx");
  rule(counts[Outcome::kNoAnswer] == 0, "no dropped connection");
  rule(counts[Outcome::kIncomplete] == 0, "every accepted answer completed");
  rule(counts[Outcome::kClientError] == 0, "no other 4xx");
  rule(alive, "the node is still running");
  rule(level > 0 && worst <= 0.10, "resident memory within 10% of its level after warm-up");
  return pass ? 0 : 1;
}
