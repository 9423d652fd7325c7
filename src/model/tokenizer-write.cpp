// Writes a Hugging Face byte-level BPE tokenizer (tokenizer.json + tokenizer_config.json) for the
// project's own models. The files are in the layout `tokenizers` and `transformers` write, so both
// this project's loader and the reference read them.

#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "model/tokenizer-json.h"
#include "tributary/base/file_io.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

using tokenizer_json::ByteLevelStep;
using tokenizer_json::ojson;

Status Invalid(const std::string& msg) {
  return Status::InvalidArgument("WriteByteLevelTokenizer: " + msg, "bad_tokenizer_spec");
}

}  // namespace

Status WriteByteLevelTokenizer(const std::filesystem::path& dir, int32_t vocab_size,
                               const ByteLevelTokenizerOptions& options) {
  // Byte tokens in bytes_to_unicode order, then merges.
  std::vector<std::string> tokens(256);
  std::unordered_map<std::string, int32_t> by_bytes;  // raw bytes -> id
  for (int b = 0; b < 256; ++b) {
    const int id = ByteLevelRank(static_cast<uint8_t>(b));
    tokens[id] = std::string(ByteLevelChar(static_cast<uint8_t>(b)));
    by_bytes.emplace(std::string(1, static_cast<char>(b)), id);
  }
  ojson merges = ojson::array();
  for (size_t i = 0; i < options.merges.size(); ++i) {
    const auto& [left, right] = options.merges[i];
    const std::string where = "merges[" + std::to_string(i) + "]: ";
    if (!by_bytes.count(left)) return Invalid(where + "left side is not a token yet");
    if (!by_bytes.count(right)) return Invalid(where + "right side is not a token yet");
    const std::string merged = left + right;
    if (!by_bytes.count(merged)) {  // another pair may already have made it
      by_bytes.emplace(merged, static_cast<int32_t>(tokens.size()));
      tokens.push_back(ByteLevelEncode(merged));
    }
    merges.push_back(ojson::array({ByteLevelEncode(left), ByteLevelEncode(right)}));
  }

  // Special tokens, then reserved ones up to vocab_size.
  std::vector<std::string> specials = options.special_tokens;
  std::unordered_set<std::string> seen;
  for (const std::string& s : specials) {
    if (s.empty()) return Invalid("empty special token");
    if (!seen.insert(s).second) return Invalid("special token '" + s + "' given twice");
  }
  for (const std::string* name : {&options.bos_token, &options.eos_token}) {
    if (!name->empty() && !seen.count(*name)) {
      return Invalid("'" + *name + "' is not one of the special tokens");
    }
  }
  const int64_t needed =
      static_cast<int64_t>(tokens.size()) + static_cast<int64_t>(specials.size());
  if (vocab_size < needed) {
    return Invalid("vocab_size " + std::to_string(vocab_size) + " is less than the " +
                   std::to_string(needed) + " tokens asked for (256 bytes, " +
                   std::to_string(options.merges.size()) + " merges, " +
                   std::to_string(specials.size()) + " special)");
  }
  for (int n = 0; static_cast<int64_t>(tokens.size() + specials.size()) < vocab_size; ++n) {
    std::string name = "<|reserved_special_token_" + std::to_string(n) + "|>";
    if (seen.insert(name).second) specials.push_back(std::move(name));
  }
  const auto first_special = static_cast<int32_t>(tokens.size());
  auto special_id = [&](const std::string& name) -> int32_t {
    for (size_t i = 0; i < specials.size(); ++i) {
      if (specials[i] == name) return first_special + static_cast<int32_t>(i);
    }
    return -1;
  };

  ojson vocab = ojson::object();
  for (size_t id = 0; id < tokens.size(); ++id) vocab[tokens[id]] = id;
  ojson added = ojson::array();
  ojson added_decoder = ojson::object();
  for (size_t i = 0; i < specials.size(); ++i) {
    const int32_t id = first_special + static_cast<int32_t>(i);
    added.push_back(tokenizer_json::AddedToken(id, specials[i], true));
    added_decoder[std::to_string(id)] = tokenizer_json::AddedTokenDecoderEntry(specials[i], true);
  }

  ojson pre;
  if (options.pre_tokenizer == ByteLevelTokenizerOptions::PreTokenizer::kLlama3) {
    pre = tokenizer_json::SplitThenByteLevel(std::string(Llama3Pattern()));
  } else {
    pre = ByteLevelStep(true);
  }
  ojson post = ByteLevelStep(true, true, false);
  if (options.add_bos && !options.bos_token.empty()) {
    const std::string& bos = options.bos_token;
    ojson template_processing = tokenizer_json::PrependBos(bos, special_id(bos));
    post = {{"type", "Sequence"}, {"processors", ojson::array({post, template_processing})}};
  }

  ojson tokenizer = {{"version", "1.0"},
                     {"truncation", nullptr},
                     {"padding", nullptr},
                     {"added_tokens", added},
                     {"normalizer", nullptr},
                     {"pre_tokenizer", pre},
                     {"post_processor", post},
                     {"decoder", ByteLevelStep(true)},
                     {"model", tokenizer_json::BpeModel(vocab, merges, options.ignore_merges)}};

  ojson config = {{"add_bos_token", options.add_bos},
                  {"add_eos_token", false},
                  {"added_tokens_decoder", added_decoder},
                  {"bos_token", options.bos_token.empty() ? ojson() : ojson(options.bos_token)},
                  {"clean_up_tokenization_spaces", false},
                  {"eos_token", options.eos_token.empty() ? ojson() : ojson(options.eos_token)},
                  {"model_input_names", ojson::array({"input_ids", "attention_mask"})},
                  {"tokenizer_class", "PreTrainedTokenizerFast"}};
  if (!options.chat_template.empty()) config["chat_template"] = options.chat_template;

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": " + ec.message());
  try {
    TRIB_RETURN_IF_ERROR(WriteFileAtomic(dir / "tokenizer.json", tokenizer.dump(2)));
    TRIB_RETURN_IF_ERROR(WriteFileAtomic(dir / "tokenizer_config.json", config.dump(2)));
  } catch (const std::exception& e) {  // dump() throws on invalid UTF-8 in a special token
    return Invalid(e.what());
  }
  return Status::OK();
}

}  // namespace tributary::model
