// `tributary index build|status`: span-index shards of Datanet versions (index_catalog.h), one
// per version holding the rows it added, fetched from the node and tokenized here.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>

#include "cli/attribution-commands.h"
#include "tributary/attribution/shard_builder.h"
#include "tributary/attribution/shard_reader.h"
#include "tributary/model/tokenizer.h"

namespace tributary::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using attribution::CatalogShard;
using attribution::IndexCatalog;

constexpr uint64_t kPage = 1000;  // the node's largest rows page

struct LoadedTokenizer {
  model::Tokenizer tokenizer;
  std::string id;
};

// --tokenizer: a tokenizer.json, or a directory holding one (with its config, when present).
Result<LoadedTokenizer> LoadTokenizer(const fs::path& path) {
  std::error_code ec;
  fs::path file = path;
  if (fs::is_directory(path, ec)) file = path / "tokenizer.json";
  if (!fs::is_regular_file(file, ec)) {
    return Status::NotFound(fs::exists(path, ec)
                                ? "no tokenizer.json in " + path.string()
                                : "the tokenizer " + path.string() + " does not exist",
                            "tokenizer_missing");
  }
  TRIB_ASSIGN_OR_RETURN(std::string id, attribution::TokenizerIdOfFile(file));
  auto tok =
      file == path ? model::Tokenizer::FromFiles(file) : model::Tokenizer::FromDirectory(path);
  if (!tok.ok()) return tok.status();
  return LoadedTokenizer{std::move(*tok), std::move(id)};
}

void Append(std::vector<uint32_t>& out, const std::vector<int32_t>& ids) {
  for (int32_t id : ids) out.push_back(static_cast<uint32_t>(id));
}

// A row's tokens, without special tokens: the text of a text row; prompt then response (each
// encoded alone, as the factory does) of a prompt/response row; else the string fields in key
// order (nlohmann's objects are sorted).
std::vector<uint32_t> RowTokens(const json& row, const model::Tokenizer& tok) {
  std::vector<uint32_t> out;
  auto str = [&](const char* k) { return row.contains(k) && row[k].is_string(); };
  if (row.is_string()) {
    Append(out, tok.Encode(row.get<std::string>(), false));
  } else if (!row.is_object()) {
    return out;
  } else if (str("text")) {
    Append(out, tok.Encode(row["text"].get<std::string>(), false));
  } else if (str("prompt") && str("response")) {
    Append(out, tok.Encode(row["prompt"].get<std::string>(), false));
    Append(out, tok.Encode(row["response"].get<std::string>(), false));
  } else {
    for (const auto& [key, value] : row.items()) {
      if (value.is_string()) Append(out, tok.Encode(value.get<std::string>(), false));
    }
  }
  return out;
}

std::string Pair(uint64_t d, uint32_t v) { return std::to_string(d) + "@" + std::to_string(v); }

// rows(v) for v = 0..versions of Datanet d (rows(0) = 0): one call for the whole list.
Result<std::vector<uint64_t>> VersionRows(const Common& c, uint64_t d) {
  TRIB_ASSIGN_OR_RETURN(json list, NodeGet(c, "/v1/datanets/" + std::to_string(d) + "/versions"));
  std::vector<uint64_t> rows = {0};
  if (!list.contains("versions") || !list["versions"].is_array()) {
    return Status::Unavailable(
        "the node's version list of Datanet " + std::to_string(d) + " is malformed",
        "bad_response");
  }
  for (const json& v : list["versions"]) {
    const uint64_t n = v.is_object() ? v.value("rows", uint64_t{0}) : 0;
    if (n < rows.back()) {
      return Status::Unavailable("the node says version " + std::to_string(rows.size()) +
                                     " of Datanet " + std::to_string(d) +
                                     " has fewer rows than the one before",
                                 "bad_response");
    }
    rows.push_back(n);
  }
  return rows;
}

// One shard to have: version v of Datanet d adds rows [first, first + count).
struct Planned {
  uint64_t datanet = 0;
  uint32_t version = 0;
  uint64_t first = 0, count = 0;
  attribution::ShardSource source() const { return {datanet, version, first, count}; }
};

Result<std::vector<Planned>> Plan(const Common& c, const std::vector<VersionRef>& refs) {
  std::map<uint64_t, uint32_t> highest;  // datanet -> highest version asked for
  std::vector<uint64_t> order;
  for (const auto& r : refs) {
    if (r.version == 0) {
      return Status::InvalidArgument(
          "Datanet " + std::to_string(r.datanet) + " has no version 0 (versions start at 1)",
          "unknown_version");
    }
    if (!highest.count(r.datanet)) order.push_back(r.datanet);
    highest[r.datanet] = std::max(highest[r.datanet], r.version);
  }
  std::vector<Planned> out;
  for (uint64_t d : order) {
    TRIB_ASSIGN_OR_RETURN(auto rows, VersionRows(c, d));
    const uint32_t v_max = highest[d];
    if (v_max >= rows.size()) {
      return Status::NotFound("Datanet " + std::to_string(d) + " has no version " +
                                  std::to_string(v_max) + " (it has " +
                                  std::to_string(rows.size() - 1) + " published)",
                              "unknown_version");
    }
    for (uint32_t v = 1; v <= v_max; ++v) out.push_back({d, v, rows[v - 1], rows[v] - rows[v - 1]});
  }
  return out;
}

CatalogShard Describe(const attribution::ShardReader& r, const std::string& tokenizer,
                      const Planned& p) {
  CatalogShard s;
  s.tokenizer = tokenizer;
  s.datanet = p.datanet;
  s.version = p.version;
  s.first_row = p.first;
  s.rows = r.rows();
  s.tokens = r.tokens();
  s.bytes = r.file_bytes();
  s.path = r.path();
  return s;
}

// Fetches the rows version p.version added, tokenizes them and writes the shard (atomically).
Status BuildOne(const Common& c, const LoadedTokenizer& tok, const Planned& p, const fs::path& path,
                bool progress) {
  attribution::ShardOptions o;
  o.info.tokenizer = tok.id;
  o.info.sources = {p.source()};
  attribution::ShardBuilder builder(o);
  const std::string label = Pair(p.datanet, p.version);
  ProgressLine line(progress, "indexing " + label, "rows");
  const std::string base =
      "/v1/datanets/" + std::to_string(p.datanet) + "/versions/" + std::to_string(p.version);
  uint64_t got = 0;
  while (got < p.count) {
    TRIB_ASSIGN_OR_RETURN(
        json page, NodeGet(c, base + "/rows?offset=" + std::to_string(p.first + got) +
                                  "&limit=" + std::to_string(std::min(kPage, p.count - got))));
    const json rows = page.value("rows", json::array());
    if (!rows.is_array() || rows.empty()) break;
    for (const json& r : rows) {
      if (!r.is_object() || !r.contains("row_id") || !r["row_id"].is_string() ||
          !r.contains("contribution") || !r["contribution"].is_string() ||
          !r.contains("contributor") || !r["contributor"].is_string() || !r.contains("row")) {
        return Status::Unavailable("the node sent a malformed row of " + label, "bad_response");
      }
      TRIB_RETURN_IF_ERROR(
          builder.Add(r["row_id"].get<std::string>(), r["contribution"].get<std::string>(),
                      r["contributor"].get<std::string>(), RowTokens(r["row"], tok.tokenizer)));
      if (++got == p.count) break;
    }
    line.Update(got, p.count);
  }
  if (got != p.count) {
    return Status::Unavailable("the node returned " + std::to_string(got) + " of the " +
                                   std::to_string(p.count) + " rows " + label + " added",
                               "bad_response");
  }
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return Status::IOError("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  // The build stages take a noticeable time only for large shards; small ones stay quiet.
  const bool stage_lines = progress && builder.tokens() + builder.rows() >= (uint64_t{1} << 22);
  std::map<std::string, ProgressLine, std::less<>> stages;
  auto on_stage = [&](const attribution::BuildProgress& b) {
    if (!stage_lines) return;
    if (b.stage == "sort") {  // one libdivsufsort call: no steps to count
      if (b.done == 0) std::fprintf(stderr, "sorting the suffixes of %s...", label.c_str());
      if (b.done == b.total) std::fprintf(stderr, " done\n");
      return;
    }
    auto it = stages.find(b.stage);
    if (it == stages.end()) {
      const char* unit = b.stage == "write"    ? "MB"
                         : b.stage == "filter" ? "M positions"
                                               : "M tokens";
      it = stages
               .emplace(std::string(b.stage),
                        ProgressLine(true, std::string(b.stage) + " " + label, unit, 1e6))
               .first;
    }
    it->second.Update(b.done, b.total);
  };
  TRIB_RETURN_IF_ERROR(builder.Finish(path, on_stage));
  // Attribution results record the shard's SHA-256; computing it now spares the first query.
  return attribution::ShardSha256(path).status();
}

// Holds an exclusive lock on the tokenizer's directory so that two builds never write the same
// shard's temporary file at once; released when the process exits.
Status LockDirectory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  const fs::path lock = dir / ".lock";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + lock.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Unavailable("another `tributary index build` is writing " + dir.string() +
                                   "; wait for it (this one would resume where it stops)",
                               "index_busy");
  }
  return Status::OK();  // fd stays open (and locked) until exit
}

std::string HumanBytes(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof(buf), "%.1f GiB", b / double(uint64_t{1} << 30));
  } else if (b >= (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", b / double(uint64_t{1} << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", b / 1024.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(b));
  }
  return buf;
}

void PrintShardTable(const std::vector<CatalogShard>& shards,
                     const std::vector<std::string>& status) {
  std::cout << std::left << std::setw(9) << "datanet" << std::setw(9) << "version" << std::setw(11)
            << "first_row" << std::setw(9) << "rows" << std::setw(11) << "tokens"
            << (status.empty() ? std::setw(0) : std::setw(12)) << "size"
            << (status.empty() ? "" : "status") << "\n";
  for (size_t i = 0; i < shards.size(); ++i) {
    const auto& s = shards[i];
    std::cout << std::setw(9) << s.datanet << std::setw(9) << s.version << std::setw(11)
              << s.first_row << std::setw(9) << s.rows << std::setw(11) << s.tokens
              << (status.empty() ? std::setw(0) : std::setw(12)) << HumanBytes(s.bytes)
              << (i < status.size() ? status[i] : "") << "\n";
  }
}

}  // namespace

int RunIndexBuild(const Common& c, const IndexBuildArgs& a) {
  if (a.model.empty() == a.tokenizer.empty()) {
    return Fail(Status::InvalidArgument(
        a.model.empty() ? "name the tokenizer to index with: --model ID or --tokenizer PATH"
                        : "give --model or --tokenizer, not both",
        "bad_option"));
  }
  std::optional<LoadedTokenizer> tok;
  std::vector<VersionRef> refs;
  if (!a.datanet.empty()) {
    auto parsed = ParseVersions(a.datanet, "--datanet");
    if (!parsed.ok()) return Fail(parsed.status());
    refs = std::move(*parsed);
  }
  if (!a.model.empty()) {
    auto m = ResolveModel(c, a.model, a.models_dir);
    if (!m.ok()) return Fail(m.status());
    auto t = LoadTokenizer(m->base_dir);
    if (!t.ok()) return Fail(t.status());
    tok.emplace(std::move(*t));
    if (a.datanet.empty()) {
      for (const auto& k : m->versions) refs.push_back({k.datanet, k.version});
      if (refs.empty()) {
        return Fail(Status::FailedPrecondition(
            "model " + a.model + " names no Datanet versions; pass --datanet", "bad_option"));
      }
    }
  } else {
    if (a.datanet.empty()) {
      return Fail(Status::InvalidArgument("--datanet DATANET@VERSION is required with --tokenizer",
                                          "bad_option"));
    }
    auto t = LoadTokenizer(a.tokenizer);
    if (!t.ok()) return Fail(t.status());
    tok.emplace(std::move(*t));
  }
  // Every requested version is checked against the node before anything is built.
  auto plan = Plan(c, refs);
  if (!plan.ok()) return Fail(plan.status());

  IndexCatalog catalog(a.index_dir);
  if (Status s = LockDirectory(catalog.dir() / tok->id); !s.ok()) return Fail(s);
  const bool progress = ShowProgress(c);
  std::vector<CatalogShard> shards;
  std::vector<std::string> statuses;
  uint64_t built = 0, skipped = 0;
  for (const Planned& p : *plan) {
    const fs::path path = catalog.ShardPath(tok->id, p.datanet, p.version);
    // Resume: a shard already there is kept when it holds exactly the rows expected; one that
    // does not (damaged, or built from another chain's version) is rebuilt.
    std::string replaced;
    std::error_code ec;
    if (fs::exists(path, ec)) {
      auto r = attribution::ShardReader::Open(path);
      if (!r.ok()) {
        replaced = r.status().message();
      } else if ((*r)->info().tokenizer != tok->id ||
                 (*r)->info().sources != std::vector<attribution::ShardSource>{p.source()} ||
                 (*r)->rows() != p.count) {
        replaced = "it does not hold rows [" + std::to_string(p.first) + ", " +
                   std::to_string(p.first + p.count) + ") of " + Pair(p.datanet, p.version);
      } else {
        shards.push_back(Describe(**r, tok->id, p));
        statuses.push_back("skipped (present)");
        ++skipped;
        if (c.json) {
          json e = shards.back().ToJson();
          e["event"] = "skipped";
          std::cout << e.dump() << std::endl;
        }
        continue;
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (Status s = BuildOne(c, *tok, p, path, progress); !s.ok()) return Fail(s);
    auto r = attribution::ShardReader::Open(path);
    if (!r.ok()) return Fail(r.status());
    shards.push_back(Describe(**r, tok->id, p));
    statuses.push_back(replaced.empty() ? "built" : "rebuilt");
    ++built;
    if (c.json) {
      json e = shards.back().ToJson();
      e["event"] = "built";
      e["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!replaced.empty()) e["replaced"] = replaced;
      std::cout << e.dump() << std::endl;
    }
  }
  if (c.json) {
    json list = json::array();
    for (const auto& s : shards) list.push_back(s.ToJson());
    std::cout << json{{"event", "done"},      {"shards", list},
                      {"built", built},       {"skipped", skipped},
                      {"tokenizer", tok->id}, {"index_dir", catalog.dir().string()}}
                     .dump()
              << std::endl;
    return 0;
  }
  std::cout << "tokenizer " << tok->id << " in " << (catalog.dir() / tok->id).string() << "\n";
  PrintShardTable(shards, statuses);
  std::cout << built << " built, " << skipped << " already present\n";
  return 0;
}

int RunIndexStatus(const Common& c, const IndexStatusArgs& a) {
  IndexCatalog catalog(a.index_dir);
  std::vector<std::string> problems;
  const std::vector<CatalogShard> shards = catalog.List(&problems);
  std::map<std::string, std::vector<CatalogShard>> by_tokenizer;
  for (const auto& s : shards) by_tokenizer[s.tokenizer].push_back(s);
  if (c.json) {
    json tokenizers = json::array();
    for (const auto& [id, list] : by_tokenizer) {
      json items = json::array();
      uint64_t rows = 0, tokens = 0, bytes = 0;
      for (const auto& s : list) {
        items.push_back(s.ToJson());
        rows += s.rows;
        tokens += s.tokens;
        bytes += s.bytes;
      }
      tokenizers.push_back({{"tokenizer", id},
                            {"shards", items},
                            {"rows", rows},
                            {"tokens", tokens},
                            {"bytes", bytes},
                            {"bytes_per_token", tokens ? double(bytes) / tokens : 0.0}});
    }
    PrintJson({{"index_dir", catalog.dir().string()},
               {"tokenizers", tokenizers},
               {"problems", problems}});
    return 0;
  }
  if (by_tokenizer.empty()) std::cout << "no shards under " << catalog.dir().string() << "\n";
  for (const auto& [id, list] : by_tokenizer) {
    uint64_t rows = 0, tokens = 0, bytes = 0;
    for (const auto& s : list) {
      rows += s.rows;
      tokens += s.tokens;
      bytes += s.bytes;
    }
    char per[32];
    std::snprintf(per, sizeof(per), "%.2f", tokens ? double(bytes) / tokens : 0.0);
    std::cout << "tokenizer " << id << ": " << list.size() << " shards, " << rows << " rows, "
              << tokens << " tokens, " << HumanBytes(bytes) << " (" << per << " bytes/token)\n";
    PrintShardTable(list, {});
    std::cout << "\n";
  }
  if (!problems.empty()) {
    std::cout << problems.size() << " problem" << (problems.size() == 1 ? "" : "s") << ":\n";
    for (const auto& p : problems) std::cout << "  " << p << "\n";
  }
  return 0;
}

}  // namespace tributary::cli
