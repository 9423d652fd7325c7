// The model registry against a real node process: Datanet versions made with the CLI from real
// text (Debian's fortunes), a base checkpoint and an adapter directory with training.json, then
// `tributary model register|list|show`, the lineage with each version's contributors, one
// registration per adapter, bad input, and which binary runs which `model` command.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/base/file_hash.h"
#include "tributary/base/hash.h"
#include "tributary/economy/kinds.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kFortunes = "/usr/share/games/fortunes";

// Fortunes of one file as .txt paragraphs (entries are separated by lines holding only "%"),
// `count` of them from `first`, each on lines without inner blank lines.
std::string FortuneParagraphs(const std::string& file, size_t first, size_t count) {
  std::ifstream in(kFortunes / file);
  std::vector<std::string> all;
  std::string line, cur;
  while (std::getline(in, line)) {
    if (line == "%") {
      if (cur.size() > 80) all.push_back(cur);
      cur.clear();
    } else if (line.find_first_not_of(" \t\r") != std::string::npos) {
      cur += line + "\n";
    }
  }
  std::string out;
  for (size_t i = first; i < all.size() && i < first + count; ++i) out += all[i] + "\n";
  return out;
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    node_ = new NodeProcess(tmp_->path() / "data", tmp_->path() / "home");
    if (!node_->Start()) return;
    // Datanet 1 (open): alice and bob in version 1, carol joins in version 2.
    for (const char* k : {"owner", "alice", "bob", "carol", "builder"}) FundedKey(k, "50");
    json d = CliJson({"datanet", "create", "--from", "owner", "--name", "Computer fortunes",
                      "--summary", "quips", "--license", "GPL-2.0"});
    datanet_ = d["datanet"].value("id", uint64_t{0});
    const std::string id = std::to_string(datanet_);
    auto contribute = [&](const char* who, size_t first, size_t count) {
      json c = CliJson({"datanet", "contribute", "--from", who, "--datanet", id,
                        WriteFile(std::string(who) + std::to_string(first) + ".txt",
                                  FortuneParagraphs("computers", first, count))
                            .string()});
      return c.value("accepted", uint64_t{0});
    };
    rows_["alice"] = contribute("alice", 0, 12);
    rows_["bob"] = contribute("bob", 20, 5);
    rows_["alice"] += contribute("alice", 40, 3);
    v1_ = CliJson({"datanet", "publish", id, "--from", "owner"})["version"];
    rows_["carol"] = contribute("carol", 60, 4);
    v2_ = CliJson({"datanet", "publish", id, "--from", "owner"})["version"];
  }
  static void TearDownTestSuite() {
    delete node_;
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_TRUE(node_ && node_->Running()) << (node_ ? node_->output() : "");
    ASSERT_TRUE(fs::exists(kFortunes / "computers")) << "the fortunes package is missing";
    ASSERT_GT(datanet_, 0u);
    ASSERT_EQ(v1_.value("version", 0), 1) << v1_.dump();
    ASSERT_EQ(v2_.value("version", 0), 2) << v2_.dump();
    ASSERT_GT(rows_["alice"], 0u);
    ASSERT_GT(rows_["bob"], 0u);
    ASSERT_GT(rows_["carol"], 0u);
  }

  static CommandResult Cli(std::vector<std::string> args) { return RunCli(*node_, args); }
  static json CliJson(std::vector<std::string> args) { return RunCliJson(*node_, args); }
  static std::string FundedKey(const std::string& name, const std::string& amount) {
    return testing::FundedKey(*node_, name, amount);
  }

  static std::string AddressOf(const std::string& key) {
    auto a = Cli({"keys", "show", key, "--address"}).out;
    return a.substr(0, a.find('\n'));
  }
  static fs::path WriteFile(const std::string& name, const std::string& content) {
    fs::path p = tmp_->path() / name;
    fs::create_directories(p.parent_path());
    WriteFileBytes(p, content);
    return p;
  }
  static json Get(const std::string& path) { return HttpGet(node_->port(), path).json(); }

  // A base checkpoint written by hand (the hash covers names and bytes only).
  static fs::path MakeBase(const std::string& dir, const std::string& weights) {
    WriteFile(dir + "/config.json", R"({"model_type":"llama","hidden_size":32})");
    WriteFile(dir + "/model.safetensors", weights);
    WriteFile(dir + "/tokenizer.json", "{}");  // not hashed
    return tmp_->path() / dir;
  }
  // A PEFT adapter directory as training leaves it, with training.json naming `data`.
  static fs::path MakeAdapter(const std::string& dir, const fs::path& base,
                              const std::string& weights, const json& data,
                              const json& metrics = {{"eval_loss", 1.75}, {"perplexity", 5.75}}) {
    WriteFile(dir + "/adapter_config.json", R"({"r":4,"lora_alpha":8,"peft_type":"LORA"})");
    WriteFile(dir + "/adapter_model.safetensors", weights);
    auto base_hash = HashModelFiles(base, ModelFiles::kBase);
    EXPECT_TRUE(base_hash.ok()) << base_hash.status().ToString();
    json config = {{"learning_rate", 0.0002}, {"epochs", 2}, {"rank", 4}};
    json lineage = {{"format", "tributary/lineage/v1"},
                    {"base", {{"hash", ToHex(*base_hash)}}},
                    {"data", data},
                    {"config", config},
                    {"config_hash", ToHex(Sha256(AsBytes(config.dump())))},
                    {"metrics", metrics}};
    WriteFile(dir + "/training.json", lineage.dump(2));
    return tmp_->path() / dir;
  }
  static json Ref(const json& version) {
    return {{"datanet", version["datanet"]},
            {"version", version["version"]},
            {"root", version["root"]}};
  }
  static std::vector<std::string> Register(const std::string& name, const fs::path& base,
                                           const fs::path& adapter, const std::string& price,
                                           const std::string& from = "builder") {
    return {"model",       "register",  "--from",         from,      "--name", name, "--base",
            base.string(), "--adapter", adapter.string(), "--price", price};
  }

  static TempDir* tmp_;
  static NodeProcess* node_;
  static uint64_t datanet_;
  static json v1_, v2_;
  static std::map<std::string, uint64_t> rows_;  // accepted rows per contributor
};

TempDir* ModelRegistryTest::tmp_ = nullptr;
NodeProcess* ModelRegistryTest::node_ = nullptr;
uint64_t ModelRegistryTest::datanet_ = 0;
json ModelRegistryTest::v1_, ModelRegistryTest::v2_;
std::map<std::string, uint64_t> ModelRegistryTest::rows_;

TEST_F(ModelRegistryTest, RegisterListAndShowWithLineage) {
  fs::path base = MakeBase("base", std::string(4096, '\x11'));
  fs::path adapter =
      MakeAdapter("adapter-v1", base, std::string(512, '\x22'), json::array({Ref(v1_)}));
  json r = CliJson(Register("fortune-teller", base, adapter, "0.002"));
  ASSERT_TRUE(r.contains("model")) << r.dump();
  const json m = r["model"];
  const uint64_t id = m["id"].get<uint64_t>();
  EXPECT_GE(id, 1u);
  EXPECT_EQ(m["name"], "fortune-teller");
  EXPECT_EQ(m["owner"], AddressOf("builder"));
  EXPECT_EQ(m["price_per_1k_tokens"], "2000000000000000");  // 0.002 OPEN in base units
  EXPECT_EQ(m["base_hash"], ToHex(*HashModelFiles(base, ModelFiles::kBase)));
  EXPECT_EQ(m["adapter_hash"], ToHex(*HashModelFiles(adapter, ModelFiles::kAdapter)));
  EXPECT_EQ(m["data"], json::array({Ref(v1_)}));
  EXPECT_EQ(m["metrics"], (json{{"eval_loss", 1.75}, {"perplexity", 5.75}}));
  json training = json::parse(ReadFileBytes(adapter / "training.json"));
  EXPECT_EQ(m["config_hash"], training["config_hash"]);
  EXPECT_GT(r.value("height", uint64_t{0}), 0u);

  // list: the registry fields and the OpenAI fields of the same models.
  json list = CliJson({"model", "list"});
  EXPECT_EQ(list["object"], "list");
  bool found = false;
  for (size_t i = 0; i < list["models"].size(); ++i) {
    if (list["models"][i]["id"] != id) continue;
    found = true;
    EXPECT_EQ(list["models"][i], m);
    const json& o = list["data"][i];
    EXPECT_EQ(o["id"], "tributary-model-" + std::to_string(id));
    EXPECT_EQ(o["object"], "model");
    EXPECT_EQ(o["owned_by"], AddressOf("builder"));
    EXPECT_EQ(o["parent"], m["base_hash"]);
    EXPECT_EQ(o["created"], m["registered_ms"].get<uint64_t>() / 1000);
  }
  EXPECT_TRUE(found) << list.dump();
  auto text = Cli({"model", "list"});
  EXPECT_NE(text.out.find("fortune-teller\t0.002 OPEN per 1K tokens"), std::string::npos)
      << text.out;

  // show: lineage with the version's contributors (carol joined after version 1).
  json show = CliJson({"model", "show", std::to_string(id)});
  EXPECT_EQ(show["name"], "fortune-teller");
  const json& lin = show["lineage"];
  EXPECT_EQ(lin["base"]["hash"], m["base_hash"]);
  EXPECT_EQ(lin["adapter"]["hash"], m["adapter_hash"]);
  EXPECT_EQ(lin["config"]["hash"], m["config_hash"]);
  EXPECT_EQ(lin["metrics"], m["metrics"]);
  EXPECT_EQ(lin["price_per_1k_tokens"], "2000000000000000");
  ASSERT_EQ(lin["data"].size(), 1u);
  const json& d = lin["data"][0];
  EXPECT_EQ(d["datanet"], datanet_);
  EXPECT_EQ(d["name"], "Computer fortunes");
  EXPECT_EQ(d["version"], 1);
  EXPECT_EQ(d["root"], v1_["root"]);
  EXPECT_EQ(d["version_record"], v1_);
  ASSERT_EQ(d["contributors"].size(), 2u) << d.dump();
  EXPECT_EQ(d["contributors"][0]["contributor"], AddressOf("alice"));
  EXPECT_EQ(d["contributors"][0]["contributions"], 2);
  EXPECT_EQ(d["contributors"][0]["rows"], rows_["alice"]);
  EXPECT_EQ(d["contributors"][1]["contributor"], AddressOf("bob"));
  EXPECT_EQ(d["contributors"][1]["rows"], rows_["bob"]);
  EXPECT_EQ(v1_["rows"], rows_["alice"] + rows_["bob"]);
  // The OpenAI-style id names the same model.
  EXPECT_EQ(Get("/v1/models/tributary-model-" + std::to_string(id)), show);
  auto shown = Cli({"model", "show", std::to_string(id)});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("\"Computer fortunes\" version 1"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find(AddressOf("alice")), std::string::npos);
  EXPECT_EQ(shown.out.find(AddressOf("carol")), std::string::npos);

  // A second adapter trained on both versions: carol appears in version 2's contributors.
  fs::path adapter2 =
      MakeAdapter("adapter-v2", base, std::string(512, '\x33'), json::array({Ref(v2_), Ref(v1_)}));
  json r2 = CliJson(Register("fortune-teller-2", base, adapter2, "1.5", "alice"));
  ASSERT_TRUE(r2.contains("model")) << r2.dump();
  EXPECT_EQ(r2["model"]["id"], id + 1);
  EXPECT_EQ(r2["model"]["price_per_1k_tokens"], "1500000000000000000");
  json show2 = Get("/v1/models/" + std::to_string(id + 1));
  ASSERT_EQ(show2["lineage"]["data"].size(), 2u);
  const json& c2 = show2["lineage"]["data"][0]["contributors"];
  ASSERT_EQ(c2.size(), 3u) << c2.dump();
  EXPECT_EQ(c2[2]["contributor"], AddressOf("carol"));
  EXPECT_EQ(c2[2]["rows"], rows_["carol"]);
  EXPECT_EQ(show2["lineage"]["data"][1]["version"], 1);
}

TEST_F(ModelRegistryTest, AnAdapterIsRegisteredOnce) {
  fs::path base = MakeBase("base-dup", std::string(2048, 'b'));
  fs::path adapter =
      MakeAdapter("adapter-dup", base, std::string(300, 'a'), json::array({Ref(v1_)}));
  json first = CliJson(Register("original", base, adapter, "0.01"));
  ASSERT_TRUE(first.contains("model")) << first.dump();
  const uint64_t total = Get("/v1/models")["total"].get<uint64_t>();

  // Again, by anyone, under any name: one error line, nothing registered.
  auto again = Cli(Register("copy", base, adapter, "0.001", "carol"));
  EXPECT_TRUE(FailsWithOneErrorLine(again, "adapter_registered")) << again.err;
  EXPECT_NE(again.err.find("model " + first["model"]["id"].dump()), std::string::npos);
  // A copy of the adapter elsewhere has the same content hash.
  fs::path copy = tmp_->path() / "adapter-dup-copy";
  fs::copy(adapter, copy);
  auto copied = Cli(Register("copy", base, copy, "0.001"));
  EXPECT_TRUE(FailsWithOneErrorLine(copied, "adapter_registered")) << copied.err;

  // Straight to the API, skipping the CLI's check: the ledger refuses it too.
  auto chain = FetchChainInfo(node_->port());
  ASSERT_TRUE(chain);
  KeyPair key = TestKey(41);
  auto r = Cli({"tx", "transfer", "--from", "dev", "--to",
                Address::FromPublicKey(key.public_key()).ToString(), "--amount", "5", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto parsed =
      economy::RegisterModelPayload::FromJson({{"name", "raw"},
                                               {"base_hash", first["model"]["base_hash"]},
                                               {"adapter_hash", first["model"]["adapter_hash"]},
                                               {"data", first["model"]["data"]},
                                               {"config_hash", first["model"]["config_hash"]},
                                               {"price_per_1k_tokens", "7"}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto nonce = FetchNextNonce(node_->port(), Address::FromPublicKey(key.public_key()));
  ASSERT_TRUE(nonce);
  Transaction tx = BuildTx(*chain, key, *nonce, "model.register", parsed->Encode());
  auto res = HttpPost(node_->port(), "/v1/models", RawBody(tx));
  EXPECT_TRUE(IsJsonError(res, 422, "adapter_registered")) << res.body;
  EXPECT_EQ(Get("/v1/models")["total"], total);
  // The node refuses it at admission: it never reaches a block and costs no fee.
  EXPECT_TRUE(
      IsJsonError(HttpGet(node_->port(), "/v1/tx/" + ToHex(tx.Hash())), 404, "tx_not_found"));
  EXPECT_EQ(FetchNextNonce(node_->port(), Address::FromPublicKey(key.public_key())), *nonce);
  EXPECT_EQ(FetchAccount(node_->port(), Address::FromPublicKey(key.public_key()))["balance"],
            AmountToString(Tokens(5)));
  // The adapter lookup finds the original.
  json by = Get("/v1/models?adapter_hash=" + first["model"]["adapter_hash"].get<std::string>());
  ASSERT_EQ(by["models"].size(), 1u);
  EXPECT_EQ(by["models"][0]["name"], "original");
}

TEST_F(ModelRegistryTest, BadInputGetsOneClearError) {
  fs::path base = MakeBase("base-bad", std::string(1024, 'q'));
  fs::path good = MakeAdapter("adapter-bad", base, std::string(200, 'w'), json::array({Ref(v1_)}));
  const uint64_t total = Get("/v1/models")["total"].get<uint64_t>();
  struct Case {
    std::string what;
    std::vector<std::string> args;
    std::string needle;
  };
  // Adapter directories broken one way each.
  fs::path no_lineage = tmp_->path() / "adapter-no-lineage";
  fs::copy(good, no_lineage);
  fs::remove(no_lineage / "training.json");
  auto broken = [&](const std::string& name, const std::string& training) {
    fs::path dir = tmp_->path() / name;
    fs::copy(good, dir);
    WriteFileBytes(dir / "training.json", training);
    return dir;
  };
  json lineage = json::parse(ReadFileBytes(good / "training.json"));
  auto edited = [&](const std::string& name, const std::function<void(json&)>& edit) {
    json j = lineage;
    edit(j);
    return broken(name, j.dump());
  };
  fs::path not_json = broken("adapter-not-json", "{\"format\": ");
  fs::path wrong_format =
      edited("adapter-format", [](json& j) { j["format"] = "tributary/lineage/v0"; });
  fs::path no_data = edited("adapter-no-data", [](json& j) { j.erase("data"); });
  fs::path bad_hash = edited("adapter-bad-hash", [](json& j) { j["base"]["hash"] = "xyz"; });
  fs::path unknown_version =
      edited("adapter-unknown-version", [&](json& j) { j["data"][0]["version"] = 9; });
  fs::path unknown_datanet =
      edited("adapter-unknown-datanet", [&](json& j) { j["data"][0]["datanet"] = 77; });
  fs::path wrong_root =
      edited("adapter-wrong-root", [&](json& j) { j["data"][0]["root"] = v2_["root"]; });
  fs::path other_base = MakeBase("base-other", std::string(1024, 'z'));
  fs::path empty_dir = tmp_->path() / "empty";
  fs::create_directories(empty_dir);
  const std::vector<Case> cases = {
      {"missing training.json", Register("m", base, no_lineage, "1"), "missing_lineage"},
      {"training.json not JSON", Register("m", base, not_json, "1"), "bad_lineage"},
      {"unknown lineage format", Register("m", base, wrong_format, "1"), "bad_lineage"},
      {"no data in training.json", Register("m", base, no_data, "1"), "bad_lineage"},
      {"bad base hash in training.json", Register("m", base, bad_hash, "1"), "bad_lineage"},
      {"another base", Register("m", other_base, good, "1"), "base_mismatch"},
      {"base dir without weights", Register("m", empty_dir, good, "1"), "--base"},
      {"adapter dir that does not exist", Register("m", base, empty_dir / "nope", "1"),
       "missing_lineage"},
      {"unknown version", Register("m", base, unknown_version, "1"), "unknown_version"},
      {"unknown Datanet", Register("m", base, unknown_datanet, "1"), "unknown_datanet"},
      {"wrong root", Register("m", base, wrong_root, "1"), "root_mismatch"},
      {"negative price", Register("m", base, good, "-1"), "bad_price"},
      {"negative price with =", Register("m", base, good, "--price=-1"), "bad_price"},
      {"garbage price", Register("m", base, good, "cheap"), "bad_price"},
      {"exponent price", Register("m", base, good, "1e3"), "bad_price"},
      {"19 decimals", Register("m", base, good, "0.0000000000000000001"), "decimal places"},
      {"price over the cap", Register("m", base, good, "1000000000001"), "--price"},
      {"empty name", Register("", base, good, "1"), "bad_model"},
      {"65-character name", Register(std::string(65, 'n'), base, good, "1"), "bad_model"},
      {"unknown key", Register("m", base, good, "1", "nobody"), "nobody"},
      {"contributors' share below 50%", Register("m", base, good, "1"), "--contributors-share"},
  };
  for (auto c : cases) {
    if (c.what == "contributors' share below 50%") {
      c.args.insert(c.args.end(), {"--contributors-share", "40"});
    }
    if (c.what == "negative price with =") {
      c.args.erase(c.args.end() - 2, c.args.end());
      c.args.push_back("--price=-1");
    }
    auto r = Cli(c.args);
    EXPECT_TRUE(FailsWithOneErrorLine(r, c.needle)) << c.what << ": " << r.err << r.out;
  }
  EXPECT_EQ(Get("/v1/models")["total"], total) << "nothing was registered";
  // The good directory still registers, here with 80% of each fee for its contributors.
  auto args = Register("m", base, good, "1");
  args.insert(args.end(), {"--contributors-share", "80"});
  json ok = CliJson(args);
  EXPECT_TRUE(ok.contains("model")) << ok.dump();
  EXPECT_EQ(ok["model"]["contributors_share_ppm"], 800000) << ok.dump();

  // The API's own errors.
  EXPECT_TRUE(IsJsonError(HttpGet(node_->port(), "/v1/models/999999"), 404, "unknown_model"));
  EXPECT_TRUE(IsJsonError(HttpGet(node_->port(), "/v1/models/abc"), 400, "bad_model_id"));
  EXPECT_TRUE(IsJsonError(HttpGet(node_->port(), "/v1/models?limit=x"), 400, "bad_param"));
  EXPECT_TRUE(IsJsonError(HttpGet(node_->port(), "/v1/models?adapter_hash=12"), 400, "bad_hash"));
  EXPECT_TRUE(IsJsonError(HttpPost(node_->port(), "/v1/models", "{not json"), 400, "bad_json"));
  auto chain = FetchChainInfo(node_->port());
  ASSERT_TRUE(chain);
  KeyPair key = TestKey(42);
  Transaction transfer = BuildTransfer(*chain, key, 0, Address::FromPublicKey(key.public_key()), 1);
  EXPECT_TRUE(
      IsJsonError(HttpPost(node_->port(), "/v1/models", RawBody(transfer)), 400, "wrong_kind"));
  auto missing = Cli({"model", "show", "424242"});
  EXPECT_TRUE(FailsWithOneErrorLine(missing, "unknown_model")) << missing.err;
  auto bad_id = Cli({"model", "show", "x1"});
  EXPECT_TRUE(FailsWithOneErrorLine(bad_id, "bad_model_id")) << bad_id.err;
}

TEST_F(ModelRegistryTest, TheRegistrySurvivesARestartAndReplaysFromGenesis) {
  fs::path base = MakeBase("base-restart", std::string(777, 'r'));
  fs::path adapter =
      MakeAdapter("adapter-restart", base, std::string(99, 's'), json::array({Ref(v2_)}));
  json r = CliJson(Register("durable", base, adapter, "0.5"));
  ASSERT_TRUE(r.contains("model")) << r.dump();
  const std::string path = "/v1/models/" + r["model"]["id"].dump();
  const json list = Get("/v1/models"), show = Get(path);
  ASSERT_EQ(node_->Stop(), 0);
  // Replaying every block (model.register included) gives the same state root.
  auto v = RunTributary({"ledger", "verify", "--data", (tmp_->path() / "data").string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("ledger OK"), std::string::npos) << v.out;
  ASSERT_TRUE(node_->Start()) << node_->output();
  EXPECT_EQ(Get("/v1/models"), list);
  EXPECT_EQ(Get(path), show);
}

// `tributary` keeps register/list/show (no libtorch) and hands the checkpoint commands and
// generate to tributary-model.
TEST(ModelCommandRoutingTest, RegistryCommandsStayAndCheckpointCommandsMove) {
  // Nothing listens on port 1: tributary itself answers "cannot reach the node".
  const std::string nowhere = "http://127.0.0.1:1";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--node", nowhere, "model", "list"},
        {"model", "list", "--node", nowhere},
        {"--json", "--node", nowhere, "model", "show", "3"},
        {"model", "--json", "show", "tributary-model-3", "--node", nowhere}}) {
    auto r = RunTributary(args);
    EXPECT_TRUE(FailsWithOneErrorLine(r, "node_unreachable")) << args[1] << ": " << r.err;
  }
  auto help = RunTributary({"model", "register", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("--adapter"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("tributary model register"), std::string::npos) << help.out;
  auto model_help = RunTributary({"model", "--help"});
  EXPECT_EQ(model_help.exit_code, 0) << model_help.err;
  EXPECT_NE(model_help.out.find("register"), std::string::npos) << model_help.out;
  EXPECT_NE(model_help.out.find("init-adapter"), std::string::npos) << model_help.out;

  // The checkpoint commands and generate run in tributary-model (its usage line says so).
  for (std::vector<std::string> args : {std::vector<std::string>{"model", "init", "--help"},
                                        {"model", "init-adapter", "--help"},
                                        {"--json", "model", "init", "--help"},
                                        {"generate", "--help"}}) {
    auto r = RunTributary(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Usage: " +
                         (fs::path(TRIBUTARY_BIN).parent_path() / "tributary-model ").string()),
              std::string::npos)
        << args[0] << ": " << r.out;
  }
  EXPECT_EQ(help.out.find("tributary-model model register"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace tributary::testing
