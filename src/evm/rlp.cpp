#include "tributary/evm/rlp.h"

#include <string>

#include "tributary/evm/quantity.h"

// Written here: Debian packages no C or C++ Ethereum library (bookworm has RLP only for Python,
// python3-rlp). Checked against the RLP specification's examples (tests/evm/rlp_test.cpp).

namespace tributary::evm {
namespace {

// Appends the prefix for a payload of `len` bytes: `short_base` + len below 56, otherwise
// `short_base` + 55 + (bytes of len) followed by len big-endian.
void AppendLength(Bytes& out, size_t len, uint8_t short_base) {
  if (len < 56) {
    out.push_back(static_cast<uint8_t>(short_base + len));
    return;
  }
  uint8_t be[8];
  int n = 0;
  for (size_t v = len; v != 0; v >>= 8) be[n++] = static_cast<uint8_t>(v);
  out.push_back(static_cast<uint8_t>(short_base + 55 + n));
  for (int i = n - 1; i >= 0; --i) out.push_back(be[i]);
}

Status Error(std::string reason, std::string message, size_t offset) {
  return Status::InvalidArgument("RLP at byte " + std::to_string(offset) + ": " + message,
                                 std::move(reason));
}

class Decoder {
 public:
  Decoder(ByteView data, size_t max_depth) : data_(data), max_depth_(max_depth) {}

  // Decodes the item starting at `pos`, which must end at or before `end`; returns it and sets
  // `pos` past it.
  Result<RlpItem> Item(size_t& pos, size_t end, size_t depth) {
    if (pos >= end) return Error("rlp_truncated", "expected an item, input ends", pos);
    const size_t start = pos;
    const uint8_t prefix = data_[pos++];
    if (prefix < 0x80) return RlpItem::String(data_.subspan(start, 1));

    const bool is_list = prefix >= 0xc0;
    const uint8_t base = is_list ? 0xc0 : 0x80;
    uint64_t len = 0;
    if (prefix - base <= 55) {
      len = prefix - base;
    } else {
      const size_t len_of_len = prefix - base - 55;
      if (len_of_len > end - pos) {
        return Error("rlp_truncated", "length prefix runs past the end", start);
      }
      if (data_[pos] == 0) {
        return Error("rlp_non_canonical", "length with a leading zero byte", start);
      }
      // At most 8 length bytes (prefix 0xbf or 0xff), so the length fits 64 bits.
      for (size_t i = 0; i < len_of_len; ++i) len = (len << 8) | data_[pos++];
      if (len < 56) {
        return Error("rlp_non_canonical", "long form for a payload under 56 bytes", start);
      }
    }
    if (len > end - pos) {
      return Error(
          "rlp_truncated",
          "payload of " + std::to_string(len) + " bytes, " + std::to_string(end - pos) + " left",
          start);
    }
    const size_t payload_end = pos + len;
    if (!is_list) {
      if (len == 1 && data_[pos] < 0x80) {
        return Error("rlp_non_canonical", "a single byte below 0x80 encoded as a string", start);
      }
      RlpItem item = RlpItem::String(data_.subspan(pos, len));
      pos = payload_end;
      return item;
    }
    if (depth >= max_depth_) {
      return Error("rlp_too_deep", "lists nested deeper than " + std::to_string(max_depth_), start);
    }
    std::vector<RlpItem> items;
    while (pos < payload_end) {
      TRIB_ASSIGN_OR_RETURN(RlpItem child, Item(pos, payload_end, depth + 1));
      items.push_back(std::move(child));
    }
    return RlpItem::List(std::move(items));
  }

 private:
  ByteView data_;
  size_t max_depth_;
};

}  // namespace

RlpItem RlpItem::String(ByteView bytes) {
  RlpItem item;
  item.bytes_.assign(bytes.begin(), bytes.end());
  return item;
}

RlpItem RlpItem::List(std::vector<RlpItem> items) {
  RlpItem item;
  item.is_list_ = true;
  item.items_ = std::move(items);
  return item;
}

RlpItem RlpItem::Uint(const U256& value) { return String(MinimalBigEndian(value)); }

Result<U256> RlpItem::AsUint() const {
  if (is_list_)
    return Status::InvalidArgument("expected an integer, got a list", "rlp_expected_string");
  if (!bytes_.empty() && bytes_[0] == 0) {
    return Status::InvalidArgument("integer with a leading zero byte", "rlp_non_canonical");
  }
  if (bytes_.size() > 32) {
    return Status::InvalidArgument("integer wider than 256 bits", "rlp_integer_too_large");
  }
  return U256FromBigEndian(bytes_);
}

Result<uint64_t> RlpItem::AsUint64() const {
  TRIB_ASSIGN_OR_RETURN(U256 v, AsUint());
  auto small = ToUint64(v);
  if (!small.ok()) {
    return Status::InvalidArgument("integer does not fit 64 bits", "rlp_integer_too_large");
  }
  return *small;
}

void RlpEncodeTo(const RlpItem& item, Bytes& out) {
  if (!item.is_list()) {
    const Bytes& b = item.bytes();
    if (b.size() == 1 && b[0] < 0x80) {
      out.push_back(b[0]);
      return;
    }
    AppendLength(out, b.size(), 0x80);
    out.insert(out.end(), b.begin(), b.end());
    return;
  }
  Bytes payload;
  for (const RlpItem& child : item.items()) RlpEncodeTo(child, payload);
  AppendLength(out, payload.size(), 0xc0);
  out.insert(out.end(), payload.begin(), payload.end());
}

Bytes RlpEncode(const RlpItem& item) {
  Bytes out;
  RlpEncodeTo(item, out);
  return out;
}

Result<RlpItem> RlpDecode(ByteView data, size_t max_depth) {
  if (data.empty()) return Status::InvalidArgument("RLP: no input", "rlp_empty");
  Decoder decoder(data, max_depth);
  size_t pos = 0;
  TRIB_ASSIGN_OR_RETURN(RlpItem item, decoder.Item(pos, data.size(), 0));
  if (pos != data.size()) {
    return Error("rlp_trailing_bytes", std::to_string(data.size() - pos) + " bytes after the item",
                 pos);
  }
  return item;
}

}  // namespace tributary::evm
