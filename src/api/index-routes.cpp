// GET /v1/index/status: the span-index shards under the node's index directory, grouped by
// tokenizer, and which tokenizers cover each published Datanet version (every shard 1..v present
// and holding exactly the rows the version added). Reads shard headers and the chain state only;
// nothing is hashed, so it stays cheap however large the shards are.
#include <algorithm>
#include <map>
#include <set>

#include "api/http.h"
#include "tributary/attribution/index_catalog.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;
using attribution::CatalogShard;

constexpr uint64_t kDatanetPage = 1000;

using Key = std::pair<uint64_t, uint32_t>;  // (datanet, version)

// Per published version: {datanet, version, rows, tokenizers}; shards that disagree with the
// chain (other rows, or a version this chain does not have) are added to `problems`.
Result<json> Coverage(datanet::DatanetService* svc, const std::vector<CatalogShard>& shards,
                      const std::set<std::string>& tokenizers, std::vector<std::string>& problems) {
  std::map<std::string, std::map<Key, const CatalogShard*>> index;
  for (const auto& s : shards) index[s.tokenizer][{s.datanet, s.version}] = &s;
  std::map<Key, std::pair<uint64_t, uint64_t>> published;  // -> [first_row, end_row)
  json out = json::array();
  for (uint64_t first = 1;; first += kDatanetPage) {
    TRIB_ASSIGN_OR_RETURN(auto page, svc->ListDatanets(first, kDatanetPage));
    for (const auto& d : page) {
      if (d.versions == 0) continue;
      TRIB_ASSIGN_OR_RETURN(auto versions, svc->Versions(d.id));
      std::set<std::string> complete = tokenizers;  // those with every shard so far
      uint64_t prev = 0;
      for (const auto& v : versions) {
        published[{d.id, v.number}] = {prev, v.rows};
        json covered = json::array();
        for (auto it = complete.begin(); it != complete.end();) {
          auto s = index[*it].find({d.id, v.number});
          if (s != index[*it].end() && s->second->first_row == prev &&
              s->second->first_row + s->second->rows == v.rows) {
            covered.push_back(*it++);
          } else {
            it = complete.erase(it);
          }
        }
        out.push_back(
            {{"datanet", d.id}, {"version", v.number}, {"rows", v.rows}, {"tokenizers", covered}});
        prev = v.rows;
      }
    }
    if (page.size() < kDatanetPage) break;
  }
  for (const auto& s : shards) {
    auto p = published.find({s.datanet, s.version});
    if (p == published.end()) {
      problems.push_back(s.path.string() + ": Datanet " + std::to_string(s.datanet) +
                         " has no published version " + std::to_string(s.version) +
                         " on this chain");
    } else if (s.first_row != p->second.first || s.first_row + s.rows != p->second.second) {
      problems.push_back(s.path.string() + ": holds rows [" + std::to_string(s.first_row) + ", " +
                         std::to_string(s.first_row + s.rows) + ") but the version added rows [" +
                         std::to_string(p->second.first) + ", " + std::to_string(p->second.second) +
                         ")");
    }
  }
  return out;
}

}  // namespace

void AddIndexRoutes(httplib::Server& server, const RouteContext& ctx) {
  const ServerOptions* opts = ctx.opts;
  datanet::DatanetService* svc = ctx.datanets;
  server.Get("/v1/index/status", [=](const httplib::Request&, httplib::Response& res) {
    if (opts->index_dir.empty()) {
      return SendError(res, 503, "index_unavailable",
                       "this node has no span-index directory configured");
    }
    attribution::IndexCatalog catalog(opts->index_dir);
    std::vector<std::string> problems;
    const std::vector<CatalogShard> shards = catalog.List(&problems);
    std::map<std::string, std::vector<const CatalogShard*>> groups;
    std::set<std::string> ids;
    for (const auto& s : shards) {
      groups[s.tokenizer].push_back(&s);
      ids.insert(s.tokenizer);
    }
    json tokenizers = json::array();
    for (const auto& [id, list] : groups) {
      json items = json::array();
      uint64_t rows = 0, tokens = 0, bytes = 0;
      for (const CatalogShard* s : list) {
        json item = s->ToJson();
        // Paths relative to the index directory: the node's file layout is not the caller's.
        item["path"] = s->path.lexically_relative(opts->index_dir).string();
        items.push_back(std::move(item));
        rows += s->rows;
        tokens += s->tokens;
        bytes += s->bytes;
      }
      tokenizers.push_back({{"tokenizer", id},
                            {"shards", items},
                            {"rows", rows},
                            {"tokens", tokens},
                            {"bytes", bytes}});
    }
    json coverage = json::array();
    if (svc) {
      auto c = Coverage(svc, shards, ids, problems);
      if (!c.ok()) return SendStatus(res, c.status());
      coverage = std::move(*c);
    }
    const std::string prefix = (std::filesystem::path(opts->index_dir) / "").string();
    for (auto& p : problems) {
      if (p.rfind(prefix, 0) == 0) p.erase(0, prefix.size());
    }
    std::sort(problems.begin(), problems.end());
    SendJson(res, 200,
             {{"tokenizers", tokenizers}, {"coverage", coverage}, {"problems", problems}});
  });
}

}  // namespace tributary::http
