// Byte-level BPE tokenizer: the public Tokenizer (loading entry points, encoding, decoding, the
// chat template) and TokenStreamDecoder. The pieces live beside it: tokenizer-byte-level.cpp,
// -pretokenize (PCRE2 patterns), -added (added tokens), -load (tokenizer.json), -bpe (merges),
// -chat (templates), -write and -train. NFC is ICU's (the reference uses the unicode-normalization
// crate).

#include "tributary/model/tokenizer.h"

#include <filesystem>

#include "model/tokenizer-internal.h"
#include "tributary/base/file_io.h"

namespace tributary::model {

using nlohmann::json;
using namespace tokenizer_detail;

// -----------------------------------------------------------------------------------------------
// Tokenizer

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::FromJson(std::string_view tokenizer_json,
                                      std::string_view config_json) {
  try {
    TRIB_ASSIGN_OR_RETURN(auto impl, Impl::Load(tokenizer_json, "tokenizer.json", config_json,
                                                "tokenizer_config.json", std::nullopt));
    return Tokenizer(std::move(impl));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("tokenizer: ") + e.what());
  }
}

Result<Tokenizer> Tokenizer::FromFiles(const std::filesystem::path& tokenizer_json,
                                       const std::optional<std::filesystem::path>& config_json) {
  try {
    TRIB_ASSIGN_OR_RETURN(std::string text, ReadFile(tokenizer_json));
    std::string config;
    if (config_json) {
      TRIB_ASSIGN_OR_RETURN(config, ReadFile(*config_json));
      if (config.empty()) config = "{}";
    }
    TRIB_ASSIGN_OR_RETURN(auto impl,
                          Impl::Load(text, tokenizer_json.string(), config,
                                     config_json ? config_json->string() : "", std::nullopt));
    return Tokenizer(std::move(impl));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("tokenizer: ") + e.what());
  }
}

Result<Tokenizer> Tokenizer::FromDirectory(const std::filesystem::path& dir) {
  try {
    const auto tok_path = dir / "tokenizer.json";
    const auto config_path = dir / "tokenizer_config.json";
    const auto template_path = dir / "chat_template.jinja";
    const auto special_map_path = dir / "special_tokens_map.json";
    TRIB_ASSIGN_OR_RETURN(std::string text, ReadFile(tok_path));
    std::string config;
    std::error_code ec;
    if (std::filesystem::exists(config_path, ec)) {
      TRIB_ASSIGN_OR_RETURN(config, ReadFile(config_path));
      if (config.empty()) config = "{}";
    }
    std::optional<std::string> extra;
    if (std::filesystem::exists(template_path, ec)) {
      TRIB_ASSIGN_OR_RETURN(extra, ReadFile(template_path));
    }
    std::string special_map;
    if (std::filesystem::exists(special_map_path, ec)) {
      TRIB_ASSIGN_OR_RETURN(special_map, ReadFile(special_map_path));
    }
    TRIB_ASSIGN_OR_RETURN(auto impl,
                          Impl::Load(text, tok_path.string(), config, config_path.string(),
                                     std::move(extra), special_map, special_map_path.string()));
    return Tokenizer(std::move(impl));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("tokenizer: ") + e.what());
  }
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool allow_special,
                                       bool add_special_tokens) const {
  const Impl& m = *impl_;
  std::string cleaned;
  if (!IsValidUtf8(text)) {
    cleaned = ReplaceInvalidUtf8(text);
    text = cleaned;
  }
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special_tokens) out.insert(out.end(), m.prefix.begin(), m.prefix.end());

  std::vector<Segment> first;
  ExtractAdded(text, m.raw_matcher, allow_special, &first);
  std::vector<Segment> second;
  for (Segment& seg : first) {
    if (seg.id >= 0) {
      out.push_back(seg.id);
      continue;
    }
    second.clear();
    const std::string normalized = m.nfc ? NormalizeNfc(seg.text) : std::move(seg.text);
    ExtractAdded(normalized, m.normalized_matcher, allow_special, &second);
    for (Segment& piece : second) {
      if (piece.id >= 0) {
        out.push_back(piece.id);
        continue;
      }
      std::vector<std::string> cur{std::move(piece.text)}, next;
      for (const PreTokStep& step : m.steps) {
        next.clear();
        for (std::string& p : cur) ApplyStep(step, std::move(p), &next);
        cur.swap(next);
      }
      for (const std::string& word : cur) m.EncodeWord(word, &out);
    }
  }
  if (add_special_tokens) out.insert(out.end(), m.suffix.begin(), m.suffix.end());
  return out;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  const Impl& m = *impl_;
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || id >= m.size || !m.known[id]) continue;
    if (skip_special && m.special[id]) continue;
    out.append(m.bytes[id]);
  }
  return out;
}

std::vector<std::string> Tokenizer::PreTokenize(std::string_view text) const {
  std::string cleaned;
  if (!IsValidUtf8(text)) {
    cleaned = ReplaceInvalidUtf8(text);
    text = cleaned;
  }
  return impl_->PreTokens(text);
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  const std::string key(token);
  auto a = impl_->added_by_content.find(key);
  if (a != impl_->added_by_content.end()) return a->second;
  auto v = impl_->vocab.find(key);
  if (v != impl_->vocab.end()) return v->second;
  return std::nullopt;
}

std::optional<std::string_view> Tokenizer::IdToToken(int32_t id) const {
  if (id < 0 || id >= impl_->size || !impl_->known[id]) return std::nullopt;
  return std::string_view(impl_->token[id]);
}

std::string_view Tokenizer::TokenBytes(int32_t id) const {
  if (id < 0 || id >= impl_->size || !impl_->known[id]) return {};
  return impl_->bytes[id];
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && id < impl_->size && impl_->special[id] != 0;
}

int32_t Tokenizer::vocab_size() const { return impl_->size; }
std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos_id; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos_id; }
std::optional<int32_t> Tokenizer::pad_id() const { return impl_->pad_id; }
const std::string& Tokenizer::bos_token() const { return impl_->bos_token; }
const std::string& Tokenizer::eos_token() const { return impl_->eos_token; }
bool Tokenizer::has_chat_template() const { return impl_->has_template; }

Result<std::string> Tokenizer::ApplyChatTemplate(std::span<const ChatMessage> messages,
                                                 const ChatTemplateOptions& options) const {
  if (!impl_->has_template) {
    return Status::FailedPrecondition("tokenizer_config.json has no chat_template",
                                      "no_chat_template");
  }
  if (!impl_->chat_template) return impl_->template_status;
  return impl_->chat_template->Render(messages, options);
}

// -----------------------------------------------------------------------------------------------
// TokenStreamDecoder

std::string TokenStreamDecoder::Put(int32_t id) {
  if (skip_special_ && tokenizer_->IsSpecial(id)) return {};
  pending_.append(tokenizer_->TokenBytes(id));
  std::string out;
  size_t i = 0;
  while (i < pending_.size()) {
    const Utf8Scan scan = ScanUtf8(pending_, i);
    if (scan.step == Utf8Step::kIncomplete) break;
    if (scan.step == Utf8Step::kValid) {
      out.append(pending_, i, scan.len);
    } else {
      AppendUtf8(0xFFFD, &out);
    }
    i += scan.len;
  }
  pending_.erase(0, i);
  return out;
}

std::string TokenStreamDecoder::Flush() {
  std::string out = ReplaceInvalidUtf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace tributary::model
