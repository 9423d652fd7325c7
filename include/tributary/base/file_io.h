// Whole-file reading and atomic whole-file writing.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "tributary/base/status.h"

namespace tributary {

//! The file's bytes. NotFound (reason file_not_found) when it does not exist, IOError otherwise.
Result<std::string> ReadFile(const std::filesystem::path& path);

//! Writes `bytes` to PATH.tmp, flushes and renames it over `path`, so a reader sees the old file
//! or the whole new one, never a part. Creates no directories.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace tributary
