// A real node serving a tiny base, with a Datanet of 40 planted facts contributed by alice, bob,
// carol and dev (ten each), a LoRA adapter trained on it with sketches and registered by dev at
// 0.001 OPEN per 1,000 tokens: what attribution and paid-inference tests run against.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "support/test_util.h"

namespace tributary::testing {

struct PlantedFact {
  std::string prompt, response, row_id, contribution, contributor;
};

struct PlantedModel {
  std::unique_ptr<NodeProcess> node;
  std::filesystem::path data, base, adapter;
  uint64_t datanet = 0;
  std::string model;  //!< the registered model's id
  std::vector<PlantedFact> facts;
  std::string error;  //!< set when the setup failed
};

//! Builds it all under `dir` (the node's data in dir/data). Minutes on two cores. The node makes a
//! block every `block_interval_ms` (0: as soon as there is work) and gets `node_flags` besides.
PlantedModel BuildPlantedModel(const std::filesystem::path& dir, int block_interval_ms = 0,
                               std::vector<std::string> node_flags = {});

//! Builds the span index of the model's Datanet under DATA/index, which POST /v1/attribution and
//! the attribution of paid answers need. Sets `m->error` when it fails (nothing when it is set).
void BuildPlantedIndex(PlantedModel* m);

//! An account `name` funded with `tokens` OPEN by dev, and an API key of it (`apikey create`);
//! the key's secret, "" when something failed.
std::string PlantedApiKey(const PlantedModel& m, const std::string& name,
                          const std::string& tokens);

}  // namespace tributary::testing
