#include "cors.h"

#include "http.h"

namespace tributary::http {
namespace {

// scheme "://" host [":" port], lowercase scheme and host; no path, query or trailing slash.
bool WellFormedOrigin(std::string_view o) {
  size_t rest;
  if (o.rfind("http://", 0) == 0) {
    rest = 7;
  } else if (o.rfind("https://", 0) == 0) {
    rest = 8;
  } else {
    return false;
  }
  std::string_view host = o.substr(rest);
  if (host.empty()) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<CorsPolicy> CorsPolicy::Create(const std::vector<std::string>& allowed) {
  CorsPolicy p;
  for (const std::string& o : allowed) {
    if (o == "*") {
      p.any_ = true;
      continue;
    }
    if (!WellFormedOrigin(o)) {
      return Status::InvalidArgument(
          "--cors-origin '" + o +
              "' is not an origin: scheme, host and optional port in lowercase, such as "
              "https://app.example or http://localhost:5173 (or * for any)",
          "bad_cors_origin");
    }
    p.origins_.insert(o);
  }
  return p;
}

bool CorsPolicy::Allows(std::string_view origin) const {
  return any_ || origins_.count(origin) > 0;
}

bool CorsPolicy::Handle(const httplib::Request& req, httplib::Response& res) const {
  const std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return false;  // not a browser's cross-origin request
  const std::string host = req.get_header_value("Host");
  if (origin == "http://" + host || origin == "https://" + host) return false;  // our web app
  const bool read_only = req.method == "GET" || req.method == "HEAD";
  if (!Allows(origin)) {
    if (read_only) return false;  // answered without CORS headers: the browser keeps it away
    SendError(res, 403, "cors_origin_not_allowed",
              "requests from " + origin.substr(0, 200) +
                  " are not allowed (the node's operator lists other web origins with "
                  "--cors-origin)");
    return true;
  }
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers", "x-tributary-request-id, Retry-After");
  if (req.method == "OPTIONS") {
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    res.set_header("Access-Control-Max-Age", "600");
    res.status = 204;
    return true;
  }
  return false;
}

}  // namespace tributary::http
