// Finding a registered model's files on this machine: the ledger commits to content hashes
// (economy/models.h), so the files are found by hashing candidates, never trusted by name.
#include <fstream>

#include "cli/attribution-commands.h"
#include "tributary/base/file_hash.h"

namespace tributary::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool IsAdapterDir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "adapter_config.json", ec) &&
         fs::is_regular_file(dir / "adapter_model.safetensors", ec);
}

json ReadJsonFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return json();
  return json::parse(in, nullptr, false);
}

// Adapter directories under `root`, at most two levels down, in path order.
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

}  // namespace

Result<LocalModel> ResolveModel(const Common& c, const std::string& id, const fs::path& models_dir,
                                const fs::path& base_override) {
  LocalModel m;
  TRIB_ASSIGN_OR_RETURN(m.record, NodeGet(c, "/v1/models/" + id));
  m.id = m.record.value("id", uint64_t{0});
  const std::string adapter_hash = m.record.value("adapter_hash", "");
  const std::string base_hash = m.record.value("base_hash", "");
  for (const auto& d : m.record.value("data", json::array())) {
    m.versions.push_back({d.value("datanet", uint64_t{0}), d.value("version", uint32_t{0})});
  }

  // Directories whose training.json names the hash go first; every candidate is hashed.
  std::vector<fs::path> dirs = AdapterDirs(models_dir);
  std::stable_partition(dirs.begin(), dirs.end(), [&](const fs::path& d) {
    json t = ReadJsonFile(d / "training.json");
    return t.is_object() && t.value("adapter_hash", "") == adapter_hash;
  });
  for (const auto& d : dirs) {
    auto h = HashModelFiles(d, ModelFiles::kAdapter);
    if (h.ok() && ToHex(*h) == adapter_hash) {
      m.adapter_dir = d;
      break;
    }
  }
  if (m.adapter_dir.empty()) {
    return Status::NotFound("model " + id + ": no adapter under " + models_dir.string() +
                                " hashes to its registered adapter_hash " + adapter_hash +
                                " (copy the adapter directory there, or pass --models)",
                            "model_files_missing");
  }

  if (!base_override.empty()) {
    m.base_dir = base_override;
  } else {
    json t = ReadJsonFile(m.adapter_dir / "training.json");
    std::string path = t.is_object() && t.contains("base") && t["base"].is_object()
                           ? t["base"].value("path", "")
                           : "";
    if (path.empty()) {
      return Status::NotFound("model " + id + ": " + (m.adapter_dir / "training.json").string() +
                                  " names no base model; pass --base",
                              "model_files_missing");
    }
    m.base_dir = path;
  }
  auto h = HashModelFiles(m.base_dir, ModelFiles::kBase);
  if (!h.ok()) {
    return Status::NotFound("model " + id + ": base " + m.base_dir.string() + ": " +
                                h.status().message(),
                            "model_files_missing");
  }
  if (ToHex(*h) != base_hash) {
    return Status::FailedPrecondition("model " + id + ": the base at " + m.base_dir.string() +
                                          " does not hash to the registered base_hash " +
                                          base_hash,
                                      "model_files_missing");
  }
  return m;
}

}  // namespace tributary::cli
