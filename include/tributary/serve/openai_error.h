// OpenAI's error shape, {"error":{"message","type","param","code"}}, and the HTTP status each
// error gets. Header-only and free of libtorch: the node's proxy (api) and the serving worker
// (serve) answer with the same errors.
//
// A Status maps by its code and reason: InvalidArgument is 400 and its reason names the request
// field at fault (the `param`), except the reasons listed below, which are OpenAI codes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tributary/base/status.h"

namespace tributary::serve {

struct OpenAiError {
  int http_status = 500;
  std::string message;
  std::string type;   //!< invalid_request_error, authentication_error, permission_error, ...
  std::string param;  //!< the request field at fault, or ""
  std::string code;   //!< model_not_found, context_length_exceeded, rate_limit_exceeded, ...

  nlohmann::json ToJson() const {
    return {{"error",
             {{"message", message},
              {"type", type},
              {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)},
              {"code", code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code)}}}};
  }

  static OpenAiError FromStatus(const Status& s) {
    OpenAiError e;
    e.message = s.message();
    const std::string& reason = s.reason();
    if (reason == "context_length_exceeded") {
      e.http_status = 400;
      e.type = "invalid_request_error";
      e.code = reason;
      e.param = "messages";
      return e;
    }
    if (reason == "overloaded" || reason == "rate_limited") {
      e.http_status = 429;
      e.type = "rate_limit_error";
      e.code = "rate_limit_exceeded";
      return e;
    }
    if (reason == "deadline_exceeded") {
      e.http_status = 504;
      e.type = "timeout_error";
      e.code = reason;
      return e;
    }
    if (reason == "insufficient_funds") {
      e.http_status = 402;
      e.type = "insufficient_funds";
      e.code = reason;
      return e;
    }
    if (reason == "unauthorized" || reason == "invalid_api_key") {
      e.http_status = 401;
      e.type = "authentication_error";
      e.code = "invalid_api_key";
      return e;
    }
    switch (s.code()) {
      case Code::kInvalidArgument:
        e.http_status = 400;
        e.type = "invalid_request_error";
        e.param = reason;
        e.code = "invalid_value";
        break;
      case Code::kNotFound:
        e.http_status = 404;
        e.type = "invalid_request_error";
        e.param = "model";
        e.code = reason == "not_found" ? "model_not_found" : reason;
        break;
      case Code::kPermissionDenied:
        e.http_status = 403;
        e.type = "permission_error";
        e.code = reason;
        break;
      case Code::kResourceExhausted:
        e.http_status = 429;
        e.type = "rate_limit_error";
        e.code = reason;
        break;
      case Code::kUnavailable:
        e.http_status = 503;
        e.type = "server_error";
        e.code = reason;
        break;
      case Code::kFailedPrecondition:
        e.http_status = 400;
        e.type = "invalid_request_error";
        e.code = reason;
        break;
      default:
        e.http_status = 500;
        e.type = "server_error";
        e.code = reason;
    }
    return e;
  }
};

}  // namespace tributary::serve
