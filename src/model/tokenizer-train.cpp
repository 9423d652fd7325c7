// Byte-level BPE training (see tokenizer_train.h). The merge loop follows Hugging Face
// `tokenizers`' BpeTrainer (pair counts weighted by word frequency, an index from pair to words,
// a max-heap re-checked against the live counts when popped), with a total tie-break on the
// pair's bytes instead of the reference's symbol ids so the result does not depend on how ids
// were handed out. Written by hand because no Debian package offers BPE training from C++.

#include <algorithm>
#include <exception>
#include <new>
#include <queue>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "tributary/model/tokenizer_train.h"

namespace tributary::model {
namespace {

using Merges = std::vector<std::pair<std::string, std::string>>;

Status Invalid(const std::string& msg, const char* reason = "bad_train_options") {
  return Status::InvalidArgument("TrainBpeMerges: " + msg, reason);
}

uint64_t PairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
int32_t PairLeft(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t PairRight(uint64_t key) { return static_cast<int32_t>(key & 0xFFFFFFFFu); }

Status CheckOptions(const BpeTrainOptions& options) {
  std::unordered_set<std::string_view> seen;
  for (const std::string& s : options.special_tokens) {
    if (s.empty()) return Invalid("empty special token");
    if (!seen.insert(s).second) return Invalid("special token '" + s + "' given twice");
  }
  const int64_t needed = 256 + static_cast<int64_t>(options.special_tokens.size());
  if (options.vocab_size < needed) {
    return Invalid("vocab_size " + std::to_string(options.vocab_size) + " is less than " +
                   std::to_string(needed) + " (256 byte tokens + " +
                   std::to_string(options.special_tokens.size()) + " special tokens)");
  }
  if (options.vocab_size > BpeTrainOptions::kMaxVocabSize) {
    return Invalid("vocab_size " + std::to_string(options.vocab_size) + " is more than " +
                   std::to_string(BpeTrainOptions::kMaxVocabSize));
  }
  if (options.min_frequency < 0) {
    return Invalid("min_frequency " + std::to_string(options.min_frequency) + " is negative");
  }
  return Status::OK();
}

// Calls `piece` on the parts of `text` between occurrences of the special tokens, matched
// leftmost-longest as the loaded tokenizer matches them (they are not normalized).
template <typename F>
void ForEachNonSpecial(std::string_view text, const std::vector<std::string>& specials, F piece) {
  std::vector<size_t> next(specials.size(), 0);  // next occurrence at or after `pos`, or npos
  for (size_t k = 0; k < specials.size(); ++k) next[k] = text.find(specials[k]);
  size_t pos = 0;
  while (true) {
    size_t best = std::string_view::npos, best_len = 0;
    for (size_t k = 0; k < specials.size(); ++k) {
      if (next[k] != std::string_view::npos && next[k] < pos) next[k] = text.find(specials[k], pos);
      if (next[k] == std::string_view::npos) continue;
      if (next[k] < best || (next[k] == best && specials[k].size() > best_len)) {
        best = next[k];
        best_len = specials[k].size();
      }
    }
    if (best == std::string_view::npos) break;
    if (best > pos) piece(text.substr(pos, best - pos));
    pos = best + best_len;
  }
  if (pos < text.size()) piece(text.substr(pos));
}

struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

class Trainer {
 public:
  explicit Trainer(const BpeTrainOptions& options) : options_(options) {}

  Result<Merges> Run(const std::vector<std::string>& texts) {
    TRIB_RETURN_IF_ERROR(CountWords(texts));
    Init();
    Loop();
    return std::move(merges_);
  }

 private:
  struct Entry {
    int64_t count;
    uint64_t pair;
  };
  // Heap order: the pair with the highest count on top, then the one whose (left, right) bytes
  // sort first.
  struct Lower {
    const std::vector<std::string>* tokens;
    bool operator()(const Entry& x, const Entry& y) const {
      if (x.count != y.count) return x.count < y.count;
      const std::string& xl = (*tokens)[PairLeft(x.pair)];
      const std::string& yl = (*tokens)[PairLeft(y.pair)];
      if (xl != yl) return xl > yl;
      return (*tokens)[PairRight(x.pair)] > (*tokens)[PairRight(y.pair)];
    }
  };

  Status CountWords(const std::vector<std::string>& texts) {
    std::unordered_map<std::string, int64_t> counts;
    Status failed;
    for (const std::string& text : texts) {
      ForEachNonSpecial(text, options_.special_tokens, [&](std::string_view piece) {
        if (!failed.ok()) return;
        Result<std::vector<std::string>> pre = PreTokenize(piece, options_.pre_tokenizer);
        if (!pre.ok()) {
          failed = pre.status();
          return;
        }
        for (std::string& word : *pre) ++counts[std::move(word)];
      });
      TRIB_RETURN_IF_ERROR(failed);
    }
    if (counts.empty()) {
      return Invalid("no text to train on (" + std::to_string(texts.size()) +
                         " texts, none with anything but special tokens)",
                     "empty_corpus");
    }
    // Sorted, so that everything below runs in the same order on every machine.
    std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
    counts.clear();
    std::sort(sorted.begin(), sorted.end());
    words_.reserve(sorted.size());
    for (const auto& [bytes, count] : sorted) {
      Word w;
      w.count = count;
      w.symbols.reserve(bytes.size());
      for (char c : bytes) w.symbols.push_back(static_cast<uint8_t>(c));
      words_.push_back(std::move(w));
    }
    return Status::OK();
  }

  void Init() {
    tokens_.reserve(static_cast<size_t>(options_.vocab_size));
    for (int b = 0; b < 256; ++b) {
      tokens_.emplace_back(1, static_cast<char>(b));
      ids_.emplace(tokens_.back(), b);
    }
    for (size_t i = 0; i < words_.size(); ++i) {
      const std::vector<int32_t>& s = words_[i].symbols;
      for (size_t j = 0; j + 1 < s.size(); ++j) {
        const uint64_t key = PairKey(s[j], s[j + 1]);
        pair_counts_[key] += words_[i].count;
        std::vector<int32_t>& where = where_[key];
        if (where.empty() || where.back() != static_cast<int32_t>(i)) {
          where.push_back(static_cast<int32_t>(i));
        }
      }
    }
    std::vector<Entry> entries;
    entries.reserve(pair_counts_.size());
    for (const auto& [key, count] : pair_counts_) entries.push_back({count, key});
    heap_ = Heap(Lower{&tokens_}, std::move(entries));
  }

  // Adds `delta` occurrences (times the word's count) of pair (a, b); new occurrences are
  // indexed under word `w`.
  void Change(int32_t a, int32_t b, int64_t delta, int32_t w) {
    const uint64_t key = PairKey(a, b);
    auto it = pair_counts_.try_emplace(key, 0).first;
    it->second += delta * words_[w].count;
    if (delta > 0) {
      std::vector<int32_t>& where = where_[key];
      if (where.empty() || where.back() != w) where.push_back(w);
      grown_.push_back(key);
    }
    if (it->second <= 0) pair_counts_.erase(it);
  }

  // Replaces every (a, b) in word w, left to right, by x, recording the pair count changes as
  // the reference's Word::merge does ("a a a" with (a, a) becomes "x a").
  void MergeWord(int32_t w, int32_t a, int32_t b, int32_t x) {
    std::vector<int32_t>& s = words_[w].symbols;
    const size_t n = s.size();
    size_t out = 0, in = 0;
    while (in < n) {
      if (in + 1 < n && s[in] == a && s[in + 1] == b) {
        if (out > 0) {
          Change(s[out - 1], a, -1, w);
          Change(s[out - 1], x, +1, w);
        }
        Change(a, b, -1, w);
        if (in + 2 < n) {
          Change(b, s[in + 2], -1, w);
          Change(x, s[in + 2], +1, w);
        }
        s[out++] = x;
        in += 2;
      } else {
        s[out++] = s[in++];
      }
    }
    s.resize(out);
  }

  void Report(int64_t done, int64_t total) {
    if (options_.progress) options_.progress(done, total);
  }

  void Loop() {
    const int64_t target =
        options_.vocab_size - static_cast<int64_t>(options_.special_tokens.size());
    const int64_t total = target - 256;
    const int64_t step = std::max<int64_t>(1, total / 100);
    const int64_t min_frequency = std::max<int64_t>(1, options_.min_frequency);
    Report(0, total);
    int64_t reported = 0;
    while (static_cast<int64_t>(tokens_.size()) < target && !heap_.empty()) {
      const Entry top = heap_.top();
      heap_.pop();
      auto live = pair_counts_.find(top.pair);
      const int64_t count = live == pair_counts_.end() ? 0 : live->second;
      if (count != top.count) {
        // Stale. A count that grew was pushed again when it grew; one that shrank goes back in.
        if (count > 0 && count < top.count) heap_.push({count, top.pair});
        continue;
      }
      if (count < min_frequency) break;
      const int32_t a = PairLeft(top.pair), b = PairRight(top.pair);

      int32_t x;
      auto done = merged_.find(top.pair);
      if (done != merged_.end()) {
        // Merged before, formed again by a later merge whose token already existed: the loaded
        // tokenizer applies the earlier merge here too, so do the same without a new rank.
        x = done->second;
      } else {
        std::string bytes = tokens_[a] + tokens_[b];
        auto [it, inserted] = ids_.try_emplace(std::move(bytes), 0);
        if (inserted) {
          it->second = static_cast<int32_t>(tokens_.size());
          tokens_.push_back(it->first);
        }
        x = it->second;
        merges_.emplace_back(tokens_[a], tokens_[b]);
        merged_.emplace(top.pair, x);
      }

      auto where_it = where_.find(top.pair);
      std::vector<int32_t> where;
      if (where_it != where_.end()) {
        where = std::move(where_it->second);
        where_.erase(where_it);
      }
      std::sort(where.begin(), where.end());
      where.erase(std::unique(where.begin(), where.end()), where.end());
      grown_.clear();
      for (int32_t w : where) MergeWord(w, a, b, x);
      pair_counts_.erase(top.pair);  // every occurrence is gone
      std::sort(grown_.begin(), grown_.end());
      grown_.erase(std::unique(grown_.begin(), grown_.end()), grown_.end());
      for (uint64_t key : grown_) {
        auto it = pair_counts_.find(key);
        if (it != pair_counts_.end()) heap_.push({it->second, key});
      }

      const int64_t learned = static_cast<int64_t>(tokens_.size()) - 256;
      if (learned - reported >= step) {
        reported = learned;
        Report(learned, total);
      }
    }
    Report(static_cast<int64_t>(tokens_.size()) - 256, total);
  }

  using Heap = std::priority_queue<Entry, std::vector<Entry>, Lower>;

  const BpeTrainOptions& options_;
  std::vector<Word> words_;
  std::vector<std::string> tokens_;                           // symbol id -> bytes
  std::unordered_map<std::string, int32_t> ids_;              // bytes -> symbol id
  std::unordered_map<uint64_t, int64_t> pair_counts_;         // live counts, > 0
  std::unordered_map<uint64_t, std::vector<int32_t>> where_;  // pair -> words (may be stale)
  std::unordered_map<uint64_t, int32_t> merged_;              // merged pair -> its symbol
  std::vector<uint64_t> grown_;                               // pairs that gained this merge
  Heap heap_{Lower{&tokens_}};
  Merges merges_;
};

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> TrainBpeMerges(
    const std::vector<std::string>& texts, const BpeTrainOptions& options) {
  TRIB_RETURN_IF_ERROR(CheckOptions(options));
  try {
    Trainer trainer(options);
    return trainer.Run(texts);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("TrainBpeMerges: out of memory");
  } catch (const std::exception& e) {  // e.g. from the progress callback
    return Status::Internal(std::string("TrainBpeMerges: ") + e.what());
  }
}

Status TrainByteLevelTokenizer(const std::filesystem::path& dir,
                               const std::vector<std::string>& texts,
                               const BpeTrainOptions& options,
                               ByteLevelTokenizerOptions write_options) {
  if (!write_options.merges.empty()) {
    return Status::InvalidArgument(
        "TrainByteLevelTokenizer: write_options.merges must be empty (training makes them)",
        "bad_train_options");
  }
  TRIB_ASSIGN_OR_RETURN(write_options.merges, TrainBpeMerges(texts, options));
  write_options.special_tokens = options.special_tokens;
  write_options.pre_tokenizer = options.pre_tokenizer;
  return WriteByteLevelTokenizer(dir, options.vocab_size, write_options);
}

}  // namespace tributary::model
