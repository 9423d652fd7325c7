// Byte-level BPE tokenizer: loading tokenizer.json / tokenizer_config.json, encoding, decoding.
//
// The reference is Hugging Face `tokenizers` (Rust); comments name the places where this code
// follows one of its less obvious behaviours. Regexes are PCRE2 (the reference uses Oniguruma);
// NFC is ICU's (the reference uses the unicode-normalization crate).

#include "tributary/model/tokenizer.h"

#include "tributary/base/file_io.h"
#include "tributary/base/unicode.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace tributary::model {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Unicode White_Space, which is what `\s` means in the reference's Rust regexes (lstrip/rstrip).
bool IsWhiteSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Rust regex's Unicode `\w` (UTS #18): Alphabetic, marks, decimal digits, connector punctuation,
// Join_Control. Used for single_word added tokens.
bool IsWordChar(uint32_t c) {
  if (u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_ALPHABETIC)) return true;
  if (u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_JOIN_CONTROL)) return true;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_CONNECTOR_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

std::string Nfc(std::string_view s) { return NormalizeNfc(s); }

// ---------------------------------------------------------------------------------------------
// GPT-2 bytes_to_unicode

struct ByteTable {
  std::array<std::string, 256> chars;  // UTF-8 of the character standing for each byte
  std::array<int, 256> rank{};         // position in bytes_to_unicode order
  std::array<int16_t, 324> byte_of;    // code point (< 256 + 68) -> byte, -1 when none

  ByteTable() {
    byte_of.fill(-1);
    auto printable = [](int b) {
      return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    };
    int extra = 0, next_rank = 0;
    std::array<uint32_t, 256> cp{};
    for (int b = 0; b < 256; ++b) {
      cp[b] = printable(b) ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + extra++);
    }
    for (int b = 0; b < 256; ++b) {
      if (printable(b)) rank[b] = next_rank++;
    }
    for (int b = 0; b < 256; ++b) {
      if (!printable(b)) rank[b] = next_rank++;
    }
    for (int b = 0; b < 256; ++b) {
      AppendUtf8(cp[b], &chars[b]);
      byte_of[cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteTable& Table() {
  static const ByteTable table;
  return table;
}

// ---------------------------------------------------------------------------------------------
// PCRE2

// Per-thread JIT stack: the default 32 KiB machine stack is too small for long whitespace runs
// under patterns like \s+(?!\S).
struct MatchContext {
  pcre2_match_context* ctx = nullptr;
  pcre2_jit_stack* stack = nullptr;
  MatchContext() {
    ctx = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    if (ctx && stack) pcre2_jit_stack_assign(ctx, nullptr, stack);
  }
  ~MatchContext() {
    if (stack) pcre2_jit_stack_free(stack);
    if (ctx) pcre2_match_context_free(ctx);
  }
  MatchContext(const MatchContext&) = delete;
  MatchContext& operator=(const MatchContext&) = delete;
};

pcre2_match_context* ThreadMatchContext() {
  thread_local MatchContext context;
  return context.ctx;
}

// A compiled pattern, shared read-only between threads (PCRE2 code is immutable after JIT).
class Regex {
 public:
  static Result<std::shared_ptr<const Regex>> Compile(std::string_view pattern, bool literal,
                                                      std::string_view where) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    options |= literal ? PCRE2_LITERAL : PCRE2_UCP;  // PCRE2_LITERAL refuses PCRE2_UCP
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     options, &error, &offset, nullptr);
    if (code == nullptr) {
      std::array<PCRE2_UCHAR, 256> message{};
      pcre2_get_error_message(error, message.data(), message.size());
      return Status::InvalidArgument(std::string(where) + ": bad regex at offset " +
                                         std::to_string(offset) + ": " +
                                         reinterpret_cast<const char*>(message.data()),
                                     "bad_tokenizer");
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // without JIT support, the interpreter runs
    return std::shared_ptr<const Regex>(new Regex(code));
  }
  ~Regex() { pcre2_code_free(code_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Non-empty matches, left to right, non-overlapping, as (begin, end) byte offsets. A match the
  // engine cannot finish within its limits ends the search (the rest stays unmatched).
  void FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const {
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_, nullptr);
    if (md == nullptr) return;
    pcre2_match_context* ctx = ThreadMatchContext();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t pos = 0;
    while (pos <= text.size()) {
      int rc = pcre2_match(code_, subject, text.size(), pos, 0, md, ctx);
      if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
        rc = pcre2_match(code_, subject, text.size(), pos, PCRE2_NO_JIT, md, ctx);
      }
      if (rc < 0) break;
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
      const size_t begin = ov[0], end = ov[1];
      if (end > begin) {
        out->emplace_back(begin, end);
        pos = end;
      } else {
        if (begin >= text.size()) break;
        pos = begin + DecodeUtf8(text, begin).len;
      }
    }
    pcre2_match_data_free(md);
  }

 private:
  explicit Regex(pcre2_code* code) : code_(code) {}
  pcre2_code* code_;
};

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// ---------------------------------------------------------------------------------------------
// Pre-tokenizer

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct PreTokStep {
  enum class Kind { kSplit, kByteLevel } kind = Kind::kSplit;
  std::shared_ptr<const Regex> regex;  // Split/Digits pattern; ByteLevel: GPT-2 regex or null
  Behavior behavior = Behavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // ByteLevel
};

// The reference's NormalizedString::split: the pattern's matches and the gaps between them cover
// the text; the behaviour decides what becomes of the matches. Empty pieces are dropped.
void SplitPiece(std::string_view text, const Regex& regex, Behavior behavior, bool invert,
                std::vector<std::string>* out) {
  std::vector<std::pair<size_t, size_t>> found;
  regex.FindAll(text, &found);
  struct Span {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Span> spans;
  size_t prev = 0;
  for (auto [b, e] : found) {
    if (prev < b) spans.push_back({prev, b, invert});
    spans.push_back({b, e, !invert});
    prev = e;
  }
  if (prev < text.size()) spans.push_back({prev, text.size(), invert});

  std::vector<Span> kept;
  switch (behavior) {
    case Behavior::kIsolated:
      kept = spans;
      break;
    case Behavior::kRemoved:
      for (const Span& s : spans) {
        if (!s.is_match) kept.push_back(s);
      }
      break;
    case Behavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.is_match && !previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back(s);
        }
        previous_match = s.is_match;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty()) {
          kept.back().begin = it->begin;
        } else {
          kept.push_back(*it);
        }
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    }
    case Behavior::kContiguous: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.is_match == previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back(s);
        }
        previous_match = s.is_match;
      }
      break;
    }
  }
  for (const Span& s : kept) {
    if (s.end > s.begin) out->emplace_back(text.substr(s.begin, s.end - s.begin));
  }
}

void ApplyStep(const PreTokStep& step, std::string piece, std::vector<std::string>* out) {
  if (piece.empty()) return;
  if (step.kind == PreTokStep::Kind::kByteLevel) {
    // The reference prepends to every split that does not start with a space.
    if (step.add_prefix_space && piece[0] != ' ') piece.insert(piece.begin(), ' ');
    if (step.regex) {
      SplitPiece(piece, *step.regex, Behavior::kIsolated, false, out);
    } else {
      out->push_back(std::move(piece));
    }
    return;
  }
  SplitPiece(piece, *step.regex, step.behavior, step.invert, out);
}

// ---------------------------------------------------------------------------------------------
// Added tokens

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
                  std::vector<Segment>* out) {
  if (matcher.empty()) {
    if (!text.empty()) out->push_back({std::string(text), -1});
    return;
  }
  size_t start_offset = 0, search = 0, begin = 0, end = 0;
  while (const AddedToken* tok = matcher.Find(text, search, &begin, &end)) {
    search = end;
    // Skipped matches are consumed: the search goes on after them.
    if (tok->special && !allow_special) continue;
    if (tok->single_word) {
      const bool start_space = begin == 0 || !IsWordChar(DecodeUtf8Before(text, begin).cp);
      const bool stop_space = end == text.size() || !IsWordChar(DecodeUtf8(text, end).cp);
      if (!start_space || !stop_space) continue;
    }
    if (tok->lstrip) {
      size_t b = begin;
      while (b > start_offset) {
        const DecodedCodePoint prev = DecodeUtf8Before(text, b);
        if (!IsWhiteSpace(prev.cp)) break;
        b -= prev.len;
      }
      begin = std::max(b, start_offset);
    }
    if (tok->rstrip) {
      while (end < text.size()) {
        const DecodedCodePoint next = DecodeUtf8(text, end);
        if (!IsWhiteSpace(next.cp)) break;
        end += next.len;
      }
      search = end;
    }
    if (start_offset < begin)
      out->push_back({std::string(text.substr(start_offset, begin - start_offset)), -1});
    out->push_back({std::string(), tok->id});
    start_offset = end;
  }
  if (start_offset < text.size()) out->push_back({std::string(text.substr(start_offset)), -1});
}

// ---------------------------------------------------------------------------------------------
// Loading helpers

Status Bad(std::string_view file, std::string_view field, std::string_view problem) {
  return Status::InvalidArgument(
      std::string(file) + ": " + std::string(field) + ": " + std::string(problem), "bad_tokenizer");
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s.size() > 60 ? std::string(s.substr(0, 60)) + "..." : std::string(s);
  out += "'";
  return out;
}

std::string TypeName(const json& j) { return j.type_name(); }

Result<json> ParseJson(std::string_view text, std::string_view file) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string(file) + ": malformed JSON: " + e.what(),
                                   "bad_tokenizer");
  }
}

// Optional boolean field; `fallback` when absent or null.
Result<bool> GetBool(const json& obj, const char* key, bool fallback, std::string_view file,
                     const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return Bad(file, field + "." + key, "expected a boolean, got " + TypeName(*it));
  return it->get<bool>();
}

// A special token in tokenizer_config.json: a string, {"content": ...}, or null/absent ("").
Result<std::string> GetSpecialToken(const json& config, const char* key, std::string_view file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return c->get<std::string>();
  }
  return Bad(file, key,
             "expected a string or an object with a string \"content\", got " + TypeName(*it));
}

constexpr size_t kCacheMaxEntries = 1 << 16;
constexpr size_t kCacheMaxWordBytes = 256;

}  // namespace

// -----------------------------------------------------------------------------------------------
// Public UTF-8 / byte-level helpers

std::string_view Gpt2Pattern() { return kGpt2Pattern; }
std::string_view Llama3Pattern() { return kLlama3Pattern; }

std::string_view ByteLevelChar(uint8_t b) { return Table().chars[b]; }

int ByteLevelRank(uint8_t b) { return Table().rank[b]; }

std::string ByteLevelEncode(std::string_view bytes) {
  const ByteTable& t = Table();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out.append(t.chars[static_cast<uint8_t>(c)]);
  return out;
}

std::optional<std::string> ByteLevelDecode(std::string_view text) {
  const ByteTable& t = Table();
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (ScanUtf8(text, i).step != Utf8Step::kValid) return std::nullopt;
    const DecodedCodePoint d = DecodeUtf8(text, i);
    if (d.cp >= t.byte_of.size() || t.byte_of[d.cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(t.byte_of[d.cp]));
    i += d.len;
  }
  return out;
}

Result<std::vector<std::string>> PreTokenize(std::string_view text,
                                             ByteLevelTokenizerOptions::PreTokenizer kind) {
  // The steps the loader builds from the pre_tokenizer that WriteByteLevelTokenizer writes.
  using Steps = Result<std::vector<PreTokStep>>;
  static const Steps llama3 = []() -> Steps {
    PreTokStep split;
    TRIB_ASSIGN_OR_RETURN(split.regex, Regex::Compile(kLlama3Pattern, false, "Llama-3 pattern"));
    PreTokStep byte_level;
    byte_level.kind = PreTokStep::Kind::kByteLevel;
    return std::vector<PreTokStep>{std::move(split), std::move(byte_level)};
  }();
  static const Steps gpt2 = []() -> Steps {
    PreTokStep byte_level;
    byte_level.kind = PreTokStep::Kind::kByteLevel;
    TRIB_ASSIGN_OR_RETURN(byte_level.regex, Regex::Compile(kGpt2Pattern, false, "GPT-2 pattern"));
    return std::vector<PreTokStep>{std::move(byte_level)};
  }();
  const Steps& steps = kind == ByteLevelTokenizerOptions::PreTokenizer::kGpt2 ? gpt2 : llama3;
  if (!steps.ok()) return steps.status();
  std::vector<std::string> cur, next;
  cur.emplace_back(IsValidUtf8(text) ? std::string(text) : ReplaceInvalidUtf8(text));
  for (const PreTokStep& step : *steps) {
    next.clear();
    for (std::string& piece : cur) ApplyStep(step, std::move(piece), &next);
    cur.swap(next);
  }
  return cur;
}

// -----------------------------------------------------------------------------------------------
// Tokenizer::Impl

struct Tokenizer::Impl {
  // Model (BPE).
  std::unordered_map<std::string, int32_t> vocab;                    // byte-level strings
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;  // (a, b) -> (rank, new id)
  std::array<std::vector<int32_t>, 256> byte_symbols;  // initial symbols for each raw byte
  bool ignore_merges = false;

  // Added tokens.
  std::vector<AddedToken> added;  // stable: matchers point into it
  std::unordered_map<std::string, int32_t> added_by_content;
  AddedMatcher raw_matcher;         // normalized == false, matched on the raw text
  AddedMatcher normalized_matcher;  // normalized == true, matched on normalized pieces

  // Pipeline.
  bool nfc = false;
  std::vector<PreTokStep> steps;
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

  Status LoadModel(const json& model, std::string_view file);
  Status LoadAddedTokens(const json& list, std::string_view file);
  Status LoadNormalizer(const json& normalizer, std::string_view file, const std::string& field);
  Status LoadPreTokenizer(const json& pre, std::string_view file, const std::string& field,
                          bool top_level);
  Status LoadPostProcessor(const json& post, std::string_view file, const std::string& field);
  Status LoadDecoder(const json& decoder, std::string_view file);
  Status LoadConfig(const json& config, std::string_view file, const json& special_map,
                    std::string_view special_map_file, std::optional<std::string> extra_template);
  void BuildIdTables();

  std::vector<std::string> PreTokens(std::string_view text) const {
    std::vector<std::string> cur, next;
    cur.emplace_back(nfc ? Nfc(text) : std::string(text));
    for (const PreTokStep& step : steps) {
      next.clear();
      for (std::string& piece : cur) ApplyStep(step, std::move(piece), &next);
      cur.swap(next);
    }
    return cur;
  }

  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;
  void MergeWord(std::string_view word, std::vector<int32_t>* out) const;
};

void Tokenizer::Impl::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  if (word.empty()) return;
  if (ignore_merges) {
    auto it = vocab.find(ByteLevelEncode(word));
    if (it != vocab.end()) {
      out->push_back(it->second);
      return;
    }
  }
  if (word.size() <= kCacheMaxWordBytes) {
    {
      std::shared_lock lock(cache_mu);
      auto it = cache.find(std::string(word));
      if (it != cache.end()) {
        out->insert(out->end(), it->second.begin(), it->second.end());
        return;
      }
    }
    std::vector<int32_t> ids;
    MergeWord(word, &ids);
    out->insert(out->end(), ids.begin(), ids.end());
    std::unique_lock lock(cache_mu);
    if (cache.size() >= kCacheMaxEntries) cache.clear();
    cache.emplace(std::string(word), std::move(ids));
    return;
  }
  MergeWord(word, out);
}

// BPE over one pre-token: repeatedly apply the lowest-ranked merge, leftmost first on ties, as the
// reference's Word::merge_all does with its priority queue (dropout ignored).
void Tokenizer::Impl::MergeWord(std::string_view word, std::vector<int32_t>* out) const {
  std::vector<int32_t> sym;
  sym.reserve(word.size());
  for (char c : word) {
    const auto& ids = byte_symbols[static_cast<uint8_t>(c)];
    sym.insert(sym.end(), ids.begin(), ids.end());
  }
  const int n = static_cast<int>(sym.size());
  if (n <= 1 || merges.empty()) {
    out->insert(out->end(), sym.begin(), sym.end());
    return;
  }
  auto key = [](int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  };
  struct Cand {
    int32_t rank, pos, new_id;
  };
  auto later = [](const Cand& a, const Cand& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  };
  std::priority_queue<Cand, std::vector<Cand>, decltype(later)> heap(later);
  std::vector<int32_t> next(n), prev(n);
  std::vector<uint8_t> alive(n, 1);
  for (int i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  auto push = [&](int pos) {
    if (pos < 0 || next[pos] < 0) return;
    auto it = merges.find(key(sym[pos], sym[next[pos]]));
    if (it != merges.end()) heap.push({it->second.first, pos, it->second.second});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Cand top = heap.top();
    heap.pop();
    if (!alive[top.pos]) continue;
    const int nx = next[top.pos];
    if (nx < 0) continue;
    auto it = merges.find(key(sym[top.pos], sym[nx]));
    if (it == merges.end() || it->second.second != top.new_id) continue;  // stale
    sym[top.pos] = top.new_id;
    alive[nx] = 0;
    next[top.pos] = next[nx];
    if (next[nx] >= 0) prev[next[nx]] = top.pos;
    push(prev[top.pos]);
    push(top.pos);
  }
  for (int i = 0; i >= 0; i = next[i]) out->push_back(sym[i]);
}

// ----- loading

Status Tokenizer::Impl::LoadModel(const json& model, std::string_view file) {
  if (!model.is_object()) return Bad(file, "model", "expected an object, got " + TypeName(model));
  auto type = model.find("type");
  if (type != model.end() && !type->is_null()) {
    if (!type->is_string()) return Bad(file, "model.type", "expected a string");
    if (*type != "BPE") {
      return Bad(file, "model.type",
                 "unsupported model " + Quote(type->get<std::string>()) + " (only BPE)");
    }
  }
  auto v = model.find("vocab");
  if (v == model.end() || v->is_null()) return Bad(file, "model.vocab", "missing");
  if (!v->is_object()) {
    return Bad(file, "model.vocab", "expected an object of token -> id, got " + TypeName(*v));
  }
  vocab.reserve(v->size());
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX) {
      return Bad(file, "model.vocab[" + Quote(it.key()) + "]", "expected an id >= 0");
    }
    vocab.emplace(it.key(), static_cast<int32_t>(it.value().get<int64_t>()));
  }

  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto f = model.find(key);
    if (f != model.end() && !f->is_null() && !(f->is_string() && f->get<std::string>().empty())) {
      return Bad(file, std::string("model.") + key, "not supported for byte-level BPE");
    }
  }
  auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() && !dropout->is_number()) {
    return Bad(file, "model.dropout", "expected a number or null");
  }  // a dropout is ignored: inference encodes deterministically
  TRIB_ASSIGN_OR_RETURN(ignore_merges, GetBool(model, "ignore_merges", false, file, "model"));
  TRIB_ASSIGN_OR_RETURN(bool byte_fallback, GetBool(model, "byte_fallback", false, file, "model"));
  TRIB_ASSIGN_OR_RETURN(bool fuse_unk, GetBool(model, "fuse_unk", false, file, "model"));
  (void)fuse_unk;  // unknown bytes are validated away below; one unk per byte is what remains
  std::optional<int32_t> unk_id;
  auto unk = model.find("unk_token");
  if (unk != model.end() && !unk->is_null()) {
    if (!unk->is_string()) return Bad(file, "model.unk_token", "expected a string or null");
    auto it = vocab.find(unk->get<std::string>());
    if (it == vocab.end()) {
      return Bad(file, "model.unk_token",
                 Quote(unk->get<std::string>()) + " is not in model.vocab");
    }
    unk_id = it->second;
  }

  auto m = model.find("merges");
  if (m != model.end() && !m->is_null()) {
    if (!m->is_array()) return Bad(file, "model.merges", "expected an array, got " + TypeName(*m));
    merges.reserve(m->size());
    for (size_t rank = 0; rank < m->size(); ++rank) {
      const json& e = (*m)[rank];
      const std::string field = "model.merges[" + std::to_string(rank) + "]";
      std::string a, b;
      if (e.is_string()) {  // "a b": tokens cannot hold a space in this form
        const std::string& s = e.get_ref<const std::string&>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
          return Bad(file, field, "expected two tokens separated by one space, got " + Quote(s));
        }
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
        a = e[0].get<std::string>();
        b = e[1].get<std::string>();
      } else {
        return Bad(file, field, "expected \"a b\" or [\"a\", \"b\"], got " + e.dump());
      }
      auto ia = vocab.find(a), ib = vocab.find(b), ic = vocab.find(a + b);
      if (ia == vocab.end()) return Bad(file, field, Quote(a) + " is not in model.vocab");
      if (ib == vocab.end()) return Bad(file, field, Quote(b) + " is not in model.vocab");
      if (ic == vocab.end()) {
        return Bad(file, field, "merged token " + Quote(a + b) + " is not in model.vocab");
      }
      const uint64_t k = (static_cast<uint64_t>(static_cast<uint32_t>(ia->second)) << 32) |
                         static_cast<uint32_t>(ib->second);
      merges[k] = {static_cast<int32_t>(rank), ic->second};  // a later duplicate wins, as there
    }
  }

  // The symbols each raw byte starts as. A byte whose character is missing falls back to <0xNN>
  // tokens for that character's UTF-8 (the reference applies byte_fallback to the character the
  // model sees) or to unk_token; a byte with none of these is dropped from the input, as the
  // reference drops it. Real vocabularies do lack some: SmolLM2's has no token for 21 bytes (a
  // few control characters and bytes that never occur in UTF-8, such as 0xC0 and 0xF5-0xFF).
  for (int byte = 0; byte < 256; ++byte) {
    const std::string ch(ByteLevelChar(static_cast<uint8_t>(byte)));
    auto it = vocab.find(ch);
    auto& syms = byte_symbols[byte];
    if (it != vocab.end()) {
      syms = {it->second};
      continue;
    }
    if (byte_fallback) {
      std::vector<int32_t> ids;
      for (char c : ch) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<uint8_t>(c));
        auto f = vocab.find(name);
        if (f == vocab.end()) break;
        ids.push_back(f->second);
      }
      if (ids.size() == ch.size()) {
        syms = std::move(ids);
        continue;
      }
    }
    if (unk_id) {
      syms = {*unk_id};
      continue;
    }
    syms.clear();
  }
  return Status::OK();
}

Status Tokenizer::Impl::LoadAddedTokens(const json& list, std::string_view file) {
  if (list.is_null()) return Status::OK();
  if (!list.is_array())
    return Bad(file, "added_tokens", "expected an array, got " + TypeName(list));
  added.reserve(list.size());
  std::unordered_map<int32_t, std::string> by_id;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string field = "added_tokens[" + std::to_string(i) + "]";
    if (!e.is_object()) return Bad(file, field, "expected an object, got " + TypeName(e));
    AddedToken t;
    auto id = e.find("id");
    if (id == e.end() || !id->is_number_integer() || id->get<int64_t>() < 0 ||
        id->get<int64_t>() > INT32_MAX) {
      return Bad(file, field + ".id", "expected an id >= 0");
    }
    t.id = static_cast<int32_t>(id->get<int64_t>());
    auto content = e.find("content");
    if (content == e.end() || !content->is_string() || content->get<std::string>().empty()) {
      return Bad(file, field + ".content", "expected a non-empty string");
    }
    t.content = content->get<std::string>();
    TRIB_ASSIGN_OR_RETURN(t.special, GetBool(e, "special", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.single_word, GetBool(e, "single_word", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.lstrip, GetBool(e, "lstrip", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.rstrip, GetBool(e, "rstrip", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.normalized, GetBool(e, "normalized", !t.special, file, field));
    auto [it, fresh] = by_id.emplace(t.id, t.content);
    if (!fresh && it->second != t.content) {
      return Bad(file, field + ".id",
                 std::to_string(t.id) + " is already used by " + Quote(it->second));
    }
    if (!fresh) continue;
    if (added_by_content.count(t.content)) {
      return Bad(file, field + ".content", Quote(t.content) + " is listed twice with other ids");
    }
    added_by_content.emplace(t.content, t.id);
    added.push_back(std::move(t));
  }
  return Status::OK();
}

Status Tokenizer::Impl::LoadNormalizer(const json& n, std::string_view file,
                                       const std::string& field) {
  if (n.is_null()) return Status::OK();
  if (!n.is_object() || !n.contains("type") || !n["type"].is_string()) {
    return Bad(file, field, "expected null or an object with a \"type\"");
  }
  const std::string type = n["type"];
  if (type == "NFC") {
    nfc = true;
    return Status::OK();
  }
  if (type == "Sequence") {
    auto list = n.find("normalizers");
    if (list == n.end() || !list->is_array()) {
      return Bad(file, field + ".normalizers", "expected an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      TRIB_RETURN_IF_ERROR(
          LoadNormalizer((*list)[i], file, field + ".normalizers[" + std::to_string(i) + "]"));
    }
    return Status::OK();
  }
  return Bad(file, field + ".type", "unsupported normalizer " + Quote(type) + " (null or NFC)");
}

Status Tokenizer::Impl::LoadPreTokenizer(const json& p, std::string_view file,
                                         const std::string& field, bool top_level) {
  if (p.is_null()) return Bad(file, field, "missing (byte-level BPE needs a ByteLevel step)");
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
    return Bad(file, field, "expected an object with a \"type\"");
  }
  const std::string type = p["type"];
  if (type == "Sequence" && top_level) {
    auto list = p.find("pretokenizers");
    if (list == p.end() || !list->is_array()) {
      return Bad(file, field + ".pretokenizers", "expected an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      TRIB_RETURN_IF_ERROR(LoadPreTokenizer(
          (*list)[i], file, field + ".pretokenizers[" + std::to_string(i) + "]", false));
    }
  } else if (type == "ByteLevel") {
    PreTokStep step;
    step.kind = PreTokStep::Kind::kByteLevel;
    TRIB_ASSIGN_OR_RETURN(step.add_prefix_space, GetBool(p, "add_prefix_space", true, file, field));
    TRIB_ASSIGN_OR_RETURN(bool use_regex, GetBool(p, "use_regex", true, file, field));
    if (use_regex) {
      TRIB_ASSIGN_OR_RETURN(step.regex, Regex::Compile(kGpt2Pattern, false, field));
    }
    steps.push_back(std::move(step));
  } else if (type == "Split") {
    PreTokStep step;
    auto pattern = p.find("pattern");
    if (pattern == p.end() || !pattern->is_object()) {
      return Bad(file, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    }
    if (pattern->contains("Regex") && (*pattern)["Regex"].is_string()) {
      TRIB_ASSIGN_OR_RETURN(step.regex,
                            Regex::Compile((*pattern)["Regex"].get<std::string>(), false,
                                           std::string(file) + ": " + field + ".pattern.Regex"));
    } else if (pattern->contains("String") && (*pattern)["String"].is_string()) {
      const std::string s = (*pattern)["String"];
      if (s.empty()) return Bad(file, field + ".pattern.String", "empty");
      TRIB_ASSIGN_OR_RETURN(step.regex, Regex::Compile(s, true, field));
    } else {
      return Bad(file, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    }
    auto behavior = p.find("behavior");
    if (behavior == p.end() || !behavior->is_string()) {
      return Bad(file, field + ".behavior", "expected a string");
    }
    static const std::pair<const char*, Behavior> kBehaviors[] = {
        {"Removed", Behavior::kRemoved},
        {"Isolated", Behavior::kIsolated},
        {"MergedWithPrevious", Behavior::kMergedWithPrevious},
        {"MergedWithNext", Behavior::kMergedWithNext},
        {"Contiguous", Behavior::kContiguous}};
    bool found = false;
    for (const auto& [name, b] : kBehaviors) {
      if (*behavior == name) {
        step.behavior = b;
        found = true;
      }
    }
    if (!found) {
      return Bad(file, field + ".behavior",
                 "unknown behavior " + Quote(behavior->get<std::string>()));
    }
    TRIB_ASSIGN_OR_RETURN(step.invert, GetBool(p, "invert", false, file, field));
    steps.push_back(std::move(step));
  } else if (type == "Digits") {
    PreTokStep step;
    TRIB_ASSIGN_OR_RETURN(bool individual, GetBool(p, "individual_digits", false, file, field));
    TRIB_ASSIGN_OR_RETURN(step.regex, Regex::Compile(R"(\p{N})", false, field));
    step.behavior = individual ? Behavior::kIsolated : Behavior::kContiguous;
    steps.push_back(std::move(step));
  } else {
    return Bad(file, field + ".type",
               "unsupported pre-tokenizer " + Quote(type) +
                   " (ByteLevel, Split, Digits, or a Sequence of them ending in ByteLevel)");
  }
  if (top_level) {
    if (steps.empty() || steps.back().kind != PreTokStep::Kind::kByteLevel) {
      return Bad(file, field, "byte-level BPE needs a ByteLevel pre-tokenizer as the last step");
    }
    for (size_t i = 0; i + 1 < steps.size(); ++i) {
      if (steps[i].kind == PreTokStep::Kind::kByteLevel) {
        return Bad(file, field, "ByteLevel must be the last pre-tokenizer step");
      }
    }
  }
  return Status::OK();
}

Status Tokenizer::Impl::LoadPostProcessor(const json& p, std::string_view file,
                                          const std::string& field) {
  if (p.is_null()) return Status::OK();
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
    return Bad(file, field, "expected null or an object with a \"type\"");
  }
  const std::string type = p["type"];
  if (type == "ByteLevel") return Status::OK();  // offsets only
  if (type == "Sequence") {
    auto list = p.find("processors");
    if (list == p.end() || !list->is_array()) {
      return Bad(file, field + ".processors", "expected an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      TRIB_RETURN_IF_ERROR(
          LoadPostProcessor((*list)[i], file, field + ".processors[" + std::to_string(i) + "]"));
    }
    return Status::OK();
  }
  if (type != "TemplateProcessing") {
    return Bad(file, field + ".type",
               "unsupported post-processor " + Quote(type) +
                   " (ByteLevel, TemplateProcessing or a Sequence of them)");
  }
  if (!prefix.empty() || !suffix.empty()) {
    return Bad(file, field, "more than one TemplateProcessing");
  }
  auto single = p.find("single");
  if (single == p.end() || !single->is_array())
    return Bad(file, field + ".single", "expected an array");
  auto specials = p.find("special_tokens");
  bool seen_a = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const json& item = (*single)[i];
    const std::string f = field + ".single[" + std::to_string(i) + "]";
    if (item.contains("Sequence")) {
      const json& s = item["Sequence"];
      if (!s.is_object() || s.value("id", "") != "A" || seen_a) {
        return Bad(file, f, "expected the one sequence \"A\"");
      }
      seen_a = true;
    } else if (item.contains("SpecialToken") && item["SpecialToken"].is_object() &&
               item["SpecialToken"].contains("id") && item["SpecialToken"]["id"].is_string()) {
      const std::string name = item["SpecialToken"]["id"];
      std::vector<int32_t> ids;
      if (specials != p.end() && specials->is_object() && specials->contains(name)) {
        const json& entry = (*specials)[name];
        if (!entry.contains("ids") || !entry["ids"].is_array()) {
          return Bad(file, field + ".special_tokens[" + Quote(name) + "].ids", "expected an array");
        }
        for (const json& id : entry["ids"]) {
          if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
            return Bad(file, field + ".special_tokens[" + Quote(name) + "].ids", "bad id");
          }
          ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
        }
      } else {
        return Bad(file, f, Quote(name) + " is not in " + field + ".special_tokens");
      }
      auto& dst = seen_a ? suffix : prefix;
      dst.insert(dst.end(), ids.begin(), ids.end());
    } else {
      return Bad(file, f, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    }
  }
  if (!seen_a) return Bad(file, field + ".single", "no sequence \"A\"");
  return Status::OK();
}

Status Tokenizer::Impl::LoadDecoder(const json& d, std::string_view file) {
  if (d.is_null()) return Bad(file, "decoder", "missing (byte-level BPE needs ByteLevel)");
  if (!d.is_object() || !d.contains("type") || !d["type"].is_string()) {
    return Bad(file, "decoder", "expected an object with a \"type\"");
  }
  if (d["type"] != "ByteLevel") {
    return Bad(file, "decoder.type",
               "unsupported decoder " + Quote(d["type"].get<std::string>()) + " (only ByteLevel)");
  }
  return Status::OK();
}

void Tokenizer::Impl::BuildIdTables() {
  int32_t max_id = -1;
  for (const auto& [tok, id] : vocab) max_id = std::max(max_id, id);
  for (const AddedToken& t : added) max_id = std::max(max_id, t.id);
  size = max_id + 1;
  token.assign(size, std::string());
  known.assign(size, 0);
  special.assign(size, 0);
  // Model entries; with duplicate ids the smallest string wins, so the result is deterministic.
  for (const auto& [tok, id] : vocab) {
    if (!known[id] || tok < token[id]) token[id] = tok;
    known[id] = 1;
  }
  for (const AddedToken& t : added) {  // added tokens win, as in the reference's id_to_token
    token[t.id] = t.content;
    known[t.id] = 1;
  }
  std::unordered_set<std::string> special_contents;
  for (const AddedToken& t : added) {
    if (t.special) special_contents.insert(t.content);
  }
  bytes.assign(size, std::string());
  for (int32_t id = 0; id < size; ++id) {
    if (!known[id]) continue;
    // The reference skips by content: any id whose string is a special token's is special.
    special[id] = special_contents.count(token[id]) ? 1 : 0;
    // ByteLevel decoder: a token whose characters are all in the byte alphabet becomes those
    // bytes; any other token is kept as its UTF-8 text.
    std::optional<std::string> raw = ByteLevelDecode(token[id]);
    bytes[id] = raw ? std::move(*raw) : token[id];
  }
  for (const AddedToken& t : added) {
    if (t.normalized) {
      normalized_matcher.Add(nfc ? Nfc(t.content) : t.content, &t);
    } else {
      raw_matcher.Add(t.content, &t);
    }
  }
  raw_matcher.Finish();
  normalized_matcher.Finish();
}

Status Tokenizer::Impl::LoadConfig(const json& config, std::string_view file,
                                   const json& special_map, std::string_view special_map_file,
                                   std::optional<std::string> extra_template) {
  if (!config.is_object()) return Bad(file, "(top level)", "expected an object");
  if (!special_map.is_null() && !special_map.is_object()) {
    return Bad(special_map_file, "(top level)", "expected an object");
  }
  std::string pad_token;
  // As transformers: special_tokens_map.json, when present, overrides tokenizer_config.json.
  auto read = [&](const char* key, std::string* out, std::optional<int32_t>* id) -> Status {
    std::string_view from = file;
    TRIB_ASSIGN_OR_RETURN(*out, GetSpecialToken(config, key, file));
    if (special_map.is_object() && special_map.contains(key) && !special_map[key].is_null()) {
      from = special_map_file;
      TRIB_ASSIGN_OR_RETURN(*out, GetSpecialToken(special_map, key, special_map_file));
    }
    if (out->empty()) return Status::OK();
    auto it = added_by_content.find(*out);
    if (it != added_by_content.end()) {
      *id = it->second;
      return Status::OK();
    }
    auto v = vocab.find(*out);
    if (v == vocab.end()) return Bad(from, key, Quote(*out) + " is not in the vocabulary");
    *id = v->second;
    return Status::OK();
  };
  TRIB_RETURN_IF_ERROR(read("bos_token", &bos_token, &bos_id));
  TRIB_RETURN_IF_ERROR(read("eos_token", &eos_token, &eos_id));
  TRIB_RETURN_IF_ERROR(read("pad_token", &pad_token, &pad_id));

  std::optional<std::string> source = std::move(extra_template);
  auto t = config.find("chat_template");
  if (t != config.end() && !t->is_null()) {
    if (t->is_string()) {
      source = t->get<std::string>();
    } else if (t->is_array()) {  // [{"name": ..., "template": ...}]: the "default" one
      for (const json& e : *t) {
        if (e.is_object() && e.value("name", "") == "default" && e.contains("template") &&
            e["template"].is_string()) {
          source = e["template"].get<std::string>();
        }
      }
      if (!source) return Bad(file, "chat_template", "no template named \"default\"");
    } else {
      return Bad(file, "chat_template", "expected a string or a list of named templates");
    }
  }
  if (source) {
    has_template = true;
    auto parsed = ChatTemplate::Parse(*source, bos_token);
    if (parsed.ok()) {
      chat_template = std::move(parsed).value();
    } else {
      template_status = parsed.status().WithContext(std::string(file) + ": chat_template");
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<Tokenizer::Impl>> Tokenizer::Impl::Load(
    std::string_view tokenizer_text, std::string_view tokenizer_file, std::string_view config_text,
    std::string_view config_file, std::optional<std::string> extra_template,
    std::string_view special_map_text, std::string_view special_map_file) {
  auto impl = std::make_unique<Impl>();
  TRIB_ASSIGN_OR_RETURN(json root, ParseJson(tokenizer_text, tokenizer_file));
  if (!root.is_object()) return Bad(tokenizer_file, "(top level)", "expected an object");
  auto model = root.find("model");
  if (model == root.end()) return Bad(tokenizer_file, "model", "missing");
  TRIB_RETURN_IF_ERROR(impl->LoadModel(*model, tokenizer_file));
  TRIB_RETURN_IF_ERROR(impl->LoadAddedTokens(root.value("added_tokens", json()), tokenizer_file));
  TRIB_RETURN_IF_ERROR(
      impl->LoadNormalizer(root.value("normalizer", json()), tokenizer_file, "normalizer"));
  TRIB_RETURN_IF_ERROR(impl->LoadPreTokenizer(root.value("pre_tokenizer", json()), tokenizer_file,
                                              "pre_tokenizer", true));
  TRIB_RETURN_IF_ERROR(impl->LoadPostProcessor(root.value("post_processor", json()), tokenizer_file,
                                               "post_processor"));
  TRIB_RETURN_IF_ERROR(impl->LoadDecoder(root.value("decoder", json()), tokenizer_file));
  impl->BuildIdTables();

  if (!config_text.empty() || extra_template || !special_map_text.empty()) {
    json config = json::object();
    if (!config_text.empty()) {
      TRIB_ASSIGN_OR_RETURN(config, ParseJson(config_text, config_file));
    }
    json special_map;
    if (!special_map_text.empty()) {
      TRIB_ASSIGN_OR_RETURN(special_map, ParseJson(special_map_text, special_map_file));
    }
    TRIB_RETURN_IF_ERROR(impl->LoadConfig(config, config_file, special_map, special_map_file,
                                          std::move(extra_template)));
  }
  return impl;
}

// -----------------------------------------------------------------------------------------------
// Tokenizer

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::FromJson(std::string_view tokenizer_json,
                                      std::string_view config_json) {
  try {
    TRIB_ASSIGN_OR_RETURN(auto impl, Impl::Load(tokenizer_json, "tokenizer.json", config_json,
                                                "tokenizer_config.json", std::nullopt));
    return Tokenizer(std::move(impl));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("tokenizer: ") + e.what());
  }
}

Result<Tokenizer> Tokenizer::FromFiles(const std::filesystem::path& tokenizer_json,
                                       const std::optional<std::filesystem::path>& config_json) {
  try {
    TRIB_ASSIGN_OR_RETURN(std::string text, ReadFile(tokenizer_json));
    std::string config;
    if (config_json) {
      TRIB_ASSIGN_OR_RETURN(config, ReadFile(*config_json));
      if (config.empty()) config = "{}";
    }
    TRIB_ASSIGN_OR_RETURN(auto impl,
                          Impl::Load(text, tokenizer_json.string(), config,
                                     config_json ? config_json->string() : "", std::nullopt));
    return Tokenizer(std::move(impl));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("tokenizer: ") + e.what());
  }
}

Result<Tokenizer> Tokenizer::FromDirectory(const std::filesystem::path& dir) {
  try {
    const auto tok_path = dir / "tokenizer.json";
    const auto config_path = dir / "tokenizer_config.json";
    const auto template_path = dir / "chat_template.jinja";
    const auto special_map_path = dir / "special_tokens_map.json";
    TRIB_ASSIGN_OR_RETURN(std::string text, ReadFile(tok_path));
    std::string config;
    std::error_code ec;
    if (std::filesystem::exists(config_path, ec)) {
      TRIB_ASSIGN_OR_RETURN(config, ReadFile(config_path));
      if (config.empty()) config = "{}";
    }
    std::optional<std::string> extra;
    if (std::filesystem::exists(template_path, ec)) {
      TRIB_ASSIGN_OR_RETURN(extra, ReadFile(template_path));
    }
    std::string special_map;
    if (std::filesystem::exists(special_map_path, ec)) {
      TRIB_ASSIGN_OR_RETURN(special_map, ReadFile(special_map_path));
    }
    TRIB_ASSIGN_OR_RETURN(auto impl,
                          Impl::Load(text, tok_path.string(), config, config_path.string(),
                                     std::move(extra), special_map, special_map_path.string()));
    return Tokenizer(std::move(impl));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("tokenizer: ") + e.what());
  }
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool allow_special,
                                       bool add_special_tokens) const {
  const Impl& m = *impl_;
  std::string cleaned;
  if (!IsValidUtf8(text)) {
    cleaned = ReplaceInvalidUtf8(text);
    text = cleaned;
  }
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special_tokens) out.insert(out.end(), m.prefix.begin(), m.prefix.end());

  std::vector<Segment> first;
  ExtractAdded(text, m.raw_matcher, allow_special, &first);
  std::vector<Segment> second;
  for (Segment& seg : first) {
    if (seg.id >= 0) {
      out.push_back(seg.id);
      continue;
    }
    second.clear();
    const std::string normalized = m.nfc ? Nfc(seg.text) : std::move(seg.text);
    ExtractAdded(normalized, m.normalized_matcher, allow_special, &second);
    for (Segment& piece : second) {
      if (piece.id >= 0) {
        out.push_back(piece.id);
        continue;
      }
      std::vector<std::string> cur{std::move(piece.text)}, next;
      for (const PreTokStep& step : m.steps) {
        next.clear();
        for (std::string& p : cur) ApplyStep(step, std::move(p), &next);
        cur.swap(next);
      }
      for (const std::string& word : cur) m.EncodeWord(word, &out);
    }
  }
  if (add_special_tokens) out.insert(out.end(), m.suffix.begin(), m.suffix.end());
  return out;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  const Impl& m = *impl_;
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || id >= m.size || !m.known[id]) continue;
    if (skip_special && m.special[id]) continue;
    out.append(m.bytes[id]);
  }
  return out;
}

std::vector<std::string> Tokenizer::PreTokenize(std::string_view text) const {
  std::string cleaned;
  if (!IsValidUtf8(text)) {
    cleaned = ReplaceInvalidUtf8(text);
    text = cleaned;
  }
  return impl_->PreTokens(text);
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  const std::string key(token);
  auto a = impl_->added_by_content.find(key);
  if (a != impl_->added_by_content.end()) return a->second;
  auto v = impl_->vocab.find(key);
  if (v != impl_->vocab.end()) return v->second;
  return std::nullopt;
}

std::optional<std::string_view> Tokenizer::IdToToken(int32_t id) const {
  if (id < 0 || id >= impl_->size || !impl_->known[id]) return std::nullopt;
  return std::string_view(impl_->token[id]);
}

std::string_view Tokenizer::TokenBytes(int32_t id) const {
  if (id < 0 || id >= impl_->size || !impl_->known[id]) return {};
  return impl_->bytes[id];
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && id < impl_->size && impl_->special[id] != 0;
}

int32_t Tokenizer::vocab_size() const { return impl_->size; }
std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos_id; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos_id; }
std::optional<int32_t> Tokenizer::pad_id() const { return impl_->pad_id; }
const std::string& Tokenizer::bos_token() const { return impl_->bos_token; }
const std::string& Tokenizer::eos_token() const { return impl_->eos_token; }
bool Tokenizer::has_chat_template() const { return impl_->has_template; }

Result<std::string> Tokenizer::ApplyChatTemplate(std::span<const ChatMessage> messages,
                                                 const ChatTemplateOptions& options) const {
  if (!impl_->has_template) {
    return Status::FailedPrecondition("tokenizer_config.json has no chat_template",
                                      "no_chat_template");
  }
  if (!impl_->chat_template) return impl_->template_status;
  return impl_->chat_template->Render(messages, options);
}

// -----------------------------------------------------------------------------------------------
// TokenStreamDecoder

std::string TokenStreamDecoder::Put(int32_t id) {
  if (skip_special_ && tokenizer_->IsSpecial(id)) return {};
  pending_.append(tokenizer_->TokenBytes(id));
  std::string out;
  size_t i = 0;
  while (i < pending_.size()) {
    const Utf8Scan scan = ScanUtf8(pending_, i);
    if (scan.step == Utf8Step::kIncomplete) break;
    if (scan.step == Utf8Step::kValid) {
      out.append(pending_, i, scan.len);
    } else {
      out.append(kReplacement);
    }
    i += scan.len;
  }
  pending_.erase(0, i);
  return out;
}

std::string TokenStreamDecoder::Flush() {
  std::string out = ReplaceInvalidUtf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace tributary::model
