// `tributary model init`, `model init-adapter` and `generate` as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_util.h"

namespace tributary::testing {
namespace {

TEST(ModelCliTest, InitInitAdapterAndGenerate) {
  TempDir tmp;
  std::string base = (tmp.path() / "base").string(), adapter = (tmp.path() / "adapter").string();
  auto r =
      RunTributary({"model", "init", "--out", base, "--layers", "2", "--hidden", "32", "--heads",
                    "4", "--kv-heads", "2", "--intermediate", "64", "--vocab", "300"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f :
       {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
    EXPECT_TRUE(std::filesystem::exists(tmp.path() / "base" / f)) << f;
  }
  r = RunTributary({"model", "init-adapter", "--base", base, "--out", adapter, "--rank", "4",
                    "--targets", "q_proj,v_proj,down_proj"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "adapter" / "adapter_model.safetensors"));

  auto g1 = RunTributary({"generate", "--model", base, "--prompt", "Hello", "--max-tokens", "12",
                          "--temperature", "0", "--json"});
  ASSERT_EQ(g1.exit_code, 0) << g1.err;
  auto j1 = nlohmann::json::parse(g1.out);
  EXPECT_EQ(j1["tokens"].size(), 12u);
  auto g2 = RunTributary({"generate", "--model", base, "--prompt", "Hello", "--max-tokens", "12",
                          "--temperature", "0", "--json", "--adapter", adapter});
  ASSERT_EQ(g2.exit_code, 0) << g2.err;
  auto j2 = nlohmann::json::parse(g2.out);
  EXPECT_EQ(j2["tokens"].size(), 12u);
  // Plain output streams the text followed by a newline.
  auto plain = RunTributary({"generate", "--model", base, "--prompt", "Hello", "--max-tokens", "12",
                             "--temperature", "0"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, j1["text"].get<std::string>() + "\n");
}

TEST(ModelCliTest, BadInputGetsAOneLineError) {
  TempDir tmp;
  std::string base = (tmp.path() / "base").string();
  auto r = RunTributary({"model", "init", "--out", base, "--vocab", "100"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("error: --vocab must be at least 258"), std::string::npos) << r.err;
  r = RunTributary({"model", "init", "--out", base, "--hidden", "30", "--heads", "4"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("error:"), std::string::npos);
  r = RunTributary({"generate", "--model", (tmp.path() / "none").string(), "--prompt", "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
  // An adapter made for another base.
  ASSERT_EQ(RunTributary({"model", "init", "--out", base, "--hidden", "32", "--intermediate", "64"})
                .exit_code,
            0);
  std::string other = (tmp.path() / "other").string(), adapter = (tmp.path() / "adapter").string();
  ASSERT_EQ(RunTributary({"model", "init", "--out", other, "--hidden", "64"}).exit_code, 0);
  ASSERT_EQ(RunTributary({"model", "init-adapter", "--base", other, "--out", adapter}).exit_code,
            0);
  r = RunTributary({"generate", "--model", base, "--adapter", adapter, "--prompt", "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("adapter_mismatch"), std::string::npos) << r.err;
  r = RunTributary({"generate", "--model", base, "--prompt", "x", "--top-p", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("top_p"), std::string::npos) << r.err;
  r = RunTributary(
      {"model", "init-adapter", "--base", base, "--out", adapter, "--targets", "lm_head"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("lm_head"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tributary::testing
