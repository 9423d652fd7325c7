#include "tributary/settlement/evm_key_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace tributary::settlement {
namespace {

namespace fs = std::filesystem;

// Hardhat's account #0 (printed by `npx hardhat node`).
const char* kKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const char* kAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

class EvmKeyFileTest : public ::testing::Test {
 protected:
  fs::path Write(const std::string& text,
                 fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
    const fs::path p = dir_.path() / ("key" + std::to_string(n_++));
    std::ofstream(p) << text;
    fs::permissions(p, perms, fs::perm_options::replace);
    return p;
  }
  testing::TempDir dir_;
  int n_ = 0;
};

TEST_F(EvmKeyFileTest, ReadsOneHexLineWithOrWithout0x) {
  for (const std::string text :
       {std::string(kKey), "0x" + std::string(kKey) + "\n", "  0x" + std::string(kKey) + " \r\n"}) {
    std::string warning = "stale";
    auto key = ReadEvmKeyFile(Write(text), &warning);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->address().ToChecksumString(), kAddress);
    EXPECT_EQ(warning, "");
  }
}

TEST_F(EvmKeyFileTest, RefusesFilesOtherUsersCanReadAndWarnsForTheGroup) {
  auto world = ReadEvmKeyFile(Write(kKey, fs::perms::owner_read | fs::perms::others_read));
  ASSERT_FALSE(world.ok());
  EXPECT_EQ(world.status().reason(), "key_file_permissions");
  EXPECT_NE(world.status().message().find("chmod 600"), std::string::npos);
  std::string warning;
  auto group = ReadEvmKeyFile(Write(kKey, fs::perms::owner_read | fs::perms::group_read), &warning);
  ASSERT_TRUE(group.ok());
  EXPECT_NE(warning.find("readable by its group"), std::string::npos);
}

TEST_F(EvmKeyFileTest, RefusesWhatIsNotAKey) {
  const std::string zero(64, '0');
  const std::string over_n(64, 'f');
  for (const std::string text :
       {std::string(""), std::string(kKey).substr(2), std::string(kKey) + "00",
        "0x" + std::string(kKey) + "\n" + kKey, "zz" + std::string(kKey).substr(2), zero, over_n,
        "0X" + std::string(kKey)}) {
    auto key = ReadEvmKeyFile(Write(text));
    ASSERT_FALSE(key.ok()) << text;
    EXPECT_EQ(key.status().reason(), "bad_key_file") << text;
  }
  auto missing = ReadEvmKeyFile(dir_.path() / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason(), "no_key_file");
  auto directory = ReadEvmKeyFile(dir_.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().reason(), "no_key_file");
}

}  // namespace
}  // namespace tributary::settlement
