// Content hashes of model directories: what lineage records and model registration commit to.
//
// HashModelFiles(dir, kind) = SHA-256 over the selected files in byte order of their names, each
// contributing u32 name length | name | u64 size | bytes (big-endian integers). Only file
// contents and names count, so copying a checkpoint elsewhere keeps its hash.
//   kBase:    config.json and every *.safetensors file (shards included)
//   kAdapter: adapter_config.json and adapter_model.safetensors
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/status.h"

namespace tributary {

enum class ModelFiles { kBase, kAdapter };

//! The files HashModelFiles reads, sorted; NotFound when a required one is missing.
Result<std::vector<std::string>> SelectModelFiles(const std::filesystem::path& dir,
                                                  ModelFiles kind);
Result<Hash32> HashModelFiles(const std::filesystem::path& dir, ModelFiles kind);

//! SHA-256 of one file's bytes, read in 1 MiB blocks; `progress(done, total)` every 64 MiB.
Result<Hash32> Sha256File(const std::filesystem::path& path,
                          const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace tributary
