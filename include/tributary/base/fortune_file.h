// Fortune files (Debian's `fortunes` package, /usr/share/games/fortunes): the real text the
// evaluation protocols, benchmarks and tests draw on. One reader for all of them.
//
// Format: entries end at a line holding only "%" (or "%\r"). A directory holds one file per
// collection beside its strfile index (NAME.dat) and a UTF-8 alias (NAME.u8, a symlink to NAME).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tributary/base/status.h"

namespace tributary {

//! The entries of one fortune file, in file order, each with its lines and their "\n" (empty
//! entries dropped). NotFound (reason file_not_found) when the file does not exist, IOError
//! otherwise.
Result<std::vector<std::string>> ReadFortuneFile(const std::filesystem::path& path);

//! The collections of a fortune directory, sorted by name (the listing order is not stable):
//! regular files that are not symlinks, strfile indexes (.dat), .u8 aliases or hidden files.
//! Subdirectories (such as off/) are not entered. NotFound when `dir` does not exist.
Result<std::vector<std::filesystem::path>> FortuneFiles(const std::filesystem::path& dir);

//! Every entry of every collection of `dir`, collections in name order.
Result<std::vector<std::string>> ReadFortuneDir(const std::filesystem::path& dir);

}  // namespace tributary
