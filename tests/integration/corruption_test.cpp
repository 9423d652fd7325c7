// A damaged or tampered ledger stops the node at start-up.
//
// One ledger with a few dozen blocks is built once and stopped cleanly (so
// its WAL is checkpointed into ledger.db); each test damages a fresh copy:
//  (a) physical damage: pages of ledger.db overwritten with 0xFF, the header
//      page, a truncated file: SQLite's check fails;
//  (b) a logical tamper of the `state` table: the state root no longer matches;
//  (c) tampered, missing or undecodable block header rows.
// Each time the node must exit non-zero within seconds, by itself (no signal),
// with one clear "error: ..." line, and without modifying ledger.db.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/base/keystore.h"
#include "tributary/ledger/account.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Runs a SQL statement with one optional blob parameter on `db_path`; returns the error, if any.
std::string ExecSql(const fs::path& db_path, const std::string& sql, const Bytes* blob = nullptr) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string e = db ? sqlite3_errmsg(db) : "open failed";
    sqlite3_close_v2(db);
    return e;
  }
  sqlite3_stmt* st = nullptr;
  std::string err;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    err = sqlite3_errmsg(db);
  } else {
    if (blob)
      sqlite3_bind_blob(st, 1, blob->data(), static_cast<int>(blob->size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) err = sqlite3_errmsg(db);
    if (err.empty() && sqlite3_changes(db) == 0 && sql.rfind("SELECT", 0) != 0)
      err = "no row changed";
  }
  sqlite3_finalize(st);
  sqlite3_close_v2(db);
  return err;
}

// Reads one blob (or integer, as its decimal text) from the first row of `sql`.
std::optional<Bytes> QueryBlob(const fs::path& db_path, const std::string& sql,
                               const Bytes* param = nullptr) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return std::nullopt;
  }
  sqlite3_stmt* st = nullptr;
  std::optional<Bytes> out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    if (param)
      sqlite3_bind_blob(st, 1, param->data(), static_cast<int>(param->size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
      if (sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
        std::string s = std::to_string(sqlite3_column_int64(st, 0));
        out = Bytes(s.begin(), s.end());
      } else {
        auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st, 0));
        out = Bytes(p, p + sqlite3_column_bytes(st, 0));
      }
    }
  }
  sqlite3_finalize(st);
  sqlite3_close_v2(db);
  return out;
}

int64_t QueryInt(const fs::path& db_path, const std::string& sql) {
  auto b = QueryBlob(db_path, sql);
  return b ? std::stoll(std::string(b->begin(), b->end())) : -1;
}

class CorruptionTest : public ::testing::Test {
 protected:
  // Builds the pristine ledger once: ~40 blocks, some holding several txs, then a clean stop.
  static void SetUpTestSuite() {
    root_ = new TempDir();
    fs::path data = root_->path() / "pristine", home = root_->path() / "home";
    NodeProcess node(data, home);
    if (!node.Start()) {
      setup_error_ = "node did not start: " + node.output();
      return;
    }
    auto dev = Keystore(home).Load("dev");
    auto chain = FetchChainInfo(node.port());
    if (!dev.ok() || !chain) {
      setup_error_ = "no dev key or chain info";
      return;
    }
    dev_address_ = dev->address().ToString();
    for (int i = 0; i < 30; ++i) {
      auto to = Address::FromPublicKey(TestKey(static_cast<uint8_t>(i % 10)).public_key());
      if (!TransferAndWait(node.port(), *chain, dev->key, to, Tokens(1 + i))) {
        setup_error_ = "transfer " + std::to_string(i) + " failed";
        return;
      }
    }
    // A burst without waiting, so some blocks hold several txs.
    auto nonce = FetchNextNonce(node.port(), dev->address());
    std::string last;
    for (int i = 0; i < 60 && nonce; ++i) {
      auto to = Address::FromPublicKey(TestKey(static_cast<uint8_t>(20 + i % 7)).public_key());
      Transaction tx = BuildTransfer(*chain, dev->key, *nonce + i, to, Amount{1000} + i);
      last = ToHex(tx.Hash());
      if (SubmitTx(node.port(), tx, false).status != 202) {
        setup_error_ = "burst tx " + std::to_string(i) + " refused";
        return;
      }
    }
    for (int i = 0; i < 500; ++i) {
      if (HttpGet(node.port(), "/v1/tx/" + last).json().value("status", "") == "committed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    int rc = node.Stop();
    if (rc != 0) {
      setup_error_ = "node stop returned " + std::to_string(rc) + ": " + node.output();
      return;
    }
    pristine_ = new fs::path(data);
    home_ = new fs::path(home);
  }
  static void TearDownTestSuite() {
    delete pristine_;
    delete home_;
    delete root_;
    pristine_ = nullptr;
    home_ = nullptr;
    root_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_NE(pristine_, nullptr);
    // Each test damages its own copy of the pristine ledger.
    data_ = root_->path() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(data_);
    fs::copy(*pristine_, data_, fs::copy_options::recursive);
    db_ = data_ / "ledger.db";
  }

  // The node must refuse to start: it exits by itself, non-zero, quickly, printing one
  // "error: ..." line that contains `needle`; ledger.db is byte-for-byte unchanged.
  void ExpectRefusesToStart(const std::string& needle, bool dev_flag = true) {
    std::string before = ReadFileBytes(db_);
    std::vector<std::string> args = {"node",     "--data",       data_.string(),
                                     "--listen", "127.0.0.1:0",  "--block-interval-ms",
                                     "0",        "--rate-limit", "0"};
    if (dev_flag) args.push_back("--dev");
    auto r = RunTributaryTimed(args, {"TRIBUTARY_HOME=" + home_->string()}, 10000);
    ASSERT_FALSE(r.timed_out) << "the node started on a damaged ledger:\n" << r.out << r.err;
    EXPECT_TRUE(r.exited) << "the node died from signal " << r.term_signal << ":\n"
                          << r.out << r.err;
    EXPECT_NE(r.exit_code, 0);
    EXPECT_LT(r.seconds, 5.0);
    auto lines = Lines(r.out + r.err);
    ASSERT_FALSE(lines.empty()) << "the node printed nothing";
    ASSERT_EQ(lines.size(), 1u) << "expected one line, got:\n" << r.out << r.err;
    EXPECT_EQ(lines[0].rfind("error: ", 0), 0u) << lines[0];
    EXPECT_NE(lines[0].find(needle), std::string::npos)
        << "'" << needle << "' not in: " << lines[0];
    std::string after = ReadFileBytes(db_);
    EXPECT_TRUE(before == after) << "the failed start modified ledger.db";
    last_error_ = lines[0];
  }

  // `tributary ledger verify` must not pass: a MISMATCH report (exit 3) or, when the file
  // cannot be read at all, an "error:" line; never a signal.
  void ExpectVerifyFails(bool expect_mismatch) {
    auto r = RunTributaryTimed({"ledger", "verify", "--data", data_.string()}, {}, 60000);
    ASSERT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exited) << "verify died from signal " << r.term_signal << ":\n" << r.out << r.err;
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find("ledger OK"), std::string::npos) << r.out;
    if (expect_mismatch) {
      EXPECT_NE(r.out.find("MISMATCH"), std::string::npos) << r.out << r.err;
    } else {
      EXPECT_NE(r.err.find("error:"), std::string::npos) << r.out << r.err;
    }
  }

  size_t PageSize() {
    std::string head = ReadFileBytes(db_).substr(0, 100);
    size_t ps = (static_cast<uint8_t>(head[16]) << 8) | static_cast<uint8_t>(head[17]);
    return ps == 1 ? 65536 : ps;
  }

  void OverwritePage(std::string& bytes, size_t page_index, size_t page_size) {
    size_t off = page_index * page_size;
    size_t n = std::min<size_t>(4096, bytes.size() - off);
    std::fill(bytes.begin() + off, bytes.begin() + off + n, '\xff');
  }

  // Replaces the header blob of block `height` by `mutate(header)`.
  void TamperHeader(uint64_t height, const std::function<void(Bytes&)>& mutate) {
    auto header =
        QueryBlob(db_, "SELECT header FROM blocks WHERE height=" + std::to_string(height));
    ASSERT_TRUE(header.has_value());
    mutate(*header);
    ASSERT_EQ(
        ExecSql(db_, "UPDATE blocks SET header=? WHERE height=" + std::to_string(height), &*header),
        "");
  }

  int64_t Tip() { return QueryInt(db_, "SELECT MAX(height) FROM blocks"); }

  static TempDir* root_;
  static fs::path* pristine_;
  static fs::path* home_;
  static std::string setup_error_;
  static std::string dev_address_;
  fs::path data_, db_;
  std::string last_error_;
};

TempDir* CorruptionTest::root_ = nullptr;
fs::path* CorruptionTest::pristine_ = nullptr;
fs::path* CorruptionTest::home_ = nullptr;
std::string CorruptionTest::setup_error_;
std::string CorruptionTest::dev_address_;

TEST_F(CorruptionTest, PristineCopyStartsAndVerifies) {
  // The baseline the other tests damage: checkpointed (no WAL content), several pages, and a
  // node starts on it.
  fs::path wal = data_ / "ledger.db-wal";
  EXPECT_FALSE(fs::exists(wal) && fs::file_size(wal) > 0) << "the WAL was not checkpointed";
  EXPECT_GE(fs::file_size(db_) / PageSize(), 8u);
  EXPECT_GE(Tip(), 30);
  auto v = RunTributary({"ledger", "verify", "--data", data_.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("ledger OK"), std::string::npos) << v.out;
  NodeProcess node(data_, *home_);
  ASSERT_TRUE(node.Start()) << node.output();
  EXPECT_EQ(node.Stop(), 0);
}

// (a) Physical damage.

TEST_F(CorruptionTest, OverwrittenDataPagesRefuseToStart) {
  fs::path wal = data_ / "ledger.db-wal";
  ASSERT_FALSE(fs::exists(wal) && fs::file_size(wal) > 0)
      << "WAL not checkpointed: damage could hide";
  std::string bytes = ReadFileBytes(db_);
  size_t ps = PageSize(), pages = bytes.size() / ps;
  ASSERT_GE(pages, 4u);
  // 4 KiB of 0xFF at every page but the first (which holds the file header and schema).
  for (size_t p = 1; p < pages; ++p) OverwritePage(bytes, p, ps);
  WriteFileBytes(db_, bytes);
  ExpectRefusesToStart("damaged");
  EXPECT_NE(last_error_.find("(corruption)"), std::string::npos) << last_error_;
  ExpectVerifyFails(/*expect_mismatch=*/false);
}

TEST_F(CorruptionTest, OneOverwrittenPageInTheMiddleRefusesToStart) {
  // The root page of the `state` table and of `blocks`: pages certainly in use.
  for (const char* table : {"state", "blocks"}) {
    SCOPED_TRACE(table);
    fs::remove_all(data_);
    fs::copy(*pristine_, data_, fs::copy_options::recursive);
    int64_t root =
        QueryInt(db_, std::string("SELECT rootpage FROM sqlite_schema WHERE name='") + table + "'");
    ASSERT_GT(root, 1);
    std::string bytes = ReadFileBytes(db_);
    OverwritePage(bytes, static_cast<size_t>(root - 1), PageSize());
    WriteFileBytes(db_, bytes);
    ExpectRefusesToStart("damaged");
  }
}

TEST_F(CorruptionTest, OverwrittenHeaderPageRefusesToStart) {
  std::string bytes = ReadFileBytes(db_);
  OverwritePage(bytes, 0, PageSize());
  WriteFileBytes(db_, bytes);
  ExpectRefusesToStart("damaged");
  ExpectVerifyFails(/*expect_mismatch=*/false);
}

TEST_F(CorruptionTest, TruncatedFileRefusesToStart) {
  std::string bytes = ReadFileBytes(db_);
  size_t ps = PageSize();
  WriteFileBytes(db_, bytes.substr(0, (bytes.size() / ps / 2) * ps));
  ExpectRefusesToStart("damaged");
}

TEST_F(CorruptionTest, DamageRefusedWithoutDevFlagToo) {
  std::string bytes = ReadFileBytes(db_);
  size_t ps = PageSize(), pages = bytes.size() / ps;
  for (size_t p = pages / 2; p < pages; ++p) OverwritePage(bytes, p, ps);
  WriteFileBytes(db_, bytes);
  ExpectRefusesToStart("damaged", /*dev_flag=*/false);
}

TEST_F(CorruptionTest, SqliteDamageIsReportedOnOneLine) {
  // SQLite's quick_check verdict is multi-line text (one line per problem). Regression: it was
  // pasted into the message as is, so the node printed one line per damaged page.
  std::string bytes = ReadFileBytes(db_);
  size_t ps = PageSize(), pages = bytes.size() / ps;
  for (size_t p = 1; p < pages; ++p) OverwritePage(bytes, p, ps);
  WriteFileBytes(db_, bytes);
  ExpectRefusesToStart("damaged");
  EXPECT_NE(last_error_.find("(corruption)"), std::string::npos) << last_error_;
}

// (b) Logical tamper of the state table: every page is valid SQLite, the data is not.

TEST_F(CorruptionTest, TamperedStateRowRefusesToStart) {
  auto addr = Address::Parse(dev_address_);
  ASSERT_TRUE(addr.ok());
  std::string key = AccountKey(*addr);
  Bytes key_bytes(key.begin(), key.end());
  auto value = QueryBlob(db_, "SELECT value FROM state WHERE key=?", &key_bytes);
  ASSERT_TRUE(value.has_value()) << "no state row for the dev account";
  auto account = Account::Decode(*value);
  ASSERT_TRUE(account.ok()) << account.status().ToString();
  account->balance += Tokens(1000000);  // mint a million tokens out of thin air
  Bytes tampered = account->Encode();
  ASSERT_EQ(
      ExecSql(db_, "UPDATE state SET value=? WHERE key=X'" + ToHex(key_bytes) + "'", &tampered),
      "");

  ExpectRefusesToStart("state root");
  auto v = RunTributary({"ledger", "verify", "--data", data_.string()});
  EXPECT_NE(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("MISMATCH"), std::string::npos) << v.out << v.err;
  // The report names the key whose stored value differs.
  EXPECT_NE(v.out.find("the stored value of key " + ToHex(key_bytes) + " differs"),
            std::string::npos)
      << v.out << v.err;
}

TEST_F(CorruptionTest, DeletedStateRowRefusesToStart) {
  auto last = QueryBlob(db_, "SELECT key FROM state ORDER BY key DESC LIMIT 1");
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(
      ExecSql(db_, "DELETE FROM state WHERE key=(SELECT key FROM state ORDER BY key DESC LIMIT 1)"),
      "");
  ExpectRefusesToStart("state root");
  ExpectVerifyFails(/*expect_mismatch=*/true);
  // The report names the key the table lost.
  auto v = RunTributary({"ledger", "verify", "--data", data_.string()});
  EXPECT_NE(v.out.find("the stored state lacks key " + ToHex(*last)), std::string::npos)
      << v.out << v.err;
}

// (c) Tampered block header rows.

TEST_F(CorruptionTest, TamperedMiddleHeaderRefusesToStart) {
  int64_t h = Tip() / 2;
  ASSERT_GT(h, 0);
  // Flip the last byte of the header's state root (the 32 bytes before u32 tx_count and the
  // 64-byte signature): it still decodes, but the next block's prev-hash link breaks.
  TamperHeader(h, [](Bytes& b) { b[b.size() - 64 - 4 - 1] ^= 0x01; });
  ExpectRefusesToStart("does not link");
  EXPECT_NE(last_error_.find("corruption"), std::string::npos) << last_error_;
  ExpectVerifyFails(/*expect_mismatch=*/true);
}

TEST_F(CorruptionTest, TamperedTipHeaderRefusesToStart) {
  int64_t tip = Tip();
  TamperHeader(tip, [](Bytes& b) { b[b.size() - 64 - 4 - 1] ^= 0x01; });
  ExpectRefusesToStart("signature");
  ExpectVerifyFails(/*expect_mismatch=*/true);
}

TEST_F(CorruptionTest, TamperedTipSignatureRefusesToStart) {
  TamperHeader(Tip(), [](Bytes& b) { b[b.size() - 10] ^= 0x80; });
  ExpectRefusesToStart("signature");
}

TEST_F(CorruptionTest, TruncatedHeaderRefusesToStart) {
  TamperHeader(Tip() / 2, [](Bytes& b) { b.resize(b.size() / 2); });
  ExpectRefusesToStart("does not decode");
  ExpectVerifyFails(/*expect_mismatch=*/true);
}

TEST_F(CorruptionTest, MissingBlockRowRefusesToStart) {
  int64_t h = Tip() / 2;
  ASSERT_EQ(ExecSql(db_, "DELETE FROM blocks WHERE height=" + std::to_string(h)), "");
  ExpectRefusesToStart("missing");
  ExpectVerifyFails(/*expect_mismatch=*/true);
}

TEST_F(CorruptionTest, TamperedOldSignatureIsCaughtByLedgerVerify) {
  // A block's hash (and so the next block's link) covers the header body, not its signature.
  // The node checks only the tip's signature at start-up (chain.h documents this), so a bad
  // signature on an older block is left to `ledger verify`, which must report it.
  int64_t h = Tip() / 2;
  TamperHeader(h, [](Bytes& b) { b[b.size() - 10] ^= 0x80; });
  auto v = RunTributary({"ledger", "verify", "--data", data_.string()});
  EXPECT_EQ(v.exit_code, 3) << v.out << v.err;
  EXPECT_NE(v.out.find("MISMATCH at height " + std::to_string(h)), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("signature"), std::string::npos) << v.out;
}

}  // namespace
}  // namespace tributary::testing
