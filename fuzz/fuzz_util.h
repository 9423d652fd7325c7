// Helpers shared by the libFuzzer targets (fuzz/README.md).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace tributary::fuzz {

//! The input as text.
inline std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

//! Writes the input to this process's scratch file (for parsers that open a path) and returns
//! its path; the same path every call.
inline const std::filesystem::path& WriteScratch(const uint8_t* data, size_t size,
                                                 const char* extension) {
  static const std::filesystem::path path = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::filesystem::path(dir && *dir ? dir : "/tmp") /
           ("tributary-fuzz-" + std::to_string(::getpid()) + extension);
  }();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace tributary::fuzz
