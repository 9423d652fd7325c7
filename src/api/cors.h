// Cross-origin requests: the node's own web app is same-origin and needs nothing; another web
// origin reaches the API only when the operator lists it (`--cors-origin`, docs/api.md's rule
// lives in the README's API section).
//
// For a request with an Origin header from an origin that is neither the node's own (the Host it
// was asked for) nor listed, the node refuses preflights and every method but GET and HEAD with
// 403 cors_origin_not_allowed, and never sends Access-Control-Allow-Origin: a page elsewhere can
// neither read the API nor make it act. A listed origin ("*" lists every origin) gets the CORS
// headers on its answers and 204 to its preflights.
//
// Thread-safety: immutable after construction.
#pragma once

#include <httplib.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::http {

class CorsPolicy {
 public:
  //! `allowed`: origins such as "https://app.example" (scheme, host, optional port; no path) or
  //! "*". InvalidArgument "bad_cors_origin" names a malformed one.
  static Result<CorsPolicy> Create(const std::vector<std::string>& allowed);
  CorsPolicy() = default;

  //! Before routing: true when it answered the request (a preflight, or a refusal).
  bool Handle(const httplib::Request& req, httplib::Response& res) const;

 private:
  bool Allows(std::string_view origin) const;

  std::set<std::string, std::less<>> origins_;
  bool any_ = false;
};

}  // namespace tributary::http
