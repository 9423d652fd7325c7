// The span-index shards a node keeps: one directory per tokenizer, one shard per Datanet version
// holding only the rows that version added, so a model trained on versions (d, v) is covered by
// the shards of (d, 1..v), and publishing version v+1 indexes only its new rows.
//
// Layout under the index directory (the node's DATA/index by default):
//   <tokenizer id>/d<datanet>-v<version>.span    a shard (span_index.h) whose meta names the
//                                                 tokenizer id and one source: rows
//                                                 [rows(v-1), rows(v)) of version v
//   <tokenizer id>/.lock                          held (flock) by `tributary index build`
// The tokenizer id is the SHA-256 hex of the tokenizer.json bytes (TokenizerId), so shards built
// by different tokenizers never mix and a changed tokenizer gets a new directory. Shards are
// written atomically (ShardBuilder::Finish), so a directory holds only complete shards and an
// interrupted build resumes by building the shards still missing. A version that added no rows
// still gets its (empty) shard, so "shard present" means "version indexed" for every version
// and LineageShards needs no other record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::attribution {

//! SHA-256 hex (64 lowercase digits) of a tokenizer.json's bytes.
std::string TokenizerId(std::string_view tokenizer_json);
//! TokenizerId of the file; NotFound / IOError when it cannot be read.
Result<std::string> TokenizerIdOfFile(const std::filesystem::path& tokenizer_json);

//! SHA-256 hex of a shard file's bytes: what attribution results record so anyone can check they
//! used the same index. Cached beside the shard in ".<name>.sha256" (hidden, so the catalog does
//! not list it) with the file's size and modification time; recomputed when either differs or
//! the cache cannot be read, and kept only in the result when it cannot be written.
Result<std::string> ShardSha256(const std::filesystem::path& shard);

//! A shard found in the catalog, as its header and meta describe it.
struct CatalogShard {
  std::string tokenizer;  //!< tokenizer id
  uint64_t datanet = 0;
  uint32_t version = 0;
  uint64_t first_row = 0;  //!< the version's rows [first_row, first_row + rows) are indexed
  uint64_t rows = 0;
  uint64_t tokens = 0;  //!< indexed tokens
  uint64_t bytes = 0;   //!< file size
  std::filesystem::path path;
  nlohmann::json ToJson() const;  //!< every field; path as a string
};

//! A (datanet, version) pair a model was trained on.
struct VersionKey {
  uint64_t datanet = 0;
  uint32_t version = 0;
  bool operator==(const VersionKey&) const = default;
};

//! The shards under one index directory. Reads the directory when asked; holds no state, so a
//! shard written by another process is seen by the next call. Thread-safe.
class IndexCatalog {
 public:
  explicit IndexCatalog(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

  //! Where the shard of (tokenizer, datanet, version) lives (whether or not it exists).
  std::filesystem::path ShardPath(std::string_view tokenizer, uint64_t datanet,
                                  uint32_t version) const;
  //! Every shard under the directory, sorted by tokenizer, datanet, version (each opened without
  //! verify: the header, meta and row tables are checked, the text and suffix array are not).
  //! Skipped, and reported in `problems` when given ("path: message", sorted): files that are not
  //! valid shards or not named d<datanet>-v<version>.span, unfinished ".partial" files, and shards
  //! whose meta names another tokenizer than their directory or is not exactly one source
  //! matching the name. Hidden files (a build's .lock) are ignored; a missing directory is an
  //! empty catalog.
  std::vector<CatalogShard> List(std::vector<std::string>* problems = nullptr) const;
  //! The shard paths that cover `versions` under `tokenizer`: (d, 1..v) for every (d, v),
  //! each once, in order. Only checks that the files exist (cheap; SpanIndex::Open checks
  //! them). FailedPrecondition (reason "index_missing") naming the missing pairs ("1@1, 1@2")
  //! and the command that builds them when any is absent; InvalidArgument for version 0.
  Result<std::vector<std::filesystem::path>> LineageShards(
      std::string_view tokenizer, const std::vector<VersionKey>& versions) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace tributary::attribution
