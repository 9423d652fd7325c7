// IndexCatalog: the shards of an index directory (layout in index_catalog.h).
#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "tributary/attribution/index_catalog.h"
#include "tributary/attribution/shard_reader.h"
#include "tributary/base/bytes.h"
#include "tributary/base/file_hash.h"
#include "tributary/base/hash.h"

namespace tributary::attribution {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::string_view kShardSuffix = ".span";
constexpr std::string_view kPartialSuffix = ".span.partial";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "d<datanet>-v<version>.span" -> (datanet, version); nullopt for any other name, so that names
// with leading zeros or signs (which ShardPath never writes) are not taken for shards.
std::optional<VersionKey> ParseShardName(std::string_view name) {
  if (!EndsWith(name, kShardSuffix)) return std::nullopt;
  name.remove_suffix(kShardSuffix.size());
  auto number = [](std::string_view s, uint64_t max) -> std::optional<uint64_t> {
    if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    uint64_t v = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9') return std::nullopt;
      const uint64_t digit = static_cast<uint64_t>(ch - '0');
      if (v > (max - digit) / 10) return std::nullopt;
      v = v * 10 + digit;
    }
    return v;
  };
  const size_t dash = name.find("-v");
  if (name.size() < 2 || name[0] != 'd' || dash == std::string_view::npos) return std::nullopt;
  auto d = number(name.substr(1, dash - 1), UINT64_MAX);
  auto v = number(name.substr(dash + 2), UINT32_MAX);
  if (!d || !v) return std::nullopt;
  return VersionKey{*d, static_cast<uint32_t>(*v)};
}

}  // namespace

std::string TokenizerId(std::string_view tokenizer_json) {
  return ToHex(Sha256(AsBytes(tokenizer_json)));
}

Result<std::string> TokenizerIdOfFile(const fs::path& tokenizer_json) {
  std::error_code ec;
  if (!fs::is_regular_file(tokenizer_json, ec)) {
    return Status::NotFound("no tokenizer file " + tokenizer_json.string(), "tokenizer_missing");
  }
  std::ifstream in(tokenizer_json, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in || in.bad()) return Status::IOError("cannot read " + tokenizer_json.string());
  return TokenizerId(bytes.str());
}

Result<std::string> ShardSha256(const fs::path& shard) {
  std::error_code ec;
  const uint64_t size = fs::file_size(shard, ec);
  if (ec) return Status::NotFound("no span index " + shard.string(), "index_missing");
  const auto mtime = fs::last_write_time(shard, ec).time_since_epoch().count();
  const fs::path cache = shard.parent_path() / ("." + shard.filename().string() + ".sha256");
  // "<size> <mtime> <sha256 hex>"
  const std::string stamp = std::to_string(size) + " " + std::to_string(mtime) + " ";
  {
    std::ifstream in(cache);
    std::string line;
    if (in && std::getline(in, line) && line.size() == stamp.size() + 64 &&
        line.compare(0, stamp.size(), stamp) == 0) {
      return line.substr(stamp.size());
    }
  }
  TRIB_ASSIGN_OR_RETURN(Hash32 h, Sha256File(shard));
  const std::string hex = ToHex(h);
  const fs::path tmp = cache.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << stamp << hex << "\n";
    if (!out.flush()) return hex;  // a read-only index still answers
  }
  fs::rename(tmp, cache, ec);
  if (ec) fs::remove(tmp, ec);
  return hex;
}

json CatalogShard::ToJson() const {
  return {{"tokenizer", tokenizer}, {"datanet", datanet},   {"version", version},
          {"first_row", first_row}, {"rows", rows},         {"tokens", tokens},
          {"bytes", bytes},         {"path", path.string()}};
}

fs::path IndexCatalog::ShardPath(std::string_view tokenizer, uint64_t datanet,
                                 uint32_t version) const {
  return dir_ / std::string(tokenizer) /
         ("d" + std::to_string(datanet) + "-v" + std::to_string(version) +
          std::string(kShardSuffix));
}

std::vector<CatalogShard> IndexCatalog::List(std::vector<std::string>* problems) const {
  std::vector<CatalogShard> out;
  std::vector<std::string> found;  // problems, sorted at the end
  auto problem = [&](const fs::path& p, const std::string& message) {
    found.push_back(p.string() + ": " + message);
  };
  std::error_code ec;
  if (!fs::exists(dir_, ec)) {
    if (problems) problems->clear();
    return out;  // nothing built yet
  }
  fs::directory_iterator top(dir_, ec);
  if (ec) problem(dir_, "cannot read the directory: " + ec.message());
  for (; !ec && top != fs::directory_iterator(); top.increment(ec)) {
    const fs::path tok_dir = top->path();
    if (tok_dir.filename().string().starts_with(".")) continue;  // hidden: not ours to judge
    std::error_code type_ec;
    if (!top->is_directory(type_ec)) {
      problem(tok_dir, "not a tokenizer directory");
      continue;
    }
    const std::string tokenizer = tok_dir.filename().string();
    std::error_code ec2;
    fs::directory_iterator files(tok_dir, ec2);
    if (ec2) problem(tok_dir, "cannot read the directory: " + ec2.message());
    for (; !ec2 && files != fs::directory_iterator(); files.increment(ec2)) {
      const fs::path p = files->path();
      const std::string name = p.filename().string();
      if (name.starts_with(".")) continue;  // hidden (a build's .lock)
      if (EndsWith(name, kPartialSuffix)) {
        problem(p, "an unfinished shard (a build in progress, or an interrupted one)");
        continue;
      }
      auto key = ParseShardName(name);
      if (!key) {
        problem(p, "not a shard name (d<datanet>-v<version>.span)");
        continue;
      }
      auto reader = ShardReader::Open(p);
      if (!reader.ok()) {
        problem(p, reader.status().message());
        continue;
      }
      const ShardInfo& info = (*reader)->info();
      if (info.tokenizer != tokenizer) {
        problem(p, "the shard names tokenizer " + info.tokenizer + ", not its directory's");
        continue;
      }
      if (info.sources.size() != 1 || info.sources[0].datanet != key->datanet ||
          info.sources[0].version != key->version) {
        problem(p, "the shard's sources are not exactly Datanet " + std::to_string(key->datanet) +
                       " version " + std::to_string(key->version));
        continue;
      }
      if (info.sources[0].rows != (*reader)->rows()) {
        problem(p, "the shard's meta says " + std::to_string(info.sources[0].rows) +
                       " rows but it holds " + std::to_string((*reader)->rows()));
        continue;
      }
      CatalogShard s;
      s.tokenizer = tokenizer;
      s.datanet = key->datanet;
      s.version = key->version;
      s.first_row = info.sources[0].first_row;
      s.rows = (*reader)->rows();
      s.tokens = (*reader)->tokens();
      s.bytes = (*reader)->file_bytes();
      s.path = p;
      out.push_back(std::move(s));
    }
    if (ec2) problem(tok_dir, "cannot read the directory: " + ec2.message());
  }
  if (ec) problem(dir_, "cannot read the directory: " + ec.message());
  std::sort(out.begin(), out.end(), [](const CatalogShard& a, const CatalogShard& b) {
    return std::tie(a.tokenizer, a.datanet, a.version) <
           std::tie(b.tokenizer, b.datanet, b.version);
  });
  if (problems) {
    std::sort(found.begin(), found.end());
    *problems = std::move(found);
  }
  return out;
}

Result<std::vector<fs::path>> IndexCatalog::LineageShards(
    std::string_view tokenizer, const std::vector<VersionKey>& versions) const {
  std::vector<fs::path> out;
  std::set<std::pair<uint64_t, uint32_t>> seen;
  std::vector<VersionKey> missing;
  std::map<uint64_t, uint32_t> build;  // datanet -> highest missing version
  for (const VersionKey& k : versions) {
    if (k.version == 0) {
      return Status::InvalidArgument(
          "Datanet " + std::to_string(k.datanet) + " has no version 0 (versions start at 1)",
          "unknown_version");
    }
    for (uint32_t v = 1; v <= k.version; ++v) {
      if (!seen.insert({k.datanet, v}).second) continue;
      fs::path p = ShardPath(tokenizer, k.datanet, v);
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) {
        out.push_back(std::move(p));
      } else {
        missing.push_back({k.datanet, v});
        build[k.datanet] = std::max(build[k.datanet], v);
      }
    }
  }
  if (missing.empty()) return out;
  std::string pairs, targets;
  for (const VersionKey& k : missing) {
    pairs +=
        (pairs.empty() ? "" : ", ") + std::to_string(k.datanet) + "@" + std::to_string(k.version);
  }
  for (const auto& [d, v] : build) {
    targets += (targets.empty() ? "" : ",") + std::to_string(d) + "@" + std::to_string(v);
  }
  return Status::FailedPrecondition(
      "no span index for " + pairs + " under " + (dir_ / std::string(tokenizer)).string() +
          "; build it with `tributary index build --datanet " + targets + " --model ID`",
      "index_missing");
}

}  // namespace tributary::attribution
