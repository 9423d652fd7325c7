#include "tributary/base/fortune_file.h"

#include <algorithm>
#include <sstream>

#include "tributary/base/file_io.h"

namespace tributary {

namespace fs = std::filesystem;

Result<std::vector<std::string>> ReadFortuneFile(const fs::path& path) {
  TRIB_ASSIGN_OR_RETURN(std::string body, ReadFile(path));
  std::vector<std::string> out;
  std::istringstream in(body);
  std::string line, entry;
  while (std::getline(in, line)) {
    if (line == "%" || line == "%\r") {  // a file saved with CRLF line ends
      if (!entry.empty()) out.push_back(std::move(entry));
      entry.clear();
    } else {
      entry += line + "\n";
    }
  }
  if (!entry.empty()) out.push_back(std::move(entry));
  return out;
}

Result<std::vector<fs::path>> FortuneFiles(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound("no fortune directory " + dir.string(), "file_not_found");
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_symlink() || !e.is_regular_file()) continue;
    if (name.ends_with(".dat") || name.ends_with(".u8") || name.starts_with(".")) continue;
    files.push_back(e.path());
  }
  if (ec) return Status::IOError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::vector<std::string>> ReadFortuneDir(const fs::path& dir) {
  TRIB_ASSIGN_OR_RETURN(auto files, FortuneFiles(dir));
  std::vector<std::string> out;
  for (const auto& f : files) {
    TRIB_ASSIGN_OR_RETURN(auto entries, ReadFortuneFile(f));
    out.insert(out.end(), std::make_move_iterator(entries.begin()),
               std::make_move_iterator(entries.end()));
  }
  return out;
}

}  // namespace tributary
