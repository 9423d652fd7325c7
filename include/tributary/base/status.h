// Status and Result<T>: how errors cross library boundaries.
//
// A Status is OK or carries a category (Code, which the API maps to an HTTP
// status), a short machine-readable reason ("bad_signature") and a message
// for people. Exceptions never cross a library boundary; they are caught
// there and turned into a Status.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tributary {

enum class Code {
  kOk = 0,
  kInvalidArgument,     //!< the caller's input is wrong (HTTP 400)
  kNotFound,            //!< no such thing (404)
  kAlreadyExists,       //!< duplicate (409)
  kFailedPrecondition,  //!< valid input, wrong state: nonce, balance (409/422)
  kPermissionDenied,    //!< signature or ownership (403)
  kResourceExhausted,   //!< limits, quotas, rate (413/429)
  kUnavailable,         //!< try again later (503)
  kCorruption,          //!< stored data fails its checks
  kIOError,             //!< the operating system said no
  kInternal,            //!< a bug
};

//! Name of a code, e.g. "invalid_argument"; the default reason.
std::string_view CodeName(Code code);
//! The code CodeName names; kInternal for a name it does not give (e.g. from another process).
Code CodeFromName(std::string_view name);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string reason, std::string message)
      : code_(code), reason_(std::move(reason)), message_(std::move(message)) {}

  static Status OK() { return {}; }
  static Status InvalidArgument(std::string msg, std::string reason = "invalid_argument") {
    return {Code::kInvalidArgument, std::move(reason), std::move(msg)};
  }
  static Status NotFound(std::string msg, std::string reason = "not_found") {
    return {Code::kNotFound, std::move(reason), std::move(msg)};
  }
  static Status AlreadyExists(std::string msg, std::string reason = "already_exists") {
    return {Code::kAlreadyExists, std::move(reason), std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg, std::string reason = "failed_precondition") {
    return {Code::kFailedPrecondition, std::move(reason), std::move(msg)};
  }
  static Status PermissionDenied(std::string msg, std::string reason = "permission_denied") {
    return {Code::kPermissionDenied, std::move(reason), std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg, std::string reason = "resource_exhausted") {
    return {Code::kResourceExhausted, std::move(reason), std::move(msg)};
  }
  static Status Unavailable(std::string msg, std::string reason = "unavailable") {
    return {Code::kUnavailable, std::move(reason), std::move(msg)};
  }
  static Status Corruption(std::string msg, std::string reason = "corruption") {
    return {Code::kCorruption, std::move(reason), std::move(msg)};
  }
  static Status IOError(std::string msg, std::string reason = "io_error") {
    return {Code::kIOError, std::move(reason), std::move(msg)};
  }
  static Status Internal(std::string msg, std::string reason = "internal") {
    return {Code::kInternal, std::move(reason), std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  //! "reason: message", or "OK".
  std::string ToString() const;
  //! Same status with "context: " prepended to the message.
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string reason_;
  std::string message_;
};

//! A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tributary

#define TRIB_CONCAT_INNER(a, b) a##b
#define TRIB_CONCAT(a, b) TRIB_CONCAT_INNER(a, b)

//! Returns the Status of `expr` from the enclosing function if it is not OK.
#define TRIB_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::tributary::Status trib_status_ = (expr);   \
    if (!trib_status_.ok()) return trib_status_; \
  } while (0)

//! `lhs = value of expr`, or returns its Status from the enclosing function.
#define TRIB_ASSIGN_OR_RETURN(lhs, expr) \
  TRIB_ASSIGN_OR_RETURN_IMPL(TRIB_CONCAT(trib_result_, __LINE__), lhs, expr)
#define TRIB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
