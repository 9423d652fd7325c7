// Real text for tests and benchmarks: Debian's `fortunes` package (scripts/setup installs it),
// read with base's fortune reader (tributary/base/fortune_file.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tributary/base/fortune_file.h"

namespace tributary::testing {

inline const std::filesystem::path kFortunesDir = "/usr/share/games/fortunes";

//! The entries of one fortunes file, every line kept with its "\n"; with `drop_blank_lines`,
//! blank lines inside an entry are left out so the entry is one paragraph. A bare name is
//! looked up in kFortunesDir. Empty when the file is missing.
inline std::vector<std::string> ReadFortunes(const std::filesystem::path& file,
                                             bool drop_blank_lines = false) {
  auto entries = ReadFortuneFile(file.has_parent_path() ? file : kFortunesDir / file);
  if (!entries.ok()) return {};
  if (!drop_blank_lines) return std::move(*entries);
  std::vector<std::string> out;
  for (const std::string& entry : *entries) {
    std::string kept;
    for (size_t pos = 0; pos < entry.size();) {
      const size_t end = entry.find('\n', pos) + 1;  // every line ends with "\n"
      const std::string_view line(entry.data() + pos, end - pos - 1);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos)
        kept.append(entry, pos, end - pos);
      pos = end;
    }
    if (!kept.empty()) out.push_back(std::move(kept));
  }
  return out;
}

}  // namespace tributary::testing
