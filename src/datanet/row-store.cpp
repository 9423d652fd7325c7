#include "tributary/datanet/row_store.h"

#include <sqlite3.h>

#include <cstring>

#include "tributary/base/hash.h"

namespace tributary::datanet {
namespace {

Status SqlError(sqlite3* db, const std::string& what) {
  int code = sqlite3_errcode(db);
  std::string msg = what + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return Status::Corruption(msg);
  if (code == SQLITE_FULL || code == SQLITE_IOERR) return Status::IOError(msg);
  return Status::Internal(msg);
}

// Owns a prepared statement.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

RowStore::~RowStore() {
  if (db_) sqlite3_close_v2(db_);
}

Result<std::unique_ptr<RowStore>> RowStore::Open(const std::filesystem::path& path) {
  std::unique_ptr<RowStore> store(new RowStore());
  if (sqlite3_open_v2(path.c_str(), &store->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status::IOError("cannot open " + path.string());
  }
  sqlite3_busy_timeout(store->db_, 5000);
  const char* setup =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
      "CREATE TABLE IF NOT EXISTS rows(id BLOB PRIMARY KEY, canonical BLOB NOT NULL) WITHOUT "
      "ROWID;"
      "CREATE TABLE IF NOT EXISTS contributions(id BLOB PRIMARY KEY, datanet INTEGER NOT NULL, "
      "rows INTEGER NOT NULL, report BLOB NOT NULL) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS contribution_rows(contribution BLOB NOT NULL, seq INTEGER NOT "
      "NULL, row_id BLOB NOT NULL, PRIMARY KEY(contribution, seq)) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS contribution_rows_by_row ON contribution_rows(row_id);";
  if (sqlite3_exec(store->db_, setup, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(store->db_, "cannot set up " + path.string());
  }
  return store;
}

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back on any error.
template <typename F>
Status InTransaction(sqlite3* db, F&& body) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(db, "begin");
  }
  Status s = body();
  if (s.ok() && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    s = SqlError(db, "commit");
  }
  if (!s.ok()) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

Result<size_t> RowStore::InsertRowsLocked(const std::vector<std::string>& canonical_rows,
                                          std::vector<Hash32>* ids) {
  size_t added = 0;
  Stmt ins(db_, "INSERT OR IGNORE INTO rows(id, canonical) VALUES(?, ?)");
  for (const auto& row : canonical_rows) {
    Hash32 id = Sha256(AsBytes(row));
    sqlite3_bind_blob(ins.s, 1, id.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins.s, 2, row.data(), static_cast<int>(row.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(ins.s) != SQLITE_DONE) return SqlError(db_, "store row");
    added += static_cast<size_t>(sqlite3_changes(db_));
    sqlite3_reset(ins.s);
    if (ids) ids->push_back(id);
  }
  return added;
}

Result<size_t> RowStore::Put(const std::vector<std::string>& canonical_rows) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t added = 0;
  TRIB_RETURN_IF_ERROR(InTransaction(db_, [&]() -> Status {
    auto r = InsertRowsLocked(canonical_rows, nullptr);
    if (!r.ok()) return r.status();
    added = *r;
    return Status::OK();
  }));
  return added;
}

Status RowStore::PutContribution(const Hash32& contribution, uint64_t datanet,
                                 const std::vector<std::string>& canonical_rows,
                                 const std::string& report) {
  std::lock_guard<std::mutex> lock(mu_);
  return InTransaction(db_, [&]() -> Status {
    Stmt c(db_,
           "INSERT OR IGNORE INTO contributions(id, datanet, rows, report) VALUES(?, ?, ?, ?)");
    sqlite3_bind_blob(c.s, 4, report.data(), static_cast<int>(report.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(c.s, 1, contribution.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(c.s, 2, static_cast<sqlite3_int64>(datanet));
    sqlite3_bind_int64(c.s, 3, static_cast<sqlite3_int64>(canonical_rows.size()));
    if (sqlite3_step(c.s) != SQLITE_DONE) return SqlError(db_, "store contribution");
    if (sqlite3_changes(db_) == 0) {
      return Status::AlreadyExists("contribution " + ToHex(contribution) + " is already stored");
    }
    std::vector<Hash32> ids;
    auto added = InsertRowsLocked(canonical_rows, &ids);
    if (!added.ok()) return added.status();
    Stmt m(db_, "INSERT INTO contribution_rows(contribution, seq, row_id) VALUES(?, ?, ?)");
    for (size_t i = 0; i < ids.size(); ++i) {
      sqlite3_bind_blob(m.s, 1, contribution.data(), 32, SQLITE_TRANSIENT);
      sqlite3_bind_int64(m.s, 2, static_cast<sqlite3_int64>(i));
      sqlite3_bind_blob(m.s, 3, ids[i].data(), 32, SQLITE_TRANSIENT);
      if (sqlite3_step(m.s) != SQLITE_DONE) return SqlError(db_, "store contribution rows");
      sqlite3_reset(m.s);
    }
    return Status::OK();
  });
}

Result<std::vector<Hash32>> RowStore::ContributionRowIds(const Hash32& contribution) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt c(db_, "SELECT rows FROM contributions WHERE id = ?");
  sqlite3_bind_blob(c.s, 1, contribution.data(), 32, SQLITE_TRANSIENT);
  int rc = sqlite3_step(c.s);
  if (rc == SQLITE_DONE) {
    return Status::NotFound("the rows of contribution " + ToHex(contribution) +
                            " are not stored on this node");
  }
  if (rc != SQLITE_ROW) return SqlError(db_, "read contribution");
  const auto expected = static_cast<size_t>(sqlite3_column_int64(c.s, 0));
  std::vector<Hash32> ids;
  ids.reserve(expected);
  Stmt q(db_, "SELECT row_id FROM contribution_rows WHERE contribution = ? ORDER BY seq");
  sqlite3_bind_blob(q.s, 1, contribution.data(), 32, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(q.s, 0) != 32) return Status::Corruption("malformed row id");
    Hash32 id;
    std::memcpy(id.data(), sqlite3_column_blob(q.s, 0), 32);
    ids.push_back(id);
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "read contribution rows");
  if (ids.size() != expected) {
    return Status::Corruption("contribution " + ToHex(contribution) + " should hold " +
                              std::to_string(expected) + " rows, found " +
                              std::to_string(ids.size()));
  }
  return ids;
}

Result<std::string> RowStore::ContributionReport(const Hash32& contribution) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT report FROM contributions WHERE id = ?");
  sqlite3_bind_blob(q.s, 1, contribution.data(), 32, SQLITE_TRANSIENT);
  int rc = sqlite3_step(q.s);
  if (rc == SQLITE_DONE) {
    return Status::NotFound("contribution " + ToHex(contribution) + " is not stored here");
  }
  if (rc != SQLITE_ROW) return SqlError(db_, "read report");
  const auto* p = static_cast<const char*>(sqlite3_column_blob(q.s, 0));
  return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(q.s, 0)));
}

Status RowStore::DeleteContribution(const Hash32& contribution) {
  std::lock_guard<std::mutex> lock(mu_);
  return InTransaction(db_, [&]() -> Status {
    // Rows only this contribution holds go with it; rows shared with others stay.
    Stmt orphans(db_,
                 "DELETE FROM rows WHERE id IN (SELECT row_id FROM contribution_rows WHERE "
                 "contribution = ?1) AND NOT EXISTS (SELECT 1 FROM contribution_rows o WHERE "
                 "o.row_id = rows.id AND o.contribution != ?1)");
    sqlite3_bind_blob(orphans.s, 1, contribution.data(), 32, SQLITE_TRANSIENT);
    if (sqlite3_step(orphans.s) != SQLITE_DONE) return SqlError(db_, "delete rows");
    for (const char* sql : {"DELETE FROM contribution_rows WHERE contribution = ?",
                            "DELETE FROM contributions WHERE id = ?"}) {
      Stmt d(db_, sql);
      sqlite3_bind_blob(d.s, 1, contribution.data(), 32, SQLITE_TRANSIENT);
      if (sqlite3_step(d.s) != SQLITE_DONE) return SqlError(db_, "delete contribution");
    }
    return Status::OK();
  });
}

Result<std::vector<std::pair<Hash32, uint64_t>>> RowStore::Contributions() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<Hash32, uint64_t>> out;
  Stmt q(db_, "SELECT id, datanet FROM contributions ORDER BY id");
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(q.s, 0) != 32) return Status::Corruption("malformed contribution id");
    Hash32 id;
    std::memcpy(id.data(), sqlite3_column_blob(q.s, 0), 32);
    out.emplace_back(id, static_cast<uint64_t>(sqlite3_column_int64(q.s, 1)));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "list contributions");
  return out;
}

Result<std::optional<std::string>> RowStore::Get(const Hash32& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT canonical FROM rows WHERE id = ?");
  sqlite3_bind_blob(q.s, 1, id.data(), 32, SQLITE_TRANSIENT);
  int rc = sqlite3_step(q.s);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return SqlError(db_, "read row");
  const auto* p = static_cast<const char*>(sqlite3_column_blob(q.s, 0));
  std::string row(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(q.s, 0)));
  if (Sha256(AsBytes(row)) != id) {
    return Status::Corruption("stored row " + ToHex(id) + " does not match its id");
  }
  return std::optional<std::string>(std::move(row));
}

Result<bool> RowStore::Has(const Hash32& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT 1 FROM rows WHERE id = ?");
  sqlite3_bind_blob(q.s, 1, id.data(), 32, SQLITE_TRANSIENT);
  int rc = sqlite3_step(q.s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqlError(db_, "read row");
  return rc == SQLITE_ROW;
}

Result<size_t> RowStore::Count() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT count(*) FROM rows");
  if (sqlite3_step(q.s) != SQLITE_ROW) return SqlError(db_, "count rows");
  return static_cast<size_t>(sqlite3_column_int64(q.s, 0));
}

}  // namespace tributary::datanet
