#include "tributary/base/file_hash.h"

#include <algorithm>
#include <fstream>

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"

namespace tributary {

namespace fs = std::filesystem;

Result<std::vector<std::string>> SelectModelFiles(const fs::path& dir, ModelFiles kind) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound(dir.string() + " is not a directory", "model_not_found");
  }
  std::vector<std::string> names;
  if (kind == ModelFiles::kAdapter) {
    names = {"adapter_config.json", "adapter_model.safetensors"};
  } else {
    names.push_back("config.json");
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string n = e.path().filename().string();
      if (e.is_regular_file() && n.size() > 12 && n.ends_with(".safetensors")) names.push_back(n);
    }
    if (ec) return Status::IOError("cannot list " + dir.string() + ": " + ec.message());
    if (names.size() == 1) {
      return Status::NotFound("no *.safetensors weights in " + dir.string(), "model_not_found");
    }
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (!fs::is_regular_file(dir / n, ec)) {
      return Status::NotFound((dir / n).string() + " is missing", "model_not_found");
    }
  }
  return names;
}

Result<Hash32> HashModelFiles(const fs::path& dir, ModelFiles kind) {
  TRIB_ASSIGN_OR_RETURN(auto names, SelectModelFiles(dir, kind));
  Sha256Hasher h;
  std::vector<char> buf(1 << 20);
  for (const auto& n : names) {
    std::ifstream in(dir / n, std::ios::binary);
    if (!in) return Status::IOError("cannot read " + (dir / n).string());
    std::error_code ec;
    const uint64_t size = fs::file_size(dir / n, ec);
    if (ec) return Status::IOError("cannot stat " + (dir / n).string());
    h.Update(Writer().Str(n).U64(size).bytes());
    uint64_t read = 0;
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto got = static_cast<size_t>(in.gcount());
      if (got == 0) break;
      h.Update(ByteView(reinterpret_cast<const uint8_t*>(buf.data()), got));
      read += got;
    }
    if (read != size) return Status::IOError((dir / n).string() + " changed while hashing");
  }
  return h.Finish();
}

Result<Hash32> Sha256File(const fs::path& path,
                          const std::function<void(uint64_t, uint64_t)>& progress) {
  std::error_code ec;
  const uint64_t total = fs::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path.string() + ": " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path.string());
  Sha256Hasher h;
  std::vector<char> buf(size_t{1} << 20);
  uint64_t done = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    h.Update(ByteView(reinterpret_cast<const uint8_t*>(buf.data()), got));
    done += got;
    if (progress && (done >> 20) % 64 == 0) progress(done, total);
  }
  if (in.bad()) return Status::IOError("cannot read " + path.string());
  return h.Finish();
}

}  // namespace tributary
