// The engine's stats in Prometheus text format (version 0.0.4).
#include <sstream>

#include "tributary/serve/engine.h"

namespace tributary::serve {

namespace {

void Metric(std::ostringstream& out, const std::string& name, const char* type, const char* help,
            double value) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
      << name << " " << value << "\n";
}

void HistogramText(std::ostringstream& out, const std::string& name, const char* help,
                   const Histogram& h) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  int64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    out << name << "_bucket{le=\"" << h.bounds[i] << "\"} " << cumulative << "\n";
  }
  cumulative += h.counts.empty() ? 0 : h.counts.back();
  out << name << "_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << name << "_sum " << h.sum << "\n"
      << name << "_count " << h.count << "\n";
}

// Label values are model ids and adapter names: escape what the text format requires.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string Engine::MetricsText() const {
  EngineStats s = Stats();
  std::ostringstream out;
  const std::string p = "tributary_serve_";
  Metric(out, p + "requests_running", "gauge", "Requests in the running batch.", s.running);
  Metric(out, p + "requests_waiting", "gauge", "Requests queued for admission.", s.waiting);
  Metric(out, p + "kv_cache_tokens_reserved", "gauge",
         "KV-cache tokens reserved by running requests.", s.kv_tokens_reserved);
  Metric(out, p + "kv_cache_tokens_budget", "gauge", "The KV-cache budget in tokens.",
         s.kv_budget_tokens);
  Metric(out, p + "kv_cache_usage_ratio", "gauge", "Reserved KV-cache tokens over the budget.",
         s.kv_budget_tokens ? static_cast<double>(s.kv_tokens_reserved) / s.kv_budget_tokens : 0);
  Metric(out, p + "prompt_tokens_total", "counter", "Prompt tokens prefilled.", s.prompt_tokens);
  Metric(out, p + "generation_tokens_total", "counter", "Tokens generated.", s.generation_tokens);
  Metric(out, p + "steps_total", "counter", "Batched forward steps.", s.steps);
  Metric(out, p + "step_sequences_total", "counter",
         "Sequences in each batched step, summed over steps.", s.step_sequences);
  Metric(out, p + "step_adapters_total", "counter",
         "Distinct adapters in each batched step, summed over steps.", s.step_adapters);
  Metric(out, p + "requests_finished_total", "counter", "Requests answered.", s.requests_finished);
  Metric(out, p + "requests_failed_total", "counter", "Requests that ended in an error.",
         s.requests_failed);
  Metric(out, p + "requests_cancelled_total", "counter",
         "Requests cancelled (the client went away).", s.requests_cancelled);
  Metric(out, p + "requests_refused_total", "counter", "Requests refused with 429 (queue full).",
         s.refused);
  Metric(out, p + "adapter_cache_hits_total", "counter", "Requests whose adapter was cached.",
         s.adapter_hits);
  Metric(out, p + "adapter_cache_misses_total", "counter",
         "Requests whose adapter had to be loaded.", s.adapter_misses);
  Metric(out, p + "adapter_loads_total", "counter", "Adapters loaded.", s.adapter_loads);
  Metric(out, p + "adapter_load_failures_total", "counter", "Adapter loads that failed.",
         s.adapter_load_failures);
  Metric(out, p + "adapter_evictions_total", "counter", "Adapters evicted from the host cache.",
         s.adapter_evictions);
  Metric(out, p + "adapter_cache_bytes", "gauge", "Bytes of adapters in the host cache.",
         s.adapter_cache_bytes);
  Metric(out, p + "adapters_cached", "gauge", "Adapters in the host cache.", s.adapters_cached);
  HistogramText(out, p + "time_to_first_token_seconds", "From submission to the first token.",
                s.ttft_seconds);
  HistogramText(out, p + "queue_time_seconds",
                "From submission to joining the running batch (admission).", s.queue_seconds);
  HistogramText(out, p + "inter_token_latency_seconds", "Between consecutive tokens of a request.",
                s.itl_seconds);
  HistogramText(out, p + "adapter_load_seconds", "Time to read an adapter into the host cache.",
                s.adapter_load_seconds);
  out << "# HELP " << p << "requests_total Requests submitted, by model (at most "
      << EngineStats::kMaxModelLabels << " names; the rest as \"other\").\n# TYPE " << p
      << "requests_total counter\n";
  for (const auto& [model, count] : s.requests_by_model) {
    out << p << "requests_total{model=\"" << LabelValue(model) << "\"} " << count << "\n";
  }
  return out.str();
}

}  // namespace tributary::serve
