// `tributary index ...`, `tributary attribute` and `tributary attribution eval` (run by
// tributary-model: they tokenize and compute gradients), and how they find a registered model's
// files on this machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "tributary/attribution/evaluation.h"
#include "tributary/attribution/index_catalog.h"
#include "tributary/attribution/service.h"

namespace tributary::cli {

//! A registered model and where its files are on this machine.
struct LocalModel {
  uint64_t id = 0;
  nlohmann::json record;              //!< GET /v1/models/{id}: the registry record with its lineage
  std::filesystem::path adapter_dir;  //!< holds the PEFT files, training.json, sketches.bin
  std::filesystem::path base_dir;
  std::vector<attribution::VersionKey> versions;  //!< the Datanet versions it was trained on
};

//! Asks the node for model `id` ("N" or "tributary-model-N") and finds its adapter under
//! `models_dir`: the directory (at most two levels down) whose adapter files hash to the
//! registered adapter_hash. Its base is `base_override` when given, else the path its
//! training.json names; either must hash to the registered base_hash. NotFound (reason
//! "model_files_missing") naming the hash when no adapter matches.
Result<LocalModel> ResolveModel(const Common& c, const std::string& id,
                                const std::filesystem::path& models_dir,
                                const std::filesystem::path& base_override = {});

struct IndexBuildArgs {
  std::string datanet;    //!< DATANET@VERSION[,...]; empty with --model: its lineage
  std::string model;      //!< registered model: its base's tokenizer (and lineage)
  std::string tokenizer;  //!< a tokenizer.json or a directory holding one
  std::string index_dir = "./var/index";
  std::string models_dir = "./var/models";
};
int RunIndexBuild(const Common& c, const IndexBuildArgs& a);

struct IndexStatusArgs {
  std::string index_dir = "./var/index";
};
int RunIndexStatus(const Common& c, const IndexStatusArgs& a);

struct AttributeArgs {
  attribution::AttributionRequest req;  //!< the flags that are the request's fields
  std::string request;  //!< "-": read {"model","prompt","output"|"generate",...} from stdin
  std::string index_dir = "./var/index";
  std::string models_dir = "./var/models";
  std::string base;  //!< override the base directory training.json names
};
int RunAttribute(const Common& c, const AttributeArgs& a);

//! The flags of `tributary attribution eval` are the evaluation's options.
using AttributionEvalArgs = attribution::EvaluationOptions;
//! `tributary attribution eval`: the evaluation protocols of docs/attribution.md, in-process.
int RunAttributionEval(const Common& c, const AttributionEvalArgs& a);

}  // namespace tributary::cli
