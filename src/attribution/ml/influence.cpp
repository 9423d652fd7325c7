// InfluenceIndex: tracin and trak scores over a memory-mapped sketch file (influence.h), with the
// per-file norms and Cholesky factor kept in "<sketches>.influence" (influence-cache.h).
#include "tributary/attribution/influence.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <map>
#include <new>

#include "influence-cache.h"
#include "tributary/base/file_hash.h"
#include "tributary/factory/sketch.h"

namespace tributary::attribution {
namespace {

namespace fs = std::filesystem;
using internal::InfluenceCache;
using json = nlohmann::json;

// Rows per chunk when a pass converts the matrix (to float64 for the one-time pass, to float32
// to score a float16 file): 8M values, 64 MiB as float64, whatever the dim.
constexpr int64_t kChunkValues = int64_t{1} << 23;
int64_t ChunkRows(int64_t dim) {
  return std::max<int64_t>(1, kChunkValues / std::max<int64_t>(1, dim));
}

// What identifies a version of the sketch file on disk. The cache is keyed by size and mtime;
// the inode also tells whether the file was replaced while the cache was being computed.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t dev = 0, ino = 0;
  bool operator==(const FileStamp&) const = default;
};

Result<FileStamp> Stamp(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("cannot open " + path.string());
  FileStamp s;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  return s;
}

// Reports the one-time computation as one count: each stage (hashing, the pass for the norms
// and Gram matrix, the pass for the trak norms) gets an equal share of `total` sketches.
class StageProgress {
 public:
  StageProgress(const InfluenceProgressFn& fn, int64_t total, int stages)
      : fn_(fn), total_(total), stages_(std::max(1, stages)) {}
  void Next() { ++stage_; }
  void Report(double done, double of) const {
    if (!fn_ || total_ <= 0) return;
    const double f = (stage_ + (of > 0 ? std::min(1.0, done / of) : 1.0)) / stages_;
    fn_(std::min(total_, static_cast<int64_t>(f * static_cast<double>(total_))), total_);
  }

 private:
  const InfluenceProgressFn& fn_;
  int64_t total_;
  int stages_;
  int stage_ = 0;
};

// Orders examples by score descending, then index ascending; NaN (which a finite query over
// finite sketches cannot give, barring overflow) sorts last so the order stays strict.
struct Better {
  const float* s;
  static double Key(float v) {
    return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
  }
  bool operator()(int64_t a, int64_t b) const {
    const double ka = Key(s[a]), kb = Key(s[b]);
    return ka != kb ? ka > kb : a < b;
  }
};

// The k best indices, best first, in one pass (a heap whose front is the worst kept).
std::vector<int64_t> TopK(const std::vector<float>& s, size_t k) {
  const Better better{s.data()};
  std::vector<int64_t> heap;
  k = std::min(k, s.size());
  if (k == 0) return heap;
  heap.reserve(k);
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (heap.size() < k) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(i, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = i;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

#if defined(__x86_64__)
bool HasF16c() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          __builtin_cpu_supports("f16c");
  return yes;
}

// s[i] = Σ_k half(h[i][k]) · v[k] for n rows of a row-major float16 matrix.
__attribute__((target("avx2,fma,f16c"))) void HalfGemvF16c(const uint16_t* h, int64_t n,
                                                           int64_t dim, const float* v, float* s) {
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t* row = h + i * dim;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= dim; k += 16) {
      const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k)));
      const __m256 b =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k + 8)));
      acc0 = _mm256_fmadd_ps(a, _mm256_loadu_ps(v + k), acc0);
      acc1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(v + k + 8), acc1);
    }
    const __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
    float sum = _mm_cvtss_f32(x);
    for (; k < dim; ++k) sum += _cvtsh_ss(row[k]) * v[k];
    s[i] = sum;
  }
}

// s[i] = Σ_k row_i[k] · q[k] accumulated in double, for n rows of float32 or float16 (`half`).
__attribute__((target("avx2,fma,f16c"))) void DotRowsDoubleAvx2(const void* rows, bool half,
                                                                int64_t n, int64_t dim,
                                                                const double* q, double* s) {
  for (int64_t i = 0; i < n; ++i) {
    const float* f = half ? nullptr : static_cast<const float*>(rows) + i * dim;
    const uint16_t* h = half ? static_cast<const uint16_t*>(rows) + i * dim : nullptr;
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    int64_t k = 0;
    for (; k + 8 <= dim; k += 8) {
      const __m256 x =
          half ? _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + k)))
               : _mm256_loadu_ps(f + k);
      acc0 =
          _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), _mm256_loadu_pd(q + k), acc0);
      acc1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)),
                             _mm256_loadu_pd(q + k + 4), acc1);
    }
    const __m256d acc = _mm256_add_pd(acc0, acc1);
    __m128d x = _mm_add_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
    x = _mm_add_sd(x, _mm_unpackhi_pd(x, x));
    double sum = _mm_cvtsd_f64(x);
    for (; k < dim; ++k) sum += double{half ? _cvtsh_ss(h[k]) : f[k]} * q[k];
    s[i] = sum;
  }
}
#else
// Other architectures score float16 files through the chunked torch conversion.
bool HasF16c() { return false; }
void HalfGemvF16c(const uint16_t*, int64_t, int64_t, const float*, float*) {}
void DotRowsDoubleAvx2(const void*, bool, int64_t, int64_t, const double*, double*) {}
#endif

// DotRowsDoubleAvx2 without the instructions: four accumulators, so the loads overlap.
void DotRowsDoublePortable(const void* rows, bool half, int64_t n, int64_t dim, const double* q,
                           double* s) {
  for (int64_t i = 0; i < n; ++i) {
    auto at = [&](int64_t k) -> double {
      if (!half) return static_cast<const float*>(rows)[i * dim + k];
      return static_cast<float>(
          c10::Half(static_cast<const uint16_t*>(rows)[i * dim + k], c10::Half::from_bits()));
    };
    double a[4] = {0, 0, 0, 0};
    int64_t k = 0;
    for (; k + 4 <= dim; k += 4) {
      for (int j = 0; j < 4; ++j) a[j] += at(k + j) * q[k + j];
    }
    for (; k < dim; ++k) a[0] += at(k) * q[k];
    s[i] = (a[0] + a[1]) + (a[2] + a[3]);
  }
}

Status TorchError(const char* what, const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  return Status::Internal(std::string(what) + ": " +
                          (c10 ? c10->what_without_backtrace() : e.what()));
}

}  // namespace

struct InfluenceIndex::Impl {
  std::unique_ptr<factory::SketchFile> file;
  torch::Tensor matrix;  // [count, dim] over the mapping, float32 or float16
  InfluenceOptions options;
  int64_t count = 0, dim = 0;
  std::string sha256;
  std::vector<double> norms;  // |g_i|_M in the method's metric
  // trak: (G^T G + λI)^-1 from the cached Cholesky factor, float64 [dim, dim]. Explicit, so a
  // query is one matrix-vector product (cholesky_solve copies the factor on every call); with
  // λ = damping · trace / min(count, dim) the condition number is at most about
  // min(count, dim) / damping.
  // With fewer sketches than dims (`dual`, an adapter trained on a small Datanet) the same scores
  // come from the count x count side instead: (G G^T + λI)^-1, float64 [count, count].
  torch::Tensor inverse;
  bool dual = false;
  double lambda = 0;
  // Contributions sorted by id; group[i] is row i's.
  struct Contribution {
    std::string id, contributor;
  };
  std::vector<Contribution> contributions;
  std::vector<int32_t> group;

  // The one-time pass over the matrix: Euclidean norms (and a finiteness check) when
  // `norms_out` is given, G^T G when `gram` is defined.
  Status NormsAndGram(std::vector<double>* norms_out, torch::Tensor gram,
                      const StageProgress& progress) const;
  // |g_i|_M for trak, from the factor: |L^-1 g_i|.
  std::vector<double> TrakNorms(const torch::Tensor& l, const StageProgress& progress) const;
  // The dual form's one-time pass: G G^T, float64 [count, count], a pair of row chunks at a time.
  torch::Tensor RowGram(const StageProgress& progress) const;
  // G q in float64 (the dual form subtracts from |q|^2, so it needs the precision).
  torch::Tensor ApplyDouble(const torch::Tensor& q) const;
  // Validates `query`; gives every example's score and |q|_M.
  Result<std::pair<std::vector<float>, double>> Scores(std::span<const float> query) const;
  std::vector<float> Apply(const torch::Tensor& v) const;  // G v, float32 [count]
  // The result for scores `s` of a query of norm |q|_M = `qnorm`.
  InfluenceResult Aggregate(const std::vector<float>& s, double qnorm) const;
};

Status InfluenceIndex::Impl::NormsAndGram(std::vector<double>* norms_out, torch::Tensor gram,
                                          const StageProgress& progress) const {
  const int64_t step = ChunkRows(dim);
  if (norms_out) norms_out->assign(static_cast<size_t>(count), 0.0);
  for (int64_t r0 = 0; r0 < count; r0 += step) {
    const int64_t m = std::min(step, count - r0);
    const torch::Tensor x = matrix.narrow(0, r0, m).to(torch::kFloat64);
    if (norms_out) {
      const torch::Tensor sq = x.square().sum(1).contiguous();
      const double* p = sq.data_ptr<double>();
      for (int64_t i = 0; i < m; ++i) {
        if (!std::isfinite(p[i])) {
          return Status::Corruption(
              "sketch " + std::to_string(r0 + i) + " has a value that is not finite",
              "bad_sketches");
        }
        (*norms_out)[static_cast<size_t>(r0 + i)] = std::sqrt(p[i]);
      }
    }
    if (gram.defined()) gram.addmm_(x.t(), x);
    progress.Report(static_cast<double>(r0 + m), static_cast<double>(count));
  }
  return Status::OK();
}

std::vector<double> InfluenceIndex::Impl::TrakNorms(const torch::Tensor& l,
                                                    const StageProgress& progress) const {
  // |g|_M^2 = g^T (L L^T)^-1 g = |L^-1 g|^2; with W = L^-1 once, a chunk is one matmul.
  const torch::Tensor w =
      torch::linalg_solve_triangular(l, torch::eye(dim, torch::kFloat64), /*upper=*/false);
  const torch::Tensor wt = w.t().contiguous();
  std::vector<double> out(static_cast<size_t>(count));
  const int64_t step = ChunkRows(dim);
  for (int64_t r0 = 0; r0 < count; r0 += step) {
    const int64_t m = std::min(step, count - r0);
    const torch::Tensor y = matrix.narrow(0, r0, m).to(torch::kFloat64).matmul(wt);
    const torch::Tensor sq = y.square().sum(1).contiguous();
    const double* p = sq.data_ptr<double>();
    for (int64_t i = 0; i < m; ++i) out[static_cast<size_t>(r0 + i)] = std::sqrt(p[i]);
    progress.Report(static_cast<double>(r0 + m), static_cast<double>(count));
  }
  return out;
}

torch::Tensor InfluenceIndex::Impl::RowGram(const StageProgress& progress) const {
  torch::Tensor k = torch::zeros({count, count}, torch::kFloat64);
  const int64_t step = ChunkRows(dim);
  const int64_t chunks = (count + step - 1) / step;
  const double pairs = static_cast<double>(chunks) * static_cast<double>(chunks + 1) / 2;
  double done = 0;
  for (int64_t a0 = 0; a0 < count; a0 += step) {
    const int64_t ma = std::min(step, count - a0);
    const torch::Tensor xa = matrix.narrow(0, a0, ma).to(torch::kFloat64);
    for (int64_t b0 = 0; b0 <= a0; b0 += step) {
      const int64_t mb = std::min(step, count - b0);
      const torch::Tensor block =
          b0 == a0 ? xa.mm(xa.t()) : xa.mm(matrix.narrow(0, b0, mb).to(torch::kFloat64).t());
      k.narrow(0, a0, ma).narrow(1, b0, mb).copy_(block);
      if (b0 != a0) k.narrow(0, b0, mb).narrow(1, a0, ma).copy_(block.t());
      progress.Report(++done, pairs);
    }
  }
  return k;
}

torch::Tensor InfluenceIndex::Impl::ApplyDouble(const torch::Tensor& q) const {
  // Read in place, accumulated in double: converting the matrix to float64 on every query (what
  // torch would do) costs several times the product itself.
  torch::Tensor out = torch::empty({count}, torch::kFloat64);
  const torch::Tensor qc = q.contiguous();
  const bool half = matrix.scalar_type() != torch::kFloat32;
  const auto* base = static_cast<const uint8_t*>(matrix.data_ptr());
  const size_t row_bytes = static_cast<size_t>(dim) * (half ? 2 : 4);
  const double* qp = qc.data_ptr<double>();
  double* op = out.data_ptr<double>();
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, dim));
  at::parallel_for(0, count, grain, [&](int64_t b, int64_t e) {
    const void* rows = base + static_cast<size_t>(b) * row_bytes;
    if (HasF16c()) {
      DotRowsDoubleAvx2(rows, half, e - b, dim, qp, op + b);
    } else {
      DotRowsDoublePortable(rows, half, e - b, dim, qp, op + b);
    }
  });
  return out;
}

Result<std::pair<std::vector<float>, double>> InfluenceIndex::Impl::Scores(
    std::span<const float> query) const {
  if (static_cast<int64_t>(query.size()) != dim) {
    return Status::InvalidArgument("the query has " + std::to_string(query.size()) +
                                       " values; the sketches have " + std::to_string(dim),
                                   "bad_query");
  }
  for (float v : query) {
    if (!std::isfinite(v)) return Status::InvalidArgument("the query is not finite", "bad_query");
  }
  const torch::Tensor q = torch::from_blob(const_cast<float*>(query.data()), {dim}, torch::kFloat32)
                              .to(torch::kFloat64);
  if (options.method == InfluenceMethod::kTracIn) {
    return std::make_pair(Apply(q.to(torch::kFloat32)), std::sqrt(q.dot(q).item<double>()));
  }
  if (!dual) {
    const torch::Tensor u = inverse.mv(q);
    const double qmq = std::max(0.0, q.dot(u).item<double>());
    return std::make_pair(Apply(u.to(torch::kFloat32)), std::sqrt(qmq));
  }
  // With b = G q and K = G G^T: G (G^T G + λI)^-1 q = (K + λI)^-1 b (push-through), and by
  // Woodbury q^T (G^T G + λI)^-1 q = (|q|^2 - b^T (K + λI)^-1 b) / λ.
  const torch::Tensor b = ApplyDouble(q);
  const torch::Tensor u = inverse.mv(b);
  const torch::Tensor s = u.to(torch::kFloat32).contiguous();
  const double qmq = std::max(0.0, (q.dot(q).item<double>() - b.dot(u).item<double>()) / lambda);
  const float* p = s.data_ptr<float>();
  return std::make_pair(std::vector<float>(p, p + count), std::sqrt(qmq));
}

std::vector<float> InfluenceIndex::Impl::Apply(const torch::Tensor& v) const {
  std::vector<float> out(static_cast<size_t>(count));
  if (count == 0) return out;
  torch::Tensor s = torch::from_blob(out.data(), {count}, torch::kFloat32);
  if (matrix.scalar_type() == torch::kFloat32) {
    torch::mv_out(s, matrix, v);
    return out;
  }
  // float16. libtorch's CPU half-to-float conversion here is scalar (about 20x slower than the
  // float32 product), so with F16C the rows are converted in registers and never copied.
  const auto* h = static_cast<const uint16_t*>(matrix.data_ptr());
  const float* vp = v.data_ptr<float>();
  if (HasF16c()) {
    at::parallel_for(0, count, 4096, [&](int64_t b, int64_t e) {
      HalfGemvF16c(h + b * dim, e - b, dim, vp, out.data() + b);
    });
    return out;
  }
  // Otherwise converted a chunk at a time so the float32 copy stays bounded.
  const int64_t step = ChunkRows(dim) * 2;
  for (int64_t r0 = 0; r0 < count; r0 += step) {
    const int64_t m = std::min(step, count - r0);
    torch::Tensor part = s.narrow(0, r0, m);
    torch::mv_out(part, matrix.narrow(0, r0, m).to(torch::kFloat32), v);
  }
  return out;
}

InfluenceResult InfluenceIndex::Impl::Aggregate(const std::vector<float>& s, double qnorm) const {
  auto cosine = [&](int64_t i) {
    const double d = qnorm * norms[static_cast<size_t>(i)];
    // Clamped: rounding can put a perfectly aligned pair a hair past 1.
    return d > 0 ? std::clamp(static_cast<double>(s[static_cast<size_t>(i)]) / d, -1.0, 1.0) : 0.0;
  };

  InfluenceResult r;
  r.method = std::string(InfluenceMethodName(options.method));
  r.query_norm = qnorm;
  const size_t nc = contributions.size();
  std::vector<double> score(nc, 0.0), positive(nc, 0.0);
  std::vector<double> best(nc, -std::numeric_limits<double>::infinity());
  std::vector<int64_t> examples(nc, 0);
  for (int64_t i = 0; i < count; ++i) {
    const auto g = static_cast<size_t>(group[static_cast<size_t>(i)]);
    const double c = cosine(i);
    score[g] += s[static_cast<size_t>(i)];
    best[g] = std::max(best[g], c);
    ++examples[g];
    r.max_cosine = std::max(r.max_cosine, c);
  }
  // `positive` is relative influence (RelatIF): each example's score divided by its own norm,
  // i.e. its cosine times |q|, so high-loss, large-gradient examples cannot outweigh the example
  // the output lines up with; only the part above the floor counts, so many loosely aligned
  // examples cannot either. Summed over the examples that align best.
  std::vector<float> cos(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) cos[static_cast<size_t>(i)] = static_cast<float>(cosine(i));
  for (int64_t i : TopK(cos, options.aggregate_examples)) {
    const double c = cosine(i) - options.cosine_floor;  // in double; `cos` only ranks
    if (c > 0) positive[static_cast<size_t>(group[static_cast<size_t>(i)])] += c;
  }
  for (int64_t i : TopK(s, options.top_examples)) {
    factory::SketchKey key = file->Key(i);
    r.top.push_back({i, std::move(key.row_id), std::move(key.contribution),
                     std::move(key.contributor), s[static_cast<size_t>(i)], cosine(i)});
  }
  r.contributions.reserve(nc);
  for (size_t g = 0; g < nc; ++g) {
    r.contributions.push_back({contributions[g].id, contributions[g].contributor, score[g],
                               positive[g], best[g], examples[g]});
  }
  // Contributions are already in id order, so a stable sort leaves ties by id ascending.
  std::stable_sort(r.contributions.begin(), r.contributions.end(),
                   [](const ContributionInfluence& a, const ContributionInfluence& b) {
                     if (a.positive != b.positive) return a.positive > b.positive;
                     return a.score > b.score;
                   });
  return r;
}

InfluenceIndex::InfluenceIndex() : impl_(std::make_unique<Impl>()) {}
InfluenceIndex::~InfluenceIndex() = default;

Result<std::unique_ptr<InfluenceIndex>> InfluenceIndex::Open(const fs::path& sketches,
                                                             const InfluenceOptions& options,
                                                             const InfluenceProgressFn& progress) {
  if (!(options.damping > 0) || !std::isfinite(options.damping)) {
    return Status::InvalidArgument("damping must be a positive number", "bad_option");
  }
  if (!(options.cosine_floor >= 0 && options.cosine_floor < 1)) {
    return Status::InvalidArgument("cosine_floor must be in [0, 1)", "bad_option");
  }
  // Stamped before mapping: if the file is replaced in between, the cache gets the older stamp
  // and is merely recomputed next time, never reused for content it was not computed from.
  auto stamp = Stamp(sketches);
  TRIB_ASSIGN_OR_RETURN(auto file, factory::SketchFile::Open(sketches));
  if (!stamp.ok()) return stamp.status();
  std::unique_ptr<InfluenceIndex> index(new InfluenceIndex());
  Impl& im = *index->impl_;
  im.options = options;
  im.count = file->count();
  im.dim = file->dim();
  im.file = std::move(file);
  try {
    im.matrix = im.file->Matrix();

    // Rows grouped by contribution, ids in ascending order.
    std::map<std::string, std::pair<int32_t, std::string>> by_id;
    // Rows of a contribution are usually consecutive (datanet order), so each run of equal ids
    // costs one map lookup.
    std::vector<std::map<std::string, std::pair<int32_t, std::string>>::iterator> row_entry;
    row_entry.reserve(static_cast<size_t>(im.count));
    for (int64_t i = 0; i < im.count; ++i) {
      factory::SketchKey key = im.file->Key(i);
      if (i > 0 && row_entry.back()->first == key.contribution) {
        row_entry.push_back(row_entry.back());
      } else {
        row_entry.push_back(
            by_id.try_emplace(std::move(key.contribution), 0, std::move(key.contributor)).first);
      }
    }
    for (auto& [id, entry] : by_id) {
      entry.first = static_cast<int32_t>(im.contributions.size());
      im.contributions.push_back({id, entry.second});
    }
    im.group.resize(static_cast<size_t>(im.count));
    for (size_t i = 0; i < row_entry.size(); ++i) im.group[i] = row_entry[i]->second.first;

    // The cache: reused when it describes this version of the file (size and mtime), its shape
    // matches and, for trak, it was computed with this damping.
    const fs::path cache_path = fs::path(sketches) += ".influence";
    InfluenceCache cache;
    bool have = false;
    if (auto read = internal::ReadInfluenceCache(cache_path); read.ok()) {
      have = read->file_size == stamp->size && read->mtime_ns == stamp->mtime_ns &&
             read->count == static_cast<uint64_t>(im.count) &&
             read->dim == static_cast<uint32_t>(im.dim);
      if (have) cache = std::move(*read);
    }
    const bool trak = options.method == InfluenceMethod::kTrak;
    // Fewer sketches than dims: whiten on the count x count side (same scores, O(count^2 dim)
    // instead of O(count dim^2), and a count^2 factor in memory instead of dim^2).
    im.dual = im.count < im.dim;
    // A dual factor from before λ was scaled by min(count, dim) has another λ: recomputed.
    const bool need_trak = trak && !(have && cache.has_trak && cache.damping == options.damping &&
                                     cache.dual == im.dual && (cache.rank_scaled || !im.dual));
    if (!have) {
      cache = InfluenceCache();
      cache.file_size = stamp->size;
      cache.mtime_ns = stamp->mtime_ns;
      cache.count = static_cast<uint64_t>(im.count);
      cache.dim = static_cast<uint32_t>(im.dim);
    }
    // Stages: hashing and the norms pass (a new file); for trak G^T G (with the norms pass, or its
    // own) and the trak norms, or G G^T in the dual form.
    const int trak_stages = !need_trak ? 0 : im.dual ? 1 : have ? 2 : 1;
    StageProgress stages(progress, im.count, (have ? 0 : 2) + trak_stages);
    if (!have) {
      TRIB_ASSIGN_OR_RETURN(Hash32 sha, Sha256File(sketches, [&](uint64_t done, uint64_t total) {
                              stages.Report(static_cast<double>(done), static_cast<double>(total));
                            }));
      cache.sha256 = ToHex(sha);
      stages.Next();
    }
    if (!have || need_trak) {
      torch::Tensor gram;
      if (need_trak && !im.dual) gram = torch::zeros({im.dim, im.dim}, torch::kFloat64);
      if (!have || gram.defined()) {
        TRIB_RETURN_IF_ERROR(im.NormsAndGram(have ? nullptr : &cache.norms, gram, stages));
        stages.Next();
      }
      if (need_trak) {
        // G G^T has the same trace as G^T G, so λ is the same in both forms. Its nonzero
        // eigenvalues number min(count, dim): λ is damping times their mean (influence.h).
        if (im.dual) gram = im.RowGram(stages);
        const double trace = gram.trace().item<double>();
        const auto rank = static_cast<double>(std::min(im.count, im.dim));
        // All-zero sketches have no scale to take λ from; any positive λ gives them score 0.
        const double lambda = trace > 0 ? options.damping * trace / rank : options.damping;
        torch::Tensor l;  // the lower Cholesky factor the cache keeps
        if (im.dual) {
          // |g_i|_M^2 = [K (K + λI)^-1]_ii, summed from K itself (1 - λ [(K + λI)^-1]_ii would
          // cancel for small sketches).
          l = torch::linalg_cholesky(gram + lambda * torch::eye(im.count, torch::kFloat64))
                  .contiguous();
          const torch::Tensor sq =
              (gram * torch::cholesky_inverse(l, /*upper=*/false)).sum(1).clamp_min(0).sqrt();
          const double* p = sq.data_ptr<double>();
          cache.trak_norms.assign(p, p + im.count);
        } else {
          gram.diagonal().add_(lambda);
          l = torch::linalg_cholesky(gram).contiguous();
          cache.trak_norms = im.TrakNorms(l, stages);
        }
        cache.factor.assign(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
        cache.has_trak = true;
        cache.dual = im.dual;
        cache.rank_scaled = true;
        cache.damping = options.damping;
        cache.lambda = lambda;
      }
      if (progress && im.count > 0) progress(im.count, im.count);
      // Kept only in memory when the directory is not writable or the file changed meanwhile.
      auto after = Stamp(sketches);
      if (after.ok() && *after == *stamp) (void)internal::WriteInfluenceCache(cache_path, cache);
    }
    im.sha256 = cache.sha256;
    if (trak) {
      im.norms = std::move(cache.trak_norms);
      im.lambda = cache.lambda;
      const int64_t n = im.dual ? im.count : im.dim;
      im.inverse = torch::cholesky_inverse(
          torch::from_blob(cache.factor.data(), {n, n}, torch::kFloat64), /*upper=*/false);
    } else {
      im.norms = std::move(cache.norms);
    }
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory opening " + sketches.string());
  } catch (const std::exception& e) {
    return TorchError("influence cache computation failed", e);
  }
  return index;
}

int64_t InfluenceIndex::count() const { return impl_->count; }
int64_t InfluenceIndex::dim() const { return impl_->dim; }
const InfluenceOptions& InfluenceIndex::options() const { return impl_->options; }
const nlohmann::json& InfluenceIndex::description() const { return impl_->file->description(); }
uint64_t InfluenceIndex::seed() const { return impl_->file->seed(); }
std::string InfluenceIndex::sketches_sha256() const { return impl_->sha256; }

Result<std::vector<float>> InfluenceIndex::ScoreAll(std::span<const float> query) const {
  try {
    TRIB_ASSIGN_OR_RETURN(auto scored, impl_->Scores(query));
    return std::move(scored.first);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory scoring a query");
  } catch (const std::exception& e) {
    return TorchError("influence scoring failed", e);
  }
}

Result<InfluenceResult> InfluenceIndex::Score(std::span<const float> query) const {
  try {
    TRIB_ASSIGN_OR_RETURN(auto scored, impl_->Scores(query));
    return impl_->Aggregate(scored.first, scored.second);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory scoring a query");
  } catch (const std::exception& e) {
    return TorchError("influence scoring failed", e);
  }
}

std::vector<float> InfluenceIndex::SelfInfluence() const {
  std::vector<float> out(impl_->norms.size());
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<float>(impl_->norms[i] * impl_->norms[i]);
  }
  return out;
}

json InfluenceResult::ToJson(size_t max_contributions) const {
  json top_json = json::array();
  for (const ExampleInfluence& e : top) {
    top_json.push_back({{"index", e.index},
                        {"row_id", e.row_id},
                        {"contribution", e.contribution},
                        {"contributor", e.contributor},
                        {"score", e.score},
                        {"cosine", e.cosine}});
  }
  json contributions_json = json::array();
  for (size_t i = 0; i < contributions.size() && i < max_contributions; ++i) {
    const ContributionInfluence& c = contributions[i];
    contributions_json.push_back({{"contribution", c.contribution},
                                  {"contributor", c.contributor},
                                  {"score", c.score},
                                  {"positive", c.positive},
                                  {"best_cosine", c.best_cosine},
                                  {"examples", c.examples}});
  }
  return {{"method", method},
          {"max_cosine", max_cosine},
          {"query_norm", query_norm},
          {"top", std::move(top_json)},
          {"contributions", std::move(contributions_json)},
          {"contributions_total", contributions.size()}};
}

}  // namespace tributary::attribution
