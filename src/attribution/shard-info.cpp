// The meta section of a shard: its tokenizer and where its rows come from.
#include <string>

#include "tributary/attribution/shard_info.h"

namespace tributary::attribution {

using json = nlohmann::json;

json ShardInfoToJson(const ShardInfo& info) {
  json sources = json::array();
  for (const ShardSource& s : info.sources) {
    sources.push_back({{"datanet", s.datanet},
                       {"version", s.version},
                       {"first_row", s.first_row},
                       {"rows", s.rows}});
  }
  return {{"format", "tributary-span-index"}, {"tokenizer", info.tokenizer}, {"sources", sources}};
}

Result<ShardInfo> ShardInfoFromJson(const json& j) {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("shard meta: " + m); };
  if (!j.is_object()) return bad("not an object");
  if (!j.contains("format") || !j["format"].is_string() ||
      j["format"].get<std::string>() != "tributary-span-index") {
    return bad("format is not tributary-span-index");
  }
  if (!j.contains("tokenizer") || !j["tokenizer"].is_string()) return bad("no tokenizer");
  ShardInfo info;
  info.tokenizer = j["tokenizer"].get<std::string>();
  if (!j.contains("sources") || !j["sources"].is_array()) return bad("no sources");
  for (const json& s : j["sources"]) {
    if (!s.is_object()) return bad("a source is not an object");
    for (const char* key : {"datanet", "version", "first_row", "rows"}) {
      if (!s.contains(key) || !s[key].is_number_unsigned()) {
        return bad(std::string("a source lacks an unsigned ") + key);
      }
    }
    ShardSource src;
    src.datanet = s["datanet"].get<uint64_t>();
    const uint64_t version = s["version"].get<uint64_t>();
    if (version > UINT32_MAX) return bad("a version does not fit 32 bits");
    src.version = static_cast<uint32_t>(version);
    src.first_row = s["first_row"].get<uint64_t>();
    src.rows = s["rows"].get<uint64_t>();
    info.sources.push_back(src);
  }
  return info;
}

}  // namespace tributary::attribution
