#include <sys/mman.h>

#include <cstring>
#include <limits>

#include "model/file-map.h"
#include "tributary/model/ggml_quant.h"
#include "tributary/model/gguf.h"

namespace tributary::model {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS

Status Bad(const std::filesystem::path& path, const std::string& msg) {
  return Status::InvalidArgument(path.string() + ": " + msg, "bad_gguf");
}

// Bounds-checked little-endian cursor over the mapping. Every read that would pass the end
// reports a truncated file instead.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size, const std::filesystem::path& path)
      : data_(data), size_(size), path_(path) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  template <typename T>
  Status Read(T* out, const std::string& what) {
    if (left() < sizeof(T)) return Truncated(what);
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::OK();
  }

  Status ReadString(std::string* out, const std::string& what) {
    uint64_t len = 0;
    TRIB_RETURN_IF_ERROR(Read(&len, what + " length"));
    if (len > left()) return Truncated(what + " (" + std::to_string(len) + " bytes)");
    out->assign(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return Status::OK();
  }

  Status Truncated(const std::string& what) const {
    return Bad(path_, "truncated file: " + what + " at byte " + std::to_string(pos_) +
                          " runs past the end of the " + std::to_string(size_) + "-byte file");
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::filesystem::path& path_;
};

// The smallest encoding of one value of `type`: bounds a claimed array count before reserving.
uint64_t MinBytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kString:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kArray:
      return 12;
  }
  return 1;
}

bool KnownType(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::kFloat64); }

template <typename T, typename Stored>
Status ReadScalar(Cursor& in, const std::string& key, GgufValue* out) {
  T v{};
  TRIB_RETURN_IF_ERROR(in.Read(&v, "value of '" + key + "'"));
  out->value = static_cast<Stored>(v);
  return Status::OK();
}

Status ReadValue(Cursor& in, GgufValueType type, const std::string& key, int depth,
                 GgufValue* out) {
  out->type = type;
  switch (type) {
    case GgufValueType::kUint8:
      return ReadScalar<uint8_t, uint64_t>(in, key, out);
    case GgufValueType::kInt8:
      return ReadScalar<int8_t, int64_t>(in, key, out);
    case GgufValueType::kUint16:
      return ReadScalar<uint16_t, uint64_t>(in, key, out);
    case GgufValueType::kInt16:
      return ReadScalar<int16_t, int64_t>(in, key, out);
    case GgufValueType::kUint32:
      return ReadScalar<uint32_t, uint64_t>(in, key, out);
    case GgufValueType::kInt32:
      return ReadScalar<int32_t, int64_t>(in, key, out);
    case GgufValueType::kUint64:
      return ReadScalar<uint64_t, uint64_t>(in, key, out);
    case GgufValueType::kInt64:
      return ReadScalar<int64_t, int64_t>(in, key, out);
    case GgufValueType::kFloat32:
      return ReadScalar<float, double>(in, key, out);
    case GgufValueType::kFloat64:
      return ReadScalar<double, double>(in, key, out);
    case GgufValueType::kBool: {
      uint8_t v = 0;
      TRIB_RETURN_IF_ERROR(in.Read(&v, "value of '" + key + "'"));
      if (v > 1) return Bad(in.path(), "metadata '" + key + "': bool value " + std::to_string(v));
      out->value = v == 1;
      return Status::OK();
    }
    case GgufValueType::kString: {
      std::string s;
      TRIB_RETURN_IF_ERROR(in.ReadString(&s, "string value of '" + key + "'"));
      out->value = std::move(s);
      return Status::OK();
    }
    case GgufValueType::kArray: {
      if (depth >= kMaxArrayDepth) {
        return Bad(in.path(), "metadata '" + key + "': arrays nested deeper than " +
                                  std::to_string(kMaxArrayDepth));
      }
      uint32_t elem = 0;
      uint64_t count = 0;
      TRIB_RETURN_IF_ERROR(in.Read(&elem, "array type of '" + key + "'"));
      if (!KnownType(elem)) {
        return Bad(in.path(),
                   "metadata '" + key + "': unknown array element type " + std::to_string(elem));
      }
      TRIB_RETURN_IF_ERROR(in.Read(&count, "array length of '" + key + "'"));
      out->element_type = static_cast<GgufValueType>(elem);
      if (count > in.left() / MinBytes(out->element_type)) {
        return in.Truncated("array '" + key + "' of " + std::to_string(count) + " elements");
      }
      std::vector<GgufValue> items(count);
      for (uint64_t i = 0; i < count; ++i) {
        TRIB_RETURN_IF_ERROR(ReadValue(in, out->element_type, key, depth + 1, &items[i]));
      }
      out->value = std::move(items);
      return Status::OK();
    }
  }
  return Bad(in.path(), "metadata '" + key + "': unknown value type");
}

}  // namespace

std::optional<int64_t> GgufValue::AsInt() const {
  if (const auto* u = std::get_if<uint64_t>(&value)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&value)) return *i;
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1 : 0;
  return std::nullopt;
}

std::optional<double> GgufValue::AsFloat() const {
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&value)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> GgufValue::AsBool() const {
  if (const auto* b = std::get_if<bool>(&value)) return *b;
  return std::nullopt;
}

const std::string* GgufValue::AsString() const { return std::get_if<std::string>(&value); }

const std::vector<GgufValue>* GgufValue::AsArray() const {
  return std::get_if<std::vector<GgufValue>>(&value);
}

int64_t GgufTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::vector<int64_t> GgufTensorInfo::shape() const { return {dims.rbegin(), dims.rend()}; }

GgufFile::~GgufFile() {
  if (map_) ::munmap(map_, size_);
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::filesystem::path& path) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  TRIB_ASSIGN_OR_RETURN(MappedBytes mapped, MapWholeFile(path, /*writable=*/false));
  f->map_ = mapped.addr;
  f->size_ = mapped.size;
  if (f->size_ < 4) {
    return Bad(path, "file of " + std::to_string(f->size_) + " bytes is too short for a header");
  }
  void* map = mapped.addr;
  f->base_ = static_cast<const uint8_t*>(map);

  Cursor in(f->base_, f->size_, f->path_);
  uint32_t magic = 0;
  TRIB_RETURN_IF_ERROR(in.Read(&magic, "magic"));
  if (magic != kMagic) {
    return Bad(path, "bad magic (not a GGUF file): first bytes are not \"GGUF\"");
  }
  TRIB_RETURN_IF_ERROR(in.Read(&f->version_, "version"));
  if (f->version_ != 2 && f->version_ != 3) {
    return Status::InvalidArgument(path.string() + ": unsupported GGUF version " +
                                       std::to_string(f->version_) + " (supported: 2, 3)",
                                   "unsupported_gguf_version");
  }
  uint64_t n_tensors = 0, n_kv = 0;
  TRIB_RETURN_IF_ERROR(in.Read(&n_tensors, "tensor count"));
  TRIB_RETURN_IF_ERROR(in.Read(&n_kv, "metadata count"));
  // Each pair takes at least 13 bytes and each tensor info at least 24: bound before looping.
  if (n_kv > in.left() / 13) return in.Truncated(std::to_string(n_kv) + " metadata pairs");
  if (n_tensors > in.left() / 24) return in.Truncated(std::to_string(n_tensors) + " tensor infos");

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key;
    TRIB_RETURN_IF_ERROR(in.ReadString(&key, "metadata key " + std::to_string(i)));
    uint32_t type = 0;
    TRIB_RETURN_IF_ERROR(in.Read(&type, "type of '" + key + "'"));
    if (!KnownType(type)) {
      return Bad(path, "metadata '" + key + "': unknown value type " + std::to_string(type));
    }
    GgufValue value;
    TRIB_RETURN_IF_ERROR(ReadValue(in, static_cast<GgufValueType>(type), key, 0, &value));
    if (!f->metadata_.emplace(key, std::move(value)).second) {
      return Bad(path, "metadata key '" + key + "' appears twice");
    }
  }
  if (const GgufValue* a = f->Find("general.alignment")) {
    auto v = a->AsInt();
    if (!v || *v <= 0 || (*v & (*v - 1)) != 0 || *v > (1 << 20)) {
      return Bad(path, "metadata 'general.alignment' must be a power of two");
    }
    f->alignment_ = static_cast<uint64_t>(*v);
  }

  std::vector<uint64_t> relative(n_tensors);
  f->tensors_.resize(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo& t = f->tensors_[i];
    TRIB_RETURN_IF_ERROR(in.ReadString(&t.name, "name of tensor " + std::to_string(i)));
    const std::string where = "tensor '" + t.name + "': ";
    uint32_t n_dims = 0;
    TRIB_RETURN_IF_ERROR(in.Read(&n_dims, where + "dimension count"));
    if (n_dims == 0 || n_dims > kMaxDims) {
      return Bad(path, where + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    }
    int64_t numel = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = 0;
      TRIB_RETURN_IF_ERROR(in.Read(&dim, where + "dimension"));
      if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          static_cast<int64_t>(dim) > std::numeric_limits<int64_t>::max() / numel) {
        return Bad(path, where + "dimension " + std::to_string(dim) + " is zero or overflows");
      }
      t.dims.push_back(static_cast<int64_t>(dim));
      numel *= static_cast<int64_t>(dim);
    }
    TRIB_RETURN_IF_ERROR(in.Read(&t.type, where + "type"));
    TRIB_RETURN_IF_ERROR(in.Read(&relative[i], where + "offset"));
    if (relative[i] % f->alignment_ != 0) {
      return Bad(path, where + "offset " + std::to_string(relative[i]) +
                           " is not a multiple of the alignment " + std::to_string(f->alignment_));
    }
    if (!f->tensor_index_.emplace(t.name, i).second) {
      return Bad(path, "tensor '" + t.name + "' appears twice");
    }
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t data_start = (in.pos() + f->alignment_ - 1) / f->alignment_ * f->alignment_;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo& t = f->tensors_[i];
    const std::string where = "tensor '" + t.name + "': ";
    // Unsupported types are refused when read; their size still has to be known to check
    // bounds, so a type without a known block size is bounded only by its offset.
    std::optional<uint64_t> bytes = GgmlByteSize(t.type, t.numel());
    if (GgmlBlockOf(t.type) && !bytes) {
      return Bad(path, where + std::to_string(t.numel()) + " elements are not whole " +
                           GgmlTypeName(t.type) + " blocks");
    }
    t.bytes = bytes.value_or(0);
    if (relative[i] > f->size_ || data_start > f->size_ - relative[i] ||
        t.bytes > f->size_ - data_start - relative[i]) {
      return Bad(path, where + "data (" + std::to_string(t.bytes) + " bytes at offset " +
                           std::to_string(relative[i]) + " of the data section at byte " +
                           std::to_string(data_start) + ") lies outside the " +
                           std::to_string(f->size_) + "-byte file");
    }
    t.offset = data_start + relative[i];
  }
  return f;
}

Result<std::vector<float>> GgufFile::ReadFloat(const GgufTensorInfo& info) const {
  // An unsupported type is refused before allocating: its data was bounded only by its offset
  // (Open cannot size it), so its element count says nothing about the file. Found by fuzz_gguf.
  if (!GgmlBlockOf(info.type)) {
    Status s = Dequantize(info.type, nullptr, 0, nullptr);
    return s.WithContext(path_.string() + ": tensor '" + info.name + "'");
  }
  std::vector<float> out(static_cast<size_t>(info.numel()));
  Status s = Dequantize(info.type, Data(info), info.numel(), out.data());
  if (!s.ok()) return s.WithContext(path_.string() + ": tensor '" + info.name + "'");
  return out;
}

}  // namespace tributary::model
