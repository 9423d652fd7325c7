// The web app in a real browser against a real node: the node (seeded with the planted-facts
// Datanet of four contributors and a priced adapter trained on it, support/planted_model.h) serves
// the built app at /, and web/e2e/app.e2e.mjs drives Debian's Chromium through every page with
// playwright-core: pages load without console errors at 1280 and 390 px and show the seeded data,
// a chat in the playground streams and shows its receipt and attribution, proofs verify in the
// browser and a tampered one fails. Screenshots land in build/web-screenshots.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <thread>

#include "support/planted_model.h"
#include "support/tx_util.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string Shell(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(WebAppTest, EveryPageWorksInARealBrowser) {
  const fs::path web_src = TRIBUTARY_WEB_SRC;
  const fs::path script = web_src / "e2e" / "app.e2e.mjs";
  ASSERT_TRUE(fs::exists(web_src / "node_modules" / "playwright-core"))
      << "web/node_modules is missing: `make` installs it (tools/web-build.sh)";
  ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "Chromium is missing: scripts/setup installs it";

  TempDir tmp;
  PlantedModel m = BuildPlantedModel(tmp.path());
  ASSERT_TRUE(m.error.empty()) << m.error;
  NodeProcess& node = *m.node;

  // The node serves the app built by `make` (build/web, its compiled-in default).
  auto index = HttpGet(node.port(), "/datanets/1");
  ASSERT_EQ(index.status, 200) << index.body;
  ASSERT_NE(index.body.find("<div id=\"app\">"), std::string::npos) << index.body;

  // Span attribution needs the lineage's index.
  auto b = RunCli(node, {"index", "build", "--model", m.model, "--index",
                         (m.data / "index").string(), "--models", (m.data / "models").string()});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;

  // A caller with an API key, and one paid answer settled before the browser looks, so the
  // earnings pages have something to show.
  FundedKey(node, "app", "10");
  json key = RunCliJson(node, {"apikey", "create", "--from", "app", "--label", "web"});
  ASSERT_TRUE(key.contains("key")) << key.dump();
  json model = HttpGet(node.port(), "/v1/models/" + m.model).json();
  const std::string openai_id = model.value("openai_id", "");
  const std::string owner = model.value("owner", "");
  ASSERT_FALSE(openai_id.empty()) << model.dump();
  httplib::Client client("127.0.0.1", node.port());
  client.set_read_timeout(120);
  json body = {{"model", openai_id},
               {"messages", {{{"role", "user"}, {"content", m.facts[1].prompt}}}},
               {"max_tokens", 16},
               {"temperature", 0}};
  auto r = client.Post("/v1/chat/completions",
                       {{"Authorization", "Bearer " + key["key"].get<std::string>()}}, body.dump(),
                       "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  const std::string request_id = json::parse(r->body)["tributary"]["receipt"]["request_id"];
  bool settled = false;
  for (int i = 0; i < 600 && !settled; ++i) {
    settled = HttpGet(node.port(), "/v1/receipts/" + request_id).status == 200;
    if (!settled) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(settled) << "the paid answer did not settle";

  const fs::path shots = fs::path(TRIBUTARY_BUILD_DIR) / "web-screenshots";
  const std::string cmd =
      "TRIBUTARY_URL=" + Shell(node.url()) + " TRIBUTARY_MODEL=" + Shell(openai_id) +
      " TRIBUTARY_API_KEY=" + Shell(key["key"].get<std::string>()) +
      " TRIBUTARY_ACCOUNT=" + Shell(owner) + " TRIBUTARY_DATANET=" + std::to_string(m.datanet) +
      " TRIBUTARY_PROMPT=" + Shell(m.facts[0].prompt) +
      " TRIBUTARY_SCREENSHOTS=" + Shell(shots.string()) + " node " + Shell(script.string()) +
      " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int rc = ::pclose(p);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("web app checks passed"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(shots / "overview-1280.png"));
  EXPECT_TRUE(fs::exists(shots / "playground-1280.png"));
  std::cout << out;
}

}  // namespace
}  // namespace tributary::testing
