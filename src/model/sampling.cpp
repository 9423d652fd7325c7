#include "tributary/model/sampling.h"

namespace tributary::model {

Status SamplingParams::Validate() const {
  if (max_tokens < 1)
    return Status::InvalidArgument("max_tokens must be at least 1", "bad_sampling");
  if (!(temperature >= 0))
    return Status::InvalidArgument("temperature must be >= 0", "bad_sampling");
  if (top_k < 0) return Status::InvalidArgument("top_k must be >= 0", "bad_sampling");
  if (!(top_p > 0 && top_p <= 1))
    return Status::InvalidArgument("top_p must be in (0, 1]", "bad_sampling");
  for (const auto& s : stop) {
    if (s.empty()) return Status::InvalidArgument("stop strings must not be empty", "bad_sampling");
  }
  return Status::OK();
}

}  // namespace tributary::model
