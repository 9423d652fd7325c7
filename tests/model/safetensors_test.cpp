#include "tributary/model/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>

#include "tributary/model/tensor.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tributary-st-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device()()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file with two tensors: "a" F32 [2,3] = 0..5 and "b" BF16 [4].
  fs::path WriteGood(const std::string& name = "model.safetensors") {
    a_.resize(6);
    for (int i = 0; i < 6; ++i) a_[i] = static_cast<float>(i);
    b_ = {0x3f80, 0x4000, 0x4040, 0x4080};  // bf16 1, 2, 3, 4
    std::vector<TensorData> ts = {
        {"b", DType::kBF16, {4}, ByteView(reinterpret_cast<const uint8_t*>(b_.data()), 8)},
        {"a", DType::kF32, {2, 3}, ByteView(reinterpret_cast<const uint8_t*>(a_.data()), 24)}};
    fs::path p = dir_ / name;
    EXPECT_TRUE(WriteSafetensors(p, ts, {{"format", "pt"}}).ok());
    return p;
  }

  // Writes a file from a raw header string and a data buffer of `data_len` zero bytes.
  fs::path WriteRaw(const std::string& header, size_t data_len, uint64_t claimed_len = 0) {
    fs::path p = dir_ / "raw.safetensors";
    std::ofstream out(p, std::ios::binary);
    uint64_t n = claimed_len ? claimed_len : header.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>(n >> (8 * i)));
    out << header;
    out << std::string(data_len, '\0');
    return p;
  }

  static std::string Error(const fs::path& p) {
    auto r = SafetensorsFile::Open(p);
    EXPECT_FALSE(r.ok()) << p;
    return r.ok() ? "" : r.status().message();
  }

  fs::path dir_;
  std::vector<float> a_;
  std::vector<uint16_t> b_;
};

TEST_F(SafetensorsTest, WriteThenReadRoundTrips) {
  fs::path p = WriteGood();
  auto f = SafetensorsFile::Open(p);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ((*f)->tensors().size(), 2u);
  const TensorInfo* a = (*f)->Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->numel(), 6);
  EXPECT_EQ(std::memcmp((*f)->Data(*a), a_.data(), 24), 0);
  EXPECT_EQ((*f)->Find("missing"), nullptr);
  EXPECT_EQ((*f)->metadata().at("format"), "pt");
  // The reference writer sorts by name and aligns the data buffer to 8 bytes.
  std::ifstream in(p, std::ios::binary);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<uint8_t>(in.get())) << (8 * i);
  EXPECT_EQ((8 + n) % 8, 0u);
}

TEST_F(SafetensorsTest, TensorsBecomeTorchTensorsWithoutCopy) {
  WriteGood();
  auto ck = Checkpoint::Open(dir_);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  auto a = LoadTensor(*ck, "a", {2, 3});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FLOAT_EQ(a->index({1, 2}).item<float>(), 5.0f);
  auto b = LoadTensor(*ck, "b", {4});
  ASSERT_TRUE(b.ok());
  EXPECT_FLOAT_EQ(b->sum().item<float>(), 10.0f);  // bf16 converted to float32
  auto wrong = LoadTensor(*ck, "a", {3, 2});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().reason(), "wrong_shape");
  EXPECT_NE(wrong.status().message().find("'a'"), std::string::npos);
  EXPECT_NE(wrong.status().message().find("[2, 3]"), std::string::npos);
  auto missing = LoadTensor(*ck, "model.norm.weight", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason(), "missing_tensor");
  EXPECT_NE(missing.status().message().find("model.norm.weight"), std::string::npos);
}

TEST_F(SafetensorsTest, WritingToATensorDoesNotChangeTheFile) {
  fs::path p = WriteGood();
  {
    auto ck = Checkpoint::Open(dir_);
    ASSERT_TRUE(ck.ok());
    auto e = ck->Find("a");
    ASSERT_TRUE(e.ok());
    TensorView(*e->file, *e->info).fill_(42.0f);
  }
  auto f = SafetensorsFile::Open(p);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(std::memcmp((*f)->Data(*(*f)->Find("a")), a_.data(), 24), 0);
}

TEST_F(SafetensorsTest, TruncatedFileIsRefused) {
  fs::path p = WriteGood();
  fs::resize_file(p, fs::file_size(p) - 4);
  std::string e = Error(p);
  EXPECT_NE(e.find(p.string()), std::string::npos) << e;
  EXPECT_NE(e.find("outside"), std::string::npos) << e;
  fs::resize_file(p, 5);
  EXPECT_NE(Error(p).find("too short"), std::string::npos);
}

TEST_F(SafetensorsTest, HeaderLengthPastTheEndIsRefused) {
  fs::path p = WriteRaw("{}", 0, 1000);
  EXPECT_NE(Error(p).find("past the end"), std::string::npos);
  p = WriteRaw("{}", 0, uint64_t{1} << 40);
  EXPECT_NE(Error(p).find("100 MB"), std::string::npos);
}

TEST_F(SafetensorsTest, CorruptedHeaderIsRefused) {
  fs::path p = WriteGood();
  {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(9);
    f.write("\xff\xff\xff", 3);
  }
  EXPECT_NE(Error(p).find("not a JSON object"), std::string::npos);
  EXPECT_NE(Error(WriteRaw("[1,2]", 0)).find("not a JSON object"), std::string::npos);
}

TEST_F(SafetensorsTest, OffsetsThatLieAreRefusedNamingTheTensor) {
  // Offsets beyond the buffer.
  std::string e = Error(WriteRaw(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8));
  EXPECT_NE(e.find("'w'"), std::string::npos) << e;
  EXPECT_NE(e.find("outside"), std::string::npos) << e;
  // Byte count that does not match the shape.
  e = Error(WriteRaw(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
  EXPECT_NE(e.find("'w'"), std::string::npos) << e;
  EXPECT_NE(e.find("need 12"), std::string::npos) << e;
  // begin > end.
  e = Error(WriteRaw(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8));
  EXPECT_NE(e.find("outside"), std::string::npos) << e;
  // Overlapping tensors.
  e = Error(WriteRaw(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                     12));
  EXPECT_NE(e.find("overlaps"), std::string::npos) << e;
  // A hole, and bytes nobody uses.
  e = Error(WriteRaw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8));
  EXPECT_NE(e.find("hole before tensor 'x'"), std::string::npos) << e;
  e = Error(WriteRaw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8));
  EXPECT_NE(e.find("no tensor uses"), std::string::npos) << e;
}

TEST_F(SafetensorsTest, UnknownDtypeAndBadShapesAreRefused) {
  std::string e = Error(WriteRaw(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8));
  EXPECT_NE(e.find("'ids'"), std::string::npos) << e;
  EXPECT_NE(e.find("unsupported dtype 'I64'"), std::string::npos) << e;
  e = Error(WriteRaw(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4));
  EXPECT_NE(e.find("non-negative"), std::string::npos) << e;
  e = Error(
      WriteRaw(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4));
  EXPECT_NE(e.find("overflows"), std::string::npos) << e;
  e = Error(WriteRaw(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8));
  EXPECT_NE(e.find("needs dtype, shape and data_offsets"), std::string::npos) << e;
  e = Error(WriteRaw(R"({"__metadata__":{"k":1}})", 0));
  EXPECT_NE(e.find("__metadata__.k"), std::string::npos) << e;
}

TEST_F(SafetensorsTest, ShardedCheckpointThroughTheIndex) {
  WriteGood("model-00001-of-00002.safetensors");
  std::vector<float> c(4, 7.0f);
  ASSERT_TRUE(WriteSafetensors(
                  dir_ / "model-00002-of-00002.safetensors",
                  {{"c", DType::kF32, {4}, ByteView(reinterpret_cast<uint8_t*>(c.data()), 16)}})
                  .ok());
  std::ofstream(dir_ / "model.safetensors.index.json")
      << R"({"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
      << R"("b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})";
  auto ck = Checkpoint::Open(dir_);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_EQ(ck->Names(), (std::vector<std::string>{"a", "b", "c"}));
  auto t = LoadTensor(*ck, "c", {4});
  ASSERT_TRUE(t.ok());
  EXPECT_FLOAT_EQ(t->sum().item<float>(), 28.0f);

  // An index naming a tensor its shard lacks, a missing shard, and a path escape.
  std::ofstream(dir_ / "model.safetensors.index.json")
      << R"({"weight_map":{"zzz":"model-00002-of-00002.safetensors"}})";
  auto r = Checkpoint::Open(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'zzz'"), std::string::npos);
  std::ofstream(dir_ / "model.safetensors.index.json")
      << R"({"weight_map":{"a":"nope.safetensors"}})";
  r = Checkpoint::Open(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nope.safetensors"), std::string::npos);
  std::ofstream(dir_ / "model.safetensors.index.json")
      << R"({"weight_map":{"a":"../x.safetensors"}})";
  EXPECT_FALSE(Checkpoint::Open(dir_).ok());
  std::ofstream(dir_ / "model.safetensors.index.json") << R"({"weight_map":[]})";
  EXPECT_FALSE(Checkpoint::Open(dir_).ok());
}

TEST_F(SafetensorsTest, MissingCheckpointIsNamed) {
  auto r = Checkpoint::Open(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("model.safetensors"), std::string::npos);
}

TEST_F(SafetensorsTest, WriterRefusesMismatchedData) {
  std::vector<float> x(3);
  EXPECT_FALSE(WriteSafetensors(
                   dir_ / "x.safetensors",
                   {{"x", DType::kF32, {4}, ByteView(reinterpret_cast<uint8_t*>(x.data()), 12)}})
                   .ok());
  EXPECT_FALSE(fs::exists(dir_ / "x.safetensors"));
}

}  // namespace
}  // namespace tributary::model
