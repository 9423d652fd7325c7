// Validating a contribution before anything reaches the ledger: duplicates, near duplicates,
// quality heuristics, limits, and a report the contributor can read.
//
// Every row gets a verdict. A row is rejected, with one reason, when it is (checked in this
// order) too large, too short, mostly repeated lines, a long run of one character, mostly not
// text, an exact duplicate of an earlier row of the same contribution, an exact duplicate of a
// row the Datanet already holds or has pending, or a near duplicate (estimated Jaccard
// similarity of word 5-gram shingles >= the threshold) of either; near-duplicate verdicts name
// the row matched and the similarity. Rows the file parser rejected count as rejected too.
// score = accepted rows / all rows (0 when there are none).
#pragma once

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tributary/datanet/minhash.h"
#include "tributary/datanet/rows.h"

namespace tributary::datanet {

struct ValidationOptions {
  double near_duplicate_threshold = 0.8;  //!< in (0, 1]
  size_t min_chars = 16;                  //!< non-whitespace code points a row needs
  size_t max_row_bytes = 64 * 1024;
  double max_repeated_line_fraction = 0.5;  //!< of lines (rows of 4+ lines) that repeat another
  size_t max_char_run = 32;                 //!< longest run of one code point
  double min_text_fraction = 0.6;  //!< letters, digits, whitespace and punctuation, of code points
};

//! The rows a Datanet already holds or has pending, for duplicate checks: each row's id and its
//! entry in a MinHashLsh, about 300-400 bytes a row in all (see MinHashLsh). Not thread-safe.
class RowIndex {
 public:
  //! The LSH index is built below the near-duplicate threshold so pairs at or above it are
  //! found reliably (see MinHashLsh).
  static Result<RowIndex> Create(const ValidationOptions& options = {});
  bool Contains(const Hash32& row_id) const { return SlotOf(row_id) != SlotTable::kEmpty; }
  //! The row's MinHash signature. Every RowIndex uses the same hasher, so a signature made by one
  //! index serves every other: compute it once per row and pass it to the overloads below.
  MinHashSignature Sign(std::string_view text) const { return hasher_.FromText(text); }
  //! Adds a row (no-op when present).
  Status Add(const Hash32& row_id, std::string_view text) { return Add(row_id, Sign(text)); }
  Status Add(const Hash32& row_id, const MinHashSignature& signature);
  //! Removes a row, e.g. when a pending contribution is rejected (no-op when absent).
  Status Remove(const Hash32& row_id);
  //! The most similar held row at or above `min_similarity`, if any.
  Result<std::optional<std::pair<Hash32, double>>> NearestDuplicate(std::string_view text,
                                                                    double min_similarity) const {
    return NearestDuplicate(Sign(text), min_similarity);
  }
  Result<std::optional<std::pair<Hash32, double>>> NearestDuplicate(
      const MinHashSignature& signature, double min_similarity) const;
  size_t size() const { return by_row_.size(); }
  //! Heap bytes held by the index.
  size_t MemoryBytes() const;

 private:
  RowIndex(MinHasher hasher, MinHashLsh lsh, uint64_t hash_key)
      : hasher_(std::move(hasher)), lsh_(std::move(lsh)), hash_key_(hash_key) {}
  uint64_t RowHash(const Hash32& row_id) const;
  uint32_t SlotOf(const Hash32& row_id) const;

  MinHasher hasher_;
  MinHashLsh lsh_;              // keyed by slot
  uint64_t hash_key_;           // per index, from std::random_device (see SlotTable)
  std::deque<Hash32> row_ids_;  // by slot; a deque, so growing never holds two copies
  std::vector<uint32_t> free_slots_;
  SlotTable by_row_;
};

struct RowVerdict {
  size_t file = 0;  //!< index into the contribution's files
  size_t line = 0;
  std::optional<Hash32> row_id;  //!< absent for rows the parser rejected
  bool accepted = false;
  std::string reason;  //!< empty when accepted
  std::string message;
  std::optional<Hash32> matches;  //!< duplicate / near-duplicate: the row matched
  double similarity = 0;
};

struct ValidationReport {
  std::vector<std::string> files;
  std::vector<RowVerdict> verdicts;
  size_t accepted = 0;
  size_t rejected = 0;
  double score = 0;
  //! Accepted rows in order (what the contribution would add).
  std::vector<Row> accepted_rows;
  //! The MinHash signature of each accepted row (same order), for adding them to the Datanet's
  //! index without hashing them again. Not part of the report's JSON or hash.
  std::vector<MinHashSignature> accepted_signatures;

  nlohmann::json ToJson() const;
  //! SHA-256 of ToJson().dump(): what contribution.submit commits to.
  Hash32 Hash() const;
};

//! Validates parsed files against `existing`. Does not modify `existing`.
Result<ValidationReport> Validate(const std::vector<ParsedFile>& files, const RowIndex& existing,
                                  const ValidationOptions& options = {});

}  // namespace tributary::datanet
