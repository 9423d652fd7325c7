// The evaluation's statistics: ranks, correlations, ROC AUC, recall, quantiles, rank summaries.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "attribution/ml/evaluation-harness.h"

namespace tributary::attribution::eval {

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = (i + j) / 2.0 + 1;
    i = j + 1;
  }
  return r;
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || a.size() != b.size()) return 0.0;
  const double n = static_cast<double>(a.size());
  double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

double Spearman(const std::vector<double>& a, const std::vector<double>& b) {
  return Pearson(Ranks(a), Ranks(b));
}

double RocAuc(const std::vector<double>& score, const std::vector<bool>& positive) {
  auto r = Ranks(score);
  double pos = 0, sum = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (positive[i]) {
      pos += 1;
      sum += r[i];
    }
  }
  const double neg = static_cast<double>(r.size()) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (sum - pos * (pos + 1) / 2) / (pos * neg);
}

double RecallAt(const std::vector<double>& score, const std::vector<bool>& positive, double share) {
  std::vector<size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  const size_t k = static_cast<size_t>(std::ceil(share * static_cast<double>(score.size())));
  double hit = 0, pos = 0;
  for (bool p : positive) pos += p;
  for (size_t i = 0; i < k && i < idx.size(); ++i) hit += positive[idx[i]];
  return pos > 0 ? hit / pos : 0.0;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

json Summary::ToJson() const {
  return {{"mean", mean},     {"sd", sd},   {"min", min}, {"p10", p10},
          {"median", median}, {"p90", p90}, {"max", max}};
}

Summary Summarize(const std::vector<double>& v) {
  Summary s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  s.min = Quantile(v, 0);
  s.p10 = Quantile(v, 0.1);
  s.median = Quantile(v, 0.5);
  s.p90 = Quantile(v, 0.9);
  s.max = Quantile(v, 1);
  return s;
}

int64_t RankOf(const std::map<std::string, double>& score, const std::string& target) {
  auto it = score.find(target);
  if (it == score.end() || !(it->second > 0)) return 0;
  int64_t r = 1;
  for (const auto& [k, v] : score) {
    if (k != target && v >= it->second) ++r;
  }
  return r;
}

void RankStats::Add(int64_t rank) {
  ++n;
  if (rank == 0) return;
  ++found;
  top1 += rank == 1;
  top5 += rank <= 5;
  rr += 1.0 / static_cast<double>(rank);
}

double RankStats::Share(int64_t k) const {
  return n ? static_cast<double>(k) / static_cast<double>(n) : 0;
}

json RankStats::ToJson() const {
  return {{"queries", n},
          {"top1", Share(top1)},
          {"top5", Share(top5)},
          {"mrr", n ? rr / static_cast<double>(n) : 0},
          {"found", Share(found)}};
}

double Round05Up(double x) { return std::ceil(x * 20 - 1e-9) / 20; }
double Round05Down(double x) { return std::floor(x * 20 + 1e-9) / 20; }

}  // namespace tributary::attribution::eval
