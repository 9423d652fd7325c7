// Proof of Attribution for one registered adapter: span evidence from the span index of its
// lineage, influence evidence from its training sketches, combined into weights per
// contribution (combine.h). Loads libtorch (through factory); the header does not include it.
//
// The query. The output is scored as the adapter was trained: for prompt/response training
// data, the prompt rendered as the training examples were (factory/data.h) with the output as
// the response, loss on the response; for text data, [bos] prompt output with the loss on the
// output's tokens only (the prompt and the output are tokenized separately, so the output's
// tokens are the ones the span index is searched with). Its LoRA gradient is projected with the
// sketches' own projection (same seed, same k), so query and training sketches are comparable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/attribution/combine.h"
#include "tributary/attribution/influence.h"
#include "tributary/attribution/span_index.h"
#include "tributary/base/status.h"

namespace tributary::model {
class LlamaModel;
}

namespace tributary::attribution {

struct AttributorConfig {
  std::filesystem::path base_dir;  //!< Hugging Face checkpoint (config, weights, tokenizer)
  //! The base already in memory (the serving engine's), used instead of loading base_dir's
  //! weights; it must be that checkpoint. Shared read-only: the attributor never changes it.
  std::shared_ptr<const model::LlamaModel> base_model;
  std::filesystem::path adapter_dir;          //!< PEFT adapter with sketches.bin beside it
  std::vector<std::filesystem::path> shards;  //!< the lineage's span-index shards
  bool prompt_response = false;  //!< the training data's format (see the top of this file)
  int64_t max_seq_len = 512;     //!< longer queries are cut (as training examples were)
  InfluenceOptions influence;
  TraceOptions trace;
  CombineOptions combine;
  //! Replaces combine's cosine_floor and cosine_full with the calibrated pair for the influence
  //! method and the adapter's sketch file (CombineOptions::ForMethod; with or without a
  //! base-checkpoint segment). False keeps them as given (to measure another calibration).
  bool calibrated_floors = true;
  //! Progress of the one-time influence cache computation (influence.h), when it runs.
  InfluenceProgressFn progress;
};

//! A span as reported: output token range, byte range within the output text, its text.
struct ReportedSpan {
  Span span;
  int64_t byte_begin = 0, byte_end = 0;
  std::string text;
};

struct Attribution {
  std::string prompt, output;
  int64_t output_tokens = 0;
  std::vector<ReportedSpan> spans;
  uint64_t index_tokens = 0;  //!< tokens in the lineage's shards
  InfluenceResult influence;
  CombinedWeights combined;
  //! How to recompute it: methods, parameters, the sketch file's SHA-256, the shards (file name,
  //! SHA-256, tokens, rows, source version) and the tokenizer id.
  nlohmann::json provenance;
  //! {"output", "output_tokens", "spans": [...], "influence": InfluenceResult::ToJson,
  //!  "weights": [{"contribution","contributor","weight",...}], "unattributed", ...,
  //!  "provenance"}
  nlohmann::json ToJson() const;
};

//! Holds the base, the adapter, the sketches and the shards. Attribute and Generate may run
//! concurrently (the models are read-only once loaded).
class Attributor {
 public:
  //! NotFound (reason "no_sketches") when the adapter has no sketches.bin; FailedPrecondition
  //! (reason "index_missing") when `shards` is empty; InvalidArgument (reason
  //! "tokenizer_mismatch") when the shards were built by another tokenizer than the base's.
  static Result<std::unique_ptr<Attributor>> Open(const AttributorConfig& config);
  ~Attributor();
  Attributor(const Attributor&) = delete;
  Attributor& operator=(const Attributor&) = delete;

  //! InvalidArgument (reason "empty_output") when the output has no tokens. `trace` replaces the
  //! configured span options for this call (they shape no state, so one attributor serves any).
  //! The output is traced with min_len MinLenForOutput(its tokens, min_len), so a short answer's
  //! whole text counts as a span; provenance records both ("min_len" applied, "min_len_rule").
  Result<Attribution> Attribute(std::string_view prompt, std::string_view output,
                                const std::optional<TraceOptions>& trace = std::nullopt) const;
  //! The adapter's greedy answer to `prompt` (at most max_tokens tokens).
  Result<std::string> Generate(std::string_view prompt, int max_tokens) const;

  const std::string& tokenizer_id() const;
  const InfluenceIndex& influence() const;
  const SpanIndex& spans() const;

 private:
  Attributor();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::attribution
