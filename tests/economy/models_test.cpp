// model.register driven through a real Executor over State/Overlay with signed txs, on Datanet
// versions made by the Datanet kinds themselves; the model record, its keys and lineage; payload
// encodings and their JSON forms.
#include "tributary/economy/models.h"

#include "economy/economy_fixture.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

class ModelsTest : public EconomyTest {};

// ---- model.register ----

TEST_F(ModelsTest, RegisterAssignsIdsAndRecordsTheLineage) {
  TwoVersions();
  EXPECT_EQ(*LoadModelCount(*state_), 0u);
  Applied first = Ok(alice_, kRegisterModelKind, Registration("adapter-1", {v1_}).Encode());
  const uint64_t first_height = height_;
  Applied second = Ok(bob_, kRegisterModelKind, Registration("adapter-2", {v2_, v1_}).Encode());
  EXPECT_EQ(*LoadModelCount(*state_), 2u);

  Model m1 = ModelOf(1), m2 = ModelOf(2);
  EXPECT_EQ(m1.id, 1u);
  EXPECT_EQ(m2.id, 2u);
  EXPECT_EQ(m1.owner, Addr(alice_));
  EXPECT_EQ(m2.owner, Addr(bob_));
  EXPECT_EQ(m1.name, "fortune-teller");
  EXPECT_EQ(m1.base_hash, H("base"));
  EXPECT_EQ(m1.adapter_hash, H("adapter-1"));
  EXPECT_EQ(m2.adapter_hash, H("adapter-2"));
  EXPECT_EQ(m1.config_hash, H("config"));
  EXPECT_EQ(m1.data, std::vector<DataRef>{v1_});
  EXPECT_EQ(m2.data, (std::vector<DataRef>{v2_, v1_}));  // in the order given
  EXPECT_EQ(m1.metrics, R"({"eval_loss":1.25,"perplexity":3.49})");
  EXPECT_EQ(m1.price_per_1k_tokens, 2 * Pow10(15));
  EXPECT_EQ(m1.registered_height, first_height);
  EXPECT_EQ(m1.registered_ms, kT0 + first_height * 1000);
  EXPECT_EQ(m2.registered_height, first_height + 1);

  // The adapter index points at each model.
  EXPECT_EQ(LoadModelIdByAdapter(*state_, H("adapter-1"))->value(), 1u);
  EXPECT_EQ(LoadModelIdByAdapter(*state_, H("adapter-2"))->value(), 2u);
  EXPECT_FALSE(LoadModelIdByAdapter(*state_, H("adapter-3"))->has_value());

  ASSERT_EQ(second.receipt.events.size(), 1u);
  const Event& e = second.receipt.events[0];
  EXPECT_EQ(e.type, "model.registered");
  std::map<std::string, std::string> attrs(e.attrs.begin(), e.attrs.end());
  EXPECT_EQ(attrs["model"], "2");
  EXPECT_EQ(attrs["owner"], Addr(bob_).ToString());
  EXPECT_EQ(attrs["name"], "fortune-teller");
  EXPECT_EQ(attrs["adapter_hash"], ToHex(H("adapter-2")));
  EXPECT_EQ(attrs["price_per_1k_tokens"], "2000000000000000");
}

TEST_F(ModelsTest, RegistrationMovesNoTokensBeyondTheFee) {
  TwoVersions();
  Amount before = LoadAccount(*state_, Addr(carol_))->balance;
  Applied a = Ok(carol_, kRegisterModelKind, Registration("adapter-1", {v1_}).Encode());
  EXPECT_EQ(LoadAccount(*state_, Addr(carol_))->balance, before - a.fee);
}

TEST_F(ModelsTest, TheSameAdapterIsRegisteredOnlyOnce) {
  TwoVersions();
  Ok(alice_, kRegisterModelKind, Registration("adapter-1", {v1_}).Encode());
  // Anyone, with any other name, price or data: refused; the fee is still charged.
  RegisterModelPayload again = Registration("adapter-1", {v2_});
  again.name = "copycat";
  again.price_per_1k_tokens = 1;
  Amount before = LoadAccount(*state_, Addr(bob_))->balance;
  Applied a = Fails(bob_, again, "adapter_registered");
  EXPECT_NE(a.receipt.error.find("model 1"), std::string::npos) << a.receipt.error;
  EXPECT_EQ(LoadAccount(*state_, Addr(bob_))->balance, before - a.fee);
  Fails(alice_, Registration("adapter-1", {v1_}), "adapter_registered");
  EXPECT_EQ(ModelOf(1).name, "fortune-teller");
  // A different adapter still registers, and takes the next id.
  Ok(bob_, kRegisterModelKind, Registration("adapter-2", {v1_}).Encode());
  EXPECT_EQ(*LoadModelCount(*state_), 2u);
  EXPECT_EQ(ModelOf(2).owner, Addr(bob_));
}

TEST_F(ModelsTest, UnknownDatanetVersionsAndWrongRootsAreRefused) {
  TwoVersions();
  Fails(alice_, Registration("a", {DataRef{d_, 3, v2_.root}}), "unknown_version");
  Fails(alice_, Registration("a", {DataRef{d_ + 7, 1, v1_.root}}), "unknown_datanet");
  // Version 1 with version 2's root (and a root nobody published).
  Fails(alice_, Registration("a", {DataRef{d_, 1, v2_.root}}), "root_mismatch");
  Fails(alice_, Registration("a", {v1_, DataRef{d_, 2, H("forged")}}), "root_mismatch");
  // One bad entry among good ones fails the whole registration.
  Fails(alice_, Registration("a", {v1_, v2_, DataRef{d_, 9, v1_.root}}), "unknown_version");
  EXPECT_FALSE(LoadModelIdByAdapter(*state_, H("a"))->has_value());
  // The refused adapter is still free to register correctly.
  Ok(alice_, kRegisterModelKind, Registration("a", {v1_, v2_}).Encode());
  EXPECT_EQ(*LoadModelCount(*state_), 1u);
}

TEST_F(ModelsTest, LineageListsEachVersionsContributorsInAcceptanceOrder) {
  TwoVersions();
  // An approval Datanet: bob submits first but alice is approved first; carol is rejected and
  // dave's contribution is still pending when version 1 is published.
  const uint64_t d2 = CreateDatanet(Spec("Reviewed", datanet::Policy::kApproval));
  Hash32 b = Contribute(bob_, d2, 2, 10);
  Hash32 a = Contribute(alice_, d2, 6, 11);
  Hash32 c = Contribute(carol_, d2, 9, 12);
  Hash32 late = Contribute(owner_, d2, 1, 13);
  Approve(a);
  Approve(b);
  Reject(c);
  DataRef r1 = Publish(d2);
  Approve(late);  // after the version: not part of it
  Ok(alice_, kRegisterModelKind, Registration("adapter-1", {v1_, v2_, r1}).Encode());

  auto lineage = LoadLineage(*state_, ModelOf(1));
  ASSERT_TRUE(lineage.ok()) << lineage.status().ToString();
  ASSERT_EQ(lineage->size(), 3u);
  auto who = [](const DataLineage& l) {
    std::vector<std::tuple<Address, uint64_t, uint64_t>> out;
    for (const auto& c : l.contributors) out.emplace_back(c.contributor, c.contributions, c.rows);
    return out;
  };
  using Row = std::tuple<Address, uint64_t, uint64_t>;
  // Version 1 of the open Datanet: alice 5 + 4 rows in two contributions, bob 3.
  EXPECT_EQ(who((*lineage)[0]), (std::vector<Row>{{Addr(alice_), 2, 9}, {Addr(bob_), 1, 3}}));
  EXPECT_EQ((*lineage)[0].version.rows, 12u);
  EXPECT_EQ((*lineage)[0].datanet.spec.name, "Fortunes");
  // Version 2 adds carol.
  EXPECT_EQ(who((*lineage)[1]),
            (std::vector<Row>{{Addr(alice_), 2, 9}, {Addr(bob_), 1, 3}, {Addr(carol_), 1, 7}}));
  // The approval Datanet's version: acceptance order (alice first), no rejected or late rows.
  EXPECT_EQ(who((*lineage)[2]), (std::vector<Row>{{Addr(alice_), 1, 6}, {Addr(bob_), 1, 2}}));
  EXPECT_EQ((*lineage)[2].ref, r1);
  EXPECT_EQ((*lineage)[2].version.contributions, 2u);

  json j = LineageJson((*lineage)[2]);
  EXPECT_EQ(j["datanet"], d2);
  EXPECT_EQ(j["name"], "Reviewed");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["root"], ToHex(r1.root));
  EXPECT_EQ(j["version_record"]["rows"], 8);
  ASSERT_EQ(j["contributors"].size(), 2u);
  EXPECT_EQ(j["contributors"][0]["contributor"], Addr(alice_).ToString());
  EXPECT_EQ(j["contributors"][0]["rows"], 6);
  EXPECT_EQ(j["contributors"][1]["contributions"], 1);
}

TEST_F(ModelsTest, TwoRegistrationsOfOneAdapterInOneBlockKeepTheFirst) {
  TwoVersions();
  // Both txs applied to one overlay (one block): the second sees the first's index entry.
  Overlay block(state_.get());
  auto make = [&](const KeyPair& k, const std::string& name) {
    RegisterModelPayload p = Registration("same", {v1_});
    p.name = name;
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = LoadAccount(*state_, Addr(k))->nonce;
    tx.max_fee = Pow10(16);
    tx.kind = std::string(kRegisterModelKind);
    tx.payload = p.Encode();
    tx.SignWith(k);
    return tx;
  };
  Status s1, s2;
  auto apply = [&](const Transaction& tx, Status* st) {
    Bytes raw = tx.Encode();
    auto r = exec_->ApplyTx(block, tx, tx.Hash(), raw.size(), 100, kT0 + 100000,
                            Address::FromPublicKey(seq_.public_key()), st);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  };
  apply(make(alice_, "first"), &s1);
  apply(make(bob_, "second"), &s2);
  EXPECT_TRUE(s1.ok()) << s1.ToString();
  EXPECT_EQ(s2.reason(), "adapter_registered");
  state_->Apply(block.writes());
  EXPECT_EQ(*LoadModelCount(*state_), 1u);
  EXPECT_EQ(ModelOf(1).name, "first");
}

// ---- payload checks (CheckTx) ----

TEST_F(ModelsTest, BadRegistrationsFailCheckTxAndFromJson) {
  const TxKind* kind = kinds_.Find(kRegisterModelKind);
  ASSERT_NE(kind, nullptr);
  const DataRef ref{1, 1, H("root")};
  struct Case {
    const char* what;
    std::function<void(RegisterModelPayload&)> edit;
    const char* reason;
    bool json_refused = true;  //!< false: the JSON form is canonicalised into a good payload
  };
  const std::vector<Case> cases = {
      {"empty name", [](auto& p) { p.name = ""; }, "bad_model"},
      {"65-character name", [](auto& p) { p.name = std::string(65, 'n'); }, "bad_model"},
      {"name with a newline", [](auto& p) { p.name = "two\nlines"; }, "bad_model"},
      {"name not UTF-8", [](auto& p) { p.name = "caf\xC3"; }, "bad_model"},
      {"zero base hash", [](auto& p) { p.base_hash = Hash32{}; }, "bad_model"},
      {"zero adapter hash", [](auto& p) { p.adapter_hash = Hash32{}; }, "bad_model"},
      {"zero config hash", [](auto& p) { p.config_hash = Hash32{}; }, "bad_model"},
      {"no data", [](auto& p) { p.data.clear(); }, "bad_model"},
      {"version 0", [&](auto& p) { p.data = {DataRef{1, 0, ref.root}}; }, "bad_model"},
      {"Datanet 0", [&](auto& p) { p.data = {DataRef{0, 1, ref.root}}; }, "bad_model"},
      {"a version twice",
       [&](auto& p) { p.data = {ref, DataRef{2, 1, ref.root}, DataRef{1, 1, H("other")}}; },
       "bad_model"},
      {"33 versions",
       [&](auto& p) {
         p.data.clear();
         for (uint32_t v = 1; v <= kMaxDataRefs + 1; ++v) p.data.push_back({1, v, ref.root});
       },
       "malformed_encoding"},
      {"price over the cap", [](auto& p) { p.price_per_1k_tokens = kMaxPricePer1kTokens + 1; },
       "bad_model"},
      {"price at 2^128-1", [](auto& p) { p.price_per_1k_tokens = kAmountMax; }, "bad_model"},
      {"metrics with spaces", [](auto& p) { p.metrics = R"({"loss": 1})"; }, "bad_model", false},
      {"metrics unsorted", [](auto& p) { p.metrics = R"({"b":1,"a":2})"; }, "bad_model", false},
      {"metrics an array", [](auto& p) { p.metrics = "[1,2]"; }, "bad_model"},
      {"metrics not JSON", [](auto& p) { p.metrics = "{loss:1}"; }, "bad_model"},
      {"metrics empty", [](auto& p) { p.metrics = ""; }, "bad_model"},
      {"metrics too deep", [](auto& p) { p.metrics = std::string(20, '[') + std::string(20, ']'); },
       "bad_model"},
      {"metrics over 16 KiB",
       [](auto& p) { p.metrics = R"({"x":")" + std::string(kMaxMetricsBytes, 'x') + "\"}"; },
       "malformed_encoding"},
  };
  for (const auto& c : cases) {
    RegisterModelPayload p = Registration("adapter", {ref});
    c.edit(p);
    Status s = kind->CheckPayload(p.Encode());
    EXPECT_EQ(s.reason(), c.reason) << c.what << ": " << s.ToString();
    // Its JSON form is refused too (before anything is signed), or made canonical.
    auto j = kind->PayloadFromJson(p.ToJson());
    EXPECT_EQ(j.ok(), !c.json_refused) << c.what;
  }
  // The good one passes both.
  RegisterModelPayload good = Registration("adapter", {ref});
  EXPECT_TRUE(kind->CheckPayload(good.Encode()).ok());
  EXPECT_TRUE(kind->PayloadFromJson(good.ToJson()).ok());
  // The edges of the limits pass.
  good.name = std::string(64, 'n');
  good.price_per_1k_tokens = kMaxPricePer1kTokens;
  good.data.clear();
  for (uint32_t v = 1; v <= kMaxDataRefs; ++v) good.data.push_back({1, v, ref.root});
  good.metrics = "{}";
  EXPECT_TRUE(kind->CheckPayload(good.Encode()).ok());
  good.price_per_1k_tokens = 0;  // a free model
  good.name = "ünïcödé-名前";
  EXPECT_TRUE(kind->CheckPayload(good.Encode()).ok());
}

TEST_F(ModelsTest, MalformedEncodingsAreRefused) {
  const TxKind* kind = kinds_.Find(kRegisterModelKind);
  Bytes good = Registration("adapter", {DataRef{1, 1, H("root")}}).Encode();
  ASSERT_TRUE(kind->CheckPayload(good).ok());
  for (size_t cut = 0; cut < good.size(); cut += 7) {
    Bytes truncated(good.begin(), good.begin() + cut);
    EXPECT_EQ(kind->CheckPayload(truncated).reason(), "malformed_encoding") << cut;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(kind->CheckPayload(trailing).reason(), "malformed_encoding");
  // A data count far beyond what follows (no huge allocation, a clean error).
  Bytes big = Writer().Str("m").Fixed(H("b")).Fixed(H("a")).U32(0xFFFFFFFF).bytes();
  EXPECT_EQ(kind->CheckPayload(big).reason(), "malformed_encoding");
  EXPECT_FALSE(kind->PayloadToJson(trailing).ok());
  EXPECT_FALSE(RegisterModelPayload::Decode({}).ok());
}

TEST_F(ModelsTest, BadJsonPayloadsNameTheField) {
  const TxKind* kind = kinds_.Find(kRegisterModelKind);
  json good = Registration("adapter", {DataRef{1, 1, H("root")}}).ToJson();
  ASSERT_TRUE(kind->PayloadFromJson(good).ok());
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    const char* needle;
  };
  const std::vector<Case> cases = {
      {"not an object", [](json& j) { j = json::array(); }, "JSON object"},
      {"no name", [](json& j) { j.erase("name"); }, "payload.name"},
      {"name a number", [](json& j) { j["name"] = 7; }, "payload.name"},
      {"short base hash", [](json& j) { j["base_hash"] = "abcd"; }, "payload.base_hash"},
      {"adapter hash not hex", [](json& j) { j["adapter_hash"] = std::string(64, 'z'); },
       "payload.adapter_hash"},
      {"no config hash", [](json& j) { j.erase("config_hash"); }, "payload.config_hash"},
      {"data not an array", [](json& j) { j["data"] = "1@1"; }, "payload.data"},
      {"data entry not an object", [](json& j) { j["data"] = {1}; }, "payload.data"},
      {"negative version", [](json& j) { j["data"][0]["version"] = -1; }, "payload.version"},
      {"version past u32", [](json& j) { j["data"][0]["version"] = 1ull << 32; }, "version"},
      {"datanet a string", [](json& j) { j["data"][0]["datanet"] = "1"; }, "payload.datanet"},
      {"no root", [](json& j) { j["data"][0].erase("root"); }, "payload.root"},
      {"metrics an array", [](json& j) { j["metrics"] = {1, 2}; }, "payload.metrics"},
      {"no price", [](json& j) { j.erase("price_per_1k_tokens"); }, "payload.price_per_1k_tokens"},
      {"negative price", [](json& j) { j["price_per_1k_tokens"] = "-1"; }, "price_per_1k_tokens"},
      {"garbage price", [](json& j) { j["price_per_1k_tokens"] = "cheap"; }, "price_per_1k_tokens"},
      {"fractional price", [](json& j) { j["price_per_1k_tokens"] = "0.5"; },
       "price_per_1k_tokens"},
      {"price a number", [](json& j) { j["price_per_1k_tokens"] = 5; }, "price_per_1k_tokens"},
      {"price past 2^128",
       [](json& j) { j["price_per_1k_tokens"] = "340282366920938463463374607431768211456"; },
       "price_per_1k_tokens"},
  };
  for (const auto& c : cases) {
    json j = good;
    c.edit(j);
    auto r = kind->PayloadFromJson(j);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().reason(), "bad_payload") << c.what << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
        << c.what << ": " << r.status().message();
  }
  // Metrics absent or null mean {}.
  json no_metrics = good;
  no_metrics.erase("metrics");
  auto p = RegisterModelPayload::FromJson(no_metrics);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->metrics, "{}");
}

// ---- encodings and JSON forms ----

TEST(ModelPayloadTest, JsonAndBinaryRoundTrips) {
  RegisterModelPayload p =
      Registration("adapter", {DataRef{3, 2, H("r1")}, DataRef{1, 7, H("r2")}});
  auto back = RegisterModelPayload::Decode(p.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  json j = p.ToJson();
  EXPECT_EQ(j["name"], "fortune-teller");
  EXPECT_EQ(j["adapter_hash"], ToHex(H("adapter")));
  EXPECT_EQ(j["data"][1]["datanet"], 1);
  EXPECT_EQ(j["data"][1]["version"], 7);
  EXPECT_EQ(j["data"][1]["root"], ToHex(H("r2")));
  EXPECT_EQ(j["metrics"]["eval_loss"], 1.25);
  EXPECT_EQ(j["price_per_1k_tokens"], "2000000000000000");
  auto from = RegisterModelPayload::FromJson(json::parse(j.dump()));
  ASSERT_TRUE(from.ok()) << from.status().ToString();
  EXPECT_EQ(*from, p);
  EXPECT_EQ(from->Encode(), p.Encode());
}

TEST(ModelPayloadTest, MetricsAreStoredCanonically) {
  json j = Registration("adapter", {DataRef{1, 1, H("r")}}).ToJson();
  // Any key order, spacing and nesting the user wrote: one canonical text.
  j["metrics"] = json::parse(R"({ "perplexity" : 3.49, "eval_loss": 1.25,
                                  "per_task": {"qa": [0.5, 0.25], "chat": {"win": 1}} })");
  auto p = RegisterModelPayload::FromJson(j);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(
      p->metrics,
      R"({"eval_loss":1.25,"per_task":{"chat":{"win":1},"qa":[0.5,0.25]},"perplexity":3.49})");
  EXPECT_TRUE(p->Check().ok());
  EXPECT_TRUE(CheckMetrics(p->metrics).ok());
  // Too large as canonical JSON: refused with the size.
  j["metrics"] = {{"blob", std::string(kMaxMetricsBytes, 'x')}};
  auto big = RegisterModelPayload::FromJson(j);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("16384"), std::string::npos) << big.status().message();
  // Text that is not UTF-8 cannot be stored canonically.
  j["metrics"] = {{"note", std::string("caf\xC3")}};
  EXPECT_FALSE(RegisterModelPayload::FromJson(j).ok());
}

TEST(ModelRecordTest, EncodeDecodeAndJsonForms) {
  Model m;
  m.id = 3;
  m.owner = Addr(Key(7));
  m.name = "fortune-teller";
  m.base_hash = H("base");
  m.adapter_hash = H("adapter");
  m.data = {DataRef{1, 2, H("r")}};
  m.config_hash = H("config");
  m.metrics = R"({"eval_loss":1.25})";
  m.price_per_1k_tokens = 2 * Pow10(15);
  m.registered_height = 42;
  m.registered_ms = kT0 + 1500;
  auto back = Model::Decode(m.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->Encode(), m.Encode());
  EXPECT_EQ(back->data, m.data);
  EXPECT_EQ(back->owner, m.owner);

  json j = m.ToJson();
  EXPECT_EQ(j["id"], 3);
  EXPECT_EQ(j["openai_id"], "tributary-model-3");
  EXPECT_EQ(j["owner"], m.owner.ToString());
  EXPECT_EQ(j["base_hash"], ToHex(H("base")));
  EXPECT_EQ(j["config_hash"], ToHex(H("config")));
  EXPECT_EQ(j["metrics"]["eval_loss"], 1.25);
  EXPECT_EQ(j["price_per_1k_tokens"], "2000000000000000");
  EXPECT_EQ(j["registered_height"], 42);
  EXPECT_EQ(j["data"][0]["version"], 2);

  json o = m.ToOpenAiJson();
  EXPECT_EQ(o["id"], "tributary-model-3");
  EXPECT_EQ(o["object"], "model");
  EXPECT_EQ(o["created"], (kT0 + 1500) / 1000);
  EXPECT_EQ(o["owned_by"], m.owner.ToString());
  EXPECT_EQ(o["parent"], ToHex(H("base")));

  // Damaged records fail to decode (never crash).
  Bytes raw = m.Encode();
  for (size_t cut = 0; cut < raw.size(); cut += 5) {
    EXPECT_FALSE(Model::Decode(ByteView(raw.data(), cut)).ok()) << cut;
  }
  Bytes wrong_version = raw;
  wrong_version[0] = 9;
  EXPECT_FALSE(Model::Decode(wrong_version).ok());
}

TEST(ModelRecordTest, StoredRecordsThatDoNotDecodeAreCorruption) {
  State s;
  Overlay o(&s);
  o.Put(ModelKey(1), Bytes{1, 2, 3});
  o.Put(ModelCounterKey(), Bytes{1});
  o.Put(AdapterKey(H("a")), Bytes{0});
  EXPECT_EQ(LoadModel(o, 1).status().code(), Code::kCorruption);
  EXPECT_EQ(LoadModelCount(o).status().code(), Code::kCorruption);
  EXPECT_EQ(LoadModelIdByAdapter(o, H("a")).status().code(), Code::kCorruption);
  EXPECT_FALSE(LoadModel(o, 2)->has_value());
}

TEST(ModelRecordTest, KeysUseTheirOwnPrefixes) {
  EXPECT_EQ(ModelCounterKey(), "M");
  EXPECT_EQ(ModelKey(5).size(), 9u);
  EXPECT_EQ(ModelKey(5)[0], 'm');
  EXPECT_EQ(AdapterKey(H("a")).size(), 33u);
  EXPECT_EQ(AdapterKey(H("a"))[0], 'h');
  // None collides with a Datanet or ledger prefix.
  for (char used : std::string("NdclAvqpPau")) {
    EXPECT_NE(ModelKey(1)[0], used);
    EXPECT_NE(AdapterKey(H("a"))[0], used);
    EXPECT_NE(ModelCounterKey()[0], used);
  }
}

TEST(ModelRecordTest, ModelIds) {
  EXPECT_EQ(OpenAiModelId(12), "tributary-model-12");
  EXPECT_EQ(*ParseModelId("12"), 12u);
  EXPECT_EQ(*ParseModelId("tributary-model-12"), 12u);
  for (const char* bad : {"", "0", "-1", "1.5", "abc", "tributary-model-", "tributary-model-x",
                          "99999999999999999999", "model-3", " 3"}) {
    auto r = ParseModelId(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().reason(), "bad_model_id") << bad;
  }
}

}  // namespace
}  // namespace tributary::economy
