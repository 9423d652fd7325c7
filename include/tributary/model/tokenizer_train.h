// Byte-level BPE tokenizer training: learns merges from text, as Hugging Face `tokenizers`'
// BpeTrainer does, and writes a tokenizer.json that this project's Tokenizer and the reference
// both load (see WriteByteLevelTokenizer in tokenizer.h).
//
// Algorithm: every text is cut at the special tokens it contains (they are never learned from),
// each remaining piece is pre-tokenized exactly as the written tokenizer will pre-tokenize it
// (PreTokenize in tokenizer.h: no normalizer, invalid UTF-8 replaced), the distinct pre-tokens are
// counted and each becomes a sequence of byte symbols. Then the most frequent adjacent pair of
// symbols (counted over all pre-token occurrences) is merged into a new symbol, over and over.
// Pair counts are kept up to date incrementally (an index from each pair to the words that hold
// it, a max-heap with lazy invalidation), so one merge costs time in the words it touches only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {

//! What TrainBpeMerges learns and TrainByteLevelTokenizer writes.
struct BpeTrainOptions {
  //! Ids in the written tokenizer: 256 byte tokens + learned tokens + special tokens. Training
  //! stops once 256 + learned tokens reaches vocab_size - special_tokens.size(); when the corpus
  //! runs out of pairs first, WriteByteLevelTokenizer fills the rest with reserved special tokens.
  //! At least 256 + special_tokens.size(), at most kMaxVocabSize.
  int32_t vocab_size = 0;
  //! A pair is merged only while it occurs at least this often (0 and 1: no limit). Not negative.
  int64_t min_frequency = 2;
  ByteLevelTokenizerOptions::PreTokenizer pre_tokenizer =
      ByteLevelTokenizerOptions::PreTokenizer::kLlama3;
  //! Reserved out of vocab_size; their occurrences in the texts are cut out before counting.
  //! Non-empty, distinct.
  std::vector<std::string> special_tokens = {"<|begin_of_text|>", "<|end_of_text|>"};
  //! Called from the training thread with (merges done, merges wanted): once when counting is
  //! finished, then about every 1% of the merges, and once at the end (`done` is then the number
  //! of merges actually made, which is less than `total` when the corpus ran out of pairs).
  std::function<void(int64_t done, int64_t total)> progress;

  //! The largest vocab_size accepted (the written file lists every id).
  static constexpr int32_t kMaxVocabSize = 1 << 20;
};

//! Learns merges from `texts`, in rank order, as raw byte strings (left, right): the form
//! ByteLevelTokenizerOptions::merges takes. Ties between pairs of equal count go to the pair whose
//! (left bytes, right bytes) sorts first, so the result depends only on the multiset of texts and
//! the options. Should a merge make bytes an earlier merge already made, it is kept but adds no
//! token (as in the reference). InvalidArgument for bad options and for a corpus with no text.
Result<std::vector<std::pair<std::string, std::string>>> TrainBpeMerges(
    const std::vector<std::string>& texts, const BpeTrainOptions& options);

//! Trains on `texts` and writes DIR/tokenizer.json and DIR/tokenizer_config.json with
//! WriteByteLevelTokenizer (exactly options.vocab_size ids). `write_options` gives the rest of
//! the files (bos/eos tokens, ignore_merges, add_bos, chat_template); its merges must be empty, and
//! its special_tokens and pre_tokenizer are replaced by those of `options`. Same texts and options
//! give byte-identical files.
Status TrainByteLevelTokenizer(const std::filesystem::path& dir,
                               const std::vector<std::string>& texts,
                               const BpeTrainOptions& options,
                               ByteLevelTokenizerOptions write_options = {});

}  // namespace tributary::model
