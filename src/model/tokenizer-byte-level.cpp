// GPT-2's bytes_to_unicode table and the byte-level encoding built on it.

#include "model/tokenizer-internal.h"

namespace tributary::model {

using nlohmann::json;
using namespace tokenizer_detail;

namespace tokenizer_detail {

ByteTable::ByteTable() {
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

const ByteTable& Table() {
  static const ByteTable table;
  return table;
}

}  // namespace tokenizer_detail

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

}  // namespace tributary::model
