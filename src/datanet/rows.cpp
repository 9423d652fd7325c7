#include "tributary/datanet/rows.h"

#include <algorithm>
#include <map>
#include <set>

#include "tributary/base/hash.h"
#include "tributary/base/unicode.h"

namespace tributary::datanet {
namespace {

using json = nlohmann::json;

Status BadSchema(const std::string& msg) {
  return Status::InvalidArgument("schema: " + msg, "bad_schema");
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

size_t LineOf(std::string_view bytes, size_t offset) {
  return 1 + static_cast<size_t>(
                 std::count(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(offset), '\n'));
}

// Builds a row from field values (already in schema order).
Row MakeRow(const std::vector<std::string>& names, const std::vector<std::string>& values,
            size_t line) {
  // std::map keeps keys in byte order: the canonical member order.
  std::map<std::string, std::string> members;
  Row row;
  row.line = line;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string v = NormalizeValue(values[i]);
    if (!row.text.empty()) row.text += "\n";
    row.text += v;
    members[names[i]] = std::move(v);
  }
  json obj = json::object();
  for (auto& [k, v] : members) obj[k] = v;
  row.canonical = obj.dump();
  row.id = Sha256(AsBytes(row.canonical));
  return row;
}

std::string Extension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return "";
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

void ParseText(std::string_view text, const RowSchema& schema, ParsedFile* out) {
  const std::vector<std::string> names = schema.FieldNames();
  if (!schema.paragraphs) {
    std::string_view t = Trim(text);
    if (!t.empty()) out->rows.push_back(MakeRow(names, {std::string(t)}, 1));
    return;
  }
  // Paragraphs: runs of lines separated by blank (whitespace-only) lines.
  size_t pos = 0, line = 1, para_start = std::string_view::npos, para_line = 0;
  auto flush = [&](size_t end) {
    if (para_start == std::string_view::npos) return;
    std::string_view p = Trim(text.substr(para_start, end - para_start));
    if (!p.empty()) out->rows.push_back(MakeRow(names, {std::string(p)}, para_line));
    para_start = std::string_view::npos;
  };
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    bool blank = Trim(text.substr(pos, end - pos)).empty();
    if (blank) {
      flush(pos);
    } else if (para_start == std::string_view::npos) {
      para_start = pos;
      para_line = line;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
    ++line;
  }
  flush(text.size());
}

void ParseJsonl(std::string_view text, const RowSchema& schema, ParsedFile* out) {
  const std::vector<std::string> names = schema.FieldNames();
  size_t pos = 0, line = 1;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view l = text.substr(pos, end - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!Trim(l).empty()) {
      json j = json::parse(l, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        out->rejected.push_back({line, "bad_json", "line is not a JSON object"});
      } else {
        std::vector<std::string> values;
        std::string problem, reason;
        for (const auto& n : names) {
          if (!j.contains(n)) {
            reason = "missing_field";
            problem = "field '" + n + "' is missing";
            break;
          }
          if (!j[n].is_string()) {
            reason = "not_a_string";
            problem = "field '" + n + "' must be a string";
            break;
          }
          values.push_back(j[n].get<std::string>());
        }
        if (problem.empty()) {
          out->rows.push_back(MakeRow(names, values, line));
        } else {
          out->rejected.push_back({line, reason, problem});
        }
      }
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
    ++line;
  }
}

// RFC 4180 records with the line each starts on; sets *error for an unterminated quote.
struct CsvRecord {
  std::vector<std::string> cells;
  size_t line;
  std::string error;
};

std::vector<CsvRecord> ReadCsv(std::string_view text) {
  std::vector<CsvRecord> records;
  size_t i = 0, line = 1;
  while (i < text.size()) {
    CsvRecord rec{{}, line, ""};
    std::string cell;
    bool in_quotes = false, quoted = false, done = false;
    while (!done) {
      if (i >= text.size()) {
        if (in_quotes) rec.error = "a quoted field is not closed";
        rec.cells.push_back(std::move(cell));
        break;
      }
      char c = text[i];
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
          } else {
            in_quotes = false;
            ++i;
          }
        } else {
          if (c == '\n') ++line;
          cell.push_back(c);
          ++i;
        }
        continue;
      }
      if (c == '"' && cell.empty() && !quoted) {
        in_quotes = quoted = true;
        ++i;
      } else if (c == ',') {
        rec.cells.push_back(std::move(cell));
        cell.clear();
        quoted = false;
        ++i;
      } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        i += 2;
        ++line;
        rec.cells.push_back(std::move(cell));
        done = true;
      } else if (c == '\n') {
        ++i;
        ++line;
        rec.cells.push_back(std::move(cell));
        done = true;
      } else {
        if (quoted) {
          rec.error = "text after a closing quote";
        }
        cell.push_back(c);
        ++i;
      }
    }
    // A blank line is no record.
    if (!(rec.cells.size() == 1 && rec.cells[0].empty() && rec.error.empty())) {
      records.push_back(std::move(rec));
    }
  }
  return records;
}

Status ParseCsv(std::string_view text, const RowSchema& schema, ParsedFile* out) {
  const std::vector<std::string> names = schema.FieldNames();
  std::vector<CsvRecord> records = ReadCsv(text);
  if (records.empty()) return Status::OK();
  const CsvRecord& header = records[0];
  if (!header.error.empty()) {
    return Status::InvalidArgument(out->name + ": the CSV header is malformed: " + header.error,
                                   "bad_csv");
  }
  std::vector<size_t> column(names.size());
  for (size_t f = 0; f < names.size(); ++f) {
    auto it = std::find(header.cells.begin(), header.cells.end(), names[f]);
    if (it == header.cells.end()) {
      return Status::InvalidArgument(
          out->name + ": the CSV header has no column '" + names[f] + "'", "missing_field");
    }
    column[f] = static_cast<size_t>(it - header.cells.begin());
  }
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    if (!rec.error.empty()) {
      out->rejected.push_back({rec.line, "bad_csv", rec.error});
      continue;
    }
    if (rec.cells.size() != header.cells.size()) {
      out->rejected.push_back({rec.line, "bad_csv",
                               "record has " + std::to_string(rec.cells.size()) +
                                   " fields, the header " + std::to_string(header.cells.size())});
      continue;
    }
    std::vector<std::string> values;
    for (size_t c : column) values.push_back(rec.cells[c]);
    out->rows.push_back(MakeRow(names, values, rec.line));
  }
  return Status::OK();
}

}  // namespace

std::vector<std::string> RowSchema::FieldNames() const {
  switch (kind) {
    case Kind::kText:
      return {"text"};
    case Kind::kPromptResponse:
      return {"prompt", "response"};
    case Kind::kFields:
      return fields;
  }
  return {};
}

Result<RowSchema> RowSchema::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string()) {
    return BadSchema("needs \"kind\": \"text\", \"prompt_response\" or \"fields\"");
  }
  RowSchema s;
  std::string kind = j["kind"].get<std::string>();
  if (kind == "text") {
    s.kind = Kind::kText;
  } else if (kind == "prompt_response") {
    s.kind = Kind::kPromptResponse;
  } else if (kind == "fields") {
    s.kind = Kind::kFields;
    if (!j.contains("fields") || !j["fields"].is_array() || j["fields"].empty() ||
        j["fields"].size() > 32) {
      return BadSchema("\"fields\" must list 1 to 32 field names");
    }
    std::set<std::string> seen;
    for (const json& f : j["fields"]) {
      if (!f.is_string() || f.get<std::string>().empty() || f.get<std::string>().size() > 64) {
        return BadSchema("field names must be strings of 1 to 64 bytes");
      }
      if (!seen.insert(f.get<std::string>()).second) {
        return BadSchema("field '" + f.get<std::string>() + "' is listed twice");
      }
      s.fields.push_back(f.get<std::string>());
    }
  } else {
    return BadSchema("unknown kind '" + kind + "'");
  }
  if (j.contains("paragraphs")) {
    if (!j["paragraphs"].is_boolean()) return BadSchema("\"paragraphs\" must be true or false");
    s.paragraphs = j["paragraphs"].get<bool>();
  }
  return s;
}

json RowSchema::ToJson() const {
  json j = {{"kind", kind == Kind::kText             ? "text"
                     : kind == Kind::kPromptResponse ? "prompt_response"
                                                     : "fields"},
            {"paragraphs", paragraphs}};
  if (kind == Kind::kFields) j["fields"] = fields;
  return j;
}

std::string NormalizeValue(std::string_view value) {
  std::string lf;
  lf.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r') {
      lf.push_back('\n');
      if (i + 1 < value.size() && value[i + 1] == '\n') ++i;
    } else {
      lf.push_back(value[i]);
    }
  }
  return NormalizeNfc(lf);
}

Result<ParsedFile> ParseFile(std::string_view name, std::string_view bytes,
                             const RowSchema& schema) {
  ParsedFile out;
  out.name = std::string(name);
  out.type = Extension(name);
  if (out.type != "txt" && out.type != "md" && out.type != "jsonl" && out.type != "csv") {
    return Status::InvalidArgument(
        out.name + ": unsupported file type (use .txt, .md, .jsonl or .csv)", "unsupported_file");
  }
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  if (auto bad = FirstInvalidUtf8(bytes)) {
    return Status::InvalidArgument(out.name + ": invalid UTF-8 at line " +
                                       std::to_string(LineOf(bytes, *bad)) + " (byte " +
                                       std::to_string(*bad) + ")",
                                   "invalid_utf8");
  }
  if (out.type == "txt" || out.type == "md") {
    if (schema.kind != RowSchema::Kind::kText) {
      return Status::InvalidArgument(
          out.name + ": ." + out.type + " files fit only the text schema; use .jsonl or .csv",
          "schema_mismatch");
    }
    ParseText(bytes, schema, &out);
  } else if (out.type == "jsonl") {
    ParseJsonl(bytes, schema, &out);
  } else {
    TRIB_RETURN_IF_ERROR(ParseCsv(bytes, schema, &out));
  }
  return out;
}

}  // namespace tributary::datanet
