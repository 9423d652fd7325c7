#include "tributary/ledger/params.h"

#include <gtest/gtest.h>

#include "tributary/ledger/executor.h"
#include "tributary/ledger/genesis.h"

namespace tributary {
namespace {

ParamSpec Share() {
  return {"fees.share_ppm", ParamUnit::kPartsPerMillion, 0, 500'000, 50'000, "a share"};
}

TEST(ParamsTest, RegistryRejectsDuplicatesAndDefaultsOutOfBounds) {
  ParamRegistry r;
  ASSERT_TRUE(r.Add(Share()).ok());
  EXPECT_EQ(r.Add(Share()).code(), Code::kAlreadyExists);
  ParamSpec bad = Share();
  bad.name = "fees.bad";
  bad.default_value = 600'000;
  EXPECT_EQ(r.Add(bad).reason(), "param_out_of_bounds");
  bad.min_value = 700'000;
  EXPECT_FALSE(r.Add(bad).ok());
  EXPECT_EQ(r.Find("fees.share_ppm")->default_value, 50'000u);
  EXPECT_EQ(r.Find("nope"), nullptr);
  EXPECT_EQ(r.Require("nope").status().reason(), "unknown_param");
  EXPECT_EQ(r.all().size(), 1u);
}

TEST(ParamsTest, UnsetReadsDefaultWithoutWritingState) {
  State s;
  auto v = LoadParam(s, Share(), 10);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_default);
  EXPECT_EQ(v->value, 50'000u);
  EXPECT_EQ(s.size(), 0u);
}

TEST(ParamsTest, ChangeTakesEffectAtItsHeightAndKeepsThePreviousValue) {
  State s;
  Overlay o(&s);
  ASSERT_TRUE(StoreParam(o, Share(), 75'000, 21).ok());
  EXPECT_EQ(*ParamAt(o, Share(), 20), 50'000u);  // the block that executed it
  EXPECT_EQ(*ParamAt(o, Share(), 21), 75'000u);
  auto v = LoadParam(o, Share(), 30);
  EXPECT_FALSE(v->is_default);
  EXPECT_EQ(v->since_height, 21u);
  EXPECT_EQ(v->record->previous, 50'000u);
  // A second change remembers the first as its previous value.
  ASSERT_TRUE(StoreParam(o, Share(), 10'000, 40).ok());
  EXPECT_EQ(*ParamAt(o, Share(), 39), 75'000u);
  EXPECT_EQ(*ParamAt(o, Share(), 40), 10'000u);
  EXPECT_EQ(StoreParam(o, Share(), 500'001, 41).reason(), "param_out_of_bounds");
  EXPECT_EQ(*ParamAt(o, Share(), 41), 10'000u);
}

TEST(ParamsTest, CorruptRecordIsReported) {
  State s;
  Overlay o(&s);
  o.Put(ParamKey("fees.share_ppm"), Bytes{1, 2, 3});
  EXPECT_EQ(LoadParam(o, Share(), 1).status().code(), Code::kCorruption);
}

TEST(ParamsTest, GenesisSetsValuesAtHeightZeroAndOnlyThenChangesItsHash) {
  Genesis g;
  g.chain_id = "tributary-params";
  g.supply = 100;
  g.accounts = {{Address{}, 100}};
  const Hash32 plain = g.Hash();
  EXPECT_FALSE(g.ToJson().contains("protocol_params"));
  g.protocol_params["fees.share_ppm"] = 90'000;
  EXPECT_NE(g.Hash(), plain);
  auto back = Genesis::FromJson(g.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->protocol_params.at("fees.share_ppm"), 90'000u);
  EXPECT_EQ(back->Hash(), g.Hash());
  auto j = g.ToJson();
  j["protocol_params"]["fees.share_ppm"] = 5;  // not a string of digits
  EXPECT_EQ(Genesis::FromJson(j).status().reason(), "bad_genesis");

  TxKindRegistry kinds;
  Executor exec(g, kinds);
  State s;
  Overlay o(&s);
  exec.ApplyGenesis(o);
  EXPECT_EQ(*ParamAt(o, Share(), 0), 90'000u);
  EXPECT_EQ(*ParamAt(o, Share(), 1000), 90'000u);
}

}  // namespace
}  // namespace tributary
