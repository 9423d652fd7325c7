// ABI encoding and decoding (the "Formal Specification of the Encoding" of the Solidity ABI
// spec): a tuple is heads then tails, a dynamic member's head holding the offset of its tail
// from the start of the tuple. Written here (Debian packages no ABI library for C or C++);
// checked against the specification's examples and ethers' AbiCoder (tests/evm/abi_test.cpp).
#include <string>

#include "tributary/evm/abi.h"
#include "tributary/evm/quantity.h"

namespace tributary::evm {
namespace {

constexpr size_t kWord = 32;

size_t Padded(size_t n) { return (n + kWord - 1) / kWord * kWord; }

void AppendWord(Bytes& out, const U256& v) {
  const auto b = v.ToBytes();
  out.insert(out.end(), b.begin(), b.end());
}

// The types of a sequence being encoded or decoded: a tuple's members, or n copies of an array's
// element type.
struct TypeSeq {
  std::span<const AbiType> many;
  const AbiType* single = nullptr;
  size_t n = 0;

  static TypeSeq Of(std::span<const AbiType> types) { return {types, nullptr, types.size()}; }
  static TypeSeq Repeat(const AbiType& t, size_t n) { return {{}, &t, n}; }
  const AbiType& at(size_t i) const { return single ? *single : many[i]; }
  size_t HeadSize() const {
    if (single) return single->HeadSize() * n;  // bounded by the caller
    size_t sum = 0;
    for (const AbiType& t : many) sum += t.HeadSize();
    return sum;
  }
};

// --- Encoding ---------------------------------------------------------------------------------

Status Mismatch(const std::string& path, const AbiType& type, const std::string& why) {
  return Status::InvalidArgument("ABI value " + path + " (" + type.ToString() + "): " + why,
                                 "abi_value_mismatch");
}

Status EncodeSeq(const TypeSeq& types, std::span<const AbiValue> values, const std::string& path,
                 Bytes& out);

Status Encode(const AbiType& type, const AbiValue& value, const std::string& path, Bytes& out) {
  using K = AbiType::Kind;
  using V = AbiValue::Kind;
  auto expect = [&](V kind, const char* name) -> Status {
    if (value.kind() != kind) return Mismatch(path, type, std::string("expected ") + name);
    return Status::OK();
  };
  switch (type.kind()) {
    case K::kUint: {
      TRIB_RETURN_IF_ERROR(expect(V::kUint, "an unsigned integer"));
      if (type.bits() < 256) {
        const auto b = value.as_uint().ToBytes();
        const size_t used = 32 - static_cast<size_t>(type.bits()) / 8;
        for (size_t i = 0; i < used; ++i) {
          if (b[i] != 0) return Mismatch(path, type, value.as_uint().ToString() + " does not fit");
        }
      }
      AppendWord(out, value.as_uint());
      return Status::OK();
    }
    case K::kAddress: {
      TRIB_RETURN_IF_ERROR(expect(V::kAddress, "an address"));
      out.insert(out.end(), 12, 0);
      out.insert(out.end(), value.as_address().bytes.begin(), value.as_address().bytes.end());
      return Status::OK();
    }
    case K::kBool: {
      TRIB_RETURN_IF_ERROR(expect(V::kBool, "a bool"));
      out.insert(out.end(), 31, 0);
      out.push_back(value.as_bool() ? 1 : 0);
      return Status::OK();
    }
    case K::kFixedBytes: {
      TRIB_RETURN_IF_ERROR(expect(V::kFixedBytes, "fixed bytes"));
      if (value.as_bytes().size() != type.size()) {
        return Mismatch(path, type, std::to_string(value.as_bytes().size()) + " bytes");
      }
      out.insert(out.end(), value.as_bytes().begin(), value.as_bytes().end());
      out.insert(out.end(), kWord - type.size(), 0);
      return Status::OK();
    }
    case K::kBytes:
    case K::kString: {
      const bool is_string = type.kind() == K::kString;
      TRIB_RETURN_IF_ERROR(
          expect(is_string ? V::kString : V::kBytes, is_string ? "a string" : "bytes"));
      const Bytes& b = value.as_bytes();
      AppendWord(out, U256(Amount{b.size()}));
      out.insert(out.end(), b.begin(), b.end());
      out.insert(out.end(), Padded(b.size()) - b.size(), 0);
      return Status::OK();
    }
    case K::kFixedArray: {
      TRIB_RETURN_IF_ERROR(expect(V::kArray, "an array"));
      if (value.elements().size() != type.size()) {
        return Mismatch(path, type, std::to_string(value.elements().size()) + " elements");
      }
      return EncodeSeq(TypeSeq::Repeat(type.element(), type.size()), value.elements(), path, out);
    }
    case K::kArray: {
      TRIB_RETURN_IF_ERROR(expect(V::kArray, "an array"));
      AppendWord(out, U256(Amount{value.elements().size()}));
      return EncodeSeq(TypeSeq::Repeat(type.element(), value.elements().size()), value.elements(),
                       path, out);
    }
    case K::kTuple: {
      TRIB_RETURN_IF_ERROR(expect(V::kTuple, "a tuple"));
      if (value.elements().size() != type.components().size()) {
        return Mismatch(path, type, std::to_string(value.elements().size()) + " members");
      }
      return EncodeSeq(TypeSeq::Of(type.components()), value.elements(), path, out);
    }
  }
  return Status::Internal("unknown ABI type kind");
}

Status EncodeSeq(const TypeSeq& types, std::span<const AbiValue> values, const std::string& path,
                 Bytes& out) {
  Bytes head;
  Bytes tail;
  const size_t head_size = types.HeadSize();
  head.reserve(head_size);
  for (size_t i = 0; i < types.n; ++i) {
    const AbiType& t = types.at(i);
    const std::string here = path + "[" + std::to_string(i) + "]";
    if (t.IsDynamic()) {
      AppendWord(head, U256(Amount{head_size + tail.size()}));
      TRIB_RETURN_IF_ERROR(Encode(t, values[i], here, tail));
    } else {
      TRIB_RETURN_IF_ERROR(Encode(t, values[i], here, head));
    }
  }
  out.insert(out.end(), head.begin(), head.end());
  out.insert(out.end(), tail.begin(), tail.end());
  return Status::OK();
}

// --- Decoding ---------------------------------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(ByteView data) : data_(data), budget_(8 * data.size() + 4096) {}

  Result<std::vector<AbiValue>> Seq(const TypeSeq& types, size_t base) {
    std::vector<AbiValue> out;
    out.reserve(types.n);
    size_t head = base;
    for (size_t i = 0; i < types.n; ++i) {
      const AbiType& t = types.at(i);
      if (t.IsDynamic()) {
        TRIB_ASSIGN_OR_RETURN(uint64_t offset, Offset(head, "offset"));
        if (offset > data_.size() - base) {
          return Error("abi_bad_offset", "offset " + std::to_string(offset) + " at byte " +
                                             std::to_string(head) + " points past the data");
        }
        TRIB_ASSIGN_OR_RETURN(AbiValue v, Value(t, base + offset));
        out.push_back(std::move(v));
      } else {
        TRIB_ASSIGN_OR_RETURN(AbiValue v, Value(t, head));
        out.push_back(std::move(v));
      }
      head += t.HeadSize();
    }
    return out;
  }

 private:
  Status Error(const char* reason, std::string message) const {
    return Status::InvalidArgument("ABI data: " + message, reason);
  }

  // The word at `at`, charged to the inflation budget.
  Result<const uint8_t*> Word(size_t at) {
    if (at > data_.size() || data_.size() - at < kWord) {
      return Error("abi_truncated", "data ends before the word at byte " + std::to_string(at));
    }
    TRIB_RETURN_IF_ERROR(Charge(kWord));
    return data_.data() + at;
  }

  Status Charge(size_t n) {
    if (n > budget_) {
      return Error("abi_inflation", "data decodes to far more than its " +
                                        std::to_string(data_.size()) +
                                        " bytes (overlapping offsets?)");
    }
    budget_ -= n;
    return Status::OK();
  }

  // A word used as an offset or length: must fit 64 bits.
  Result<uint64_t> Offset(size_t at, const char* what) {
    TRIB_ASSIGN_OR_RETURN(const uint8_t* w, Word(at));
    for (size_t i = 0; i < 24; ++i) {
      if (w[i] != 0) {
        return Error("abi_bad_offset",
                     std::string(what) + " at byte " + std::to_string(at) + " is out of range");
      }
    }
    uint64_t v = 0;
    for (size_t i = 24; i < 32; ++i) v = (v << 8) | w[i];
    return v;
  }

  Status Dirty(const AbiType& t, size_t at) const {
    return Error("abi_dirty_value",
                 "the word at byte " + std::to_string(at) + " is not a valid " + t.ToString());
  }

  Result<AbiValue> Value(const AbiType& t, size_t at) {
    using K = AbiType::Kind;
    switch (t.kind()) {
      case K::kUint: {
        TRIB_ASSIGN_OR_RETURN(const uint8_t* w, Word(at));
        const size_t high = 32 - static_cast<size_t>(t.bits()) / 8;
        for (size_t i = 0; i < high; ++i) {
          if (w[i] != 0) return Dirty(t, at);
        }
        std::array<uint8_t, 32> b;
        std::copy(w, w + 32, b.begin());
        return AbiValue::FromUint(U256::FromBytes(b));
      }
      case K::kAddress: {
        TRIB_ASSIGN_OR_RETURN(const uint8_t* w, Word(at));
        for (size_t i = 0; i < 12; ++i) {
          if (w[i] != 0) return Dirty(t, at);
        }
        return AbiValue::FromAddress(*evm::Address::FromBytes(ByteView(w + 12, 20)));
      }
      case K::kBool: {
        TRIB_ASSIGN_OR_RETURN(const uint8_t* w, Word(at));
        for (size_t i = 0; i < 31; ++i) {
          if (w[i] != 0) return Dirty(t, at);
        }
        if (w[31] > 1) return Dirty(t, at);
        return AbiValue::FromBool(w[31] == 1);
      }
      case K::kFixedBytes: {
        TRIB_ASSIGN_OR_RETURN(const uint8_t* w, Word(at));
        for (size_t i = t.size(); i < kWord; ++i) {
          if (w[i] != 0) return Dirty(t, at);
        }
        return AbiValue::FromFixedBytes(ByteView(w, t.size()));
      }
      case K::kBytes:
      case K::kString: {
        TRIB_ASSIGN_OR_RETURN(uint64_t len, Offset(at, "length"));
        const size_t start = at + kWord;
        if (len > data_.size() - start) {
          return Error("abi_bad_offset", "length " + std::to_string(len) + " at byte " +
                                             std::to_string(at) + " runs past the data");
        }
        if (Padded(len) > data_.size() - start) {
          return Error("abi_truncated",
                       "data ends inside the padding of the bytes at byte " + std::to_string(at));
        }
        TRIB_RETURN_IF_ERROR(Charge(Padded(len)));
        ByteView b = data_.subspan(start, len);
        return t.kind() == K::kString ? AbiValue::FromString(AsString(b)) : AbiValue::FromBytes(b);
      }
      case K::kFixedArray: {
        TRIB_ASSIGN_OR_RETURN(std::vector<AbiValue> elems,
                              Seq(TypeSeq::Repeat(t.element(), t.size()), at));
        return AbiValue::FromArray(std::move(elems));
      }
      case K::kArray: {
        TRIB_ASSIGN_OR_RETURN(uint64_t n, Offset(at, "array length"));
        const size_t start = at + kWord;
        // Every element takes at least its head in the data; a length beyond that is a lie,
        // refused before anything is allocated for it.
        const size_t elem_head = t.element().HeadSize();
        if (n > (data_.size() - std::min(start, data_.size())) / elem_head) {
          return Error("abi_bad_offset", "array length " + std::to_string(n) + " at byte " +
                                             std::to_string(at) + " runs past the data");
        }
        TRIB_ASSIGN_OR_RETURN(std::vector<AbiValue> elems,
                              Seq(TypeSeq::Repeat(t.element(), n), start));
        return AbiValue::FromArray(std::move(elems));
      }
      case K::kTuple: {
        TRIB_ASSIGN_OR_RETURN(std::vector<AbiValue> members, Seq(TypeSeq::Of(t.components()), at));
        return AbiValue::FromTuple(std::move(members));
      }
    }
    return Status::Internal("unknown ABI type kind");
  }

  ByteView data_;
  size_t budget_;  // bytes the decoding may still read
};

}  // namespace

Result<Bytes> AbiEncode(std::span<const AbiType> types, std::span<const AbiValue> values) {
  if (types.size() != values.size()) {
    return Status::InvalidArgument("ABI encode: " + std::to_string(types.size()) + " types but " +
                                       std::to_string(values.size()) + " values",
                                   "abi_value_mismatch");
  }
  Bytes out;
  TRIB_RETURN_IF_ERROR(EncodeSeq(TypeSeq::Of(types), values, "argument", out));
  return out;
}

Result<std::vector<AbiValue>> AbiDecode(std::span<const AbiType> types, ByteView data) {
  Decoder d(data);
  return d.Seq(TypeSeq::Of(types), 0);
}

}  // namespace tributary::evm
