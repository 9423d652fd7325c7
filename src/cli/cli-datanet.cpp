// `tributary datanet ...`: create, update, list, show, contribute, review, publish, export.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "tributary/datanet/kinds.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path, "file_not_found");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json SchemaJson(const std::string& schema, bool per_file) {
  if (schema == "text") return {{"kind", "text"}, {"paragraphs", !per_file}};
  if (schema == "prompt,response") return {{"kind", "prompt_response"}};
  return {{"kind", "fields"}, {"fields", SplitComma(schema)}};
}

// Signs `kind` with `payload` and posts {"tx": ...} to `path`.
Result<json> SignAndPost(const Common& c, const DatanetArgs& a, std::string_view kind,
                         const json& payload, const std::string& path) {
  TRIB_ASSIGN_OR_RETURN(StoredKey key, LoadKey(a.from));
  TRIB_ASSIGN_OR_RETURN(Transaction tx, BuildSignedTx(c, key.key, std::string(kind), payload));
  return NodePost(c, path, json{{"tx", {{"raw", ToHex(tx.Encode())}}}});
}

Result<uint64_t> ParseId(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument(std::string(what) + " must be a number, not '" + text + "'",
                                   "bad_id");
  }
  return std::stoull(text);
}

void PrintDatanet(const json& d) {
  const json& st = d["stats"];
  std::cout << "Datanet " << d["id"] << ": " << d["name"].get<std::string>() << "\n"
            << "  summary:  " << d["summary"].get<std::string>() << "\n"
            << "  owner:    " << d["owner"].get<std::string>() << "\n"
            << "  license:  " << d["license"].get<std::string>()
            << "   policy: " << d["policy"].get<std::string>()
            << "   stake: " << d["stake"].get<std::string>() << " base units\n"
            << "  schema:   " << d["schema"].dump() << "\n"
            << "  contributions: " << st["contributions"] << " (" << st["accepted"] << " accepted, "
            << st["rejected"] << " rejected, " << st["pending"] << " pending), "
            << st["accepted_rows"] << " accepted rows, " << st["contributors"] << " contributors, "
            << st["versions"] << " versions\n";
}

}  // namespace

int RunDatanetCreate(const Common& c, const DatanetArgs& a) {
  json p = {
      {"name", a.name},       {"summary", a.summary}, {"tags", SplitComma(a.tags)},
      {"license", a.license}, {"policy", a.policy},   {"schema", SchemaJson(a.schema, a.per_file)}};
  // Quotas left out take the governed defaults (tributary params datanet.default_*).
  json quotas = json::object();
  if (a.bytes_per_day) quotas["bytes_per_day"] = a.bytes_per_day;
  if (a.files_per_day) quotas["files_per_day"] = a.files_per_day;
  if (a.bytes_per_file) quotas["bytes_per_file"] = a.bytes_per_file;
  if (!quotas.empty()) p["quotas"] = quotas;
  if (!a.description_file.empty()) {
    auto d = ReadWholeFile(a.description_file);
    if (!d.ok()) return Fail(d.status().WithContext("--description"));
    p["description"] = *d;
  }
  // A stake or slash share left out takes the governed default (datanet.default_stake,
  // datanet.default_slash_bps).
  if (!a.stake.empty()) {
    auto stake = ParseTokens(a.stake, 18);
    if (!stake.ok()) return Fail(stake.status().WithContext("--stake"));
    p["stake"] = AmountToString(*stake);
  }
  if (a.slash_percent) {
    if (*a.slash_percent < 0 || *a.slash_percent > 100) {
      return Fail(Status::InvalidArgument("--slash-percent must be in 0..100", "bad_slash"));
    }
    p["slash_bps"] = static_cast<uint64_t>(*a.slash_percent * 100 + 0.5);
  }
  if (!(a.near_duplicate > 0 && a.near_duplicate <= 1)) {
    return Fail(Status::InvalidArgument("--near-duplicate must be in (0, 1]", "bad_threshold"));
  }
  p["near_duplicate_bps"] = static_cast<uint64_t>(a.near_duplicate * 10000 + 0.5);
  auto r = SignAndPost(c, a, datanet::kCreateKind, p, "/v1/datanets");
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    std::cout << "created ";
    PrintDatanet((*r)["datanet"]);
  }
  return 0;
}

int RunDatanetUpdate(const Common& c, const DatanetArgs& a) {
  auto id = ParseId(a.id, "Datanet id");
  if (!id.ok()) return Fail(id.status());
  auto cur = NodeGet(c, "/v1/datanets/" + std::to_string(*id));
  if (!cur.ok()) return Fail(cur.status());
  // Unspecified fields keep their current values.
  json p = {{"datanet", *id},
            {"summary", a.summary_set ? a.summary : (*cur)["summary"].get<std::string>()},
            {"description", (*cur)["description"]},
            {"tags", a.tags_set ? json(SplitComma(a.tags)) : (*cur)["tags"]}};
  if (a.description_set) {
    auto d = ReadWholeFile(a.description_file);
    if (!d.ok()) return Fail(d.status().WithContext("--description"));
    p["description"] = *d;
  }
  auto r = SignAndPost(c, a, datanet::kUpdateKind, p, "/v1/datanets/" + std::to_string(*id));
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    std::cout << "updated ";
    PrintDatanet((*r)["datanet"]);
  }
  return 0;
}

int RunDatanetList(const Common& c) {
  auto r = NodeGet(c, "/v1/datanets?limit=1000");
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  for (const auto& d : (*r)["datanets"]) {
    std::cout << d["id"] << "\t" << d["name"].get<std::string>() << "\t"
              << d["stats"]["accepted_rows"] << " rows\t" << d["stats"]["versions"] << " versions\t"
              << d["summary"].get<std::string>() << "\n";
  }
  return 0;
}

int RunDatanetShow(const Common& c, const DatanetArgs& a) {
  auto id = ParseId(a.id, "Datanet id");
  if (!id.ok()) return Fail(id.status());
  auto r = NodeGet(c, "/v1/datanets/" + std::to_string(*id));
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  PrintDatanet(*r);
  for (const auto& v : (*r)["versions"]) {
    std::cout << "  version " << v["version"] << ": " << v["rows"] << " rows from "
              << v["contributions"] << " contributions, root " << v["root"].get<std::string>()
              << " (block " << v["height"] << ")\n";
  }
  auto board = NodeGet(c, "/v1/datanets/" + std::to_string(*id) + "/leaderboard?limit=10");
  if (board.ok() && !(*board)["leaderboard"].empty()) {
    std::cout << "  top contributors:\n";
    for (const auto& e : (*board)["leaderboard"]) {
      std::cout << "    " << e["contributor"].get<std::string>() << "  " << e["accepted_rows"]
                << " rows, " << e["accepted"] << "/" << e["submitted"] << " accepted\n";
    }
  }
  return 0;
}

int RunDatanetContribute(const Common& c, const DatanetArgs& a) {
  auto id = ParseId(a.id, "--datanet");
  if (!id.ok()) return Fail(id.status());
  if (a.files.empty()) return Fail(Status::InvalidArgument("no files given", "no_files"));
  auto key = LoadKey(a.from);
  if (!key.ok()) return Fail(key.status());
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : a.files) {
    auto bytes = ReadWholeFile(path);
    if (!bytes.ok()) return Fail(bytes.status());
    files.emplace_back(fs::path(path).filename().string(), std::move(*bytes));
  }
  const std::string base = "/v1/datanets/" + std::to_string(*id) + "/contributions";
  const bool progress = ShowProgress(c);
  // Someone else's contribution may land between prepare and submit; then prepare again.
  for (int attempt = 0;; ++attempt) {
    auto prepared = NodePostFiles(c, base + "/prepare", files, std::nullopt, progress);
    if (!prepared.ok()) return Fail(prepared.status());
    const json& report = (*prepared)["report"];
    if ((*prepared)["payload"].is_null()) {
      if (c.json) {
        PrintJson(*prepared);
      } else {
        // One line: how many rows and why, by reason.
        std::map<std::string, int> reasons;
        for (const auto& v : report["rows"]) {
          if (!v.value("accepted", false)) reasons[v.value("reason", "unknown")]++;
        }
        std::string why;
        for (const auto& [r, n] : reasons)
          why += (why.empty() ? "" : ", ") + std::to_string(n) + " " + r;
        std::cerr << "error: no row was accepted (" << why
                  << "); nothing was submitted (--json shows the report) (no_rows_accepted)\n";
      }
      return 1;
    }
    auto tx = BuildSignedTx(c, key->key, std::string(datanet::kSubmitKind), (*prepared)["payload"]);
    if (!tx.ok()) return Fail(tx.status());
    auto r = NodePostFiles(c, base, files, json{{"raw", ToHex(tx->Encode())}}, progress);
    if (!r.ok()) {
      if (r.status().reason() == "validation_changed" && attempt < 3) continue;
      return Fail(r.status());
    }
    if (c.json) {
      PrintJson(*r);
      return 0;
    }
    std::cout << "contribution " << (*r)["contribution_id"].get<std::string>() << ": "
              << (*r)["status"].get<std::string>() << ", " << (*r)["accepted"] << " rows accepted, "
              << (*r)["rejected"] << " rejected (score " << (*r)["score"].get<double>() << ")\n";
    int shown = 0;
    for (const auto& v : report["rows"]) {
      if (v.value("accepted", false)) continue;
      if (shown++ >= 20) {
        std::cout << "  ... (see tributary datanet show / GET /v1/contributions/{id})\n";
        break;
      }
      std::cout << "  rejected line " << v["line"] << " of "
                << report["files"][v.value("file", 0)].get<std::string>() << ": "
                << v["reason"].get<std::string>() << " — " << v["message"].get<std::string>()
                << "\n";
    }
    return 0;
  }
}

int RunDatanetReview(const Common& c, const DatanetArgs& a) {
  if (a.approve == !a.reject.empty()) {
    return Fail(
        Status::InvalidArgument("give exactly one of --approve or --reject REASON", "bad_review"));
  }
  if (a.spam && a.approve) {
    return Fail(Status::InvalidArgument("--spam goes with --reject", "bad_review"));
  }
  json p = {{"contribution", a.id}, {"approve", a.approve}};
  if (!a.approve) {
    p["reason"] = a.reject;
    p["spam"] = a.spam;
  }
  auto r = SignAndPost(c, a, datanet::kReviewKind, p, "/v1/contributions/" + a.id + "/review");
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    const json& ct = (*r)["contribution"];
    std::cout << "contribution " << a.id << " is now " << ct["status"].get<std::string>();
    if (ct.contains("slashed") && ct["slashed"] != "0") {
      std::cout << "; " << ct["slashed"].get<std::string>()
                << " base units slashed to the treasury";
    }
    std::cout << "\n";
  }
  return 0;
}

int RunDatanetPublish(const Common& c, const DatanetArgs& a) {
  auto id = ParseId(a.id, "Datanet id");
  if (!id.ok()) return Fail(id.status());
  auto r = SignAndPost(c, a, datanet::kPublishKind, json{{"datanet", *id}},
                       "/v1/datanets/" + std::to_string(*id) + "/versions");
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    const json& v = (*r)["version"];
    std::cout << "published Datanet " << *id << " version " << v["version"] << ": " << v["rows"]
              << " rows from " << v["contributions"] << " contributions, root "
              << v["root"].get<std::string>() << "\n";
  }
  return 0;
}

int RunDatanetExport(const Common& c, const DatanetArgs& a) {
  auto at = a.id.find('@');
  if (at == std::string::npos) {
    return Fail(Status::InvalidArgument("name the version as ID@VERSION, e.g. 1@2", "bad_version"));
  }
  auto id = ParseId(a.id.substr(0, at), "Datanet id");
  if (!id.ok()) return Fail(id.status());
  auto n = ParseId(a.id.substr(at + 1), "version");
  if (!n.ok()) return Fail(n.status());
  if (a.out.empty()) return Fail(Status::InvalidArgument("--out FILE is required", "no_out"));
  const std::string base =
      "/v1/datanets/" + std::to_string(*id) + "/versions/" + std::to_string(*n);
  auto v = NodeGet(c, base);
  if (!v.ok()) return Fail(v.status());
  const uint64_t total = (*v)["rows"].get<uint64_t>();
  // Written beside the target and renamed at the end: a failed export leaves no partial file.
  fs::path tmp = a.out + ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(Status::IOError("cannot write " + tmp.string()));
  ProgressLine line(ShowProgress(c), "exporting", "rows");
  uint64_t done = 0;
  while (done < total) {
    auto page = NodeGet(c, base + "/rows?offset=" + std::to_string(done) + "&limit=1000");
    if (!page.ok()) {
      out.close();
      fs::remove(tmp);
      return Fail(page.status());
    }
    const json& rows = (*page)["rows"];
    if (rows.empty()) break;
    for (const auto& r : rows) {
      out << json{{"row_id", r["row_id"]},
                  {"contribution", r["contribution"]},
                  {"contributor", r["contributor"]},
                  {"index", r["index"]},
                  {"row", r["row"]}}
                 .dump()
          << "\n";
    }
    done += rows.size();
    line.Update(done, total);
  }
  out.close();
  if (!out || done != total) {
    fs::remove(tmp);
    return Fail(Status::IOError("export incomplete: " + std::to_string(done) + " of " +
                                std::to_string(total) + " rows"));
  }
  std::error_code ec;
  fs::rename(tmp, a.out, ec);
  if (ec) return Fail(Status::IOError("cannot rename to " + a.out + ": " + ec.message()));
  if (c.json) {
    PrintJson({{"datanet", *id},
               {"version", *n},
               {"rows", done},
               {"out", a.out},
               {"root", (*v)["root"]}});
  } else {
    std::cout << "exported " << done << " rows of Datanet " << *id << " version " << *n << " to "
              << a.out << " (version root " << (*v)["root"].get<std::string>() << ")\n";
  }
  return 0;
}

int RunDatanetLeaderboard(const Common& c, const DatanetArgs& a) {
  auto id = ParseId(a.id, "Datanet id");
  if (!id.ok()) return Fail(id.status());
  auto r = NodeGet(
      c, "/v1/datanets/" + std::to_string(*id) + "/leaderboard?limit=" + std::to_string(a.limit));
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  for (const auto& e : (*r)["leaderboard"]) {
    std::cout << e["contributor"].get<std::string>() << "\t" << e["accepted_rows"] << " rows\t"
              << e["accepted"] << "/" << e["submitted"] << " accepted\t"
              << e["acceptance_ratio"].get<double>() << "\n";
  }
  return 0;
}

}  // namespace tributary::cli
