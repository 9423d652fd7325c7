// Content-addressed storage of normalised rows in the node's data directory (SQLite, WAL).
//
// A row is stored once under its id (SHA-256 of its canonical form) however many contributions
// or versions hold it. Put writes a whole contribution's rows in one transaction, so a failed
// upload adds nothing. Get verifies the stored bytes against the id: damage is Corruption.
//
// Thread-safety: safe to call from several threads (one connection behind a mutex).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/bytes.h"

struct sqlite3;

namespace tributary::datanet {

class RowStore {
 public:
  //! Opens or creates `path`.
  static Result<std::unique_ptr<RowStore>> Open(const std::filesystem::path& path);
  ~RowStore();

  //! Stores canonical rows (their ids are computed here); all or nothing. Returns how many were
  //! new.
  Result<size_t> Put(const std::vector<std::string>& canonical_rows);
  //! The canonical row, nullopt when absent; Corruption when the bytes do not hash to `id`.
  Result<std::optional<std::string>> Get(const Hash32& id);
  Result<bool> Has(const Hash32& id);
  Result<size_t> Count();

 private:
  RowStore() = default;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace tributary::datanet
