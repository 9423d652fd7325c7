// Mapping a whole checkpoint file (safetensors, GGUF) into memory. Internal to the model library.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>

#include "tributary/base/status.h"

namespace tributary::model {

struct MappedBytes {
  void* addr = nullptr;  //!< nullptr for an empty file; otherwise munmap(addr, size) when done
  uint64_t size = 0;
};

//! Maps `path` MAP_PRIVATE: read-only, or copy-on-write with `writable` (writes never reach the
//! file). Errors: file_not_found, io_error naming the file.
inline Result<MappedBytes> MapWholeFile(const std::filesystem::path& path, bool writable) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(path.string() + ": cannot open", "file_not_found");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError(path.string() + ": cannot stat");
  }
  MappedBytes m;
  m.size = static_cast<uint64_t>(st.st_size);
  if (m.size > 0) {
    m.addr =
        ::mmap(nullptr, m.size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_PRIVATE, fd, 0);
  }
  ::close(fd);
  if (m.addr == MAP_FAILED) return Status::IOError(path.string() + ": cannot map");
  return m;
}

}  // namespace tributary::model
