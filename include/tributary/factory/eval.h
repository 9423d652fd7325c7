// Evaluation of a base model with or without an adapter on held-out examples.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "tributary/factory/data.h"

namespace tributary::model {
class LlamaModel;
class LoraAdapter;
class Tokenizer;
}  // namespace tributary::model

namespace tributary::factory {

struct EvalMetrics {
  int64_t examples = 0;
  int64_t tokens = 0;  //!< loss tokens
  double loss = 0;     //!< mean token cross-entropy (nats)
  double perplexity = 0;
  //! On prompt/response examples only (absent when there are none): argmax accuracy of the
  //! response tokens under teacher forcing, and the share of greedy generations that equal the
  //! response (both trimmed of surrounding whitespace).
  int64_t prompt_response_examples = 0;
  std::optional<double> token_accuracy;
  std::optional<double> exact_match;

  nlohmann::json ToJson() const;
};

struct EvalOptions {
  int64_t batch_size = 8;
  bool exact_match = true;        //!< greedy generation is the slow part
  int64_t max_exact_match = 200;  //!< examples generated for exact match (the first ones)
};

//! Evaluates on the held-out examples of `examples` (all of them when none is held out and
//! `all_if_none_heldout`). `adapter` may be null (the base alone).
Result<EvalMetrics> Evaluate(const model::LlamaModel& base, const model::LoraAdapter* adapter,
                             const model::Tokenizer& tokenizer,
                             const std::vector<const Example*>& examples,
                             const EvalOptions& options = {});

//! The held-out examples of a set.
std::vector<const Example*> HeldOut(const std::vector<Example>& examples);

}  // namespace tributary::factory
