#include "tributary/datanet/validate.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <unordered_map>

#include "tributary/base/hash.h"
#include "tributary/base/parallel.h"
#include "tributary/base/unicode.h"

namespace tributary::datanet {
namespace {

using json = nlohmann::json;

// The code points of `s` (U+FFFD for each ill-formed part).
std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const DecodedCodePoint d = DecodeUtf8(s, i);
    out.push_back(d.cp);
    i += d.len;
  }
  return out;
}

// The first quality problem of a row's text, or nullopt.
std::optional<std::pair<std::string, std::string>> QualityProblem(const std::string& text,
                                                                  const ValidationOptions& o) {
  if (text.size() > o.max_row_bytes) {
    return std::make_pair("too_large", "row of " + std::to_string(text.size()) +
                                           " bytes exceeds the limit of " +
                                           std::to_string(o.max_row_bytes));
  }
  std::vector<uint32_t> cps = CodePoints(text);
  size_t visible = 0, textual = 0, run = 0, longest = 0;
  uint32_t prev = 0;
  for (uint32_t c : cps) {
    const bool space = u_isUWhiteSpace(static_cast<UChar32>(c));
    if (!space) ++visible;
    if (space || u_isalnum(static_cast<UChar32>(c)) || u_ispunct(static_cast<UChar32>(c)) ||
        u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK) {
      ++textual;
    }
    run = (c == prev) ? run + 1 : 1;
    prev = c;
    if (!space) longest = std::max(longest, run);
  }
  if (visible < o.min_chars) {
    return std::make_pair("too_short", "row has " + std::to_string(visible) +
                                           " visible characters; at least " +
                                           std::to_string(o.min_chars) + " are needed");
  }
  // Lines that repeat an earlier line (ignoring blank lines), for rows of 4+ lines.
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view l = rest.substr(0, nl);
    if (l.find_first_not_of(" \t") != std::string_view::npos) lines.push_back(l);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() >= 4) {
    std::set<std::string_view> seen;
    size_t repeats = 0;
    for (auto l : lines) repeats += !seen.insert(l).second;
    if (static_cast<double>(repeats) >
        o.max_repeated_line_fraction * static_cast<double>(lines.size())) {
      return std::make_pair("repeated_lines", std::to_string(repeats) + " of " +
                                                  std::to_string(lines.size()) +
                                                  " lines repeat an earlier line");
    }
  }
  if (longest > o.max_char_run) {
    return std::make_pair("repeated_characters",
                          "a run of " + std::to_string(longest) + " identical characters");
  }
  double fraction =
      cps.empty() ? 0 : static_cast<double>(textual) / static_cast<double>(cps.size());
  if (fraction < o.min_text_fraction) {
    return std::make_pair("not_text", "only " + std::to_string(static_cast<int>(fraction * 100)) +
                                          "% of the characters are text");
  }
  return std::nullopt;
}

std::string ShortId(const Hash32& h) { return ToHex(h).substr(0, 16); }

}  // namespace

Result<RowIndex> RowIndex::Create(const ValidationOptions& options) {
  if (!(options.near_duplicate_threshold > 0 && options.near_duplicate_threshold <= 1)) {
    return Status::InvalidArgument("near_duplicate_threshold must be in (0, 1]", "bad_options");
  }
  TRIB_ASSIGN_OR_RETURN(MinHasher hasher, MinHasher::Create());
  LshOptions lo;
  // Build the index well below the threshold: pairs at the threshold are then found with
  // high probability, and FindNearDuplicates filters by the estimate.
  lo.threshold = std::clamp(options.near_duplicate_threshold - 0.2, 0.3, 0.95);
  TRIB_ASSIGN_OR_RETURN(MinHashLsh lsh, MinHashLsh::Create(lo));
  std::random_device random;
  return RowIndex(std::move(hasher), std::move(lsh), uint64_t{random()} << 32 ^ random());
}

uint64_t RowIndex::RowHash(const Hash32& row_id) const {
  // Row ids are content hashes anyone can grind; the key keeps them from choosing positions.
  uint64_t prefix;
  std::memcpy(&prefix, row_id.data(), sizeof(prefix));
  return Mix64(prefix ^ hash_key_);
}

uint32_t RowIndex::SlotOf(const Hash32& row_id) const {
  uint32_t found = SlotTable::kEmpty;
  by_row_.Find(RowHash(row_id), [&](uint32_t slot) {
    if (row_ids_[slot] != row_id) return false;
    found = slot;
    return true;
  });
  return found;
}

Status RowIndex::Add(const Hash32& row_id, const MinHashSignature& signature) {
  if (Contains(row_id)) return Status::OK();
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
  } else {
    if (row_ids_.size() >= SlotTable::kEmpty - 1) {
      return Status::ResourceExhausted("the row index holds its maximum of 2^32 - 2 rows",
                                       "index_full");
    }
    slot = static_cast<uint32_t>(row_ids_.size());
  }
  TRIB_RETURN_IF_ERROR(lsh_.Insert(slot, signature));
  if (free_slots_.empty()) {
    row_ids_.push_back(row_id);
  } else {
    free_slots_.pop_back();
    row_ids_[slot] = row_id;
  }
  by_row_.Insert(slot, RowHash(row_id), [&](uint32_t s) { return RowHash(row_ids_[s]); });
  return Status::OK();
}

Status RowIndex::Remove(const Hash32& row_id) {
  const uint32_t slot = SlotOf(row_id);
  if (slot == SlotTable::kEmpty) return Status::OK();
  TRIB_RETURN_IF_ERROR(lsh_.Remove(slot));
  by_row_.Erase(slot, RowHash(row_id), [&](uint32_t s) { return RowHash(row_ids_[s]); });
  free_slots_.push_back(slot);
  return Status::OK();
}

size_t RowIndex::MemoryBytes() const {
  return lsh_.MemoryBytes() + row_ids_.size() * sizeof(Hash32) +
         free_slots_.capacity() * sizeof(uint32_t) + by_row_.MemoryBytes();
}

Result<std::optional<std::pair<Hash32, double>>> RowIndex::NearestDuplicate(
    const MinHashSignature& signature, double min_similarity) const {
  TRIB_ASSIGN_OR_RETURN(auto found, lsh_.FindNearDuplicates(signature, min_similarity));
  if (found.empty()) return std::optional<std::pair<Hash32, double>>();
  return std::optional<std::pair<Hash32, double>>(
      std::make_pair(row_ids_[found[0].id], found[0].similarity));
}

json ValidationReport::ToJson() const {
  json verdicts_json = json::array();
  for (const auto& v : verdicts) {
    json j = {{"file", v.file}, {"line", v.line}, {"accepted", v.accepted}};
    if (v.row_id) j["row"] = ToHex(*v.row_id);
    if (!v.accepted) {
      j["reason"] = v.reason;
      j["message"] = v.message;
    }
    if (v.matches) {
      j["matches"] = ToHex(*v.matches);
      j["similarity"] = v.similarity;
    }
    verdicts_json.push_back(std::move(j));
  }
  return {{"files", files},
          {"rows", verdicts_json},
          {"accepted", accepted},
          {"rejected", rejected},
          {"score", score}};
}

Hash32 ValidationReport::Hash() const { return Sha256(AsBytes(ToJson().dump())); }

Result<ValidationReport> Validate(const std::vector<ParsedFile>& files, const RowIndex& existing,
                                  const ValidationOptions& options) {
  TRIB_ASSIGN_OR_RETURN(RowIndex local, RowIndex::Create(options));
  ValidationReport report;
  std::set<Hash32> local_ids;
  for (size_t f = 0; f < files.size(); ++f) {
    const ParsedFile& file = files[f];
    report.files.push_back(file.name);
    // Parser rejections and rows, in line order.
    std::vector<RowVerdict> verdicts;
    for (const auto& r : file.rejected) {
      RowVerdict v;
      v.file = f;
      v.line = r.line;
      v.reason = r.reason;
      v.message = r.message;
      verdicts.push_back(std::move(v));
    }
    // Quality checks and signatures need no other row: both in parallel, before the verdicts
    // that depend on earlier rows. A row that fails quality is not signed.
    const size_t n = file.rows.size();
    std::vector<std::optional<std::pair<std::string, std::string>>> quality(n);
    std::vector<MinHashSignature> signatures(n);
    ParallelFor(n, 64, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        quality[i] = QualityProblem(file.rows[i].text, options);
        if (!quality[i]) signatures[i] = local.Sign(file.rows[i].text);
      }
    });
    for (size_t i = 0; i < n; ++i) {
      const Row& row = file.rows[i];
      RowVerdict v;
      v.file = f;
      v.line = row.line;
      v.row_id = row.id;
      if (const auto& q = quality[i]) {
        v.reason = q->first;
        v.message = q->second;
      } else if (local_ids.count(row.id)) {
        v.reason = "duplicate_in_contribution";
        v.message = "the same row appears earlier in this contribution";
        v.matches = row.id;
        v.similarity = 1;
      } else if (existing.Contains(row.id)) {
        v.reason = "duplicate_in_datanet";
        v.message = "the Datanet already holds or has pending this exact row";
        v.matches = row.id;
        v.similarity = 1;
      } else {
        // One signature per row, for both lookups and the adds that follow.
        MinHashSignature& signature = signatures[i];
        TRIB_ASSIGN_OR_RETURN(auto near_existing, existing.NearestDuplicate(
                                                      signature, options.near_duplicate_threshold));
        TRIB_ASSIGN_OR_RETURN(auto near_local,
                              local.NearestDuplicate(signature, options.near_duplicate_threshold));
        auto best = near_existing;
        bool in_contribution = false;
        if (near_local && (!best || near_local->second > best->second)) {
          best = near_local;
          in_contribution = true;
        }
        if (best) {
          v.reason = "near_duplicate";
          v.matches = best->first;
          v.similarity = best->second;
          v.message = "similar (" + std::to_string(static_cast<int>(best->second * 100)) +
                      "%) to row " + ShortId(best->first) +
                      (in_contribution ? " earlier in this contribution" : " in the Datanet");
        } else {
          v.accepted = true;
          TRIB_RETURN_IF_ERROR(local.Add(row.id, signature));
          local_ids.insert(row.id);
          report.accepted_rows.push_back(row);
          report.accepted_signatures.push_back(std::move(signature));
        }
      }
      verdicts.push_back(std::move(v));
    }
    std::stable_sort(verdicts.begin(), verdicts.end(),
                     [](const RowVerdict& a, const RowVerdict& b) { return a.line < b.line; });
    for (auto& v : verdicts) {
      (v.accepted ? report.accepted : report.rejected)++;
      report.verdicts.push_back(std::move(v));
    }
  }
  const size_t total = report.accepted + report.rejected;
  report.score = total == 0 ? 0 : static_cast<double>(report.accepted) / static_cast<double>(total);
  return report;
}

}  // namespace tributary::datanet
