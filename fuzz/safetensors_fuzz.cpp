// Safetensors files: the length prefix, the JSON header, dtypes, shapes and offsets.
#include "fuzz_util.h"
#include "tributary/model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  auto file = model::SafetensorsFile::Open(fuzz::WriteScratch(data, size, ".safetensors"));
  if (!file.ok()) return 0;
  for (const auto& info : (*file)->tensors()) (void)(*file)->Find(info.name);
  return 0;
}
