// The OpenAI routes' request bodies, and a model's config.json.
#include "fuzz_util.h"
#include "tributary/base/json_parse.h"
#include "tributary/model/config.h"
#include "tributary/serve/openai_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  auto j = ParseJsonBounded(fuzz::Text(data, size), 64);
  if (!j.ok()) return 0;
  (void)serve::ParseOpenAiRequest(*j, serve::Endpoint::kChat);
  (void)serve::ParseOpenAiRequest(*j, serve::Endpoint::kCompletion);
  (void)model::ModelConfig::FromJson(*j, "config.json");
  return 0;
}
