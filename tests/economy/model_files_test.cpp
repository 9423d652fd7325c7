// Finding a registered model's files by their content hashes, on real files in a temp directory:
// FindAdapterFiles, LocateModelFiles (the base from training.json or an override, each way it can
// fail) and AdapterLocator noticing a changed file.
#include "tributary/economy/model_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"
#include "tributary/base/file_hash.h"

namespace tributary::economy {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

class ModelFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = tmp_.path() / "models";
    base_ = tmp_.path() / "base";
    Write(base_ / "config.json", R"({"model_type":"llama"})");
    Write(base_ / "model.safetensors", "base weights");
    base_hash_ = *HashModelFiles(base_, ModelFiles::kBase);
    adapter_ = models_ / "team" / "fortunes";  // two levels down
    MakeAdapter(adapter_, "adapter weights", base_.string());
    adapter_hash_ = *HashModelFiles(adapter_, ModelFiles::kAdapter);
    MakeAdapter(models_ / "other", "other weights", base_.string());
  }
  static void MakeAdapter(const fs::path& dir, const std::string& weights,
                          const std::string& base_path) {
    Write(dir / "adapter_config.json", R"({"r":8})");
    Write(dir / "adapter_model.safetensors", weights);
    Write(dir / "training.json",
          base_path.empty() ? R"({"epochs":1})" : R"({"base":{"path":")" + base_path + R"("}})");
  }

  testing::TempDir tmp_;
  fs::path models_, base_, adapter_;
  Hash32 base_hash_{}, adapter_hash_{};
};

TEST_F(ModelFilesTest, FindsTheAdapterByItsHashNotItsName) {
  auto found = FindAdapterFiles(models_, adapter_hash_);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, adapter_);
  Hash32 unknown{};
  unknown[0] = 7;
  auto missing = FindAdapterFiles(models_, unknown);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().reason(), "model_files_missing");
  EXPECT_NE(missing.status().message().find(ToHex(unknown)), std::string::npos);
}

TEST_F(ModelFilesTest, LocatesTheBaseTheAdapterWasTrainedOn) {
  auto dirs = LocateModelFiles("model 3", adapter_hash_, base_hash_, models_);
  ASSERT_TRUE(dirs.ok()) << dirs.status().ToString();
  EXPECT_EQ(dirs->adapter_dir, adapter_);
  EXPECT_EQ(dirs->base_dir, base_);
  // A copy of the base elsewhere, given explicitly, is the same base.
  fs::copy(base_, tmp_.path() / "copy", fs::copy_options::recursive);
  dirs = LocateModelFiles("model 3", adapter_hash_, base_hash_, models_, tmp_.path() / "copy");
  ASSERT_TRUE(dirs.ok()) << dirs.status().ToString();
  EXPECT_EQ(dirs->base_dir, tmp_.path() / "copy");
}

TEST_F(ModelFilesTest, EachWayOfNotFindingTheFilesIsNamed) {
  Hash32 unknown{};
  unknown[1] = 9;
  auto no_adapter = LocateModelFiles("model 3", unknown, base_hash_, models_);
  EXPECT_EQ(no_adapter.status().code(), Code::kNotFound);
  EXPECT_EQ(no_adapter.status().reason(), "model_files_missing");
  EXPECT_NE(no_adapter.status().message().find("model 3: no adapter under"), std::string::npos);

  // Another base at the path given: refused, naming the registered hash.
  Write(tmp_.path() / "wrong" / "config.json", R"({"model_type":"llama"})");
  Write(tmp_.path() / "wrong" / "model.safetensors", "other base");
  auto wrong =
      LocateModelFiles("model 3", adapter_hash_, base_hash_, models_, tmp_.path() / "wrong");
  EXPECT_EQ(wrong.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(wrong.status().message().find(ToHex(base_hash_)), std::string::npos);

  // A base directory without its weights.
  auto empty =
      LocateModelFiles("model 3", adapter_hash_, base_hash_, models_, tmp_.path() / "none");
  EXPECT_EQ(empty.status().code(), Code::kNotFound);
  EXPECT_NE(empty.status().message().find("model 3: base"), std::string::npos);

  // training.json naming no base, and no override.
  MakeAdapter(models_ / "bare", "bare weights", "");
  auto bare_hash = *HashModelFiles(models_ / "bare", ModelFiles::kAdapter);
  auto bare = LocateModelFiles("model 4", bare_hash, base_hash_, models_);
  EXPECT_EQ(bare.status().code(), Code::kNotFound);
  EXPECT_NE(bare.status().message().find("names no base model; pass --base"), std::string::npos);
}

TEST_F(ModelFilesTest, TheLocatorLooksAgainWhenTheFilesChange) {
  AdapterLocator locator(models_);
  auto first = locator.Find(adapter_hash_);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, adapter_);
  // Moved away and replaced by other weights: the remembered directory no longer holds them.
  fs::rename(adapter_, models_ / "moved");
  Write(adapter_ / "adapter_model.safetensors", "replaced weights, longer than before");
  Write(adapter_ / "adapter_config.json", R"({"r":8})");
  auto again = locator.Find(adapter_hash_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, models_ / "moved");
}

}  // namespace
}  // namespace tributary::economy
