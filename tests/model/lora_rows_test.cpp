#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/lora-rows.h"

namespace tributary::model {
namespace {

// What the engine computes without the raw-float path: libtorch on views of the rows.
torch::Tensor Reference(const torch::Tensor& x, const LoraWeights& w, int64_t first, int64_t count,
                        torch::Tensor y) {
  y.narrow(0, first, count)
      .addmm_(torch::mm(x.narrow(0, first, count), w.a.to(x.scalar_type()).t()),
              w.b.to(x.scalar_type()).t(), 1.0, w.scale);
  return y;
}

LoraWeights Weights(int64_t rank, int64_t in, int64_t out, double scale) {
  return {torch::randn({rank, in}), torch::randn({out, rank}) / std::sqrt(rank), scale};
}

LoraWeights Bfloat16(const LoraWeights& w) {
  return {w.a.to(torch::kBFloat16), w.b.to(torch::kBFloat16), w.scale};
}

TEST(LoraRowsTest, MatchesLibtorchForEveryRankAndRowCountItTakes) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  for (int64_t rank : {1, 2, 7, 8, 16, 33, 256}) {
    for (auto [in, out] : {std::pair<int64_t, int64_t>{64, 64}, {576, 192}, {13, 29}}) {
      for (int64_t count = 1; count <= kLoraRowsMax; ++count) {
        // Float32 weights, and bfloat16 ones (an adapter cache in bf16), which are widened
        // exactly: both against libtorch on the float32 values.
        const bool narrow = count % 2 == 0;
        const LoraWeights w =
            narrow ? Bfloat16(Weights(rank, in, out, 2.0)) : Weights(rank, in, out, 2.0);
        auto x = torch::randn({12, in});
        auto y = torch::randn({12, out});
        auto expected = Reference(x, w, 3, count, y.clone());
        auto before = y.clone();
        ASSERT_TRUE(AddLoraRows(x, w, 3, count, y)) << rank << " " << count;
        const double scale = expected.abs().max().item<double>();
        EXPECT_LE((y - expected).abs().max().item<double>(), 1e-5 * scale)
            << "rank " << rank << " in " << in << " out " << out << " rows " << count
            << (narrow ? " bf16" : " f32");
        // Rows outside the range are untouched.
        EXPECT_TRUE(y.narrow(0, 0, 3).equal(before.narrow(0, 0, 3)));
        EXPECT_TRUE(
            y.narrow(0, 3 + count, 9 - count).equal(before.narrow(0, 3 + count, 9 - count)));
      }
    }
  }
}

TEST(LoraRowsTest, LeavesWhatItDoesNotTakeToLibtorchUnchanged) {
  torch::NoGradGuard no_grad;
  const LoraWeights w = Weights(8, 32, 16, 1.0);
  auto x = torch::randn({16, 32});
  auto y = torch::randn({16, 16});
  const auto before = y.clone();
  auto refused = [&](const torch::Tensor& xs, const LoraWeights& ws, int64_t first, int64_t count,
                     torch::Tensor ys) {
    const auto copy = ys.clone();
    const bool taken = AddLoraRows(xs, ws, first, count, ys);
    EXPECT_TRUE(ys.equal(copy));
    return !taken;
  };
  EXPECT_TRUE(refused(x, w, 0, kLoraRowsMax + 1, y)) << "a prefill chunk keeps the GEMM";
  EXPECT_TRUE(refused(x, w, 0, 0, y));
  EXPECT_TRUE(refused(x, w, 12, 5, y)) << "rows past the end";
  EXPECT_TRUE(refused(x, w, -1, 2, y));
  EXPECT_TRUE(refused(x, Weights(257, 32, 16, 1.0), 0, 1, y)) << "rank above 256";
  EXPECT_TRUE(refused(x, Weights(8, 31, 16, 1.0), 0, 1, y)) << "A of another width";
  EXPECT_TRUE(refused(x, Weights(8, 32, 15, 1.0), 0, 1, y)) << "B of another height";
  EXPECT_TRUE(refused(x.t().contiguous().t(), w, 0, 1, y)) << "column-major x";
  EXPECT_TRUE(refused(x.to(torch::kFloat64), w, 0, 1, y.to(torch::kFloat64))) << "float64";
  EXPECT_TRUE(refused(x.to(torch::kBFloat16), w, 0, 1, y.to(torch::kBFloat16))) << "bf16 rows";
  EXPECT_TRUE(refused(x, {w.a.to(torch::kFloat64), w.b.to(torch::kFloat64), 1.0}, 0, 1, y))
      << "float64 weights";
  EXPECT_TRUE(refused(x, {w.a.to(torch::kBFloat16), w.b, 1.0}, 0, 1, y)) << "A and B differ";
  {
    torch::AutoGradMode grad(true);  // a recorded graph needs libtorch's operations
    EXPECT_TRUE(refused(x, w, 0, 1, y));
  }
  EXPECT_TRUE(y.equal(before));
}

}  // namespace
}  // namespace tributary::model
