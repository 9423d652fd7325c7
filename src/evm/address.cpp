#include "tributary/evm/address.h"

#include <algorithm>
#include <cctype>

#include "tributary/evm/keccak.h"

namespace tributary::evm {

std::string Address::ToLowerHex() const { return "0x" + ToHex(bytes); }

std::string Address::ToChecksumString() const {
  std::string hex = ToHex(bytes);
  const Hash32 h = Keccak256(AsBytes(hex));
  for (size_t i = 0; i < hex.size(); ++i) {
    const int nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 0xf;
    if (nibble >= 8) hex[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
  }
  return "0x" + hex;
}

Result<Address> Address::Parse(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || text[1] != 'x') {
    return Status::InvalidArgument("an Ethereum address is 0x and 40 hex digits", "bad_address");
  }
  std::string_view digits = text.substr(2);
  if (!std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return Status::InvalidArgument("an Ethereum address is 0x and 40 hex digits", "bad_address");
  }
  auto parsed = FixedFromHex<20>(digits);
  if (!parsed.ok()) return Status::InvalidArgument(parsed.status().message(), "bad_address");
  Address a;
  a.bytes = *parsed;
  const bool has_lower = std::any_of(digits.begin(), digits.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c));
  });
  const bool has_upper = std::any_of(digits.begin(), digits.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c));
  });
  if (has_lower && has_upper && a.ToChecksumString() != text) {
    return Status::InvalidArgument(
        "address " + std::string(text) + " fails its EIP-55 checksum (mistyped?)", "bad_checksum");
  }
  return a;
}

Result<Address> Address::FromBytes(ByteView bytes) {
  if (bytes.size() != 20) {
    return Status::InvalidArgument(
        "an Ethereum address is 20 bytes, got " + std::to_string(bytes.size()), "bad_address");
  }
  Address a;
  std::copy(bytes.begin(), bytes.end(), a.bytes.begin());
  return a;
}

}  // namespace tributary::evm
