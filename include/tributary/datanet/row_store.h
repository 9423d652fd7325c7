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

  //! Stores a contribution's rows, in order, under its id: all or nothing. AlreadyExists when
  //! the contribution is already stored.
  //! `report` is kept alongside (the validation report's JSON).
  Status PutContribution(const Hash32& contribution, uint64_t datanet,
                         const std::vector<std::string>& canonical_rows,
                         const std::string& report = {});
  //! The report stored with the contribution; NotFound when it is not stored.
  Result<std::string> ContributionReport(const Hash32& contribution);
  //! The contribution's row ids in order; NotFound when it is not stored.
  Result<std::vector<Hash32>> ContributionRowIds(const Hash32& contribution);
  //! Removes a contribution and the rows no other contribution holds (one transaction).
  Status DeleteContribution(const Hash32& contribution);
  //! Every stored contribution with its Datanet, in id order.
  Result<std::vector<std::pair<Hash32, uint64_t>>> Contributions();

 private:
  RowStore() = default;
  Result<size_t> InsertRowsLocked(const std::vector<std::string>& canonical_rows,
                                  std::vector<Hash32>* ids);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace tributary::datanet
