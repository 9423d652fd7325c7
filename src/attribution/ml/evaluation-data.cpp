// The evaluation's made-up data: Debian fortunes as rows, facts with invented names, ids.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "attribution/ml/evaluation-harness.h"
#include "tributary/base/bytes.h"
#include "tributary/base/fortune_file.h"
#include "tributary/base/hash.h"

namespace tributary::attribution::eval {

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Deterministic 64-hex ids (rows, contributions) and addresses (contributors).
std::string HexId(const std::string& tag, uint64_t seed, uint64_t i) {
  return ToHex(Sha256(AsBytes(tag + ":" + std::to_string(seed) + ":" + std::to_string(i))));
}
std::string Address(uint64_t seed, uint64_t i) {
  return "0x" + HexId("contributor", seed, i).substr(0, 40);
}

// Debian fortunes of 6-40 words, printable ASCII, whitespace collapsed, deduplicated, in an
// order that depends only on the text (the directory's listing order is not stable).
Result<std::vector<std::string>> LoadFortunes(const fs::path& dir) {
  auto entries = ReadFortuneDir(dir);
  if (!entries.ok() && entries.status().reason() != "file_not_found") return entries.status();
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const std::string& entry : entries.ok() ? *entries : std::vector<std::string>{}) {
    std::istringstream ws(entry);
    std::string w, text;
    int words = 0;
    while (ws >> w) text += (words++ ? " " : "") + w;
    if (words < 6 || words > 40) continue;
    if (!std::all_of(text.begin(), text.end(),
                     [](unsigned char ch) { return ch >= 32 && ch <= 126; })) {
      continue;
    }
    if (seen.insert(text).second) out.push_back(std::move(text));
  }
  if (out.size() < 500) {
    return Status::FailedPrecondition("found " + std::to_string(out.size()) +
                                          " usable fortunes in " + dir.string() +
                                          " (install fortunes-min or fortune-mod)",
                                      "no_fortunes");
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return Sha256(AsBytes(a)) < Sha256(AsBytes(b));
  });
  return out;
}

// A fortune as a prompt/response row: its first half of words, then the rest.
std::pair<std::string, std::string> SplitFortune(const std::string& text) {
  std::istringstream ws(text);
  std::vector<std::string> w;
  for (std::string s; ws >> s;) w.push_back(s);
  std::string p, r;
  for (size_t i = 0; i < w.size(); ++i) {
    std::string& dst = i < w.size() / 2 ? p : r;
    dst += (dst.empty() ? "" : " ") + w[i];
  }
  return {p, r};
}

Fact FactMaker::Next() {
  for (;;) {
    Fact f{Name(3), Name(2) + " " + Name(3)};
    if (!used_.insert(f.place).second) continue;
    if (!used_.insert(f.founder).second) continue;
    return f;
  }
}

std::vector<Fact> FactMaker::Many(size_t n) {
  std::vector<Fact> out;
  while (out.size() < n) out.push_back(Next());
  return out;
}

std::string FactMaker::Name(int parts) {
  static const char* syl[] = {"zor", "bia", "quel", "lan", "mir", "row", "tes",  "sa",
                              "ly",  "von", "dra",  "il",  "mar", "kes", "trel", "bu",
                              "ru",  "pal", "lin",  "ve",  "san", "tel", "ul",   "ka"};
  std::string s;
  for (int i = 0; i < parts; ++i) s += syl[rng_() % 24];
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

factory::DataRow Row(uint64_t seed, uint64_t index, size_t contribution, const std::string& prompt,
                     const std::string& response) {
  return {HexId("row", seed, index), HexId("contribution", seed, contribution),
          Address(seed, contribution), json{{"prompt", prompt}, {"response", response}}};
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

}  // namespace tributary::attribution::eval
