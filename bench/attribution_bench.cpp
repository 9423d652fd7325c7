// attribution_bench: the span-attribution index (include/tributary/attribution/span_index.h).
// For each size: build a shard (throughput in tokens/s, peak memory), its size in bytes per
// token, and Trace latency for 256-token outputs on one core (min_len 8, max_count 100).
//
// Data. Real text: Debian's `fortunes` corpus (every entry of the fortune files), tokenized by
// a simple word-level tokenizer: pieces are a word with its leading space, a run of spaces, a
// newline or one punctuation character; the 32,000 most frequent pieces get ids 256..32255
// and every other piece is spelled as its bytes (ids 0..255), so ids fit 2 bytes and the id
// distribution is Zipf-like, as with BPE. There are only about 0.9M real tokens, so beyond them
// the rows are synthetic: an order-2 Markov chain over the real token ids (rows restart at a
// random real position at a row end), row lengths drawn from the real rows. The synthetic rows
// are mostly verbatim stretches of real rows spliced where a context branches, so the index
// holds long repeats, as a Datanet of near-duplicates would.
//
// Outputs (256 tokens, --outputs of each kind):
//   copied:    stretches of 8-64 tokens copied from random indexed rows, 1-4 random tokens
//              between them (every stretch is a planted span);
//   generated: fresh text from the Markov chain (another seed): long matches, often frequent;
//   random:    uniformly random ids (almost nothing matches beyond 1-2 tokens).
// Each output is traced once to warm up (its first latency is reported as "first"), then
// --repeat times; the median of those is the output's latency. Percentiles are over outputs.
//
// Usage: attribution_bench [--sizes 1000000,10000000,100000000] [--outputs 100] [--repeat 3]
//                          [--shards K] [--cold N] [--dir DIR] [--fortunes DIR] [--seed S] [--keep]
//                          [--json] [--sample-interval S] [--sample-tokens M]
// --shards K also splits the largest size into K shards (a lineage of K versions) and traces
// over all of them. --cold N: N outputs of each kind traced with the index out of the page
// cache (default 5; 0 skips): as the node traces (sample tables in memory, Trace's I/O
// threads), with the sample tables on one thread, and with neither (the baseline).
// --sample-interval and --sample-tokens set the shards' sample table.
//
// Influence (include/tributary/attribution/influence.h), with --influence-sizes N,N,...:
//   attribution_bench --influence-sizes 10000,100000,1000000 [--influence-dim 1024]
//                     [--influence-half] [--influence-queries 10] [--influence-only]
// For each size, a synthetic sketch file of N rows (values uniform in [-1, 1), float32 or with
// --influence-half float16; contributions of 64 rows) is written to --dir, then: the one-time
// cache build for tracin (SHA-256 of the file + norms) and for trak (G^T G, Cholesky, whitened
// norms), Open with the cache in place, and per-query Score latency (median over the queries,
// after one warm-up) for both methods. The baseline, in the same process and on the same mapped
// matrix, is a raw scan: the sum of the matrix as 64-bit words, one thread per core.
// The ratio score/scan is how far a query is from the memory-bandwidth floor. --influence-only
// skips the span-index part (and needs no fortunes).
#include <fcntl.h>
#include <sys/resource.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tributary/attribution/influence.h"
#include "tributary/attribution/shard_builder.h"
#include "tributary/attribution/span_index.h"
#include "tributary/base/fortune_file.h"
#include "tributary/base/hash.h"
#include "tributary/factory/sketch.h"

namespace fs = std::filesystem;
using namespace tributary::attribution;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using tributary::Status;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double PeakRssMiB() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

uint64_t SplitMix(uint64_t& s) { return tributary::Mix64(s += 0x9E3779B97F4A7C15ULL); }

std::string Hex32(uint64_t tag, uint64_t i) {
  uint64_t s = tag * 0x100000001B3ULL + i;
  std::string out;
  char buf[17];
  for (int k = 0; k < 4; ++k) {
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(SplitMix(s)));
    out += buf;
  }
  return out;
}

// The word-level tokenizer described above.
class Tokenizer {
 public:
  static std::vector<std::string> Pieces(const std::string& text) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
      const auto c = static_cast<unsigned char>(text[i]);
      size_t j = i + 1;
      if (c == ' ' && j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]))) {
        while (j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]))) ++j;
      } else if (std::isalnum(c) || c >= 0x80) {
        while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) ||
                                   static_cast<unsigned char>(text[j]) >= 0x80)) {
          ++j;
        }
      } else if (c == ' ') {
        while (j < text.size() && text[j] == ' ') ++j;
      }
      out.push_back(text.substr(i, j - i));
      i = j;
    }
    return out;
  }

  void Train(const std::vector<std::string>& texts, size_t vocab) {
    std::unordered_map<std::string, uint64_t> freq;
    for (const auto& t : texts) {
      for (auto& p : Pieces(t)) ++freq[p];
    }
    std::vector<std::pair<uint64_t, std::string>> by;
    for (auto& [p, n] : freq) {
      if (p.size() > 1) by.emplace_back(n, p);
    }
    std::sort(by.begin(), by.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (by.size() > vocab) by.resize(vocab);
    for (size_t i = 0; i < by.size(); ++i) ids_[by[i].second] = static_cast<uint32_t>(256 + i);
  }

  std::vector<uint32_t> Encode(const std::string& text) const {
    std::vector<uint32_t> out;
    for (const auto& p : Pieces(text)) {
      auto it = ids_.find(p);
      if (it != ids_.end()) {
        out.push_back(it->second);
      } else {
        for (unsigned char c : p) out.push_back(c);
      }
    }
    return out;
  }
  uint32_t vocab() const { return static_cast<uint32_t>(256 + ids_.size()); }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
};

// Order-2 Markov chain over token ids.
class Markov {
 public:
  void Train(const std::vector<std::vector<uint32_t>>& rows) {
    for (const auto& r : rows) {
      if (r.size() < 3) continue;
      for (size_t i = 0; i + 1 < r.size(); ++i) {
        next_[Key(r[i], r[i + 1])].push_back(i + 2 < r.size() ? r[i + 2] : kEnd);
        starts_.emplace_back(r[i], r[i + 1]);
      }
    }
  }
  std::vector<uint32_t> Generate(std::mt19937_64& rng, size_t n) const {
    std::vector<uint32_t> out;
    out.reserve(n + 1);
    auto [a, b] = starts_[rng() % starts_.size()];
    out.push_back(a);
    out.push_back(b);
    while (out.size() < n) {
      const auto& succ = next_.at(Key(a, b));
      const uint32_t c = succ[rng() % succ.size()];
      if (c == kEnd) {
        std::tie(a, b) = starts_[rng() % starts_.size()];
        out.push_back(a);
        out.push_back(b);
        continue;
      }
      out.push_back(c);
      a = b;
      b = c;
    }
    out.resize(n);
    return out;
  }

 private:
  static constexpr uint32_t kEnd = UINT32_MAX;
  static uint64_t Key(uint32_t a, uint32_t b) { return uint64_t{a} << 32 | b; }
  std::unordered_map<uint64_t, std::vector<uint32_t>> next_;
  std::vector<std::pair<uint32_t, uint32_t>> starts_;
};

struct Corpus {
  std::vector<std::vector<uint32_t>> real;  // real rows
  uint64_t real_tokens = 0;
  Markov markov;
  uint32_t vocab = 0;
  std::mt19937_64 rng;
  std::vector<std::vector<uint32_t>> synthetic;  // rows after the real ones
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

struct Args {
  std::vector<uint64_t> sizes = {1000000, 10000000, 100000000};
  int outputs = 100;
  int repeat = 3;
  int shards = 1;
  int cold = 5;
  fs::path dir;
  fs::path fortunes = "/usr/share/games/fortunes";
  uint64_t seed = 1;
  bool keep = false;
  bool json = false;
  std::vector<uint64_t> influence_sizes;
  uint32_t influence_dim = 1024;
  bool influence_half = false;
  int influence_queries = 10;
  bool influence_only = false;
  uint32_t sample_interval = ShardOptions().sample_interval;
  uint32_t sample_tokens = ShardOptions().sample_tokens;
};

// Rows of a size: the real rows first (in order), then synthetic ones. Calls add(row index,
// tokens) and returns the number of real tokens used.
template <typename F>
void ForEachRow(Corpus& c, uint64_t size, F&& add) {
  uint64_t total = 0, row = 0;
  for (const auto& r : c.real) {
    if (total >= size) return;
    add(row++, r);
    total += r.size();
  }
  for (size_t i = 0; total < size; ++i) {
    if (i == c.synthetic.size()) {  // generated once, kept for the larger sizes
      const size_t len = std::max<size_t>(3, c.real[c.rng() % c.real.size()].size());
      c.synthetic.push_back(c.markov.Generate(c.rng, len));
    }
    add(row++, c.synthetic[i]);
    total += c.synthetic[i].size();
  }
}

struct Progress {
  bool tty = isatty(2);
  Clock::time_point start = Clock::now();
  void operator()(const BuildProgress& p) const {
    if (!tty) return;
    std::fprintf(stderr, "\r  %-7s %5.1f%%  %6.1f s   ", std::string(p.stage).c_str(),
                 p.total ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 0,
                 Seconds(start, Clock::now()));
  }
  void Done() const {
    if (tty) std::fprintf(stderr, "\r%60s\r", "");
  }
};

// Builds one shard from rows [first, last) of a size. Returns the build record.
json BuildOne(Corpus& c, uint64_t size, uint64_t first, uint64_t last, const fs::path& path,
              const Args& args) {
  ShardOptions options;
  options.info.tokenizer = "attribution-bench-words-32k";
  options.sample_interval = args.sample_interval;
  options.sample_tokens = args.sample_tokens;
  ShardBuilder builder(options);
  const auto t0 = Clock::now();
  uint64_t rows = 0;
  double add_s = 0;  // inside ShardBuilder::Add (the rest is making the rows)
  Progress progress;
  uint64_t real = 0;
  ForEachRow(c, size, [&](uint64_t row, const std::vector<uint32_t>& t) {
    if (row < first || row >= last) return;
    if (row < c.real.size()) real += t.size();
    const uint64_t contribution = row / 64;
    const std::string row_id = Hex32(1, row), contribution_id = Hex32(2, contribution);
    const std::string contributor = "trb1" + Hex32(3, contribution % 5000).substr(0, 38);
    const auto a0 = Clock::now();
    const Status s = builder.Add(row_id, contribution_id, contributor, t);
    add_s += Seconds(a0, Clock::now());
    if (!s.ok()) {
      std::fprintf(stderr, "attribution_bench: %s\n", s.ToString().c_str());
      std::exit(1);
    }
    ++rows;
    if (progress.tty && rows % 100000 == 0) {
      std::fprintf(stderr, "\r  rows    %8.1fM tokens   ",
                   static_cast<double>(builder.tokens()) / 1e6);
    }
  });
  const uint64_t tokens = builder.tokens();
  const auto t1 = Clock::now();
  const Status s = builder.Finish(path, progress);
  progress.Done();
  const auto t2 = Clock::now();
  if (!s.ok()) {
    std::fprintf(stderr, "attribution_bench: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  json j;
  j["tokens"] = tokens;
  j["real_tokens"] = real;
  j["rows"] = rows;
  j["generate_s"] = Seconds(t0, t1) - add_s;
  j["add_s"] = add_s;
  j["finish_s"] = Seconds(t1, t2);
  j["peak_rss_mib"] = PeakRssMiB();
  return j;
}

std::vector<std::vector<uint32_t>> MakeOutputs(const Corpus& c, const SpanIndex& index,
                                               const std::string& kind, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<uint32_t>> outs;
  for (int i = 0; i < count; ++i) {
    std::vector<uint32_t> o;
    if (kind == "copied") {
      while (o.size() < 256) {
        const ShardReader& s = index.shard(rng() % index.shards());
        const uint64_t r = rng() % s.rows();
        const auto t = s.RowTokens(r);
        if (t.size() < 8) continue;
        const size_t len = std::min<size_t>(t.size(), 8 + rng() % 57);
        const size_t b = rng() % (t.size() - len + 1);
        o.insert(o.end(), t.begin() + b, t.begin() + b + len);
        for (size_t k = 1 + rng() % 4; k > 0; --k)
          o.push_back(static_cast<uint32_t>(rng() % c.vocab));
      }
      o.resize(256);
    } else if (kind == "generated") {
      o = c.markov.Generate(rng, 256);
    } else {
      for (int k = 0; k < 256; ++k) o.push_back(static_cast<uint32_t>(rng() % c.vocab));
    }
    outs.push_back(std::move(o));
  }
  return outs;
}

json TraceBench(const Corpus& c, const SpanIndex& index, const Args& args) {
  json out;
  for (const std::string kind : {"copied", "generated", "random"}) {
    const auto outputs = MakeOutputs(c, index, kind, args.outputs, args.seed * 31 + kind.size());
    std::vector<double> first, lat;
    double spans = 0, covered = 0;
    for (const auto& o : outputs) {
      auto t0 = Clock::now();
      TraceResult r = index.Trace(std::span<const uint32_t>(o));
      first.push_back(Seconds(t0, Clock::now()) * 1e3);
      spans += static_cast<double>(r.spans.size());
      for (const Span& s : r.spans) covered += static_cast<double>(s.end - s.begin);
      std::vector<double> rep;
      for (int k = 0; k < args.repeat; ++k) {
        t0 = Clock::now();
        r = index.Trace(std::span<const uint32_t>(o));
        rep.push_back(Seconds(t0, Clock::now()) * 1e3);
      }
      lat.push_back(Percentile(rep, 0.5));
    }
    const double n = static_cast<double>(outputs.size());
    out[kind] = {
        {"p50_ms", Percentile(lat, 0.5)},         {"p90_ms", Percentile(lat, 0.9)},
        {"p99_ms", Percentile(lat, 0.99)},        {"max_ms", Percentile(lat, 1.0)},
        {"first_p50_ms", Percentile(first, 0.5)}, {"first_max_ms", Percentile(first, 1.0)},
        {"spans_per_output", spans / n},          {"covered_tokens_per_output", covered / n}};
  }
  return out;
}

// Trace latency with the shards' pages out of the page cache, as for an index larger than RAM:
// before each output the shards are closed, their pages dropped (posix_fadvise DONTNEED, which
// touches only these files) and reopened (not timed; Open reads the row tables back). With
// `samples` false the readers keep no sample table, as with a version 1 shard; with `threads`
// false Trace searches every position on the calling thread. Both false: the baseline.
json ColdTraceBench(const Corpus& c, const std::vector<fs::path>& paths, const Args& args,
                    bool samples, bool threads) {
  json out;
  TraceOptions trace;
  if (!threads) trace.io_threads = 1;
  const ShardReader::OpenOptions open{.samples = samples};
  auto drop = [&] {
    for (const auto& p : paths) {
      const int fd = ::open(p.c_str(), O_RDONLY);
      if (fd >= 0) {
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
      }
    }
  };
  for (const std::string kind : {"copied", "generated", "random"}) {
    std::vector<double> lat;
    for (int i = 0; i < args.cold; ++i) {
      std::vector<std::vector<uint32_t>> outputs;
      {
        auto index = SpanIndex::Open(paths);
        if (!index.ok()) std::exit(1);
        outputs = MakeOutputs(c, *index, kind, 1, args.seed * 97 + i + kind.size());
      }
      drop();
      auto index = SpanIndex::Open(paths, open);
      if (!index.ok()) std::exit(1);
      const auto t0 = Clock::now();
      (void)index->Trace(std::span<const uint32_t>(outputs[0]), trace);
      lat.push_back(Seconds(t0, Clock::now()) * 1e3);
    }
    out[kind] = {{"p50_ms", Percentile(lat, 0.5)}, {"max_ms", Percentile(lat, 1.0)}};
  }
  return out;
}

json SizeRecord(const SpanIndex& index) {
  uint64_t bytes = 0, text = 0, sa = 0, samples = 0, tokens = 0, rows = 0, memory = 0;
  for (size_t i = 0; i < index.shards(); ++i) {
    const ShardReader& s = index.shard(i);
    bytes += s.file_bytes();
    memory += s.memory_bytes();
    if (s.sample_interval() > 0) {
      samples += (s.tokens() + s.sample_interval() - 1) / s.sample_interval() * s.sample_tokens() *
                 s.token_bytes();
    }
    text += s.stream_length() * s.token_bytes();
    sa += s.tokens() * s.position_bytes();
    tokens += s.tokens();
    rows += s.rows();
  }
  const double n = static_cast<double>(std::max<uint64_t>(tokens, 1));
  return {{"file_bytes", bytes},
          {"bytes_per_token", static_cast<double>(bytes) / n},
          {"text_bytes_per_token", static_cast<double>(text) / n},
          {"sa_bytes_per_token", static_cast<double>(sa) / n},
          {"samples_bytes_per_token", static_cast<double>(samples) / n},
          {"rows_bytes_per_token", static_cast<double>(bytes - text - sa - samples) / n},
          {"tokens_per_row", n / static_cast<double>(std::max<uint64_t>(rows, 1))},
          {"memory_bytes", memory},
          {"memory_bytes_per_token", static_cast<double>(memory) / n}};
}

void PrintRecord(const json& r) {
  const json& b = r["build"];
  const json& z = r["size"];
  std::printf("\n== %s: %.2fM tokens (%.2fM real), %llu rows, %d shard(s)\n",
              r["name"].get<std::string>().c_str(), b["tokens"].get<double>() / 1e6,
              b["real_tokens"].get<double>() / 1e6, b["rows"].get<unsigned long long>(),
              r["shards"].get<int>());
  std::printf(
      "build: Add %.1f s + Finish %.1f s = %.2fM tokens/s (making the rows: %.1f s, once); "
      "peak RSS %.0f MiB\n",
      b["add_s"].get<double>(), b["finish_s"].get<double>(), b["tokens_per_s"].get<double>() / 1e6,
      b["generate_s"].get<double>(), b["peak_rss_mib"].get<double>());
  std::printf(
      "size: %.1f MB, %.2f bytes/token (text %.2f, suffix array %.2f, samples %.3f, rows %.2f; "
      "%.0f tokens/row)\n",
      z["file_bytes"].get<double>() / 1e6, z["bytes_per_token"].get<double>(),
      z["text_bytes_per_token"].get<double>(), z["sa_bytes_per_token"].get<double>(),
      z["samples_bytes_per_token"].get<double>(), z["rows_bytes_per_token"].get<double>(),
      z["tokens_per_row"].get<double>());
  std::printf(
      "open: %.2f ms; in memory: %.2f MB (%.3f bytes/token: the sample table and row "
      "starts)\n",
      r["open_ms"].get<double>(), z["memory_bytes"].get<double>() / 1e6,
      z["memory_bytes_per_token"].get<double>());
  std::printf("%-10s %8s %8s %8s %8s %10s %10s %7s %8s\n", "trace 256", "p50 ms", "p90 ms",
              "p99 ms", "max ms", "first p50", "first max", "spans", "covered");
  for (const auto& [kind, t] : r["trace"].items()) {
    std::printf("%-10s %8.2f %8.2f %8.2f %8.2f %10.2f %10.2f %7.1f %8.1f\n", kind.c_str(),
                t["p50_ms"].get<double>(), t["p90_ms"].get<double>(), t["p99_ms"].get<double>(),
                t["max_ms"].get<double>(), t["first_p50_ms"].get<double>(),
                t["first_max_ms"].get<double>(), t["spans_per_output"].get<double>(),
                t["covered_tokens_per_output"].get<double>());
  }
  if (r.contains("cold_trace")) {
    std::printf(
        "cold (page cache dropped before each), p50 / max ms: default | sample table, one thread "
        "| neither (baseline) | baseline / default\n");
    for (const auto& [kind, t] : r["cold_trace"].items()) {
      const json& one = r["cold_trace_one_thread"][kind];
      const json& base = r["cold_trace_baseline"][kind];
      std::printf("cold %-10s %7.1f / %7.1f | %7.1f / %7.1f | %7.1f / %7.1f | %.1fx\n",
                  kind.c_str(), t["p50_ms"].get<double>(), t["max_ms"].get<double>(),
                  one["p50_ms"].get<double>(), one["max_ms"].get<double>(),
                  base["p50_ms"].get<double>(), base["max_ms"].get<double>(),
                  base["p50_ms"].get<double>() / std::max(t["p50_ms"].get<double>(), 1e-9));
    }
  }
  std::fflush(stdout);
}

// ---- Influence ----

// A sketch file in the format of factory/sketch.h with synthetic rows (see the top comment).
void WriteSyntheticSketches(const fs::path& path, uint64_t count, uint32_t dim, bool half,
                            uint64_t seed) {
  auto put32 = [](std::string& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); };
  auto put64 = [](std::string& b, size_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); };
  auto align = [](uint64_t n) { return (n + 63) / 64 * 64; };
  const std::string desc = R"({"method":"synthetic","k":1})";
  const uint64_t keys = align(128 + desc.size());
  const uint64_t matrix = align(keys + count * 128);
  std::string head(matrix, '\0');
  std::memcpy(head.data(), "TRBSKCH1", 8);
  put32(head, 8, 1);
  put32(head, 12, half ? 1 : 0);
  put32(head, 16, dim);
  put64(head, 24, count);
  put64(head, 32, seed);
  put64(head, 40, 128);
  put64(head, 48, desc.size());
  put64(head, 56, keys);
  put64(head, 64, matrix);
  std::memcpy(head.data() + 128, desc.data(), desc.size());
  for (uint64_t i = 0; i < count; ++i) {
    char* rec = head.data() + keys + i * 128;
    uint64_t r = seed * 0x100000001B3ULL + i, c = (seed + 1) * 0x100000001B3ULL + i / 64;
    for (int k = 0; k < 4; ++k) {
      const uint64_t a = SplitMix(r), b = SplitMix(c);
      std::memcpy(rec + 8 * k, &a, 8);
      std::memcpy(rec + 32 + 8 * k, &b, 8);
    }
    const std::string who = "trb1" + Hex32(3, (i / 64) % 5000).substr(0, 38);
    std::memcpy(rec + 64, who.data(), who.size());
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  const uint64_t chunk_rows = 4096;
  std::vector<float> f(chunk_rows * dim);
  std::vector<c10::Half> h(half ? f.size() : 0);
  uint64_t state = seed;
  for (uint64_t r0 = 0; r0 < count; r0 += chunk_rows) {
    const uint64_t n = std::min(chunk_rows, count - r0) * dim;
    for (uint64_t k = 0; k < n; k += 2) {
      const uint64_t z = SplitMix(state);
      f[k] = static_cast<float>(static_cast<int32_t>(z)) * 0x1p-31f;
      if (k + 1 < n) f[k + 1] = static_cast<float>(static_cast<int32_t>(z >> 32)) * 0x1p-31f;
    }
    if (half) {
      for (uint64_t k = 0; k < n; ++k) h[k] = c10::Half(f[k]);
      out.write(reinterpret_cast<const char*>(h.data()), static_cast<std::streamsize>(n * 2));
    } else {
      out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(n * 4));
    }
  }
  if (!out.flush()) {
    std::fprintf(stderr, "attribution_bench: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

template <typename T>
T OrDie(tributary::Result<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "attribution_bench: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

json InfluenceBench(const Args& args, uint64_t count) {
  const uint32_t dim = args.influence_dim;
  const fs::path path = args.dir / ("sketches-" + std::to_string(count) + ".bin");
  json rec;
  rec["rows"] = count;
  rec["dim"] = dim;
  rec["dtype"] = args.influence_half ? "float16" : "float32";
  rec["torch_threads"] = torch::get_num_threads();
  rec["queries"] = args.influence_queries;
  auto t0 = Clock::now();
  WriteSyntheticSketches(path, count, dim, args.influence_half, args.seed);
  rec["write_s"] = Seconds(t0, Clock::now());
  rec["file_bytes"] = fs::file_size(path);

  std::mt19937_64 rng(args.seed * 7 + count);
  std::uniform_real_distribution<float> uni(-1, 1);
  std::vector<std::vector<float>> queries(static_cast<size_t>(args.influence_queries) + 1);
  for (auto& q : queries) {
    q.resize(dim);
    for (float& v : q) v = uni(rng);
  }

  // Raw scan: the floor any full pass over the mapped matrix can reach. The matrix is summed as
  // 64-bit words (the memory traffic of summing its floats, without float16 conversion).
  {
    auto file = OrDie(tributary::factory::SketchFile::Open(path));
    const torch::Tensor m = file->Matrix();
    const auto* words = static_cast<const uint64_t*>(m.data_ptr());
    const int64_t n = static_cast<int64_t>(m.numel() * m.element_size() / 8);
    uint64_t sink = 0;
    const int64_t scan_threads = std::max(1u, std::thread::hardware_concurrency());
    rec["scan_threads"] = scan_threads;
    std::vector<double> lat;
    for (size_t k = 0; k < queries.size(); ++k) {
      t0 = Clock::now();
      // One thread per core: the machine's floor (OpenBLAS's float32 product uses every core).
      std::atomic<uint64_t> total{0};
      std::vector<std::thread> threads;
      for (int64_t t = 0; t < scan_threads; ++t) {
        threads.emplace_back([&, t] {
          const int64_t b = n * t / scan_threads, e = n * (t + 1) / scan_threads;
          uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          int64_t i = b;
          for (; i + 4 <= e; i += 4) {
            a0 += words[i];
            a1 += words[i + 1];
            a2 += words[i + 2];
            a3 += words[i + 3];
          }
          for (; i < e; ++i) a0 += words[i];
          total += a0 + a1 + a2 + a3;
        });
      }
      for (auto& th : threads) th.join();
      sink += total;
      if (k > 0) lat.push_back(Seconds(t0, Clock::now()) * 1e3);
    }
    rec["scan_p50_ms"] = Percentile(lat, 0.5);
    rec["scan_gb_per_s"] = static_cast<double>(n) * 8 / (Percentile(lat, 0.5) * 1e6);
    if (sink == 12345) std::printf(" ");  // keeps the sums
  }

  for (InfluenceMethod method : {InfluenceMethod::kTracIn, InfluenceMethod::kTrak}) {
    const std::string name(InfluenceMethodName(method));
    InfluenceOptions o;
    o.method = method;
    Progress progress;
    t0 = Clock::now();
    auto built = OrDie(InfluenceIndex::Open(path, o, [&](int64_t done, int64_t total) {
      if (progress.tty) {
        std::fprintf(stderr, "\r  %s cache %5.1f%%  %6.1f s   ", name.c_str(),
                     100.0 * static_cast<double>(done) / static_cast<double>(total),
                     Seconds(progress.start, Clock::now()));
      }
    }));
    progress.Done();
    rec[name]["build_s"] = Seconds(t0, Clock::now());
    built.reset();
    t0 = Clock::now();
    auto index = OrDie(InfluenceIndex::Open(path, o));
    rec[name]["open_cached_ms"] = Seconds(t0, Clock::now()) * 1e3;
    std::vector<double> lat, all_lat;
    for (size_t k = 0; k < queries.size(); ++k) {
      t0 = Clock::now();
      auto r = OrDie(index->Score(queries[k]));
      if (k > 0) lat.push_back(Seconds(t0, Clock::now()) * 1e3);
      t0 = Clock::now();
      auto all = OrDie(index->ScoreAll(queries[k]));
      if (k > 0) all_lat.push_back(Seconds(t0, Clock::now()) * 1e3);
    }
    rec[name]["score_p50_ms"] = Percentile(lat, 0.5);
    rec[name]["score_max_ms"] = Percentile(lat, 1.0);
    rec[name]["score_all_p50_ms"] = Percentile(all_lat, 0.5);
    rec[name]["x_scan"] = Percentile(lat, 0.5) / rec["scan_p50_ms"].get<double>();
  }
  rec["cache_bytes"] = fs::file_size(fs::path(path) += ".influence");
  if (!args.keep) {
    fs::remove(path);
    fs::remove(fs::path(path) += ".influence");
  }
  return rec;
}

void PrintInfluence(const json& records) {
  if (records.empty()) return;
  const json& f = records[0];
  std::printf(
      "\n== influence: dim %u, %s, %d queries (median after a warm-up), torch threads %d, scan "
      "threads %d\n",
      f["dim"].get<uint32_t>(), f["dtype"].get<std::string>().c_str(), f["queries"].get<int>(),
      f["torch_threads"].get<int>(), f["scan_threads"].get<int>());
  std::printf("%9s %9s | %9s %9s | %9s %9s | %9s %9s | %10s %12s %12s\n", "rows", "file MB",
              "tracin s", "trak s", "open ms", "(trak)", "scan ms", "GB/s", "Score ms",
              "tracin/scan", "trak/scan");
  for (const json& r : records) {
    const json& a = r["tracin"];
    const json& b = r["trak"];
    std::printf(
        "%9llu %9.0f | %9.2f %9.2f | %9.1f %9.1f | %9.2f %9.1f | %4.1f/%-5.1f %12.2f %12.2f\n",
        r["rows"].get<unsigned long long>(), r["file_bytes"].get<double>() / 1e6,
        a["build_s"].get<double>(), b["build_s"].get<double>(), a["open_cached_ms"].get<double>(),
        b["open_cached_ms"].get<double>(), r["scan_p50_ms"].get<double>(),
        r["scan_gb_per_s"].get<double>(), a["score_p50_ms"].get<double>(),
        b["score_p50_ms"].get<double>(), a["x_scan"].get<double>(), b["x_scan"].get<double>());
  }
  std::printf(
      "(tracin s: first Open, SHA-256 + norms; trak s: first trak Open, G^T G + Cholesky + "
      "whitened norms; open ms: Open with the cache; Score ms: tracin/trak p50)\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "attribution_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--sizes") {
      args.sizes.clear();
      std::stringstream ss(next());
      std::string part;
      while (std::getline(ss, part, ',')) args.sizes.push_back(std::stoull(part));
    } else if (a == "--outputs") {
      args.outputs = std::stoi(next());
    } else if (a == "--repeat") {
      args.repeat = std::stoi(next());
    } else if (a == "--cold") {
      args.cold = std::stoi(next());
    } else if (a == "--shards") {
      args.shards = std::stoi(next());
    } else if (a == "--dir") {
      args.dir = next();
    } else if (a == "--fortunes") {
      args.fortunes = next();
    } else if (a == "--seed") {
      args.seed = std::stoull(next());
    } else if (a == "--keep") {
      args.keep = true;
    } else if (a == "--json") {
      args.json = true;
    } else if (a == "--influence-sizes") {
      std::stringstream ss(next());
      std::string part;
      while (std::getline(ss, part, ',')) args.influence_sizes.push_back(std::stoull(part));
    } else if (a == "--influence-dim") {
      args.influence_dim = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "--influence-half") {
      args.influence_half = true;
    } else if (a == "--influence-queries") {
      args.influence_queries = std::max(1, std::stoi(next()));
    } else if (a == "--influence-only") {
      args.influence_only = true;
    } else if (a == "--sample-interval") {
      args.sample_interval = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "--sample-tokens") {
      args.sample_tokens = static_cast<uint32_t>(std::stoul(next()));
    } else {
      std::fprintf(
          stderr,
          "usage: attribution_bench [--sizes N,N,...] [--outputs N] [--repeat N] "
          "[--shards K] [--cold N] [--dir DIR] [--fortunes DIR] [--seed S] [--keep] [--json]\n"
          "       [--sample-interval S] [--sample-tokens M]\n"
          "       [--influence-sizes N,N,...] [--influence-dim D] [--influence-half]\n"
          "       [--influence-queries N] [--influence-only]\n");
      return 2;
    }
  }
  if (args.dir.empty()) {
    args.dir = fs::temp_directory_path() / ("attribution-bench-" + std::to_string(getpid()));
  }
  fs::create_directories(args.dir);
  auto run_influence = [&] {
    json influence = json::array();
    for (uint64_t n : args.influence_sizes) influence.push_back(InfluenceBench(args, n));
    if (!args.json) PrintInfluence(influence);
    return influence;
  };
  if (args.influence_only) {
    const json influence = run_influence();
    if (args.json) std::printf("%s\n", json{{"influence", influence}}.dump(2).c_str());
    if (!args.keep) fs::remove_all(args.dir);
    return 0;
  }

  Corpus c;
  auto read = tributary::ReadFortuneDir(args.fortunes);
  const std::vector<std::string> texts = read.ok() ? std::move(*read) : std::vector<std::string>{};
  if (texts.empty()) {
    std::fprintf(stderr, "attribution_bench: no fortunes in %s (install `fortunes`)\n",
                 args.fortunes.c_str());
    return 1;
  }
  Tokenizer tok;
  tok.Train(texts, 32000);
  for (const auto& t : texts) {
    c.real.push_back(tok.Encode(t));
    c.real_tokens += c.real.back().size();
  }
  c.vocab = tok.vocab();
  c.markov.Train(c.real);
  c.rng.seed(args.seed);
  if (!args.json) {
    std::printf("real text: %zu fortunes, %.2fM tokens, vocabulary %u\n", texts.size(),
                static_cast<double>(c.real_tokens) / 1e6, c.vocab);
  }

  json records = json::array();
  auto run = [&](uint64_t size, int shards) {
    json rec;
    rec["name"] = std::to_string(size / 1000000) + "M" +
                  (shards > 1 ? " in " + std::to_string(shards) + " shards" : "");
    rec["shards"] = shards;
    // Count the rows of this size, to cut them into shards.
    uint64_t rows = 0;
    if (shards > 1) ForEachRow(c, size, [&](uint64_t, const auto&) { ++rows; });
    std::vector<fs::path> paths;
    json build;
    for (int k = 0; k < shards; ++k) {
      const uint64_t first = shards > 1 ? rows * k / shards : 0;
      const uint64_t last = shards > 1 ? rows * (k + 1) / shards : UINT64_MAX;
      paths.push_back(args.dir / ("shard-" + std::to_string(size) + "-" + std::to_string(k)));
      json b = BuildOne(c, size, first, last, paths.back(), args);
      if (build.is_null()) {
        build = b;
      } else {
        for (const char* key : {"tokens", "real_tokens", "rows"}) {
          build[key] = build[key].get<uint64_t>() + b[key].get<uint64_t>();
        }
        build["add_s"] = build["add_s"].get<double>() + b["add_s"].get<double>();
        build["generate_s"] = build["generate_s"].get<double>() + b["generate_s"].get<double>();
        build["finish_s"] = build["finish_s"].get<double>() + b["finish_s"].get<double>();
        build["peak_rss_mib"] = b["peak_rss_mib"];
      }
    }
    build["tokens_per_s"] = build["tokens"].get<double>() /
                            (build["add_s"].get<double>() + build["finish_s"].get<double>());
    rec["build"] = build;
    const auto t0 = Clock::now();
    auto index = SpanIndex::Open(paths);
    rec["open_ms"] = Seconds(t0, Clock::now()) * 1e3;
    if (!index.ok()) {
      std::fprintf(stderr, "attribution_bench: %s\n", index.status().ToString().c_str());
      std::exit(1);
    }
    rec["size"] = SizeRecord(*index);
    rec["trace"] = TraceBench(c, *index, args);
    if (args.cold > 0) {
      *index = SpanIndex();
      rec["cold_trace"] = ColdTraceBench(c, paths, args, true, true);
      rec["cold_trace_one_thread"] = ColdTraceBench(c, paths, args, true, false);
      rec["cold_trace_baseline"] = ColdTraceBench(c, paths, args, false, false);
    }
    if (!args.json) PrintRecord(rec);
    records.push_back(rec);
    if (!args.keep) {
      for (const auto& p : paths) fs::remove(p);
    }
  };
  for (uint64_t size : args.sizes) run(size, 1);
  if (args.shards > 1) run(args.sizes.back(), args.shards);
  if (!args.influence_sizes.empty()) {
    const json influence = run_influence();
    if (args.json) {
      std::printf("%s\n", json{{"span", records}, {"influence", influence}}.dump(2).c_str());
    }
  } else if (args.json) {
    std::printf("%s\n", records.dump(2).c_str());
  }
  if (!args.keep) fs::remove_all(args.dir);
  return 0;
}
