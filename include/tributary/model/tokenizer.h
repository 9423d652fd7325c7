// Byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`),
// as shipped with GPT-2, Llama-3 and Qwen2 checkpoints. No libtorch.
//
// Pipeline (the same order as Hugging Face `tokenizers`):
//   1. invalid UTF-8 in the input is replaced first: each maximal ill-formed subsequence becomes
//      U+FFFD, exactly like Python's `bytes.decode("utf-8", errors="replace")` (the reference
//      only ever sees Rust Strings, so it never meets invalid UTF-8);
//   2. added tokens are split out, leftmost-longest: first those with normalized=false on the raw
//      text, then the normalizer (none or NFC) runs on each remaining piece, then the tokens with
//      normalized=true are split out of the normalized pieces; single_word/lstrip/rstrip as in the
//      reference; special ones only when the caller allows them;
//   3. the pre-tokenizer splits each piece: ByteLevel (GPT-2 regex when use_regex, a prefix
//      space when add_prefix_space), Split (Regex or String pattern, any behaviour, invert),
//      Digits, or a Sequence of these that ends with ByteLevel; regexes run in PCRE2 (UTF + UCP),
//      compiled once per tokenizer;
//   4. each pre-token is mapped to the GPT-2 byte alphabet and merged by BPE rank (a bounded cache
//      keeps merged words); with ignore_merges a pre-token that is itself in the vocabulary is
//      one token; characters outside the vocabulary become <0xNN> byte tokens (byte_fallback) or
//      unk_token; a byte with neither is dropped, as the reference drops it.
//   5. with add_special_tokens, the post_processor's TemplateProcessing adds its tokens.
// Decoding maps every token through the ByteLevel decoder, as the reference does (added tokens
// too: characters outside the byte alphabet are kept as their UTF-8), and returns the raw bytes,
// which may end in an incomplete UTF-8 sequence; TokenStreamDecoder yields only complete text.
//
// Thread-safety: a Tokenizer is immutable after loading except for its merge cache, which is
// guarded by a shared mutex; every const method may be called from several threads at once.
// A TokenStreamDecoder belongs to one thread (one per stream).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/base/unicode.h"

namespace tributary::model {

// UTF-8 helpers shared with the rest of the code base (base/unicode.h).
using ::tributary::IsValidUtf8;
using ::tributary::ReplaceInvalidUtf8;

//! GPT-2's bytes_to_unicode: the character (as UTF-8) that stands for byte `b` in byte-level
//! vocabularies: printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100...
std::string_view ByteLevelChar(uint8_t b);
//! Position of byte `b` in bytes_to_unicode order (the printable bytes first, then the others):
//! the id GPT-2 gives the single-byte token, and the one WriteByteLevelTokenizer gives it.
int ByteLevelRank(uint8_t b);
//! Maps raw bytes to byte-level text ("hello world" -> "helloĠworld").
std::string ByteLevelEncode(std::string_view bytes);
//! The inverse; nullopt when `text` holds a character outside the byte alphabet.
std::optional<std::string> ByteLevelDecode(std::string_view text);

//! GPT-2's pre-tokenizer regex (ByteLevel with use_regex).
std::string_view Gpt2Pattern();
//! Llama-3's Split regex (digits in groups of one to three).
std::string_view Llama3Pattern();

//! One chat turn; `content` is plain text.
struct ChatMessage {
  std::string role;  //!< "system", "user", "assistant", ...
  std::string content;
};

struct ChatTemplateOptions {
  //! Append the header that opens the assistant's turn.
  bool add_generation_prompt = true;
  //! Llama-3.1+ "Today Date: ..." line. Unset: what the template does under `transformers`:
  //! today's date ("%d %b %Y", local time) when it calls strftime_now, else its literal default.
  std::optional<std::string> date_string;
};

//! A `chat_template` recognised as one of the supported families and rendered by built-in code
//! that gives the same text as the Jinja template under `transformers` (trim_blocks,
//! lstrip_blocks) for messages with a role and string content:
//!  - Llama-3 (marker "<|start_header_id|>"): 3.0 style (bos + per message header, content|trim,
//!    <|eot_id|>) and 3.1/3.2/3.3 style (always a system block with "Cutting Knowledge Date" and
//!    "Today Date", the first system message's content trimmed into it);
//!  - ChatML (marker "<|im_start|>"): Qwen2/Qwen2.5 (a default system prompt when the first message
//!    is not a system one, taken from the template) and plain ChatML without one.
//! Not supported: tool calls and tool/ipython roles where the template treats them specially,
//! Qwen3-style <think> templates, anything else (Parse fails naming the template).
class ChatTemplate {
 public:
  enum class Family { kLlama3, kLlama31, kChatML };

  //! Recognises `source`; `bos_token` is what the template's bos_token variable holds.
  static Result<ChatTemplate> Parse(std::string_view source, std::string bos_token);

  //! The prompt text (to encode with allow_special). Fails on an empty conversation and on
  //! roles the template would send down its tool path.
  Result<std::string> Render(std::span<const ChatMessage> messages,
                             const ChatTemplateOptions& options = {}) const;

  Family family() const { return family_; }
  //! ChatML: the system prompt inserted when the conversation has none ("" for plain ChatML).
  const std::string& default_system() const { return default_system_; }

  //! The reference templates, for tokenizers this project writes and for tests.
  static std::string_view Llama3Source();  //!< as in Meta-Llama-3-8B-Instruct
  static std::string_view ChatMLSource();  //!< plain ChatML, no default system prompt
  static std::string_view Qwen2Source();   //!< as in Qwen2-7B-Instruct

 private:
  Family family_ = Family::kChatML;
  std::string bos_token_;
  bool bos_ = false;   //!< Llama-3: the template emits bos_token first
  bool trim_ = false;  //!< Llama-3.0: content | trim
  std::string default_system_;
  std::string knowledge_date_;    //!< Llama-3.1: "December 2023"
  std::string default_date_;      //!< Llama-3.1: literal date_string default
  bool date_from_clock_ = false;  //!< Llama-3.1: strftime_now("%d %b %Y")
  bool special_tool_role_ = false;
};

//! A loaded byte-level BPE tokenizer. Movable, not copyable.
class Tokenizer {
 public:
  //! Reads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json,
  //! DIR/special_tokens_map.json (its bos/eos/pad tokens override the config's, as in
  //! transformers) and DIR/chat_template.jinja (used when the config has no chat_template).
  static Result<Tokenizer> FromDirectory(const std::filesystem::path& dir);
  //! Reads the given files; errors name the file and the field.
  static Result<Tokenizer> FromFiles(const std::filesystem::path& tokenizer_json,
                                     const std::optional<std::filesystem::path>& config_json = {});
  //! Parses JSON text (errors say "tokenizer.json" / "tokenizer_config.json").
  static Result<Tokenizer> FromJson(std::string_view tokenizer_json,
                                    std::string_view config_json = {});

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  //! Token ids of `text` (any bytes; see ReplaceInvalidUtf8). With `allow_special` false, special
  //! added tokens written in the text are encoded as ordinary text (the reference's
  //! encode_special_tokens / split_special_tokens); non-special added tokens always match.
  //! `add_special_tokens` applies the post_processor (Llama-3's prepends <|begin_of_text|>).
  std::vector<int32_t> Encode(std::string_view text, bool allow_special,
                              bool add_special_tokens = false) const;
  //! Bytes of the tokens (unknown ids are skipped, as the reference does); with `skip_special`
  //! the special added tokens are left out. May end in (or hold) incomplete UTF-8.
  std::string Decode(std::span<const int32_t> ids, bool skip_special = false) const;

  //! The pre-tokens of `text` after normalization and pre-tokenization, as text (before the byte
  //! mapping), without added-token extraction. For tests and diagnostics.
  std::vector<std::string> PreTokenize(std::string_view text) const;

  //! Added tokens first, then the model vocabulary (as the reference).
  std::optional<int32_t> TokenToId(std::string_view token) const;
  //! The vocabulary string of `id` (byte-level form, e.g. "Ġthe"), nullopt when unknown.
  std::optional<std::string_view> IdToToken(int32_t id) const;
  //! What Decode writes for `id` alone ("" when unknown).
  std::string_view TokenBytes(int32_t id) const;
  //! True for ids of added tokens marked special.
  bool IsSpecial(int32_t id) const;
  //! One more than the largest id (model vocabulary and added tokens).
  int32_t vocab_size() const;

  //! From tokenizer_config.json / special_tokens_map.json (bos_token, eos_token, pad_token: a
  //! string or {"content": ...}); nullopt when absent or null.
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> pad_id() const;
  const std::string& bos_token() const;  //!< "" when none
  const std::string& eos_token() const;  //!< "" when none

  //! True when tokenizer_config.json has a chat_template (recognised or not).
  bool has_chat_template() const;
  //! Renders with the checkpoint's chat_template; fails when there is none or when it is not
  //! one of the supported families (the message says which).
  Result<std::string> ApplyChatTemplate(std::span<const ChatMessage> messages,
                                        const ChatTemplateOptions& options = {}) const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! Turns a stream of ids into text pieces as they arrive: each Put returns the newly completed
//! UTF-8 text (possibly empty) and holds back a trailing incomplete sequence. Bytes that can never
//! become valid UTF-8 come out as U+FFFD right away, so the concatenation of all Put results and
//! Flush equals ReplaceInvalidUtf8(tokenizer.Decode(all ids, skip_special)).
//! The Tokenizer must outlive it.
class TokenStreamDecoder {
 public:
  explicit TokenStreamDecoder(const Tokenizer& tokenizer, bool skip_special = false)
      : tokenizer_(&tokenizer), skip_special_(skip_special) {}

  std::string Put(int32_t id);
  //! Ends the stream: a held-back incomplete sequence comes out as U+FFFD.
  std::string Flush();
  //! Bytes held back, waiting for the rest of a UTF-8 sequence.
  size_t pending() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;
};

//! What WriteByteLevelTokenizer writes besides the 256 byte tokens.
struct ByteLevelTokenizerOptions {
  enum class PreTokenizer {
    kLlama3,  //!< Sequence[Split(Llama-3 regex, Isolated), ByteLevel(use_regex=false)]
    kGpt2,    //!< ByteLevel(use_regex=true)
  };
  //! Merges in rank order, as raw byte strings (left, right); each side must already be a token
  //! (a byte or an earlier merge). The merged string gets the next id unless an earlier merge
  //! already made it.
  std::vector<std::pair<std::string, std::string>> merges;
  //! Special added tokens, given ids right after the merges.
  std::vector<std::string> special_tokens = {"<|begin_of_text|>", "<|end_of_text|>"};
  std::string bos_token = "<|begin_of_text|>";  //!< "" for none; must be in special_tokens
  std::string eos_token = "<|end_of_text|>";    //!< "" for none; must be in special_tokens
  PreTokenizer pre_tokenizer = PreTokenizer::kLlama3;
  bool ignore_merges = true;  //!< as Llama-3
  bool add_bos = false;       //!< post_processor prepends bos_token (TemplateProcessing)
  std::string chat_template;  //!< written to tokenizer_config.json when non-empty
};

//! Writes DIR/tokenizer.json and DIR/tokenizer_config.json (creating DIR) for a byte-level BPE
//! tokenizer of exactly `vocab_size` ids: bytes 0..255 in bytes_to_unicode order (ids 0..255,
//! see ByteLevelRank), then the merges, then the special tokens, then
//! "<|reserved_special_token_N|>" special tokens up to vocab_size. Fails when vocab_size is too
//! small for what was asked.
Status WriteByteLevelTokenizer(const std::filesystem::path& dir, int32_t vocab_size,
                               const ByteLevelTokenizerOptions& options = {});

//! The pre-tokens (raw bytes, before the byte mapping) that a tokenizer written by
//! WriteByteLevelTokenizer with pre-tokenizer `kind` makes of `text`: invalid UTF-8 replaced as
//! in Encode, no normalizer (those files have none), no added-token extraction. The same code as
//! the loaded tokenizer's; the regex is compiled once per process. Thread-safe.
Result<std::vector<std::string>> PreTokenize(std::string_view text,
                                             ByteLevelTokenizerOptions::PreTokenizer kind);

}  // namespace tributary::model
