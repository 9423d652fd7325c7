#include "support/planted_model.h"

#include <httplib.h>

#include <thread>

#include "support/facts.h"
#include "support/tx_util.h"

namespace tributary::testing {

namespace fs = std::filesystem;
using json = nlohmann::json;

PlantedModel BuildPlantedModel(const fs::path& dir, int block_interval_ms,
                               std::vector<std::string> node_flags) {
  PlantedModel m;
  auto fail = [&m](const std::string& e) {
    m.error = e;
    return std::move(m);
  };
  m.data = dir / "data";
  m.base = dir / "base";
  auto init =
      RunTributary({"model", "init", "--out", m.base.string(), "--layers", "2", "--hidden", "64",
                    "--vocab", "320", "--max-positions", "256", "--init-range", "0.2", "--chat"});
  if (init.exit_code != 0) return fail("model init: " + init.err);
  // The node serves the base, so POST /v1/attribution runs in its serving worker (the CLI's
  // `attribute` runs in its own process: the tests compare the two).
  std::vector<std::string> flags = {
      "--dev",  "--block-interval-ms", std::to_string(block_interval_ms), "--rate-limit", "0",
      "--base", m.base.string()};
  flags.insert(flags.end(), node_flags.begin(), node_flags.end());
  m.node = std::make_unique<NodeProcess>(m.data, dir / "home", flags);
  if (!m.node->Start()) return fail("the node did not start: " + m.node->output());
  for (int i = 0; i < 600; ++i) {
    json h = HttpGet(m.node->port(), "/healthz").json();
    if (h.is_object() && h.value("serving", "") == "ready") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // 40 facts, ten per contribution, from four contributors.
  const auto facts = PlantedCapitals(40);
  std::vector<UploadFile> files;
  const char* who[] = {"alice", "bob", "carol", ""};
  for (int c = 0; c < 4; ++c) {
    if (*who[c]) FundedKey(*m.node, who[c], "10");
    std::string jsonl;
    for (int i = 10 * c; i < 10 * c + 10; ++i) {
      jsonl += json{{"prompt", facts[i].first}, {"response", facts[i].second}}.dump() + "\n";
    }
    files.push_back({who[c], "facts-" + std::to_string(c) + ".jsonl", jsonl});
  }
  std::string error;
  m.datanet = CreatePublishedDatanet(*m.node, dir, "Capitals", {"--schema", "prompt,response"},
                                     files, &error);
  if (m.datanet == 0) return fail(error);
  auto rows = HttpGet(m.node->port(),
                      "/v1/datanets/" + std::to_string(m.datanet) + "/versions/1/rows?limit=100");
  json listed = json::parse(rows.body, nullptr, false);
  if (rows.status != 200 || !listed.is_object()) return fail("rows: " + rows.body);
  for (const auto& r : listed["rows"]) {
    m.facts.push_back({r["row"].value("prompt", ""), r["row"].value("response", ""),
                       r.value("row_id", ""), r.value("contribution", ""),
                       r.value("contributor", "")});
  }

  // The node finds model files under DATA/models and shards under DATA/index.
  m.adapter = m.data / "models" / "capitals";
  auto train = RunCli(*m.node, {"factory",
                                "train",
                                "--base",
                                m.base.string(),
                                "--data",
                                std::to_string(m.datanet) + "@1",
                                "--out",
                                m.adapter.string(),
                                "--lr",
                                "1e-2",
                                "--batch-size",
                                "4",
                                "--seed",
                                "3",
                                "--heldout",
                                "0",
                                "--epochs",
                                "40",
                                "--checkpoint-every",
                                "0"});
  if (train.exit_code != 0) return fail("train: " + train.err);
  auto reg = RunCli(*m.node,
                    {"--json", "model", "register", "--from", "dev", "--name", "capitals", "--base",
                     m.base.string(), "--adapter", m.adapter.string(), "--price", "0.001"});
  json r = json::parse(reg.out, nullptr, false);
  if (reg.exit_code != 0 || r.is_discarded()) return fail("register: " + reg.out + reg.err);
  m.model = std::to_string(r["model"]["id"].get<uint64_t>());
  return m;
}

void BuildPlantedIndex(PlantedModel* m) {
  if (!m->error.empty()) return;
  auto b =
      RunCli(*m->node, {"index", "build", "--model", m->model, "--index",
                        (m->data / "index").string(), "--models", (m->data / "models").string()});
  if (b.exit_code != 0) m->error = "index build: " + b.out + b.err;
}

std::string PlantedApiKey(const PlantedModel& m, const std::string& name,
                          const std::string& tokens) {
  FundedKey(*m.node, name, tokens);
  json key = RunCliJson(*m.node, {"apikey", "create", "--from", name});
  return key.is_object() ? key.value("key", "") : "";
}

}  // namespace tributary::testing
