// Internal to the model library: the pieces of the byte-level BPE tokenizer that its source files
// share (tokenizer-byte-level.cpp, -pretokenize, -added, -load, -bpe and tokenizer.cpp), and
// Tokenizer::Impl itself. The reference is Hugging Face `tokenizers` (Rust); comments name the
// places where this code follows one of its less obvious behaviours.
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/base/unicode.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model::tokenizer_detail {

// ---- GPT-2 bytes_to_unicode (tokenizer-byte-level.cpp)

struct ByteTable {
  std::array<std::string, 256> chars;  // UTF-8 of the character standing for each byte
  std::array<int, 256> rank{};         // position in bytes_to_unicode order
  std::array<int16_t, 324> byte_of;    // code point (< 256 + 68) -> byte, -1 when none
  ByteTable();
};
const ByteTable& Table();

// ---- PCRE2 (tokenizer-pretokenize.cpp)

// A compiled pattern, shared read-only between threads (PCRE2 code is immutable after JIT).
// Regexes are PCRE2 (the reference uses Oniguruma).
class Regex {
 public:
  static Result<std::shared_ptr<const Regex>> Compile(std::string_view pattern, bool literal,
                                                      std::string_view where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Non-empty matches, left to right, non-overlapping, as (begin, end) byte offsets. A match the
  // engine cannot finish within its limits ends the search (the rest stays unmatched).
  void FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const;

 private:
  explicit Regex(pcre2_code* code) : code_(code) {}
  pcre2_code* code_;
};

inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// ---- Pre-tokenizer (tokenizer-pretokenize.cpp)

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct PreTokStep {
  enum class Kind { kSplit, kByteLevel } kind = Kind::kSplit;
  std::shared_ptr<const Regex> regex;  // Split/Digits pattern; ByteLevel: GPT-2 regex or null
  Behavior behavior = Behavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // ByteLevel
};

// Appends what `step` makes of `piece` to `out`.
void ApplyStep(const PreTokStep& step, std::string piece, std::vector<std::string>* out);

// ---- Added tokens (tokenizer-added.cpp)

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
};

// Leftmost-longest literal matching over one set of added tokens, like the reference's
// Aho-Corasick automaton with MatchKind::LeftmostLongest: candidates are indexed by first byte and
// tried longest first.
class AddedMatcher {
 public:
  void Add(std::string pattern, const AddedToken* token) {
    if (pattern.empty()) return;
    const auto first = static_cast<uint8_t>(pattern[0]);
    by_first_[first].push_back({std::move(pattern), token});
    empty_ = false;
  }
  void Finish() {
    for (auto& list : by_first_) {
      std::stable_sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
        return a.pattern.size() > b.pattern.size();
      });
    }
  }
  bool empty() const { return empty_; }

  // Leftmost-longest match at or after `from`: sets begin/end and returns the token.
  const AddedToken* Find(std::string_view text, size_t from, size_t* begin, size_t* end) const {
    for (size_t i = from; i < text.size(); ++i) {
      const auto& list = by_first_[static_cast<uint8_t>(text[i])];
      for (const Entry& e : list) {
        if (text.size() - i >= e.pattern.size() &&
            text.compare(i, e.pattern.size(), e.pattern) == 0) {
          *begin = i;
          *end = i + e.pattern.size();
          return e.token;
        }
      }
    }
    return nullptr;
  }

 private:
  struct Entry {
    std::string pattern;
    const AddedToken* token;
  };
  std::array<std::vector<Entry>, 256> by_first_;
  bool empty_ = true;
};

// A piece of the input after added-token extraction: text, or the id of an added token.
struct Segment {
  std::string text;
  int32_t id = -1;  // >= 0: an added token
};

// The reference's AddedVocabulary::find_matches for one piece.
void ExtractAdded(std::string_view text, const AddedMatcher& matcher, bool allow_special,
                  std::vector<Segment>* out);

// ---- Loading helpers (tokenizer-load.cpp)

Status Bad(std::string_view file, std::string_view field, std::string_view problem);
std::string Quote(std::string_view s);
std::string TypeName(const nlohmann::json& j);
Result<nlohmann::json> ParseJson(std::string_view text, std::string_view file);
// Optional boolean field; `fallback` when absent or null.
Result<bool> GetBool(const nlohmann::json& obj, const char* key, bool fallback,
                     std::string_view file, const std::string& field);
// A special token in tokenizer_config.json: a string, {"content": ...}, or null/absent ("").
Result<std::string> GetSpecialToken(const nlohmann::json& config, const char* key,
                                    std::string_view file);

}  // namespace tributary::model::tokenizer_detail

namespace tributary::model {

struct Tokenizer::Impl {
  // Model (BPE).
  std::unordered_map<std::string, int32_t> vocab;                    // byte-level strings
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;  // (a, b) -> (rank, new id)
  std::array<std::vector<int32_t>, 256> byte_symbols;  // initial symbols for each raw byte
  bool ignore_merges = false;

  // Added tokens.
  std::vector<tokenizer_detail::AddedToken> added;  // stable: matchers point into it
  std::unordered_map<std::string, int32_t> added_by_content;
  tokenizer_detail::AddedMatcher raw_matcher;  // normalized == false, matched on the raw text
  tokenizer_detail::AddedMatcher
      normalized_matcher;  // normalized == true, matched on normalized pieces

  // Pipeline.
  bool nfc = false;
  std::vector<tokenizer_detail::PreTokStep> steps;
  std::vector<int32_t> prefix, suffix;  // post_processor, single sequence

  // Per id.
  int32_t size = 0;
  std::vector<std::string> token;  // vocabulary string (added tokens: content)
  std::vector<std::string> bytes;  // what Decode writes
  std::vector<uint8_t> known, special;

  // tokenizer_config.json.
  std::string bos_token, eos_token;
  std::optional<int32_t> bos_id, eos_id, pad_id;
  bool has_template = false;
  std::optional<ChatTemplate> chat_template;
  Status template_status;

  // Merge cache.
  mutable std::shared_mutex cache_mu;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;

  static Result<std::unique_ptr<Impl>> Load(std::string_view tokenizer_text,
                                            std::string_view tokenizer_file,
                                            std::string_view config_text,
                                            std::string_view config_file,
                                            std::optional<std::string> extra_template,
                                            std::string_view special_map_text = {},
                                            std::string_view special_map_file = {});

  Status LoadModel(const nlohmann::json& model, std::string_view file);
  Status LoadAddedTokens(const nlohmann::json& list, std::string_view file);
  Status LoadNormalizer(const nlohmann::json& normalizer, std::string_view file,
                        const std::string& field);
  Status LoadPreTokenizer(const nlohmann::json& pre, std::string_view file,
                          const std::string& field, bool top_level);
  Status LoadPostProcessor(const nlohmann::json& post, std::string_view file,
                           const std::string& field);
  Status LoadDecoder(const nlohmann::json& decoder, std::string_view file);
  Status LoadConfig(const nlohmann::json& config, std::string_view file,
                    const nlohmann::json& special_map, std::string_view special_map_file,
                    std::optional<std::string> extra_template);
  void BuildIdTables();

  std::vector<std::string> PreTokens(std::string_view text) const {
    std::vector<std::string> cur, next;
    cur.emplace_back(nfc ? NormalizeNfc(text) : std::string(text));
    for (const tokenizer_detail::PreTokStep& step : steps) {
      next.clear();
      for (std::string& piece : cur) tokenizer_detail::ApplyStep(step, std::move(piece), &next);
      cur.swap(next);
    }
    return cur;
  }

  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;
  void MergeWord(std::string_view word, std::vector<int32_t>* out) const;
};

}  // namespace tributary::model
