// payments_bench: what paying for answers costs, through a real node. The same adapter answers
// the same questions three ways in one run: unpaid (loaded by the operator under another name, so
// no key, no attribution, no receipt), unpaid followed by its attribution (POST /v1/attribution),
// and paid (API key, reservation, attribution in the serving worker, journaled receipt). Reports
// requests/s and latency percentiles for each, the ratios to unpaid, how fast the node settles
// the paid receipts on the ledger, and the latency a paid 256-token answer adds over an unpaid one.
//
// Usage: payments_bench --tiny                     (builds a node with a tiny planted-facts model)
//        payments_bench --node URL --model ID --api-key KEY --operator-token-file FILE
//                       --adapter DIR [--prompt TEXT]...
//        [--requests 24] [--concurrency 4] [--max-tokens 16] [--long 256] [--long-runs 3]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
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
  std::string node, model, api_key, operator_token_file, adapter;
  std::vector<std::string> prompts;
  int requests = 24, concurrency = 4, max_tokens = 16, long_tokens = 256, long_runs = 3;
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

struct Result {
  double seconds = 0;
  std::vector<double> latencies;
  std::vector<std::string> request_ids;
  int errors = 0;
};

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

json Post(const Target& t, const std::string& path, const json& body, const std::string& bearer,
          std::string* request_id = nullptr) {
  httplib::Client c(t.host, t.port);
  c.set_read_timeout(600);
  httplib::Headers h;
  if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
  auto r = c.Post(path, h, body.dump(), "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), r ? r->body.c_str() : "no answer");
    return nullptr;
  }
  if (request_id) *request_id = r->get_header_value("x-tributary-request-id");
  return json::parse(r->body, nullptr, false);
}

// `mode`: 0 unpaid, 1 unpaid + attribution, 2 paid.
Result Run(const Target& t, const Args& a, const std::string& free_model, int mode, int requests,
           int max_tokens, bool ignore_eos, int concurrency) {
  Result out;
  std::atomic<int> next{0};
  std::mutex mu;
  auto worker = [&] {
    for (int i; (i = next++) < requests;) {
      const std::string& prompt = a.prompts[static_cast<size_t>(i) % a.prompts.size()];
      json body = {{"model", mode == 2 ? a.model : free_model},
                   {"messages", {{{"role", "user"}, {"content", prompt}}}},
                   {"max_tokens", max_tokens},
                   {"temperature", 0}};
      if (ignore_eos) body["ignore_eos"] = true;
      auto start = Clock::now();
      std::string id;
      json r = Post(t, "/v1/chat/completions", body, mode == 2 ? a.api_key : "", &id);
      if (r.is_object() && mode == 1) {
        r = Post(t, "/v1/attribution",
                 {{"model", a.model},
                  {"prompt", prompt},
                  {"output", r["choices"][0]["message"].value("content", "")},
                  {"min_len", 3}},
                 "");
      }
      double s = std::chrono::duration<double>(Clock::now() - start).count();
      std::lock_guard<std::mutex> lock(mu);
      if (!r.is_object()) {
        out.errors++;
        continue;
      }
      out.latencies.push_back(s);
      if (mode == 2) out.request_ids.push_back(id);
    }
  };
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) threads.emplace_back(worker);
  for (auto& th : threads) th.join();
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto v = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--tiny")
      a.tiny = true;
    else if (k == "--node")
      a.node = v();
    else if (k == "--model")
      a.model = v();
    else if (k == "--api-key")
      a.api_key = v();
    else if (k == "--operator-token-file")
      a.operator_token_file = v();
    else if (k == "--adapter")
      a.adapter = v();
    else if (k == "--prompt")
      a.prompts.push_back(v());
    else if (k == "--requests")
      a.requests = std::stoi(v());
    else if (k == "--concurrency")
      a.concurrency = std::stoi(v());
    else if (k == "--max-tokens")
      a.max_tokens = std::stoi(v());
    else if (k == "--long")
      a.long_tokens = std::stoi(v());
    else if (k == "--long-runs")
      a.long_runs = std::stoi(v());
    else {
      std::fprintf(stderr, "unknown argument %s (see the comment at the top of the source)\n",
                   k.c_str());
      return 2;
    }
  }
  std::unique_ptr<tributary::testing::TempDir> tmp;
  std::unique_ptr<tributary::testing::PlantedModel> planted;
  if (a.tiny) {
    tmp = std::make_unique<tributary::testing::TempDir>();
    std::fprintf(stderr, "building a node with a tiny planted-facts model...\n");
    planted = std::make_unique<tributary::testing::PlantedModel>(
        tributary::testing::BuildPlantedModel(tmp->path()));
    tributary::testing::BuildPlantedIndex(planted.get());
    if (!planted->error.empty()) {
      std::fprintf(stderr, "setup: %s\n", planted->error.c_str());
      return 1;
    }
    a.node = planted->node->url();
    a.model = planted->model;
    a.api_key = tributary::testing::PlantedApiKey(*planted, "bench-app", "1000");
    a.operator_token_file = (planted->data / "operator.token").string();
    a.adapter = planted->adapter.string();
    for (size_t i = 0; i < 8; ++i) a.prompts.push_back(planted->facts[i].prompt);
  }
  if (a.node.empty() || a.model.empty() || a.api_key.empty() || a.adapter.empty() ||
      a.operator_token_file.empty()) {
    std::fprintf(stderr,
                 "need --tiny, or --node --model --api-key --operator-token-file --adapter\n");
    return 2;
  }
  if (a.prompts.empty()) a.prompts = {"What is a pip in Quillmere?", "Who founded Quillmere?"};
  const Target t = ParseUrl(a.node);
  std::string op;
  std::ifstream(a.operator_token_file) >> op;
  const std::string free_model = "bench-unpaid-copy";
  if (Post(t, "/v1/load_lora_adapter", {{"lora_name", free_model}, {"lora_path", a.adapter}}, op)
          .is_null()) {
    return 1;
  }
  // Warm both names (adapter load, attributor cache), then measure.
  Run(t, a, free_model, 0, 2, a.max_tokens, false, 1);
  Run(t, a, free_model, 2, 2, a.max_tokens, false, 1);
  Result unpaid = Run(t, a, free_model, 0, a.requests, a.max_tokens, false, a.concurrency);
  Result attributed = Run(t, a, free_model, 1, a.requests, a.max_tokens, false, a.concurrency);
  auto paid_start = Clock::now();
  Result paid = Run(t, a, free_model, 2, a.requests, a.max_tokens, false, a.concurrency);
  // Settlement: until every paid receipt is on the ledger.
  size_t settled = 0;
  for (const auto& id : paid.request_ids) {
    for (int tries = 0; tries < 600; ++tries) {
      httplib::Client c(t.host, t.port);
      auto r = c.Get("/v1/receipts/" + id);
      if (r && r->status == 200) {
        settled++;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  const double settle_s = std::chrono::duration<double>(Clock::now() - paid_start).count();

  std::printf("payments_bench: %d requests, concurrency %d, max_tokens %d, node %s, model %s\n",
              a.requests, a.concurrency, a.max_tokens, a.node.c_str(), a.model.c_str());
  std::printf("%-24s %8s %8s %8s %8s %7s\n", "mode", "req/s", "p50 s", "p99 s", "ratio", "errors");
  auto row = [&](const char* name, const Result& r) {
    double rps = r.latencies.size() / std::max(1e-9, r.seconds);
    double base = unpaid.latencies.size() / std::max(1e-9, unpaid.seconds);
    std::printf("%-24s %8.2f %8.3f %8.3f %8.2f %7d\n", name, rps, Pct(r.latencies, 0.5),
                Pct(r.latencies, 0.99), rps / base, r.errors);
  };
  row("unpaid", unpaid);
  row("unpaid + attribution", attributed);
  row("paid (key+attr+receipt)", paid);
  std::printf(
      "settled %zu of %zu paid receipts in %.2f s from the first request: %.2f receipts/s\n",
      settled, paid.request_ids.size(), settle_s, settled / std::max(1e-9, settle_s));

  // A long answer: what attribution and payment add to one request's latency. Unpaid and paid
  // alternate and each pair gives a ratio, so the machine's drift (a shared VM's neighbours) hits
  // both sides of a ratio alike; the median ratio is the figure. The first pair is reported on
  // its own: the worker's first long attribution faults its activation memory in.
  if (a.long_runs > 0) {
    auto one = [&](int mode) {
      Result r = Run(t, a, free_model, mode, 1, a.long_tokens, true, 1);
      return r.latencies.empty() ? 0.0 : r.latencies[0];
    };
    const double first_unpaid = one(0), first_paid = one(2);
    std::printf("%d-token answer, first after start: unpaid %.3f s, paid %.3f s (%+.1f%%)\n",
                a.long_tokens, first_unpaid, first_paid, 100 * (first_paid / first_unpaid - 1));
    std::vector<double> ratios, unpaid_s, paid_s;
    for (int i = 0; i < a.long_runs; ++i) {
      unpaid_s.push_back(one(0));
      paid_s.push_back(one(2));
      ratios.push_back(paid_s.back() / std::max(1e-9, unpaid_s.back()));
    }
    std::printf(
        "%d-token answer, %d alternating pairs: unpaid p50 %.3f s, paid p50 %.3f s, "
        "paid/unpaid p50 %.3f (+%.1f%%), min %.3f, max %.3f\n",
        a.long_tokens, a.long_runs, Pct(unpaid_s, 0.5), Pct(paid_s, 0.5), Pct(ratios, 0.5),
        100 * (Pct(ratios, 0.5) - 1), *std::min_element(ratios.begin(), ratios.end()),
        *std::max_element(ratios.begin(), ratios.end()));
  }
  Post(t, "/v1/unload_lora_adapter", {{"lora_name", free_model}}, op);
  return 0;
}
