// RowStore's per-contribution API on a real SQLite file: order, all-or-nothing puts, deletes that
// keep shared rows, durability across reopening.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/test_util.h"
#include "tributary/base/hash.h"
#include "tributary/datanet/row_store.h"

namespace tributary::datanet {
namespace {

using testing::TempDir;

// Fortunes from a Debian fortune file (entries separated by lines holding only "%"), as
// canonical text rows. Falls back to generated sentences when the file is not installed.
std::vector<std::string> FortuneRows(const std::string& file, size_t n, size_t skip = 0) {
  std::vector<std::string> entries;
  std::ifstream in("/usr/share/games/fortunes/" + file);
  std::string line, cur;
  while (std::getline(in, line)) {
    if (line == "%") {
      if (!cur.empty()) entries.push_back(cur);
      cur.clear();
    } else {
      cur += line + "\n";
    }
  }
  if (!cur.empty()) entries.push_back(cur);
  std::vector<std::string> out;
  for (size_t i = skip; i < entries.size() && out.size() < n; ++i) {
    out.push_back(nlohmann::json{{"text", entries[i]}}.dump());
  }
  for (size_t i = out.size(); i < n; ++i) {  // not installed, or too short
    out.push_back(
        nlohmann::json{{"text", file + " sentence number " + std::to_string(skip + i)}}.dump());
  }
  return out;
}

Hash32 IdOf(const std::string& row) { return Sha256(AsBytes(row)); }
std::vector<Hash32> IdsOf(const std::vector<std::string>& rows) {
  std::vector<Hash32> ids;
  for (const auto& r : rows) ids.push_back(IdOf(r));
  return ids;
}
Hash32 Contribution(const std::string& tag) { return Sha256(AsBytes("contribution/" + tag)); }

class RowStoreContributionTest : public ::testing::Test {
 protected:
  void Open() {
    store_.reset();
    auto s = RowStore::Open(dir_.path() / "rows.db");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void SetUp() override { Open(); }

  std::vector<Hash32> RowIds(const Hash32& c) {
    auto r = store_->ContributionRowIds(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Hash32>{};
  }
  size_t Count() {
    auto n = store_->Count();
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : 0;
  }
  bool Has(const std::string& row) {
    auto h = store_->Has(IdOf(row));
    EXPECT_TRUE(h.ok());
    return h.ok() && *h;
  }
  std::vector<std::pair<Hash32, uint64_t>> Listed() {
    auto l = store_->Contributions();
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? *l : std::vector<std::pair<Hash32, uint64_t>>{};
  }

  TempDir dir_;
  std::unique_ptr<RowStore> store_;
};

TEST_F(RowStoreContributionTest, RowsKeepTheirContributionOrder) {
  std::vector<std::string> rows = FortuneRows("computers", 40);
  // Not in hash order: the store must keep the given order, not sort by id.
  std::reverse(rows.begin() + 10, rows.end());
  const Hash32 c = Contribution("ordered");
  ASSERT_TRUE(store_->PutContribution(c, 7, rows, R"({"accepted":40})").ok());
  const std::vector<Hash32> ids = RowIds(c);
  EXPECT_EQ(ids, IdsOf(rows));
  EXPECT_FALSE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(Count(), rows.size());
  for (const auto& r : rows) {
    auto got = store_->Get(IdOf(r));
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, r);
  }
  auto report = store_->ContributionReport(c);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(*report, R"({"accepted":40})");
  EXPECT_EQ(Listed(), (std::vector<std::pair<Hash32, uint64_t>>{{c, 7}}));
}

TEST_F(RowStoreContributionTest, ARowRepeatedInsideAContributionKeepsEveryPosition) {
  std::vector<std::string> rows = FortuneRows("science", 3);
  std::vector<std::string> with_repeat = {rows[0], rows[1], rows[0], rows[2], rows[0]};
  const Hash32 c = Contribution("repeat");
  ASSERT_TRUE(store_->PutContribution(c, 1, with_repeat).ok());
  EXPECT_EQ(RowIds(c), IdsOf(with_repeat));
  EXPECT_EQ(Count(), 3u);  // stored once each
  // The default report is empty.
  auto report = store_->ContributionReport(c);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(*report, "");
  ASSERT_TRUE(store_->DeleteContribution(c).ok());
  EXPECT_EQ(Count(), 0u);
}

TEST_F(RowStoreContributionTest, ASecondPutOfTheSameIdIsAlreadyExistsAndAddsNothing) {
  std::vector<std::string> first = FortuneRows("computers", 5);
  std::vector<std::string> other = FortuneRows("computers", 5, 100);
  const Hash32 c = Contribution("once");
  ASSERT_TRUE(store_->PutContribution(c, 3, first, "first report").ok());
  Status again = store_->PutContribution(c, 3, first, "first report");
  EXPECT_EQ(again.code(), Code::kAlreadyExists) << again.ToString();
  // Different rows, Datanet and report under the same id: refused, and nothing of it is kept.
  Status different = store_->PutContribution(c, 4, other, "second report");
  EXPECT_EQ(different.code(), Code::kAlreadyExists) << different.ToString();
  EXPECT_EQ(Count(), first.size());
  for (const auto& r : other) EXPECT_FALSE(Has(r));
  EXPECT_EQ(RowIds(c), IdsOf(first));
  EXPECT_EQ(*store_->ContributionReport(c), "first report");
  EXPECT_EQ(Listed(), (std::vector<std::pair<Hash32, uint64_t>>{{c, 3}}));
  // A contribution holding the same rows under another id is fine (rows are shared).
  const Hash32 twin = Contribution("twin");
  ASSERT_TRUE(store_->PutContribution(twin, 3, first).ok());
  EXPECT_EQ(Count(), first.size());
  EXPECT_EQ(RowIds(twin), IdsOf(first));
}

TEST_F(RowStoreContributionTest, UnknownContributionsAreNotFound) {
  const Hash32 c = Contribution("never stored");
  EXPECT_EQ(store_->ContributionRowIds(c).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->ContributionReport(c).status().code(), Code::kNotFound);
  // Deleting what is not there changes nothing (Reconcile may race with itself).
  EXPECT_TRUE(store_->DeleteContribution(c).ok());
  EXPECT_TRUE(Listed().empty());
  // An empty contribution is stored and listed, with no rows.
  const Hash32 empty = Contribution("empty");
  ASSERT_TRUE(store_->PutContribution(empty, 2, {}).ok());
  EXPECT_TRUE(RowIds(empty).empty());
  EXPECT_EQ(Listed().size(), 1u);
}

TEST_F(RowStoreContributionTest, DeleteRemovesOnlyRowsNoOtherContributionHolds) {
  std::vector<std::string> f = FortuneRows("computers", 12, 200);
  // a: rows 0-7; b: rows 6-11 (6 and 7 shared with a); c: row 7 only, in another Datanet.
  std::vector<std::string> a(f.begin(), f.begin() + 8), b(f.begin() + 6, f.end()), c = {f[7]};
  const Hash32 ca = Contribution("a"), cb = Contribution("b"), cc = Contribution("c");
  ASSERT_TRUE(store_->PutContribution(ca, 1, a, "report a").ok());
  ASSERT_TRUE(store_->PutContribution(cb, 1, b, "report b").ok());
  ASSERT_TRUE(store_->PutContribution(cc, 2, c, "report c").ok());
  ASSERT_EQ(Count(), 12u);

  ASSERT_TRUE(store_->DeleteContribution(ca).ok());
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(Has(f[i])) << "row " << i << " was only a's";
  for (int i = 6; i < 12; ++i) EXPECT_TRUE(Has(f[i])) << "row " << i << " is still b's";
  EXPECT_EQ(Count(), 6u);
  EXPECT_EQ(store_->ContributionRowIds(ca).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->ContributionReport(ca).status().code(), Code::kNotFound);
  // b and c are intact, rows readable in order.
  EXPECT_EQ(RowIds(cb), IdsOf(b));
  EXPECT_EQ(RowIds(cc), IdsOf(c));
  for (const auto& id : RowIds(cb)) {
    auto row = store_->Get(id);
    ASSERT_TRUE(row.ok() && row->has_value());
  }
  std::vector<std::pair<Hash32, uint64_t>> expect = {{cb, 1}, {cc, 2}};
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(Listed(), expect);

  // Deleting b keeps row 7 (c holds it) and drops the rest.
  ASSERT_TRUE(store_->DeleteContribution(cb).ok());
  EXPECT_EQ(Count(), 1u);
  EXPECT_TRUE(Has(f[7]));
  ASSERT_TRUE(store_->DeleteContribution(cc).ok());
  EXPECT_EQ(Count(), 0u);
  EXPECT_TRUE(Listed().empty());
  // Deleting twice is harmless.
  EXPECT_TRUE(store_->DeleteContribution(cc).ok());
}

TEST_F(RowStoreContributionTest, ContributionsAreListedInIdOrderWithTheirDatanet) {
  std::vector<std::pair<Hash32, uint64_t>> expect;
  for (int i = 0; i < 30; ++i) {
    Hash32 id = Contribution("list " + std::to_string(i));
    uint64_t datanet = 1 + i % 4;
    ASSERT_TRUE(store_->PutContribution(id, datanet, FortuneRows("fortunes", 2, 2 * i), "r").ok());
    expect.emplace_back(id, datanet);
  }
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(Listed(), expect);
  // Big Datanet numbers survive SQLite's signed integers.
  const Hash32 big = Contribution("big");
  ASSERT_TRUE(store_->PutContribution(big, (1ull << 62) + 5, {}).ok());
  bool found = false;
  for (const auto& [id, d] : Listed()) {
    if (id == big) {
      found = true;
      EXPECT_EQ(d, (1ull << 62) + 5);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(RowStoreContributionTest, EverythingSurvivesReopening) {
  std::vector<std::string> f = FortuneRows("computers", 30, 400);
  std::vector<std::string> a(f.begin(), f.begin() + 20), b(f.begin() + 15, f.end());
  std::reverse(b.begin(), b.end());
  const Hash32 ca = Contribution("durable a"), cb = Contribution("durable b"),
               gone = Contribution("durable gone");
  const std::string report_a = nlohmann::json{{"score", 0.75}, {"accepted", 20}}.dump();
  ASSERT_TRUE(store_->PutContribution(ca, 9, a, report_a).ok());
  ASSERT_TRUE(store_->PutContribution(cb, 10, b, "b").ok());
  ASSERT_TRUE(store_->PutContribution(gone, 10, FortuneRows("science", 3, 7), "x").ok());
  ASSERT_TRUE(store_->DeleteContribution(gone).ok());
  const auto listed = Listed();
  const size_t count = Count();

  store_.reset();  // close
  Open();
  EXPECT_EQ(Listed(), listed);
  EXPECT_EQ(Count(), count);
  EXPECT_EQ(Count(), 30u);
  EXPECT_EQ(RowIds(ca), IdsOf(a));
  EXPECT_EQ(RowIds(cb), IdsOf(b));
  EXPECT_EQ(*store_->ContributionReport(ca), report_a);
  EXPECT_EQ(store_->ContributionRowIds(gone).status().code(), Code::kNotFound);
  for (const auto& r : f) {
    auto got = store_->Get(IdOf(r));
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, r);
  }
  // Still enforced after reopening.
  EXPECT_EQ(store_->PutContribution(ca, 9, a).code(), Code::kAlreadyExists);
  // And a delete after reopening still respects sharing.
  ASSERT_TRUE(store_->DeleteContribution(ca).ok());
  EXPECT_EQ(Count(), b.size());
  store_.reset();
  Open();
  EXPECT_EQ(Count(), b.size());
  EXPECT_EQ(RowIds(cb), IdsOf(b));
}

TEST_F(RowStoreContributionTest, ConcurrentPutsAndDeletesAreAllOrNothing) {
  const std::vector<std::string> shared = FortuneRows("linux", 4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::vector<std::string> rows = FortuneRows("computers", 3, 600 + 30 * t + 3 * i);
        rows.insert(rows.end(), shared.begin(), shared.end());
        Hash32 id = Contribution("thread " + std::to_string(t) + "/" + std::to_string(i));
        EXPECT_TRUE(store_->PutContribution(id, t, rows).ok());
        if (i % 2) {
          EXPECT_TRUE(store_->DeleteContribution(id).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  auto listed = Listed();
  EXPECT_EQ(listed.size(), 20u);
  std::set<Hash32> rows;
  for (const auto& [id, d] : listed) {
    auto ids = RowIds(id);
    EXPECT_EQ(ids.size(), 7u);
    rows.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(Count(), rows.size());  // nothing orphaned, nothing missing
  for (const auto& r : shared) EXPECT_TRUE(Has(r));
}

}  // namespace
}  // namespace tributary::datanet
