// Durable storage of the ledger in one SQLite file (WAL mode).
//
// Tables: meta(key, value), blocks(height, hash, header), txs(id = height<<20|idx,
// height, idx, raw, receipt), tx_hashes(8-byte hash prefix, id), state(key,
// value). Each block is
// written in one SQLite transaction with synchronous=FULL, so a block is
// either wholly durable or absent after a crash (group commit: one fsync per
// block however many txs it holds).
//
// Thread-safety: one connection, serialised by an internal mutex; safe to
// call from several threads.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/bytes.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tributary {

//! One block as written to storage.
struct StoredBlock {
  uint64_t height = 0;
  Hash32 hash{};
  Bytes header;                 //!< encoded BlockHeader
  std::vector<Bytes> txs;       //!< encoded txs, in block order
  std::vector<Bytes> receipts;  //!< encoded receipts, same order
};

struct TxLocation {
  uint64_t height = 0;
  uint32_t index = 0;
  Bytes raw;
};

class Store {
 public:
  //! Opens (creating if needed) `path`. Checks the schema and runs SQLite's quick_check:
  //! a damaged file gives Corruption with the SQLite message; nothing is repaired.
  //! `page_cache_bytes` bounds SQLite's page cache.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path,
                                             bool read_only = false,
                                             size_t page_cache_bytes = kDefaultPageCacheBytes);
  static constexpr size_t kDefaultPageCacheBytes = size_t{128} << 20;
  ~Store();

  Result<std::optional<Bytes>> GetMeta(const std::string& key);
  Status PutMeta(const std::string& key, ByteView value);

  //! Writes a block, its txs and receipts, and the state changes in one durable transaction.
  Status CommitBlock(const StoredBlock& block,
                     const std::map<std::string, std::optional<Bytes>>& state_writes);

  //! Height of the newest block, nullopt when there is none.
  Result<std::optional<uint64_t>> LatestHeight();
  //! The encoded header at `height` (NotFound if absent).
  Result<Bytes> GetHeader(uint64_t height);
  //! The whole block at `height`.
  Result<StoredBlock> GetBlock(uint64_t height);
  Result<std::optional<TxLocation>> FindTx(const Hash32& hash);
  //! The stored value of state key `key`, nullopt when there is none.
  Result<std::optional<Bytes>> GetState(const std::string& key);
  //! Visits every state entry in key order.
  Status ScanState(const std::function<Status(const std::string&, ByteView)>& fn);

 private:
  Store() = default;
  Status Exec(const char* sql);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* get_state_ = nullptr;  // prepared once: state reads are a hot path
};

}  // namespace tributary
