// Finding a registered model's files on this machine: the ledger commits to content hashes
// (economy/models.h), so the files are found by hashing candidates, never trusted by name.
#include <fstream>

#include "cli/attribution-commands.h"
#include "tributary/base/file_hash.h"
#include "tributary/economy/model_files.h"

namespace tributary::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json ReadJsonFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return json();
  return json::parse(in, nullptr, false);
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

  auto adapter_hash_bytes = FixedFromHex<32>(adapter_hash);
  auto found = adapter_hash_bytes.ok() ? economy::FindAdapterFiles(models_dir, *adapter_hash_bytes)
                                       : Result<fs::path>(adapter_hash_bytes.status());
  if (!found.ok()) {
    return Status::NotFound("model " + id + ": no adapter under " + models_dir.string() +
                                " hashes to its registered adapter_hash " + adapter_hash +
                                " (copy the adapter directory there, or pass --models)",
                            "model_files_missing");
  }
  m.adapter_dir = *found;

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
    return Status::NotFound(
        "model " + id + ": base " + m.base_dir.string() + ": " + h.status().message(),
        "model_files_missing");
  }
  if (ToHex(*h) != base_hash) {
    return Status::FailedPrecondition("model " + id + ": the base at " + m.base_dir.string() +
                                          " does not hash to the registered base_hash " + base_hash,
                                      "model_files_missing");
  }
  return m;
}

}  // namespace tributary::cli
