// Parsing JSON from untrusted input: a nesting cap, so that a deeply nested document cannot
// exhaust the stack of nlohmann's recursive destructor.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "tributary/base/status.h"

namespace tributary {

//! Parses `text`; InvalidArgument with reason "json_too_deep" when nesting exceeds `max_depth`,
//! "bad_json" when it is not JSON.
Result<nlohmann::json> ParseJsonBounded(std::string_view text, int max_depth);

}  // namespace tributary
