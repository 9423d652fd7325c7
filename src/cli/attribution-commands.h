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

struct AttributionEvalArgs {
  std::string base, out;
  std::string protocol = "all";  //!< planted, noisy, lds or all
  int64_t facts = 50;            //!< planted facts (and as many unplanted questions)
  int64_t distractors = 2000;    //!< planted: fortune rows spread over the contributions
  int64_t contributions = 100;   //!< planted and noisy
  int64_t lds_contributions = 40;
  int64_t epochs = 0;  //!< 0: each protocol's default
  int64_t subsets = 20;
  uint64_t seed = 1;
  double lr = 1e-2;
  int64_t sketch_dim = 1024;
  int64_t sketch_base_dim = 0;  //!< base-checkpoint segment (factory/sketch.h); 0 = none
  //! The combined rule's cosine_floor per method (negative: the calibrated default), to measure
  //! another calibration on the same adapter.
  double trak_floor = -1, tracin_floor = -1;
  std::string fortunes = "/usr/share/games/fortunes";
};
//! `tributary attribution eval`: the evaluation protocols of docs/attribution.md, in-process.
int RunAttributionEval(const Common& c, const AttributionEvalArgs& a);

}  // namespace tributary::cli
