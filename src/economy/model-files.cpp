#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tributary/base/file_hash.h"
#include "tributary/economy/model_files.h"

namespace tributary::economy {

namespace fs = std::filesystem;

namespace {

bool IsAdapterDir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "adapter_config.json", ec) &&
         fs::is_regular_file(dir / "adapter_model.safetensors", ec);
}

std::string TrainingAdapterHash(const fs::path& dir) {
  std::ifstream in(dir / "training.json");
  if (!in) return "";
  auto t = nlohmann::json::parse(in, nullptr, false);
  return t.is_object() ? t.value("adapter_hash", "") : "";
}

}  // namespace

std::vector<fs::path> AdapterDirs(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    if (it.depth() >= 1) it.disable_recursion_pending();
    if (IsAdapterDir(it->path())) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<fs::path> FindAdapterFiles(const fs::path& models_dir, const Hash32& adapter_hash) {
  const std::string want = ToHex(adapter_hash);
  std::vector<fs::path> dirs = AdapterDirs(models_dir);
  std::stable_partition(dirs.begin(), dirs.end(),
                        [&](const fs::path& d) { return TrainingAdapterHash(d) == want; });
  for (const auto& d : dirs) {
    auto h = HashModelFiles(d, ModelFiles::kAdapter);
    if (h.ok() && *h == adapter_hash) return d;
  }
  return Status::NotFound(
      "no adapter under " + models_dir.string() + " hashes to the registered adapter_hash " + want,
      "model_files_missing");
}

Result<fs::path> AdapterLocator::Find(const Hash32& adapter_hash) {
  const fs::path weights = "adapter_model.safetensors";
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = found_.find(adapter_hash);
    if (it != found_.end()) {
      std::error_code ec;
      auto size = fs::file_size(it->second.dir / weights, ec);
      auto mtime = fs::last_write_time(it->second.dir / weights, ec);
      if (!ec && size == it->second.size && mtime == it->second.mtime) return it->second.dir;
      found_.erase(it);
    }
  }
  TRIB_ASSIGN_OR_RETURN(fs::path dir, FindAdapterFiles(dir_, adapter_hash));
  std::error_code ec;
  Seen seen{dir, fs::file_size(dir / weights, ec), fs::last_write_time(dir / weights, ec)};
  if (!ec) {
    std::lock_guard<std::mutex> lock(mu_);
    found_[adapter_hash] = seen;
  }
  return dir;
}

}  // namespace tributary::economy
