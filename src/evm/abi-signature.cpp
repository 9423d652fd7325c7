// Function selectors and calls, event topics and logs, revert reasons: the parts of the ABI
// built on signatures.
#include <cctype>
#include <string>

#include "tributary/evm/abi.h"
#include "tributary/evm/keccak.h"
#include "tributary/evm/quantity.h"

namespace tributary::evm {
namespace {

constexpr std::array<uint8_t, 4> kErrorSelector = {0x08, 0xc3, 0x79, 0xa0};  // Error(string)
constexpr std::array<uint8_t, 4> kPanicSelector = {0x4e, 0x48, 0x7b, 0x71};  // Panic(uint256)

Status BadText(std::string_view text, std::string why) {
  return Status::InvalidArgument("bad signature '" + std::string(text.substr(0, 120)) + "': " + why,
                                 "bad_signature_text");
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '$') return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "name(params)" into name and the text between the outer parentheses.
Status SplitSignature(std::string_view text, std::string_view& name, std::string_view& params) {
  text = Trim(text);
  const size_t open = text.find('(');
  if (open == std::string_view::npos || text.back() != ')') {
    return BadText(text, "expected name(parameters)");
  }
  name = Trim(text.substr(0, open));
  if (!IsIdentifier(name)) return BadText(text, "the name is not an identifier");
  params = text.substr(open + 1, text.size() - open - 2);
  return Status::OK();
}

// Splits at commas outside parentheses.
Result<std::vector<std::string_view>> SplitTopLevel(std::string_view text) {
  std::vector<std::string_view> parts;
  if (Trim(text).empty()) return parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')' && --depth < 0) return BadText(text, "unbalanced parentheses");
    if (text[i] == ',' && depth == 0) {
      parts.push_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (depth != 0) return BadText(text, "unbalanced parentheses");
  parts.push_back(Trim(text.substr(start)));
  return parts;
}

// Solidity's "in-place" encoding of an indexed parameter's value, whose keccak256 is its topic.
Status InPlace(const AbiType& type, const AbiValue& value, bool top, Bytes& out) {
  using K = AbiType::Kind;
  switch (type.kind()) {
    case K::kBytes:
    case K::kString: {
      const bool is_string = type.kind() == K::kString;
      if (value.kind() != (is_string ? AbiValue::Kind::kString : AbiValue::Kind::kBytes)) {
        return Status::InvalidArgument("topic value does not match " + type.ToString(),
                                       "abi_value_mismatch");
      }
      const Bytes& b = value.as_bytes();
      out.insert(out.end(), b.begin(), b.end());
      if (!top) out.insert(out.end(), (32 - b.size() % 32) % 32, 0);
      return Status::OK();
    }
    case K::kArray:
    case K::kFixedArray:
    case K::kTuple: {
      const bool tuple = type.kind() == K::kTuple;
      if (value.kind() != (tuple ? AbiValue::Kind::kTuple : AbiValue::Kind::kArray) ||
          (tuple && value.elements().size() != type.components().size()) ||
          (type.kind() == K::kFixedArray && value.elements().size() != type.size())) {
        return Status::InvalidArgument("topic value does not match " + type.ToString(),
                                       "abi_value_mismatch");
      }
      for (size_t i = 0; i < value.elements().size(); ++i) {
        TRIB_RETURN_IF_ERROR(InPlace(tuple ? type.components()[i] : type.element(),
                                     value.elements()[i], false, out));
      }
      return Status::OK();
    }
    default: {
      TRIB_ASSIGN_OR_RETURN(Bytes word, AbiEncode(std::span(&type, 1), std::span(&value, 1)));
      out.insert(out.end(), word.begin(), word.end());
      return Status::OK();
    }
  }
}

bool IsValueType(const AbiType& t) {
  using K = AbiType::Kind;
  return t.kind() == K::kUint || t.kind() == K::kAddress || t.kind() == K::kBool ||
         t.kind() == K::kFixedBytes;
}

std::string JoinTypes(std::string_view name, const std::vector<AbiType>& types) {
  std::string out(name);
  out += "(";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) out += ",";
    out += types[i].ToString();
  }
  return out + ")";
}

}  // namespace

std::array<uint8_t, 4> FunctionSelector(std::string_view signature) {
  const Hash32 h = Keccak256(AsBytes(signature));
  return {h[0], h[1], h[2], h[3]};
}

Hash32 EventTopic(std::string_view signature) { return Keccak256(AsBytes(signature)); }

Result<FunctionSignature> FunctionSignature::Parse(std::string_view text) {
  std::string_view name, params;
  TRIB_RETURN_IF_ERROR(SplitSignature(text, name, params));
  FunctionSignature sig;
  sig.name = std::string(name);
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, SplitTopLevel(params));
  for (std::string_view p : parts) {
    TRIB_ASSIGN_OR_RETURN(AbiType t, AbiType::Parse(p));
    sig.inputs.push_back(std::move(t));
  }
  return sig;
}

std::string FunctionSignature::Canonical() const { return JoinTypes(name, inputs); }

Result<Bytes> FunctionSignature::EncodeCall(std::span<const AbiValue> args) const {
  const auto selector = Selector();
  TRIB_ASSIGN_OR_RETURN(Bytes encoded, AbiEncode(inputs, args));
  Bytes out(selector.begin(), selector.end());
  out.insert(out.end(), encoded.begin(), encoded.end());
  return out;
}

Result<std::vector<AbiValue>> FunctionSignature::DecodeCall(ByteView calldata) const {
  const auto selector = Selector();
  if (calldata.size() < 4 || !std::equal(selector.begin(), selector.end(), calldata.begin())) {
    return Status::InvalidArgument("calldata does not start with the selector of " + Canonical(),
                                   "abi_selector_mismatch");
  }
  return AbiDecode(inputs, calldata.subspan(4));
}

Result<EventAbi> EventAbi::Parse(std::string_view text, bool anonymous) {
  std::string_view name, params;
  TRIB_RETURN_IF_ERROR(SplitSignature(text, name, params));
  EventAbi ev;
  ev.name = std::string(name);
  ev.anonymous = anonymous;
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, SplitTopLevel(params));
  size_t indexed = 0;
  for (std::string_view p : parts) {
    // The type runs to the first space outside parentheses; then "indexed" and/or a name.
    int depth = 0;
    size_t end = 0;
    for (; end < p.size(); ++end) {
      if (p[end] == '(') ++depth;
      if (p[end] == ')') --depth;
      if (p[end] == ' ' && depth == 0) break;
    }
    Param param{AbiType::Bool(), false};
    TRIB_ASSIGN_OR_RETURN(param.type, AbiType::Parse(p.substr(0, end)));
    std::string_view rest = Trim(p.substr(end));
    if (rest == "indexed" || rest.starts_with("indexed ")) {
      param.indexed = true;
      rest = Trim(rest.substr(7));
    }
    if (!rest.empty() && !IsIdentifier(rest)) {
      return BadText(text, "unexpected '" + std::string(rest) + "' after a parameter type");
    }
    indexed += param.indexed ? 1 : 0;
    ev.params.push_back(std::move(param));
  }
  if (indexed > (anonymous ? 4u : 3u)) {
    return Status::InvalidArgument("event " + ev.name + " has " + std::to_string(indexed) +
                                       " indexed parameters, more than a log can carry",
                                   "abi_too_many_indexed");
  }
  return ev;
}

std::string EventAbi::Canonical() const {
  std::vector<AbiType> types;
  for (const Param& p : params) types.push_back(p.type);
  return JoinTypes(name, types);
}

Result<std::vector<AbiValue>> EventAbi::DecodeLog(std::span<const Hash32> topics,
                                                  ByteView data) const {
  size_t first = 0;
  if (!anonymous) {
    if (topics.empty() || topics[0] != Topic0()) {
      return Status::InvalidArgument("log is not a " + Canonical() + " event (topic 0 differs)",
                                     "abi_topic_mismatch");
    }
    first = 1;
  }
  std::vector<AbiType> data_types;
  size_t indexed = 0;
  for (const Param& p : params) {
    if (p.indexed) {
      ++indexed;
    } else {
      data_types.push_back(p.type);
    }
  }
  if (topics.size() - first != indexed) {
    return Status::InvalidArgument(
        Canonical() + " has " + std::to_string(indexed) + " indexed parameters but the log has " +
            std::to_string(topics.size() - first) + " topics after topic 0",
        "abi_topic_mismatch");
  }
  TRIB_ASSIGN_OR_RETURN(std::vector<AbiValue> data_values, AbiDecode(data_types, data));
  std::vector<AbiValue> out;
  out.reserve(params.size());
  size_t topic = first;
  size_t datum = 0;
  for (const Param& p : params) {
    if (!p.indexed) {
      out.push_back(std::move(data_values[datum++]));
      continue;
    }
    const Hash32& word = topics[topic++];
    if (!IsValueType(p.type)) {
      out.push_back(AbiValue::FromHash(word));
      continue;
    }
    auto v = AbiDecode(std::span(&p.type, 1), word);
    if (!v.ok()) {
      return Status::InvalidArgument(
          "topic " + std::to_string(topic - 1) + ": " + v.status().message(), v.status().reason());
    }
    out.push_back(std::move(v->front()));
  }
  return out;
}

Result<Hash32> EncodeTopic(const AbiType& type, const AbiValue& value) {
  Bytes encoded;
  TRIB_RETURN_IF_ERROR(InPlace(type, value, true, encoded));
  if (IsValueType(type)) {
    Hash32 word;
    std::copy(encoded.begin(), encoded.end(), word.begin());
    return word;
  }
  return Keccak256(encoded);
}

Result<std::string> DecodeRevertReason(ByteView data) {
  if (data.size() >= 4 && std::equal(kErrorSelector.begin(), kErrorSelector.end(), data.begin())) {
    const AbiType t = AbiType::String();
    TRIB_ASSIGN_OR_RETURN(std::vector<AbiValue> v, AbiDecode(std::span(&t, 1), data.subspan(4)));
    return std::string(v[0].as_string());
  }
  if (data.size() >= 4 && std::equal(kPanicSelector.begin(), kPanicSelector.end(), data.begin())) {
    const AbiType t = AbiType::Uint();
    TRIB_ASSIGN_OR_RETURN(std::vector<AbiValue> v, AbiDecode(std::span(&t, 1), data.subspan(4)));
    return "panic " + FormatQuantity(v[0].as_uint());
  }
  if (data.empty()) return Status::NotFound("the revert carries no data", "no_revert_reason");
  return Status::NotFound(
      "custom error with selector 0x" + ToHex(data.subspan(0, std::min<size_t>(4, data.size()))),
      "no_revert_reason");
}

}  // namespace tributary::evm
