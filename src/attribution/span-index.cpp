// SpanIndex: the shards of a lineage queried together, and Trace (rules in span_index.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

#include "tributary/attribution/span_index.h"
#include "tributary/base/parallel.h"

namespace tributary::attribution {

namespace fs = std::filesystem;

int64_t MinLenForOutput(int64_t output_tokens, int64_t min_len) {
  return std::min(min_len, std::max<int64_t>(3, output_tokens / 2));
}

Result<SpanIndex> SpanIndex::FromShards(std::vector<std::shared_ptr<const ShardReader>> shards) {
  SpanIndex index;
  for (size_t i = 0; i < shards.size(); ++i) {
    if (!shards[i]) return Status::InvalidArgument("shard " + std::to_string(i) + " is null");
    if (shards[i]->info().tokenizer != shards[0]->info().tokenizer) {
      return Status::InvalidArgument(
          "shards use different tokenizers: " + shards[0]->info().tokenizer + " and " +
              shards[i]->info().tokenizer,
          "tokenizer_mismatch");
    }
    index.tokens_ += shards[i]->tokens();
  }
  index.shards_ = std::move(shards);
  return index;
}

Result<SpanIndex> SpanIndex::Open(const std::vector<fs::path>& paths,
                                  ShardReader::OpenOptions options) {
  std::vector<std::shared_ptr<const ShardReader>> shards;
  for (const fs::path& p : paths) {
    TRIB_ASSIGN_OR_RETURN(std::unique_ptr<ShardReader> r, ShardReader::Open(p, options));
    shards.push_back(std::move(r));
  }
  return FromShards(std::move(shards));
}

uint64_t SpanIndex::Count(std::span<const uint32_t> query) const {
  uint64_t n = 0;
  for (const auto& s : shards_) n += s->Count(query);
  return n;
}

std::vector<Occurrence> SpanIndex::Locate(std::span<const uint32_t> query, size_t limit) const {
  std::vector<Occurrence> out;
  for (size_t i = 0; i < shards_.size() && out.size() < limit; ++i) {
    for (Occurrence& o : shards_[i]->Locate(query, limit - out.size())) {
      o.shard = static_cast<uint32_t>(i);
      out.push_back(std::move(o));
    }
  }
  return out;
}

TraceResult SpanIndex::Trace(std::span<const int64_t> output, const TraceOptions& options) const {
  std::vector<uint32_t> ids(output.size());
  for (size_t i = 0; i < output.size(); ++i) {
    const int64_t t = output[i];
    ids[i] = t >= 0 && t < int64_t{UINT32_MAX} ? static_cast<uint32_t>(t) : UINT32_MAX;
  }
  return Trace(std::span<const uint32_t>(ids), options);
}

namespace {

// A maximal match of the output (rule 2) that passed the count filter (rule 3).
struct Piece {
  int64_t begin, end;
  uint64_t count;
  // Where it occurs: shard, row, alignment (row offset of output position 0).
  std::vector<std::tuple<uint32_t, uint64_t, int64_t>> places;
};

}  // namespace

TraceResult SpanIndex::Trace(std::span<const uint32_t> output, const TraceOptions& options) const {
  TraceResult result;
  result.index_tokens = tokens_;
  const auto n = static_cast<int64_t>(output.size());
  const int64_t min_len = std::max<int64_t>(1, options.min_len);
  result.longest.assign(output.size(), 0);

  // Rule 1: the longest match at every position, over the shards. With the index in the page
  // cache a position takes a microsecond or two a shard; out of it, a dozen disk reads one after
  // the other. So once the positions so far took longer than slow_position_us each (a shard),
  // the rest are searched on io_threads threads, whose reads the disk serves concurrently.
  auto search = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      size_t best = 0;
      for (const auto& s : shards_) best = std::max(best, s->LongestPrefix(output.subspan(i)));
      result.longest[i] = static_cast<uint32_t>(best);
    }
  };
  if (shards_.empty()) return result;  // nothing matches: every l_i is 0, no spans
  const auto start = std::chrono::steady_clock::now();
  const double slow_us =
      static_cast<double>(options.slow_position_us) * static_cast<double>(shards_.size());
  int64_t searched = 0;
  while (searched < n) {
    search(searched, searched + 1);
    ++searched;
    if (options.io_threads <= 1 || searched == n) continue;
    const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    // Starting a thread can cost a few hundred microseconds: not before 50 slow positions' time.
    if (took.count() >= slow_us * static_cast<double>(std::max<int64_t>(searched, 50))) break;
  }
  if (searched < n) {
    ParallelFor(
        static_cast<size_t>(n - searched), 8,
        [&](size_t from, size_t to) { search(searched + from, searched + to); },
        options.io_threads);
  }

  // Rules 2 and 3: maximal pieces, counted and located.
  std::vector<Piece> pieces;
  int64_t reach = 0;  // the furthest end of a match so far
  for (int64_t i = 0; i < n; ++i) {
    const int64_t end = i + result.longest[i];
    const bool maximal = end > reach;
    reach = std::max(reach, end);
    if (!maximal || end - i < min_len) continue;
    const auto q = output.subspan(i, end - i);
    std::vector<std::pair<uint64_t, uint64_t>> ranges(shards_.size());
    uint64_t count = 0;
    for (size_t s = 0; s < shards_.size() && count <= options.max_count; ++s) {
      ranges[s] = shards_[s]->Find(q);
      count += ranges[s].second - ranges[s].first;
    }
    if (count > options.max_count || count == 0) continue;
    Piece p{i, end, count, {}};
    for (size_t s = 0; s < shards_.size(); ++s) {
      const ShardReader& shard = *shards_[s];
      for (uint64_t k = ranges[s].first; k < ranges[s].second; ++k) {
        const uint64_t pos = shard.SuffixAt(k);
        if (pos >= shard.stream_length()) continue;  // a damaged suffix array
        const uint64_t row = shard.RowOf(pos);
        p.places.emplace_back(static_cast<uint32_t>(s), row,
                              static_cast<int64_t>(pos - shard.RowBegin(row)) - i);
      }
    }
    pieces.push_back(std::move(p));
  }

  // Rule 4: merge overlapping pieces (they come in order of begin, with increasing ends).
  const double total = static_cast<double>(std::max<uint64_t>(tokens_, 1));
  for (size_t a = 0; a < pieces.size();) {
    size_t b = a + 1;
    int64_t end = pieces[a].end;
    while (b < pieces.size() && pieces[b].begin < end) end = std::max(end, pieces[b++].end);
    Span span;
    span.begin = pieces[a].begin;
    span.end = end;
    span.pieces = b - a;
    // Rule 6: per token, the rarest piece covering it.
    std::vector<double> weight(end - span.begin, 0.0);
    for (size_t p = a; p < b; ++p) {
      const double rarity = std::log(total / static_cast<double>(pieces[p].count));
      for (int64_t t = pieces[p].begin; t < pieces[p].end; ++t) {
        weight[t - span.begin] = std::max(weight[t - span.begin], rarity);
      }
    }
    for (double w : weight) span.score += w;
    // Rule 5: occurrences by (shard, row, alignment), overlapping or touching ranges joined.
    std::map<std::tuple<uint32_t, uint64_t, int64_t>, std::vector<std::pair<int64_t, int64_t>>>
        by_place;
    for (size_t p = a; p < b; ++p) {
      for (const auto& place : pieces[p].places) {
        by_place[place].emplace_back(pieces[p].begin, pieces[p].end);
      }
    }
    std::vector<Occurrence> occ;
    for (auto& [place, ranges] : by_place) {
      std::sort(ranges.begin(), ranges.end());
      for (size_t r = 0; r < ranges.size();) {
        int64_t rb = ranges[r].first, re = ranges[r].second;
        size_t q = r + 1;
        while (q < ranges.size() && ranges[q].first <= re) re = std::max(re, ranges[q++].second);
        Occurrence o;
        o.shard = std::get<0>(place);
        o.row = std::get<1>(place);
        o.offset = static_cast<uint64_t>(std::get<2>(place) + rb);
        o.output_begin = rb;
        o.output_end = re;
        occ.push_back(std::move(o));
        r = q;
      }
    }
    span.count = occ.size();
    std::sort(occ.begin(), occ.end(), [](const Occurrence& x, const Occurrence& y) {
      const int64_t lx = x.output_end - x.output_begin, ly = y.output_end - y.output_begin;
      if (lx != ly) return lx > ly;
      return std::tie(x.shard, x.row, x.offset) < std::tie(y.shard, y.row, y.offset);
    });
    if (occ.size() > options.max_occurrences) occ.resize(options.max_occurrences);
    for (Occurrence& o : occ) {
      RowInfo info = shards_[o.shard]->Row(o.row);
      o.row_id = std::move(info.row_id);
      o.contribution = std::move(info.contribution);
      o.contributor = std::move(info.contributor);
    }
    span.occurrences = std::move(occ);
    result.spans.push_back(std::move(span));
    a = b;
  }
  std::stable_sort(result.spans.begin(), result.spans.end(), [](const Span& x, const Span& y) {
    if (x.score != y.score) return x.score > y.score;
    return x.begin < y.begin;
  });
  if (options.max_spans > 0 && result.spans.size() > options.max_spans) {
    result.spans.resize(options.max_spans);
  }
  return result;
}

}  // namespace tributary::attribution
