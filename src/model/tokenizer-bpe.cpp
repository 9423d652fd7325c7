// Byte-level BPE on one pre-token: its bytes as symbols, merged by rank (with a cache of words).

#include <mutex>
#include <queue>

#include "model/tokenizer-internal.h"

namespace tributary::model {

using nlohmann::json;
using namespace tokenizer_detail;

namespace {

constexpr size_t kCacheMaxEntries = 1 << 16;
constexpr size_t kCacheMaxWordBytes = 256;

}  // namespace

void Tokenizer::Impl::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  if (word.empty()) return;
  if (ignore_merges) {
    auto it = vocab.find(ByteLevelEncode(word));
    if (it != vocab.end()) {
      out->push_back(it->second);
      return;
    }
  }
  if (word.size() <= kCacheMaxWordBytes) {
    {
      std::shared_lock lock(cache_mu);
      auto it = cache.find(std::string(word));
      if (it != cache.end()) {
        out->insert(out->end(), it->second.begin(), it->second.end());
        return;
      }
    }
    std::vector<int32_t> ids;
    MergeWord(word, &ids);
    out->insert(out->end(), ids.begin(), ids.end());
    std::unique_lock lock(cache_mu);
    if (cache.size() >= kCacheMaxEntries) cache.clear();
    cache.emplace(std::string(word), std::move(ids));
    return;
  }
  MergeWord(word, out);
}

// BPE over one pre-token: repeatedly apply the lowest-ranked merge, leftmost first on ties, as the
// reference's Word::merge_all does with its priority queue (dropout ignored).
void Tokenizer::Impl::MergeWord(std::string_view word, std::vector<int32_t>* out) const {
  std::vector<int32_t> sym;
  sym.reserve(word.size());
  for (char c : word) {
    const auto& ids = byte_symbols[static_cast<uint8_t>(c)];
    sym.insert(sym.end(), ids.begin(), ids.end());
  }
  const int n = static_cast<int>(sym.size());
  if (n <= 1 || merges.empty()) {
    out->insert(out->end(), sym.begin(), sym.end());
    return;
  }
  auto key = [](int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  };
  struct Cand {
    int32_t rank, pos, new_id;
  };
  auto later = [](const Cand& a, const Cand& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  };
  std::priority_queue<Cand, std::vector<Cand>, decltype(later)> heap(later);
  std::vector<int32_t> next(n), prev(n);
  std::vector<uint8_t> alive(n, 1);
  for (int i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  auto push = [&](int pos) {
    if (pos < 0 || next[pos] < 0) return;
    auto it = merges.find(key(sym[pos], sym[next[pos]]));
    if (it != merges.end()) heap.push({it->second.first, pos, it->second.second});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Cand top = heap.top();
    heap.pop();
    if (!alive[top.pos]) continue;
    const int nx = next[top.pos];
    if (nx < 0) continue;
    auto it = merges.find(key(sym[top.pos], sym[nx]));
    if (it == merges.end() || it->second.second != top.new_id) continue;  // stale
    sym[top.pos] = top.new_id;
    alive[nx] = 0;
    next[top.pos] = next[nx];
    if (next[nx] >= 0) prev[next[nx]] = top.pos;
    push(prev[top.pos]);
    push(top.pos);
  }
  for (int i = 0; i >= 0; i = next[i]) out->push_back(sym[i]);
}

}  // namespace tributary::model
