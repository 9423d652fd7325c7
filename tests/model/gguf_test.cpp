// GGUF reading and import: files written here byte by byte (every metadata type, arrays, tensor
// infos, alignment), the bad-input cases each named, and a round trip of a random Llama model
// through a GGUF laid out as llama.cpp's converter lays it out (q/k rows permuted, dims reversed).
#include "tributary/model/gguf.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <fstream>

#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "tributary/model/gguf_import.h"
#include "tributary/model/llama.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;
using tributary::testing::TempDir;

// Writes GGUF files as llama.cpp's gguf writer does.
class GgufWriter {
 public:
  explicit GgufWriter(uint32_t version = 3, uint64_t alignment = 32)
      : version_(version), alignment_(alignment) {}

  void Raw(const void* p, size_t n, std::string* out) {
    out->append(static_cast<const char*>(p), n);
  }
  template <typename T>
  void Put(T v, std::string* out) {
    Raw(&v, sizeof(T), out);
  }
  void Str(const std::string& s, std::string* out) {
    Put<uint64_t>(s.size(), out);
    out->append(s);
  }

  template <typename T>
  void Kv(const std::string& key, GgufValueType type, T v) {
    Str(key, &kv_);
    Put<uint32_t>(static_cast<uint32_t>(type), &kv_);
    Put<T>(v, &kv_);
    ++n_kv_;
  }
  void KvString(const std::string& key, const std::string& v) {
    Str(key, &kv_);
    Put<uint32_t>(static_cast<uint32_t>(GgufValueType::kString), &kv_);
    Str(v, &kv_);
    ++n_kv_;
  }
  void KvStrings(const std::string& key, const std::vector<std::string>& v) {
    Str(key, &kv_);
    Put<uint32_t>(static_cast<uint32_t>(GgufValueType::kArray), &kv_);
    Put<uint32_t>(static_cast<uint32_t>(GgufValueType::kString), &kv_);
    Put<uint64_t>(v.size(), &kv_);
    for (const auto& s : v) Str(s, &kv_);
    ++n_kv_;
  }
  void KvInts(const std::string& key, const std::vector<int32_t>& v) {
    Str(key, &kv_);
    Put<uint32_t>(static_cast<uint32_t>(GgufValueType::kArray), &kv_);
    Put<uint32_t>(static_cast<uint32_t>(GgufValueType::kInt32), &kv_);
    Put<uint64_t>(v.size(), &kv_);
    for (int32_t x : v) Put<int32_t>(x, &kv_);
    ++n_kv_;
  }
  //! Raw value bytes after the key and type (for nested arrays and odd cases).
  void KvRaw(const std::string& key, uint32_t type, const std::string& bytes) {
    Str(key, &kv_);
    Put<uint32_t>(type, &kv_);
    kv_ += bytes;
    ++n_kv_;
  }

  //! A tensor with ggml dims (dims[0] fastest) and its raw bytes.
  void Tensor(const std::string& name, std::vector<int64_t> dims, uint32_t type,
              const std::string& bytes) {
    tensors_.push_back({name, std::move(dims), type, bytes});
  }
  void TensorF32(const std::string& name, std::vector<int64_t> dims, const float* data) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    Tensor(name, std::move(dims), 0, std::string(reinterpret_cast<const char*>(data), n * 4));
  }

  std::string Bytes() {
    std::string out;
    Put<uint32_t>(0x46554747, &out);
    Put<uint32_t>(version_, &out);
    Put<uint64_t>(tensors_.size(), &out);
    Put<uint64_t>(n_kv_, &out);
    out += kv_;
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors_) {
      Str(t.name, &out);
      Put<uint32_t>(static_cast<uint32_t>(t.dims.size()), &out);
      for (int64_t d : t.dims) Put<uint64_t>(static_cast<uint64_t>(d), &out);
      Put<uint32_t>(t.type, &out);
      Put<uint64_t>(offset, &out);
      offsets.push_back(offset);
      offset += (t.bytes.size() + alignment_ - 1) / alignment_ * alignment_;
    }
    while (out.size() % alignment_) out.push_back('\0');
    for (const auto& t : tensors_) {
      out += t.bytes;
      while (out.size() % alignment_) out.push_back('\0');
    }
    return out;
  }

  fs::path Write(const fs::path& path) {
    std::ofstream(path, std::ios::binary) << Bytes();
    return path;
  }

 private:
  struct T {
    std::string name;
    std::vector<int64_t> dims;
    uint32_t type;
    std::string bytes;
  };
  uint32_t version_;
  uint64_t alignment_;
  std::string kv_;
  uint64_t n_kv_ = 0;
  std::vector<T> tensors_;
};

fs::path WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(GgufFileTest, ReadsEveryMetadataTypeAndTensorInfo) {
  TempDir dir;
  GgufWriter w(3, 64);
  w.Kv<uint8_t>("u8", GgufValueType::kUint8, 200);
  w.Kv<int8_t>("i8", GgufValueType::kInt8, -5);
  w.Kv<uint16_t>("u16", GgufValueType::kUint16, 60000);
  w.Kv<int16_t>("i16", GgufValueType::kInt16, -30000);
  w.Kv<uint32_t>("u32", GgufValueType::kUint32, 4000000000u);
  w.Kv<int32_t>("i32", GgufValueType::kInt32, -2000000000);
  w.Kv<float>("f32", GgufValueType::kFloat32, 1e-5f);
  w.Kv<uint8_t>("bool", GgufValueType::kBool, 1);
  w.Kv<uint64_t>("u64", GgufValueType::kUint64, 18000000000000000000ull);
  w.Kv<int64_t>("i64", GgufValueType::kInt64, -9000000000000000000ll);
  w.Kv<double>("f64", GgufValueType::kFloat64, 2.5);
  w.KvString("str", "ünï");
  w.Kv<uint32_t>("general.alignment", GgufValueType::kUint32, 64);
  w.KvStrings("strings", {"a", "", "Ġthe"});
  w.KvInts("ints", {3, -1, 7});
  // An array of two arrays of u8: [[1, 2], [3]].
  std::string nested;
  auto put = [&](auto v) { nested.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(uint32_t{9});  // elements are arrays
  put(uint64_t{2});
  put(uint32_t{0});  // [1, 2] of u8
  put(uint64_t{2});
  put(uint8_t{1});
  put(uint8_t{2});
  put(uint32_t{0});  // [3] of u8
  put(uint64_t{1});
  put(uint8_t{3});
  w.KvRaw("nested", 9, nested);
  std::vector<float> data(6 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i) * 0.5f;
  w.TensorF32("weight", {6, 4}, data.data());
  std::vector<float> bias = {1, 2, 3};
  w.TensorF32("bias", {3}, bias.data());
  auto path = w.Write(dir.path() / "all.gguf");

  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->version(), 3u);
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ(*(*f)->Find("u8")->AsInt(), 200);
  EXPECT_EQ(*(*f)->Find("i8")->AsInt(), -5);
  EXPECT_EQ(*(*f)->Find("u16")->AsInt(), 60000);
  EXPECT_EQ(*(*f)->Find("i16")->AsInt(), -30000);
  EXPECT_EQ(*(*f)->Find("u32")->AsInt(), 4000000000ll);
  EXPECT_EQ(*(*f)->Find("i32")->AsInt(), -2000000000);
  EXPECT_FLOAT_EQ(static_cast<float>(*(*f)->Find("f32")->AsFloat()), 1e-5f);
  EXPECT_EQ(*(*f)->Find("bool")->AsBool(), true);
  EXPECT_FALSE((*f)->Find("u64")->AsInt().has_value());  // does not fit int64
  EXPECT_EQ(std::get<uint64_t>((*f)->Find("u64")->value), 18000000000000000000ull);
  EXPECT_EQ(*(*f)->Find("i64")->AsInt(), -9000000000000000000ll);
  EXPECT_EQ(*(*f)->Find("f64")->AsFloat(), 2.5);
  EXPECT_EQ(*(*f)->Find("str")->AsString(), "ünï");
  const auto* strings = (*f)->Find("strings")->AsArray();
  ASSERT_NE(strings, nullptr);
  ASSERT_EQ(strings->size(), 3u);
  EXPECT_EQ(*(*strings)[2].AsString(), "Ġthe");
  const auto* ints = (*f)->Find("ints")->AsArray();
  ASSERT_EQ(ints->size(), 3u);
  EXPECT_EQ(*(*ints)[1].AsInt(), -1);
  const auto* outer_arr = (*f)->Find("nested")->AsArray();
  ASSERT_NE(outer_arr, nullptr);
  ASSERT_EQ(outer_arr->size(), 2u);
  EXPECT_EQ((*outer_arr)[0].AsArray()->size(), 2u);
  EXPECT_EQ(*(*(*outer_arr)[1].AsArray())[0].AsInt(), 3);
  EXPECT_EQ((*f)->Find("absent"), nullptr);

  ASSERT_EQ((*f)->tensors().size(), 2u);
  const GgufTensorInfo* wt = (*f)->FindTensor("weight");
  ASSERT_NE(wt, nullptr);
  EXPECT_EQ(wt->dims, (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(wt->shape(), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(wt->offset % 64, 0u);
  auto values = (*f)->ReadFloat(*wt);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, data);
  auto b = (*f)->ReadFloat(*(*f)->FindTensor("bias"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, bias);
}

TEST(GgufFileTest, ReadsVersion2) {
  TempDir dir;
  GgufWriter w(2);
  w.KvString("general.architecture", "llama");
  auto f = GgufFile::Open(w.Write(dir.path() / "v2.gguf"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->version(), 2u);
}

TEST(GgufFileTest, BadMagicIsNamed) {
  TempDir dir;
  auto path = WriteBytes(dir.path() / "x.gguf", std::string("GGML") + std::string(20, '\0'));
  auto f = GgufFile::Open(path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().reason(), "bad_gguf");
  EXPECT_NE(f.status().message().find("bad magic"), std::string::npos);
  EXPECT_NE(f.status().message().find("x.gguf"), std::string::npos);
}

TEST(GgufFileTest, UnsupportedVersionIsNamed) {
  TempDir dir;
  GgufWriter w(4);
  auto f = GgufFile::Open(w.Write(dir.path() / "v4.gguf"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().reason(), "unsupported_gguf_version");
  EXPECT_NE(f.status().message().find("version 4"), std::string::npos);
}

TEST(GgufFileTest, TruncatedFilesAreRefusedAtEveryCut) {
  TempDir dir;
  GgufWriter w;
  w.KvString("general.architecture", "llama");
  w.KvStrings("tokenizer.ggml.tokens", {"a", "b", "c"});
  std::vector<float> data(32, 1.0f);
  w.TensorF32("t", {32}, data.data());
  const std::string full = w.Bytes();
  ASSERT_TRUE(GgufFile::Open(WriteBytes(dir.path() / "full.gguf", full)).ok());
  for (size_t cut = 0; cut + 1 < full.size(); cut += 7) {
    auto f = GgufFile::Open(WriteBytes(dir.path() / "cut.gguf", full.substr(0, cut)));
    ASSERT_FALSE(f.ok()) << "cut at " << cut;
    EXPECT_EQ(f.status().reason(), "bad_gguf") << "cut at " << cut;
  }
  auto f = GgufFile::Open(WriteBytes(dir.path() / "cut.gguf", full.substr(0, 40)));
  EXPECT_NE(f.status().message().find("truncated"), std::string::npos) << f.status().ToString();
}

TEST(GgufFileTest, HugeCountsAreRefusedWithoutAllocating) {
  TempDir dir;
  GgufWriter w;
  std::string bytes;
  uint32_t type = static_cast<uint32_t>(GgufValueType::kString);
  uint64_t count = 1ull << 60;
  bytes.append(reinterpret_cast<const char*>(&type), 4);
  bytes.append(reinterpret_cast<const char*>(&count), 8);
  w.KvRaw("tokenizer.ggml.tokens", 9, bytes);
  auto f = GgufFile::Open(w.Write(dir.path() / "huge.gguf"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("tokenizer.ggml.tokens"), std::string::npos);
}

// Regression (fuzz_gguf): a tensor of a type this reader cannot dequantize has no known size, so
// Open bounds it only by its offset; its element count may be anything. ReadFloat refused it only
// after allocating that many floats (2^40 here: 4 TiB).
TEST(GgufFileTest, ReadingAnUnsupportedTypeAllocatesNothing) {
  TempDir dir;
  GgufWriter w;
  w.Tensor("blk.0.odd.weight", {1 << 20, 1 << 20}, 99, std::string(32, '\0'));
  auto f = GgufFile::Open(w.Write(dir.path() / "odd.gguf"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto r = (*f)->ReadFloat(*(*f)->FindTensor("blk.0.odd.weight"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "unsupported_quantization");
  EXPECT_NE(r.status().message().find("blk.0.odd.weight"), std::string::npos);
}

TEST(GgufFileTest, TensorDataOutsideTheFileIsNamed) {
  TempDir dir;
  GgufWriter w;
  std::vector<float> data(8, 1.0f);
  w.TensorF32("blk.0.attn_q.weight", {8}, data.data());
  std::string bytes = w.Bytes();
  bytes.resize(bytes.size() - 16);  // cut into the tensor's data
  auto f = GgufFile::Open(WriteBytes(dir.path() / "short.gguf", bytes));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().reason(), "bad_gguf");
  EXPECT_NE(f.status().message().find("blk.0.attn_q.weight"), std::string::npos);
  EXPECT_NE(f.status().message().find("outside"), std::string::npos);
}

TEST(GgufFileTest, DuplicateKeysAndTensorsAreRefused) {
  TempDir dir;
  GgufWriter w;
  w.KvString("k", "a");
  w.KvString("k", "b");
  auto f = GgufFile::Open(w.Write(dir.path() / "dup.gguf"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("'k' appears twice"), std::string::npos);
  GgufWriter w2;
  std::vector<float> data(8, 1.0f);
  w2.TensorF32("t", {8}, data.data());
  w2.TensorF32("t", {8}, data.data());
  auto f2 = GgufFile::Open(w2.Write(dir.path() / "dup2.gguf"));
  ASSERT_FALSE(f2.ok());
  EXPECT_NE(f2.status().message().find("'t' appears twice"), std::string::npos);
}

TEST(GgufFileTest, MissingFileIsNotFound) {
  auto f = GgufFile::Open("/nonexistent/model.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Code::kNotFound);
}

// ---- import ----

// The shared tiny shape, with what a GGUF import must carry over: rope theta, epsilon, tying.
ModelConfig TinyConfig() {
  ModelConfig c = tributary::testing::TinyModelConfig(300);
  c.rope_theta = 100000;
  c.rms_norm_eps = 1e-5;
  c.tie_word_embeddings = true;
  return c;
}

// llama.cpp's converter permutation (convert_hf_to_gguf.py LlamaModel.permute).
torch::Tensor Permute(const torch::Tensor& w, int64_t heads) {
  return w.reshape({heads, 2, w.size(0) / heads / 2, w.size(1)})
      .transpose(1, 2)
      .reshape(w.sizes())
      .contiguous();
}

// The tokenizer metadata of a byte-level BPE: 256 byte tokens, a few merges, two control tokens.
void AddTokenizer(GgufWriter& w, int64_t vocab, const std::string& pre = "smollm") {
  std::vector<std::string> tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  std::vector<int32_t> types = {3, 3, 3};
  for (int b = 0; b < 256; ++b) {
    // In GPT-2's bytes_to_unicode order, like a real vocabulary.
    for (int c = 0; c < 256; ++c) {
      if (ByteLevelRank(static_cast<uint8_t>(c)) == b) {
        tokens.emplace_back(ByteLevelChar(static_cast<uint8_t>(c)));
        types.push_back(1);
      }
    }
  }
  std::vector<std::string> merges = {"Ġ t", "h e", "Ġt he", "i n"};
  for (const char* t : {"Ġt", "he", "Ġthe", "in"}) {
    tokens.emplace_back(t);
    types.push_back(1);
  }
  while (static_cast<int64_t>(tokens.size()) < vocab) {
    tokens.push_back("<extra_" + std::to_string(tokens.size()) + ">");
    types.push_back(4);
  }
  w.KvString("tokenizer.ggml.model", "gpt2");
  w.KvString("tokenizer.ggml.pre", pre);
  w.KvStrings("tokenizer.ggml.tokens", tokens);
  w.KvInts("tokenizer.ggml.token_type", types);
  w.KvStrings("tokenizer.ggml.merges", merges);
  w.Kv<uint32_t>("tokenizer.ggml.bos_token_id", GgufValueType::kUint32, 1);
  w.Kv<uint32_t>("tokenizer.ggml.eos_token_id", GgufValueType::kUint32, 2);
  w.Kv<uint32_t>("tokenizer.ggml.padding_token_id", GgufValueType::kUint32, 2);
  w.Kv<uint8_t>("tokenizer.ggml.add_bos_token", GgufValueType::kBool, 0);
  w.KvString("tokenizer.chat_template", std::string(ChatTemplate::ChatMLSource()));
}

void AddLlamaKeys(GgufWriter& w, const ModelConfig& c) {
  w.KvString("general.architecture", "llama");
  w.KvString("general.name", "tiny test");
  w.Kv<uint32_t>("llama.block_count", GgufValueType::kUint32, c.num_hidden_layers);
  w.Kv<uint32_t>("llama.context_length", GgufValueType::kUint32, c.max_position_embeddings);
  w.Kv<uint32_t>("llama.embedding_length", GgufValueType::kUint32, c.hidden_size);
  w.Kv<uint32_t>("llama.feed_forward_length", GgufValueType::kUint32, c.intermediate_size);
  w.Kv<uint32_t>("llama.attention.head_count", GgufValueType::kUint32, c.num_attention_heads);
  w.Kv<uint32_t>("llama.attention.head_count_kv", GgufValueType::kUint32, c.num_key_value_heads);
  w.Kv<float>("llama.rope.freq_base", GgufValueType::kFloat32, static_cast<float>(c.rope_theta));
  w.Kv<float>("llama.attention.layer_norm_rms_epsilon", GgufValueType::kFloat32,
              static_cast<float>(c.rms_norm_eps));
}

// A GGUF of `m` as llama.cpp writes one: ggml names, dims reversed, q/k permuted, F32.
void AddTensors(GgufWriter& w, const LlamaModel& m) {
  const ModelConfig& c = m.config();
  static const std::map<std::string, std::string> kNames = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"}};
  for (auto [name, tensor] : m.NamedParameters()) {
    std::string g;
    if (name == "model.embed_tokens.weight") g = "token_embd.weight";
    if (name == "model.norm.weight") g = "output_norm.weight";
    if (name == "lm_head.weight") g = "output.weight";
    if (name.rfind("model.layers.", 0) == 0) {
      const size_t dot = name.find('.', 13);
      const std::string layer = name.substr(13, dot - 13);
      const std::string rest = name.substr(dot + 1);
      g = "blk." + layer + "." + kNames.at(rest);
      if (rest == "self_attn.q_proj.weight") tensor = Permute(tensor, c.num_attention_heads);
      if (rest == "self_attn.k_proj.weight") tensor = Permute(tensor, c.num_key_value_heads);
    }
    ASSERT_FALSE(g.empty()) << name;
    torch::Tensor t = tensor.contiguous().to(torch::kFloat32);
    std::vector<int64_t> dims(t.sizes().rbegin(), t.sizes().rend());
    w.TensorF32(g, dims, t.data_ptr<float>());
  }
}

// A tiny random Llama as llama.cpp lays it out: keys for `keys`, the tokenizer (pre-tokenizer
// `pre`; none when empty) and the tensors of `m`.
GgufWriter TinyLlamaGguf(const ModelConfig& keys, const LlamaModel& m,
                         const std::string& pre = "smollm") {
  GgufWriter w;
  AddLlamaKeys(w, keys);
  if (!pre.empty()) AddTokenizer(w, m.config().vocab_size, pre);
  AddTensors(w, m);
  return w;
}

TEST(GgufImportTest, ARandomLlamaRoundTripsThroughGgufWithTheSameLogits) {
  TempDir dir;
  const ModelConfig c = TinyConfig();
  auto original = LlamaModel::Random(c, 11);
  GgufWriter w = TinyLlamaGguf(c, *original);
  auto gguf = w.Write(dir.path() / "tiny.gguf");

  size_t calls = 0;
  GgufImportOptions options;
  options.progress = [&](size_t done, size_t total, const std::string&) {
    ++calls;
    EXPECT_LE(done, total);
  };
  auto summary = ImportGguf(gguf, dir.path() / "hf", options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->name, "tiny test");
  EXPECT_EQ(summary->tensors, calls);
  EXPECT_EQ(summary->quantizations, std::vector<std::string>{"F32"});
  EXPECT_TRUE(summary->config.tie_word_embeddings);
  EXPECT_EQ(summary->config.vocab_size, 300);

  auto imported = LlamaModel::Load(dir.path() / "hf");
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ((*imported)->config().num_key_value_heads, 2);
  EXPECT_DOUBLE_EQ((*imported)->config().rope_theta, 100000);
  std::vector<int64_t> tokens = {5, 17, 3, 296, 0, 42, 8, 8, 61, 2, 100, 200};
  KvCache a, b;
  auto want = original->Forward({{tokens, &a}});
  auto got = (*imported)->Forward({{tokens, &b}});
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_LT((*want - *got).abs().max().item<double>(), 1e-5);

  // Without the un-permute the logits would differ: check the test can see that.
  auto permuted = LlamaModel::Random(c, 11);
  auto params = permuted->NamedParameters();
  for (auto& [name, t] : params) {
    if (name.find("q_proj") != std::string::npos) {
      torch::NoGradGuard g;
      t.copy_(Permute(t, c.num_attention_heads));
    }
  }
  KvCache p;
  auto wrong = permuted->Forward({{tokens, &p}});
  EXPECT_GT((*want - *wrong).abs().max().item<double>(), 1e-3);

  auto tok = Tokenizer::FromDirectory(dir.path() / "hf");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ(*tok->eos_id(), 2);
  EXPECT_EQ(*tok->bos_id(), 1);
  EXPECT_TRUE(tok->IsSpecial(1));
  EXPECT_FALSE(tok->IsSpecial(270));  // user-defined: added, not special
  // Digits one by one (SmolLM's pre-tokenizer), merges applied, specials matched.
  auto ids = tok->Encode("the 42<|im_end|>", true);
  std::vector<std::string> pieces;
  for (int32_t id : ids) pieces.emplace_back(*tok->IdToToken(id));
  EXPECT_EQ(pieces, (std::vector<std::string>{"t", "he", "Ġ", "4", "2", "<|im_end|>"}));
  EXPECT_EQ(tok->Decode(ids), "the 42<|im_end|>");
  EXPECT_TRUE(tok->has_chat_template());
}

TEST(GgufImportTest, Bf16WritesHalfTheBytes) {
  TempDir dir;
  const ModelConfig c = TinyConfig();
  auto original = LlamaModel::Random(c, 3);
  GgufWriter w = TinyLlamaGguf(c, *original);
  auto gguf = w.Write(dir.path() / "tiny.gguf");
  GgufImportOptions f32, bf16;
  bf16.dtype = DType::kBF16;
  ASSERT_TRUE(ImportGguf(gguf, dir.path() / "f32", f32).ok());
  ASSERT_TRUE(ImportGguf(gguf, dir.path() / "bf16", bf16).ok());
  const auto a = fs::file_size(dir.path() / "f32" / "model.safetensors");
  const auto b = fs::file_size(dir.path() / "bf16" / "model.safetensors");
  EXPECT_LT(b, a * 6 / 10);
  auto m = LlamaModel::Load(dir.path() / "bf16");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // An existing output is not replaced unless asked.
  auto again = ImportGguf(gguf, dir.path() / "f32", f32);
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
}

TEST(GgufImportTest, UnsupportedArchitectureIsNamed) {
  TempDir dir;
  GgufWriter w;
  w.KvString("general.architecture", "mamba");
  auto r = ImportGguf(w.Write(dir.path() / "m.gguf"), dir.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "unsupported_architecture");
  EXPECT_NE(r.status().message().find("'mamba'"), std::string::npos);
  EXPECT_NE(r.status().message().find("m.gguf"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(GgufImportTest, MissingTokenizerIsNamed) {
  TempDir dir;
  const ModelConfig c = TinyConfig();
  auto original = LlamaModel::Random(c, 3);
  GgufWriter w = TinyLlamaGguf(c, *original, "");
  auto r = ImportGguf(w.Write(dir.path() / "t.gguf"), dir.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "missing_tokenizer");
  EXPECT_NE(r.status().message().find("tokenizer.ggml.model"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(GgufImportTest, UnknownPreTokenizerIsNamed) {
  TempDir dir;
  const ModelConfig c = TinyConfig();
  auto original = LlamaModel::Random(c, 3);
  GgufWriter w = TinyLlamaGguf(c, *original, "deepseek-coder");
  auto r = ImportGguf(w.Write(dir.path() / "t.gguf"), dir.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "unsupported_tokenizer");
  EXPECT_NE(r.status().message().find("'deepseek-coder'"), std::string::npos);
}

TEST(GgufImportTest, UnsupportedQuantizationTypeIsNamedWithTheTensor) {
  TempDir dir;
  const ModelConfig c = TinyConfig();
  auto original = LlamaModel::Random(c, 3);
  GgufWriter w = TinyLlamaGguf(c, *original);
  // A Q2_K tensor (type 10): 256 elements take 84 bytes.
  w.Tensor("blk.0.extra.weight", {256}, 10, std::string(84, '\0'));
  auto r = ImportGguf(w.Write(dir.path() / "q.gguf"), dir.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "unsupported_quantization");
  EXPECT_NE(r.status().message().find("Q2_K"), std::string::npos);
  EXPECT_NE(r.status().message().find("blk.0.extra.weight"), std::string::npos);
}

TEST(GgufImportTest, MissingAndMisshapenTensorsAreNamed) {
  TempDir dir;
  ModelConfig c = TinyConfig();
  auto original = LlamaModel::Random(c, 3);
  {
    ModelConfig more = c;
    more.num_hidden_layers = 3;  // the keys promise a layer the tensors lack
    GgufWriter w = TinyLlamaGguf(more, *original);
    auto r = ImportGguf(w.Write(dir.path() / "a.gguf"), dir.path() / "out");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "missing_tensor");
    EXPECT_NE(r.status().message().find("model.layers.2."), std::string::npos);
  }
  {
    ModelConfig wide = c;
    wide.intermediate_size = 128;
    GgufWriter w = TinyLlamaGguf(wide, *original);
    auto r = ImportGguf(w.Write(dir.path() / "b.gguf"), dir.path() / "out");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "wrong_shape");
    EXPECT_NE(r.status().message().find("ffn_"), std::string::npos);
  }
  {
    GgufWriter w;
    AddLlamaKeys(w, c);
    AddTokenizer(w, c.vocab_size);
    auto r = ImportGguf(w.Write(dir.path() / "c.gguf"), dir.path() / "out");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "missing_tensor");
    EXPECT_NE(r.status().message().find("token_embd.weight"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(GgufImportTest, MissingRequiredKeyIsNamed) {
  TempDir dir;
  GgufWriter w;
  w.KvString("general.architecture", "llama");
  w.Kv<uint32_t>("llama.block_count", GgufValueType::kUint32, 2);
  auto r = ImportGguf(w.Write(dir.path() / "k.gguf"), dir.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "missing_key");
  EXPECT_NE(r.status().message().find("llama.embedding_length"), std::string::npos);
}

}  // namespace
}  // namespace tributary::model
