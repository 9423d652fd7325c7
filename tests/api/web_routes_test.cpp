// The web app the node serves at / (ServerOptions::web_root): files with their types and caching,
// index.html with its security policy for the app's own URLs, JSON 404s for missing files and for
// unknown API routes, no file from outside the root whatever the path, and a clear 404 when the
// node has no app.
#include <gtest/gtest.h>

#include <fstream>

#include "api/in_process_node.h"
#include "support/tx_util.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIndex = "<!doctype html><title>Tributary</title><script src=app></script>";
constexpr const char* kScript = "console.log('tributary');";
constexpr const char* kSecret = "TOP-SECRET-OUTSIDE-THE-ROOT";

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class WebRoutesTest : public InProcessNodeTest {
 protected:
  // DIR/web is the app (index.html, assets/, a favicon, a link out of the root); DIR holds files
  // that must never be served.
  void StartWithApp() {
    const fs::path web = dir_.path() / "web";
    Write(web / "index.html", kIndex);
    Write(web / "assets" / "index-3f9a1c.js", kScript);
    Write(web / "assets" / "index-77aa01.css", "body{margin:0}");
    Write(web / "favicon.ico", "ico");
    Write(web / "manifest.webmanifest", "{}");
    Write(dir_.path() / "secret", kSecret);
    Write(dir_.path() / "CMakeLists.txt", kSecret);
    fs::create_symlink(dir_.path() / "secret", web / "escape.txt");
    fs::create_symlink(dir_.path(), web / "up");
    ServerOptions opts;
    opts.web_root = web.string();
    StartServer(opts);
  }
};

TEST_F(WebRoutesTest, FilesAreServedWithTheirTypeAndCaching) {
  StartWithApp();
  auto c = Client();
  auto js = c.Get("/assets/index-3f9a1c.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, kScript);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(js->has_header("Content-Security-Policy"));

  auto css = c.Get("/assets/index-77aa01.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");

  // Outside /assets/ names are not hashed: clients revalidate.
  auto ico = c.Get("/favicon.ico");
  ASSERT_TRUE(ico);
  EXPECT_EQ(ico->status, 200);
  EXPECT_EQ(ico->get_header_value("Content-Type"), "image/x-icon");
  EXPECT_EQ(ico->get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(ico->get_header_value("X-Content-Type-Options"), "nosniff");
  auto manifest = c.Get("/manifest.webmanifest");
  ASSERT_TRUE(manifest);
  EXPECT_EQ(manifest->get_header_value("Content-Type"), "application/manifest+json");

  // HEAD: the GET's headers, no body.
  auto head = c.Head("/assets/index-3f9a1c.js");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(WebRoutesTest, TheAppsOwnUrlsAnswerIndexHtmlWithItsSecurityPolicy) {
  StartWithApp();
  auto c = Client();
  for (std::string path : {"/", "/index.html", "/datanets/1", "/accounts/trb1qqqqqqqqqqqqqqqqqqqq",
                           "/models/2/", "/assets", "/playground?model=1"}) {
    SCOPED_TRACE(path);
    auto r = c.Get(path.c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, kIndex);
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    const std::string csp = r->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  }
}

TEST_F(WebRoutesTest, MissingFilesAndUnknownApiRoutesAreJson404s) {
  StartWithApp();
  for (std::string path : {"/assets/nope.js", "/robots.txt", "/datanets/1/data.csv"}) {
    SCOPED_TRACE(path);
    EXPECT_TRUE(IsJsonError(Get(path), 404, "not_found"));
  }
  for (std::string path : {"/v1", "/v1/", "/v1/unknown", "/v1/blocks/1/x", "/v1/index.html"}) {
    SCOPED_TRACE(path);
    EXPECT_TRUE(IsJsonError(Get(path), 404, "unknown_route"));
  }
  // The API is still the API.
  auto chain = Get("/v1/chain");
  EXPECT_EQ(chain.status, 200);
  EXPECT_EQ(chain.json().value("height", 99), 0u) << chain.body;
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/metrics").status, 200);
}

TEST_F(WebRoutesTest, NoPathReachesAFileOutsideTheRoot) {
  StartWithApp();
  for (std::string path :
       {"/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt", "/%2e%2e/etc/passwd", "/%2E%2E/secret",
        "/assets/..%2f..%2fsecret", "/assets/%2e%2e/%2e%2e/secret", "/..%5c..%5csecret",
        "/%252e%252e/secret", "/assets/../../secret", "/..", "/.%2e/secret", "/a%00/../secret"}) {
    SCOPED_TRACE(path);
    auto r = Get(path);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.status, 200) << r.body;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos);
    EXPECT_TRUE(HasErrorShape(r)) << r.body;
  }
  // Symlinks that lead out of the root are not followed out of it.
  for (std::string path : {"/escape.txt", "/up/secret", "/up/CMakeLists.txt"}) {
    SCOPED_TRACE(path);
    auto r = Get(path);
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << r.body;
  }
  EXPECT_TRUE(IsJsonError(Get("/escape.txt"), 404, "not_found"));
}

TEST_F(WebRoutesTest, WithoutAnAppTheRootSaysHowToGetOne) {
  StartServer();  // no web_root
  auto r = Get("/");
  ASSERT_TRUE(IsJsonError(r, 404, "web_app_missing"));
  const std::string message = r.json()["error"]["message"];
  EXPECT_NE(message.find("make"), std::string::npos) << message;
  EXPECT_NE(message.find("--web"), std::string::npos) << message;
  // Other paths stay the unknown routes they were.
  EXPECT_TRUE(IsJsonError(Get("/datanets/1"), 404, "unknown_route"));
  EXPECT_TRUE(IsJsonError(Get("/v1/unknown"), 404, "unknown_route"));
}

TEST_F(WebRoutesTest, ADirectoryWithoutIndexHtmlIsNoApp) {
  Write(dir_.path() / "empty" / "assets" / "a.js", kScript);
  ServerOptions opts;
  opts.web_root = (dir_.path() / "empty").string();
  StartServer(opts);
  EXPECT_TRUE(IsJsonError(Get("/"), 404, "web_app_missing"));
  EXPECT_TRUE(IsJsonError(Get("/assets/a.js"), 404, "unknown_route"));
}

}  // namespace
}  // namespace tributary::testing
