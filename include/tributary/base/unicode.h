// UTF-8 validation and repair, and Unicode NFC normalization (ICU).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary {

enum class Utf8Step { kValid, kInvalid, kIncomplete };
struct Utf8Scan {
  Utf8Step step;
  size_t len;  //!< bytes of the sequence (valid), of the maximal ill-formed subpart, or present
};

//! One step of a UTF-8 decoder at s[i], following the Unicode "maximal subpart" practice that
//! Python and Rust use for replacement: an ill-formed sequence ends at the first byte that
//! cannot continue it. Requires i < s.size().
Utf8Scan ScanUtf8(std::string_view s, size_t i);

//! A code point and the bytes of its UTF-8 sequence.
struct DecodedCodePoint {
  uint32_t cp = 0;
  size_t len = 0;
};
//! The code point at s[i] (i < s.size()): a valid sequence gives its code point and length,
//! anything else U+FFFD and the length of the ill-formed part (ScanUtf8; at least 1), so a loop
//! that advances by `len` visits every byte once, whatever the input.
DecodedCodePoint DecodeUtf8(std::string_view s, size_t i);
//! The code point of valid UTF-8 `s` that ends at `end` (0 < end <= s.size()); its sequence
//! begins at end - len.
DecodedCodePoint DecodeUtf8Before(std::string_view s, size_t end);
//! Appends the UTF-8 encoding of `cp` (at most U+10FFFF) to `out`.
void AppendUtf8(uint32_t cp, std::string* out);

//! True when `bytes` is well-formed UTF-8 (no surrogates, no overlongs, at most U+10FFFF).
bool IsValidUtf8(std::string_view bytes);
//! Offset of the first ill-formed byte, nullopt when `bytes` is valid UTF-8.
std::optional<size_t> FirstInvalidUtf8(std::string_view bytes);
//! `bytes` with each maximal ill-formed UTF-8 subsequence replaced by U+FFFD (EF BF BD), as
//! Python's `bytes.decode("utf-8", errors="replace")` and Rust's `String::from_utf8_lossy` do.
std::string ReplaceInvalidUtf8(std::string_view bytes);
//! Code points in valid UTF-8 `s` (bytes that do not continue a sequence).
size_t CountCodePoints(std::string_view s);
//! True when `s` holds an ASCII control character or DEL; newline and tab pass when
//! `allow_newlines` (multi-line text fields).
bool HasControlChars(std::string_view s, bool allow_newlines = false);
//! Unicode Normalization Form C of valid UTF-8 `text` (returned unchanged if ICU refuses it).
std::string NormalizeNfc(std::string_view text);

}  // namespace tributary
