#include "tributary/model/safetensors.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "model/file-map.h"

namespace tributary::model {
namespace {

using json = nlohmann::json;

// The reference implementation's limit on the JSON header.
constexpr uint64_t kMaxHeaderBytes = 100u * 1000 * 1000;

Status Bad(const std::filesystem::path& path, const std::string& msg) {
  return Status::InvalidArgument(path.string() + ": " + msg, "bad_safetensors");
}

}  // namespace

size_t DTypeSize(DType dtype) { return dtype == DType::kF32 ? 4 : 2; }

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
  }
  return "?";
}

Result<DType> ParseDType(std::string_view name) {
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return Status::InvalidArgument(
      "unsupported dtype '" + std::string(name) + "' (supported: F32, F16, BF16)",
      "unsupported_dtype");
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
}

const TensorInfo* SafetensorsFile::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::filesystem::path& path) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  TRIB_ASSIGN_OR_RETURN(MappedBytes mapped, MapWholeFile(path, /*writable=*/true));
  f->map_ = mapped.addr;
  f->map_size_ = mapped.size;
  const uint64_t size = mapped.size;
  if (size < 8) {
    return Bad(path, "file of " + std::to_string(size) + " bytes is too short for a header");
  }
  void* map = mapped.addr;
  const auto* bytes = static_cast<const uint8_t*>(map);

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | bytes[i];
  if (header_len > kMaxHeaderBytes) {
    return Bad(path, "header of " + std::to_string(header_len) + " bytes exceeds the 100 MB limit");
  }
  if (header_len > size - 8) {
    return Bad(path, "header length " + std::to_string(header_len) + " runs past the end of the " +
                         std::to_string(size) + "-byte file (truncated?)");
  }
  const uint64_t data_size = size - 8 - header_len;
  f->data_ = static_cast<uint8_t*>(map) + 8 + header_len;

  json header = json::parse(bytes + 8, bytes + 8 + header_len, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return Bad(path, "header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return Bad(path, "__metadata__ must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string())
          return Bad(path, "__metadata__." + m.key() + " is not a string");
        f->metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets") || !v["dtype"].is_string() || !v["shape"].is_array() ||
        !v["data_offsets"].is_array() || v["data_offsets"].size() != 2) {
      return Bad(path, where + "needs dtype, shape and data_offsets [begin, end]");
    }
    TensorInfo t;
    t.name = name;
    auto dtype = ParseDType(v["dtype"].get<std::string>());
    if (!dtype.ok()) return Bad(path, where + dtype.status().message());
    t.dtype = *dtype;
    uint64_t elems = 1;
    for (const json& d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        return Bad(path, where + "shape entries must be non-negative integers");
      }
      uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && elems > UINT64_MAX / dim) return Bad(path, where + "shape overflows");
      elems *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    if (elems > UINT64_MAX / DTypeSize(t.dtype)) return Bad(path, where + "shape overflows");
    for (const json& o : v["data_offsets"]) {
      if (!o.is_number_unsigned())
        return Bad(path, where + "data_offsets must be non-negative integers");
    }
    t.begin = v["data_offsets"][0].get<uint64_t>();
    t.end = v["data_offsets"][1].get<uint64_t>();
    if (t.begin > t.end || t.end > data_size) {
      return Bad(path, where + "data_offsets [" + std::to_string(t.begin) + ", " +
                           std::to_string(t.end) + "] lie outside the " +
                           std::to_string(data_size) + "-byte data buffer");
    }
    if (t.end - t.begin != elems * DTypeSize(t.dtype)) {
      return Bad(path, where + "holds " + std::to_string(t.end - t.begin) +
                           " bytes but its shape and " + std::string(DTypeName(t.dtype)) +
                           " need " + std::to_string(elems * DTypeSize(t.dtype)));
    }
    f->tensors_.push_back(std::move(t));
  }
  std::sort(f->tensors_.begin(), f->tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  // The buffer must be covered exactly: no overlaps, no holes (as the reference requires).
  uint64_t cursor = 0;
  for (size_t i = 0; i < f->tensors_.size(); ++i) {
    const TensorInfo& t = f->tensors_[i];
    if (t.begin < cursor) return Bad(path, "tensor '" + t.name + "' overlaps the previous tensor");
    if (t.begin > cursor) {
      return Bad(path, "the data buffer has a hole before tensor '" + t.name + "'");
    }
    cursor = t.end;
    f->index_[t.name] = i;
  }
  if (cursor != data_size) {
    return Bad(path, "the data buffer has " + std::to_string(data_size - cursor) +
                         " bytes that no tensor uses");
  }
  return f;
}

Status WriteSafetensors(const std::filesystem::path& path, const std::vector<TensorData>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorData*> sorted;
  for (const auto& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorData* a, const TensorData* b) { return a->name < b->name; });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::set<std::string> names;
  for (const TensorData* t : sorted) {
    if (!names.insert(t->name).second) {
      return Status::InvalidArgument("tensor '" + t->name + "' is listed twice");
    }
    uint64_t elems = 1;
    for (int64_t d : t->shape) elems *= static_cast<uint64_t>(d);
    if (elems * DTypeSize(t->dtype) != t->data.size()) {
      return Status::InvalidArgument("tensor '" + t->name + "': " + std::to_string(t->data.size()) +
                                     " bytes do not match its shape");
    }
    header[t->name] = {{"dtype", std::string(DTypeName(t->dtype))},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->data.size()}}};
    offset += t->data.size();
  }
  std::string text = header.dump();
  // Pad the header with spaces so the data buffer starts 8-byte aligned (as the reference does).
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    uint64_t n = text.size();
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const TensorData* t : sorted) {
      out.write(reinterpret_cast<const char*>(t->data.data()),
                static_cast<std::streamsize>(t->data.size()));
    }
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::OK();
}

Result<Checkpoint> Checkpoint::Open(const std::filesystem::path& dir) {
  Checkpoint c;
  c.dir_ = dir;
  std::vector<std::string> shard_names;
  auto index_path = dir / "model.safetensors.index.json";
  if (std::filesystem::exists(index_path)) {
    std::ifstream in(index_path);
    std::stringstream ss;
    ss << in.rdbuf();
    json idx = json::parse(ss.str(), nullptr, false);
    if (idx.is_discarded() || !idx.is_object() || !idx.contains("weight_map") ||
        !idx["weight_map"].is_object()) {
      return Status::InvalidArgument(index_path.string() + ": needs a weight_map object",
                                     "bad_safetensors");
    }
    std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
    for (auto it = idx["weight_map"].begin(); it != idx["weight_map"].end(); ++it) {
      if (!it.value().is_string()) {
        return Status::InvalidArgument(
            index_path.string() + ": weight_map['" + it.key() + "'] is not a file name",
            "bad_safetensors");
      }
      std::string shard = it.value().get<std::string>();
      if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos) {
        return Status::InvalidArgument(
            index_path.string() + ": shard '" + shard + "' is not a plain file name",
            "bad_safetensors");
      }
      auto& f = shards[shard];
      if (!f) {
        TRIB_ASSIGN_OR_RETURN(auto opened, SafetensorsFile::Open(dir / shard));
        f = std::move(opened);
        c.files_.push_back(f);
      }
      const TensorInfo* info = f->Find(it.key());
      if (!info) {
        return Status::NotFound(
            index_path.string() + ": tensor '" + it.key() + "' is not in " + shard,
            "missing_tensor");
      }
      c.entries_[it.key()] = Entry{f.get(), info};
    }
    return c;
  }
  auto single = dir / "model.safetensors";
  if (!std::filesystem::exists(single)) {
    return Status::NotFound(dir.string() + ": no model.safetensors or model.safetensors.index.json",
                            "file_not_found");
  }
  TRIB_ASSIGN_OR_RETURN(auto opened, SafetensorsFile::Open(single));
  std::shared_ptr<SafetensorsFile> f = std::move(opened);
  c.files_.push_back(f);
  for (const auto& t : f->tensors()) c.entries_[t.name] = Entry{f.get(), &t};
  return c;
}

Result<Checkpoint::Entry> Checkpoint::Find(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return Status::NotFound(dir_.string() + ": tensor '" + std::string(name) + "' is missing",
                            "missing_tensor");
  }
  return it->second;
}

std::vector<std::string> Checkpoint::Names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) out.push_back(k);
  return out;
}

}  // namespace tributary::model
