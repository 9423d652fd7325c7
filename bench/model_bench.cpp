// model_bench: prefill and decode tokens/s of the Llama runtime at batch 1, 8 and 32, without
// LoRA, with one adapter (unmerged and merged) and with a batch mixing N adapters (8 unless
// --mixed), their sequences interleaved (each adapter's rows gathered and scattered) or grouped
// (each adapter's rows side by side, as the serving engine orders a step); the ratios are taken
// within this one process.
//
// Usage: model_bench [--layers 8] [--hidden 512] [--vocab 32000] [--rank 16] [--mixed 8]
//                    [--prompt 128] [--decode 16] [--batches 1,8,32] [--threads N]
//                    [--base DIR [--dtypes f32,bf16] [--repeat 1]]
// With --base, a real checkpoint (e.g. the pulled SmolLM2) is loaded once per dtype instead of
// the random model: each batch runs without LoRA, with one adapter and with --mixed adapters
// grouped (one per sequence at --mixed equal to the batch, as a serving step holds them), and on
// a float32 base the same mixed adapters kept in bfloat16 (the serving engine's
// --adapter-dtype bf16), interleaved --repeat times keeping each one's best rate, so that the
// ratios to "no LoRA" are taken seconds apart on a noisy machine; a last table gives each dtype's
// rates as a ratio to float32's.
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tributary/model/llama.h"
#include "tributary/model/lora.h"

using namespace tributary::model;
using tributary::Result;
using tributary::Status;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int64_t layers = 8, hidden = 512, vocab = 32000, rank = 16, prompt = 128, decode = 16;
  int mixed = 8;   // adapters in the mixed modes
  int repeat = 1;  // with --base: rounds of the modes, interleaved, keeping the best
  std::vector<int> batches = {1, 8, 32};
  int threads = 0;
  std::string device = "cpu";
  std::string base;
  std::vector<std::string> dtypes = {"f32"};
};

enum class Mode { kNone, kOne, kMerged, kMixed, kMixedGrouped };
const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kNone:
      return "no LoRA";
    case Mode::kOne:
      return "1 adapter";
    case Mode::kMerged:
      return "1 adapter, merged";
    case Mode::kMixed:
      return "mixed, interleaved";
    case Mode::kMixedGrouped:
      return "mixed, grouped";
  }
  return "";
}

struct Rates {
  double prefill = 0, decode = 0;
};

Rates Measure(LlamaModel& model, const std::vector<LoraAdapter>& adapters, Mode mode, int batch,
              const Args& a) {
  std::vector<const LoraAdapter*> list;
  if (mode == Mode::kOne) list = {&adapters[0]};
  const bool mixed = mode == Mode::kMixed || mode == Mode::kMixedGrouped;
  if (mixed) {
    for (const auto& ad : adapters) list.push_back(&ad);
  }
  const int n_adapters = static_cast<int>(list.size());
  if (mode == Mode::kMerged) (void)model.MergeAdapter(adapters[0]);
  std::vector<KvCache> caches(static_cast<size_t>(batch));
  std::vector<SequenceInput> in;
  for (int i = 0; i < batch; ++i) {
    std::vector<int64_t> tokens(static_cast<size_t>(a.prompt));
    for (int64_t t = 0; t < a.prompt; ++t)
      tokens[static_cast<size_t>(t)] = (i * 131 + t * 7) % a.vocab;
    int adapter = mode == Mode::kOne     ? 0
                  : mode == Mode::kMixed ? i % n_adapters
                  : mode == Mode::kMixedGrouped
                      ? static_cast<int>(static_cast<int64_t>(i) * n_adapters / batch)
                      : -1;
    in.push_back({tokens, &caches[static_cast<size_t>(i)], adapter});
  }
  Rates r;
  auto t0 = Clock::now();
  auto out = model.Forward(in, list, /*last_only=*/true);
  if (out.ok()) (void)out->sum().item<float>();  // waits for the device
  r.prefill = batch * a.prompt / std::chrono::duration<double>(Clock::now() - t0).count();
  if (!out.ok()) std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
  t0 = Clock::now();
  for (int64_t step = 0; step < a.decode; ++step) {
    for (auto& s : in) s.tokens = {(step * 13 + 5) % a.vocab};
    out = model.Forward(in, list, /*last_only=*/true);
    if (out.ok()) (void)out->sum().item<float>();
  }
  r.decode = batch * a.decode / std::chrono::duration<double>(Clock::now() - t0).count();
  if (mode == Mode::kMerged) model.UnmergeAdapter();
  return r;
}

// The rates of a real checkpoint per dtype, without LoRA, with one adapter and with a.mixed.
int RunBase(Args a) {
  std::map<std::pair<std::string, int>, Rates> results;  // without LoRA
  for (const std::string& d : a.dtypes) {
    const torch::ScalarType dtype = d == "bf16" ? torch::kBFloat16 : torch::kFloat32;
    auto loaded = LlamaModel::Load(a.base, dtype);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      return 1;
    }
    LlamaModel& model = **loaded;
    a.vocab = model.config().vocab_size;
    LoraConfig lc;
    lc.r = a.rank;
    lc.lora_alpha = 2.0 * static_cast<double>(a.rank);
    lc.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
    std::vector<LoraAdapter> adapters;
    for (int i = 0; i < std::max(1, a.mixed); ++i)
      adapters.push_back(LoraAdapter::Random(model, lc, 100 + static_cast<uint64_t>(i)));
    // The same adapters as the serving engine's bfloat16 cache holds them: saved and loaded back.
    std::vector<LoraAdapter> narrow;
    if (dtype == torch::kFloat32) {
      const auto dir =
          std::filesystem::temp_directory_path() / ("model-bench-" + std::to_string(::getpid()));
      for (size_t i = 0; i < adapters.size(); ++i) {
        const auto sub = dir / std::to_string(i);
        auto loaded = adapters[i].Save(sub).ok()
                          ? LoraAdapter::Load(sub, model, torch::kBFloat16)
                          : Result<LoraAdapter>(Status::Internal("cannot save an adapter"));
        if (!loaded.ok()) {
          std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
          return 1;
        }
        narrow.push_back(std::move(*loaded));
      }
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    if (d == a.dtypes.front()) {
      const auto& c = model.config();
      std::printf(
          "model: %s (%lld layers, hidden %lld, %lld/%lld heads, vocab %lld); LoRA rank %lld on "
          "q,k,v,o; %d adapters mixed; prompt %lld, decode %lld; best of %d; torch threads %d\n",
          a.base.c_str(), static_cast<long long>(c.num_hidden_layers),
          static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_attention_heads),
          static_cast<long long>(c.num_key_value_heads), static_cast<long long>(c.vocab_size),
          static_cast<long long>(a.rank), a.mixed, static_cast<long long>(a.prompt),
          static_cast<long long>(a.decode), a.repeat, torch::get_num_threads());
      std::printf("\n%5s %6s  %-18s %14s %14s %12s\n", "dtype", "batch", "mode", "prefill tok/s",
                  "decode tok/s", "decode/none");
    }
    Measure(model, adapters, Mode::kNone, 1, a);  // warm-up
    const Mode modes[] = {Mode::kNone, Mode::kOne, Mode::kMixedGrouped, Mode::kMixedGrouped};
    const int n_modes = narrow.empty() ? 3 : 4;
    for (int b : a.batches) {
      Rates best[4];
      for (int r = 0; r < std::max(1, a.repeat); ++r) {
        for (int m = 0; m < n_modes; ++m) {
          Rates got = Measure(model, m == 3 ? narrow : adapters, modes[m], b, a);
          best[m].prefill = std::max(best[m].prefill, got.prefill);
          best[m].decode = std::max(best[m].decode, got.decode);
        }
      }
      results[{d, b}] = best[0];
      for (int m = 0; m < n_modes; ++m) {
        const std::string name = m == 3   ? std::to_string(std::min(a.mixed, b)) + " mixed, bf16"
                                 : m == 2 ? std::to_string(std::min(a.mixed, b)) + " mixed, grouped"
                                          : std::string(ModeName(modes[m]));
        std::printf("%5s %6d  %-18s %14.0f %14.1f %12.3f\n", d.c_str(), b, name.c_str(),
                    best[m].prefill, best[m].decode, best[m].decode / best[0].decode);
      }
    }
  }
  if (a.dtypes.size() > 1) {
    std::printf("\n%5s %6s  %24s %24s\n", "dtype", "batch", "prefill / f32 (no LoRA)",
                "decode / f32 (no LoRA)");
    for (const std::string& d : a.dtypes) {
      for (int b : a.batches) {
        const Rates& r = results[{d, b}];
        const Rates& f = results[{a.dtypes.front(), b}];
        std::printf("%5s %6d  %24.2f %24.2f\n", d.c_str(), b, r.prefill / f.prefill,
                    r.decode / f.decode);
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--layers")
      a.layers = std::stoll(v);
    else if (k == "--hidden")
      a.hidden = std::stoll(v);
    else if (k == "--vocab")
      a.vocab = std::stoll(v);
    else if (k == "--mixed")
      a.mixed = std::stoi(v);
    else if (k == "--rank")
      a.rank = std::stoll(v);
    else if (k == "--prompt")
      a.prompt = std::stoll(v);
    else if (k == "--decode")
      a.decode = std::stoll(v);
    else if (k == "--repeat")
      a.repeat = std::stoi(v);
    else if (k == "--threads")
      a.threads = std::stoi(v);
    else if (k == "--device")
      a.device = v;
    else if (k == "--base")
      a.base = v;
    else if (k == "--dtypes") {
      a.dtypes.clear();
      std::stringstream ss(v);
      std::string d;
      while (std::getline(ss, d, ',')) a.dtypes.push_back(d);
    } else if (k == "--batches") {
      a.batches.clear();
      std::stringstream ss(v);
      std::string b;
      while (std::getline(ss, b, ',')) a.batches.push_back(std::stoi(b));
    }
  }
  if (a.threads > 0) torch::set_num_threads(a.threads);
  if (!a.base.empty()) return RunBase(a);
  ModelConfig c;
  c.vocab_size = a.vocab;
  c.hidden_size = a.hidden;
  c.intermediate_size = a.hidden * 11 / 4;
  c.num_hidden_layers = a.layers;
  c.num_attention_heads = 8;
  c.num_key_value_heads = 4;
  c.head_dim = a.hidden / 8;
  c.max_position_embeddings = 4096;
  auto model = LlamaModel::Random(c, 1);
  if (a.device != "cpu") model->To(torch::Device(a.device), torch::kFloat32);
  LoraConfig lc;
  lc.r = a.rank;
  lc.lora_alpha = 2.0 * static_cast<double>(a.rank);
  lc.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
  std::vector<LoraAdapter> adapters;
  for (int i = 0; i < a.mixed; ++i) adapters.push_back(LoraAdapter::Random(*model, lc, 100 + i));
  std::printf(
      "model: %lld layers, hidden %lld, vocab %lld, GQA 8/4; LoRA rank %lld on q,k,v,o; "
      "%d adapters mixed; prompt %lld, decode %lld; torch threads %d\n",
      static_cast<long long>(a.layers), static_cast<long long>(a.hidden),
      static_cast<long long>(a.vocab), static_cast<long long>(a.rank), a.mixed,
      static_cast<long long>(a.prompt), static_cast<long long>(a.decode), torch::get_num_threads());
  // Warm up allocator and BLAS.
  Measure(*model, adapters, Mode::kNone, 1, a);
  std::map<std::pair<int, Mode>, Rates> results;
  std::printf("\n%6s  %-18s %14s %14s\n", "batch", "mode", "prefill tok/s", "decode tok/s");
  for (int b : a.batches) {
    for (Mode m : {Mode::kNone, Mode::kOne, Mode::kMerged, Mode::kMixed, Mode::kMixedGrouped}) {
      Rates r = Measure(*model, adapters, m, b, a);
      results[{b, m}] = r;
      std::printf("%6d  %-18s %14.0f %14.1f\n", b, ModeName(m), r.prefill, r.decode);
    }
  }
  std::printf("\n%6s  %14s %14s %14s %14s %18s\n", "batch", "one / none", "interl. / none",
              "grouped / none", "grouped / one", "grouped / interl.");
  std::printf("%6s  %14s %14s %14s %14s %18s\n", "", "(decode)", "(decode)", "(decode)", "(decode)",
              "(decode, prefill)");
  for (int b : a.batches) {
    const Rates &none = results[{b, Mode::kNone}], &one = results[{b, Mode::kOne}],
                &inter = results[{b, Mode::kMixed}], &grouped = results[{b, Mode::kMixedGrouped}];
    std::printf("%6d  %14.2f %14.2f %14.2f %14.2f %9.2f, %6.2f\n", b, one.decode / none.decode,
                inter.decode / none.decode, grouped.decode / none.decode,
                grouped.decode / one.decode, grouped.decode / inter.decode,
                grouped.prefill / inter.prefill);
  }
  return 0;
}
