// Finding a registered model's files on this machine. The ledger commits to content hashes
// (economy/models.h), so files are found by hashing candidates, never trusted by name.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>

#include "tributary/base/bytes.h"
#include "tributary/base/status.h"

namespace tributary::economy {

//! Adapter directories (adapter_config.json + adapter_model.safetensors) under `root`, at most
//! two levels down, in path order.
std::vector<std::filesystem::path> AdapterDirs(const std::filesystem::path& root);

//! The adapter directory under `models_dir` whose files hash to `adapter_hash` (directories whose
//! training.json names the hash are tried first). NotFound with reason "model_files_missing".
Result<std::filesystem::path> FindAdapterFiles(const std::filesystem::path& models_dir,
                                               const Hash32& adapter_hash);

//! FindAdapterFiles with memory: a directory found once is trusted while its files keep their
//! size and modification time. Thread-safe.
class AdapterLocator {
 public:
  explicit AdapterLocator(std::filesystem::path models_dir) : dir_(std::move(models_dir)) {}
  Result<std::filesystem::path> Find(const Hash32& adapter_hash);

 private:
  struct Seen {
    std::filesystem::path dir;
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
  };
  const std::filesystem::path dir_;
  std::mutex mu_;
  std::map<Hash32, Seen> found_;
};

}  // namespace tributary::economy
