// Sampling and text generation on a LlamaModel with an optional LoRA adapter.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/sampling.h"

namespace tributary::model {

class LlamaModel;
class LoraAdapter;
class Tokenizer;
class TokenStreamDecoder;

//! Picks a token from `logits` [vocab] (any float dtype). Deterministic given `rng`'s state.
int64_t SampleToken(const torch::Tensor& logits, const SamplingParams& params,
                    std::mt19937_64& rng);

//! The text of a generation as its tokens arrive: decodes them (special tokens skipped), cuts the
//! text before the first stop string and holds back a tail that might begin one, so that what Put
//! and Finish return concatenates to the final text. Generate and the serving engine share it.
//! The Tokenizer must outlive it.
class StopTextStream {
 public:
  StopTextStream(const Tokenizer& tokenizer, std::vector<std::string> stops);
  ~StopTextStream();
  //! Adds a generated token; returns the text that became final (maybe empty). Once a stop
  //! string appears, stopped() turns true, the text ends before it and Put returns "".
  std::string Put(int32_t token);
  //! Ends the stream; returns the held-back rest. `flush_utf8` also emits an incomplete UTF-8
  //! tail as U+FFFD (a generation cut by its length limit).
  std::string Finish(bool flush_utf8);
  bool stopped() const { return stopped_; }
  //! All text so far, held-back tail included (cut before a stop string once stopped).
  const std::string& text() const { return text_; }

 private:
  std::unique_ptr<TokenStreamDecoder> decoder_;
  std::vector<std::string> stops_;
  std::string text_;
  size_t emitted_ = 0;
  bool stopped_ = false;
};

struct GenerationResult {
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;  //!< generated ids (the stop string's tokens included)
  std::string text;             //!< generated text, cut before a stop string
  std::string finish_reason;    //!< "stop" (eos or stop string) or "length"
};

//! Generates a continuation of `prompt`. `on_text` receives the text as it is produced, in
//! pieces whose concatenation is `text` (text that might begin a stop string is held back until
//! it cannot). `adapter` may be null.
Result<GenerationResult> Generate(const LlamaModel& model, const Tokenizer& tokenizer,
                                  const LoraAdapter* adapter, std::string_view prompt,
                                  const SamplingParams& params,
                                  const std::function<void(std::string_view)>& on_text = {});

}  // namespace tributary::model
