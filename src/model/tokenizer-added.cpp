// Added tokens: where they are cut out of the text before the model sees it.

#include <unicode/uchar.h>

#include <algorithm>

#include "model/tokenizer-internal.h"

namespace tributary::model {

using nlohmann::json;
using namespace tokenizer_detail;

namespace tokenizer_detail {
namespace {

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

}  // namespace

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

}  // namespace tokenizer_detail

}  // namespace tributary::model
