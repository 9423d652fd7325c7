#include "tributary/evm/abi.h"

#include <gtest/gtest.h>

#include "evm/evm_vectors.h"
#include "tributary/evm/keccak.h"

namespace tributary::evm {
namespace {

using testing::Addr;
using testing::H32;
using testing::Hex;
using testing::Types;
using testing::ValueFromJson;
using testing::Vectors;

AbiValue U(uint64_t v) { return AbiValue::FromUint(U256(Amount{v})); }
AbiValue Str(std::string_view s) { return AbiValue::FromString(s); }
AbiValue Arr(std::vector<AbiValue> v) { return AbiValue::FromArray(std::move(v)); }

std::string Words(std::initializer_list<std::string_view> words) {
  std::string out;
  for (auto w : words) out += w;
  return out;
}

// The examples of the Solidity ABI specification ("Examples" and "Use of Dynamic Types").
TEST(AbiTest, SolidityDocExamples) {
  // baz(uint32,bool) with 69, true.
  auto baz = FunctionSignature::Parse("baz(uint32,bool)");
  ASSERT_TRUE(baz.ok());
  EXPECT_EQ(ToHex(*baz->EncodeCall(std::vector{U(69), AbiValue::FromBool(true)})),
            "cdcd77c0"
            "0000000000000000000000000000000000000000000000000000000000000045"
            "0000000000000000000000000000000000000000000000000000000000000001");

  // sam(bytes,bool,uint256[]) with "dave", true, [1, 2, 3].
  auto sam = FunctionSignature::Parse("sam(bytes,bool,uint256[])");
  ASSERT_TRUE(sam.ok());
  EXPECT_EQ(ToHex(*sam->EncodeCall(std::vector{AbiValue::FromBytes(AsBytes("dave")),
                                               AbiValue::FromBool(true), Arr({U(1), U(2), U(3)})})),
            Words({"a5643bf2", "0000000000000000000000000000000000000000000000000000000000000060",
                   "0000000000000000000000000000000000000000000000000000000000000001",
                   "00000000000000000000000000000000000000000000000000000000000000a0",
                   "0000000000000000000000000000000000000000000000000000000000000004",
                   "6461766500000000000000000000000000000000000000000000000000000000",
                   "0000000000000000000000000000000000000000000000000000000000000003",
                   "0000000000000000000000000000000000000000000000000000000000000001",
                   "0000000000000000000000000000000000000000000000000000000000000002",
                   "0000000000000000000000000000000000000000000000000000000000000003"}));

  // f(uint256,uint32[],bytes10,bytes) with 0x123, [0x456, 0x789], "1234567890", "Hello, world!".
  auto f = FunctionSignature::Parse("f(uint256,uint32[],bytes10,bytes)");
  ASSERT_TRUE(f.ok());
  const std::vector<AbiValue> f_args = {U(0x123), Arr({U(0x456), U(0x789)}),
                                        AbiValue::FromFixedBytes(AsBytes("1234567890")),
                                        AbiValue::FromBytes(AsBytes("Hello, world!"))};
  const std::string f_hex =
      Words({"8be65246", "0000000000000000000000000000000000000000000000000000000000000123",
             "0000000000000000000000000000000000000000000000000000000000000080",
             "3132333435363738393000000000000000000000000000000000000000000000",
             "00000000000000000000000000000000000000000000000000000000000000e0",
             "0000000000000000000000000000000000000000000000000000000000000002",
             "0000000000000000000000000000000000000000000000000000000000000456",
             "0000000000000000000000000000000000000000000000000000000000000789",
             "000000000000000000000000000000000000000000000000000000000000000d",
             "48656c6c6f2c20776f726c642100000000000000000000000000000000000000"});
  EXPECT_EQ(ToHex(*f->EncodeCall(f_args)), f_hex);
  auto f_back = f->DecodeCall(Hex(f_hex));
  ASSERT_TRUE(f_back.ok()) << f_back.status().ToString();
  EXPECT_EQ(*f_back, f_args);

  // g(uint256[][],string[]) with [[1, 2], [3]], ["one", "two", "three"].
  auto g = FunctionSignature::Parse("g(uint256[][],string[])");
  ASSERT_TRUE(g.ok());
  const std::vector<AbiValue> g_args = {Arr({Arr({U(1), U(2)}), Arr({U(3)})}),
                                        Arr({Str("one"), Str("two"), Str("three")})};
  const std::string g_hex =
      Words({"2289b18c",
             "0000000000000000000000000000000000000000000000000000000000000040",
             "0000000000000000000000000000000000000000000000000000000000000140",
             "0000000000000000000000000000000000000000000000000000000000000002",
             "0000000000000000000000000000000000000000000000000000000000000040",
             "00000000000000000000000000000000000000000000000000000000000000a0",
             "0000000000000000000000000000000000000000000000000000000000000002",
             "0000000000000000000000000000000000000000000000000000000000000001",
             "0000000000000000000000000000000000000000000000000000000000000002",
             "0000000000000000000000000000000000000000000000000000000000000001",
             "0000000000000000000000000000000000000000000000000000000000000003",
             "0000000000000000000000000000000000000000000000000000000000000003",
             "0000000000000000000000000000000000000000000000000000000000000060",
             "00000000000000000000000000000000000000000000000000000000000000a0",
             "00000000000000000000000000000000000000000000000000000000000000e0",
             "0000000000000000000000000000000000000000000000000000000000000003",
             "6f6e650000000000000000000000000000000000000000000000000000000000",
             "0000000000000000000000000000000000000000000000000000000000000003",
             "74776f0000000000000000000000000000000000000000000000000000000000",
             "0000000000000000000000000000000000000000000000000000000000000005",
             "7468726565000000000000000000000000000000000000000000000000000000"});
  EXPECT_EQ(ToHex(*g->EncodeCall(g_args)), g_hex);
  auto g_back = g->DecodeCall(Hex(g_hex));
  ASSERT_TRUE(g_back.ok()) << g_back.status().ToString();
  EXPECT_EQ(*g_back, g_args);
}

// ethers' AbiCoder.encode for tuples with dynamic members, arrays of tuples, fixed arrays,
// extreme values; decoding gives the values back.
TEST(AbiTest, EthersEncodings) {
  for (const auto& c : Vectors()["abi"]) {
    SCOPED_TRACE(c["types"].dump());
    const std::vector<AbiType> types = Types(c["types"]);
    std::vector<AbiValue> values;
    for (size_t i = 0; i < types.size(); ++i)
      values.push_back(ValueFromJson(types[i], c["values"][i]));
    auto encoded = AbiEncode(types, values);
    ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
    EXPECT_EQ("0x" + ToHex(*encoded), c["encoded"].get<std::string>());
    auto decoded = AbiDecode(types, *encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, values);
  }
}

TEST(AbiTest, SelectorsAndCalls) {
  EXPECT_EQ(ToHex(FunctionSelector("transfer(address,uint256)")), "a9059cbb");
  EXPECT_EQ(ToHex(EventTopic("Transfer(address,address,uint256)")),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  for (const auto& s : Vectors()["selectors"]) {
    EXPECT_EQ("0x" + ToHex(FunctionSelector(s["signature"].get<std::string>())),
              s["selector"].get<std::string>());
  }
  for (const auto& c : Vectors()["calls"]) {
    auto sig = FunctionSignature::Parse(c["signature"].get<std::string>());
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->Canonical(), c["signature"].get<std::string>());
    std::vector<AbiValue> args;
    for (size_t i = 0; i < sig->inputs.size(); ++i) {
      args.push_back(ValueFromJson(sig->inputs[i], c["values"][i]));
    }
    auto calldata = sig->EncodeCall(args);
    ASSERT_TRUE(calldata.ok());
    EXPECT_EQ("0x" + ToHex(*calldata), c["calldata"].get<std::string>());
    auto back = sig->DecodeCall(*calldata);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, args);
    EXPECT_EQ(sig->DecodeCall(Bytes{0xa9, 0x05, 0x9c, 0xbb}).status().reason(),
              "abi_selector_mismatch");
  }
  // Solidity spellings: spaces after commas, uint for uint256, tuple(...).
  auto loose = FunctionSignature::Parse("claim(uint64, address, uint, tuple(bytes32,uint)[])");
  ASSERT_TRUE(loose.ok()) << loose.status().ToString();
  EXPECT_EQ(loose->Canonical(), "claim(uint64,address,uint256,(bytes32,uint256)[])");
}

TEST(AbiTest, EventLogs) {
  for (const auto& e : Vectors()["events"]) {
    SCOPED_TRACE(e["signature"].get<std::string>());
    // Build the declaration text: "Name(type indexed, type, ...)".
    const std::string sig = e["signature"].get<std::string>();
    std::string decl = sig.substr(0, sig.find('(')) + "(";
    for (size_t i = 0; i < e["types"].size(); ++i) {
      if (i) decl += ", ";
      decl += e["types"][i].get<std::string>();
      if (e["indexed"][i].get<bool>()) decl += " indexed";
      decl += " p" + std::to_string(i);
    }
    decl += ")";
    auto ev = EventAbi::Parse(decl);
    ASSERT_TRUE(ev.ok()) << decl << ": " << ev.status().ToString();
    EXPECT_EQ(ev->Canonical(), sig);
    EXPECT_EQ("0x" + ToHex(ev->Topic0()), e["topic0"].get<std::string>());

    std::vector<Hash32> topics;
    for (const auto& t : e["topics"]) topics.push_back(H32(t.get<std::string>()));
    auto values = ev->DecodeLog(topics, Hex(e["data"].get<std::string>()));
    ASSERT_TRUE(values.ok()) << values.status().ToString();
    const std::vector<AbiType> types = Types(e["types"]);
    size_t topic = 1;
    for (size_t i = 0; i < types.size(); ++i) {
      const AbiValue want = ValueFromJson(types[i], e["values"][i]);
      const bool hashed = e["indexed"][i].get<bool>() && types[i].IsDynamic();
      if (hashed) {
        // Only the topic: keccak256 of the value's in-place encoding.
        EXPECT_EQ((*values)[i], AbiValue::FromHash(topics[topic]));
      } else {
        EXPECT_EQ((*values)[i], want) << "parameter " << i;
      }
      if (e["indexed"][i].get<bool>()) {
        auto t = EncodeTopic(types[i], want);
        ASSERT_TRUE(t.ok());
        EXPECT_EQ(*t, topics[topic]) << "topic of parameter " << i;
        ++topic;
      }
    }
    // Another event's log, and a log with a topic missing.
    EXPECT_EQ(
        ev->DecodeLog(std::vector<Hash32>{Keccak256(AsBytes("x"))}, Bytes{}).status().reason(),
        "abi_topic_mismatch");
    std::vector<Hash32> short_topics(topics.begin(), topics.end() - 1);
    EXPECT_EQ(ev->DecodeLog(short_topics, Hex(e["data"].get<std::string>())).status().reason(),
              "abi_topic_mismatch");
  }
  // An indexed address topic with high bits set is not an address.
  auto transfer = EventAbi::Parse("Transfer(address indexed, address indexed, uint256)");
  ASSERT_TRUE(transfer.ok());
  Hash32 dirty{};
  dirty[0] = 1;
  EXPECT_EQ(transfer->DecodeLog(std::vector{transfer->Topic0(), dirty, Hash32{}}, Bytes(32))
                .status()
                .reason(),
            "abi_dirty_value");
  EXPECT_EQ(EventAbi::Parse("E(uint8 indexed,uint8 indexed,uint8 indexed,uint8 indexed)")
                .status()
                .reason(),
            "abi_too_many_indexed");
}

TEST(AbiTest, RevertReasons) {
  // Error("Not enough Ether provided.") as Solidity's documentation shows it.
  const Bytes error =
      Hex("08c379a0"
          "0000000000000000000000000000000000000000000000000000000000000020"
          "000000000000000000000000000000000000000000000000000000000000001a"
          "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000");
  EXPECT_EQ(*DecodeRevertReason(error), "Not enough Ether provided.");
  const Bytes panic =
      Hex("4e487b71"
          "0000000000000000000000000000000000000000000000000000000000000011");
  EXPECT_EQ(*DecodeRevertReason(panic), "panic 0x11");
  EXPECT_EQ(DecodeRevertReason(Bytes{}).status().reason(), "no_revert_reason");
  EXPECT_EQ(DecodeRevertReason(Hex("deadbeef")).status().reason(), "no_revert_reason");
}

TEST(AbiTest, TypeParsing) {
  for (const char* text : {"uint8", "uint256", "address", "bool", "bytes1", "bytes32", "bytes",
                           "string", "bytes32[]", "uint256[2][]", "(address,uint256)",
                           "(bytes32,bytes32[],uint64)[]", "((uint8,bool),bytes)", "()"}) {
    auto t = AbiType::Parse(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
    EXPECT_EQ(t->ToString(), text);
  }
  EXPECT_EQ(AbiType::Parse("uint")->ToString(), "uint256");
  EXPECT_EQ(AbiType::Parse("tuple(address,uint)[3]")->ToString(), "(address,uint256)[3]");
  // uint256[2][] is a dynamic array of uint256[2].
  auto nested = AbiType::Parse("uint256[2][]");
  EXPECT_EQ(nested->kind(), AbiType::Kind::kArray);
  EXPECT_EQ(nested->element().kind(), AbiType::Kind::kFixedArray);
  EXPECT_EQ(nested->element().size(), 2u);

  for (const char* bad :
       {"", "uint7", "uint264", "uint0", "uint08", "bytes0", "bytes33", "foo", "(uint256",
        "uint256)", "uint256[", "uint256[x]", "uint256[0]", "address,", "(,)", "uint256 x"}) {
    EXPECT_EQ(AbiType::Parse(bad).status().reason(), "bad_abi_type") << bad;
  }
  for (const char* unsupported : {"int256", "int", "fixed128x18", "ufixed", "function"}) {
    EXPECT_EQ(AbiType::Parse(unsupported).status().reason(), "abi_unsupported_type") << unsupported;
  }
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "(";
  deep += "uint8";
  for (int i = 0; i < 40; ++i) deep += ")";
  EXPECT_EQ(AbiType::Parse(deep).status().reason(), "bad_abi_type");
  EXPECT_EQ(AbiType::Parse("uint256[4294967296][4294967296]").status().reason(), "bad_abi_type");

  auto list = AbiType::ParseList("(address,uint256)");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_EQ(AbiType::ParseList("(address,uint256)[],bool")->size(), 2u);
  EXPECT_EQ(AbiType::ParseList("")->size(), 0u);
  EXPECT_EQ(FunctionSignature::Parse("1f(uint256)").status().reason(), "bad_signature_text");
  EXPECT_EQ(FunctionSignature::Parse("f(uint256").status().reason(), "bad_signature_text");
}

TEST(AbiTest, EncodeRejectsMismatchedValues) {
  auto reason = [](const char* type, const AbiValue& v) {
    auto t = AbiType::Parse(type);
    EXPECT_TRUE(t.ok());
    return AbiEncode(std::vector{*t}, std::vector{v}).status().reason();
  };
  EXPECT_EQ(reason("uint8", U(256)), "abi_value_mismatch");
  EXPECT_EQ(reason("uint64", AbiValue::FromUint(U256(Amount{1} << 64))), "abi_value_mismatch");
  EXPECT_EQ(reason("uint256", AbiValue::FromBool(true)), "abi_value_mismatch");
  EXPECT_EQ(reason("bytes32", AbiValue::FromFixedBytes(Bytes(31))), "abi_value_mismatch");
  EXPECT_EQ(reason("bytes", Str("text")), "abi_value_mismatch");
  EXPECT_EQ(reason("uint8[2]", Arr({U(1)})), "abi_value_mismatch");
  EXPECT_EQ(reason("(uint8,bool)", AbiValue::FromTuple({U(1)})), "abi_value_mismatch");
  EXPECT_EQ(reason("bytes32[]", Arr({U(1)})), "abi_value_mismatch");
  EXPECT_EQ(AbiEncode(std::vector{AbiType::Bool()}, std::vector<AbiValue>{}).status().reason(),
            "abi_value_mismatch");
}

std::string DecodeReason(const char* types, const std::string& hex) {
  auto t = AbiType::ParseList(types);
  EXPECT_TRUE(t.ok());
  return AbiDecode(*t, Hex(hex)).status().reason();
}

std::string W(uint64_t v) {
  std::string s = ToHex(U256(Amount{v}).ToBytes());
  return s;
}

TEST(AbiTest, DecodeRejectsMalformedData) {
  const std::string zero = W(0);
  // Truncated: a missing word, bytes whose padding is cut off.
  EXPECT_EQ(DecodeReason("uint256", ""), "abi_truncated");
  EXPECT_EQ(DecodeReason("uint256,uint256", zero), "abi_truncated");
  EXPECT_EQ(DecodeReason("bytes", W(32) + W(3) + "616263"), "abi_truncated");
  // Offsets: past the end, beyond 64 bits, pointing at a length beyond the data.
  EXPECT_EQ(DecodeReason("bytes", W(0x1000)), "abi_bad_offset");
  EXPECT_EQ(DecodeReason("bytes", std::string(48, 'f') + std::string(16, '0')), "abi_bad_offset");
  EXPECT_EQ(DecodeReason("bytes", W(32) + W(1000)), "abi_bad_offset");
  EXPECT_EQ(DecodeReason("string", W(32) + std::string(64, 'f')), "abi_bad_offset");
  // An array claiming 2^40 elements in 96 bytes: refused before allocating anything.
  EXPECT_EQ(DecodeReason("bytes32[]", W(32) + W(uint64_t{1} << 40) + zero), "abi_bad_offset");
  EXPECT_EQ(DecodeReason("(uint256,bytes)", W(32) + W(1) + W(0x7fffffff)), "abi_bad_offset");
  // Dirty values.
  EXPECT_EQ(DecodeReason("uint8", W(256)), "abi_dirty_value");
  EXPECT_EQ(DecodeReason("uint64", W(1).replace(0, 2, "01")), "abi_dirty_value");
  EXPECT_EQ(DecodeReason("address", "01" + std::string(62, '0')), "abi_dirty_value");
  EXPECT_EQ(DecodeReason("bool", W(2)), "abi_dirty_value");
  EXPECT_EQ(DecodeReason("bytes4", "deadbeef01" + std::string(54, '0')), "abi_dirty_value");
  // Inflation: 1000 array elements all pointing at the same 1000-element array.
  std::string inner = W(1000);
  for (int i = 0; i < 1000; ++i) inner += zero;
  std::string bomb = W(32) + W(1000);
  for (int i = 0; i < 1000; ++i) bomb += W(32 * 1000);  // each offset: the inner array
  bomb += inner;
  EXPECT_EQ(DecodeReason("uint256[][]", bomb), "abi_inflation");
  // The canonical forms of the same shapes decode.
  EXPECT_TRUE(
      AbiDecode(*AbiType::ParseList("bytes"), Hex(W(32) + W(3) + "616263" + std::string(58, '0')))
          .ok());
}

}  // namespace
}  // namespace tributary::evm
