// Building a span-index shard (the file of shard_reader.h) from tokenized rows.
//
// Construction. Each token id is written as a W-byte big-endian number, W the smallest of 2, 3
// and 4 for which every id is below 2^(8W) - 1, and that largest value is the separator. Byte
// order from a token boundary is then token order, so libdivsufsort sorts every byte suffix of
// the W·T-byte text (its 32-bit build when W·T < 2^31 and 4-byte positions suffice, else the
// 64-bit one) and the suffixes at token boundaries that do not start with a separator are kept,
// as token offsets. Memory: ShardBuilder keeps 4 bytes per token while rows are added; Finish
// then needs W bytes per token for the text plus 4W for the 32-bit sort or 8W for the 64-bit
// one (10 bytes per token for 2-byte ids: about 1.1 GB at 100M tokens).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/attribution/shard_info.h"
#include "tributary/base/status.h"

namespace tributary::attribution {

//! One row to index: its provenance and its token ids (every id below 2^32 - 1).
struct IndexRow {
  std::string row_id;        //!< 64 hex digits
  std::string contribution;  //!< 64 hex digits
  std::string contributor;   //!< address (at most 64 ASCII bytes)
  std::vector<uint32_t> tokens;
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
  //! The sample table (shard_reader.h): the first sample_tokens tokens of every
  //! sample_interval-th suffix, which a reader keeps in memory so that a search reads the
  //! disk only inside one interval. It costs sample_tokens * W / sample_interval bytes per
  //! token (0.0625 with the defaults and 2-byte ids). sample_interval 0 writes no table (the
  //! version 1 format); at most 2^20, and sample_tokens from 1 to 64.
  uint32_t sample_interval = 256;
  uint32_t sample_tokens = 8;
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

}  // namespace tributary::attribution
