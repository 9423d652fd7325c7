// GGUF files: the header, metadata of every type, tensor infos, and dequantizing the tensors
// (small ones: the fuzzer's inputs are small, and a tensor larger than its file is refused).
#include "fuzz_util.h"
#include "tributary/model/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  auto file = model::GgufFile::Open(fuzz::WriteScratch(data, size, ".gguf"));
  if (!file.ok()) return 0;
  for (const auto& info : (*file)->tensors()) (void)(*file)->ReadFloat(info);
  return 0;
}
