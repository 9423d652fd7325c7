#include "tributary/ledger/store.h"

#include <sqlite3.h>

#include <algorithm>

#include "tributary/base/hash.h"

namespace tributary {
namespace {

constexpr int kSchemaVersion = 1;
// A tx's row id is height << kTxIndexBits | index in block.
constexpr int kTxIndexBits = 20;
constexpr size_t kMaxTxsPerBlock = size_t{1} << kTxIndexBits;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks(height INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,
                                  header BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS txs(id INTEGER PRIMARY KEY, height INTEGER NOT NULL,
                               idx INTEGER NOT NULL, raw BLOB NOT NULL, receipt BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tx_hashes(prefix INTEGER NOT NULL, id INTEGER NOT NULL,
                                     PRIMARY KEY(prefix, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state(key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
)sql";

// A blob column of the current row, copied.
Bytes ColumnBlob(sqlite3_stmt* st, int col) {
  auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st, col));
  int n = sqlite3_column_bytes(st, col);
  return p ? Bytes(p, p + n) : Bytes{};
}

// RAII prepared statement; errors surface as Status at the call sites.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, ByteView v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindText(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  //! SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  Bytes Blob(int col) { return ColumnBlob(stmt_, col); }
  ByteView View(int col) {
    auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
    return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

int64_t TxRowId(uint64_t height, size_t idx) {
  return static_cast<int64_t>(height << kTxIndexBits | idx);
}

// The first 8 bytes of a tx hash as a signed integer: the key of the hash index.
int64_t HashPrefix(const Hash32& h) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | h[i];
  return static_cast<int64_t>(v);
}

Status SqlError(sqlite3* db, const std::string& what) {
  int code = sqlite3_errcode(db);
  std::string msg = what + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
    return Status::Corruption("database is damaged (" + msg + ")");
  }
  if (code == SQLITE_FULL || code == SQLITE_IOERR) return Status::IOError(msg);
  return Status::Internal(msg);
}

}  // namespace

Store::~Store() {
  sqlite3_finalize(get_state_);
  if (db_) sqlite3_close_v2(db_);
}

Status Store::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    Status s = SqlError(db_, std::string("sql failed (") + msg + ")");
    return s;
  }
  return Status::OK();
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path, bool read_only,
                                           size_t page_cache_bytes) {
  std::unique_ptr<Store> store(new Store());
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &store->db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = store->db_ ? sqlite3_errmsg(store->db_) : "out of memory";
    return Status::IOError("cannot open " + path.string() + ": " + msg);
  }
  sqlite3_extended_result_codes(store->db_, 0);
  sqlite3_busy_timeout(store->db_, 5000);
  // Any damage in the file must stop us before we trust a byte of it.
  {
    Stmt check(store->db_, "PRAGMA quick_check(1)");
    if (!check.ok()) return SqlError(store->db_, "cannot read " + path.string());
    int rc = check.Step();
    if (rc != SQLITE_ROW) return SqlError(store->db_, "integrity check of " + path.string());
    Bytes first = check.Blob(0);
    std::string verdict(first.begin(), first.end());
    std::replace(verdict.begin(), verdict.end(), '\n', ' ');
    if (verdict != "ok") {
      return Status::Corruption("database " + path.string() + " is damaged: " + verdict);
    }
  }
  if (!read_only) {
    TRIB_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
    TRIB_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
    // Tx rows are keyed by hash (random order): a larger page cache keeps inserts off the disk.
    const std::string cache =
        "PRAGMA cache_size=-" + std::to_string(std::max<size_t>(page_cache_bytes >> 10, 64));
    TRIB_RETURN_IF_ERROR(store->Exec(cache.c_str()));
    TRIB_RETURN_IF_ERROR(store->Exec(kSchema));
    auto v = store->GetMeta("schema_version");
    if (!v.ok()) return v.status();
    if (!*v) {
      std::string s = std::to_string(kSchemaVersion);
      TRIB_RETURN_IF_ERROR(store->PutMeta("schema_version", AsBytes(s)));
    } else if (AsString(**v) != std::to_string(kSchemaVersion)) {
      return Status::FailedPrecondition("database schema version " + std::string(AsString(**v)) +
                                        " is not the supported " + std::to_string(kSchemaVersion));
    }
  }
  return store;
}

Result<std::optional<Bytes>> Store::GetMeta(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT value FROM meta WHERE key=?");
  if (!st.ok()) return SqlError(db_, "read meta");
  st.BindText(1, key);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return std::optional<Bytes>(st.Blob(0));
  if (rc == SQLITE_DONE) return std::optional<Bytes>();
  return SqlError(db_, "read meta");
}

Status Store::PutMeta(const std::string& key, ByteView value) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  if (!st.ok()) return SqlError(db_, "write meta");
  st.BindText(1, key).Bind(2, value);
  if (st.Step() != SQLITE_DONE) return SqlError(db_, "write meta");
  return Status::OK();
}

Status Store::CommitBlock(const StoredBlock& block,
                          const std::map<std::string, std::optional<Bytes>>& state_writes) {
  std::lock_guard<std::mutex> lock(mu_);
  TRIB_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](const std::string& what) {
    Status s = SqlError(db_, what);
    Exec("ROLLBACK");
    return s;
  };
  {
    Stmt st(db_, "INSERT INTO blocks(height, hash, header) VALUES(?, ?, ?)");
    if (!st.ok()) return fail("prepare block insert");
    st.Bind(1, static_cast<int64_t>(block.height)).Bind(2, block.hash).Bind(3, block.header);
    if (st.Step() != SQLITE_DONE) return fail("insert block " + std::to_string(block.height));
  }
  {
    // Rows are appended in (height, idx) order; only the small hash-prefix index takes
    // random-order inserts, which keeps a block's write cost independent of the chain's size.
    Stmt tx(db_, "INSERT INTO txs(id, height, idx, raw, receipt) VALUES(?, ?, ?, ?, ?)");
    Stmt hx(db_, "INSERT INTO tx_hashes(prefix, id) VALUES(?, ?)");
    if (!tx.ok() || !hx.ok()) return fail("prepare tx insert");
    for (size_t i = 0; i < block.txs.size(); ++i) {
      int64_t id = TxRowId(block.height, i);
      tx.Bind(1, id).Bind(2, static_cast<int64_t>(block.height)).Bind(3, static_cast<int64_t>(i));
      tx.Bind(4, block.txs[i]).Bind(5, block.receipts[i]);
      if (tx.Step() != SQLITE_DONE) return fail("insert tx");
      tx.Reset();
      hx.Bind(1, HashPrefix(Sha256(block.txs[i]))).Bind(2, id);
      if (hx.Step() != SQLITE_DONE) return fail("insert tx hash");
      hx.Reset();
    }
  }
  {
    Stmt put(db_, "INSERT OR REPLACE INTO state(key, value) VALUES(?, ?)");
    Stmt del(db_, "DELETE FROM state WHERE key=?");
    if (!put.ok() || !del.ok()) return fail("prepare state write");
    for (const auto& [k, v] : state_writes) {
      if (v) {
        put.Bind(1, AsBytes(k)).Bind(2, *v);
        if (put.Step() != SQLITE_DONE) return fail("write state");
        put.Reset();
      } else {
        del.Bind(1, AsBytes(k));
        if (del.Step() != SQLITE_DONE) return fail("delete state");
        del.Reset();
      }
    }
  }
  Status s = Exec("COMMIT");
  if (!s.ok()) {
    Exec("ROLLBACK");
    return s;
  }
  return Status::OK();
}

Result<std::optional<uint64_t>> Store::LatestHeight() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT height FROM blocks ORDER BY height DESC LIMIT 1");
  if (!st.ok()) return SqlError(db_, "read latest height");
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<uint64_t>();
  if (rc != SQLITE_ROW) return SqlError(db_, "read latest height");
  return std::optional<uint64_t>(static_cast<uint64_t>(st.Int(0)));
}

Result<Bytes> Store::GetHeader(uint64_t height) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT header FROM blocks WHERE height=?");
  if (!st.ok()) return SqlError(db_, "read block");
  st.Bind(1, static_cast<int64_t>(height));
  int rc = st.Step();
  if (rc == SQLITE_ROW) return st.Blob(0);
  if (rc == SQLITE_DONE) return Status::NotFound("no block at height " + std::to_string(height));
  return SqlError(db_, "read block");
}

Result<StoredBlock> Store::GetBlock(uint64_t height) {
  StoredBlock b;
  b.height = height;
  TRIB_ASSIGN_OR_RETURN(b.header, GetHeader(height));
  std::lock_guard<std::mutex> lock(mu_);
  {
    Stmt st(db_, "SELECT hash FROM blocks WHERE height=?");
    st.Bind(1, static_cast<int64_t>(height));
    if (!st.ok() || st.Step() != SQLITE_ROW) return SqlError(db_, "read block hash");
    Bytes h = st.Blob(0);
    if (h.size() != 32)
      return Status::Corruption("block hash at height " + std::to_string(height) +
                                " has the wrong size");
    std::copy(h.begin(), h.end(), b.hash.begin());
  }
  Stmt tx(db_, "SELECT id, raw, receipt FROM txs WHERE id BETWEEN ? AND ? ORDER BY id");
  if (!tx.ok()) return SqlError(db_, "read block txs");
  tx.Bind(1, TxRowId(height, 0)).Bind(2, TxRowId(height, kMaxTxsPerBlock - 1));
  int r;
  while ((r = tx.Step()) == SQLITE_ROW) {
    if (tx.Int(0) != TxRowId(height, b.txs.size())) {
      return Status::Corruption("txs of block " + std::to_string(height) + " are not contiguous");
    }
    b.txs.push_back(tx.Blob(1));
    b.receipts.push_back(tx.Blob(2));
  }
  if (r != SQLITE_DONE) return SqlError(db_, "read block txs");
  return b;
}

Result<std::optional<TxLocation>> Store::FindTx(const Hash32& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_,
          "SELECT t.height, t.idx, t.raw FROM tx_hashes h JOIN txs t ON t.id = h.id "
          "WHERE h.prefix = ?");
  if (!st.ok()) return SqlError(db_, "find tx");
  st.Bind(1, HashPrefix(hash));
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    Bytes raw = st.Blob(2);
    if (Sha256(raw) != hash) continue;  // another tx sharing the 8-byte prefix
    TxLocation loc{static_cast<uint64_t>(st.Int(0)), static_cast<uint32_t>(st.Int(1)),
                   std::move(raw)};
    return std::optional<TxLocation>(std::move(loc));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "find tx");
  return std::optional<TxLocation>();
}

Result<std::optional<Bytes>> Store::GetState(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!get_state_ &&
      sqlite3_prepare_v3(db_, "SELECT value FROM state WHERE key=?", -1, SQLITE_PREPARE_PERSISTENT,
                         &get_state_, nullptr) != SQLITE_OK) {
    get_state_ = nullptr;
    return SqlError(db_, "prepare state read");
  }
  sqlite3_bind_blob(get_state_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  Result<std::optional<Bytes>> out = std::optional<Bytes>();
  int rc = sqlite3_step(get_state_);
  if (rc == SQLITE_ROW) {
    out = std::optional<Bytes>(ColumnBlob(get_state_, 0));
  } else if (rc != SQLITE_DONE) {
    out = SqlError(db_, "read state");
  }
  sqlite3_reset(get_state_);
  sqlite3_clear_bindings(get_state_);
  return out;
}

Status Store::ScanState(const std::function<Status(const std::string&, ByteView)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT key, value FROM state ORDER BY key");
  if (!st.ok()) return SqlError(db_, "scan state");
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    ByteView k = st.View(0);
    TRIB_RETURN_IF_ERROR(fn(std::string(AsString(k)), st.View(1)));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "scan state");
  return Status::OK();
}

}  // namespace tributary
