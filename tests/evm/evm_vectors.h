// The reference vectors in tests/data/evm/vectors.json (tools/evm-vectors/generate.mjs: ethers
// and @openzeppelin/merkle-tree) and small helpers for reading them.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tributary/base/bytes.h"
#include "tributary/evm/abi.h"
#include "tributary/evm/address.h"
#include "tributary/evm/quantity.h"

namespace tributary::evm::testing {

inline const nlohmann::json& Vectors() {
  static const nlohmann::json v = [] {
    std::ifstream in(std::string(TRIBUTARY_TESTDATA) + "/evm/vectors.json");
    EXPECT_TRUE(in.good()) << "tests/data/evm/vectors.json missing";
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
  }();
  return v;
}

inline Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

inline Hash32 H32(std::string_view hex) {
  auto h = FixedFromHex<32>(hex);
  EXPECT_TRUE(h.ok()) << hex;
  return h.ok() ? *h : Hash32{};
}

inline std::string Hex0x(ByteView b) { return "0x" + ToHex(b); }

inline U256 Q(const nlohmann::json& j) {
  auto v = ParseQuantity(j.get<std::string>());
  EXPECT_TRUE(v.ok()) << j;
  return v.ok() ? *v : U256();
}

inline Address Addr(std::string_view text) {
  auto a = Address::Parse(text);
  EXPECT_TRUE(a.ok()) << text << ": " << a.status().ToString();
  return a.ok() ? *a : Address{};
}

//! A fixture value (uints as quantities, bytes as hex, arrays and tuples as JSON arrays) as an
//! AbiValue of `type`.
inline AbiValue ValueFromJson(const AbiType& type, const nlohmann::json& j) {
  using K = AbiType::Kind;
  switch (type.kind()) {
    case K::kUint:
      return AbiValue::FromUint(Q(j));
    case K::kAddress:
      return AbiValue::FromAddress(Addr(j.get<std::string>()));
    case K::kBool:
      return AbiValue::FromBool(j.get<bool>());
    case K::kFixedBytes:
      return AbiValue::FromFixedBytes(Hex(j.get<std::string>()));
    case K::kBytes:
      return AbiValue::FromBytes(Hex(j.get<std::string>()));
    case K::kString:
      return AbiValue::FromString(j.get<std::string>());
    case K::kArray:
    case K::kFixedArray: {
      std::vector<AbiValue> elems;
      for (const auto& e : j) elems.push_back(ValueFromJson(type.element(), e));
      return AbiValue::FromArray(std::move(elems));
    }
    case K::kTuple: {
      std::vector<AbiValue> members;
      for (size_t i = 0; i < j.size(); ++i) {
        members.push_back(ValueFromJson(type.components()[i], j[i]));
      }
      return AbiValue::FromTuple(std::move(members));
    }
  }
  return AbiValue::FromBool(false);
}

inline std::vector<AbiType> Types(const nlohmann::json& names) {
  std::vector<AbiType> out;
  for (const auto& n : names) {
    auto t = AbiType::Parse(n.get<std::string>());
    EXPECT_TRUE(t.ok()) << n << ": " << t.status().ToString();
    if (t.ok()) out.push_back(*t);
  }
  return out;
}

}  // namespace tributary::evm::testing
