// The one fortune-file reader the evaluation, benchmarks and tests share.
#include "tributary/base/fortune_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace tributary {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(FortuneFileTest, EntriesEndAtAPercentLineAndEmptyOnesAreDropped) {
  testing::TempDir dir;
  Write(dir.path() / "quotes", "one\nline two\n%\n%\nthree\r\n%\r\n\n%\nlast without a separator");
  auto entries = ReadFortuneFile(dir.path() / "quotes");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0], "one\nline two\n");
  EXPECT_EQ((*entries)[1], "three\r\n");
  EXPECT_EQ((*entries)[2], "\n");  // a blank line is an entry's content; callers trim
  EXPECT_EQ((*entries)[3], "last without a separator\n");
  Write(dir.path() / "empty", "");
  EXPECT_TRUE(ReadFortuneFile(dir.path() / "empty")->empty());
  auto missing = ReadFortuneFile(dir.path() / "absent");
  EXPECT_EQ(missing.status().reason(), "file_not_found");
}

TEST(FortuneFileTest, ADirectoryIsReadInNameOrderWithoutIndexesAliasesOrSubdirectories) {
  testing::TempDir dir;
  Write(dir.path() / "zippy", "z1\n%\nz2\n%\n");
  Write(dir.path() / "art", "a1\n%\n");
  Write(dir.path() / "art.dat", "binary index");
  fs::create_symlink("art", dir.path() / "art.u8");
  fs::create_symlink("zippy", dir.path() / "linked");
  Write(dir.path() / ".hidden", "h\n%\n");
  fs::create_directory(dir.path() / "off");
  Write(dir.path() / "off" / "rude", "r\n%\n");
  auto files = FortuneFiles(dir.path());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].filename(), "art");
  EXPECT_EQ((*files)[1].filename(), "zippy");
  auto all = ReadFortuneDir(dir.path());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"a1\n", "z1\n", "z2\n"}));
  EXPECT_EQ(ReadFortuneDir(dir.path() / "absent").status().reason(), "file_not_found");
}

}  // namespace
}  // namespace tributary
