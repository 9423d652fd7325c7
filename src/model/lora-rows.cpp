#include "model/lora-rows.h"

namespace tributary::model {
namespace {

constexpr int64_t kMaxRank = 256;

// Eight independent accumulators: the compiler vectorises them at -O2, which a single running
// sum would forbid without -ffast-math.
float Dot(const float* x, const float* a, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    for (int u = 0; u < 8; ++u) acc[u] += x[k + u] * a[k + u];
  }
  float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; k < n; ++k) sum += x[k] * a[k];
  return sum;
}

bool RowMajorFloat(const torch::Tensor& t) {
  return t.defined() && t.dim() == 2 && t.device().is_cpu() && t.scalar_type() == torch::kFloat32 &&
         t.is_contiguous() && !t.requires_grad();
}

}  // namespace

bool AddLoraRows(const torch::Tensor& x, const LoraWeights& w, int64_t first, int64_t count,
                 torch::Tensor& y) {
  // libtorch's three calls cost ~10 us whatever their size; a decode row's update here costs
  // ~3 us, mostly reading A and B (docs/benchmarks.md, "2026-12-07 (later)").
  if (count < 1 || count > kLoraRowsMax || torch::GradMode::is_enabled()) return false;
  if (!RowMajorFloat(x) || !RowMajorFloat(y) || !RowMajorFloat(w.a) || !RowMajorFloat(w.b)) {
    return false;
  }
  const int64_t in = x.size(1), out = y.size(1), rank = w.a.size(0);
  if (rank > kMaxRank || w.a.size(1) != in || w.b.size(0) != out || w.b.size(1) != rank ||
      first < 0 || first + count > x.size(0) || first + count > y.size(0)) {
    return false;
  }
  const float* xs = x.data_ptr<float>() + first * in;
  const float* a = w.a.data_ptr<float>();
  const float* b = w.b.data_ptr<float>();
  float* ys = y.data_ptr<float>() + first * out;
  const auto scale = static_cast<float>(w.scale);
  float t[kMaxRank];
  for (int64_t i = 0; i < count; ++i) {
    const float* xi = xs + i * in;
    for (int64_t j = 0; j < rank; ++j) t[j] = scale * Dot(xi, a + j * in, in);
    float* yi = ys + i * out;
    for (int64_t o = 0; o < out; ++o) yi[o] += Dot(b + o * rank, t, rank);
  }
  return true;
}

}  // namespace tributary::model
