// tokenizer.json and tokenizer_config.json from a GGUF file's tokenizer.ggml.* metadata.
//
// GGUF keeps the vocabulary (tokens in byte-level spelling), the merges ("a b"), token types
// (3 = control, 4 = user-defined), the special ids and the chat template, but not the
// pre-tokenizer: only its llama.cpp name in tokenizer.ggml.pre. The table below gives, for each
// name this project supports, the Hugging Face pre-tokenizer that llama.cpp's own regexes for that
// name reproduce (llama-vocab.cpp), so the imported tokenizer splits text as the original did.

#include <algorithm>
#include <map>
#include <set>

#include "model/tokenizer-json.h"
#include "tributary/model/gguf_import.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

using tokenizer_json::ojson;

constexpr int32_t kTokenControl = 3;
constexpr int32_t kTokenUserDefined = 4;

Status Unsupported(const GgufFile& file, const std::string& msg) {
  return Status::InvalidArgument(file.path().string() + ": " + msg, "unsupported_tokenizer");
}

struct PreTokenizerEntry {
  const char* name;
  enum Kind { kDigitsThenGpt2, kGpt2, kLlama3 } kind;
  bool ignore_merges;
};

// llama.cpp's names -> the Hugging Face pre-tokenizer of the model family. SmolLM, StarCoder and
// Refact split every digit on its own before GPT-2's regex (llama.cpp: "\p{N}" first).
constexpr PreTokenizerEntry kPreTokenizers[] = {
    {"smollm", PreTokenizerEntry::kDigitsThenGpt2, false},
    {"starcoder", PreTokenizerEntry::kDigitsThenGpt2, false},
    {"refact", PreTokenizerEntry::kDigitsThenGpt2, false},
    {"gpt-2", PreTokenizerEntry::kGpt2, false},
    {"llama-bpe", PreTokenizerEntry::kLlama3, true},
    {"llama3", PreTokenizerEntry::kLlama3, true},
    {"llama-v3", PreTokenizerEntry::kLlama3, true},
};

ojson PreTokenizerJson(PreTokenizerEntry::Kind kind) {
  switch (kind) {
    case PreTokenizerEntry::kDigitsThenGpt2:
      return {{"type", "Sequence"},
              {"pretokenizers", ojson::array({{{"type", "Digits"}, {"individual_digits", true}},
                                              tokenizer_json::ByteLevelStep(true)})}};
    case PreTokenizerEntry::kGpt2:
      return tokenizer_json::ByteLevelStep(true);
    case PreTokenizerEntry::kLlama3:
      return tokenizer_json::SplitThenByteLevel(std::string(Llama3Pattern()));
  }
  return nullptr;
}

Result<std::vector<std::string>> StringArray(const GgufFile& file, const std::string& key,
                                             bool required) {
  const GgufValue* v = file.Find(key);
  if (!v) {
    if (!required) return std::vector<std::string>{};
    return Status::InvalidArgument(file.path().string() + ": metadata '" + key + "' is missing",
                                   "missing_tokenizer");
  }
  const auto* arr = v->AsArray();
  if (!arr || v->element_type != GgufValueType::kString) {
    return Status::InvalidArgument(
        file.path().string() + ": metadata '" + key + "' must be an array of strings", "bad_gguf");
  }
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (const GgufValue& e : *arr) out.push_back(*e.AsString());
  return out;
}

std::optional<int64_t> IntKey(const GgufFile& file, const std::string& key) {
  const GgufValue* v = file.Find(key);
  return v ? v->AsInt() : std::nullopt;
}

}  // namespace

std::vector<std::string> GgufPreTokenizers() {
  std::vector<std::string> out;
  for (const auto& e : kPreTokenizers) out.emplace_back(e.name);
  return out;
}

Result<GgufTokenizerFiles> GgufTokenizer(const GgufFile& file) {
  const GgufValue* model_v = file.Find("tokenizer.ggml.model");
  if (!model_v || !model_v->AsString()) {
    return Status::InvalidArgument(
        file.path().string() + ": no tokenizer (metadata 'tokenizer.ggml.model' is missing)",
        "missing_tokenizer");
  }
  const std::string& model = *model_v->AsString();
  if (model != "gpt2") {
    return Unsupported(file, "tokenizer.ggml.model '" + model +
                                 "' is not supported (supported: gpt2, byte-level BPE)");
  }
  std::string pre_name = "gpt-2";
  if (const GgufValue* p = file.Find("tokenizer.ggml.pre"); p && p->AsString()) {
    pre_name = *p->AsString();
  }
  const PreTokenizerEntry* pre = nullptr;
  for (const auto& e : kPreTokenizers) {
    if (pre_name == e.name) pre = &e;
  }
  if (!pre) {
    std::string names;
    for (const auto& e : kPreTokenizers) names += (names.empty() ? "" : ", ") + std::string(e.name);
    return Unsupported(file,
                       "tokenizer.ggml.pre '" + pre_name + "' is not supported (" + names + ")");
  }

  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> tokens,
                        StringArray(file, "tokenizer.ggml.tokens", true));
  TRIB_ASSIGN_OR_RETURN(std::vector<std::string> merges,
                        StringArray(file, "tokenizer.ggml.merges", true));
  std::vector<int32_t> types(tokens.size(), 1);
  if (const GgufValue* t = file.Find("tokenizer.ggml.token_type")) {
    const auto* arr = t->AsArray();
    if (!arr || arr->size() != tokens.size()) {
      return Status::InvalidArgument(file.path().string() +
                                         ": metadata 'tokenizer.ggml.token_type' must be an array "
                                         "as long as tokenizer.ggml.tokens",
                                     "bad_gguf");
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      types[i] = static_cast<int32_t>((*arr)[i].AsInt().value_or(1));
    }
  }

  auto token_of = [&](const char* key) -> Result<std::optional<std::string>> {
    auto id = IntKey(file, key);
    if (!id) return std::optional<std::string>{};
    if (*id < 0 || *id >= static_cast<int64_t>(tokens.size())) {
      return Status::InvalidArgument(file.path().string() + ": metadata '" + key +
                                         "' = " + std::to_string(*id) + " is not a token id",
                                     "bad_gguf");
    }
    return std::optional<std::string>(tokens[static_cast<size_t>(*id)]);
  };
  TRIB_ASSIGN_OR_RETURN(auto bos, token_of("tokenizer.ggml.bos_token_id"));
  TRIB_ASSIGN_OR_RETURN(auto eos, token_of("tokenizer.ggml.eos_token_id"));
  TRIB_ASSIGN_OR_RETURN(auto pad, token_of("tokenizer.ggml.padding_token_id"));
  TRIB_ASSIGN_OR_RETURN(auto unk, token_of("tokenizer.ggml.unknown_token_id"));
  bool add_bos = false, add_eos = false;
  if (const GgufValue* v = file.Find("tokenizer.ggml.add_bos_token")) {
    add_bos = v->AsBool().value_or(false);
  }
  if (const GgufValue* v = file.Find("tokenizer.ggml.add_eos_token")) {
    add_eos = v->AsBool().value_or(false);
  }

  // The vocabulary, first spelling of a token wins (a duplicate cannot be a JSON key twice).
  ojson vocab = ojson::object();
  std::set<std::string> seen;
  ojson added = ojson::array();
  ojson added_decoder = ojson::object();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!seen.insert(tokens[i]).second) continue;
    const auto id = static_cast<int32_t>(i);
    vocab[tokens[i]] = id;
    if (types[i] == kTokenControl || types[i] == kTokenUserDefined) {
      const bool special = types[i] == kTokenControl;
      added.push_back(tokenizer_json::AddedToken(id, tokens[i], special));
      added_decoder[std::to_string(id)] =
          tokenizer_json::AddedTokenDecoderEntry(tokens[i], special);
    }
  }
  ojson merge_pairs = ojson::array();
  for (size_t r = 0; r < merges.size(); ++r) {
    const std::string& m = merges[r];
    const size_t sp = m.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == m.size() ||
        m.find(' ', sp + 1) != std::string::npos) {
      return Status::InvalidArgument(file.path().string() + ": tokenizer.ggml.merges[" +
                                         std::to_string(r) + "] is not two tokens: '" + m + "'",
                                     "bad_gguf");
    }
    merge_pairs.push_back(ojson::array({m.substr(0, sp), m.substr(sp + 1)}));
  }

  ojson post = tokenizer_json::ByteLevelStep(true, true, false);
  if (add_bos && bos) {
    const auto bos_id = static_cast<int32_t>(*IntKey(file, "tokenizer.ggml.bos_token_id"));
    post = {{"type", "Sequence"},
            {"processors", ojson::array({post, tokenizer_json::PrependBos(*bos, bos_id)})}};
  }
  ojson tokenizer = {{"version", "1.0"},
                     {"truncation", nullptr},
                     {"padding", nullptr},
                     {"added_tokens", added},
                     {"normalizer", nullptr},
                     {"pre_tokenizer", PreTokenizerJson(pre->kind)},
                     {"post_processor", post},
                     {"decoder", tokenizer_json::ByteLevelStep(true)},
                     {"model", tokenizer_json::BpeModel(std::move(vocab), std::move(merge_pairs),
                                                        pre->ignore_merges)}};

  auto name_or_null = [](const std::optional<std::string>& s) { return s ? ojson(*s) : ojson(); };
  ojson config = {{"add_bos_token", add_bos},
                  {"add_eos_token", add_eos},
                  {"added_tokens_decoder", added_decoder},
                  {"bos_token", name_or_null(bos)},
                  {"clean_up_tokenization_spaces", false},
                  {"eos_token", name_or_null(eos)},
                  {"model_input_names", ojson::array({"input_ids", "attention_mask"})},
                  {"pad_token", name_or_null(pad)},
                  {"tokenizer_class", "PreTrainedTokenizerFast"},
                  {"unk_token", name_or_null(unk)}};
  if (auto ctx = IntKey(file, "llama.context_length")) config["model_max_length"] = *ctx;
  if (const GgufValue* t = file.Find("tokenizer.chat_template"); t && t->AsString()) {
    config["chat_template"] = *t->AsString();
  }
  GgufTokenizerFiles out;
  try {
    out.tokenizer_json = tokenizer.dump(2);
    out.tokenizer_config_json = config.dump(2);
  } catch (const std::exception& e) {  // dump() throws on invalid UTF-8 in a token
    return Status::InvalidArgument(file.path().string() + ": tokenizer metadata: " + e.what(),
                                   "bad_gguf");
  }
  return out;
}

}  // namespace tributary::model
