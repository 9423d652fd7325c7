#include "tributary/base/json_parse.h"

namespace tributary {

namespace {
struct DepthExceeded {};
}  // namespace

Result<nlohmann::json> ParseJsonBounded(std::string_view text, int max_depth) {
  using json = nlohmann::json;
  try {
    return json::parse(text, [max_depth](int depth, json::parse_event_t ev, json&) {
      // `depth` counts enclosing containers; a container being opened is one level deeper.
      bool opens =
          ev == json::parse_event_t::object_start || ev == json::parse_event_t::array_start;
      if (depth + (opens ? 1 : 0) > max_depth) throw DepthExceeded{};
      return true;
    });
  } catch (const DepthExceeded&) {
    return Status::InvalidArgument("JSON nesting exceeds the limit of " + std::to_string(max_depth),
                                   "json_too_deep");
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("body is not valid JSON: ") + e.what(), "bad_json");
  }
}

}  // namespace tributary
