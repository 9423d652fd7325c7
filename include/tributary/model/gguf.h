// GGUF files (llama.cpp, Ollama): memory-mapped reading of the header, the typed metadata and the
// tensor infos, versions 2 and 3.
//
// Layout (little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata count; then
// each metadata pair (string key, u32 value type, value; strings are u64 length + bytes, arrays
// are u32 element type + u64 count + elements, nested arrays allowed); then each tensor info
// (string name, u32 n_dims, u64 dims[n_dims] with dims[0] the fastest-varying, u32 ggml type,
// u64 offset relative to the data section); the data section starts at the next multiple of
// `general.alignment` (default 32). Open() validates everything a reader later relies on:
// counts and lengths against the file size (a truncated file is named as such), every tensor's
// bytes inside the file, duplicate keys and names, the alignment; errors name the file and the
// key or tensor. A tensor of a type this code cannot dequantize is not an error until it is read.
//
// Thread-safety: a GgufFile is immutable after Open; share it freely.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::model {

//! GGUF metadata value types (gguf.h `enum gguf_type`).
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

//! One metadata value. Integers keep their sign (uint64 above INT64_MAX stays in `uint64_t`).
struct GgufValue {
  GgufValueType type = GgufValueType::kUint32;
  GgufValueType element_type = GgufValueType::kUint32;  //!< for arrays
  std::variant<uint64_t, int64_t, double, bool, std::string, std::vector<GgufValue>> value;

  //! The integer, for any integer type or bool; nullopt otherwise or when it does not fit.
  std::optional<int64_t> AsInt() const;
  //! The number, for integer and float types.
  std::optional<double> AsFloat() const;
  std::optional<bool> AsBool() const;
  const std::string* AsString() const;
  const std::vector<GgufValue>* AsArray() const;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  //!< ggml order: dims[0] is the fastest-varying (columns)
  uint32_t type = 0;          //!< ggml type id (ggml_quant.h)
  uint64_t offset = 0;        //!< absolute offset in the file
  uint64_t bytes = 0;         //!< size of its data
  int64_t numel() const;
  //! The row-major shape Hugging Face uses: dims reversed ([out, in] for a weight).
  std::vector<int64_t> shape() const;
};

class GgufFile {
 public:
  //! Maps and validates `path` (errors: file_not_found, bad_gguf with the file named).
  static Result<std::unique_ptr<GgufFile>> Open(const std::filesystem::path& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t size() const { return size_; }

  const std::map<std::string, GgufValue, std::less<>>& metadata() const { return metadata_; }
  //! nullptr when absent.
  const GgufValue* Find(std::string_view key) const;

  //! Tensors in file order.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  //! nullptr when absent.
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  //! The tensor's bytes inside the mapping (valid while this object lives).
  const uint8_t* Data(const GgufTensorInfo& info) const { return base_ + info.offset; }
  //! The tensor dequantized to float32, in row-major order of shape(). Errors name the file and
  //! the tensor (unsupported_quantization names the type).
  Result<std::vector<float>> ReadFloat(const GgufTensorInfo& info) const;

 private:
  GgufFile() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  uint64_t size_ = 0;
  const uint8_t* base_ = nullptr;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::map<std::string, GgufValue, std::less<>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace tributary::model
