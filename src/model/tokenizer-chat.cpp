// Chat templates: the Llama-3 and ChatML families, recognised by their markers and rendered by
// code that gives the text their Jinja templates give under `transformers`.
//
// Why not a Jinja interpreter: no maintained C++ Jinja library is packaged for Debian, the
// templates this project must read come in a handful of known shapes, and an interpreter for the
// subset they use (namespaces, slicing, filters, tool calls) would be far more code to trust than
// the few lines per family below. Templates outside these shapes are refused, never guessed.

#include <ctime>
#include <string>

#include "tributary/base/unicode.h"
#include "tributary/model/tokenizer.h"

namespace tributary::model {
namespace {

constexpr std::string_view kLlama3 =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
    "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif "
    "%}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

constexpr std::string_view kChatML =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
    "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' "
    "}}{% endif %}";

constexpr std::string_view kQwen2 =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif "
    "%}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + "
    "'\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

bool Has(std::string_view s, std::string_view marker) {
  return s.find(marker) != std::string_view::npos;
}

Status Unsupported(std::string_view what) {
  return Status::InvalidArgument("unsupported chat template: " + std::string(what),
                                 "unsupported_chat_template");
}

// Python's str.isspace() set, which Jinja's `trim` filter (str.strip) uses.
bool IsPySpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// Jinja's `trim`: Python's str.strip().
std::string PyStrip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    const DecodedCodePoint d = DecodeUtf8(s, begin);
    if (!IsPySpace(d.cp)) break;
    begin += d.len;
  }
  size_t end = begin, last_end = begin;
  while (end < s.size()) {
    const DecodedCodePoint d = DecodeUtf8(s, end);
    end += d.len;
    if (!IsPySpace(d.cp)) last_end = end;
  }
  return std::string(s.substr(begin, last_end - begin));
}

// A Jinja string literal's escapes (Python unicode-escape) for the plain text this code reads
// out of templates: \n, \t, \\, \', \".
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char c = s[++i];
      out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Literal text after `marker` up to the next quote, backslash or newline.
std::string TextAfter(std::string_view src, std::string_view marker) {
  const size_t at = src.find(marker);
  if (at == std::string_view::npos) return {};
  const size_t from = at + marker.size();
  const size_t to = src.find_first_of("'\"\\\n", from);
  return std::string(src.substr(from, to == std::string_view::npos ? to : to - from));
}

// The first string literal assigned by `set NAME = '...'` (or "..."), if any.
std::optional<std::string> LiteralAssigned(std::string_view src, std::string_view name) {
  const std::string needle = "set " + std::string(name) + " =";
  for (size_t at = src.find(needle); at != std::string_view::npos; at = src.find(needle, at + 1)) {
    size_t i = at + needle.size();
    while (i < src.size() && src[i] == ' ') ++i;
    if (i >= src.size() || (src[i] != '"' && src[i] != '\'')) continue;
    const char quote = src[i];
    const size_t end = src.find(quote, i + 1);
    if (end == std::string_view::npos) continue;
    return Unescape(src.substr(i + 1, end - i - 1));
  }
  return std::nullopt;
}

// ChatML's default system prompt: a literal '<|im_start|>system\n...<|im_end|>' in the template
// (Qwen2: "You are a helpful assistant.", Qwen2.5: "You are Qwen, created by Alibaba Cloud...").
// Occurrences built from message content (quotes before <|im_end|>) are not defaults.
std::string DefaultSystem(std::string_view src) {
  constexpr std::string_view kHead = "<|im_start|>system";
  constexpr std::string_view kEnd = "<|im_end|>";
  for (size_t at = src.find(kHead); at != std::string_view::npos; at = src.find(kHead, at + 1)) {
    size_t i = at + kHead.size();
    if (src.compare(i, 2, "\\n") == 0) {
      i += 2;
    } else if (i < src.size() && src[i] == '\n') {
      i += 1;
    } else {
      continue;
    }
    const size_t end = src.find(kEnd, i);
    if (end == std::string_view::npos) continue;
    const std::string_view text = src.substr(i, end - i);
    if (text.empty() || text.find_first_of("'\"{}") != std::string_view::npos) continue;
    return Unescape(text);
  }
  return {};
}

std::string Today() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%d %b %Y", &local);
  return buf;
}

}  // namespace

std::string_view ChatTemplate::Llama3Source() { return kLlama3; }
std::string_view ChatTemplate::ChatMLSource() { return kChatML; }
std::string_view ChatTemplate::Qwen2Source() { return kQwen2; }

Result<ChatTemplate> ChatTemplate::Parse(std::string_view src, std::string bos_token) {
  ChatTemplate t;
  t.bos_token_ = std::move(bos_token);
  if (Has(src, "<|start_header_id|>")) {
    if (!Has(src, "<|end_header_id|>") || !Has(src, "<|eot_id|>")) {
      return Unsupported("has <|start_header_id|> but not <|end_header_id|> and <|eot_id|>");
    }
    t.bos_ = Has(src, "bos_token");
    if (!t.bos_ && Has(src, "<|begin_of_text|>")) {  // the literal instead of the variable
      t.bos_ = true;
      t.bos_token_ = "<|begin_of_text|>";
    }
    if (Has(src, "<|image|>")) return Unsupported("Llama-3.2 Vision (<|image|>)");
    if (Has(src, "Cutting Knowledge Date:")) {
      t.family_ = Family::kLlama31;
      t.knowledge_date_ = TextAfter(src, "Cutting Knowledge Date: ");
      t.default_date_ = LiteralAssigned(src, "date_string").value_or("26 Jul 2024");
      t.date_from_clock_ = Has(src, "strftime_now");
      t.special_tool_role_ = true;
    } else {
      t.family_ = Family::kLlama3;
      t.trim_ = Has(src, "| trim") || Has(src, "|trim");
    }
    return t;
  }
  if (Has(src, "<|im_start|>")) {
    if (!Has(src, "<|im_end|>")) return Unsupported("has <|im_start|> but not <|im_end|>");
    if (Has(src, "<think>")) return Unsupported("ChatML with <think> reasoning blocks (Qwen3)");
    t.family_ = Family::kChatML;
    t.default_system_ = DefaultSystem(src);
    t.special_tool_role_ = Has(src, "<tool_response>");
    return t;
  }
  return Unsupported(
      "not recognised (supported: the Llama-3 family, marked by <|start_header_id|>, and ChatML, "
      "marked by <|im_start|>)");
}

Result<std::string> ChatTemplate::Render(std::span<const ChatMessage> messages,
                                         const ChatTemplateOptions& options) const {
  if (messages.empty()) return Status::InvalidArgument("chat: no messages", "no_messages");
  std::string out;
  switch (family_) {
    case Family::kLlama3: {
      for (size_t i = 0; i < messages.size(); ++i) {
        if (i == 0 && bos_) out += bos_token_;
        out += "<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n";
        out += trim_ ? PyStrip(messages[i].content) : messages[i].content;
        out += "<|eot_id|>";
      }
      if (options.add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    }
    case Family::kLlama31: {
      if (bos_) out += bos_token_;
      size_t first = 0;
      std::string system;
      if (messages[0].role == "system") {
        system = PyStrip(messages[0].content);
        first = 1;
      }
      const std::string date = options.date_string ? *options.date_string
                               : date_from_clock_  ? Today()
                                                   : default_date_;
      out += "<|start_header_id|>system<|end_header_id|>\n\n";
      out += "Cutting Knowledge Date: " + knowledge_date_ + "\n";
      out += "Today Date: " + date + "\n\n";
      out += system + "<|eot_id|>";
      for (size_t i = first; i < messages.size(); ++i) {
        const std::string& role = messages[i].role;
        if (role == "ipython" || role == "tool") {
          return Status::InvalidArgument(
              "chat: role '" + role + "' (tool results) is not supported",
              "unsupported_chat_message");
        }
        out += "<|start_header_id|>" + role + "<|end_header_id|>\n\n";
        out += PyStrip(messages[i].content) + "<|eot_id|>";
      }
      if (options.add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    }
    case Family::kChatML: {
      if (!default_system_.empty() && messages[0].role != "system") {
        out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
      }
      for (const ChatMessage& m : messages) {
        if (special_tool_role_ && m.role == "tool") {
          return Status::InvalidArgument("chat: role 'tool' (tool results) is not supported",
                                         "unsupported_chat_message");
        }
        out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      }
      if (options.add_generation_prompt) out += "<|im_start|>assistant\n";
      return out;
    }
  }
  return Status::Internal("chat: unknown template family");
}

}  // namespace tributary::model
