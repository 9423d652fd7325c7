#include "tributary/model/tokenizer_train.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/fortunes.h"
#include "support/temp_dir.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

namespace fs = std::filesystem;
using Merges = std::vector<std::pair<std::string, std::string>>;
using PreTok = ByteLevelTokenizerOptions::PreTokenizer;

const fs::path& kFortunes = testing::kFortunesDir;

using tributary::testing::TempDir;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fortunes of one Debian fortunes file (entries end with a line holding only "%"); empty
// when the package is not installed.
std::vector<std::string> Fortunes(const std::string& name) { return testing::ReadFortunes(name); }

#define REQUIRE_FORTUNES(var, name)                                                       \
  const std::vector<std::string> var = Fortunes(name);                                    \
  if (var.size() < 100) {                                                                 \
    GTEST_SKIP() << "Debian's fortunes (" << (kFortunes / name) << ") are not installed"; \
  }

std::string Join(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) out += t;
  return out;
}

BpeTrainOptions Options(int32_t vocab_size, int64_t min_frequency = 2,
                        PreTok pre_tokenizer = PreTok::kLlama3) {
  BpeTrainOptions options;
  options.vocab_size = vocab_size;
  options.min_frequency = min_frequency;
  options.pre_tokenizer = pre_tokenizer;
  return options;
}

Merges Train(const std::vector<std::string>& texts, const BpeTrainOptions& options) {
  Result<Merges> merges = TrainBpeMerges(texts, options);
  EXPECT_TRUE(merges.ok()) << merges.status().ToString();
  return merges.ok() ? *merges : Merges{};
}

Tokenizer Load(const fs::path& dir) {
  Result<Tokenizer> tok = Tokenizer::FromDirectory(dir);
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  if (!tok.ok()) std::abort();
  return std::move(tok).value();
}

// The textbook algorithm, recounting every pair before every merge: the reference the
// incremental trainer must agree with, merge for merge.
Merges NaiveTrain(const std::vector<std::string>& texts, const BpeTrainOptions& options) {
  std::map<std::string, int64_t> counts;
  for (const std::string& text : texts) {
    Result<std::vector<std::string>> pre = PreTokenize(text, options.pre_tokenizer);
    EXPECT_TRUE(pre.ok());
    for (const std::string& w : *pre) ++counts[w];
  }
  std::vector<std::pair<std::vector<std::string>, int64_t>> words;
  for (const auto& [w, n] : counts) {
    std::vector<std::string> symbols;
    for (char c : w) symbols.emplace_back(1, c);
    words.emplace_back(std::move(symbols), n);
  }
  std::set<std::string> vocab;
  for (int b = 0; b < 256; ++b) vocab.insert(std::string(1, static_cast<char>(b)));
  std::set<std::pair<std::string, std::string>> merged;
  const size_t target = options.vocab_size - options.special_tokens.size();
  Merges out;
  while (vocab.size() < target) {
    std::map<std::pair<std::string, std::string>, int64_t> pairs;
    for (const auto& [s, n] : words) {
      for (size_t i = 0; i + 1 < s.size(); ++i) pairs[{s[i], s[i + 1]}] += n;
    }
    if (pairs.empty()) break;
    auto best = pairs.begin();
    for (auto it = pairs.begin(); it != pairs.end(); ++it) {
      if (it->second > best->second) best = it;  // ties: the first in (left, right) order
    }
    if (best->second < std::max<int64_t>(1, options.min_frequency)) break;
    const auto [a, b] = best->first;
    if (merged.insert(best->first).second) {  // a pair formed again is merged, not re-ranked
      out.emplace_back(a, b);
      vocab.insert(a + b);
    }
    for (auto& [s, n] : words) {
      std::vector<std::string> next;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          next.push_back(a + b);
          ++i;
        } else {
          next.push_back(s[i]);
        }
      }
      s = std::move(next);
    }
  }
  return out;
}

// -----------------------------------------------------------------------------------------------

TEST(PreTokenizeTest, SameAsTheLoadedTokenizer) {
  const std::vector<std::string> samples = {
      "Hello, world! It's 12345 o'clock.\n\n  Indented\tline\r\nDON'T",
      "caf\xC3\xA9 na\xC3\xAFve \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80!!! x=y+1;   ",
      "bad \xFF\xC3 bytes",
      "",
  };
  for (PreTok kind : {PreTok::kLlama3, PreTok::kGpt2}) {
    TempDir dir;
    ByteLevelTokenizerOptions options;
    options.pre_tokenizer = kind;
    ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 258, options).ok());
    const Tokenizer tok = Load(dir.path());
    for (const std::string& s : samples) {
      Result<std::vector<std::string>> pre = PreTokenize(s, kind);
      ASSERT_TRUE(pre.ok());
      EXPECT_EQ(*pre, tok.PreTokenize(s)) << ::testing::PrintToString(s);
    }
  }
  Result<std::vector<std::string>> llama = PreTokenize("abc 12345", PreTok::kLlama3);
  Result<std::vector<std::string>> gpt2 = PreTokenize("abc 12345", PreTok::kGpt2);
  ASSERT_TRUE(llama.ok() && gpt2.ok());
  EXPECT_EQ(*llama, (std::vector<std::string>{"abc", " ", "123", "45"}));
  EXPECT_EQ(*gpt2, (std::vector<std::string>{"abc", " 12345"}));
}

TEST(TrainBpeMergesTest, ClassicExample) {
  // One pre-token. Pairs: aa 4, ab 2, the rest 1. After a+a: (a, b) and (aa, a) both 2; "a" sorts
  // before "aa". After a+b: (aa, ab) 2. Then every pair occurs once.
  EXPECT_EQ(Train({"aaabdaaabac"}, Options(1000)), (Merges{{"a", "a"}, {"a", "b"}, {"aa", "ab"}}));
  // min_frequency 1 and room for exactly five more tokens: ties go to the smallest pair,
  // (a, c) then (aaab, ac) over (aaab, d) and (d, aaab).
  EXPECT_EQ(Train({"aaabdaaabac"}, Options(256 + 2 + 5, 1)),
            (Merges{{"a", "a"}, {"a", "b"}, {"aa", "ab"}, {"a", "c"}, {"aaab", "ac"}}));
  // Running out of pairs ends training early.
  EXPECT_EQ(Train({"aaabdaaabac"}, Options(1000, 1)).size(), 7u);
}

TEST(TrainBpeMergesTest, CountsAreWeightedByPreTokenFrequency) {
  // Pre-tokens "ab", " ab" twice, " cd": (a, b) 3, (" ", a) 2, then (" ", ab) 2.
  for (PreTok kind : {PreTok::kLlama3, PreTok::kGpt2}) {
    EXPECT_EQ(Train({"ab ab ab cd"}, Options(1000, 2, kind)), (Merges{{"a", "b"}, {" ", "ab"}}));
  }
  // Pairs never span pre-tokens: "a" and "b" are split apart by the digits rule.
  EXPECT_EQ(Train({"a1b a1b a1b"}, Options(1000, 2)), (Merges{{" ", "a"}}));
  // Counts add up across texts.
  EXPECT_EQ(Train({"xy", "xy", "zw"}, Options(1000, 2)), (Merges{{"x", "y"}}));
}

TEST(TrainBpeMergesTest, AgreesWithTheNaiveAlgorithmOnRandomText) {
  // A small alphabet makes many ties and long runs of one symbol (overlapping pairs).
  const std::vector<std::string> alphabet = {"a", "b", "c", " ", "\n", "\xC3\xA9", "1", "."};
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> texts(5 + rng() % 20);
    for (std::string& t : texts) {
      const size_t n = rng() % 60;
      for (size_t i = 0; i < n; ++i) t += alphabet[rng() % (seed % 2 ? 4 : alphabet.size())];
    }
    const BpeTrainOptions options = Options(256 + 2 + 5 + rng() % 80, seed % 3,
                                            seed % 4 == 0 ? PreTok::kGpt2 : PreTok::kLlama3);
    const Merges merges = Train(texts, options);
    ASSERT_EQ(merges, NaiveTrain(texts, options)) << "seed " << seed;
  }
}

TEST(TrainBpeMergesTest, AgreesWithTheNaiveAlgorithmOnRealText) {
  REQUIRE_FORTUNES(fortunes, "computers");
  const std::vector<std::string> texts(fortunes.begin(), fortunes.begin() + 150);
  for (PreTok kind : {PreTok::kLlama3, PreTok::kGpt2}) {
    const BpeTrainOptions options = Options(256 + 2 + 120, 2, kind);
    const Merges merges = Train(texts, options);
    EXPECT_EQ(merges.size(), 120u);
    EXPECT_EQ(merges, NaiveTrain(texts, options));
  }
}

TEST(TrainBpeMergesTest, DeterministicAndIndependentOfTextOrder) {
  REQUIRE_FORTUNES(fortunes, "computers");
  const BpeTrainOptions options = Options(1500);
  TempDir a, b;
  ASSERT_TRUE(TrainByteLevelTokenizer(a.path(), fortunes, options).ok());
  ASSERT_TRUE(TrainByteLevelTokenizer(b.path(), fortunes, options).ok());
  const std::string json = ReadText(a.path() / "tokenizer.json");
  EXPECT_GT(json.size(), 10000u);
  EXPECT_EQ(json, ReadText(b.path() / "tokenizer.json"));
  EXPECT_EQ(ReadText(a.path() / "tokenizer_config.json"),
            ReadText(b.path() / "tokenizer_config.json"));

  std::vector<std::string> shuffled = fortunes;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  EXPECT_EQ(Train(shuffled, options), Train(fortunes, options));
}

TEST(TrainByteLevelTokenizerTest, LoadsRoundTripsAndCompresses) {
  REQUIRE_FORTUNES(fortunes, "computers");
  const std::string text = Join(fortunes);
  TempDir dir;
  ByteLevelTokenizerOptions write_options;
  write_options.chat_template = std::string(ChatTemplate::Llama3Source());
  ASSERT_TRUE(TrainByteLevelTokenizer(dir.path(), fortunes, Options(2048), write_options).ok());
  const Tokenizer tok = Load(dir.path());

  // Exactly the size asked for, every id learned (no reserved filler), specials last.
  EXPECT_EQ(tok.vocab_size(), 2048);
  EXPECT_FALSE(tok.TokenToId("<|reserved_special_token_0|>").has_value());
  EXPECT_EQ(tok.TokenToId("<|begin_of_text|>"), 2046);
  EXPECT_EQ(tok.TokenToId("<|end_of_text|>"), 2047);
  EXPECT_EQ(tok.bos_id(), 2046);
  EXPECT_EQ(tok.eos_id(), 2047);
  EXPECT_TRUE(tok.IsSpecial(2046) && tok.IsSpecial(2047));
  EXPECT_FALSE(tok.IsSpecial(2045));
  for (int32_t id = 0; id < 2046; ++id) {
    ASSERT_FALSE(tok.TokenBytes(id).empty()) << id;
  }
  EXPECT_TRUE(tok.has_chat_template());

  // Round trip and compression on the corpus, and round trip on text it never saw.
  const std::vector<int32_t> ids = tok.Encode(text, false);
  EXPECT_EQ(tok.Decode(ids), text);
  const double per_byte = static_cast<double>(ids.size()) / static_cast<double>(text.size());
  EXPECT_LT(per_byte, 0.5) << ids.size() << " tokens for " << text.size() << " bytes";
  REQUIRE_FORTUNES(other, "science");
  const std::string unseen = Join(other);
  const std::vector<int32_t> unseen_ids = tok.Encode(unseen, false);
  EXPECT_EQ(tok.Decode(unseen_ids), unseen);
  EXPECT_LT(unseen_ids.size(), unseen.size() * 2 / 3);
  for (const std::string s : {"", "Zürich \xE2\x82\xAC 42 \xF0\x9F\x98\x80\n\n", "  \t x"}) {
    EXPECT_EQ(tok.Decode(tok.Encode(s, false)), s);
  }

  // A frequent word is one token; special tokens split out when allowed.
  EXPECT_EQ(tok.Encode(" computer", false).size(), 1u);
  const std::vector<int32_t> with_special = tok.Encode("<|begin_of_text|>Hello", true);
  ASSERT_FALSE(with_special.empty());
  EXPECT_EQ(with_special.front(), 2046);
  EXPECT_EQ(tok.Decode(with_special), "<|begin_of_text|>Hello");
}

TEST(TrainByteLevelTokenizerTest, Gpt2PreTokenizer) {
  REQUIRE_FORTUNES(fortunes, "computers");
  TempDir dir;
  ASSERT_TRUE(TrainByteLevelTokenizer(dir.path(), fortunes, Options(1024, 2, PreTok::kGpt2)).ok());
  const Tokenizer tok = Load(dir.path());
  EXPECT_EQ(tok.vocab_size(), 1024);
  const std::string text = Join(fortunes);
  const std::vector<int32_t> ids = tok.Encode(text, false);
  EXPECT_EQ(tok.Decode(ids), text);
  EXPECT_LT(ids.size(), text.size() / 2);
  const nlohmann::json json = nlohmann::json::parse(ReadText(dir.path() / "tokenizer.json"));
  EXPECT_EQ(json["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(json["pre_tokenizer"]["use_regex"], true);
}

TEST(TrainByteLevelTokenizerTest, MergesAreTheFilesMerges) {
  REQUIRE_FORTUNES(fortunes, "computers");
  const BpeTrainOptions options = Options(600);
  const Merges merges = Train(fortunes, options);
  TempDir dir;
  ASSERT_TRUE(TrainByteLevelTokenizer(dir.path(), fortunes, options).ok());
  const nlohmann::json json = nlohmann::json::parse(ReadText(dir.path() / "tokenizer.json"));
  const nlohmann::json& file_merges = json["model"]["merges"];
  ASSERT_EQ(file_merges.size(), merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    EXPECT_EQ(file_merges[i][0], ByteLevelEncode(merges[i].first));
    EXPECT_EQ(file_merges[i][1], ByteLevelEncode(merges[i].second));
  }
  EXPECT_EQ(json["model"]["vocab"].size() + json["added_tokens"].size(), 600u);
}

TEST(TrainByteLevelTokenizerTest, SpecialTokens) {
  // Occurrences in the texts are cut out, not learned from: only "x" is left, which has no pairs.
  std::string corpus;
  for (int i = 0; i < 100; ++i) corpus += "x<|end_of_text|>";
  EXPECT_TRUE(Train({corpus}, Options(1000)).empty());
  // Leftmost-longest: "<|a|>b" is cut whole, leaving "xy" twice (the shorter "<|a|>" would leave
  // "bxy", and (b, x) would come first).
  BpeTrainOptions options = Options(1000);
  options.special_tokens = {"<|a|>", "<|a|>b"};
  EXPECT_EQ(Train({"<|a|>bxy<|a|>bxy"}, options), (Merges{{"x", "y"}}));

  // Custom special tokens get the last ids, in order.
  TempDir dir;
  options = Options(300);
  options.special_tokens = {"<s>", "</s>", "<pad>"};
  ByteLevelTokenizerOptions write_options;
  write_options.bos_token = "<s>";
  write_options.eos_token = "</s>";
  ASSERT_TRUE(TrainByteLevelTokenizer(dir.path(), {"aaabdaaabac"}, options, write_options).ok());
  const Tokenizer tok = Load(dir.path());
  EXPECT_EQ(tok.vocab_size(), 300);
  EXPECT_EQ(tok.bos_id(), 259);  // 256 bytes, 3 merges
  EXPECT_EQ(tok.eos_id(), 260);
  EXPECT_EQ(tok.TokenToId("<pad>"), 261);
  // The corpus ran out of pairs: WriteByteLevelTokenizer filled the rest with reserved tokens.
  EXPECT_EQ(tok.TokenToId("<|reserved_special_token_0|>"), 262);
  EXPECT_EQ(tok.Encode("aaabdaaabac", false).size(), 5u);  // aaab d aaab a c

  // bos/eos must be among the trained special tokens.
  options.special_tokens = {"<s>"};
  const Status bad = TrainByteLevelTokenizer(dir.path() / "bad", {"abc"}, options, write_options);
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("'</s>' is not one of the special tokens"), std::string::npos)
      << bad.ToString();
}

TEST(TrainBpeMergesTest, Progress) {
  REQUIRE_FORTUNES(fortunes, "computers");
  std::vector<std::pair<int64_t, int64_t>> calls;
  BpeTrainOptions options = Options(1258);
  options.progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  Train(fortunes, options);
  ASSERT_GE(calls.size(), 50u);
  EXPECT_LE(calls.size(), 110u);
  EXPECT_EQ(calls.front(), (std::pair<int64_t, int64_t>{0, 1000}));
  EXPECT_EQ(calls.back(), (std::pair<int64_t, int64_t>{1000, 1000}));
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_LE(calls[i - 1].first, calls[i].first);
    EXPECT_EQ(calls[i].second, 1000);
  }
  // Ended early: the last call says how far it got.
  calls.clear();
  options.vocab_size = 1000;
  Train({"aaabdaaabac"}, options);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), (std::pair<int64_t, int64_t>{3, 742}));
}

TEST(TrainBpeMergesTest, BadInput) {
  auto expect_invalid = [](const std::vector<std::string>& texts, const BpeTrainOptions& options,
                           const std::string& message) {
    Result<Merges> r = TrainBpeMerges(texts, options);
    ASSERT_FALSE(r.ok()) << message;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().ToString();
  };
  expect_invalid({"abc"}, Options(257),
                 "vocab_size 257 is less than 258 (256 byte tokens + 2 special tokens)");
  expect_invalid({"abc"}, Options(0), "vocab_size 0 is less than 258");
  expect_invalid({"abc"}, Options(BpeTrainOptions::kMaxVocabSize + 1), "is more than");
  expect_invalid({"abc"}, Options(300, -1), "min_frequency -1 is negative");
  BpeTrainOptions options = Options(300);
  options.special_tokens = {"<s>", "<s>"};
  expect_invalid({"abc"}, options, "special token '<s>' given twice");
  options.special_tokens = {""};
  expect_invalid({"abc"}, options, "empty special token");
  expect_invalid({}, Options(300), "no text to train on");
  expect_invalid({"", ""}, Options(300), "no text to train on");
  expect_invalid({"<|end_of_text|>"}, Options(300), "no text to train on");

  // The smallest vocabulary is fine: no merges.
  Result<Merges> smallest = TrainBpeMerges({"abc abc"}, Options(258));
  ASSERT_TRUE(smallest.ok());
  EXPECT_TRUE(smallest->empty());

  TempDir dir;
  ByteLevelTokenizerOptions write_options;
  write_options.merges = {{"a", "b"}};
  const Status s = TrainByteLevelTokenizer(dir.path(), {"abc"}, Options(300), write_options);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("merges must be empty"), std::string::npos);
  EXPECT_EQ(TrainByteLevelTokenizer(dir.path(), {}, Options(300)).code(), Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir.path() / "tokenizer.json"));
}

TEST(TrainByteLevelTokenizerTest, SameIdsAsHuggingFaceTokenizers) {
  // The Python of the test venv (tools/test-venv.sh, a CTest fixture sets TRIBUTARY_PYTHON).
  const char* env_python = std::getenv("TRIBUTARY_PYTHON");
  const std::string python = env_python && *env_python ? env_python : "python3";
  if (std::system((python + " -c 'import tokenizers' >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "Python package `tokenizers` is not installed for " << python
                 << " (make test installs it: tools/test-venv.sh)";
  }
  REQUIRE_FORTUNES(fortunes, "computers");
  TempDir dir;
  ASSERT_TRUE(TrainByteLevelTokenizer(dir.path(), fortunes, Options(2048)).ok());
  const Tokenizer tok = Load(dir.path());
  REQUIRE_FORTUNES(other, "science");
  std::vector<std::string> samples(other.begin(), other.begin() + 50);
  samples.push_back("Zürich \xE2\x82\xAC 42 \xF0\x9F\x98\x80\n\n  \t x 1234567 don't");
  std::ofstream(dir.path() / "samples.json") << nlohmann::json(samples).dump();
  std::ofstream(dir.path() / "check.py")
      << "import json, sys\n"
         "from tokenizers import Tokenizer\n"
         "d = sys.argv[1]\n"
         "tok = Tokenizer.from_file(d + '/tokenizer.json')\n"
         "samples = json.load(open(d + '/samples.json'))\n"
         "ids = [tok.encode(s, add_special_tokens=False).ids for s in samples]\n"
         "json.dump(ids, open(d + '/ids.json', 'w'))\n";
  const std::string cmd =
      python + " '" + (dir.path() / "check.py").string() + "' '" + dir.path().string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json ids = nlohmann::json::parse(ReadText(dir.path() / "ids.json"));
  ASSERT_EQ(ids.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(ids[i].get<std::vector<int32_t>>(), tok.Encode(samples[i], true)) << samples[i];
  }
}

}  // namespace
}  // namespace tributary::model
