#include "tributary/base/unicode.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include <algorithm>

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

DecodedCodePoint DecodeUtf8(std::string_view s, size_t i) {
  const Utf8Scan scan = ScanUtf8(s, i);
  if (scan.step != Utf8Step::kValid) return {0xFFFD, std::max<size_t>(1, scan.len)};
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[i + k])); };
  switch (scan.len) {
    case 1:
      return {b(0), 1};
    case 2:
      return {((b(0) & 0x1F) << 6) | (b(1) & 0x3F), 2};
    case 3:
      return {((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F), 3};
    default:
      return {((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F),
              4};
  }
}

DecodedCodePoint DecodeUtf8Before(std::string_view s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && end - i < 4 && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80) --i;
  const DecodedCodePoint d = DecodeUtf8(s, i);
  // Not the sequence that ends at `end` (invalid input): the last byte alone.
  if (i + d.len != end) return {0xFFFD, 1};
  return d;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
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
