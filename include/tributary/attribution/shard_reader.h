// A span-index shard on disk (built by shard_builder.h), memory-mapped for Count and Locate.
//
// File (little-endian except the text; every section starts at a multiple of 64 and gaps are
// zero; the same rows in the same order with the same options give the same bytes). Version 2
// is written; version 1 (no sample table, a 256-byte header) is still read.
//   0    8  magic "TRBSPAN1"
//   8    4  u32 format version (2)
//   12   4  u32 W: token width in bytes (2, 3 or 4); the separator is 2^(8W) - 1
//   16   4  u32 P: position width in bytes (4 when T < 2^32, else 5)
//   20   4  u32 S: sample interval, 1 to 2^20 (version 1: reserved, 0)
//   24   8  u64 T: stream length in tokens (the rows' tokens plus one separator per row)
//   32   8  u64 N: indexed tokens, T - R (the suffix array's length)
//   40   8  u64 R: rows
//   48   8  u64 C: contributions
//   56   8  u64 K: contributors
//   64 192  section table: 8 entries (version 1: 7) of u64 offset | u64 length | u32 CRC-32
//           (zlib's) of the section's bytes | u32 reserved (0), for these sections in order:
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
//             7 samples       ceil(N / S) records of M tokens of W bytes, big-endian: record j
//                             is the first M tokens of suffix j·S, a separator and everything
//                             after it written as separators
//   256  4  u32 M: tokens per sample, 1 to 64 (version 1: the header CRC is here, at 232)
//   260  4  u32 CRC-32 of bytes [0, 260)
//   264 56  reserved (0); the header is 320 bytes (version 1: 256) and the file ends where the
//           last section ends
// Contributions and contributors are numbered in order of first appearance. Open checks the
// header, that the sections fit the file exactly, the CRCs of every section but the text and
// the suffix array (most of the file: those only with verify or Verify(), which also checks
// each sample against them when the table is kept) and the row tables. Queries bounds-check what
// they read, so a damaged text, suffix array or sample table gives wrong answers, never a crash.
//
// Memory. The sample table and every 64th row start are copied to the heap at open (M·W/S bytes
// per token and 0.125 per row: 0.0625 bytes a token with the defaults S = 256, M = 8 and 2-byte
// ids). A search first binary-searches the samples in memory (reading the disk only for
// a query that agrees with a sample's M tokens), which leaves one interval of S suffixes: their
// positions lie in one or two pages and log2(S) text probes finish the search. A cold search
// thus reads about 1 + log2(S) pages instead of two per probe over all of log2(N).
//
// Size: W·T/N + P + M·W/S bytes per indexed token, plus 44 bytes per row, 40 per contribution
// and 64 per contributor: with ids below 65535, fewer than 2^32 stream tokens and the default
// sample table, about 6.06 + 46 / (tokens per row) bytes per token (6.97 for rows of 51 tokens).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tributary/attribution/shard_info.h"
#include "tributary/base/status.h"

namespace tributary::attribution {

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
    //! Keep the sample table in memory and search through it. false saves its memory and
    //! makes every probe of a search read the mapping, as in a version 1 shard.
    bool samples = true;
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
  //! The sample table's interval and tokens per sample (0 and 0 in a version 1 shard).
  uint32_t sample_interval() const { return sample_interval_; }
  uint32_t sample_tokens() const { return sample_tokens_; }
  //! Heap bytes this reader holds besides the mapping: the sample table and sampled row starts.
  uint64_t memory_bytes() const {
    return samples_.size() + row_start_samples_.size() * sizeof(uint64_t);
  }

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
  // On the heap: the sample table (format 2) and every 64th row start.
  std::vector<uint8_t> samples_;
  uint64_t sample_count_ = 0;
  uint32_t sample_interval_ = 0, sample_tokens_ = 0;
  std::vector<uint64_t> row_start_samples_;
};

}  // namespace tributary::attribution
