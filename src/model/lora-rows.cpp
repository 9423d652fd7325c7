#include "model/lora-rows.h"

#include <cstring>

namespace tributary::model {
namespace {

constexpr int64_t kMaxRank = 256;

// The loops below are inlined into both clones of AddRowsFloat and AddRowsBfloat16, so that one
// build runs the better of two compilations, picked by the CPU when the program loads:
// x86-64-v3 (AVX2 and FMA; Zen, Haswell and later) or the baseline (SSE2). GCC on x86-64 only,
// and not under AddressSanitizer (resolvers run before its run-time starts; the sanitized suite
// then tests the baseline); elsewhere the baseline alone.
#define TRIB_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define TRIB_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TRIB_CLONES
#endif

// A weight as float: bfloat16 is the top half of a float32's bits, so widening is a shift.
TRIB_INLINE float Widen(float v) { return v; }
TRIB_INLINE float Widen(c10::BFloat16 v) {
  const uint32_t bits = static_cast<uint32_t>(v.x) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Independent accumulators: the compiler vectorises them at -O2 (a single running sum would
// forbid it without -ffast-math). Sixteen for A's rows (two AVX registers' worth of chains over
// `in` floats), eight for B's rows, whose length is the rank.
template <int Lanes, typename W>
TRIB_INLINE float Dot(const float* x, const W* a, int64_t n) {
  static_assert(Lanes == 8 || Lanes == 16);
  float acc[Lanes] = {};
  int64_t k = 0;
  for (; k + Lanes <= n; k += Lanes) {
    for (int u = 0; u < Lanes; ++u) acc[u] += x[k + u] * Widen(a[k + u]);
  }
  if constexpr (Lanes == 16) {
    for (; k + 8 <= n; k += 8) {
      for (int u = 0; u < 8; ++u) acc[u] += x[k + u] * Widen(a[k + u]);
    }
    for (int u = 0; u < 8; ++u) acc[u] += acc[u + 8];
  }
  float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; k < n; ++k) sum += x[k] * Widen(a[k]);
  return sum;
}

template <typename W>
TRIB_INLINE void AddRows(const float* xs, const W* a, const W* b, int64_t count, int64_t in,
                         int64_t out, int64_t rank, float scale, float* ys) {
  float t[kMaxRank];
  for (int64_t i = 0; i < count; ++i) {
    const float* xi = xs + i * in;
    for (int64_t j = 0; j < rank; ++j) t[j] = scale * Dot<16>(xi, a + j * in, in);
    float* yi = ys + i * out;
    for (int64_t o = 0; o < out; ++o) yi[o] += Dot<8>(t, b + o * rank, rank);
  }
}

TRIB_CLONES void AddRowsFloat(const float* xs, const float* a, const float* b, int64_t count,
                              int64_t in, int64_t out, int64_t rank, float scale, float* ys) {
  AddRows(xs, a, b, count, in, out, rank, scale, ys);
}

TRIB_CLONES void AddRowsBfloat16(const float* xs, const c10::BFloat16* a, const c10::BFloat16* b,
                                 int64_t count, int64_t in, int64_t out, int64_t rank, float scale,
                                 float* ys) {
  AddRows(xs, a, b, count, in, out, rank, scale, ys);
}

bool RowMajor(const torch::Tensor& t, torch::ScalarType type) {
  return t.defined() && t.dim() == 2 && t.device().is_cpu() && t.scalar_type() == type &&
         t.is_contiguous() && !t.requires_grad();
}

}  // namespace

bool AddLoraRows(const torch::Tensor& x, const LoraWeights& w, int64_t first, int64_t count,
                 torch::Tensor& y) {
  // libtorch's three calls cost ~10 us whatever their size; a decode row's update here costs
  // ~3 us, mostly reading A and B (docs/benchmarks.md, "2026-12-07 (later)").
  if (count < 1 || count > kLoraRowsMax || torch::GradMode::is_enabled()) return false;
  const torch::ScalarType weights = w.a.defined() ? w.a.scalar_type() : torch::kFloat32;
  if (weights != torch::kFloat32 && weights != torch::kBFloat16) return false;
  if (!RowMajor(x, torch::kFloat32) || !RowMajor(y, torch::kFloat32) || !RowMajor(w.a, weights) ||
      !RowMajor(w.b, weights)) {
    return false;
  }
  const int64_t in = x.size(1), out = y.size(1), rank = w.a.size(0);
  if (rank > kMaxRank || w.a.size(1) != in || w.b.size(0) != out || w.b.size(1) != rank ||
      first < 0 || first + count > x.size(0) || first + count > y.size(0)) {
    return false;
  }
  const float* xs = x.data_ptr<float>() + first * in;
  float* ys = y.data_ptr<float>() + first * out;
  const auto scale = static_cast<float>(w.scale);
  if (weights == torch::kBFloat16) {
    AddRowsBfloat16(xs, w.a.data_ptr<c10::BFloat16>(), w.b.data_ptr<c10::BFloat16>(), count, in,
                    out, rank, scale, ys);
  } else {
    AddRowsFloat(xs, w.a.data_ptr<float>(), w.b.data_ptr<float>(), count, in, out, rank, scale, ys);
  }
  return true;
}

}  // namespace tributary::model
