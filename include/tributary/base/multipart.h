// multipart/form-data bodies (RFC 7578 over RFC 2046's multipart syntax), as browsers, curl and
// the CLI send file uploads. The whole body is in memory (the HTTP layer caps its size); parts
// are views into it, so nothing is copied.
//
// What is accepted: an optional preamble; parts separated by CRLF "--" boundary lines (transport
// padding of spaces and tabs allowed after the boundary); a close delimiter "--" boundary "--";
// an epilogue, ignored. Each part needs a `Content-Disposition: form-data` header with a `name`;
// `filename` and a part `Content-Type` are optional, other headers are ignored. Line ends are
// CRLF. Quoted parameter values end at the next '"' (browsers percent-encode quotes and send
// backslashes as they are, so a backslash is not an escape).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/status.h"

namespace tributary {

//! One part of a form. The views point into the body given to ParseMultipartForm.
struct FormPart {
  std::string name;          //!< the form field's name
  std::string filename;      //!< empty when the part is not a file
  std::string content_type;  //!< the part's Content-Type, empty when absent
  std::string_view content;  //!< the part's bytes, exactly as sent
};

//! Limits on what one body may hold, so that a hostile body costs bounded work.
struct MultipartLimits {
  size_t max_parts = 1024;
  size_t max_header_bytes = 8 * 1024;  //!< all header lines of one part together
};

//! Whether a Content-Type names multipart/form-data (compared without regard to case).
bool IsMultipartFormData(std::string_view content_type);

//! The `boundary` parameter of a `multipart/form-data` Content-Type (quoted or not).
//! InvalidArgument "bad_multipart" when the type is another, or the boundary is missing, empty,
//! longer than RFC 2046's 70 characters or holds characters it does not allow.
Result<std::string> MultipartBoundary(std::string_view content_type);

//! The parts of `body` in the order they were sent. InvalidArgument "bad_multipart" naming the
//! problem (and the part, counted from 1) for anything malformed: no opening boundary, a part
//! that never ends, headers without an end or over the limit, a missing or wrong
//! Content-Disposition, too many parts.
Result<std::vector<FormPart>> ParseMultipartForm(std::string_view body, std::string_view boundary,
                                                 const MultipartLimits& limits = {});

}  // namespace tributary
