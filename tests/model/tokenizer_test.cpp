#include "tributary/model/tokenizer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace tributary::model {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

#ifdef TRIBUTARY_TESTDATA
const fs::path kData = fs::path(TRIBUTARY_TESTDATA) / "tokenizer";
#else
const fs::path kData = fs::path(__FILE__).parent_path().parent_path() / "data" / "tokenizer";
#endif

constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

using tributary::testing::TempDir;

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int32_t B(char c) { return ByteLevelRank(static_cast<uint8_t>(c)); }

// The ids of `text` when every byte is its own token.
std::vector<int32_t> ByteIds(std::string_view text) {
  std::vector<int32_t> ids;
  for (char c : text) ids.push_back(B(c));
  return ids;
}

json ByteVocab() {
  json v = json::object();
  for (int b = 0; b < 256; ++b) {
    v[std::string(ByteLevelChar(static_cast<uint8_t>(b)))] = ByteLevelRank(static_cast<uint8_t>(b));
  }
  return v;
}

json ByteLevelPre(bool use_regex, bool add_prefix_space = false) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", add_prefix_space},
          {"trim_offsets", true},
          {"use_regex", use_regex}};
}

json SplitPre(std::string_view pattern) {
  return {{"type", "Sequence"},
          {"pretokenizers", json::array({{{"type", "Split"},
                                          {"pattern", {{"Regex", std::string(pattern)}}},
                                          {"behavior", "Isolated"},
                                          {"invert", false}},
                                         ByteLevelPre(false)})}};
}

// A tokenizer.json under construction.
struct Spec {
  json vocab = ByteVocab();
  json merges = json::array();
  json added = json::array();
  json normalizer = nullptr;
  json pre = SplitPre(Llama3Pattern());
  json post = nullptr;
  json decoder = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}};
  json model_extra = json::object();

  void AddVocab(std::string_view raw, int32_t id) { vocab[ByteLevelEncode(raw)] = id; }
  void AddToken(int32_t id, const std::string& content, bool special, json flags = json::object()) {
    json t = {{"id", id}, {"content", content}, {"special", special}};
    t.update(flags);
    added.push_back(t);
  }
  json Json() const {
    json model = {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}};
    model.update(model_extra);
    return {{"version", "1.0"},     {"added_tokens", added},  {"normalizer", normalizer},
            {"pre_tokenizer", pre}, {"post_processor", post}, {"decoder", decoder},
            {"model", model}};
  }
  std::string Dump() const { return Json().dump(); }
};

Tokenizer Load(const Spec& spec, const std::string& config = "") {
  auto tok = Tokenizer::FromJson(spec.Dump(), config);
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return std::move(tok).value();
}

Tokenizer LoadDir(const fs::path& dir) {
  auto tok = Tokenizer::FromDirectory(dir);
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return std::move(tok).value();
}

std::vector<std::string> Strings(std::initializer_list<const char*> list) {
  return std::vector<std::string>(list.begin(), list.end());
}

// ---------------------------------------------------------------------------------------------
// UTF-8 and the byte alphabet

TEST(TokenizerUtf8Test, ReplacementMatchesPythonDecodeWithReplace) {
  // Expected values are what `bytes.decode("utf-8", errors="replace")` gives in Python 3.11.
  const std::string r = "\xEF\xBF\xBD";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc", "abc"},
      {"\xff", r},
      {"\xe2\x82"
       "a",
       r + "a"},
      {"\xf0\x9f\x98", r},
      {"\xed\xa0\x80", r + r + r},               // surrogate
      {"\xc0\xaf", r + r},                       // overlong
      {"\xf4\x90\x80\x80", r + r + r + r},       // above U+10FFFF
      {"\xe0\x80\x80", r + r + r},               // overlong
      {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},  // U+1F600
      {"\x80\x80", r + r},
      {"a\xf1\x80"
       "b",
       "a" + r + "b"},
      {"\xf0\x9f\x98"
       "a",
       r + "a"},
      {"\xe2\x82\xac\xe2", "\xe2\x82\xac" + r},
      {std::string("a\0b", 3), std::string("a\0b", 3)},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(ReplaceInvalidUtf8(in), want) << "input " << ::testing::PrintToString(in);
    EXPECT_EQ(IsValidUtf8(in), in == want) << "input " << ::testing::PrintToString(in);
  }
}

TEST(TokenizerByteLevelTest, Gpt2Alphabet) {
  EXPECT_EQ(ByteLevelChar(' '), "\xC4\xA0");   // Ġ
  EXPECT_EQ(ByteLevelChar('\n'), "\xC4\x8A");  // Ċ
  EXPECT_EQ(ByteLevelChar(0), "\xC4\x80");     // Ā
  EXPECT_EQ(ByteLevelChar('a'), "a");
  EXPECT_EQ(ByteLevelChar(0xE9), "\xC3\xA9");  // é stands for itself
  EXPECT_EQ(ByteLevelChar(0xAD), "\xC5\x83");  // soft hyphen is not printable: U+0143
  // GPT-2's vocab.json order: '!' is 0, printable bytes first, 'Ġ' (space) is 220.
  EXPECT_EQ(ByteLevelRank('!'), 0);
  EXPECT_EQ(ByteLevelRank('a'), 64);
  EXPECT_EQ(ByteLevelRank(0xFF), 187);
  EXPECT_EQ(ByteLevelRank(0), 188);
  EXPECT_EQ(ByteLevelRank(' '), 220);
  EXPECT_EQ(ByteLevelRank(0xAD), 255);
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(ByteLevelDecode(ByteLevelEncode(all)), all);
  EXPECT_EQ(ByteLevelEncode("hello world"), "hello\xC4\xA0world");
  EXPECT_EQ(ByteLevelDecode("\xE2\x82\xAC"), std::nullopt);  // € is not in the alphabet
}

// ---------------------------------------------------------------------------------------------
// Pre-tokenization

TEST(TokenizerPreTokenizeTest, Gpt2Regex) {
  Spec spec;
  spec.pre = ByteLevelPre(true);
  Tokenizer tok = Load(spec);
  EXPECT_EQ(tok.PreTokenize("I'm here  123 !!"), Strings({"I", "'m", " here", " ", " 123", " !!"}));
  EXPECT_EQ(tok.PreTokenize("Hello\n\nworld  "), Strings({"Hello", "\n", "\n", "world", "  "}));
  EXPECT_EQ(tok.PreTokenize("they'll 2024!"), Strings({"they", "'ll", " 2024", "!"}));
  // GPT-2's contractions are case-sensitive.
  EXPECT_EQ(tok.PreTokenize("I'M"), Strings({"I", "'", "M"}));
  EXPECT_EQ(tok.PreTokenize("\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80"),
            Strings({"\xE4\xBD\xA0\xE5\xA5\xBD", " \xF0\x9F\x98\x80"}));
}

TEST(TokenizerPreTokenizeTest, Gpt2AddPrefixSpace) {
  Spec spec;
  spec.pre = ByteLevelPre(true, /*add_prefix_space=*/true);
  Tokenizer tok = Load(spec);
  EXPECT_EQ(tok.PreTokenize("hi there"), Strings({" hi", " there"}));
  EXPECT_EQ(tok.PreTokenize(" hi"), Strings({" hi"}));
  EXPECT_EQ(tok.PreTokenize(""), Strings({}));
}

TEST(TokenizerPreTokenizeTest, Llama3RegexGroupsDigitsByThree) {
  Tokenizer tok = Load(Spec{});
  EXPECT_EQ(tok.PreTokenize("12345 abc 1234567"),
            Strings({"123", "45", " abc", " ", "123", "456", "7"}));
  EXPECT_EQ(tok.PreTokenize("I'M HERE"), Strings({"I", "'M", " HERE"}));  // (?i:...)
  EXPECT_EQ(tok.PreTokenize("Hello\n\nworld"), Strings({"Hello", "\n\n", "world"}));
  EXPECT_EQ(tok.PreTokenize("...hi .hi"), Strings({"...", "hi", " .", "hi"}));
  EXPECT_EQ(tok.PreTokenize("a  b"), Strings({"a", " ", " b"}));
}

TEST(TokenizerPreTokenizeTest, Qwen2RegexSplitsSingleDigits) {
  Spec spec;
  spec.pre = SplitPre(kQwen2Pattern);
  Tokenizer tok = Load(spec);
  EXPECT_EQ(tok.PreTokenize("in 2024"), Strings({"in", " ", "2", "0", "2", "4"}));
}

TEST(TokenizerPreTokenizeTest, SplitBehaviorsAndDigits) {
  auto split = [](const char* behavior, bool invert) {
    Spec spec;
    spec.pre = {{"type", "Sequence"},
                {"pretokenizers", json::array({{{"type", "Split"},
                                                {"pattern", {{"String", "-"}}},
                                                {"behavior", behavior},
                                                {"invert", invert}},
                                               ByteLevelPre(false)})}};
    return Load(spec).PreTokenize("a-b--c");
  };
  EXPECT_EQ(split("Isolated", false), Strings({"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(split("Removed", false), Strings({"a", "b", "c"}));
  EXPECT_EQ(split("MergedWithPrevious", false), Strings({"a-", "b-", "-", "c"}));
  EXPECT_EQ(split("MergedWithNext", false), Strings({"a", "-b", "-", "-c"}));
  EXPECT_EQ(split("Contiguous", false), Strings({"a", "-", "b", "--", "c"}));
  EXPECT_EQ(split("Removed", true), Strings({"-", "-", "-"}));

  Spec digits;
  digits.pre = {{"type", "Sequence"},
                {"pretokenizers", json::array({{{"type", "Digits"}, {"individual_digits", true}},
                                               ByteLevelPre(true)})}};
  EXPECT_EQ(Load(digits).PreTokenize("ab 123"), Strings({"ab", " ", "1", "2", "3"}));
}

// ---------------------------------------------------------------------------------------------
// BPE: hand-derived ids

TEST(TokenizerEncodeTest, HelloWorldByHand) {
  // Byte ids are GPT-2's: h=71 e=68 l=75 o=78 w=86 r=81 d=67 Ġ=220 (see ByteLevelRank).
  ASSERT_EQ(B('h'), 71);
  ASSERT_EQ(B('e'), 68);
  ASSERT_EQ(B('l'), 75);
  ASSERT_EQ(B('o'), 78);
  ASSERT_EQ(B('w'), 86);
  ASSERT_EQ(B('r'), 81);
  ASSERT_EQ(B('d'), 67);
  TempDir dir;
  ByteLevelTokenizerOptions all;
  all.ignore_merges = false;
  // ids 256.. in order: he ll hell hello Ġw or Ġwor Ġworl Ġworld
  all.merges = {{"h", "e"}, {"l", "l"},   {"he", "ll"},  {"hell", "o"}, {" ", "w"},
                {"o", "r"}, {" w", "or"}, {" wor", "l"}, {" worl", "d"}};
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path() / "all", 270, all).ok());
  Tokenizer full = LoadDir(dir.path() / "all");
  EXPECT_EQ(full.Encode("hello world", false), (std::vector<int32_t>{259, 264}));
  EXPECT_EQ(full.IdToToken(264), "\xC4\xA0world");
  EXPECT_TRUE(full.Encode("", true, true).empty());
  EXPECT_EQ(full.Decode(std::vector<int32_t>{}), "");

  // Only the first merges: "hello" -> he ll o, " world" -> Ġw or l d.
  ByteLevelTokenizerOptions some;
  some.ignore_merges = false;
  some.merges = {{"h", "e"}, {"l", "l"}, {" ", "w"}, {"o", "r"}};
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path() / "some", 262, some).ok());
  Tokenizer part = LoadDir(dir.path() / "some");
  EXPECT_EQ(part.Encode("hello world", false),
            (std::vector<int32_t>{256, 257, 78, 258, 259, 75, 67}));
  EXPECT_EQ(part.Decode(part.Encode("hello world", false)), "hello world");
}

TEST(TokenizerEncodeTest, LowestRankMergesFirst) {
  // "hello" = h e l l o. With (l,l) ranked first: h e ll o, then (h,e): [he, ll, o].
  // With (e,l) ranked first: h el l o, and neither (l,l) nor (h,e) applies any more.
  TempDir dir;
  ByteLevelTokenizerOptions a;
  a.ignore_merges = false;
  a.merges = {{"l", "l"}, {"e", "l"}, {"h", "e"}};  // ll=256 el=257 he=258
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path() / "a", 261, a).ok());
  EXPECT_EQ(LoadDir(dir.path() / "a").Encode("hello", false), (std::vector<int32_t>{258, 256, 78}));
  ByteLevelTokenizerOptions b;
  b.ignore_merges = false;
  b.merges = {{"e", "l"}, {"l", "l"}, {"h", "e"}};  // el=256 ll=257 he=258
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path() / "b", 261, b).ok());
  EXPECT_EQ(LoadDir(dir.path() / "b").Encode("hello", false),
            (std::vector<int32_t>{71, 256, 75, 78}));
  // Equal pairs: leftmost first. "aaa" with (a,a): [aa, a].
  ByteLevelTokenizerOptions c;
  c.merges = {{"a", "a"}};
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path() / "c", 259, c).ok());
  EXPECT_EQ(LoadDir(dir.path() / "c").Encode("aaa", false), (std::vector<int32_t>{256, B('a')}));
}

TEST(TokenizerEncodeTest, IgnoreMergesEmitsVocabWordsWhole) {
  // "hello" is in the vocabulary but no merge path reaches it.
  Spec spec;
  spec.AddVocab("he", 256);
  spec.AddVocab("ll", 257);
  spec.AddVocab("hello", 258);
  spec.merges = json::array({"h e", "l l"});  // the older "a b" form
  spec.model_extra = {{"ignore_merges", true}};
  EXPECT_EQ(Load(spec).Encode("hello", false), (std::vector<int32_t>{258}));
  spec.model_extra = {{"ignore_merges", false}};
  EXPECT_EQ(Load(spec).Encode("hello", false), (std::vector<int32_t>{256, 257, 78}));
  // The [["a", "b"], ...] form reads the same.
  spec.merges = json::array({json::array({"h", "e"}), json::array({"l", "l"})});
  EXPECT_EQ(Load(spec).Encode("hello", false), (std::vector<int32_t>{256, 257, 78}));
}

TEST(TokenizerEncodeTest, ByteFallbackAndUnk) {
  // Byte 0x00 is 'Ā' (C4 80) in the byte alphabet; take it out of the vocabulary.
  Spec spec;
  spec.vocab.erase(std::string(ByteLevelChar(0)));
  spec.vocab["<0xC4>"] = 300;
  spec.vocab["<0x80>"] = 301;
  spec.vocab["<unk>"] = 302;
  // As the reference: byte_fallback spells the character the model sees, as its UTF-8 bytes.
  spec.model_extra = {{"byte_fallback", true}};
  Tokenizer fb = Load(spec);
  EXPECT_EQ(fb.Encode(std::string("a\0", 2), false), (std::vector<int32_t>{B('a'), 300, 301}));
  spec.model_extra = {{"unk_token", "<unk>"}};
  EXPECT_EQ(Load(spec).Encode(std::string("\0a", 2), false), (std::vector<int32_t>{302, B('a')}));
  // Neither: the byte is dropped, as the reference drops it (SmolLM2's vocabulary lacks 21 bytes).
  spec.model_extra = json::object();
  auto dropping = Tokenizer::FromJson(spec.Dump());
  ASSERT_TRUE(dropping.ok()) << dropping.status().ToString();
  EXPECT_EQ(dropping->Encode(std::string("\0a\0", 3), false), (std::vector<int32_t>{B('a')}));
}

TEST(TokenizerEncodeTest, NfcNormalizer) {
  Spec spec;
  spec.normalizer = {{"type", "NFC"}};
  spec.pre = SplitPre(kQwen2Pattern);
  Tokenizer tok = Load(spec);
  const std::string composed = "caf\xC3\xA9";     // café
  const std::string decomposed = "cafe\xCC\x81";  // cafe + U+0301
  EXPECT_EQ(tok.Encode(decomposed, false), tok.Encode(composed, false));
  EXPECT_EQ(tok.Decode(tok.Encode(decomposed, false)), composed);
  EXPECT_EQ(tok.PreTokenize("e\xCC\x81t\xC3\xA9"), Strings({"\xC3\xA9t\xC3\xA9"}));
}

TEST(TokenizerEncodeTest, InvalidUtf8IsReplacedFirst) {
  Tokenizer tok = Load(Spec{});
  const std::string bad =
      "ab\xFF"
      "c\xE2\x82";
  const std::string fixed =
      "ab\xEF\xBF\xBD"
      "c\xEF\xBF\xBD";
  EXPECT_EQ(tok.Encode(bad, false), tok.Encode(fixed, false));
  EXPECT_EQ(tok.Decode(tok.Encode(bad, false)), fixed);
  EXPECT_EQ(tok.PreTokenize(bad), tok.PreTokenize(fixed));
}

// ---------------------------------------------------------------------------------------------
// Added tokens and post-processing

TEST(TokenizerAddedTokensTest, SpecialTokensOnlyWhenAllowed) {
  TempDir dir;
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 258).ok());  // no merges: 256, 257 special
  Tokenizer tok = LoadDir(dir.path());
  EXPECT_EQ(tok.TokenToId("<|end_of_text|>"), 257);
  EXPECT_EQ(tok.Encode("a<|end_of_text|>b", true), (std::vector<int32_t>{B('a'), 257, B('b')}));
  EXPECT_EQ(tok.Encode("a<|end_of_text|>b", false), ByteIds("a<|end_of_text|>b"));
  EXPECT_EQ(tok.Decode(tok.Encode("a<|end_of_text|>b", true)), "a<|end_of_text|>b");
  EXPECT_EQ(tok.Decode(tok.Encode("a<|end_of_text|>b", true), /*skip_special=*/true), "ab");
  EXPECT_TRUE(tok.IsSpecial(257));
  EXPECT_FALSE(tok.IsSpecial(B('a')));
}

TEST(TokenizerAddedTokensTest, LongestFirstAndFlags) {
  Spec spec;
  spec.AddToken(300, "ab", false);
  spec.AddToken(301, "abc", false);
  spec.AddToken(302, "cat", false, {{"single_word", true}});
  spec.AddToken(303, "<m>", true, {{"lstrip", true}, {"rstrip", true}});
  spec.AddToken(304, "<x>", true);
  Tokenizer tok = Load(spec);
  EXPECT_EQ(tok.Encode("xabcx", false), (std::vector<int32_t>{B('x'), 301, B('x')}));
  EXPECT_EQ(tok.Encode("xabx", false), (std::vector<int32_t>{B('x'), 300, B('x')}));
  // single_word: only where no word character touches it.
  EXPECT_EQ(tok.Encode("cat dog", false)[0], 302);
  EXPECT_EQ(tok.Encode("concat", false), ByteIds("concat"));
  // lstrip/rstrip swallow the surrounding whitespace.
  EXPECT_EQ(tok.Encode("a  <m>  b", true), (std::vector<int32_t>{B('a'), 303, B('b')}));
  // Non-special added tokens match even when special ones are not allowed.
  EXPECT_EQ(tok.Encode("<x>ab", false), (std::vector<int32_t>{B('<'), B('x'), B('>'), 300}));
  EXPECT_EQ(tok.Encode("<x>ab", true), (std::vector<int32_t>{304, 300}));
  EXPECT_EQ(tok.vocab_size(), 305);
  EXPECT_EQ(tok.IdToToken(303), "<m>");
  EXPECT_EQ(tok.IdToToken(299), std::nullopt);
}

TEST(TokenizerAddedTokensTest, NormalizedTokensMatchAfterNfc) {
  Spec spec;
  spec.normalizer = {{"type", "NFC"}};
  spec.AddToken(300, "e\xCC\x81x", false);  // normalized: matched as its NFC form "éx"
  Tokenizer tok = Load(spec);
  EXPECT_EQ(tok.Encode("\xC3\xA9x", false), (std::vector<int32_t>{300}));
  EXPECT_EQ(tok.Encode("e\xCC\x81x", false), (std::vector<int32_t>{300}));
}

TEST(TokenizerAddedTokensTest, TemplateProcessingAddsBos) {
  TempDir dir;
  ByteLevelTokenizerOptions options;
  options.add_bos = true;
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 258, options).ok());
  Tokenizer tok = LoadDir(dir.path());
  EXPECT_EQ(tok.Encode("hi", false, /*add_special_tokens=*/true),
            (std::vector<int32_t>{256, B('h'), B('i')}));
  EXPECT_EQ(tok.Encode("hi", false), (std::vector<int32_t>{B('h'), B('i')}));
}

// ---------------------------------------------------------------------------------------------
// Round trip, differential check against a naive BPE, streaming, threads

// A small BPE trainer (most frequent pair, ties to the smallest pair) over pre-tokens.
std::vector<std::pair<std::string, std::string>> TrainMerges(const std::vector<std::string>& words,
                                                             int count) {
  std::map<std::string, int> freq;
  for (const auto& w : words) ++freq[w];
  std::vector<std::pair<std::vector<std::string>, int>> ws;
  for (const auto& [w, n] : freq) {
    std::vector<std::string> syms;
    for (char c : w) syms.emplace_back(1, c);
    ws.emplace_back(std::move(syms), n);
  }
  std::vector<std::pair<std::string, std::string>> merges;
  for (int it = 0; it < count; ++it) {
    std::map<std::pair<std::string, std::string>, int> pairs;
    for (const auto& [syms, n] : ws) {
      for (size_t i = 0; i + 1 < syms.size(); ++i) pairs[{syms[i], syms[i + 1]}] += n;
    }
    if (pairs.empty()) break;
    auto best = pairs.begin();
    for (auto p = pairs.begin(); p != pairs.end(); ++p) {
      if (p->second > best->second) best = p;
    }
    merges.push_back(best->first);
    for (auto& [syms, n] : ws) {
      std::vector<std::string> out;
      for (size_t i = 0; i < syms.size(); ++i) {
        if (i + 1 < syms.size() && syms[i] == best->first.first &&
            syms[i + 1] == best->first.second) {
          out.push_back(syms[i] + syms[i + 1]);
          ++i;
        } else {
          out.push_back(syms[i]);
        }
      }
      syms = std::move(out);
    }
  }
  return merges;
}

const char* kCorpus =
    "The quick brown fox jumps over the lazy dog. They'll say it's the dog's day; we've "
    "seen 12345 foxes and 2024 dogs!! int main() { return 0; } // comment\n\n"
    "\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E "
    "caf\xC3\xA9 na\xC3\xAF"
    "ve \xF0\x9F\x98\x80\xF0\x9F\x98\x80 hello hello hello world "
    "the the the there then than that this these those\t\ttabs   spaces\r\nwindows";

// Random text mixing ASCII, CJK, emoji (with ZWJ and modifiers), combining marks, whitespace
// runs, digits and contractions.
std::string RandomText(std::mt19937& rng) {
  static const std::vector<std::string> pool = {
      "a",
      "b",
      "Z",
      "the",
      " the",
      "hello",
      "world",
      "x",
      "'s",
      "'LL",
      "'ve",
      "don't",
      " ",
      "  ",
      "    ",
      "\t",
      "\n",
      "\n\n",
      "\r\n",
      "\xC2\xA0",
      "\xE3\x80\x80",
      "\xC2\x85",
      "0",
      "7",
      "12",
      "123456789",
      "\xD9\xA3\xD9\xA4",  // Arabic-Indic digits
      "\xE4\xBD\xA0",
      "\xE5\xA5\xBD",
      "\xE4\xB8\x96\xE7\x95\x8C",
      "\xED\x95\x9C",  // CJK, Hangul
      "\xF0\x9F\x98\x80",
      "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",                                          // 😀 👍🏽
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",  // family
      "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",                                          // flag
      "e\xCC\x81",
      "a\xCC\x88\xCC\xA3",
      "\xCC\x81",  // combining marks
      "\xC3\xA9",
      "\xC3\x9F",
      "\xC5\xBF",
      "\xE2\x84\xAA",
      "\xCE\xA9",  // é ß ſ K Ω
      "!",
      "!!",
      "...",
      "{",
      "}",
      "(",
      ")",
      ";",
      "<|",
      "|>",
      "<",
      "\"",
      "'",
      "-",
      "_",
      "~",
      "\x01",
      "\x7F",
      "\xEF\xBB\xBF",  // controls, BOM
  };
  std::uniform_int_distribution<int> len(0, 40);
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::string s;
  for (int n = len(rng); n > 0; --n) s += pool[pick(rng)];
  return s;
}

// Classic BPE, one merge at a time: the lowest rank, leftmost first.
std::vector<int32_t> NaiveEncode(const Tokenizer& tok,
                                 const std::map<std::pair<std::string, std::string>, int>& ranks,
                                 const std::string& text, bool ignore_merges) {
  std::vector<int32_t> out;
  for (const std::string& word : tok.PreTokenize(text)) {
    const std::string mapped = ByteLevelEncode(word);
    if (ignore_merges && tok.TokenToId(mapped)) {
      out.push_back(*tok.TokenToId(mapped));
      continue;
    }
    std::vector<std::string> syms;
    for (char c : word) syms.emplace_back(ByteLevelChar(static_cast<uint8_t>(c)));
    while (true) {
      int best = -1, best_rank = 0;
      for (size_t i = 0; i + 1 < syms.size(); ++i) {
        auto it = ranks.find({syms[i], syms[i + 1]});
        if (it != ranks.end() && (best < 0 || it->second < best_rank)) {
          best = static_cast<int>(i);
          best_rank = it->second;
        }
      }
      if (best < 0) break;
      syms[best] += syms[best + 1];
      syms.erase(syms.begin() + best + 1);
    }
    for (const auto& s : syms) out.push_back(tok.TokenToId(s).value_or(-1));
  }
  return out;
}

struct Trained {
  TempDir dir;
  std::map<std::pair<std::string, std::string>, int> ranks;
};

void Train(Trained* t, ByteLevelTokenizerOptions::PreTokenizer style, bool ignore_merges) {
  // Pre-tokenize the corpus with an empty tokenizer of the same style, then learn merges.
  ByteLevelTokenizerOptions options;
  options.pre_tokenizer = style;
  options.ignore_merges = ignore_merges;
  ASSERT_TRUE(WriteByteLevelTokenizer(t->dir.path() / "empty", 258, options).ok());
  std::vector<std::string> words;
  const std::vector<std::string> once = LoadDir(t->dir.path() / "empty").PreTokenize(kCorpus);
  for (int i = 0; i < 3; ++i) words.insert(words.end(), once.begin(), once.end());
  options.merges = TrainMerges(words, 300);
  ASSERT_GT(options.merges.size(), 100u);
  for (size_t i = 0; i < options.merges.size(); ++i) {
    t->ranks.emplace(std::make_pair(ByteLevelEncode(options.merges[i].first),
                                    ByteLevelEncode(options.merges[i].second)),
                     static_cast<int>(i));
  }
  options.chat_template = std::string(ChatTemplate::Llama3Source());
  ASSERT_TRUE(WriteByteLevelTokenizer(t->dir.path() / "trained", 1024, options).ok());
}

TEST(TokenizerRoundTripTest, RandomTextGpt2AndLlama3Styles) {
  for (auto style : {ByteLevelTokenizerOptions::PreTokenizer::kLlama3,
                     ByteLevelTokenizerOptions::PreTokenizer::kGpt2}) {
    for (bool ignore_merges : {true, false}) {
      Trained t;
      Train(&t, style, ignore_merges);
      Tokenizer tok = LoadDir(t.dir.path() / "trained");
      ASSERT_EQ(tok.vocab_size(), 1024);
      EXPECT_LT(tok.Encode(kCorpus, false).size(), std::string(kCorpus).size() / 2);
      std::mt19937 rng(42);
      for (int i = 0; i < 300; ++i) {
        const std::string s = RandomText(rng);
        const std::vector<int32_t> ids = tok.Encode(s, true);
        ASSERT_EQ(tok.Decode(ids), s) << ::testing::PrintToString(s);
        ASSERT_EQ(ids, NaiveEncode(tok, t.ranks, s, ignore_merges)) << ::testing::PrintToString(s);
        for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < 1024);
      }
      EXPECT_EQ(tok.Decode(tok.Encode(kCorpus, false)), kCorpus);
    }
  }
}

TEST(TokenizerRoundTripTest, LongRunsDoNotBreakTheRegex) {
  TempDir dir;
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 258).ok());
  Tokenizer tok = LoadDir(dir.path());
  for (const std::string& s : {std::string(200000, ' '), std::string(100000, 'a'),
                               std::string(50000, '\n') + "x", "x" + std::string(60000, '7')}) {
    const auto ids = tok.Encode(s, false);
    EXPECT_EQ(ids.size(), s.size());  // no merges: one token per byte
    EXPECT_EQ(tok.Decode(ids), s);
  }
}

TEST(TokenizerStreamTest, YieldsOnlyCompleteUtf8) {
  Trained t;
  Train(&t, ByteLevelTokenizerOptions::PreTokenizer::kLlama3, true);
  Tokenizer tok = LoadDir(t.dir.path() / "trained");
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    const std::string s = RandomText(rng);
    TokenStreamDecoder stream(tok);
    std::string joined;
    for (int32_t id : tok.Encode(s, false)) {
      const std::string piece = stream.Put(id);
      ASSERT_TRUE(IsValidUtf8(piece));
      joined += piece;
    }
    EXPECT_EQ(stream.pending(), 0u);
    joined += stream.Flush();
    ASSERT_EQ(joined, s);
  }
}

TEST(TokenizerStreamTest, SplitCharactersAndBadBytes) {
  TempDir dir;
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 258).ok());
  Tokenizer tok = LoadDir(dir.path());
  TokenStreamDecoder euro(tok);
  EXPECT_EQ(euro.Put(B('\xE2')), "");
  EXPECT_EQ(euro.Put(B('\x82')), "");
  EXPECT_EQ(euro.pending(), 2u);
  EXPECT_EQ(euro.Put(B('\xAC')), "\xE2\x82\xAC");
  EXPECT_EQ(euro.Put(B('\xE2')), "");
  EXPECT_EQ(euro.Put(B('\x82')), "");
  EXPECT_EQ(euro.Put(B('A')),
            "\xEF\xBF\xBD"
            "A");                                  // E2 82 cannot go on: one U+FFFD
  EXPECT_EQ(euro.Put(B('\xFF')), "\xEF\xBF\xBD");  // never valid: out at once
  EXPECT_EQ(euro.Put(B('\xF0')), "");
  EXPECT_EQ(euro.Flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(euro.Flush(), "");
  // Special tokens can be left out; unknown ids give nothing.
  TokenStreamDecoder skip(tok, /*skip_special=*/true);
  EXPECT_EQ(skip.Put(256), "");
  EXPECT_EQ(skip.Put(99999), "");
  EXPECT_EQ(skip.Put(B('a')), "a");
  TokenStreamDecoder keep(tok);
  EXPECT_EQ(keep.Put(256), "<|begin_of_text|>");
  // Decode keeps raw bytes, partial sequences included.
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{B('\xE2'), B('\x82')}), "\xE2\x82");
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{-1, 5000, B('a')}), "a");
}

TEST(TokenizerThreadTest, ConcurrentEncodeDecodeAgreeWithSerial) {
  Trained t;
  Train(&t, ByteLevelTokenizerOptions::PreTokenizer::kGpt2, false);
  std::mt19937 rng(99);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back(RandomText(rng));
  std::vector<std::vector<int32_t>> want;
  {
    Tokenizer serial = LoadDir(t.dir.path() / "trained");
    for (const auto& s : texts) want.push_back(serial.Encode(s, true));
  }
  Tokenizer shared = LoadDir(t.dir.path() / "trained");  // cold cache
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          const size_t k = (i * 7 + th * 13 + round) % texts.size();
          const auto ids = shared.Encode(texts[k], true);
          if (ids != want[k] || shared.Decode(ids) != texts[k]) ++failures[th];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

// ---------------------------------------------------------------------------------------------
// tokenizer_config.json

TEST(TokenizerConfigTest, SpecialTokensAsStringsOrObjects) {
  Spec spec;
  spec.AddToken(256, "<|begin_of_text|>", true);
  spec.AddToken(257, "<|eot_id|>", true);
  const std::string config = R"({
    "bos_token": "<|begin_of_text|>",
    "eos_token": {"__type": "AddedToken", "content": "<|eot_id|>", "special": true},
    "pad_token": null,
    "chat_template": null
  })";
  Tokenizer tok = Load(spec, config);
  EXPECT_EQ(tok.bos_id(), 256);
  EXPECT_EQ(tok.eos_id(), 257);
  EXPECT_EQ(tok.pad_id(), std::nullopt);
  EXPECT_EQ(tok.bos_token(), "<|begin_of_text|>");
  EXPECT_EQ(tok.eos_token(), "<|eot_id|>");
  EXPECT_FALSE(tok.has_chat_template());
  auto none = tok.ApplyChatTemplate(std::vector<ChatMessage>{{"user", "hi"}});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kFailedPrecondition);
}

TEST(TokenizerConfigTest, SpecialTokensMapOverridesConfig) {
  TempDir dir;
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 258).ok());
  EXPECT_EQ(LoadDir(dir.path()).eos_id(), 257);
  WriteText(
      dir.path() / "special_tokens_map.json",
      R"({"eos_token": {"content": "<|begin_of_text|>", "special": true}, "pad_token": null})");
  Tokenizer tok = LoadDir(dir.path());
  EXPECT_EQ(tok.eos_id(), 256);
  EXPECT_EQ(tok.bos_id(), 256);
  EXPECT_EQ(tok.pad_id(), std::nullopt);
  WriteText(dir.path() / "special_tokens_map.json", R"({"bos_token": "<nope>"})");
  auto bad = Tokenizer::FromDirectory(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("special_tokens_map.json: bos_token"), std::string::npos);
}

TEST(TokenizerConfigTest, WrittenTokenizerReadsBack) {
  TempDir dir;
  ByteLevelTokenizerOptions options;
  options.merges = {{"a", "b"}, {"b", "c"}, {"ab", "c"}, {"a", "bc"}};  // "abc" twice: one id
  options.special_tokens = {"<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"};
  options.chat_template = std::string(ChatTemplate::ChatMLSource());
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 300, options).ok());
  json written = json::parse(ReadText(dir.path() / "tokenizer.json"));
  EXPECT_EQ(written["model"]["vocab"].size(), 259u);  // 256 bytes + ab bc abc
  EXPECT_EQ(written["model"]["merges"].size(), 4u);
  EXPECT_EQ(written["added_tokens"].size(), 41u);  // 4 named + 37 reserved
  Tokenizer tok = LoadDir(dir.path());
  EXPECT_EQ(tok.vocab_size(), 300);
  EXPECT_EQ(tok.bos_id(), 259);
  EXPECT_EQ(tok.eos_id(), 260);
  EXPECT_EQ(tok.TokenToId("<|im_end|>"), 262);
  EXPECT_EQ(tok.TokenToId("<|reserved_special_token_0|>"), 263);
  EXPECT_EQ(tok.IdToToken(299), "<|reserved_special_token_36|>");
  EXPECT_EQ(tok.TokenToId(std::string(ByteLevelChar('!'))), 0);
  EXPECT_EQ(tok.Encode("abc", false), (std::vector<int32_t>{258}));
  auto chat = tok.ApplyChatTemplate(std::vector<ChatMessage>{{"user", "abc"}});
  ASSERT_TRUE(chat.ok()) << chat.status().ToString();
  EXPECT_EQ(*chat, "<|im_start|>user\nabc<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(tok.Encode(*chat, true),
            (std::vector<int32_t>{261,    B('u'),  B('s'), B('e'), B('r'), B('\n'), 258,
                                  262,    B('\n'), 261,    B('a'), B('s'), B('s'),  B('i'),
                                  B('s'), B('t'),  B('a'), B('n'), B('t'), B('\n')}));

  EXPECT_FALSE(WriteByteLevelTokenizer(dir.path(), 257).ok());  // 256 + 2 specials
  ByteLevelTokenizerOptions bad;
  bad.merges = {{"ab", "c"}};
  auto st = WriteByteLevelTokenizer(dir.path() / "bad", 400, bad);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("merges[0]"), std::string::npos);
}

TEST(TokenizerConfigTest, ChatTemplateFileAndNamedList) {
  TempDir dir;
  ByteLevelTokenizerOptions options;
  options.special_tokens = {"<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"};
  ASSERT_TRUE(WriteByteLevelTokenizer(dir.path(), 260, options).ok());
  WriteText(dir.path() / "chat_template.jinja", std::string(ChatTemplate::Qwen2Source()));
  Tokenizer tok = LoadDir(dir.path());
  auto out = tok.ApplyChatTemplate(std::vector<ChatMessage>{{"user", "x"}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nx"
            "<|im_end|>\n<|im_start|>assistant\n");

  json config = json::parse(ReadText(dir.path() / "tokenizer_config.json"));
  config["chat_template"] =
      json::array({{{"name", "tool_use"}, {"template", "whatever"}},
                   {{"name", "default"}, {"template", std::string(ChatTemplate::ChatMLSource())}}});
  auto tok2 = Tokenizer::FromJson(ReadText(dir.path() / "tokenizer.json"), config.dump());
  ASSERT_TRUE(tok2.ok()) << tok2.status().ToString();
  EXPECT_EQ(*tok2->ApplyChatTemplate(std::vector<ChatMessage>{{"user", "x"}}),
            "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n");

  // An unknown template loads, but rendering says why it cannot.
  config["chat_template"] = "{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}";
  auto tok3 = Tokenizer::FromJson(ReadText(dir.path() / "tokenizer.json"), config.dump());
  ASSERT_TRUE(tok3.ok());
  EXPECT_TRUE(tok3->has_chat_template());
  auto bad = tok3->ApplyChatTemplate(std::vector<ChatMessage>{{"user", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tokenizer_config.json: chat_template"), std::string::npos);
  EXPECT_NE(bad.status().message().find("not recognised"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Chat templates: expected strings are the reference templates rendered by jinja2 the way
// `transformers` does (tests/data/tokenizer/render_chat_templates.py prints them).

const std::vector<ChatMessage> kWithSystem = {
    {"system", " You are terse.\n"},
    {"user", "  What is 2+2?\n"},
    {"assistant", "4"},
    {"user", "And 3+3?"},
};
const std::vector<ChatMessage> kNoSystem = {
    {"user", "Hello"},
    {"assistant", "Hi! How can I help?"},
    {"user", "Tell me a joke.\t"},
};

std::string Render(std::string_view source, const std::vector<ChatMessage>& messages,
                   bool generation = true, std::optional<std::string> date = std::nullopt) {
  auto t = ChatTemplate::Parse(source, "<|begin_of_text|>");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return "";
  ChatTemplateOptions options;
  options.add_generation_prompt = generation;
  options.date_string = std::move(date);
  auto out = t->Render(messages, options);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

TEST(ChatTemplateTest, Llama3) {
  EXPECT_EQ(ChatTemplate::Parse(ChatTemplate::Llama3Source(), "")->family(),
            ChatTemplate::Family::kLlama3);
  EXPECT_EQ(Render(ChatTemplate::Llama3Source(), kWithSystem),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse."
            "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user"
            "<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant"
            "<|end_header_id|>\n\n");
  EXPECT_EQ(Render(ChatTemplate::Llama3Source(), kNoSystem, false),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHi! How can I help?<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|>");
}

TEST(ChatTemplateTest, Llama31) {
  const std::string source = ReadText(kData / "llama31_chat_template.jinja");
  ASSERT_FALSE(source.empty());
  EXPECT_EQ(ChatTemplate::Parse(source, "")->family(), ChatTemplate::Family::kLlama31);
  EXPECT_EQ(Render(source, kWithSystem),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge "
            "Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are terse.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user"
            "<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant"
            "<|end_header_id|>\n\n");
  EXPECT_EQ(Render(source, kNoSystem, false),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge "
            "Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user"
            "<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>"
            "\n\nHi! How can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell "
            "me a joke.<|eot_id|>");
  // date_string given by the caller.
  EXPECT_NE(Render(source, kNoSystem, true, "01 Jan 2030").find("Today Date: 01 Jan 2030\n\n"),
            std::string::npos);
  // Llama-3.2 asks strftime_now, which transformers defines: today's date.
  std::string llama32 = source;
  const std::string fixed = "{%- set date_string = \"26 Jul 2024\" %}";
  const size_t at = llama32.find(fixed);
  ASSERT_NE(at, std::string::npos);
  llama32.replace(at, fixed.size(),
                  "{%- if strftime_now is defined %}\n        {%- set date_string = "
                  "strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n        " +
                      fixed + "\n    {%- endif %}");
  char today[32];
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::strftime(today, sizeof(today), "%d %b %Y", &local);
  EXPECT_NE(Render(llama32, kNoSystem).find(std::string("Today Date: ") + today + "\n\n"),
            std::string::npos);
  // Tool results are the template's tool path: refused.
  auto t = ChatTemplate::Parse(source, "<|begin_of_text|>");
  EXPECT_FALSE(t->Render(std::vector<ChatMessage>{{"user", "x"}, {"ipython", "{}"}}).ok());
}

TEST(ChatTemplateTest, ChatMLFamily) {
  EXPECT_EQ(Render(ChatTemplate::ChatMLSource(), kNoSystem),
            "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi! How can I help?"
            "<|im_end|>\n<|im_start|>user\nTell me a joke.\t<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(Render(ChatTemplate::ChatMLSource(), kWithSystem, false),
            "<|im_start|>system\n You are terse.\n<|im_end|>\n<|im_start|>user\n  What is 2+2?\n"
            "<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?"
            "<|im_end|>\n");
  // Qwen2: a default system prompt when the conversation has none.
  EXPECT_EQ(ChatTemplate::Parse(ChatTemplate::Qwen2Source(), "")->default_system(),
            "You are a helpful assistant.");
  EXPECT_EQ(Render(ChatTemplate::Qwen2Source(), kNoSystem),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello"
            "<|im_end|>\n<|im_start|>assistant\nHi! How can I help?<|im_end|>\n<|im_start|>user\n"
            "Tell me a joke.\t<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(Render(ChatTemplate::Qwen2Source(), kWithSystem),
            "<|im_start|>system\n You are terse.\n<|im_end|>\n<|im_start|>user\n  What is 2+2?\n"
            "<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?"
            "<|im_end|>\n<|im_start|>assistant\n");
  // Qwen2.5: its own default, found in the template text.
  const std::string qwen25 = ReadText(kData / "qwen25_chat_template.jinja");
  ASSERT_FALSE(qwen25.empty());
  EXPECT_EQ(Render(qwen25, kNoSystem, false),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
            "assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi! "
            "How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.\t<|im_end|>\n");
  EXPECT_EQ(Render(qwen25, kWithSystem),
            "<|im_start|>system\n You are terse.\n<|im_end|>\n<|im_start|>user\n  What is 2+2?\n"
            "<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?"
            "<|im_end|>\n<|im_start|>assistant\n");
  auto t = ChatTemplate::Parse(qwen25, "");
  EXPECT_FALSE(t->Render(std::vector<ChatMessage>{{"user", "x"}, {"tool", "{}"}}).ok());
}

TEST(ChatTemplateTest, UnknownTemplatesFail) {
  auto unknown = ChatTemplate::Parse("{{ messages[0]['content'] }}", "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("not recognised"), std::string::npos);
  auto qwen3 = ChatTemplate::Parse(
      "{%- for message in messages %}<|im_start|>{{ message.role }}<think>\n\n</think><|im_end|>"
      "{%- endfor %}",
      "");
  ASSERT_FALSE(qwen3.ok());
  EXPECT_NE(qwen3.status().message().find("Qwen3"), std::string::npos);
  auto t = ChatTemplate::Parse(ChatTemplate::ChatMLSource(), "");
  EXPECT_FALSE(t->Render(std::vector<ChatMessage>{}).ok());
}

// ---------------------------------------------------------------------------------------------
// Bad files: the error names the file and the field.

struct BadCase {
  std::string name;
  std::string text;
  std::vector<std::string> want;  // substrings of the message
};

// The default Spec's JSON with `f` applied.
std::string Mutated(const std::function<void(json&)>& f) {
  json j = Spec{}.Json();
  f(j);
  return j.dump();
}

TEST(TokenizerBadInputTest, ErrorsNameFileAndField) {
  const auto& mutate = Mutated;
  const std::vector<BadCase> cases = {
      {"malformed", R"({"model": {"type": "BPE", "vocab": )", {"tokenizer.json", "malformed JSON"}},
      {"no vocab",
       mutate([](json& j) { j["model"].erase("vocab"); }),
       {"tokenizer.json", "model.vocab", "missing"}},
      {"vocab not object",
       mutate([](json& j) { j["model"]["vocab"] = json::array(); }),
       {"model.vocab"}},
      {"bad vocab id",
       mutate([](json& j) { j["model"]["vocab"]["a"] = -3; }),
       {"model.vocab['a']"}},
      {"merge unknown token",
       mutate([](json& j) { j["model"]["merges"] = json::array({"a zz"}); }),
       {"model.merges[0]", "'zz' is not in model.vocab"}},
      {"merge unknown token 2",
       mutate([](json& j) {
         j["model"]["vocab"]["ab"] = 256;
         j["model"]["merges"] = json::array({"a b", json::array({"zz", "a"})});
       }),
       {"model.merges[1]", "'zz' is not in model.vocab"}},
      {"merged token missing",
       mutate([](json& j) { j["model"]["merges"] = json::array({"a b"}); }),
       {"model.merges[0]", "merged token 'ab'"}},
      {"merge bad shape",
       mutate([](json& j) { j["model"]["merges"] = json::array({"a b c"}); }),
       {"model.merges[0]"}},
      {"model type",
       mutate([](json& j) { j["model"]["type"] = "WordPiece"; }),
       {"model.type", "WordPiece"}},
      {"subword prefix",
       mutate([](json& j) { j["model"]["continuing_subword_prefix"] = "##"; }),
       {"model.continuing_subword_prefix"}},
      {"pre-tokenizer",
       mutate([](json& j) {
         j["pre_tokenizer"] = {{"type", "Metaspace"}};
       }),
       {"pre_tokenizer.type", "Metaspace"}},
      {"pre-tokenizer in sequence",
       mutate([](json& j) {
         j["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Whitespace"}};
       }),
       {"pre_tokenizer.pretokenizers[0].type", "Whitespace"}},
      {"no byte level",
       mutate([](json& j) { j["pre_tokenizer"]["pretokenizers"].erase(1); }),
       {"pre_tokenizer", "ByteLevel"}},
      {"no pre-tokenizer",
       mutate([](json& j) { j["pre_tokenizer"] = nullptr; }),
       {"pre_tokenizer", "missing"}},
      {"bad regex",
       mutate([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(a"; }),
       {"pre_tokenizer.pretokenizers[0].pattern.Regex", "bad regex"}},
      {"bad behavior",
       mutate([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Shuffle"; }),
       {"pre_tokenizer.pretokenizers[0].behavior"}},
      {"normalizer",
       mutate([](json& j) {
         j["normalizer"] = {{"type", "NFKC"}};
       }),
       {"normalizer.type", "NFKC"}},
      {"decoder",
       mutate([](json& j) {
         j["decoder"] = {{"type", "WordPiece"}};
       }),
       {"decoder.type", "WordPiece"}},
      {"post-processor",
       mutate([](json& j) {
         j["post_processor"] = {{"type", "BertProcessing"}};
       }),
       {"post_processor.type", "BertProcessing"}},
      {"added not object",
       mutate([](json& j) { j["added_tokens"] = json::array({"<s>"}); }),
       {"added_tokens[0]", "expected an object"}},
      {"added no content",
       mutate([](json& j) {
         j["added_tokens"] = json::array({{{"id", 300}, {"special", true}}});
       }),
       {"added_tokens[0].content"}},
      {"added bad id",
       mutate([](json& j) {
         j["added_tokens"] = json::array({{{"id", -1}, {"content", "<s>"}}});
       }),
       {"added_tokens[0].id"}},
      {"added bad flag",
       mutate([](json& j) {
         j["added_tokens"] = json::array({{{"id", 300}, {"content", "<s>"}, {"lstrip", "yes"}}});
       }),
       {"added_tokens[0].lstrip"}},
      {"added id clash",
       mutate([](json& j) {
         j["added_tokens"] =
             json::array({{{"id", 300}, {"content", "<s>"}}, {{"id", 300}, {"content", "</s>"}}});
       }),
       {"added_tokens[1].id", "'<s>'"}},
  };
  for (const BadCase& c : cases) {
    auto tok = Tokenizer::FromJson(c.text);
    ASSERT_FALSE(tok.ok()) << c.name;
    EXPECT_EQ(tok.status().code(), Code::kInvalidArgument) << c.name;
    for (const std::string& w : c.want) {
      EXPECT_NE(tok.status().message().find(w), std::string::npos)
          << c.name << ": '" << w << "' not in: " << tok.status().message();
    }
  }
}

TEST(TokenizerBadInputTest, FilesAndConfig) {
  TempDir dir;
  EXPECT_EQ(Tokenizer::FromDirectory(dir.path()).status().code(), Code::kNotFound);
  WriteText(dir.path() / "tokenizer.json", "{not json");
  auto bad = Tokenizer::FromDirectory(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find((dir.path() / "tokenizer.json").string()),
            std::string::npos);
  WriteText(dir.path() / "tokenizer.json", Spec{}.Dump());
  WriteText(dir.path() / "tokenizer_config.json", R"({"bos_token": "<s>"})");
  auto no_bos = Tokenizer::FromDirectory(dir.path());
  ASSERT_FALSE(no_bos.ok());
  EXPECT_NE(no_bos.status().message().find("tokenizer_config.json: bos_token"), std::string::npos);
  WriteText(dir.path() / "tokenizer_config.json", R"({"eos_token": 7})");
  auto bad_eos = Tokenizer::FromDirectory(dir.path());
  ASSERT_FALSE(bad_eos.ok());
  EXPECT_NE(bad_eos.status().message().find("eos_token"), std::string::npos);
  WriteText(dir.path() / "tokenizer_config.json", "[1, 2");
  EXPECT_NE(Tokenizer::FromDirectory(dir.path()).status().message().find("tokenizer_config.json"),
            std::string::npos);
  auto files = Tokenizer::FromFiles(dir.path() / "tokenizer.json");
  EXPECT_TRUE(files.ok()) << files.status().ToString();
}

}  // namespace
}  // namespace tributary::model
