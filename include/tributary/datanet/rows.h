// Contribution files to normalised rows: the deterministic parsing every Datanet relies on.
//
// A row is a JSON object whose members are the schema's fields, all strings. Its canonical form
// is that object with keys in byte order, compact, every value Unicode NFC with line endings
// normalised to LF; its id is SHA-256 of the canonical form, so identical rows are one row.
//
// File rules (the same bytes always give the same rows, in file order):
//  - Every file must be valid UTF-8 (the error names the line); a UTF-8 BOM is skipped.
//  - .txt / .md: only for the `text` schema. With `paragraphs` (default) a row per paragraph:
//    paragraphs are separated by lines that are empty or only whitespace; otherwise one row for
//    the whole file. Leading and trailing whitespace of each row is trimmed.
//  - .jsonl: a row per non-blank line, each a JSON object holding the schema's fields as strings
//    (`text`; `prompt` and `response`; or the named fields). Other members are dropped.
//  - .csv: RFC 4180 (quotes, "" escapes, newlines inside quotes, CRLF or LF); the header names
//    the columns, which must include the schema's fields; other columns are dropped.
// A line or record that breaks these rules is rejected with its line number and reason; the
// rest of the file still parses. Values are not trimmed in jsonl/csv (whitespace may matter).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/bytes.h"

namespace tributary::datanet {

struct RowSchema {
  enum class Kind { kText, kPromptResponse, kFields };
  Kind kind = Kind::kText;
  std::vector<std::string> fields;  //!< for kFields: 1..32 names
  bool paragraphs = true;           //!< .txt/.md: a row per paragraph (else per file)

  //! The fields every row has, in order.
  std::vector<std::string> FieldNames() const;
  //! {"kind": "text" | "prompt_response" | "fields", "fields": [...], "paragraphs": bool}
  static Result<RowSchema> FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;
};

struct Row {
  std::string canonical;  //!< canonical JSON of the row
  Hash32 id{};            //!< SHA-256 of `canonical`
  size_t line = 0;        //!< 1-based line in the source file where the row starts
  //! The row's text for similarity and quality checks: field values joined by "\n".
  std::string text;
};

struct RowRejection {
  size_t line = 0;
  std::string reason;  //!< bad_json, missing_field, not_a_string, bad_csv, ...
  std::string message;
};

struct ParsedFile {
  std::string name;
  std::string type;  //!< "txt", "md", "jsonl", "csv"
  std::vector<Row> rows;
  std::vector<RowRejection> rejected;
};

//! Line endings to LF, then NFC.
std::string NormalizeValue(std::string_view value);

//! Parses one file. Errors (nothing parsed): an unsupported extension, invalid UTF-8, a
//! .txt/.md file for a non-text schema, a CSV header without the schema's fields.
Result<ParsedFile> ParseFile(std::string_view name, std::string_view bytes,
                             const RowSchema& schema);

}  // namespace tributary::datanet
