// LoRA fine-tuning with libtorch autograd: base weights frozen, AdamW, linear warmup then cosine
// decay, gradient clipping, gradient accumulation, checkpoints and exact resume.
//
// Batches pack whole sequences into one token matrix (the model's Forward attends within each
// sequence), so no compute goes to padding. The data order of epoch e is a Fisher-Yates shuffle
// by SplitMix64 seeded with (seed, e); dropout draws from torch's generator seeded with
// (seed, step, micro-batch). Everything a step depends on is therefore a function of the seed
// and the step, and a run resumed from a checkpoint reaches the same weights as one that never
// stopped (on the same machine and thread count, bit for bit on CPU).
//
// Checkpoints: DIR/step-N/{params.pt, optimizer.pt, state.json}, each written to a temporary
// directory and renamed into place, the last `keep_checkpoints` kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tributary/factory/data.h"
#include "tributary/model/lora.h"

namespace tributary::model {
class LlamaModel;
}

namespace tributary::factory {

struct TrainOptions {
  model::LoraConfig lora;  //!< ignored with `full`
  bool full = false;       //!< train every weight of the model (pretraining), not an adapter
  double lr = 2e-4;
  int64_t epochs = 1;
  int64_t batch_size = 8;  //!< sequences per micro-batch
  int64_t grad_accum = 1;  //!< micro-batches per optimizer step
  int64_t warmup_steps = 0;
  double min_lr_ratio = 0.0;  //!< cosine decays to lr * min_lr_ratio
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;  //!< 0 = no clipping
  uint64_t seed = 0;
  int64_t checkpoint_every = 100;  //!< steps; 0 = only at the end
  int64_t keep_checkpoints = 2;
  int64_t max_steps = 0;  //!< stop after this many steps (0 = all epochs); for tests and resume
  //! What else shapes the run (the data versions and their roots, sequence length, split):
  //! recorded in ToJson, so resuming on other data is refused like other options.
  nlohmann::json context = nlohmann::json::object();

  //! InvalidArgument (reason bad_option) naming the option.
  Status Validate() const;
  Status ValidateSchedule() const;  //!< the optimizer and schedule fields only
  //! Everything that shapes the result (not checkpoint cadence): hashed into lineage and
  //! checked on resume.
  nlohmann::json ToJson() const;
};

struct TrainProgress {
  int64_t step = 0, total_steps = 0, epoch = 0;
  double loss = 0;  //!< mean token loss of this step
  double lr = 0;
  double tokens_per_s = 0, eta_s = 0;
  int64_t tokens = 0;  //!< trained tokens so far (loss tokens)
  bool resumed = false;
};

struct TrainResult {
  int64_t steps = 0;
  int64_t tokens = 0;  //!< loss tokens trained on (all steps, resumed ones included)
  double seconds = 0;  //!< this process's training time
  double final_loss = 0;
  int64_t resumed_from = 0;  //!< step of the checkpoint resumed from (0 = fresh)
  bool stopped = false;      //!< `should_stop` asked to stop; a checkpoint holds the progress
};

//! Trains `adapter` (initialised with LoraAdapter::Init, or anything with the same shapes) on
//! `examples` (held-out ones are skipped). With `resume`, continues from the latest checkpoint
//! in `checkpoint_dir` (FailedPrecondition when its options differ). `should_stop` is polled
//! between steps: when it returns true a checkpoint is written and training returns.
Result<TrainResult> TrainLora(const model::LlamaModel& base, model::LoraAdapter& adapter,
                              const std::vector<Example>& examples, const TrainOptions& options,
                              const std::filesystem::path& checkpoint_dir, bool resume,
                              const std::function<void(const TrainProgress&)>& on_step = {},
                              const std::function<bool()>& should_stop = {});

//! Trains every weight of `model` (pretraining from scratch; `options.full` must be set). Same
//! loop, checkpoints and resume as TrainLora. Not thread-safe with other users of `model`.
Result<TrainResult> TrainBase(model::LlamaModel& model, const std::vector<Example>& examples,
                              const TrainOptions& options,
                              const std::filesystem::path& checkpoint_dir, bool resume,
                              const std::function<void(const TrainProgress&)>& on_step = {},
                              const std::function<bool()>& should_stop = {});

//! The learning rate at `step` (0-based) of `total` steps.
double LearningRate(const TrainOptions& o, int64_t step, int64_t total);

//! Sum of token losses and count over the loss positions of `batch` (no gradient).
struct LossSum {
  double sum = 0;
  int64_t tokens = 0;
  int64_t correct = 0;  //!< argmax == target
};
Result<LossSum> EvaluateLoss(const model::LlamaModel& base, const model::LoraAdapter* adapter,
                             const std::vector<const Example*>& batch);

}  // namespace tributary::factory
