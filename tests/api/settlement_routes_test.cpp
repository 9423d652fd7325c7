// GET /v1/settlement and the settlement gauges of /metrics, with a commitment poster posting to
// an in-process fake EVM node.
#include <gtest/gtest.h>

#include <thread>

#include "api/in_process_node.h"
#include "support/fake_commitments_chain.h"
#include "tributary/settlement/commitment_poster.h"

namespace tributary::testing {
namespace {

using json = nlohmann::json;

class SettlementRoutesTest : public InProcessNodeTest {};

TEST_F(SettlementRoutesTest, AnswersNotFoundWhenTheNodeDoesNotSettle) {
  StartServer();
  HttpResponse r = Get("/v1/settlement");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"]["code"], "settlement_off");
  EXPECT_NE(r.json()["error"]["message"].get<std::string>().find("--settle-rpc"),
            std::string::npos);
  EXPECT_EQ(Get("/metrics").body.find("tributary_settlement"), std::string::npos);
}

TEST_F(SettlementRoutesTest, ShowsTheLastPostAndItsGas) {
  const evm::PrivateKey key = evm::PrivateKey::Generate();
  FakeCommitmentsChain fake(key.address(), 5);
  evm::RpcClientOptions ro;
  ro.url = fake.url();
  settlement::CommitmentPosterOptions po;
  po.contract = fake.contract();
  po.every = 5;
  po.poll_interval = std::chrono::milliseconds(10);
  po.log = [](const std::string&) {};
  auto poster = settlement::CommitmentPoster::Create(chain_.get(),
                                                     evm::RpcClient::Create(ro).value(), key, po);
  ASSERT_TRUE(poster.ok()) << poster.status().ToString();
  ASSERT_TRUE((*poster)->Start().ok());
  ServerOptions so;
  so.commitments = poster->get();
  StartServer(so);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(chain_->ProduceBlock().ok());
  for (int i = 0; i < 1000 && (*poster)->stats().posts < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  HttpResponse r = Get("/v1/settlement");
  ASSERT_EQ(r.status, 200) << r.body;
  const json c = r.json()["commitments"];
  EXPECT_EQ(c["state"], "ok");
  EXPECT_EQ(c["contract"], fake.contract().ToChecksumString());
  EXPECT_EQ(c["sender"], key.address().ToChecksumString());
  EXPECT_EQ(c["every"], 5);
  EXPECT_EQ(c["evm_chain_id"], 31337);
  EXPECT_EQ(c["contract_height"], 5);
  EXPECT_EQ(c["chain_height"], 6);
  EXPECT_EQ(c["backlog"], 0);
  EXPECT_EQ(c["posts"], 1);
  EXPECT_EQ(c["errors"], 0);
  EXPECT_TRUE(c["last_error"].is_null());
  EXPECT_TRUE(c["in_flight_height"].is_null());
  const json last = c["last_posted"];
  EXPECT_EQ(last["height"], 5);
  EXPECT_EQ(last["block_hash"], ToHex(chain_->GetHeader(5)->Hash()));
  EXPECT_EQ(last["state_root"], ToHex(chain_->GetHeader(5)->state_root));
  EXPECT_EQ(last["tx_hash"], "0x" + ToHex(fake.sent().at(0).Hash()));
  EXPECT_EQ(last["gas_used"], FakeCommitmentsChain::kGasUsed);
  EXPECT_EQ(c["gas_used_total"], FakeCommitmentsChain::kGasUsed);

  const std::string metrics = Get("/metrics").body;
  EXPECT_NE(metrics.find("tributary_settlement_up 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tributary_settlement_contract_height 5\n"), std::string::npos);
  EXPECT_NE(metrics.find("tributary_settlement_backlog 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("tributary_settlement_last_gas_used 96658\n"), std::string::npos);
  EXPECT_NE(metrics.find("tributary_settlement_posts_total 1\n"), std::string::npos);

  // Unreachable: the state and the error show, the counters stay.
  fake.SetReachable(false);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(chain_->ProduceBlock().ok());
  for (int i = 0; i < 1000 && (*poster)->stats().errors < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const json down = Get("/v1/settlement").json()["commitments"];
  EXPECT_EQ(down["state"], "unreachable");
  EXPECT_EQ(down["last_error"]["code"], "rpc_http_status");
  EXPECT_EQ(down["backlog"], 1);
  EXPECT_NE(Get("/metrics").body.find("tributary_settlement_up 0\n"), std::string::npos);
  server_.reset();  // before the poster it points to
}

}  // namespace
}  // namespace tributary::testing
