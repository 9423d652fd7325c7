#include "tributary/factory/train.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>

#include "tributary/base/hash.h"
#include "tributary/model/llama.h"

namespace tributary::factory {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

uint64_t SplitMix64(uint64_t& state) { return Mix64(state += 0x9E3779B97F4A7C15ULL); }

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c = 0) {
  uint64_t s = a ^ (b * 0x9E3779B97F4A7C15ULL) ^ (c * 0xC2B2AE3D27D4EB4FULL);
  return SplitMix64(s);
}

// Fisher-Yates with our own generator: std::shuffle's result differs between standard libraries.
std::vector<size_t> EpochOrder(size_t n, uint64_t seed, int64_t epoch) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  uint64_t state = Mix(seed, static_cast<uint64_t>(epoch), 0x5452);
  for (size_t i = n; i > 1; --i) {
    size_t j = static_cast<size_t>(SplitMix64(state) % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

// A micro-batch packed for Forward: one sequence per example, and the logit rows and targets
// of its loss positions.
struct Packed {
  std::vector<model::KvCache> caches;
  std::vector<model::SequenceInput> inputs;
  torch::Tensor rows, targets;
  int64_t loss_tokens = 0;
};

Packed Pack(const std::vector<const Example*>& batch, int adapter, torch::Device device) {
  Packed p;
  p.caches.resize(batch.size());
  std::vector<int64_t> rows, targets;
  int64_t offset = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Example& e = *batch[i];
    p.inputs.push_back({e.tokens, &p.caches[i], adapter});
    for (size_t t = static_cast<size_t>(e.loss_start); t < e.tokens.size(); ++t) {
      rows.push_back(offset + static_cast<int64_t>(t) - 1);
      targets.push_back(e.tokens[t]);
    }
    offset += static_cast<int64_t>(e.tokens.size());
  }
  p.loss_tokens = static_cast<int64_t>(targets.size());
  p.rows = torch::tensor(rows, torch::kInt64).to(device);
  p.targets = torch::tensor(targets, torch::kInt64).to(device);
  return p;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return Status::IOError("cannot write " + path.string());
  return Status::OK();
}

struct CheckpointState {
  int64_t step = 0;
  int64_t tokens = 0;
  double last_loss = 0;
};

Status SaveCheckpoint(const fs::path& dir, const std::vector<torch::Tensor>& params,
                      torch::optim::Optimizer& opt, const TrainOptions& o,
                      const CheckpointState& st) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path final_dir = dir / ("step-" + std::to_string(st.step));
  const fs::path tmp = dir / ("step-" + std::to_string(st.step) + ".tmp");
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::IOError("cannot create " + tmp.string() + ": " + ec.message());
  try {
    std::vector<torch::Tensor> cpu;
    for (const auto& t : params) cpu.push_back(t.detach().to(torch::kCPU).clone());
    torch::save(cpu, (tmp / "params.pt").string());
    torch::save(opt, (tmp / "optimizer.pt").string());
  } catch (const c10::Error& e) {
    return Status::IOError(std::string("cannot save a checkpoint: ") + e.what_without_backtrace());
  }
  json state = {{"step", st.step},
                {"tokens", st.tokens},
                {"last_loss", st.last_loss},
                {"options", o.ToJson()}};
  TRIB_RETURN_IF_ERROR(WriteText(tmp / "state.json", state.dump(2) + "\n"));
  fs::remove_all(final_dir, ec);
  fs::rename(tmp, final_dir, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  // Keep the newest few.
  std::vector<int64_t> steps;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("step-", 0) == 0 && n.find('.') == std::string::npos) {
      steps.push_back(std::stoll(n.substr(5)));
    }
  }
  std::sort(steps.begin(), steps.end());
  for (size_t i = 0;
       i + static_cast<size_t>(std::max<int64_t>(1, o.keep_checkpoints)) < steps.size(); ++i) {
    fs::remove_all(dir / ("step-" + std::to_string(steps[i])), ec);
  }
  return Status::OK();
}

// Loads the newest complete checkpoint; nullopt when there is none.
Result<std::optional<CheckpointState>> LoadCheckpoint(const fs::path& dir,
                                                      std::vector<torch::Tensor>& params,
                                                      torch::optim::Optimizer& opt,
                                                      const TrainOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::optional<CheckpointState>();
  int64_t best = -1;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("step-", 0) != 0 || n.find('.') != std::string::npos) continue;
    if (!fs::exists(e.path() / "state.json")) continue;
    best = std::max<int64_t>(best, std::stoll(n.substr(5)));
  }
  if (best < 0) return std::optional<CheckpointState>();
  const fs::path cp = dir / ("step-" + std::to_string(best));
  std::ifstream in(cp / "state.json");
  json state = json::parse(in, nullptr, false);
  if (state.is_discarded() || !state.contains("options")) {
    return Status::Corruption((cp / "state.json").string() + " is not a checkpoint state");
  }
  if (state["options"] != o.ToJson()) {
    return Status::FailedPrecondition(
        "the checkpoint in " + cp.string() +
            " was made with other training options; resume with the same options or start a "
            "new --out",
        "options_changed");
  }
  try {
    std::vector<torch::Tensor> saved;
    torch::load(saved, (cp / "params.pt").string());
    if (saved.size() != params.size()) {
      return Status::Corruption(cp.string() + " holds " + std::to_string(saved.size()) +
                                " tensors, the model being trained has " +
                                std::to_string(params.size()));
    }
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      if (saved[i].sizes() != params[i].sizes()) {
        return Status::Corruption(cp.string() +
                                  ": a tensor's shape differs from the one being trained");
      }
      params[i].copy_(saved[i].to(params[i].device()).to(params[i].scalar_type()));
    }
    torch::load(opt, (cp / "optimizer.pt").string());
  } catch (const c10::Error& e) {
    return Status::Corruption(cp.string() + ": " + e.what_without_backtrace());
  }
  CheckpointState st;
  st.step = state.value("step", int64_t{0});
  st.tokens = state.value("tokens", int64_t{0});
  st.last_loss = state.value("last_loss", 0.0);
  return std::optional<CheckpointState>(st);
}

}  // namespace

Status TrainOptions::Validate() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_option"); };
  if (full) return ValidateSchedule();
  if (lora.r <= 0) return bad("--rank must be at least 1");
  if (!(lora.lora_alpha > 0)) return bad("--alpha must be positive");
  if (lora.lora_dropout < 0 || lora.lora_dropout >= 1) return bad("--dropout must be in [0, 1)");
  if (lora.target_modules.empty()) return bad("--targets names no module");
  const auto& known = model::LoraModuleNames();
  for (const auto& t : lora.target_modules) {
    if (std::find(known.begin(), known.end(), t) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return bad("unknown target module '" + t + "' (known: " + list + ")");
    }
  }
  return ValidateSchedule();
}

Status TrainOptions::ValidateSchedule() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_option"); };
  if (!(lr > 0) || !std::isfinite(lr)) return bad("--lr must be positive");
  if (epochs < 1) return bad("--epochs must be at least 1");
  if (batch_size < 1) return bad("--batch-size must be at least 1");
  if (grad_accum < 1) return bad("--grad-accum must be at least 1");
  if (warmup_steps < 0) return bad("--warmup-steps must be >= 0");
  if (min_lr_ratio < 0 || min_lr_ratio > 1) return bad("min_lr_ratio must be in [0, 1]");
  if (weight_decay < 0) return bad("weight decay must be >= 0");
  if (max_grad_norm < 0) return bad("max_grad_norm must be >= 0");
  if (checkpoint_every < 0 || max_steps < 0) return bad("step counts must be >= 0");
  return Status::OK();
}

json TrainOptions::ToJson() const {
  return json{{"lora", lora.ToJson()},
              {"lr", lr},
              {"epochs", epochs},
              {"batch_size", batch_size},
              {"grad_accum", grad_accum},
              {"warmup_steps", warmup_steps},
              {"min_lr_ratio", min_lr_ratio},
              {"weight_decay", weight_decay},
              {"max_grad_norm", max_grad_norm},
              {"seed", seed},
              {"context", context},
              {"optimizer", "adamw(0.9,0.999,1e-8)"},
              {"schedule", "linear_warmup_cosine"}};
}

double LearningRate(const TrainOptions& o, int64_t step, int64_t total) {
  if (step < o.warmup_steps) {
    return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  }
  const double span = static_cast<double>(std::max<int64_t>(1, total - o.warmup_steps));
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / span);
  return o.lr * (o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + std::cos(M_PI * progress)));
}

Result<LossSum> EvaluateLoss(const model::LlamaModel& base, const model::LoraAdapter* adapter,
                             const std::vector<const Example*>& batch) {
  LossSum out;
  if (batch.empty()) return out;
  try {
    torch::NoGradGuard no_grad;
    Packed p = Pack(batch, adapter ? 0 : -1, base.device());
    std::vector<const model::LoraAdapter*> adapters;
    if (adapter) adapters.push_back(adapter);
    TRIB_ASSIGN_OR_RETURN(torch::Tensor logits, base.Forward(p.inputs, adapters));
    auto sel = logits.index_select(0, p.rows);
    out.sum =
        torch::nn::functional::cross_entropy(
            sel, p.targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    out.tokens = p.loss_tokens;
    out.correct = sel.argmax(-1).eq(p.targets).sum().item<int64_t>();
  } catch (const c10::Error& e) {
    return Status::Internal(std::string("evaluation failed: ") + e.what_without_backtrace());
  }
  return out;
}

namespace {

// The loop shared by LoRA and full training: `params` are trained, `adapter` (may be null) is
// what Forward applies.
Result<TrainResult> TrainLoop(const model::LlamaModel& base, const model::LoraAdapter* adapter,
                              std::vector<torch::Tensor> params,
                              const std::vector<Example>& examples, const TrainOptions& o,
                              const fs::path& checkpoint_dir, bool resume,
                              const std::function<void(const TrainProgress&)>& on_step,
                              const std::function<bool()>& should_stop) {
  TRIB_RETURN_IF_ERROR(o.Validate());
  std::vector<const Example*> train;
  for (const auto& e : examples) {
    if (!e.heldout) train.push_back(&e);
  }
  if (train.empty()) {
    return Status::InvalidArgument("no training examples (every row is held out or empty)",
                                   "no_training_data");
  }
  const int64_t batches = (static_cast<int64_t>(train.size()) + o.batch_size - 1) / o.batch_size;
  const int64_t steps_per_epoch = (batches + o.grad_accum - 1) / o.grad_accum;
  const int64_t total = steps_per_epoch * o.epochs;
  const int64_t stop_at = o.max_steps > 0 ? std::min(total, o.max_steps) : total;

  for (auto& t : params) t.requires_grad_(true);
  torch::optim::AdamW opt(
      params,
      torch::optim::AdamWOptions(o.lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(o.weight_decay));
  TrainResult result;
  CheckpointState st;
  if (resume) {
    TRIB_ASSIGN_OR_RETURN(auto loaded, LoadCheckpoint(checkpoint_dir, params, opt, o));
    if (loaded) {
      st = *loaded;
      result.resumed_from = st.step;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  int64_t tokens_here = 0;
  std::vector<const model::LoraAdapter*> adapters;
  if (adapter) adapters.push_back(adapter);
  const int adapter_index = adapter ? 0 : -1;
  int64_t cached_epoch = -1;
  std::vector<size_t> order;
  try {
    for (int64_t step = st.step; step < stop_at; ++step) {
      const int64_t epoch = step / steps_per_epoch;
      if (epoch != cached_epoch) {
        order = EpochOrder(train.size(), o.seed, epoch);
        cached_epoch = epoch;
      }
      const int64_t first_batch = (step % steps_per_epoch) * o.grad_accum;
      const int64_t last_batch = std::min(batches, first_batch + o.grad_accum);
      std::vector<std::vector<const Example*>> micro;
      int64_t step_tokens = 0;
      for (int64_t b = first_batch; b < last_batch; ++b) {
        std::vector<const Example*> mb;
        for (int64_t i = b * o.batch_size;
             i < std::min<int64_t>((b + 1) * o.batch_size, static_cast<int64_t>(train.size()));
             ++i) {
          mb.push_back(train[order[static_cast<size_t>(i)]]);
          step_tokens += mb.back()->loss_tokens();
        }
        micro.push_back(std::move(mb));
      }
      opt.zero_grad();
      double loss_sum = 0;
      for (size_t m = 0; m < micro.size(); ++m) {
        torch::manual_seed(Mix(o.seed, static_cast<uint64_t>(step), m + 1));
        Packed p = Pack(micro[m], adapter_index, base.device());
        TRIB_ASSIGN_OR_RETURN(torch::Tensor logits, base.Forward(p.inputs, adapters, false, true));
        auto loss = torch::nn::functional::cross_entropy(
            logits.index_select(0, p.rows), p.targets,
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        loss_sum += loss.item<double>();
        (loss / static_cast<double>(step_tokens)).backward();
      }
      if (o.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(params, o.max_grad_norm);
      const double lr = LearningRate(o, step, total);
      for (auto& group : opt.param_groups()) {
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
      }
      opt.step();
      st.step = step + 1;
      st.tokens += step_tokens;
      st.last_loss = loss_sum / static_cast<double>(step_tokens);
      tokens_here += step_tokens;
      if (!std::isfinite(st.last_loss)) {
        return Status::FailedPrecondition("the loss became " + std::to_string(st.last_loss) +
                                              " at step " + std::to_string(st.step) +
                                              "; lower --lr",
                                          "diverged");
      }
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (on_step) {
        TrainProgress pr;
        pr.step = st.step;
        pr.total_steps = stop_at;
        pr.epoch = epoch;
        pr.loss = st.last_loss;
        pr.lr = lr;
        pr.tokens = st.tokens;
        pr.tokens_per_s = secs > 0 ? tokens_here / secs : 0;
        const double steps_done = static_cast<double>(st.step - result.resumed_from);
        pr.eta_s = steps_done > 0 ? secs / steps_done * static_cast<double>(stop_at - st.step) : 0;
        pr.resumed = result.resumed_from > 0;
        on_step(pr);
      }
      const bool stop = should_stop && should_stop();
      if (stop || (o.checkpoint_every > 0 && st.step % o.checkpoint_every == 0) ||
          st.step == stop_at) {
        TRIB_RETURN_IF_ERROR(SaveCheckpoint(checkpoint_dir, params, opt, o, st));
      }
      if (stop) {
        result.stopped = true;
        break;
      }
    }
  } catch (const c10::Error& e) {
    return Status::Internal(std::string("training failed: ") + e.what_without_backtrace());
  }
  for (auto& t : params) t.requires_grad_(false);
  result.steps = st.step;
  result.tokens = st.tokens;
  result.final_loss = st.last_loss;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

Result<TrainResult> TrainLora(const model::LlamaModel& base, model::LoraAdapter& adapter,
                              const std::vector<Example>& examples, const TrainOptions& options,
                              const fs::path& checkpoint_dir, bool resume,
                              const std::function<void(const TrainProgress&)>& on_step,
                              const std::function<bool()>& should_stop) {
  if (options.full) {
    return Status::InvalidArgument("TrainLora takes LoRA options (full = false)", "bad_option");
  }
  std::vector<torch::Tensor> params;
  for (auto& [name, t] : adapter.NamedParameters()) params.push_back(t);
  return TrainLoop(base, &adapter, params, examples, options, checkpoint_dir, resume, on_step,
                   should_stop);
}

Result<TrainResult> TrainBase(model::LlamaModel& model, const std::vector<Example>& examples,
                              const TrainOptions& options, const fs::path& checkpoint_dir,
                              bool resume, const std::function<void(const TrainProgress&)>& on_step,
                              const std::function<bool()>& should_stop) {
  if (!options.full) {
    return Status::InvalidArgument("TrainBase trains every weight (full = true)", "bad_option");
  }
  std::vector<torch::Tensor> params;
  for (auto& [name, t] : model.NamedParameters()) params.push_back(t);
  return TrainLoop(model, nullptr, params, examples, options, checkpoint_dir, resume, on_step,
                   should_stop);
}

}  // namespace tributary::factory
