// Finding a registered model's files on this machine. The ledger commits to content hashes
// (economy/models.h), so files are found by hashing candidates, never trusted by name.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

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

//! Where a registered model's files are on this machine.
struct ModelFileDirs {
  std::filesystem::path adapter_dir;  //!< PEFT files, training.json, sketches.bin
  std::filesystem::path base_dir;
};

//! Finds a registered model's files: its adapter under `models_dir` (FindAdapterFiles) and its
//! base, `base_override` when given, else the path the adapter's training.json names; the base
//! must hash to `base_hash` (HashModelFiles kBase). Errors name `label` (e.g. "model 3"), the
//! directory and the hash, with reason "model_files_missing": NotFound when no adapter matches,
//! training.json names no base or the base's files are missing; FailedPrecondition when the base
//! hashes to something else.
Result<ModelFileDirs> LocateModelFiles(const std::string& label, const Hash32& adapter_hash,
                                       const Hash32& base_hash,
                                       const std::filesystem::path& models_dir,
                                       const std::filesystem::path& base_override = {});

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
