// How a generation samples its tokens: the parameters the OpenAI routes parse and the generator
// and the serving engine follow. Torch-free, so that request parsing builds without libtorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary::model {

struct SamplingParams {
  int max_tokens = 128;
  double temperature = 1.0;       //!< 0 = greedy (argmax, lowest id on ties)
  int top_k = 0;                  //!< 0 = off
  double top_p = 1.0;             //!< nucleus; 1 = off
  uint64_t seed = 0;              //!< same seed, same model, same prompt: same output
  std::vector<std::string> stop;  //!< generation ends before the first occurrence of any
  bool stop_at_eos = true;

  //! InvalidArgument naming the field: max_tokens >= 1, temperature >= 0, top_k >= 0,
  //! 0 < top_p <= 1, no empty stop string.
  Status Validate() const;
};

}  // namespace tributary::model
