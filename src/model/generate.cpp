#include "tributary/model/generate.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {

int64_t SampleToken(const torch::Tensor& logits, const SamplingParams& p, std::mt19937_64& rng) {
  auto l = logits.to(torch::kCPU).to(torch::kFloat64).contiguous();
  const double* v = l.data_ptr<double>();
  const int64_t n = l.numel();
  if (p.temperature == 0) {
    return std::max_element(v, v + n) - v;  // first maximum: lowest id on ties
  }
  // Candidates sorted by logit (stable: ties keep id order), then top-k, softmax, top-p.
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return v[a] > v[b]; });
  size_t keep = order.size();
  if (p.top_k > 0) keep = std::min(keep, static_cast<size_t>(p.top_k));
  std::vector<double> probs(keep);
  const double top = v[order[0]];
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((v[order[i]] - top) / p.temperature);
    sum += probs[i];
  }
  for (double& x : probs) x /= sum;
  if (p.top_p < 1) {
    double cum = 0;
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      cum += probs[i];
      if (cum >= p.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    double s = std::accumulate(probs.begin(), probs.begin() + static_cast<ptrdiff_t>(keep), 0.0);
    for (size_t i = 0; i < keep; ++i) probs[i] /= s;
  }
  // 53 random bits -> [0, 1), independent of the standard library's distributions.
  double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  double cum = 0;
  for (size_t i = 0; i < keep; ++i) {
    cum += probs[i];
    if (u < cum) return order[i];
  }
  return order[keep - 1];
}

namespace {

// Length of the longest suffix of `text` that is a proper prefix of some stop string: text that
// must be held back because the next token may complete a stop string.
size_t HeldBack(const std::string& text, const std::vector<std::string>& stops) {
  size_t held = 0;
  for (const auto& s : stops) {
    for (size_t len = std::min(s.size() - 1, text.size()); len > held; --len) {
      if (text.compare(text.size() - len, len, s, 0, len) == 0) {
        held = len;
        break;
      }
    }
  }
  return held;
}

}  // namespace

StopTextStream::StopTextStream(const Tokenizer& tokenizer, std::vector<std::string> stops)
    : decoder_(std::make_unique<TokenStreamDecoder>(tokenizer, /*skip_special=*/true)),
      stops_(std::move(stops)) {}

StopTextStream::~StopTextStream() = default;

std::string StopTextStream::Put(int32_t token) {
  if (stopped_) return "";
  text_ += decoder_->Put(token);
  size_t stop_at = std::string::npos;
  for (const auto& s : stops_) {
    size_t pos = text_.find(s, emitted_ > s.size() ? emitted_ - s.size() : 0);
    if (pos != std::string::npos) stop_at = std::min(stop_at, pos);
  }
  if (stop_at != std::string::npos) {
    text_.resize(stop_at);
    stopped_ = true;
    return Finish(/*flush_utf8=*/false);
  }
  size_t safe = text_.size() - HeldBack(text_, stops_);
  if (safe <= emitted_) return "";
  std::string out = text_.substr(emitted_, safe - emitted_);
  emitted_ = safe;
  return out;
}

std::string StopTextStream::Finish(bool flush_utf8) {
  if (flush_utf8 && !stopped_) text_ += decoder_->Flush();
  if (text_.size() <= emitted_) return "";
  std::string out = text_.substr(emitted_);
  emitted_ = text_.size();
  return out;
}

Result<GenerationResult> Generate(const LlamaModel& model, const Tokenizer& tokenizer,
                                  const LoraAdapter* adapter, std::string_view prompt,
                                  const SamplingParams& params,
                                  const std::function<void(std::string_view)>& on_text) {
  TRIB_RETURN_IF_ERROR(params.Validate());
  GenerationResult out;
  out.prompt_tokens = tokenizer.Encode(prompt, /*allow_special=*/true, /*add_special_tokens=*/true);
  if (out.prompt_tokens.empty())
    return Status::InvalidArgument("the prompt is empty", "empty_prompt");
  std::optional<int64_t> eos = model.config().eos_token_id;
  if (!eos && tokenizer.eos_id()) eos = *tokenizer.eos_id();
  std::mt19937_64 rng(params.seed);
  KvCache cache;
  std::vector<const LoraAdapter*> adapters;
  if (adapter) adapters.push_back(adapter);
  const int index = adapter ? 0 : -1;
  StopTextStream stream(tokenizer, params.stop);
  auto emit = [&](const std::string& piece) {
    if (on_text && !piece.empty()) on_text(piece);
  };
  std::vector<int64_t> next(out.prompt_tokens.begin(), out.prompt_tokens.end());
  out.finish_reason = "length";
  for (int step = 0; step < params.max_tokens; ++step) {
    TRIB_ASSIGN_OR_RETURN(torch::Tensor logits,
                          model.Forward({{next, &cache, index}}, adapters, /*last_only=*/true));
    int64_t token = SampleToken(logits[0], params, rng);
    out.tokens.push_back(static_cast<int32_t>(token));
    if (params.stop_at_eos && eos && token == *eos) {
      out.finish_reason = "stop";
      break;
    }
    emit(stream.Put(static_cast<int32_t>(token)));
    if (stream.stopped()) {
      out.finish_reason = "stop";
      break;
    }
    next = {token};
  }
  emit(stream.Finish(/*flush_utf8=*/out.finish_reason == "length"));
  out.text = stream.text();
  return out;
}

}  // namespace tributary::model
