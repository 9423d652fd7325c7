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

Result<ModelFileDirs> LocateModelFiles(const std::string& label, const Hash32& adapter_hash,
                                       const Hash32& base_hash, const fs::path& models_dir,
                                       const fs::path& base_override) {
  ModelFileDirs out;
  auto found = FindAdapterFiles(models_dir, adapter_hash);
  if (!found.ok()) {
    return Status::NotFound(label + ": no adapter under " + models_dir.string() +
                                " hashes to its registered adapter_hash " + ToHex(adapter_hash) +
                                " (copy the adapter directory there, or pass --models)",
                            "model_files_missing");
  }
  out.adapter_dir = *found;
  if (!base_override.empty()) {
    out.base_dir = base_override;
  } else {
    std::ifstream in(out.adapter_dir / "training.json");
    auto t = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
    std::string path = t.is_object() && t.contains("base") && t["base"].is_object() &&
                               t["base"].contains("path") && t["base"]["path"].is_string()
                           ? t["base"]["path"].get<std::string>()
                           : "";
    if (path.empty()) {
      return Status::NotFound(label + ": " + (out.adapter_dir / "training.json").string() +
                                  " names no base model; pass --base",
                              "model_files_missing");
    }
    out.base_dir = path;
  }
  auto h = HashModelFiles(out.base_dir, ModelFiles::kBase);
  if (!h.ok()) {
    return Status::NotFound(label + ": base " + out.base_dir.string() + ": " + h.status().message(),
                            "model_files_missing");
  }
  if (*h != base_hash) {
    return Status::FailedPrecondition(label + ": the base at " + out.base_dir.string() +
                                          " does not hash to the registered base_hash " +
                                          ToHex(base_hash),
                                      "model_files_missing");
  }
  return out;
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
