// Attribution as a service of a long-lived process (the serving worker): requests in the shape of
// POST /v1/attribution, answered against the base model already in memory, with an attributor
// (sketches, span index, the adapter) kept per model between requests.
//
// Thread-safety: Run may be called from any thread; requests for one model run one at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::model {
class LlamaModel;
}

namespace tributary::attribution {

class Attributor;

//! The caller's part of an attribution request: {"model", "prompt", "output" | "generate",
//! "max_tokens", "method", "min_len", "max_count", "top_k"}.
struct AttributionRequest {
  std::string model;
  std::string prompt;
  std::string output;
  bool generate = false;
  int max_tokens = 64;
  std::string method = "trak";
  int64_t min_len = 8;
  uint64_t max_count = 100;
  size_t top_k = 10;
  //! Parses and checks a request body (InvalidArgument naming the field).
  static Result<AttributionRequest> FromJson(const nlohmann::json& j);
  //! The checks FromJson makes, for a request built field by field (the CLI's flags).
  Status Check(bool output_given) const;
};

//! What the node resolved for the request's model from the ledger and its files.
struct ResolvedModel {
  std::string id;  //!< "tributary-model-N", echoed in the answer
  std::filesystem::path base_dir;
  std::filesystem::path adapter_dir;
  std::vector<std::filesystem::path> shards;  //!< the lineage's span-index shards
  //! Up to 20 rows (canonical JSON) of the model's first Datanet version: their format decides
  //! how the query is built (attributor.h).
  std::vector<nlohmann::json> sample_rows;
};

class AttributionService {
 public:
  //! `base`: the base model in memory (every ResolvedModel's base_dir must be that checkpoint).
  //! At most `max_models` attributors are kept (least recently used dropped).
  explicit AttributionService(std::shared_ptr<const model::LlamaModel> base, size_t max_models = 8);
  ~AttributionService();
  //! The attribution of one answer: Attribution::ToJson plus "model", "generated" and
  //! "object": "attribution".
  Result<nlohmann::json> Run(const AttributionRequest& request, const ResolvedModel& model);
  //! A worker request {"request": {...}, "model": {"id", "base_dir", "adapter_dir", "shards",
  //! "sample_rows"}} as (HTTP status, body): the answer, or {"error": {"code", "message"}}.
  std::pair<int, nlohmann::json> Handle(const nlohmann::json& body);

 private:
  struct Cached;
  std::shared_ptr<const model::LlamaModel> base_;
  size_t max_models_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Cached>> cache_;  // most recently used last
  uint64_t clock_ = 0;
};

}  // namespace tributary::attribution
