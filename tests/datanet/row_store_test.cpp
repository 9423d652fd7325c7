#include "tributary/datanet/row_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "support/test_util.h"
#include "tributary/base/hash.h"

namespace tributary::datanet {
namespace {

TEST(RowStoreTest, IdenticalRowsAreStoredOnceAndSurviveReopening) {
  testing::TempDir dir;
  auto path = dir.path() / "rows.db";
  {
    auto store = RowStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto added = (*store)->Put({R"({"text":"a"})", R"({"text":"b"})", R"({"text":"a"})"});
    ASSERT_TRUE(added.ok());
    EXPECT_EQ(*added, 2u);
    EXPECT_EQ(*(*store)->Put({R"({"text":"b"})"}), 0u);
  }
  auto store = RowStore::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->Count(), 2u);
  Hash32 id = Sha256(AsBytes(std::string(R"({"text":"b"})")));
  auto row = (*store)->Get(id);
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ(**row, R"({"text":"b"})");
  EXPECT_TRUE(*(*store)->Has(id));
  Hash32 other{};
  EXPECT_FALSE((*store)->Get(other)->has_value());
  EXPECT_FALSE(*(*store)->Has(other));
}

TEST(RowStoreTest, ATamperedRowIsReportedAsCorruption) {
  testing::TempDir dir;
  auto path = dir.path() / "rows.db";
  auto store = RowStore::Open(path);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put({R"({"text":"honest"})"}).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE rows SET canonical = CAST('{\"text\":\"forged\"}' AS BLOB)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto row = (*store)->Get(Sha256(AsBytes(std::string(R"({"text":"honest"})"))));
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace tributary::datanet
