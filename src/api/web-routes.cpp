// The node's web app (ServerOptions::web_root): the static files Vite builds (index.html and
// assets/*.js|css with hashed names) served at /, and index.html for the app's own URLs
// (/datanets/1, /accounts/trb..., ...) so that links to them can be shared; the app's router reads
// the real URL. API paths (/v1, /v1/..., /healthz, /metrics) never get a file: an unknown one
// keeps answering the server's JSON 404 (its error handler).
//
// A path must name a regular file that stays inside the root once symlinks are resolved; paths
// with "..", a backslash, a NUL or a percent-encoded dot are refused before the file system is
// asked.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "api/http.h"
#include "tributary/base/file_io.h"

namespace tributary::http {
namespace {

namespace fs = std::filesystem;

constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kHtmlType = "text/html; charset=utf-8";

//! The Content-Type of a file of the built app, by its extension.
const char* ContentTypeFor(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".html") return kHtmlType;
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

//! True for the paths of the API itself, which the web app never answers.
bool IsApiPath(const std::string& path) {
  return path == "/v1" || path.rfind("/v1/", 0) == 0 || path == "/healthz" || path == "/metrics";
}

bool ContainsEncodedDot(const std::string& text) {
  for (size_t i = 0; i + 2 < text.size(); ++i) {
    if (text[i] == '%' && text[i + 1] == '2' && (text[i + 2] == 'e' || text[i + 2] == 'E')) {
      return true;
    }
  }
  return false;
}

//! True when a request path could reach outside the root: "..", a backslash or a NUL in the
//! decoded path, or a dot percent-encoded in the request line (or twice, so still encoded once
//! decoded).
bool IsUnsafePath(const httplib::Request& req) {
  const std::string& path = req.path;
  return path.find("..") != std::string::npos || path.find('\\') != std::string::npos ||
         path.find('\0') != std::string::npos || ContainsEncodedDot(path) ||
         ContainsEncodedDot(req.target);
}

//! The canonical regular file that `path` names inside `root` (canonical), or nullopt when there
//! is none or it resolves (through a symlink) to somewhere outside the root.
std::optional<fs::path> FileInside(const fs::path& root, const std::string& path) {
  std::error_code ec;
  const fs::path file = fs::canonical(root / fs::path(path).relative_path(), ec);
  if (ec) return std::nullopt;
  auto [r, f] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (r != root.end() || f == file.end()) return std::nullopt;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  return file;
}

//! Answers with the file's bytes and its Content-Type, caching and security headers.
void SendFile(httplib::Response& res, const fs::path& file, const char* cache_control) {
  auto bytes = ReadFile(file);
  if (!bytes.ok()) return SendStatus(res, bytes.status());
  const char* type = ContentTypeFor(file);
  res.set_header("Cache-Control", cache_control);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (std::string_view(type) == kHtmlType)
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.status = 200;
  res.set_content(std::move(*bytes), type);
}

}  // namespace

void AddWebRoutes(httplib::Server& server, const RouteContext& ctx) {
  const ServerOptions* opts = ctx.opts;
  server.Get(R"(/.*)", [opts](const httplib::Request& req, httplib::Response& res) {
    // An empty 404 is turned into {"error":{"code":"unknown_route",...}} by the error handler.
    if (IsApiPath(req.path)) {
      res.status = 404;
      return;
    }
    if (IsUnsafePath(req)) {
      return SendError(res, 400, "bad_path", "the path may not contain '..', '\\', NUL or %2e");
    }
    std::error_code ec;
    fs::path root;
    if (!opts->web_root.empty()) root = fs::canonical(opts->web_root, ec);
    if (root.empty() || ec || !fs::is_regular_file(root / "index.html", ec)) {
      if (req.path == "/" || req.path == "/index.html") {
        return SendError(res, 404, "web_app_missing",
                         "this node serves no web app: it is built by `make` into build/web and "
                         "served with `tributary node --web DIR`");
      }
      res.status = 404;
      return;
    }
    if (auto file = FileInside(root, req.path)) {
      const bool hashed = req.path.rfind("/assets/", 0) == 0;
      return SendFile(res, *file, hashed ? kImmutable : "no-cache");
    }
    // A URL of the app itself (no extension in its last segment): the app routes it.
    if (req.path.substr(req.path.rfind('/') + 1).find('.') == std::string::npos) {
      return SendFile(res, root / "index.html", "no-cache");
    }
    SendError(res, 404, "not_found", "no file " + req.path + " in the web app");
  });
}

}  // namespace tributary::http
