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
//
// Construction. Each token id is written as a W-byte big-endian number, W the smallest of 2, 3
// and 4 for which every id is below 2^(8W) - 1, and that largest value is the separator. Byte
// order from a token boundary is then token order, so libdivsufsort sorts every byte suffix of
// the W·T-byte text (its 32-bit build when W·T < 2^31 and 4-byte positions suffice, else the
// 64-bit one) and the suffixes at token boundaries that do not start with a separator are kept,
// as token offsets. Memory: ShardBuilder keeps 4 bytes per token while rows are added; Finish
// then needs W bytes per token for the text plus 4W for the 32-bit sort or 8W for the 64-bit
// one (10 bytes per token for 2-byte ids: about 1.1 GB at 100M tokens).
//
// File (little-endian except the text; every section starts at a multiple of 64 and gaps are
// zero; the same rows in the same order with the same options give the same bytes):
//   0    8  magic "TRBSPAN1"
//   8    4  u32 format version (1)
//   12   4  u32 W: token width in bytes (2, 3 or 4); the separator is 2^(8W) - 1
//   16   4  u32 P: position width in bytes (4 when T < 2^32, else 5)
//   20   4  u32 reserved (0)
//   24   8  u64 T: stream length in tokens (the rows' tokens plus one separator per row)
//   32   8  u64 N: indexed tokens, T - R (the suffix array's length)
//   40   8  u64 R: rows
//   48   8  u64 C: contributions
//   56   8  u64 K: contributors
//   64 168  section table: 7 entries of u64 offset | u64 length | u32 CRC-32 (zlib's) of the
//           section's bytes | u32 reserved (0), for these sections in this order:
//             0 meta          JSON, UTF-8, keys sorted: {"format": "tributary-span-index",
//                             "tokenizer": str, "sources": [{"datanet": u64, "version": u32,
//                             "first_row": u64, "rows": u64}, ...]}
//             1 contributors  K records of 64 bytes: ASCII address, zero-padded
//             2 contributions C records of 40 bytes: contribution id (32 raw bytes) |
//                             u32 contributor index | u32 reserved (0)
//             3 rows          R records of 36 bytes: row id (32 raw bytes) | u32 contribution
//                             index; in the order the rows were added
//             4 row starts    R + 1 u64: stream offset of each row's first token; the last is T
//             5 text          T tokens of W bytes, big-endian: each row's tokens, then the
//                             separator
//             6 suffix array  N positions of P bytes, unsigned little-endian: stream offsets
//   232  4  u32 CRC-32 of bytes [0, 232)
//   236 20  reserved (0); the header is 256 bytes and the file ends where section 6 ends
// Contributions and contributors are numbered in order of first appearance. Open checks the
// header, that the sections fit the file exactly, the CRCs of sections 0-4 and the row tables;
// the CRCs of the text and the suffix array (most of the file) only with verify or Verify().
// Queries bounds-check what they read, so a damaged text or suffix array gives wrong answers,
// never a crash. Size: W·T/N + P bytes per indexed token, plus 44 bytes per row, 40 per
// contribution and 64 per contributor: with ids below 65535 and fewer than 2^32 stream tokens,
// about 6 + 46 / (tokens per row) bytes per token (6.9 for rows of 51 tokens).
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
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::attribution {

//! One row to index: its provenance and its token ids (every id below 2^32 - 1).
struct IndexRow {
  std::string row_id;        //!< 64 hex digits
  std::string contribution;  //!< 64 hex digits
  std::string contributor;   //!< address (at most 64 ASCII bytes)
  std::vector<uint32_t> tokens;
};

//! Where a shard's rows come from: rows [first_row, first_row + rows) of a Datanet version.
struct ShardSource {
  uint64_t datanet = 0;
  uint32_t version = 0;
  uint64_t first_row = 0;
  uint64_t rows = 0;
  bool operator==(const ShardSource&) const = default;
};

//! What a shard says about itself (the meta section).
struct ShardInfo {
  //! Names the tokenizer (e.g. the SHA-256 hex of tokenizer.json); required. The shards of one
  //! SpanIndex must agree.
  std::string tokenizer;
  std::vector<ShardSource> sources;
};

struct ShardOptions {
  ShardInfo info;
  //! 0: the smallest width that holds every id; 2, 3 or 4 to force one (Add refuses ids that
  //! do not fit).
  uint32_t token_bytes = 0;
  //! 0: 4 when the stream has fewer than 2^32 tokens, else 5; 5 forces 5 (for tests).
  uint32_t position_bytes = 0;
  //! Sort with the 64-bit libdivsufsort even when the 32-bit one suffices (for tests).
  bool wide_sort = false;
};

//! Build progress: stage is "encode", "sort", "filter" or "write"; done of total units.
struct BuildProgress {
  std::string_view stage;
  uint64_t done = 0;
  uint64_t total = 0;
};
using ProgressFn = std::function<void(const BuildProgress&)>;

//! Collects rows, then sorts and writes a shard file. Keeps 4 bytes per token until Finish.
class ShardBuilder {
 public:
  explicit ShardBuilder(ShardOptions options);
  ~ShardBuilder();
  ShardBuilder(const ShardBuilder&) = delete;
  ShardBuilder& operator=(const ShardBuilder&) = delete;

  //! InvalidArgument for a malformed id, a contributor longer than 64 bytes or not printable
  //! ASCII, a contribution seen before with another contributor, or an id that does not fit.
  Status Add(std::string_view row_id, std::string_view contribution, std::string_view contributor,
             std::span<const uint32_t> tokens);
  Status Add(const IndexRow& row) {
    return Add(row.row_id, row.contribution, row.contributor, row.tokens);
  }
  uint64_t rows() const;
  uint64_t tokens() const;  //!< indexed tokens so far (separators not counted)

  //! Sorts and writes `path` atomically (a temporary file, fsynced, renamed into place). The
  //! builder is empty afterwards, whatever the outcome.
  Status Finish(const std::filesystem::path& path, const ProgressFn& progress = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! ShardBuilder over `rows`.
Status BuildShard(const std::vector<IndexRow>& rows, const std::filesystem::path& path,
                  const ShardOptions& options, const ProgressFn& progress = {});

//! Where a match lies: a row of a shard, and which tokens of the query or output it covers.
struct Occurrence {
  uint32_t shard = 0;        //!< index of the shard in its SpanIndex (0 for ShardReader)
  uint64_t row = 0;          //!< row index within the shard (order of addition)
  uint64_t offset = 0;       //!< token offset in the row where the match begins
  int64_t output_begin = 0;  //!< query/output tokens [output_begin, output_end) match there
  int64_t output_end = 0;    //!< (Locate: 0 and the query length)
  std::string row_id;        //!< 64 hex digits
  std::string contribution;  //!< 64 hex digits
  std::string contributor;   //!< address
  bool operator==(const Occurrence&) const = default;
};

//! A row's provenance and where its tokens lie in the stream.
struct RowInfo {
  std::string row_id, contribution, contributor;
  uint64_t begin = 0;   //!< stream offset of the first token
  uint64_t length = 0;  //!< tokens (without the separator)
};

//! A memory-mapped shard. Immutable; safe to share between threads.
class ShardReader {
 public:
  struct OpenOptions {
    bool verify = false;  //!< also check the CRCs of the text and the suffix array (reads all)
  };
  //! NotFound when the file is missing; Corruption (reason "bad_span_index") when it is not a
  //! shard or fails a check.
  static Result<std::unique_ptr<ShardReader>> Open(const std::filesystem::path& path,
                                                   OpenOptions options);
  static Result<std::unique_ptr<ShardReader>> Open(const std::filesystem::path& path) {
    return Open(path, OpenOptions{});
  }
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  //! Checks the CRCs of the text and the suffix array (reads the whole file).
  Status Verify() const;

  const std::filesystem::path& path() const { return path_; }
  const ShardInfo& info() const { return info_; }
  uint32_t token_bytes() const { return token_bytes_; }
  uint32_t position_bytes() const { return position_bytes_; }
  uint64_t stream_length() const { return stream_length_; }  //!< T
  uint64_t tokens() const { return tokens_; }                //!< N: indexed tokens
  uint64_t rows() const { return rows_; }
  uint64_t file_bytes() const { return size_; }
  //! The separator value (2^(8W) - 1); ids at or above it never match.
  uint32_t separator() const { return separator_; }

  RowInfo Row(uint64_t r) const;  //!< r < rows()
  std::vector<uint32_t> RowTokens(uint64_t r) const;
  //! The row holding stream position pos (< stream_length()); a separator belongs to the row
  //! it ends.
  uint64_t RowOf(uint64_t pos) const;
  uint64_t RowBegin(uint64_t r) const;   //!< r <= rows(): stream offset of row r's first token
  uint32_t TokenAt(uint64_t pos) const;  //!< the separator past the end
  uint64_t SuffixAt(uint64_t i) const;   //!< i < tokens(): the i-th suffix's stream offset

  //! The suffix-array range [first, second) of the suffixes that start with `query`; empty for
  //! an empty query or one holding an id >= separator().
  std::pair<uint64_t, uint64_t> Find(std::span<const uint32_t> query) const;
  uint64_t Count(std::span<const uint32_t> query) const;
  //! Up to `limit` occurrences (those first in suffix order), sorted by stream position.
  std::vector<Occurrence> Locate(std::span<const uint32_t> query, size_t limit) const;
  //! The largest l such that query[0, l) occurs (0 when none does).
  size_t LongestPrefix(std::span<const uint32_t> query) const;

  //! The occurrence at stream position pos (the strings filled in), for a match of `length`.
  Occurrence OccurrenceAt(uint64_t pos, int64_t length) const;

 private:
  ShardReader() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  uint64_t size_ = 0;
  ShardInfo info_;
  uint32_t token_bytes_ = 0, position_bytes_ = 0, separator_ = 0;
  uint64_t stream_length_ = 0, tokens_ = 0, rows_ = 0, contributions_ = 0, contributors_ = 0;
  const uint8_t* contributor_table_ = nullptr;
  const uint8_t* contribution_table_ = nullptr;
  const uint8_t* row_table_ = nullptr;
  const uint8_t* row_starts_ = nullptr;
  const uint8_t* text_ = nullptr;
  const uint8_t* suffixes_ = nullptr;
  struct Section {
    uint64_t offset = 0, length = 0;
    uint32_t crc = 0;
  };
  Section text_section_, sa_section_;
};

struct TraceOptions {
  int64_t min_len = 8;          //!< shorter matches are not spans (see MinLenForOutput)
  uint64_t max_count = 100;     //!< matches occurring more often are dropped
  size_t max_spans = 0;         //!< 0: all
  size_t max_occurrences = 20;  //!< per span
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

//! The meta section's JSON for `info`, and back (InvalidArgument when malformed).
nlohmann::json ShardInfoToJson(const ShardInfo& info);
Result<ShardInfo> ShardInfoFromJson(const nlohmann::json& j);

}  // namespace tributary::attribution
