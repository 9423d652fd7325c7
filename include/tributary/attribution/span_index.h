// Span attribution: which Datanet rows hold a span of a model's output verbatim.
//
// A shard indexes a set of rows (typically the rows a Datanet version adds, possibly from
// several Datanets and versions) tokenized by one tokenizer. The rows' token ids form one
// stream, every row followed by a separator, so no match crosses rows. A suffix array lists the
// stream positions that hold a token (not a separator) in lexicographic order of the token
// sequence from there to the end of the stream, the separator comparing greater than every id.
// Count and Locate binary-search it over the memory-mapped file, so an index larger than RAM
// still answers (each probe reads one suffix-array entry and a few tokens). A model's lineage
// is several shards (a new version indexes only its new rows); SpanIndex queries them all.
// Shards are built by shard_builder.h and read by shard_reader.h (which documents the file).
//
// Trace(output) finds the spans of an output that occur verbatim in the index:
//  1. for each output position i, the longest match l_i: the largest l such that output[i, i+l)
//     occurs in some shard (a token id that does not fit a shard's width matches nothing there);
//  2. the match at i is a piece when l_i >= min_len and it is maximal: not inside the match of
//     an earlier position (i + l_i > j + l_j for every j < i);
//  3. a piece's count is its number of occurrences summed over the shards; pieces with
//     count > max_count are dropped (common phrases and boilerplate);
//  4. pieces that overlap (share an output token) are merged into one span;
//  5. a span's occurrences are its pieces' occurrences where those in the same row at the same
//     alignment (row offset - output position) and overlapping or touching output ranges are
//     one occurrence covering their union; count is the number of such occurrences;
//  6. score = sum over the span's output tokens t of max over the pieces p covering t of
//     ln(N_total / count_p), N_total the tokens of all shards: each covered token weighs the
//     self-information of the rarest verbatim match around it, so long and rare spans rank
//     first. Spans are sorted by score (descending), then by position; at most max_spans are
//     returned, each with at most max_occurrences occurrences (the longest first, then by shard,
//     row and offset).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "tributary/attribution/shard_reader.h"
#include "tributary/base/status.h"

namespace tributary::attribution {

struct TraceOptions {
  int64_t min_len = 8;          //!< shorter matches are not spans (see MinLenForOutput)
  uint64_t max_count = 100;     //!< matches occurring more often are dropped
  size_t max_spans = 0;         //!< 0: all
  size_t max_occurrences = 20;  //!< per span
  //! Rule 1 searches every output position. When the positions searched so far took more than
  //! slow_position_us each per shard (the index is not in the page cache: each then waits for
  //! about ten disk reads in turn), and at least 50 such positions' time, the rest are searched
  //! on io_threads threads at once, so that their reads overlap. io_threads 0 or 1: always on
  //! the calling thread; slow_position_us 0: on the threads from the second position.
  unsigned io_threads = 8;
  uint64_t slow_position_us = 20;
};

//! The min_len an attributor traces an output of `output_tokens` tokens with, under a rule whose
//! min_len is `min_len`: half the output, at least 3, at most min_len. A short answer found
//! verbatim in the data (a name, a number: "Telrow Vonrurow." is 6 SmolLM2 tokens) is evidence
//! even when it is shorter than the min_len that keeps long outputs from matching on common
//! phrases; the max_count and rarity rules still apply to it.
int64_t MinLenForOutput(int64_t output_tokens, int64_t min_len);

//! A span of the output found in the index (see the rules at the top).
struct Span {
  int64_t begin = 0, end = 0;  //!< output tokens [begin, end)
  uint64_t count = 0;          //!< distinct occurrences (rule 5); may exceed occurrences.size()
  double score = 0;            //!< rule 6
  size_t pieces = 0;           //!< maximal matches merged into it
  std::vector<Occurrence> occurrences;
};

struct TraceResult {
  std::vector<Span> spans;
  std::vector<uint32_t> longest;  //!< l_i for every output position
  uint64_t index_tokens = 0;      //!< N_total
};

//! The shards of a model's lineage, queried together. Copyable (shares the shards); immutable
//! and safe to share between threads.
class SpanIndex {
 public:
  SpanIndex() = default;
  //! InvalidArgument when the shards name different tokenizers.
  static Result<SpanIndex> FromShards(std::vector<std::shared_ptr<const ShardReader>> shards);
  static Result<SpanIndex> Open(const std::vector<std::filesystem::path>& paths,
                                ShardReader::OpenOptions options = {});

  size_t shards() const { return shards_.size(); }
  const ShardReader& shard(size_t i) const { return *shards_[i]; }
  uint64_t tokens() const { return tokens_; }  //!< N_total

  uint64_t Count(std::span<const uint32_t> query) const;
  //! Up to `limit` occurrences: shard by shard, each as ShardReader::Locate.
  std::vector<Occurrence> Locate(std::span<const uint32_t> query, size_t limit) const;
  TraceResult Trace(std::span<const uint32_t> output, const TraceOptions& options = {}) const;
  //! Ids outside [0, 2^32 - 1) match nothing.
  TraceResult Trace(std::span<const int64_t> output, const TraceOptions& options = {}) const;

 private:
  std::vector<std::shared_ptr<const ShardReader>> shards_;
  uint64_t tokens_ = 0;
};

}  // namespace tributary::attribution
