// lora_rows_bench: what one decode row's low-rank update costs (AddLoraRows,
// src/model/lora-rows.cpp) on SmolLM2's attention shapes, with the adapter's weights hot in cache
// (one adapter, as a step of one adapter reads it) and cold (cycling through --cold-mb of
// adapters, as a serving step holding many distinct adapters reads them), float32 and bfloat16.
// Two baselines run in the same process, interleaved with the loop: libtorch's narrow + mm +
// addmm_ on the same weights (the engine's path for prefill rows), and a plain read of the same
// bytes (a sum), the memory-bandwidth floor that no kernel reading the weights once can beat.
// "loop/read" near 1 for cold weights says a step of many adapters is bound by reading them.
//
// Usage: lora_rows_bench [--in 576] [--outs 576,192] [--ranks 8,16] [--cold-mb 512]
//                        [--calls 4000] [--repeat 5]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "model/lora-rows.h"

using tributary::model::AddLoraRows;
using tributary::model::LoraWeights;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int64_t in = 576, cold_mb = 512, calls = 4000;
  std::vector<int64_t> outs = {576, 192}, ranks = {8, 16};
  int repeat = 5;
};

std::vector<int64_t> ParseList(const std::string& v) {
  std::vector<int64_t> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoll(item));
  return out;
}

// Reads every byte of a buffer of 4-byte words as a streaming sum; the result is kept so that
// the compiler cannot drop the reads.
uint32_t ReadAll(const uint32_t* p, int64_t words) {
  uint32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= words; k += 8) {
    for (int u = 0; u < 8; ++u) acc[u] += p[k + u];
  }
  for (; k < words; ++k) acc[0] += p[k];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

enum Method { kLoop, kLibtorch, kRead };

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      std::printf(
          "usage: lora_rows_bench [--in 576] [--outs 576,192] [--ranks 8,16] [--cold-mb 512] "
          "[--calls 4000] [--repeat 5]\n");
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "lora_rows_bench: %s needs a value\n", k.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    try {
      if (k == "--in") {
        a.in = std::stoll(v);
      } else if (k == "--outs") {
        a.outs = ParseList(v);
      } else if (k == "--ranks") {
        a.ranks = ParseList(v);
      } else if (k == "--cold-mb") {
        a.cold_mb = std::stoll(v);
      } else if (k == "--calls") {
        a.calls = std::stoll(v);
      } else if (k == "--repeat") {
        a.repeat = std::stoi(v);
      } else {
        std::fprintf(stderr, "lora_rows_bench: unknown flag %s\n", k.c_str());
        return 2;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "lora_rows_bench: %s needs a number or a list of numbers, not '%s'\n",
                   k.c_str(), v.c_str());
      return 2;
    }
  }
  auto positive = [](int64_t v) { return v > 0; };
  if (a.in < 1 || a.cold_mb < 1 || a.calls < 1 || a.repeat < 1 || a.outs.empty() ||
      a.ranks.empty() || !std::all_of(a.outs.begin(), a.outs.end(), positive) ||
      !std::all_of(a.ranks.begin(), a.ranks.end(), positive) ||
      *std::max_element(a.ranks.begin(), a.ranks.end()) > 256) {
    std::fprintf(stderr, "lora_rows_bench: sizes must be positive and ranks at most 256\n");
    return 2;
  }
  torch::NoGradGuard no_grad;
  torch::manual_seed(1);
  std::printf(
      "one decode row: in %lld; cold = cycling through %lld MB of adapters; best of %d x "
      "%lld calls; torch threads %d\n",
      static_cast<long long>(a.in), static_cast<long long>(a.cold_mb), a.repeat,
      static_cast<long long>(a.calls), torch::get_num_threads());
  std::printf("\n%4s %4s %5s %5s %9s %9s %9s %9s %10s %10s\n", "rank", "out", "dtype", "cache",
              "KB/row", "loop us", "torch us", "read us", "loop/read", "loop GB/s");
  volatile uint32_t sink = 0;  // keeps the plain reads from being optimised away
  for (int64_t rank : a.ranks) {
    for (int64_t out : a.outs) {
      for (torch::ScalarType dtype : {torch::kFloat32, torch::kBFloat16}) {
        const int64_t per = rank * a.in + out * rank;  // weights of one adapted module
        const int64_t bytes = per * static_cast<int64_t>(torch::elementSize(dtype));
        const int64_t n = std::max<int64_t>(8, a.cold_mb * (int64_t{1} << 20) / bytes);
        // One buffer for every adapter, A then B row-major in each row, as a loaded adapter's
        // tensors are (each its own allocation there; contiguous here so the cold set is dense).
        const torch::Tensor all = (torch::randn({n, per}) * 0.05).to(dtype);
        std::vector<LoraWeights> weights(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
          const torch::Tensor row = all[i];
          weights[static_cast<size_t>(i)] = {
              row.narrow(0, 0, rank * a.in).view({rank, a.in}),
              row.narrow(0, rank * a.in, out * rank).view({out, rank}), 2.0};
        }
        const torch::Tensor x = torch::randn({1, a.in});
        torch::Tensor y = torch::zeros({1, out});
        for (bool cold : {false, true}) {
          double best[3] = {1e30, 1e30, 1e30};
          for (int r = 0; r < a.repeat; ++r) {
            for (Method m : {kLoop, kLibtorch, kRead}) {
              const auto t0 = Clock::now();
              for (int64_t c = 0; c < a.calls; ++c) {
                // A stride of 7 adapters, so that consecutive calls do not read adjacent memory.
                const LoraWeights& w = weights[static_cast<size_t>(cold ? (c * 7) % n : 0)];
                if (m == kLoop) {
                  if (!AddLoraRows(x, w, 0, 1, y)) {
                    std::fprintf(stderr, "lora_rows_bench: AddLoraRows refused the row\n");
                    return 1;
                  }
                } else if (m == kLibtorch) {
                  const torch::Tensor wa = w.a.to(torch::kFloat32), wb = w.b.to(torch::kFloat32);
                  y.narrow(0, 0, 1).addmm_(torch::mm(x, wa.t()), wb.t(), 1.0, w.scale);
                } else {
                  sink = sink + ReadAll(static_cast<const uint32_t*>(w.a.data_ptr()), bytes / 4);
                }
              }
              const double us =
                  std::chrono::duration<double, std::micro>(Clock::now() - t0).count() /
                  static_cast<double>(a.calls);
              best[m] = std::min(best[m], us);
            }
          }
          std::printf("%4lld %4lld %5s %5s %9.1f %9.2f %9.2f %9.2f %10.2f %10.1f\n",
                      static_cast<long long>(rank), static_cast<long long>(out),
                      dtype == torch::kFloat32 ? "f32" : "bf16", cold ? "cold" : "hot",
                      static_cast<double>(bytes) / 1024.0, best[kLoop], best[kLibtorch],
                      best[kRead], best[kLoop] / best[kRead],
                      static_cast<double>(bytes) / best[kLoop] / 1e3);
        }
      }
    }
  }
  return 0;
}
