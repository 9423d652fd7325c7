// Real text for tests and benchmarks: Debian's `fortunes` package (scripts/setup installs it).
// Header-only so every test executable and benchmark can use it without linking anything.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tributary::testing {

inline const std::filesystem::path kFortunesDir = "/usr/share/games/fortunes";

//! The entries of one fortunes file (each ends with a line holding only "%"), every line kept
//! with its "\n"; with `drop_blank_lines`, blank lines inside an entry are left out so the entry
//! is one paragraph. A bare name is looked up in kFortunesDir. Empty when the file is missing.
inline std::vector<std::string> ReadFortunes(const std::filesystem::path& file,
                                             bool drop_blank_lines = false) {
  std::ifstream in(file.has_parent_path() ? file : kFortunesDir / file, std::ios::binary);
  std::vector<std::string> out;
  std::string line, cur;
  while (std::getline(in, line)) {
    if (line == "%") {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (!drop_blank_lines || line.find_first_not_of(" \t\r") != std::string::npos) {
      cur += line + "\n";
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace tributary::testing
