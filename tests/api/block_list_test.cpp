// GET /v1/blocks: the newest headers first, paged with `before`, and a 400 naming the parameter
// for every bad limit or before.
#include <gtest/gtest.h>

#include "api/in_process_node.h"
#include "support/tx_util.h"

namespace tributary::testing {
namespace {

using json = nlohmann::json;

class BlockListTest : public InProcessNodeTest {
 protected:
  static constexpr uint64_t kTip = 25;
  void SetUp() override {
    ASSERT_NE(chain_, nullptr);
    for (uint64_t i = 0; i < kTip; ++i) ASSERT_TRUE(chain_->ProduceBlock().ok());
    ASSERT_EQ(chain_->height(), kTip);
    StartServer();
  }
  // The heights of a listing, checking each entry's shape on the way.
  std::vector<uint64_t> Heights(const std::string& query) {
    auto r = Get("/v1/blocks" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.json();
    EXPECT_EQ(j.value("height", uint64_t{0}), kTip) << r.body;
    std::vector<uint64_t> heights;
    for (const auto& b : j["blocks"]) {
      for (const char* field : {"hash", "height", "timestamp_ms", "tx_count", "proposer",
                                "state_root", "tx_root", "receipts_root", "prev_hash"}) {
        EXPECT_TRUE(b.contains(field)) << field << " missing in " << b.dump();
      }
      EXPECT_FALSE(b.contains("raw")) << b.dump();
      heights.push_back(b["height"].get<uint64_t>());
    }
    return heights;
  }
  static std::vector<uint64_t> Down(uint64_t from, uint64_t n) {
    std::vector<uint64_t> out;
    for (uint64_t i = 0; i < n; ++i) out.push_back(from - i);
    return out;
  }
};

TEST_F(BlockListTest, NewestFirstTwentyByDefault) {
  EXPECT_EQ(Heights(""), Down(kTip, 20));
  auto j = Get("/v1/blocks?limit=3").json();
  ASSERT_EQ(j["blocks"].size(), 3u);
  // They link up, and each is the block GET /v1/blocks/{height} answers.
  EXPECT_EQ(j["blocks"][0]["prev_hash"], j["blocks"][1]["hash"]);
  EXPECT_EQ(j["blocks"][1]["prev_hash"], j["blocks"][2]["hash"]);
  auto one = Get("/v1/blocks/" + std::to_string(kTip - 1)).json();
  EXPECT_EQ(one["hash"], j["blocks"][1]["hash"]);
  EXPECT_EQ(one["state_root"], j["blocks"][1]["state_root"]);
  EXPECT_EQ(one["timestamp_ms"], j["blocks"][1]["timestamp_ms"]);
  EXPECT_EQ(j["blocks"][0]["tx_count"], 0);
}

TEST_F(BlockListTest, BeforePagesDownToGenesis) {
  EXPECT_EQ(Heights("?limit=5&before=" + std::to_string(kTip - 4)), Down(kTip - 5, 5));
  EXPECT_EQ(Heights("?before=3"), (std::vector<uint64_t>{2, 1, 0}));
  EXPECT_EQ(Heights("?before=1&limit=100"), (std::vector<uint64_t>{0}));
  EXPECT_EQ(Heights("?limit=100").size(), kTip + 1);
  // Past the tip: the tip down.
  EXPECT_EQ(Heights("?limit=2&before=1000000"), Down(kTip, 2));
  // Paging through everything with the last height seen.
  std::vector<uint64_t> all;
  std::string before;
  for (int page = 0; page < 10; ++page) {
    auto got = Heights("?limit=7" + before);
    ASSERT_FALSE(got.empty());
    all.insert(all.end(), got.begin(), got.end());
    if (got.back() == 0) break;  // genesis: nothing below
    before = "&before=" + std::to_string(got.back());
  }
  EXPECT_EQ(all, Down(kTip, kTip + 1));
}

TEST_F(BlockListTest, BadParametersAre400sNamingThem) {
  for (std::string param : {"limit", "before"}) {
    for (std::string value : {"abc", "-1", "0", "1.5", "", "99999999999999999999", "1e3", "%205"}) {
      SCOPED_TRACE(param + "=" + value);
      auto r = Get("/v1/blocks?" + param + "=" + value);
      ASSERT_TRUE(IsJsonError(r, 400, "bad_param"));
      EXPECT_NE(r.json()["error"]["message"].get<std::string>().find(param), std::string::npos)
          << r.body;
    }
  }
  auto r = Get("/v1/blocks?limit=101");
  ASSERT_TRUE(IsJsonError(r, 400, "bad_param"));
  EXPECT_NE(r.body.find("limit"), std::string::npos);
  EXPECT_EQ(Get("/v1/blocks?limit=100").status, 200);
}

}  // namespace
}  // namespace tributary::testing
