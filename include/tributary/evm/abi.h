// The Solidity contract ABI: types, values, encoding and decoding of arguments, return data and
// event logs, function selectors and event topics (docs.soliditylang.org, "Contract ABI
// Specification").
//
// Supported types: uint<M> (M = 8..256, a multiple of 8), address, bool, bytes<M> (M = 1..32),
// bytes, string, T[], T[k] and tuples (T1,...,Tn) of those, nested. Signed integers and
// fixed-point numbers are not supported (nothing in settlement uses them); parsing them fails
// with reason "abi_unsupported_type".
//
// Decoding is strict about values and bounds: a word that is not a clean value of its type
// (an address or uintM with high bits set, a bool other than 0 or 1, bytesM with bytes after
// the M-th set), an offset or length pointing past the data, and data that would expand
// beyond a fixed multiple of its size (overlapping offsets) are errors. Padding after dynamic
// bytes and strings is not checked, as Solidity and ethers do not check it. Strings are
// returned as the bytes they hold, UTF-8 or not.
//
// All types here are values; all functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/uint256.h"
#include "tributary/evm/address.h"

namespace tributary::evm {

//! An ABI type.
class AbiType {
 public:
  enum class Kind {
    kUint,
    kAddress,
    kBool,
    kFixedBytes,
    kBytes,
    kString,
    kArray,
    kFixedArray,
    kTuple
  };

  static AbiType Uint(int bits = 256);
  static AbiType Address();
  static AbiType Bool();
  static AbiType FixedBytes(int size);  //!< bytes<size>
  static AbiType DynamicBytes();        //!< bytes
  static AbiType String();
  static AbiType Array(AbiType element);                      //!< element[]
  static AbiType FixedArray(AbiType element, size_t length);  //!< element[length]
  static AbiType Tuple(std::vector<AbiType> components);

  //! Parses a canonical or Solidity type name: "uint256", "uint" (= uint256), "bytes32[]",
  //! "(address,uint256)[2]", "tuple(address,uint256)". InvalidArgument with reason
  //! "bad_abi_type" or "abi_unsupported_type".
  static Result<AbiType> Parse(std::string_view text);
  //! A comma-separated list with or without the surrounding parentheses: "address,uint256",
  //! "(address,uint256)", "" (none).
  static Result<std::vector<AbiType>> ParseList(std::string_view text);

  Kind kind() const { return kind_; }
  //! M of uint<M>.
  int bits() const { return bits_; }
  //! M of bytes<M>, k of T[k].
  size_t size() const { return size_; }
  //! T of T[] and T[k].
  const AbiType& element() const { return children_.front(); }
  //! The members of a tuple.
  const std::vector<AbiType>& components() const { return children_; }

  //! Dynamic types are encoded out of line (bytes, string, T[], and T[k] or tuples holding one).
  bool IsDynamic() const;
  //! Bytes the type takes in the head of an enclosing encoding (32 for a dynamic type's offset).
  size_t HeadSize() const;
  //! The canonical name used in signatures: "uint256", "(address,uint256)[]".
  std::string ToString() const;

  friend bool operator==(const AbiType&, const AbiType&) = default;

 private:
  AbiType(Kind kind) : kind_(kind) {}  // NOLINT(google-explicit-constructor)
  Kind kind_ = Kind::kBool;
  int bits_ = 0;
  size_t size_ = 0;
  std::vector<AbiType> children_;
};

//! An ABI value: what a type holds. The kind must match the type it is encoded as (uint for
//! uint<M>, fixed bytes for bytes<M>, array for T[] and T[k], tuple for tuples).
class AbiValue {
 public:
  enum class Kind { kUint, kAddress, kBool, kFixedBytes, kBytes, kString, kArray, kTuple };

  static AbiValue FromUint(const U256& value);
  static AbiValue FromAddress(const evm::Address& address);
  static AbiValue FromBool(bool value);
  static AbiValue FromFixedBytes(ByteView bytes);  //!< 1 to 32 bytes, for bytes<M>
  static AbiValue FromBytes(ByteView bytes);
  static AbiValue FromString(std::string_view text);
  static AbiValue FromArray(std::vector<AbiValue> elements);
  static AbiValue FromTuple(std::vector<AbiValue> members);
  //! A bytes32 value.
  static AbiValue FromHash(const Hash32& hash) { return FromFixedBytes(hash); }

  Kind kind() const { return kind_; }
  const U256& as_uint() const { return uint_; }
  const evm::Address& as_address() const { return address_; }
  bool as_bool() const { return bool_; }
  //! The bytes of a fixed-bytes, bytes or string value.
  const tributary::Bytes& as_bytes() const { return bytes_; }
  std::string_view as_string() const { return AsString(bytes_); }
  //! A bytes32 value (zero-padded when shorter).
  Hash32 as_hash() const;
  //! The elements of an array or the members of a tuple.
  const std::vector<AbiValue>& elements() const { return elements_; }

  friend bool operator==(const AbiValue&, const AbiValue&) = default;

 private:
  explicit AbiValue(Kind kind) : kind_(kind) {}
  Kind kind_ = Kind::kBool;
  U256 uint_;
  evm::Address address_;
  bool bool_ = false;
  tributary::Bytes bytes_;
  std::vector<AbiValue> elements_;
};

//! abi.encode(values...): the values encoded as a tuple of `types`. InvalidArgument (reason
//! "abi_value_mismatch", the message naming the position) when a value does not fit its type:
//! wrong kind, a uint beyond its bits, bytes<M> of another length, an array of another length
//! than T[k], a tuple with another member count.
Result<Bytes> AbiEncode(std::span<const AbiType> types, std::span<const AbiValue> values);
//! Decodes `data` as a tuple of `types` (return data, event data). InvalidArgument with reasons
//! "abi_truncated" (data ends early), "abi_bad_offset" (an offset or length out of range),
//! "abi_dirty_value" (a word that is not a clean value of its type), "abi_inflation" (data
//! decoding to far more than its size).
Result<std::vector<AbiValue>> AbiDecode(std::span<const AbiType> types, ByteView data);

//! The first 4 bytes of keccak256(signature), e.g. "transfer(address,uint256)" -> a9059cbb.
std::array<uint8_t, 4> FunctionSelector(std::string_view signature);
//! keccak256(signature): topic 0 of a non-anonymous event, e.g.
//! "Transfer(address,address,uint256)".
Hash32 EventTopic(std::string_view signature);

//! A function's name and parameter types, parsed from "name(type,...)".
struct FunctionSignature {
  std::string name;
  std::vector<AbiType> inputs;

  //! Parses "transfer(address,uint256)" (spaces after commas allowed). InvalidArgument with
  //! reason "bad_signature_text" or an AbiType::Parse reason.
  static Result<FunctionSignature> Parse(std::string_view text);
  //! The canonical form: "transfer(address,uint256)".
  std::string Canonical() const;
  std::array<uint8_t, 4> Selector() const { return FunctionSelector(Canonical()); }
  //! Selector || AbiEncode(inputs, args): calldata for eth_call and transactions.
  Result<Bytes> EncodeCall(std::span<const AbiValue> args) const;
  //! Decodes calldata made by EncodeCall; InvalidArgument (reason "abi_selector_mismatch") when
  //! it starts with another selector.
  Result<std::vector<AbiValue>> DecodeCall(ByteView calldata) const;
};

//! An event's parameters, for decoding its logs and building log filters.
struct EventAbi {
  struct Param {
    AbiType type;
    bool indexed = false;
  };
  std::string name;
  std::vector<Param> params;
  bool anonymous = false;  //!< no topic 0

  //! Parses "Transfer(address indexed from, address indexed to, uint256 value)": each
  //! parameter a type, optionally "indexed", optionally a name. InvalidArgument with reason
  //! "bad_signature_text" or an AbiType::Parse reason; more than 3 indexed (4 when anonymous):
  //! "abi_too_many_indexed".
  static Result<EventAbi> Parse(std::string_view text, bool anonymous = false);
  //! "Transfer(address,address,uint256)".
  std::string Canonical() const;
  //! keccak256(Canonical()).
  Hash32 Topic0() const { return EventTopic(Canonical()); }

  //! The values of a log's parameters, in declaration order. Indexed parameters of dynamic or
  //! composite type (string, bytes, arrays, tuples) come back as the bytes32 topic, the
  //! keccak256 of their encoding, since the value itself is not in the log. InvalidArgument with
  //! reasons "abi_topic_mismatch" (topic 0 is another event's, or the topic count is wrong) or
  //! an AbiDecode reason for the data (indexed values: "abi_dirty_value").
  Result<std::vector<AbiValue>> DecodeLog(std::span<const Hash32> topics, ByteView data) const;
};

//! The topic an indexed parameter of `type` holding `value` has: the value's encoding for a
//! value type, keccak256 of its in-place encoding (Solidity "Encoding of Indexed Event
//! Parameters") for string, bytes, arrays and tuples. For log filters.
Result<Hash32> EncodeTopic(const AbiType& type, const AbiValue& value);

//! The reason in revert data: Error(string) as its text, Panic(uint256) as "panic 0x..";
//! NotFound (reason "no_revert_reason") for empty data or a custom error, whose selector the
//! message gives.
Result<std::string> DecodeRevertReason(ByteView data);

}  // namespace tributary::evm
