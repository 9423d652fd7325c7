#include <algorithm>
#include <cctype>
#include <limits>
#include <string>

#include "tributary/evm/abi.h"

namespace tributary::evm {
namespace {

// Bounds that keep a parsed type's encoding sizes far from overflow.
constexpr size_t kMaxTypeDepth = 32;
constexpr size_t kMaxHeadSize = size_t{1} << 30;

Status BadType(std::string_view text, std::string why) {
  return Status::InvalidArgument("bad ABI type '" + std::string(text.substr(0, 120)) + "': " + why,
                                 "bad_abi_type");
}

class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  Result<AbiType> Type(size_t depth) {
    if (depth > kMaxTypeDepth) return BadType(text_, "nested too deeply");
    SkipSpaces();
    AbiType base = AbiType::Bool();
    if (Peek() == '(' || text_.substr(pos_, 6) == "tuple(") {
      if (Peek() != '(') pos_ += 5;
      ++pos_;  // '('
      TRIB_ASSIGN_OR_RETURN(std::vector<AbiType> members, List(depth + 1, ')'));
      if (Peek() != ')') return BadType(text_, "expected ')' at " + std::to_string(pos_));
      ++pos_;
      base = AbiType::Tuple(std::move(members));
    } else {
      const size_t start = pos_;
      while (pos_ < text_.size() && std::isalnum(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      TRIB_ASSIGN_OR_RETURN(base, Elementary(text_.substr(start, pos_ - start)));
    }
    // Array suffixes, innermost first: uint256[2][] is an array of uint256[2].
    while (Peek() == '[') {
      if (++depth > kMaxTypeDepth) return BadType(text_, "nested too deeply");
      ++pos_;
      if (Peek() == ']') {
        ++pos_;
        base = AbiType::Array(std::move(base));
        continue;
      }
      size_t length = 0;
      const size_t digits_start = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (length > kMaxHeadSize) return BadType(text_, "array length too large");
        length = length * 10 + static_cast<size_t>(text_[pos_++] - '0');
      }
      if (pos_ == digits_start || Peek() != ']') {
        return BadType(text_, "expected an array length and ']' at " + std::to_string(pos_));
      }
      ++pos_;
      if (length == 0) return BadType(text_, "fixed-size arrays of length 0 are not supported");
      base = AbiType::FixedArray(std::move(base), length);
    }
    if (base.HeadSize() > kMaxHeadSize) return BadType(text_, "encoding too large");
    return base;
  }

  // Types separated by commas up to (not including) `close`, or to the end when close is 0.
  Result<std::vector<AbiType>> List(size_t depth, char close) {
    std::vector<AbiType> out;
    SkipSpaces();
    if (AtEnd(close)) return out;
    for (;;) {
      TRIB_ASSIGN_OR_RETURN(AbiType t, Type(depth));
      out.push_back(std::move(t));
      SkipSpaces();
      if (Peek() != ',') break;
      ++pos_;
    }
    if (!AtEnd(close)) {
      return BadType(text_,
                     "unexpected '" + std::string(1, Peek()) + "' at " + std::to_string(pos_));
    }
    return out;
  }

  bool Done() {
    SkipSpaces();
    return pos_ == text_.size();
  }
  size_t pos() const { return pos_; }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool AtEnd(char close) const { return close ? Peek() == close : pos_ == text_.size(); }
  void SkipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  // uint<M>, uint, address, bool, bytes<M>, bytes, string.
  Result<AbiType> Elementary(std::string_view name) {
    auto suffix_number = [&](std::string_view prefix, int& out) {
      std::string_view digits = name.substr(prefix.size());
      if (digits.empty() || digits.size() > 3 || digits[0] == '0') return false;
      out = 0;
      for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        out = out * 10 + (c - '0');
      }
      return true;
    };
    if (name == "address") return AbiType::Address();
    if (name == "bool") return AbiType::Bool();
    if (name == "string") return AbiType::String();
    if (name == "bytes") return AbiType::DynamicBytes();
    if (name == "uint") return AbiType::Uint(256);
    int m = 0;
    if (name.starts_with("uint")) {
      if (!suffix_number("uint", m) || m % 8 != 0 || m > 256) {
        return BadType(text_, "uint<M> needs M in 8..256, a multiple of 8");
      }
      return AbiType::Uint(m);
    }
    if (name.starts_with("bytes")) {
      if (!suffix_number("bytes", m) || m > 32) return BadType(text_, "bytes<M> needs M in 1..32");
      return AbiType::FixedBytes(m);
    }
    if (name.starts_with("int") || name.starts_with("fixed") || name.starts_with("ufixed") ||
        name == "function") {
      return Status::InvalidArgument("ABI type '" + std::string(name) + "' is not supported",
                                     "abi_unsupported_type");
    }
    if (name.empty()) return BadType(text_, "expected a type at " + std::to_string(pos_));
    return BadType(text_, "unknown type '" + std::string(name) + "'");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

AbiType AbiType::Uint(int bits) {
  AbiType t(Kind::kUint);
  t.bits_ = bits;
  return t;
}
AbiType AbiType::Address() { return AbiType(Kind::kAddress); }
AbiType AbiType::Bool() { return AbiType(Kind::kBool); }
AbiType AbiType::FixedBytes(int size) {
  AbiType t(Kind::kFixedBytes);
  t.size_ = static_cast<size_t>(size);
  return t;
}
AbiType AbiType::DynamicBytes() { return AbiType(Kind::kBytes); }
AbiType AbiType::String() { return AbiType(Kind::kString); }
AbiType AbiType::Array(AbiType element) {
  AbiType t(Kind::kArray);
  t.children_.push_back(std::move(element));
  return t;
}
AbiType AbiType::FixedArray(AbiType element, size_t length) {
  AbiType t(Kind::kFixedArray);
  t.size_ = length;
  t.children_.push_back(std::move(element));
  return t;
}
AbiType AbiType::Tuple(std::vector<AbiType> components) {
  AbiType t(Kind::kTuple);
  t.children_ = std::move(components);
  return t;
}

Result<AbiType> AbiType::Parse(std::string_view text) {
  TypeParser p(text);
  TRIB_ASSIGN_OR_RETURN(AbiType t, p.Type(0));
  if (!p.Done()) return BadType(text, "unexpected text at " + std::to_string(p.pos()));
  return t;
}

Result<std::vector<AbiType>> AbiType::ParseList(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  // "(a,b)" is the list a,b (but "(a,b)[]" or "(a,b),c" is a list of those types).
  if (text.starts_with("(")) {
    TypeParser whole(text);
    auto t = whole.Type(0);
    if (t.ok() && whole.Done() && t->kind() == Kind::kTuple) return t->components();
  }
  TypeParser p(text);
  TRIB_ASSIGN_OR_RETURN(std::vector<AbiType> list, p.List(0, '\0'));
  return list;
}

bool AbiType::IsDynamic() const {
  switch (kind_) {
    case Kind::kBytes:
    case Kind::kString:
    case Kind::kArray:
      return true;
    case Kind::kFixedArray:
      return element().IsDynamic();
    case Kind::kTuple:
      for (const AbiType& c : children_) {
        if (c.IsDynamic()) return true;
      }
      return false;
    default:
      return false;
  }
}

size_t AbiType::HeadSize() const {
  if (IsDynamic()) return 32;
  constexpr size_t kCap = std::numeric_limits<size_t>::max() / 2;
  switch (kind_) {
    case Kind::kFixedArray: {
      const size_t e = element().HeadSize();
      return size_ != 0 && e > kCap / size_ ? kCap : e * size_;
    }
    case Kind::kTuple: {
      size_t sum = 0;
      for (const AbiType& c : children_) sum = std::min(kCap, sum + c.HeadSize());
      return sum;
    }
    default:
      return 32;
  }
}

std::string AbiType::ToString() const {
  switch (kind_) {
    case Kind::kUint:
      return "uint" + std::to_string(bits_);
    case Kind::kAddress:
      return "address";
    case Kind::kBool:
      return "bool";
    case Kind::kFixedBytes:
      return "bytes" + std::to_string(size_);
    case Kind::kBytes:
      return "bytes";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return element().ToString() + "[]";
    case Kind::kFixedArray:
      return element().ToString() + "[" + std::to_string(size_) + "]";
    case Kind::kTuple: {
      std::string out = "(";
      for (size_t i = 0; i < children_.size(); ++i) {
        if (i) out += ",";
        out += children_[i].ToString();
      }
      return out + ")";
    }
  }
  return "?";
}

AbiValue AbiValue::FromUint(const U256& value) {
  AbiValue v(Kind::kUint);
  v.uint_ = value;
  return v;
}
AbiValue AbiValue::FromAddress(const evm::Address& address) {
  AbiValue v(Kind::kAddress);
  v.address_ = address;
  return v;
}
AbiValue AbiValue::FromBool(bool value) {
  AbiValue v(Kind::kBool);
  v.bool_ = value;
  return v;
}
AbiValue AbiValue::FromFixedBytes(ByteView bytes) {
  AbiValue v(Kind::kFixedBytes);
  v.bytes_.assign(bytes.begin(), bytes.end());
  return v;
}
AbiValue AbiValue::FromBytes(ByteView bytes) {
  AbiValue v(Kind::kBytes);
  v.bytes_.assign(bytes.begin(), bytes.end());
  return v;
}
AbiValue AbiValue::FromString(std::string_view text) {
  AbiValue v(Kind::kString);
  v.bytes_.assign(text.begin(), text.end());
  return v;
}
AbiValue AbiValue::FromArray(std::vector<AbiValue> elements) {
  AbiValue v(Kind::kArray);
  v.elements_ = std::move(elements);
  return v;
}
AbiValue AbiValue::FromTuple(std::vector<AbiValue> members) {
  AbiValue v(Kind::kTuple);
  v.elements_ = std::move(members);
  return v;
}

Hash32 AbiValue::as_hash() const {
  Hash32 h{};
  std::copy_n(bytes_.begin(), std::min(bytes_.size(), h.size()), h.begin());
  return h;
}

}  // namespace tributary::evm
