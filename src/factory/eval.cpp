#include "tributary/factory/eval.h"

#include <torch/torch.h>

#include <cmath>

#include "tributary/factory/train.h"
#include "tributary/model/llama.h"
#include "tributary/model/tokenizer.h"

namespace tributary::factory {
namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

// Greedy continuation of `prompt` (no sampling), up to `max_new` tokens or eos.
Result<std::vector<int32_t>> Greedy(const model::LlamaModel& base,
                                    const model::LoraAdapter* adapter,
                                    const std::vector<int64_t>& prompt, int64_t max_new,
                                    std::optional<int32_t> eos) {
  model::KvCache cache;
  std::vector<const model::LoraAdapter*> adapters;
  if (adapter) adapters.push_back(adapter);
  std::vector<int32_t> out;
  std::vector<int64_t> next = prompt;
  for (int64_t i = 0; i < max_new; ++i) {
    std::vector<model::SequenceInput> batch = {{next, &cache, adapter ? 0 : -1}};
    TRIB_ASSIGN_OR_RETURN(torch::Tensor logits, base.Forward(batch, adapters, true));
    const auto id = static_cast<int32_t>(logits[0].argmax().item<int64_t>());
    if (eos && id == *eos) break;
    out.push_back(id);
    if (cache.length() + 1 > base.config().max_position_embeddings) break;
    next = {id};
  }
  return out;
}

}  // namespace

nlohmann::json EvalMetrics::ToJson() const {
  nlohmann::json j = {{"examples", examples},
                      {"tokens", tokens},
                      {"loss", loss},
                      {"perplexity", perplexity},
                      {"prompt_response_examples", prompt_response_examples}};
  j["token_accuracy"] = token_accuracy ? nlohmann::json(*token_accuracy) : nlohmann::json(nullptr);
  j["exact_match"] = exact_match ? nlohmann::json(*exact_match) : nlohmann::json(nullptr);
  return j;
}

std::vector<const Example*> HeldOut(const std::vector<Example>& examples) {
  std::vector<const Example*> out;
  for (const auto& e : examples) {
    if (e.heldout) out.push_back(&e);
  }
  return out;
}

Result<EvalMetrics> Evaluate(const model::LlamaModel& base, const model::LoraAdapter* adapter,
                             const model::Tokenizer& tokenizer,
                             const std::vector<const Example*>& examples,
                             const EvalOptions& options) {
  if (examples.empty()) {
    return Status::InvalidArgument("nothing to evaluate: no held-out examples", "no_eval_data");
  }
  if (options.batch_size < 1) return Status::InvalidArgument("batch size must be >= 1");
  EvalMetrics m;
  m.examples = static_cast<int64_t>(examples.size());
  double sum = 0;
  int64_t pr_tokens = 0, pr_correct = 0;
  for (size_t i = 0; i < examples.size(); i += static_cast<size_t>(options.batch_size)) {
    std::vector<const Example*> batch(
        examples.begin() + static_cast<std::ptrdiff_t>(i),
        examples.begin() +
            static_cast<std::ptrdiff_t>(std::min(examples.size(), i + options.batch_size)));
    TRIB_ASSIGN_OR_RETURN(LossSum ls, EvaluateLoss(base, adapter, batch));
    sum += ls.sum;
    m.tokens += ls.tokens;
    // Token accuracy counts prompt/response examples only.
    std::vector<const Example*> pr;
    for (const auto* e : batch) {
      if (!e->response.empty() || !e->prompt.empty()) pr.push_back(e);
    }
    if (!pr.empty()) {
      TRIB_ASSIGN_OR_RETURN(LossSum lp,
                            pr.size() == batch.size() ? ls : EvaluateLoss(base, adapter, pr));
      pr_tokens += lp.tokens;
      pr_correct += lp.correct;
      m.prompt_response_examples += static_cast<int64_t>(pr.size());
    }
  }
  m.loss = m.tokens ? sum / static_cast<double>(m.tokens) : 0;
  m.perplexity = std::exp(m.loss);
  if (m.prompt_response_examples > 0) {
    m.token_accuracy = static_cast<double>(pr_correct) / static_cast<double>(pr_tokens);
    if (options.exact_match) {
      int64_t tried = 0, exact = 0;
      try {
        torch::NoGradGuard no_grad;
        for (const auto* e : examples) {
          if (e->response.empty() && e->prompt.empty()) continue;
          if (tried >= options.max_exact_match) break;
          std::vector<int64_t> prompt(e->tokens.begin(), e->tokens.begin() + e->loss_start);
          TRIB_ASSIGN_OR_RETURN(
              auto ids, Greedy(base, adapter, prompt, e->loss_tokens() + 8, tokenizer.eos_id()));
          exact += Trim(tokenizer.Decode(ids, true)) == Trim(e->response);
          tried++;
        }
      } catch (const c10::Error& err) {
        return Status::Internal(std::string("generation failed: ") + err.what_without_backtrace());
      }
      m.exact_match = tried ? static_cast<double>(exact) / static_cast<double>(tried) : 0.0;
    }
  }
  return m;
}

}  // namespace tributary::factory
