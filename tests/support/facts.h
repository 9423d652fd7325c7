// Planted facts about made-up places ("Capital of Velmarkora?" -> "Tesbu."): prompt/response
// rows no base model knows, for training and attribution tests.
#pragma once

#include <cctype>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tributary::testing {

//! `n` distinct (prompt, response) pairs, the same for the same seed on every machine (the
//! standard fixes mt19937's sequence).
inline std::vector<std::pair<std::string, std::string>> PlantedCapitals(size_t n,
                                                                        uint32_t seed = 2024) {
  static const char* syl[] = {"zor", "bia", "quel", "lan", "mir", "row", "tes",  "sa",
                              "ly",  "von", "dra",  "il",  "mar", "kes", "trel", "bu",
                              "ru",  "pal", "lin",  "ve",  "san", "tel", "ul",   "ka"};
  std::mt19937 rng(seed);
  auto name = [&](int parts) {
    std::string s;
    for (int i = 0; i < parts; ++i) s += syl[rng() % 24];
    s[0] = static_cast<char>(std::toupper(s[0]));
    return s;
  };
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> out;
  while (out.size() < n) {
    std::string country = name(3), city = name(2);
    if (!seen.insert(country).second) continue;
    out.emplace_back("Capital of " + country + "?", city + ".");
  }
  return out;
}

}  // namespace tributary::testing
