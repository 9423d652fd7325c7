// Finding a registered model's files on this machine: the record comes from the node, the files
// are found by their content hashes (economy::LocateModelFiles).
#include "cli/attribution-commands.h"
#include "tributary/economy/model_files.h"

namespace tributary::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

Result<LocalModel> ResolveModel(const Common& c, const std::string& id, const fs::path& models_dir,
                                const fs::path& base_override) {
  LocalModel m;
  TRIB_ASSIGN_OR_RETURN(m.record, NodeGet(c, "/v1/models/" + id));
  m.id = m.record.value("id", uint64_t{0});
  for (const auto& d : m.record.value("data", json::array())) {
    m.versions.push_back({d.value("datanet", uint64_t{0}), d.value("version", uint32_t{0})});
  }
  auto hash = [&](const char* key) -> Result<Hash32> {
    auto h = FixedFromHex<32>(m.record.value(key, ""));
    if (!h.ok()) {
      return Status::Internal("the node's record of model " + id + " has no valid " + key);
    }
    return *h;
  };
  TRIB_ASSIGN_OR_RETURN(Hash32 adapter_hash, hash("adapter_hash"));
  TRIB_ASSIGN_OR_RETURN(Hash32 base_hash, hash("base_hash"));
  TRIB_ASSIGN_OR_RETURN(auto dirs, economy::LocateModelFiles("model " + id, adapter_hash, base_hash,
                                                             models_dir, base_override));
  m.adapter_dir = std::move(dirs.adapter_dir);
  m.base_dir = std::move(dirs.base_dir);
  return m;
}

}  // namespace tributary::cli
