// What a span-index shard says about itself: its tokenizer and the Datanet rows it indexes
// (the meta section of the shard file, shard_reader.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::attribution {

//! Where a shard's rows come from: rows [first_row, first_row + rows) of a Datanet version.
struct ShardSource {
  uint64_t datanet = 0;
  uint32_t version = 0;
  uint64_t first_row = 0;
  uint64_t rows = 0;
  bool operator==(const ShardSource&) const = default;
};

//! What a shard says about itself (the meta section).
struct ShardInfo {
  //! Names the tokenizer (e.g. the SHA-256 hex of tokenizer.json); required. The shards of one
  //! SpanIndex must agree.
  std::string tokenizer;
  std::vector<ShardSource> sources;
};

//! The meta section's JSON for `info`, and back (InvalidArgument when malformed).
nlohmann::json ShardInfoToJson(const ShardInfo& info);
Result<ShardInfo> ShardInfoFromJson(const nlohmann::json& j);

}  // namespace tributary::attribution
