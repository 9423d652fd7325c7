#include "tributary/base/unicode.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

namespace tributary {

// One step of a UTF-8 decoder at s[i] that follows the Unicode "maximal subpart" practice (the one
// Python and Rust use for replacement): an ill-formed sequence is replaced up to the first byte
// that cannot continue it.
Utf8Scan ScanUtf8(std::string_view s, size_t i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) return {Utf8Step::kValid, 1};
  size_t need = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // at most U+10FFFF
  } else {
    return {Utf8Step::kInvalid, 1};  // continuation byte, C0, C1, F5..FF
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return {Utf8Step::kIncomplete, k};
    const auto b = static_cast<uint8_t>(s[i + k]);
    const uint8_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return {Utf8Step::kInvalid, k};
  }
  return {Utf8Step::kValid, need + 1};
}

std::optional<size_t> FirstInvalidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<uint8_t>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    const Utf8Scan scan = ScanUtf8(bytes, i);
    if (scan.step != Utf8Step::kValid) return i;
    i += scan.len;
  }
  return std::nullopt;
}

bool IsValidUtf8(std::string_view bytes) { return !FirstInvalidUtf8(bytes).has_value(); }

std::string ReplaceInvalidUtf8(std::string_view bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    const Utf8Scan scan = ScanUtf8(bytes, i);
    if (scan.step == Utf8Step::kValid) {
      out.append(bytes.substr(i, scan.len));
    } else {
      out.append(kReplacement);
    }
    i += scan.len;
  }
  return out;
}

std::string NormalizeNfc(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<uint8_t>(c) < 0x80;
  if (ascii) return std::string(s);  // ASCII is always in NFC
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(s);
  std::string out;
  out.reserve(s.size());
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(s.size()));
  nfc->normalizeUTF8(0, icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), sink, nullptr,
                     status);
  if (U_FAILURE(status)) return std::string(s);
  return out;
}

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool HasControlChars(std::string_view s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (c == 0x7F || (c < 0x20 && !(allow_newlines && (c == '\n' || c == '\t')))) return true;
  }
  return false;
}

}  // namespace tributary
