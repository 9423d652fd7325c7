// tokenizer.json as the model loader reads it; a tokenizer that loads encodes and decodes a
// sentence with special tokens in it.
#include "fuzz_util.h"
#include "tributary/model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  auto tok = model::Tokenizer::FromJson(fuzz::Text(data, size));
  if (!tok.ok()) return 0;
  auto ids = tok->Encode("Hello, wörld! <|im_start|>  12345\n\tend", true, true);
  (void)tok->Decode(ids);
  return 0;
}
