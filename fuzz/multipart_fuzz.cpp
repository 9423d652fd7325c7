// multipart/form-data upload bodies. The first line is the Content-Type, the rest the body.
#include <cstdlib>

#include "fuzz_util.h"
#include "tributary/base/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  const std::string_view input = fuzz::Text(data, size);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view body = input.substr(newline + 1);
  (void)IsMultipartFormData(input.substr(0, newline));
  auto boundary = MultipartBoundary(input.substr(0, newline));
  MultipartLimits limits;
  limits.max_parts = 64;
  limits.max_header_bytes = 512;
  auto parts = ParseMultipartForm(body, boundary.ok() ? *boundary : "b", limits);
  if (!parts.ok()) return 0;
  if (parts->size() > limits.max_parts) std::abort();
  const char* previous_end = body.data();
  for (const FormPart& part : *parts) {
    // Every part is a view into the body, after the one before it, and has a name.
    if (part.content.data() < previous_end ||
        part.content.data() + part.content.size() > body.data() + body.size() ||
        part.name.empty()) {
      std::abort();
    }
    previous_end = part.content.data() + part.content.size();
  }
  return 0;
}
