// datanet_bench: (1) ingestion throughput of a Datanet of at least --rows rows (default
// 1,000,000) through the real contribution path: ParseFile (.jsonl) -> Validate against a
// RowIndex of everything accepted so far -> RowStore::Put (SQLite, WAL, synchronous=FULL) ->
// RowIndex::Add; reported as MB/s of contribution bytes and rows/s, split by stage. (2)
// Near-duplicate detection precision and recall on a labelled set built from real text with
// planted edits, validated against the full Datanet.
//
// Data. Real text: Debian's `fortunes` corpus (entries separated by "%" lines). There are only
// ~15,000 fortunes, so after them the Datanet is filled with synthetic rows of 20-80 words from
// an order-2 word Markov chain trained on the fortunes that are not held out (deterministic
// seed). The labelled set: light edits (1-3 of: word replaced, case change, whitespace change,
// punctuation change) of real fortunes that are in the Datanet are the positives; held-out real
// fortunes (never ingested, not in the Markov training text) and heavy edits (half the words
// replaced) of fortunes in the Datanet are the negatives. Because a planted edit of a short text
// can fall below the threshold, the true Jaccard similarity (word 5-gram shingles, as minhash.h
// defines them) of every labelled row against every Datanet row is computed exactly, and
// precision/recall are reported against both labels.
//
// (3) With --index-only, just the duplicate index: N Markov rows signed and added to a RowIndex
// (what a Datanet's index rebuild after a restart does, without the store), the heap it holds per
// row (mallinfo2), and the cost of a lookup.
//
// Usage: datanet_bench [--rows N] [--labelled M] [--batch B] [--threshold T] [--seed S]
//                      [--fortunes DIR] [--json] [--keep] [--index-only]
// --rows: the Datanet ends with max(N, real fortunes accepted) rows (every real fortune not held
// out is always offered, since the labelled set is built from them). --keep keeps the SQLite
// file in the temp directory.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tributary/base/fortune_file.h"
#include "tributary/base/hash.h"
#include "tributary/base/parallel.h"
#include "tributary/base/unicode.h"
#include "tributary/datanet/minhash.h"
#include "tributary/datanet/row_store.h"
#include "tributary/datanet/rows.h"
#include "tributary/datanet/validate.h"

using namespace tributary::datanet;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

namespace fs = std::filesystem;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

[[noreturn]] void Die(const std::string& what, const tributary::Status& s) {
  std::fprintf(stderr, "datanet_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(tributary::Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

void Must(const tributary::Status& s, const std::string& what) {
  if (!s.ok()) Die(what, s);
}

// mt19937_64's output sequence is fixed by the standard; the std distributions are not, so
// bounded draws are done here to keep the data identical across standard libraries.
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  uint64_t Below(uint64_t n) { return g_() % n; }
  double Unit() { return static_cast<double>(g_() >> 11) * (1.0 / 9007199254740992.0); }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  std::mt19937_64 g_;
};

struct Hash32Hasher {
  size_t operator()(const tributary::Hash32& h) const {
    uint64_t v;
    std::memcpy(&v, h.data(), sizeof(v));
    return static_cast<size_t>(v);
  }
};

std::string Commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string Duration(double secs) {
  char buf[32];
  if (secs < 0 || !std::isfinite(secs)) return "?";
  long s = std::lround(secs);
  std::snprintf(buf, sizeof(buf), "%ldm%02lds", s / 60, s % 60);
  return buf;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Fortune files: entries separated by lines holding only "%". The .dat files are strfile
// indexes and the .u8 names are symlinks to the same files, so only regular files without
// those suffixes are read (sorted, for a deterministic order); subdirectories such as off/
// (offensive fortunes) are skipped.
struct Fortunes {
  std::vector<std::string> texts;
  size_t files = 0;
  size_t skipped_invalid_utf8 = 0;
};

Fortunes LoadFortunes(const fs::path& dir) {
  Fortunes out;
  auto files = tributary::FortuneFiles(dir);
  if (!files.ok()) {
    std::fprintf(stderr, "datanet_bench: %s\n", files.status().ToString().c_str());
    std::exit(1);
  }
  out.files = files->size();
  for (const auto& path : *files) {
    auto entries = tributary::ReadFortuneFile(path);
    if (!entries.ok()) {
      std::fprintf(stderr, "datanet_bench: %s\n", entries.status().ToString().c_str());
      std::exit(1);
    }
    for (std::string& entry : *entries) {
      // Trailing whitespace (the last "\n", a CRLF file's "\r") is not part of the row.
      size_t e = entry.size();
      while (e > 0 && IsAsciiSpace(entry[e - 1])) --e;
      entry.resize(e);
      if (entry.empty()) continue;
      // An invalid entry would make ParseFile refuse the whole contribution.
      if (tributary::IsValidUtf8(entry)) {
        out.texts.push_back(std::move(entry));
      } else {
        ++out.skipped_invalid_utf8;
      }
    }
  }
  return out;
}

// ASCII-whitespace tokens, for the Markov chain and for edits.
std::vector<std::string> Tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsAsciiSpace(text[i])) ++i;
    size_t b = i;
    while (i < text.size() && !IsAsciiSpace(text[i])) ++i;
    if (i > b) out.emplace_back(text.substr(b, i - b));
  }
  return out;
}

// Order-2 word Markov chain. With only ~15k training texts most contexts have one successor,
// so rows are mostly verbatim stretches of fortunes spliced at the contexts that branch;
// restarts at random corpus positions keep rows from all starting the same way.
class Markov {
 public:
  void Train(const std::vector<const std::string*>& texts) {
    for (const std::string* t : texts) {
      std::vector<std::string> w = Tokens(*t);
      if (w.size() < 3) continue;
      std::vector<uint32_t> ids;
      for (const auto& s : w) ids.push_back(Intern(s));
      for (size_t i = 0; i + 1 < ids.size(); ++i) {
        uint32_t next = i + 2 < ids.size() ? ids[i + 2] : kEnd;
        next_[Key(ids[i], ids[i + 1])].push_back(next);
        positions_.push_back({ids[i], ids[i + 1]});
      }
    }
  }

  std::string Generate(Rng& rng, size_t words) const {
    std::string out;
    size_t n = 0;
    auto emit = [&](uint32_t id) {
      if (n++ > 0) out.push_back(' ');
      out += vocab_[id];
    };
    uint32_t a, b;
    std::tie(a, b) = positions_[rng.Below(positions_.size())];
    emit(a);
    emit(b);
    while (n < words) {
      const std::vector<uint32_t>& succ = next_.at(Key(a, b));
      uint32_t c = succ[rng.Below(succ.size())];
      if (c == kEnd) {
        std::tie(a, b) = positions_[rng.Below(positions_.size())];
        emit(a);
        if (n < words) emit(b);
        continue;
      }
      emit(c);
      a = b;
      b = c;
    }
    return out;
  }

  const std::vector<std::string>& vocab() const { return vocab_; }
  size_t corpus_bigrams() const { return positions_.size(); }

 private:
  static constexpr uint32_t kEnd = UINT32_MAX;
  static uint64_t Key(uint32_t a, uint32_t b) { return uint64_t{a} << 32 | b; }
  uint32_t Intern(const std::string& w) {
    auto [it, inserted] = ids_.try_emplace(w, static_cast<uint32_t>(vocab_.size()));
    if (inserted) vocab_.push_back(w);
    return it->second;
  }
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> next_;
  std::vector<std::pair<uint32_t, uint32_t>> positions_;
};

// A text as words with the whitespace after each, so edits keep the rest byte for byte.
struct Editable {
  std::string lead;
  std::vector<std::string> words;
  std::vector<std::string> seps;  // whitespace after words[i]

  explicit Editable(std::string_view t) {
    size_t i = 0;
    while (i < t.size() && IsAsciiSpace(t[i])) lead.push_back(t[i++]);
    while (i < t.size()) {
      size_t b = i;
      while (i < t.size() && !IsAsciiSpace(t[i])) ++i;
      words.emplace_back(t.substr(b, i - b));
      size_t s = i;
      while (i < t.size() && IsAsciiSpace(t[i])) ++i;
      seps.emplace_back(t.substr(s, i - s));
    }
  }
  std::string Text() const {
    std::string out = lead;
    for (size_t i = 0; i < words.size(); ++i) out += words[i] + seps[i];
    return out;
  }
};

const std::string& RandomOtherWord(Rng& rng, const std::vector<std::string>& vocab,
                                   const std::string& not_this) {
  for (;;) {
    const std::string& w = vocab[rng.Below(vocab.size())];
    if (w != not_this) return w;
  }
}

// Light edits: 1-3 operations. Replacements and punctuation change a word as SplitWords sees
// it; case and whitespace changes leave the shingles equal (SplitWords folds ASCII case and
// collapses whitespace) but still make a different row.
std::string LightEdit(const std::string& text, Rng& rng, const std::vector<std::string>& vocab) {
  for (;;) {
    Editable e(text);
    int ops = 1 + static_cast<int>(rng.Below(3));
    for (int k = 0; k < ops; ++k) {
      size_t i = rng.Below(e.words.size());
      std::string& w = e.words[i];
      switch (rng.Below(4)) {
        case 0:  // replace a word
          w = RandomOtherWord(rng, vocab, w);
          break;
        case 1: {  // case change of one word
          bool has_lower =
              std::any_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
          for (char& c : w) {
            if (has_lower && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
            if (!has_lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          }
          break;
        }
        case 2:  // whitespace: widen a gap, or a trailing space (jsonl values are not trimmed)
          if (i + 1 < e.words.size()) {
            e.seps[i] += (rng.Below(2) == 0) ? " " : "\n";
          } else {
            e.seps[i] += " ";
          }
          break;
        default: {  // punctuation: drop a trailing mark, or add one
          const std::string marks = ".,;:!?";
          if (w.size() > 1 && marks.find(w.back()) != std::string::npos) {
            w.pop_back();
          } else {
            w.push_back(marks[rng.Below(marks.size())]);
          }
        }
      }
    }
    std::string out = e.Text();
    if (out != text) return out;
  }
}

// Heavy edit: half of the words (rounded up) replaced, so almost no 5-word window survives.
std::string HeavyEdit(const std::string& text, Rng& rng, const std::vector<std::string>& vocab) {
  Editable e(text);
  std::vector<size_t> pos(e.words.size());
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = i;
  rng.Shuffle(pos);
  for (size_t k = 0; k < (pos.size() + 1) / 2; ++k) {
    e.words[pos[k]] = RandomOtherWord(rng, vocab, e.words[pos[k]]);
  }
  return e.Text();
}

double ExactJaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.empty() && b.empty()) return 1;
  size_t i = 0, j = 0, inter = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++inter, ++i, ++j;
    }
  }
  return static_cast<double>(inter) / static_cast<double>(a.size() + b.size() - inter);
}

std::string JsonlLine(const std::string& text) { return json{{"text", text}}.dump() + "\n"; }

double PeakRssMib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

enum class Category { kLightEdit, kHeldOut, kHeavyEdit };
const char* CategoryName(Category c) {
  switch (c) {
    case Category::kLightEdit:
      return "light edit (+)";
    case Category::kHeldOut:
      return "held-out real (-)";
    default:
      return "heavy edit (-)";
  }
}

struct Query {
  std::string text;
  Category category;
  int64_t source = -1;  // Datanet row index of the edited fortune
  // Filled in after validation and the exact scan.
  std::string reason;
  std::optional<tributary::Hash32> matches;
  double j_source = 0;  // exact Jaccard with the source row
  double j_match = 0;   // exact Jaccard with the matched row (when it is a Datanet row)
  double j_best = 0;    // exact: the most similar Datanet row
  bool match_in_datanet = false;
};

bool Flagged(const Query& q) {
  return q.reason == "near_duplicate" || q.reason == "duplicate_in_datanet" ||
         q.reason == "duplicate_in_contribution";
}

}  // namespace

// Mode (3): the index alone. Heap per row is mallinfo2's in-use bytes before and after the adds
// (the signatures being added are allocated before the first measurement).
static int IndexOnly(const Markov& markov, size_t rows, double threshold, uint64_t seed,
                     bool as_json, bool progress) {
  ValidationOptions vopts;
  vopts.near_duplicate_threshold = threshold;
  RowIndex index = Must(RowIndex::Create(vopts), "RowIndex::Create");
  Rng rng(seed * 0x9E3779B97F4A7C15ULL + 3);
  std::vector<std::string> texts(rows);
  for (size_t i = 0; i < rows; ++i) texts[i] = markov.Generate(rng, 20 + rng.Below(61));
  std::vector<std::string> probes;
  for (size_t i = 0; i < rows && probes.size() < 10000; i += 100) probes.push_back(texts[i]);
  std::vector<MinHashSignature> signatures(rows);
  auto t_sign0 = Clock::now();
  for (size_t i = 0; i < rows; ++i) {
    signatures[i] = index.Sign(texts[i]);
    if (progress && i % 10000 == 0) std::fprintf(stderr, "\rsigning %zu/%zu", i, rows);
  }
  const double t_sign = Seconds(t_sign0, Clock::now());
  // As the index rebuild does it: every core (the same signatures, checked).
  std::vector<MinHashSignature> parallel(rows);
  auto t_par0 = Clock::now();
  tributary::ParallelFor(rows, 64, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) parallel[i] = index.Sign(texts[i]);
  });
  const double t_sign_parallel = Seconds(t_par0, Clock::now());
  if (parallel != signatures) {
    std::fprintf(stderr, "datanet_bench: parallel signatures differ\n");
    return 1;
  }
  parallel = {};
  texts = {};
  auto id_of = [](size_t i) { return tributary::Sha256(tributary::AsBytes(std::to_string(i))); };
  std::vector<tributary::Hash32> ids(rows);
  for (size_t i = 0; i < rows; ++i) ids[i] = id_of(i);
  malloc_trim(0);
  const size_t heap0 = mallinfo2().uordblks;
  auto t0 = Clock::now();
  for (size_t i = 0; i < rows; ++i) {
    Must(index.Add(ids[i], signatures[i]), "RowIndex::Add");
    if (progress && i % 10000 == 0) std::fprintf(stderr, "\radding %zu/%zu  ", i, rows);
  }
  const double t_add = Seconds(t0, Clock::now());
  const size_t heap1 = mallinfo2().uordblks;
  // Lookups: rows in the index (each finds itself) and fresh rows (usually nothing).
  size_t found = 0;
  auto t1 = Clock::now();
  for (const std::string& text : probes) {
    auto hit = Must(index.NearestDuplicate(index.Sign(text), threshold), "NearestDuplicate");
    found += hit.has_value();
  }
  const double t_lookup = Seconds(t1, Clock::now());
  if (progress) std::fprintf(stderr, "\r%40s\r", "");
  const double bytes_per_row =
      static_cast<double>(heap1 > heap0 ? heap1 - heap0 : 0) / static_cast<double>(rows);
  if (as_json) {
    std::printf("%s\n", json{{"rows", rows},
                             {"sign_us_per_row", t_sign / rows * 1e6},
                             {"sign_parallel_us_per_row", t_sign_parallel / rows * 1e6},
                             {"add_us_per_row", t_add / rows * 1e6},
                             {"lookup_us", t_lookup / probes.size() * 1e6},
                             {"heap_bytes_per_row", bytes_per_row},
                             {"peak_rss_mib", PeakRssMib()}}
                            .dump()
                            .c_str());
    return 0;
  }
  std::printf("index of %s rows (threshold %.2f)\n", Commas(rows).c_str(), threshold);
  std::printf("  sign          %8.2f us/row  (%.1f s)\n", t_sign / rows * 1e6, t_sign);
  std::printf("  sign, %2u thr  %8.2f us/row  (%.1f s, %.2fx)\n",
              std::max(1u, std::thread::hardware_concurrency()), t_sign_parallel / rows * 1e6,
              t_sign_parallel, t_sign / t_sign_parallel);
  std::printf("  add           %8.2f us/row  (%.1f s)\n", t_add / rows * 1e6, t_add);
  std::printf("  lookup        %8.2f us      (%zu rows of the index, sign included, %zu found)\n",
              t_lookup / probes.size() * 1e6, probes.size(), found);
  std::printf("  heap          %8.0f bytes/row (%.1f MiB)\n", bytes_per_row,
              static_cast<double>(heap1 - heap0) / (1 << 20));
  std::printf("  peak RSS      %8.0f MiB\n", PeakRssMib());
  return 0;
}

int main(int argc, char** argv) {
  size_t target_rows = 1000000, labelled = 2000, batch = 1000;
  double threshold = 0.8;
  uint64_t seed = 1;
  fs::path fortunes_dir = "/usr/share/games/fortunes";
  bool as_json = false, keep = false, index_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "datanet_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--rows") {
        target_rows = std::stoul(value());
      } else if (a == "--labelled") {
        labelled = std::stoul(value());
      } else if (a == "--batch") {
        batch = std::stoul(value());
      } else if (a == "--threshold") {
        threshold = std::stod(value());
      } else if (a == "--seed") {
        seed = std::stoull(value());
      } else if (a == "--fortunes") {
        fortunes_dir = value();
      } else if (a == "--json") {
        as_json = true;
      } else if (a == "--keep") {
        keep = true;
      } else if (a == "--index-only") {
        index_only = true;
      } else {
        std::fprintf(stderr,
                     "usage: datanet_bench [--rows N] [--labelled M] [--batch B] [--threshold T] "
                     "[--seed S] [--fortunes DIR] [--json] [--keep] [--index-only]\n");
        return 2;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "datanet_bench: bad value for %s\n", a.c_str());
      return 2;
    }
  }
  if (batch == 0 || labelled < 2 || target_rows == 0) {
    std::fprintf(stderr, "datanet_bench: --rows, --batch must be > 0 and --labelled >= 2\n");
    return 2;
  }
  const bool progress = !as_json && isatty(STDERR_FILENO);
  const auto t_start = Clock::now();

  // ---- Real text, held-out set, Markov chain. ----
  Fortunes fortunes = LoadFortunes(fortunes_dir);
  if (fortunes.texts.size() < 2 * labelled) {
    std::fprintf(stderr, "datanet_bench: only %zu fortunes in %s; install the fortunes package\n",
                 fortunes.texts.size(), fortunes_dir.c_str());
    return 1;
  }
  Rng rng(seed);
  const size_t n_held_out = labelled / 2;
  const size_t n_heavy = labelled - n_held_out;
  std::vector<bool> held_out(fortunes.texts.size(), false);
  {
    // Held-out fortunes: long enough and with a text no other fortune has, so two of them are
    // never exact duplicates of each other inside the labelled contribution.
    std::unordered_map<std::string, size_t> count;
    for (const auto& t : fortunes.texts) ++count[t];
    std::vector<size_t> cand;
    for (size_t i = 0; i < fortunes.texts.size(); ++i) {
      if (count[fortunes.texts[i]] == 1 && SplitWords(fortunes.texts[i]).size() >= 12) {
        cand.push_back(i);
      }
    }
    rng.Shuffle(cand);
    for (size_t k = 0; k < n_held_out && k < cand.size(); ++k) held_out[cand[k]] = true;
  }
  std::vector<size_t> base_real;  // fortune indexes offered to the Datanet, in file order
  std::vector<const std::string*> training;
  for (size_t i = 0; i < fortunes.texts.size(); ++i) {
    if (held_out[i]) continue;
    base_real.push_back(i);
    training.push_back(&fortunes.texts[i]);
  }
  Markov markov;
  markov.Train(training);
  if (index_only) return IndexOnly(markov, target_rows, threshold, seed, as_json, progress);

  // ---- Ingestion. ----
  ValidationOptions vopts;
  vopts.near_duplicate_threshold = threshold;
  RowSchema schema;  // text, one row per jsonl line
  RowIndex index = Must(RowIndex::Create(vopts), "RowIndex::Create");
  const fs::path dir =
      fs::temp_directory_path() / ("tributary-datanet-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::unique_ptr<RowStore> store = Must(RowStore::Open(dir / "rows.db"), "RowStore::Open");

  std::vector<std::string> datanet_texts;  // accepted rows, in acceptance order
  std::unordered_map<tributary::Hash32, uint32_t, Hash32Hasher> datanet_index;
  datanet_texts.reserve(target_rows + 16);
  datanet_index.reserve(target_rows + 16);
  std::vector<int64_t> real_row(fortunes.texts.size(), -1);  // fortune -> Datanet row

  double t_parse = 0, t_validate = 0, t_store = 0, t_add = 0;
  // Per contribution: rows offered and stage seconds, to see how costs grow with the Datanet.
  struct ContributionTimes {
    size_t rows;
    double parse, validate, store, add;
  };
  std::vector<ContributionTimes> per_contribution;
  uint64_t in_bytes = 0, text_bytes = 0;
  size_t offered = 0, contributions = 0, offered_real = 0, offered_synth = 0;
  size_t accepted_real = 0, accepted_synth = 0;
  std::map<std::string, size_t> rejected_real, rejected_synth;
  const auto t_ingest0 = Clock::now();
  Rng synth_rng(seed * 0x9E3779B97F4A7C15ULL + 1);

  // One contribution through the whole path. `origin[k]` is the fortune index of row k, or -1.
  auto ingest = [&](const std::vector<std::string>& texts, const std::vector<int64_t>& origin) {
    std::string body;
    for (const auto& t : texts) {
      body += JsonlLine(t);
      text_bytes += t.size();
    }
    in_bytes += body.size();
    char name[48];
    std::snprintf(name, sizeof(name), "contribution-%06zu.jsonl", contributions++);
    auto c0 = Clock::now();
    std::vector<ParsedFile> files;
    files.push_back(Must(ParseFile(name, body, schema), std::string("ParseFile ") + name));
    auto c1 = Clock::now();
    ValidationReport report = Must(Validate(files, index, vopts), std::string("Validate ") + name);
    auto c2 = Clock::now();
    std::vector<std::string> canonical;
    canonical.reserve(report.accepted_rows.size());
    for (const Row& r : report.accepted_rows) canonical.push_back(r.canonical);
    size_t added = Must(store->Put(canonical), std::string("RowStore::Put ") + name);
    auto c3 = Clock::now();
    for (size_t i = 0; i < report.accepted_rows.size(); ++i) {
      Must(index.Add(report.accepted_rows[i].id, report.accepted_signatures[i]),
           std::string("RowIndex::Add ") + name);
    }
    auto c4 = Clock::now();
    t_parse += Seconds(c0, c1);
    t_validate += Seconds(c1, c2);
    t_store += Seconds(c2, c3);
    t_add += Seconds(c3, c4);
    per_contribution.push_back(
        {texts.size(), Seconds(c0, c1), Seconds(c1, c2), Seconds(c2, c3), Seconds(c3, c4)});
    if (added != report.accepted_rows.size()) {
      std::fprintf(stderr, "datanet_bench: %s: store added %zu of %zu accepted rows\n", name, added,
                   report.accepted_rows.size());
      std::exit(1);
    }
    // Bookkeeping (untimed): the accepted texts for the exact scan, and where real rows went.
    for (Row& r : report.accepted_rows) {
      datanet_index.emplace(r.id, static_cast<uint32_t>(datanet_texts.size()));
      datanet_texts.push_back(std::move(r.text));
    }
    offered += texts.size();
    for (const RowVerdict& v : report.verdicts) {
      const size_t k = v.line - 1;  // one row per line
      const bool real = k < origin.size() && origin[k] >= 0;
      if (v.accepted) {
        (real ? accepted_real : accepted_synth)++;
        if (real) real_row[origin[k]] = datanet_index.at(*v.row_id);
      } else {
        (real ? rejected_real : rejected_synth)[v.reason]++;
      }
    }
  };
  auto show_progress = [&](bool done) {
    if (!progress) return;
    double el = Seconds(t_ingest0, Clock::now());
    double rate = static_cast<double>(index.size()) / std::max(el, 1e-9);
    double eta = static_cast<double>(target_rows - std::min(target_rows, index.size())) / rate;
    std::fprintf(stderr, "\r[ingest] %s / %s rows  %.2f MB/s  %.0f rows/s  elapsed %s  ETA %s   %s",
                 Commas(index.size()).c_str(), Commas(target_rows).c_str(),
                 static_cast<double>(in_bytes) / 1e6 / std::max(el, 1e-9), rate,
                 Duration(el).c_str(), Duration(eta).c_str(), done ? "\n" : "");
    std::fflush(stderr);
  };

  // Real fortunes first (all offered, even past --rows, so the labelled set has its sources).
  for (size_t b = 0; b < base_real.size(); b += batch) {
    std::vector<std::string> texts;
    std::vector<int64_t> origin;
    for (size_t k = b; k < std::min(base_real.size(), b + batch); ++k) {
      texts.push_back(fortunes.texts[base_real[k]]);
      origin.push_back(static_cast<int64_t>(base_real[k]));
    }
    offered_real += texts.size();
    ingest(texts, origin);
    show_progress(false);
  }
  // Then synthetic rows until the Datanet holds target_rows rows.
  while (index.size() < target_rows) {
    const size_t n = std::min(batch, target_rows - index.size());
    std::vector<std::string> texts;
    for (size_t k = 0; k < n; ++k) {
      texts.push_back(markov.Generate(synth_rng, 20 + synth_rng.Below(61)));
    }
    offered_synth += n;
    ingest(texts, {});
    show_progress(false);
  }
  show_progress(true);
  const double ingest_wall = Seconds(t_ingest0, Clock::now());
  const double ingest_secs = t_parse + t_validate + t_store + t_add;
  const size_t stored = Must(store->Count(), "RowStore::Count");
  if (stored != index.size() || stored != datanet_texts.size()) {
    std::fprintf(stderr, "datanet_bench: store holds %zu rows, index %zu, accepted %zu\n", stored,
                 index.size(), datanet_texts.size());
    return 1;
  }
  const double rss_after_ingest = PeakRssMib();
  // Stage us/row over the first and the last tenth of the rows offered.
  auto tenth = [&](bool last) {
    ContributionTimes sum{0, 0, 0, 0, 0};
    const size_t want = std::max<size_t>(1, offered / 10);
    for (size_t k = 0; k < per_contribution.size() && sum.rows < want; ++k) {
      const ContributionTimes& c = per_contribution[last ? per_contribution.size() - 1 - k : k];
      sum.rows += c.rows;
      sum.parse += c.parse;
      sum.validate += c.validate;
      sum.store += c.store;
      sum.add += c.add;
    }
    const double n = static_cast<double>(std::max<size_t>(1, sum.rows)) / 1e6;
    return ContributionTimes{sum.rows, sum.parse / n, sum.validate / n, sum.store / n, sum.add / n};
  };
  const ContributionTimes first_tenth = tenth(false), last_tenth = tenth(true);

  // ---- Baselines in the same process. ----
  MinHasher hasher = Must(MinHasher::Create(), "MinHasher::Create");
  double sig_us = 0;
  {
    const size_t n = std::min<size_t>(20000, datanet_texts.size());
    const size_t step = std::max<size_t>(1, datanet_texts.size() / n);
    uint64_t sink = 0;
    auto s0 = Clock::now();
    size_t done = 0;
    for (size_t i = 0; i < datanet_texts.size() && done < n; i += step, ++done) {
      sink ^= hasher.FromText(datanet_texts[i]).values()[0];
    }
    sig_us = Seconds(s0, Clock::now()) * 1e6 / static_cast<double>(std::max<size_t>(1, done));
    if (sink == 42) std::fprintf(stderr, " ");  // keeps the loop from being optimised away
  }
  double create_ms = 0;
  {
    const int n = 5;
    auto s0 = Clock::now();
    for (int i = 0; i < n; ++i) Must(RowIndex::Create(vopts).status(), "RowIndex::Create");
    create_ms = Seconds(s0, Clock::now()) * 1e3 / n;
  }

  // ---- Labelled set. ----
  std::vector<size_t> eligible;  // fortunes in the Datanet with >= 12 words
  for (size_t i = 0; i < fortunes.texts.size(); ++i) {
    if (real_row[i] >= 0 && SplitWords(fortunes.texts[i]).size() >= 12) eligible.push_back(i);
  }
  Rng label_rng(seed ^ 0x5EEDULL);
  label_rng.Shuffle(eligible);
  // A source's row is used once, so two labelled rows never share a source.
  std::vector<size_t> pos_src, heavy_src;
  {
    std::unordered_set<int64_t> used;
    for (size_t f : eligible) {
      if (!used.insert(real_row[f]).second) continue;
      if (pos_src.size() < labelled) {
        pos_src.push_back(f);
      } else if (heavy_src.size() < n_heavy) {
        heavy_src.push_back(f);
      } else {
        break;
      }
    }
  }
  std::vector<Query> queries;
  for (size_t f : pos_src) {
    Query q;
    q.category = Category::kLightEdit;
    q.source = real_row[f];
    q.text = LightEdit(datanet_texts[q.source], label_rng, markov.vocab());
    queries.push_back(std::move(q));
  }
  for (size_t i = 0; i < fortunes.texts.size(); ++i) {
    if (!held_out[i]) continue;
    Query q;
    q.category = Category::kHeldOut;
    q.text = fortunes.texts[i];
    queries.push_back(std::move(q));
  }
  for (size_t f : heavy_src) {
    Query q;
    q.category = Category::kHeavyEdit;
    q.source = real_row[f];
    q.text = HeavyEdit(datanet_texts[q.source], label_rng, markov.vocab());
    queries.push_back(std::move(q));
  }
  // Mixed order, so each labelled contribution holds all three categories.
  label_rng.Shuffle(queries);

  // Validate the labelled rows against the full Datanet, in contributions of `batch` rows.
  double label_secs = 0;
  for (size_t b = 0; b < queries.size(); b += batch) {
    const size_t e = std::min(queries.size(), b + batch);
    std::string body;
    for (size_t k = b; k < e; ++k) body += JsonlLine(queries[k].text);
    auto c0 = Clock::now();
    std::vector<ParsedFile> files;
    files.push_back(Must(ParseFile("labelled.jsonl", body, schema), "ParseFile labelled.jsonl"));
    ValidationReport report = Must(Validate(files, index, vopts), "Validate labelled.jsonl");
    label_secs += Seconds(c0, Clock::now());
    if (report.verdicts.size() != e - b) {
      std::fprintf(stderr, "datanet_bench: %zu verdicts for %zu labelled rows\n",
                   report.verdicts.size(), e - b);
      return 1;
    }
    for (const RowVerdict& v : report.verdicts) {
      Query& q = queries[b + v.line - 1];
      q.reason = v.accepted ? "" : v.reason;
      q.matches = v.matches;
    }
  }

  // Matched rows are read back through the store: Get re-hashes them against their ids.
  size_t readback = 0;
  for (Query& q : queries) {
    if (!q.matches) continue;
    auto it = datanet_index.find(*q.matches);
    if (it == datanet_index.end()) continue;  // matched a row of the same contribution
    auto got = Must(store->Get(*q.matches), "RowStore::Get");
    if (!got) {
      std::fprintf(stderr, "datanet_bench: matched row %s is not in the store\n",
                   tributary::ToHex(*q.matches).c_str());
      return 1;
    }
    ++readback;
    q.match_in_datanet = true;
  }

  // ---- Exact Jaccard of every labelled row against every Datanet row. ----
  // Only shingles present in some labelled row can contribute, so Datanet rows are scanned once
  // through an inverted index of the labelled rows' shingles.
  const auto t_exact0 = Clock::now();
  std::vector<std::vector<uint64_t>> qsh(queries.size());
  std::unordered_map<uint64_t, std::vector<uint32_t>> inverted;
  for (size_t i = 0; i < queries.size(); ++i) {
    qsh[i] = ShingleHashes(queries[i].text);
    for (uint64_t h : qsh[i]) inverted[h].push_back(static_cast<uint32_t>(i));
  }
  const unsigned n_threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::vector<double>> best(n_threads, std::vector<double>(queries.size(), 0));
  {
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < n_threads; ++t) {
      threads.emplace_back([&, t] {
        std::vector<uint32_t> count(queries.size(), 0), touched;
        for (size_t r = t; r < datanet_texts.size(); r += n_threads) {
          const std::vector<uint64_t> sh = ShingleHashes(datanet_texts[r]);
          touched.clear();
          for (uint64_t h : sh) {
            auto it = inverted.find(h);
            if (it == inverted.end()) continue;
            for (uint32_t q : it->second) {
              if (count[q]++ == 0) touched.push_back(q);
            }
          }
          for (uint32_t q : touched) {
            const double inter = count[q];
            const double j = inter / (static_cast<double>(qsh[q].size() + sh.size()) - inter);
            best[t][q] = std::max(best[t][q], j);
            count[q] = 0;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    Query& q = queries[i];
    for (unsigned t = 0; t < n_threads; ++t) q.j_best = std::max(q.j_best, best[t][i]);
    if (q.source >= 0) q.j_source = ExactJaccard(qsh[i], ShingleHashes(datanet_texts[q.source]));
    if (q.match_in_datanet) {
      q.j_match = ExactJaccard(qsh[i], ShingleHashes(datanet_texts[datanet_index.at(*q.matches)]));
    }
  }
  const double exact_secs = Seconds(t_exact0, Clock::now());

  // ---- Scores. ----
  struct CatStats {
    size_t rows = 0, flagged = 0, to_source = 0, to_other = 0, to_synthetic = 0,
           in_contribution = 0, quality = 0, truth = 0, match_truth = 0;
  };
  std::map<Category, CatStats> cats;
  size_t flagged_all = 0, tp_planted = 0, positives = 0, tp_exact = 0, truth_exact = 0;
  // Light edits by exact Jaccard with their source.
  const std::vector<std::pair<double, std::string>> buckets = {
      {1.0, "J = 1 (case/space only)"}, {0.9, "0.9 <= J < 1"},   {0.8, "0.8 <= J < 0.9"},
      {0.7, "0.7 <= J < 0.8"},          {0.6, "0.6 <= J < 0.7"}, {0.0, "J < 0.6"}};
  std::vector<std::pair<size_t, size_t>> bucket_counts(buckets.size());  // rows, to source
  for (const Query& q : queries) {
    CatStats& c = cats[q.category];
    c.rows++;
    const bool flagged = Flagged(q);
    const bool to_source =
        flagged && q.match_in_datanet && q.source >= 0 && datanet_index.at(*q.matches) == q.source;
    if (flagged) {
      c.flagged++;
      flagged_all++;
      if (!q.match_in_datanet) {
        c.in_contribution++;
      } else if (to_source) {
        c.to_source++;
      } else {
        c.to_other++;
        // Real fortunes were ingested first, so the first accepted_real rows are the real ones.
        c.to_synthetic += datanet_index.at(*q.matches) >= accepted_real;
      }
    } else if (!q.reason.empty()) {
      c.quality++;
    }
    const bool truth = q.j_best >= threshold;
    c.truth += truth;
    truth_exact += truth;
    if (flagged && q.match_in_datanet && q.j_match >= threshold) {
      tp_exact++;
      c.match_truth++;
    }
    if (q.category == Category::kLightEdit) {
      positives++;
      tp_planted += to_source;
      for (size_t k = 0; k < buckets.size(); ++k) {
        if (q.j_source >= buckets[k].first) {
          bucket_counts[k].first++;
          bucket_counts[k].second += to_source;
          break;
        }
      }
    }
  }
  auto ratio = [](size_t a, size_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  };
  // Why rows with a true match at or above the threshold were missed: the LSH bands never made
  // the matching row a candidate, or it was a candidate whose estimate fell below the threshold.
  // Flagged rows whose match is truly below the threshold are MinHash estimation error.
  size_t missed_lsh = 0, missed_estimate = 0, false_flags = 0;
  double false_flag_min_j = 1;
  for (const Query& q : queries) {
    const bool correct = Flagged(q) && q.match_in_datanet && q.j_match >= threshold;
    if (Flagged(q) && q.match_in_datanet && q.j_match < threshold) {
      false_flags++;
      false_flag_min_j = std::min(false_flag_min_j, q.j_match);
    }
    if (q.j_best < threshold || correct || !q.reason.empty()) continue;
    auto nearest = Must(index.NearestDuplicate(q.text, 1e-9), "RowIndex::NearestDuplicate");
    if (nearest && nearest->second < threshold) {
      missed_estimate++;
    } else {
      missed_lsh++;
    }
  }
  const double precision_planted = ratio(tp_planted, flagged_all);
  const double recall_planted = ratio(tp_planted, positives);
  const double precision_exact = ratio(tp_exact, flagged_all);
  const double recall_exact = ratio(tp_exact, truth_exact);

  const double mb = static_cast<double>(in_bytes) / 1e6;
  const double ingest_mbps = mb / ingest_secs;
  const double parse_mbps = mb / t_parse;
  const size_t real_in_datanet = accepted_real;
  const size_t synth_in_datanet = accepted_synth;
  const double total_secs = Seconds(t_start, Clock::now());
  auto rejected_json = [](const std::map<std::string, size_t>& m) {
    json j = json::object();
    for (const auto& [k, v] : m) j[k] = v;
    return j;
  };

  if (!keep) {
    store.reset();
    fs::remove_all(dir);
  }

  if (as_json) {
    json stages = json::object();
    for (auto [name, s] :
         std::initializer_list<std::pair<const char*, double>>{{"parse", t_parse},
                                                               {"validate", t_validate},
                                                               {"store", t_store},
                                                               {"index_add", t_add}}) {
      stages[name] = {{"seconds", s}, {"share", s / ingest_secs}};
    }
    json categories = json::object();
    for (const auto& [cat, c] : cats) {
      categories[CategoryName(cat)] = {{"rows", c.rows},
                                       {"flagged", c.flagged},
                                       {"flagged_source", c.to_source},
                                       {"flagged_other_row", c.to_other},
                                       {"flagged_in_contribution", c.in_contribution},
                                       {"rejected_quality", c.quality},
                                       {"flagged_other_row_synthetic", c.to_synthetic},
                                       {"flagged_match_exact_jaccard_ge_threshold", c.match_truth},
                                       {"exact_jaccard_ge_threshold", c.truth}};
    }
    json bj = json::array();
    for (size_t k = 0; k < buckets.size(); ++k) {
      bj.push_back({{"bucket", buckets[k].second},
                    {"rows", bucket_counts[k].first},
                    {"flagged_source", bucket_counts[k].second}});
    }
    json out = {
        {"config",
         {{"rows", target_rows},
          {"batch", batch},
          {"labelled", labelled},
          {"threshold", threshold},
          {"seed", seed},
          {"fortunes_dir", fortunes_dir.string()},
          {"store", keep ? (dir / "rows.db").string() : std::string()}}},
        {"datanet",
         {{"rows", index.size()},
          {"real_rows", real_in_datanet},
          {"synthetic_rows", synth_in_datanet},
          {"fortune_files", fortunes.files},
          {"fortunes", fortunes.texts.size()},
          {"held_out", n_held_out},
          {"offered_real", offered_real},
          {"offered_synthetic", offered_synth},
          {"rejected_real", rejected_json(rejected_real)},
          {"rejected_synthetic", rejected_json(rejected_synth)}}},
        {"ingest",
         {{"contributions", contributions},
          {"rows_offered", offered},
          {"input_bytes", in_bytes},
          {"text_bytes", text_bytes},
          {"seconds", ingest_secs},
          {"wall_seconds", ingest_wall},
          {"mb_per_s", ingest_mbps},
          {"rows_offered_per_s", static_cast<double>(offered) / ingest_secs},
          {"stages", stages},
          {"first_tenth_us_per_row",
           {{"parse", first_tenth.parse},
            {"validate", first_tenth.validate},
            {"store", first_tenth.store},
            {"index_add", first_tenth.add}}},
          {"last_tenth_us_per_row",
           {{"parse", last_tenth.parse},
            {"validate", last_tenth.validate},
            {"store", last_tenth.store},
            {"index_add", last_tenth.add}}}}},
        {"baseline",
         {{"parse_only_mb_per_s", parse_mbps},
          {"ingest_vs_parse_only", ingest_mbps / parse_mbps},
          {"minhash_signature_us", sig_us},
          {"row_index_create_ms", create_ms}}},
        {"detection",
         {{"labelled_rows", queries.size()},
          {"validate_rows_per_s", static_cast<double>(queries.size()) / label_secs},
          {"categories", categories},
          {"planted_label", {{"precision", precision_planted}, {"recall", recall_planted}}},
          {"exact_jaccard_label",
           {{"precision", precision_exact}, {"recall", recall_exact}, {"positives", truth_exact}}},
          {"light_edit_recall_by_jaccard", bj},
          {"missed_not_lsh_candidate", missed_lsh},
          {"missed_estimate_below_threshold", missed_estimate},
          {"flagged_exact_jaccard_below_threshold", false_flags},
          {"exact_scan_seconds", exact_secs}}},
        {"peak_rss_mib", PeakRssMib()},
        {"peak_rss_after_ingest_mib", rss_after_ingest},
        {"total_seconds", total_secs}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  std::printf(
      "\ndatanet_bench: a Datanet of %s rows = %s real fortunes (%zu files in %s) + %s "
      "synthetic rows\n",
      Commas(index.size()).c_str(), Commas(real_in_datanet).c_str(), fortunes.files,
      fortunes_dir.c_str(), Commas(synth_in_datanet).c_str());
  std::printf(
      "  synthetic = order-2 word Markov chain trained on the %s fortunes not held out, "
      "20-80 words, seed %llu\n",
      Commas(training.size()).c_str(), static_cast<unsigned long long>(seed));
  std::printf("  %s contributions of <= %zu rows (.jsonl), threshold %.2f; store %s%s\n",
              Commas(contributions).c_str(), batch, threshold, (dir / "rows.db").c_str(),
              keep ? " (kept)" : " (removed)");
  auto reasons = [](const std::map<std::string, size_t>& m) {
    std::string s;
    for (const auto& [k, v] : m) s += (s.empty() ? "" : ", ") + k + " " + Commas(v);
    return s.empty() ? std::string("none") : s;
  };
  std::printf("  offered: %s real (rejected: %s)\n", Commas(offered_real).c_str(),
              reasons(rejected_real).c_str());
  std::printf("           %s synthetic (rejected: %s)\n", Commas(offered_synth).c_str(),
              reasons(rejected_synth).c_str());

  std::printf(
      "\nIngestion: %.1f MB of jsonl (%.1f MB of text), %s rows offered, in %.1f s "
      "(wall %.1f s)\n",
      mb, static_cast<double>(text_bytes) / 1e6, Commas(offered).c_str(), ingest_secs, ingest_wall);
  std::printf("  %.2f MB/s, %.0f rows offered/s, %.0f rows accepted/s\n", ingest_mbps,
              static_cast<double>(offered) / ingest_secs,
              static_cast<double>(index.size()) / ingest_secs);
  std::printf("\n  %-26s %9s %7s %10s %10s\n", "stage", "seconds", "share", "us/row", "MB/s");
  for (auto [name, s] :
       std::initializer_list<std::pair<const char*, double>>{{"ParseFile", t_parse},
                                                             {"Validate", t_validate},
                                                             {"RowStore::Put (SQLite)", t_store},
                                                             {"RowIndex::Add", t_add},
                                                             {"total", ingest_secs}}) {
    std::printf("  %-26s %9.1f %6.1f%% %10.1f %10.2f\n", name, s, 100 * s / ingest_secs,
                s * 1e6 / static_cast<double>(offered), mb / s);
  }
  std::printf("  (us/row per row offered; Add and Put only see accepted rows)\n");
  std::printf(
      "  us/row, first tenth of the rows: parse %.1f, validate %.1f, store %.1f, add %.1f\n",
      first_tenth.parse, first_tenth.validate, first_tenth.store, first_tenth.add);
  std::printf(
      "  us/row, last tenth of the rows:  parse %.1f, validate %.1f, store %.1f, add %.1f\n",
      last_tenth.parse, last_tenth.validate, last_tenth.store, last_tenth.add);

  std::printf("\nBaselines (same process):\n");
  std::printf("  ParseFile alone            %8.2f MB/s   ingestion / parse-only = %.3f\n",
              parse_mbps, ingest_mbps / parse_mbps);
  std::printf("  MinHasher::FromText        %8.1f us/row (one signature of a Datanet row)\n",
              sig_us);
  std::printf("  RowIndex::Create           %8.1f ms     (paid by every Validate call)\n",
              create_ms);
  std::printf("  peak RSS                   %8.0f MiB    (%.0f MiB after ingestion)\n",
              PeakRssMib(), rss_after_ingest);

  std::printf(
      "\nNear-duplicate detection: %s labelled rows validated against the full Datanet "
      "at %.0f rows/s\n",
      Commas(queries.size()).c_str(), static_cast<double>(queries.size()) / label_secs);
  std::printf("\n  %-18s %6s %8s %9s %9s %7s %11s %9s %8s %9s\n", "category", "rows", "flagged",
              "->source", "->other", "(synth)", "->in-contr.", "match J>=t", "quality", "J>=t(ex)");
  for (const auto& [cat, c] : cats) {
    std::printf("  %-18s %6zu %8zu %9zu %9zu %7zu %11zu %10zu %8zu %9zu\n", CategoryName(cat),
                c.rows, c.flagged, c.to_source, c.to_other, c.to_synthetic, c.in_contribution,
                c.match_truth, c.quality, c.truth);
  }
  std::printf(
      "  (flagged = near_duplicate or exact duplicate; ->other = matched a Datanet row "
      "other than the source,\n   (synth) of which "
      "synthetic; match J>=t = flagged and the matched row has exact Jaccard >= %.2f;\n   quality "
      "= rejected for another reason; J>=t(ex) = some Datanet row has exact Jaccard >= %.2f)\n",
      threshold, threshold);
  std::printf("\n  %-34s %10s %8s\n", "label", "precision", "recall");
  std::printf(
      "  %-34s %10.4f %8.4f   (TP = light edit matched to its source: %zu of %zu; "
      "flagged %zu)\n",
      "planted edit", precision_planted, recall_planted, tp_planted, positives, flagged_all);
  char label2[64];
  std::snprintf(label2, sizeof(label2), "exact Jaccard >= %.2f", threshold);
  std::printf("  %-34s %10.4f %8.4f   (TP = matched row has exact J >= %.2f: %zu of %zu)\n", label2,
              precision_exact, recall_exact, threshold, tp_exact, truth_exact);
  std::printf(
      "  missed with a true match >= %.2f: %zu not an LSH candidate, %zu candidate with the "
      "estimate below it\n  flagged with the matched row's exact J < %.2f: %zu (lowest exact J "
      "%.3f)\n",
      threshold, missed_lsh, missed_estimate, threshold, false_flags,
      false_flags ? false_flag_min_j : 0.0);
  std::printf("\n  Light edits by exact Jaccard with their source:\n");
  for (size_t k = 0; k < buckets.size(); ++k) {
    const auto [n, hit] = bucket_counts[k];
    std::printf("    %-26s %6zu rows, matched to source %6zu (%5.1f%%)\n",
                buckets[k].second.c_str(), n, hit, 100 * ratio(hit, n));
  }
  std::printf("\nExact Jaccard scan of %s Datanet rows: %.1f s on %u threads; total run %s\n",
              Commas(datanet_texts.size()).c_str(), exact_secs, n_threads,
              Duration(total_secs).c_str());
  return 0;
}
