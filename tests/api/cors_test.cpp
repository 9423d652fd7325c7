// Cross-origin requests (src/api/cors.h): the node's own web app is same-origin; a foreign
// origin may read nothing (no CORS headers) and change nothing (403), unless the operator lists
// it; a listed origin gets the CORS headers and its preflights answered.
#include <gtest/gtest.h>

#include "api/in_process_node.h"
#include "tributary/api/node_server.h"

namespace tributary::testing {
namespace {

class CorsTest : public InProcessNodeTest {
 protected:
  httplib::Result Request(const std::string& method, const std::string& path,
                          const std::string& origin) {
    auto c = Client();
    httplib::Headers h;
    if (!origin.empty()) h.emplace("Origin", origin);
    if (method == "GET") return c.Get(path.c_str(), h);
    if (method == "OPTIONS") {
      h.emplace("Access-Control-Request-Method", "POST");
      return c.Options(path.c_str(), h);
    }
    return c.Post(path.c_str(), h, R"({"raw":"00"})", "application/json");
  }
  std::string Own() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
};

TEST_F(CorsTest, OnlyTheNodesOwnOriginByDefault) {
  StartServer();
  // No Origin (curl, the CLI) and the node's own web app: as always, no CORS headers needed.
  auto plain = Request("POST", "/v1/tx", "");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 400);  // a malformed tx, judged on its merits
  auto own = Request("POST", "/v1/tx", Own());
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 400);
  EXPECT_FALSE(own->has_header("Access-Control-Allow-Origin"));

  // A foreign page: reads come back without CORS headers (the browser withholds them), writes
  // and preflights are refused.
  auto read = Request("GET", "/v1/chain", "https://evil.example");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_FALSE(read->has_header("Access-Control-Allow-Origin"));
  auto write = Request("POST", "/v1/tx", "https://evil.example");
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, 403);
  EXPECT_NE(write->body.find("cors_origin_not_allowed"), std::string::npos) << write->body;
  auto preflight = Request("OPTIONS", "/v1/tx", "https://evil.example");
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 403);
  EXPECT_FALSE(preflight->has_header("Access-Control-Allow-Origin"));
}

TEST_F(CorsTest, AListedOriginGetsTheHeadersAndItsPreflights) {
  ServerOptions opts;
  opts.cors_origins = {"https://app.example", "http://localhost:5173"};
  StartServer(opts);
  auto preflight = Request("OPTIONS", "/v1/chat/completions", "https://app.example");
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  EXPECT_EQ(preflight->get_header_value("Vary"), "Origin");
  auto read = Request("GET", "/v1/chain", "http://localhost:5173");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(read->get_header_value("Access-Control-Allow-Origin"), "http://localhost:5173");
  auto write = Request("POST", "/v1/tx", "https://app.example");
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, 400) << "judged on its merits";
  EXPECT_EQ(write->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  auto other = Request("POST", "/v1/tx", "https://app.example.evil");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
}

TEST_F(CorsTest, AnyOriginWhenStarAndMalformedOriginsAreRefused) {
  ServerOptions opts;
  opts.cors_origins = {"*"};
  StartServer(opts);
  auto r = Request("GET", "/v1/chain", "https://anyone.example");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://anyone.example");
  for (std::string bad : {"app.example", "https://app.example/", "https://APP.example",
                          "ftp://app.example", "https://", "https://a b"}) {
    EXPECT_EQ(CheckCorsOrigins({bad}).reason(), "bad_cors_origin") << bad;
  }
  EXPECT_TRUE(CheckCorsOrigins({"https://app.example:8443", "http://[::1]:8645", "*"}).ok());
}

}  // namespace
}  // namespace tributary::testing
