#include "tributary/factory/data.h"

#include <fstream>

#include "tributary/base/bytes.h"
#include "tributary/model/tokenizer.h"

namespace tributary::factory {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

bool IsHex64(const json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool HasPromptResponse(const json& row) {
  return row.is_object() && row.contains("prompt") && row["prompt"].is_string() &&
         row.contains("response") && row["response"].is_string();
}

// The text of a text row: "text" when present, else the fields' values joined by newlines
// (in key order, the canonical order).
std::string RowText(const json& row) {
  if (row.contains("text") && row["text"].is_string()) return row["text"].get<std::string>();
  std::string out;
  for (const auto& [k, v] : row.items()) {
    if (!v.is_string()) continue;
    if (!out.empty()) out += "\n";
    out += v.get<std::string>();
  }
  return out;
}

void Append(std::vector<int64_t>& out, const std::vector<int32_t>& ids) {
  out.insert(out.end(), ids.begin(), ids.end());
}

}  // namespace

Result<std::vector<DataRow>> ReadRowsJsonl(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path.string(), "file_not_found");
  std::vector<DataRow> rows;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    auto where = path.string() + ":" + std::to_string(n);
    if (j.is_discarded() || !j.is_object()) {
      return Status::InvalidArgument(where + ": not a JSON object", "bad_rows");
    }
    if (!IsHex64(j.value("row_id", json())) || !IsHex64(j.value("contribution", json())) ||
        !j.contains("contributor") || !j["contributor"].is_string() || !j.contains("row") ||
        !j["row"].is_object()) {
      return Status::InvalidArgument(
          where + ": needs row_id and contribution (64 hex), contributor and row (object)",
          "bad_rows");
    }
    rows.push_back({j["row_id"].get<std::string>(), j["contribution"].get<std::string>(),
                    j["contributor"].get<std::string>(), j["row"]});
  }
  return rows;
}

Status WriteRowsJsonl(const fs::path& path, const std::vector<DataRow>& rows) {
  fs::path tmp = path;
  tmp += ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError("cannot write " + tmp.string());
    for (size_t i = 0; i < rows.size(); ++i) {
      out << json{{"row_id", rows[i].row_id},
                  {"contribution", rows[i].contribution},
                  {"contributor", rows[i].contributor},
                  {"index", i},
                  {"row", rows[i].row}}
                 .dump()
          << "\n";
    }
    if (!out.flush()) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::OK();
}

bool IsHeldOut(const std::string& row_id_hex, uint32_t heldout_bps) {
  uint64_t v = 0;
  for (size_t i = 0; i < 16 && i < row_id_hex.size(); ++i) {
    char c = row_id_hex[i];
    v = (v << 4) | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return v % 10000 < heldout_bps;
}

ExampleFormat DetectFormat(const std::vector<DataRow>& rows) {
  if (rows.empty()) return ExampleFormat::kText;
  for (const auto& r : rows) {
    if (!HasPromptResponse(r.row)) return ExampleFormat::kText;
  }
  return ExampleFormat::kPromptResponse;
}

Result<ExampleSet> BuildExamples(const std::vector<DataRow>& rows, ExampleFormat format,
                                 const model::Tokenizer& tok, const ExampleOptions& options) {
  if (options.max_seq_len < 2) {
    return Status::InvalidArgument("max_seq_len must be at least 2", "bad_option");
  }
  if (options.heldout_bps >= 10000) {
    return Status::InvalidArgument("the held-out share must be below 100%", "bad_option");
  }
  ExampleSet set;
  const auto bos = tok.bos_id();
  const auto eos = tok.eos_id();
  for (const auto& r : rows) {
    Example ex;
    ex.row_id = r.row_id;
    ex.contribution = r.contribution;
    ex.contributor = r.contributor;
    ex.heldout = IsHeldOut(r.row_id, options.heldout_bps);
    if (format == ExampleFormat::kPromptResponse) {
      if (!HasPromptResponse(r.row)) {
        return Status::InvalidArgument("row " + r.row_id +
                                           " has no string 'prompt' and 'response' fields; the "
                                           "data is not prompt/response",
                                       "schema_mismatch");
      }
      ex.prompt = r.row["prompt"].get<std::string>();
      ex.response = r.row["response"].get<std::string>();
      std::string prompt_text;
      bool special = false;
      if (tok.has_chat_template()) {
        model::ChatMessage m{"user", ex.prompt};
        auto rendered = tok.ApplyChatTemplate(std::span<const model::ChatMessage>(&m, 1));
        if (!rendered.ok()) return rendered.status();
        prompt_text = *rendered;
        special = true;
      } else {
        prompt_text = ex.prompt + "\n";
        if (bos) ex.tokens.push_back(*bos);
      }
      Append(ex.tokens, tok.Encode(prompt_text, special));
      ex.loss_start = static_cast<int64_t>(ex.tokens.size());
      Append(ex.tokens, tok.Encode(ex.response, false));
      if (eos) ex.tokens.push_back(*eos);
    } else {
      if (bos) ex.tokens.push_back(*bos);
      Append(ex.tokens, tok.Encode(RowText(r.row), false));
      if (eos) ex.tokens.push_back(*eos);
      ex.loss_start = 1;
    }
    if (static_cast<int64_t>(ex.tokens.size()) > options.max_seq_len) {
      ex.tokens.resize(static_cast<size_t>(options.max_seq_len));
    }
    if (ex.loss_start < 1) ex.loss_start = 1;
    if (ex.loss_tokens() <= 0) {
      set.dropped++;
      continue;
    }
    set.examples.push_back(std::move(ex));
  }
  return set;
}

}  // namespace tributary::factory
