// ContributorTally against LoadVersionContributors on Datanet versions made by the Datanet kinds:
// equal answers, each accepted contribution read once however many versions and requests ask,
// reads in slices, the bound on tallies kept, and a missing contribution reported as corruption.
#include "economy/economy_fixture.h"
#include "tributary/economy/contributor-tally.h"

namespace tributary::economy {
namespace {

class ContributorTallyTest : public EconomyTest {
 protected:
  // Reads the test's state, counting the reads (each one a slice).
  ContributorTally::StateRead Reader() {
    return [this](const std::function<Status(const StateReader&)>& fn) {
      ++reads_;
      return fn(*state_);
    };
  }
  datanet::Version VersionOf(const DataRef& r) {
    return **datanet::LoadVersion(*state_, r.datanet, r.version);
  }
  static std::vector<std::tuple<Address, uint64_t, uint64_t>> Rows(
      const std::vector<VersionContributor>& list) {
    std::vector<std::tuple<Address, uint64_t, uint64_t>> out;
    for (const auto& c : list) out.emplace_back(c.contributor, c.contributions, c.rows);
    return out;
  }
  int reads_ = 0;
};

TEST_F(ContributorTallyTest, EqualsReadingEveryContributionAndReadsEachOnce) {
  TwoVersions();  // v1: alice, bob, alice (3 contributions); v2 adds carol (4)
  Contribute(bob_, d_, 2, 5);
  Contribute(owner_, d_, 1, 6);
  DataRef v3 = Publish(d_);  // 6 contributions
  ContributorTally tally(Reader(), /*slice=*/2);

  // The longest version first: read once, in slices of two.
  auto c3 = tally.Contributors(VersionOf(v3));
  ASSERT_TRUE(c3.ok()) << c3.status().ToString();
  EXPECT_EQ(Rows(*c3), Rows(*LoadVersionContributors(*state_, VersionOf(v3))));
  EXPECT_EQ(tally.contributions_read(), 6u);
  EXPECT_EQ(reads_, 3);

  // A shorter version has no tally at or below its length yet: it is read from the start.
  auto c1 = tally.Contributors(VersionOf(v1_));
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(Rows(*c1), (Rows({{Addr(alice_), 2, 9}, {Addr(bob_), 1, 3}})));
  EXPECT_EQ(tally.contributions_read(), 9u);

  // v2 extends v1's tally by its one new contribution; asking again reads nothing.
  auto c2 = tally.Contributors(VersionOf(v2_));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(Rows(*c2), Rows(*LoadVersionContributors(*state_, VersionOf(v2_))));
  EXPECT_EQ(Rows(*c2), (Rows({{Addr(alice_), 2, 9}, {Addr(bob_), 1, 3}, {Addr(carol_), 1, 7}})));
  EXPECT_EQ(tally.contributions_read(), 10u);
  const int reads = reads_;
  for (const DataRef& r : {v1_, v2_, v3}) ASSERT_TRUE(tally.Contributors(VersionOf(r)).ok());
  EXPECT_EQ(tally.contributions_read(), 10u);
  EXPECT_EQ(reads_, reads);
  EXPECT_EQ(tally.tallies(), 3u);

  // Contributions accepted after v3 are not part of it, nor of any tally answering for it.
  Contribute(alice_, d_, 8, 7);
  auto again = tally.Contributors(VersionOf(v3));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Rows(*again), Rows(*c3));
}

TEST_F(ContributorTallyTest, KeepsAtMostItsBoundOfTallies) {
  TwoVersions();
  const uint64_t d2 = CreateDatanet(Spec("Other", datanet::Policy::kOpen));
  Contribute(carol_, d2, 2, 20);
  DataRef w1 = Publish(d2);
  ContributorTally tally(Reader(), 4096, /*max_tallies=*/2);
  for (const DataRef& r : {v1_, v2_, w1}) ASSERT_TRUE(tally.Contributors(VersionOf(r)).ok());
  EXPECT_EQ(tally.tallies(), 2u);
  // The fullest Datanet lost its shortest tally (v1); v2 and w1 are still kept.
  const uint64_t read = tally.contributions_read();
  ASSERT_TRUE(tally.Contributors(VersionOf(v2_)).ok());
  ASSERT_TRUE(tally.Contributors(VersionOf(w1)).ok());
  EXPECT_EQ(tally.contributions_read(), read);
  auto c1 = tally.Contributors(VersionOf(v1_));
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(Rows(*c1), (Rows({{Addr(alice_), 2, 9}, {Addr(bob_), 1, 3}})));
  EXPECT_EQ(tally.tallies(), 2u);
}

TEST_F(ContributorTallyTest, AMissingAcceptedEntryIsCorruptionAndNothingIsKept) {
  TwoVersions();
  datanet::Version v = VersionOf(v2_);
  v.contributions = 9;  // a record claiming more accepted contributions than the list holds
  ContributorTally tally(Reader(), 2);
  auto c = tally.Contributors(v);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCorruption);
  EXPECT_EQ(tally.tallies(), 0u);
  // A failed read leaves nothing behind: the real version still answers correctly.
  auto good = tally.Contributors(VersionOf(v2_));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->size(), 3u);
}

TEST_F(ContributorTallyTest, AFailingStateReadIsReturned) {
  TwoVersions();
  ContributorTally tally(
      [](const std::function<Status(const StateReader&)>&) {
        return Status::Unavailable("chain is closing");
      },
      2);
  auto c = tally.Contributors(VersionOf(v1_));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace tributary::economy
