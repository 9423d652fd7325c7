#include "tributary/datanet/row_store.h"

#include <sqlite3.h>

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
      "ROWID;";
  if (sqlite3_exec(store->db_, setup, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(store->db_, "cannot set up " + path.string());
  }
  return store;
}

Result<size_t> RowStore::Put(const std::vector<std::string>& canonical_rows) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(db_, "begin");
  }
  size_t added = 0;
  {
    Stmt ins(db_, "INSERT OR IGNORE INTO rows(id, canonical) VALUES(?, ?)");
    for (const auto& row : canonical_rows) {
      Hash32 id = Sha256(AsBytes(row));
      sqlite3_bind_blob(ins.s, 1, id.data(), 32, SQLITE_TRANSIENT);
      sqlite3_bind_blob(ins.s, 2, row.data(), static_cast<int>(row.size()), SQLITE_TRANSIENT);
      if (sqlite3_step(ins.s) != SQLITE_DONE) {
        Status s = SqlError(db_, "store row");
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return s;
      }
      added += static_cast<size_t>(sqlite3_changes(db_));
      sqlite3_reset(ins.s);
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Status s = SqlError(db_, "commit rows");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return added;
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
