// Training data for ModelFactory: the rows of published Datanet versions, with provenance,
// turned into token sequences with loss masks and a deterministic held-out split.
//
// Rows come as `tributary datanet export` writes them: one JSON object per line with row_id,
// contribution, contributor, index and row (the row's fields). Examples:
//  - text rows (schema `text`, or `fields` without prompt/response): [bos] text [eos], loss on
//    every token after the first;
//  - prompt/response rows: the prompt rendered with the base's chat template when it has one
//    (one user turn, generation prompt added), else "prompt\n"; then the response and eos. Loss
//    only on the response tokens (and eos).
// A row is held out when the first 8 bytes of its id, read big-endian, modulo 10000 fall below
// heldout_bps: the same rows are held out on every machine, whatever the version or order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::model {
class Tokenizer;
}

namespace tributary::factory {

//! One row of a Datanet version with its provenance.
struct DataRow {
  std::string row_id;        //!< 64 hex digits
  std::string contribution;  //!< 64 hex digits
  std::string contributor;   //!< address
  nlohmann::json row;        //!< the row's fields (strings)
};

//! Reads an export (JSONL). Errors name the file and line.
Result<std::vector<DataRow>> ReadRowsJsonl(const std::filesystem::path& path);
//! Writes rows in the same format (atomically: a temporary file renamed into place).
Status WriteRowsJsonl(const std::filesystem::path& path, const std::vector<DataRow>& rows);

enum class ExampleFormat { kText, kPromptResponse };

struct Example {
  std::string row_id, contribution, contributor;
  std::vector<int64_t> tokens;
  //! Positions p in [loss_start, tokens.size()) are predicted (from position p - 1).
  int64_t loss_start = 1;
  bool heldout = false;
  std::string prompt, response;  //!< prompt/response rows: the raw texts
  int64_t loss_tokens() const { return static_cast<int64_t>(tokens.size()) - loss_start; }
};

struct ExampleOptions {
  int64_t max_seq_len = 512;   //!< longer examples are cut (a response cut to nothing is dropped)
  uint32_t heldout_bps = 500;  //!< 5%
};

struct ExampleSet {
  std::vector<Example> examples;
  int64_t dropped = 0;  //!< rows with nothing left to learn after truncation, or empty text
};

bool IsHeldOut(const std::string& row_id_hex, uint32_t heldout_bps);

//! `format` must fit the rows: kPromptResponse needs string "prompt" and "response" fields in
//! every row (InvalidArgument naming the first row without them, reason "schema_mismatch").
Result<ExampleSet> BuildExamples(const std::vector<DataRow>& rows, ExampleFormat format,
                                 const model::Tokenizer& tokenizer, const ExampleOptions& options);

//! kPromptResponse when every row has string "prompt" and "response" fields, else kText.
ExampleFormat DetectFormat(const std::vector<DataRow>& rows);

}  // namespace tributary::factory
