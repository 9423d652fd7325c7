// safetensors files: memory-mapped reading with a validated header, and writing.
//
// Format (https://huggingface.co/docs/safetensors): u64 little-endian header
// length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [b, e]},
// "__metadata__": {str: str}}, then the data buffer; offsets are relative to
// the buffer. Open() refuses, naming the file and the tensor, anything the
// reference would refuse and more: a header over 100 MB or not JSON, an
// unknown dtype (only F32, F16 and BF16 are accepted), a negative or
// overflowing shape, offsets outside the file, a byte count that does not
// match the shape, tensors that overlap, or holes in the buffer.
//
// Thread-safety: a SafetensorsFile is immutable after Open; share it freely.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/bytes.h"

namespace tributary::model {

enum class DType { kF32, kF16, kBF16 };

size_t DTypeSize(DType dtype);
std::string_view DTypeName(DType dtype);  //!< "F32", "F16", "BF16"
Result<DType> ParseDType(std::string_view name);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  //!< offset in the data buffer
  uint64_t end = 0;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  //! Maps and validates `path`. The mapping is private and copy-on-write: tensors built on it may
  //! be written to without touching the file.
  static Result<std::unique_ptr<SafetensorsFile>> Open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  //! Tensors in data-offset order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  //! nullptr when absent.
  const TensorInfo* Find(std::string_view name) const;
  //! The tensor's bytes inside the mapping (valid while this object lives).
  uint8_t* Data(const TensorInfo& info) const { return data_ + info.begin; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  uint8_t* data_ = nullptr;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

//! A tensor to write: its bytes must be dtype-sized elements in row-major order.
struct TensorData {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  ByteView data;
};

//! Writes a safetensors file (tensors sorted by name, as the reference writer does), atomically
//! through a temporary file.
Status WriteSafetensors(const std::filesystem::path& path, const std::vector<TensorData>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

//! All tensors of a checkpoint directory: `model.safetensors`, or the shards listed in
//! `model.safetensors.index.json` (weight_map: tensor name -> shard file).
class Checkpoint {
 public:
  static Result<Checkpoint> Open(const std::filesystem::path& dir);

  struct Entry {
    const SafetensorsFile* file;
    const TensorInfo* info;
  };
  //! NotFound naming the tensor and the checkpoint when absent.
  Result<Entry> Find(std::string_view name) const;
  std::vector<std::string> Names() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace tributary::model
