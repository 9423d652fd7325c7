// Pieces of a Hugging Face tokenizer.json / tokenizer_config.json that the writers of this
// library share (WriteByteLevelTokenizer, the GGUF import), in the key order `tokenizers` writes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace tributary::model::tokenizer_json {

using ojson = nlohmann::ordered_json;

//! A ByteLevel pre-tokenizer, decoder or post-processor step.
inline ojson ByteLevelStep(bool use_regex, bool add_prefix_space = false,
                           bool trim_offsets = true) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", add_prefix_space},
          {"trim_offsets", trim_offsets},
          {"use_regex", use_regex}};
}

//! Sequence[Split(Regex `pattern`, Isolated), ByteLevel(use_regex=false)]: Llama-3's layout.
inline ojson SplitThenByteLevel(const std::string& pattern) {
  return {{"type", "Sequence"},
          {"pretokenizers", ojson::array({{{"type", "Split"},
                                           {"pattern", {{"Regex", pattern}}},
                                           {"behavior", "Isolated"},
                                           {"invert", false}},
                                          ByteLevelStep(false)})}};
}

//! An entry of tokenizer.json's added_tokens.
inline ojson AddedToken(int32_t id, const std::string& content, bool special) {
  return {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", special}};
}

//! The same token as tokenizer_config.json's added_tokens_decoder lists it.
inline ojson AddedTokenDecoderEntry(const std::string& content, bool special) {
  return {{"content", content}, {"lstrip", false},      {"normalized", false},
          {"rstrip", false},    {"single_word", false}, {"special", special}};
}

//! A TemplateProcessing post-processor that prepends `bos` (id `bos_id`) to each sequence.
inline ojson PrependBos(const std::string& bos, int32_t bos_id) {
  ojson single = ojson::array({{{"SpecialToken", {{"id", bos}, {"type_id", 0}}}},
                               {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}});
  ojson pair = single;
  pair.push_back({{"SpecialToken", {{"id", bos}, {"type_id", 1}}}});
  pair.push_back({{"Sequence", {{"id", "B"}, {"type_id", 1}}}});
  return {
      {"type", "TemplateProcessing"},
      {"single", single},
      {"pair", pair},
      {"special_tokens",
       {{bos, {{"id", bos}, {"ids", ojson::array({bos_id})}, {"tokens", ojson::array({bos})}}}}}};
}

//! A byte-level BPE model section.
inline ojson BpeModel(ojson vocab, ojson merges, bool ignore_merges) {
  return {{"type", "BPE"},
          {"dropout", nullptr},
          {"unk_token", nullptr},
          {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr},
          {"fuse_unk", false},
          {"byte_fallback", false},
          {"ignore_merges", ignore_merges},
          {"vocab", std::move(vocab)},
          {"merges", std::move(merges)}};
}

}  // namespace tributary::model::tokenizer_json
