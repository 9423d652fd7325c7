// Pre-tokenization: PCRE2 patterns (the reference uses Oniguruma) and the reference's Split,
// Digits and ByteLevel steps.

#include <algorithm>

#include "model/tokenizer-internal.h"

namespace tributary::model {

using nlohmann::json;
using namespace tokenizer_detail;

namespace tokenizer_detail {
namespace {

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

}  // namespace

Result<std::shared_ptr<const Regex>> Regex::Compile(std::string_view pattern, bool literal,
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

Regex::~Regex() { pcre2_code_free(code_); }

void Regex::FindAll(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const {
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

namespace {

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

}  // namespace

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

}  // namespace tokenizer_detail

std::string_view Gpt2Pattern() { return kGpt2Pattern; }
std::string_view Llama3Pattern() { return kLlama3Pattern; }

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

}  // namespace tributary::model
