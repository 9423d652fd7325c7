// Loading tokenizer.json and tokenizer_config.json into Tokenizer::Impl; every error names the
// file and the field.

#include <algorithm>
#include <unordered_set>

#include "model/tokenizer-internal.h"

namespace tributary::model {

using nlohmann::json;
using namespace tokenizer_detail;

namespace tokenizer_detail {

Status Bad(std::string_view file, std::string_view field, std::string_view problem) {
  return Status::InvalidArgument(
      std::string(file) + ": " + std::string(field) + ": " + std::string(problem), "bad_tokenizer");
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s.size() > 60 ? std::string(s.substr(0, 60)) + "..." : std::string(s);
  out += "'";
  return out;
}

std::string TypeName(const json& j) { return j.type_name(); }

Result<json> ParseJson(std::string_view text, std::string_view file) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string(file) + ": malformed JSON: " + e.what(),
                                   "bad_tokenizer");
  }
}

// Optional boolean field; `fallback` when absent or null.
Result<bool> GetBool(const json& obj, const char* key, bool fallback, std::string_view file,
                     const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return Bad(file, field + "." + key, "expected a boolean, got " + TypeName(*it));
  return it->get<bool>();
}

// A special token in tokenizer_config.json: a string, {"content": ...}, or null/absent ("").
Result<std::string> GetSpecialToken(const json& config, const char* key, std::string_view file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return c->get<std::string>();
  }
  return Bad(file, key,
             "expected a string or an object with a string \"content\", got " + TypeName(*it));
}

}  // namespace tokenizer_detail

Status Tokenizer::Impl::LoadModel(const json& model, std::string_view file) {
  if (!model.is_object()) return Bad(file, "model", "expected an object, got " + TypeName(model));
  auto type = model.find("type");
  if (type != model.end() && !type->is_null()) {
    if (!type->is_string()) return Bad(file, "model.type", "expected a string");
    if (*type != "BPE") {
      return Bad(file, "model.type",
                 "unsupported model " + Quote(type->get<std::string>()) + " (only BPE)");
    }
  }
  auto v = model.find("vocab");
  if (v == model.end() || v->is_null()) return Bad(file, "model.vocab", "missing");
  if (!v->is_object()) {
    return Bad(file, "model.vocab", "expected an object of token -> id, got " + TypeName(*v));
  }
  vocab.reserve(v->size());
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX) {
      return Bad(file, "model.vocab[" + Quote(it.key()) + "]", "expected an id >= 0");
    }
    vocab.emplace(it.key(), static_cast<int32_t>(it.value().get<int64_t>()));
  }

  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto f = model.find(key);
    if (f != model.end() && !f->is_null() && !(f->is_string() && f->get<std::string>().empty())) {
      return Bad(file, std::string("model.") + key, "not supported for byte-level BPE");
    }
  }
  auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() && !dropout->is_number()) {
    return Bad(file, "model.dropout", "expected a number or null");
  }  // a dropout is ignored: inference encodes deterministically
  TRIB_ASSIGN_OR_RETURN(ignore_merges, GetBool(model, "ignore_merges", false, file, "model"));
  TRIB_ASSIGN_OR_RETURN(bool byte_fallback, GetBool(model, "byte_fallback", false, file, "model"));
  TRIB_ASSIGN_OR_RETURN(bool fuse_unk, GetBool(model, "fuse_unk", false, file, "model"));
  (void)fuse_unk;  // unknown bytes are validated away below; one unk per byte is what remains
  std::optional<int32_t> unk_id;
  auto unk = model.find("unk_token");
  if (unk != model.end() && !unk->is_null()) {
    if (!unk->is_string()) return Bad(file, "model.unk_token", "expected a string or null");
    auto it = vocab.find(unk->get<std::string>());
    if (it == vocab.end()) {
      return Bad(file, "model.unk_token",
                 Quote(unk->get<std::string>()) + " is not in model.vocab");
    }
    unk_id = it->second;
  }

  auto m = model.find("merges");
  if (m != model.end() && !m->is_null()) {
    if (!m->is_array()) return Bad(file, "model.merges", "expected an array, got " + TypeName(*m));
    merges.reserve(m->size());
    for (size_t rank = 0; rank < m->size(); ++rank) {
      const json& e = (*m)[rank];
      const std::string field = "model.merges[" + std::to_string(rank) + "]";
      std::string a, b;
      if (e.is_string()) {  // "a b": tokens cannot hold a space in this form
        const std::string& s = e.get_ref<const std::string&>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
          return Bad(file, field, "expected two tokens separated by one space, got " + Quote(s));
        }
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
        a = e[0].get<std::string>();
        b = e[1].get<std::string>();
      } else {
        return Bad(file, field, "expected \"a b\" or [\"a\", \"b\"], got " + e.dump());
      }
      auto ia = vocab.find(a), ib = vocab.find(b), ic = vocab.find(a + b);
      if (ia == vocab.end()) return Bad(file, field, Quote(a) + " is not in model.vocab");
      if (ib == vocab.end()) return Bad(file, field, Quote(b) + " is not in model.vocab");
      if (ic == vocab.end()) {
        return Bad(file, field, "merged token " + Quote(a + b) + " is not in model.vocab");
      }
      const uint64_t k = (static_cast<uint64_t>(static_cast<uint32_t>(ia->second)) << 32) |
                         static_cast<uint32_t>(ib->second);
      merges[k] = {static_cast<int32_t>(rank), ic->second};  // a later duplicate wins, as there
    }
  }

  // The symbols each raw byte starts as. A byte whose character is missing falls back to <0xNN>
  // tokens for that character's UTF-8 (the reference applies byte_fallback to the character the
  // model sees) or to unk_token; a byte with none of these is dropped from the input, as the
  // reference drops it. Real vocabularies do lack some: SmolLM2's has no token for 21 bytes (a
  // few control characters and bytes that never occur in UTF-8, such as 0xC0 and 0xF5-0xFF).
  for (int byte = 0; byte < 256; ++byte) {
    const std::string ch(ByteLevelChar(static_cast<uint8_t>(byte)));
    auto it = vocab.find(ch);
    auto& syms = byte_symbols[byte];
    if (it != vocab.end()) {
      syms = {it->second};
      continue;
    }
    if (byte_fallback) {
      std::vector<int32_t> ids;
      for (char c : ch) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<uint8_t>(c));
        auto f = vocab.find(name);
        if (f == vocab.end()) break;
        ids.push_back(f->second);
      }
      if (ids.size() == ch.size()) {
        syms = std::move(ids);
        continue;
      }
    }
    if (unk_id) {
      syms = {*unk_id};
      continue;
    }
    syms.clear();
  }
  return Status::OK();
}

Status Tokenizer::Impl::LoadAddedTokens(const json& list, std::string_view file) {
  if (list.is_null()) return Status::OK();
  if (!list.is_array())
    return Bad(file, "added_tokens", "expected an array, got " + TypeName(list));
  added.reserve(list.size());
  std::unordered_map<int32_t, std::string> by_id;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string field = "added_tokens[" + std::to_string(i) + "]";
    if (!e.is_object()) return Bad(file, field, "expected an object, got " + TypeName(e));
    AddedToken t;
    auto id = e.find("id");
    if (id == e.end() || !id->is_number_integer() || id->get<int64_t>() < 0 ||
        id->get<int64_t>() > INT32_MAX) {
      return Bad(file, field + ".id", "expected an id >= 0");
    }
    t.id = static_cast<int32_t>(id->get<int64_t>());
    auto content = e.find("content");
    if (content == e.end() || !content->is_string() || content->get<std::string>().empty()) {
      return Bad(file, field + ".content", "expected a non-empty string");
    }
    t.content = content->get<std::string>();
    TRIB_ASSIGN_OR_RETURN(t.special, GetBool(e, "special", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.single_word, GetBool(e, "single_word", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.lstrip, GetBool(e, "lstrip", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.rstrip, GetBool(e, "rstrip", false, file, field));
    TRIB_ASSIGN_OR_RETURN(t.normalized, GetBool(e, "normalized", !t.special, file, field));
    auto [it, fresh] = by_id.emplace(t.id, t.content);
    if (!fresh && it->second != t.content) {
      return Bad(file, field + ".id",
                 std::to_string(t.id) + " is already used by " + Quote(it->second));
    }
    if (!fresh) continue;
    if (added_by_content.count(t.content)) {
      return Bad(file, field + ".content", Quote(t.content) + " is listed twice with other ids");
    }
    added_by_content.emplace(t.content, t.id);
    added.push_back(std::move(t));
  }
  return Status::OK();
}

Status Tokenizer::Impl::LoadNormalizer(const json& n, std::string_view file,
                                       const std::string& field) {
  if (n.is_null()) return Status::OK();
  if (!n.is_object() || !n.contains("type") || !n["type"].is_string()) {
    return Bad(file, field, "expected null or an object with a \"type\"");
  }
  const std::string type = n["type"];
  if (type == "NFC") {
    nfc = true;
    return Status::OK();
  }
  if (type == "Sequence") {
    auto list = n.find("normalizers");
    if (list == n.end() || !list->is_array()) {
      return Bad(file, field + ".normalizers", "expected an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      TRIB_RETURN_IF_ERROR(
          LoadNormalizer((*list)[i], file, field + ".normalizers[" + std::to_string(i) + "]"));
    }
    return Status::OK();
  }
  return Bad(file, field + ".type", "unsupported normalizer " + Quote(type) + " (null or NFC)");
}

Status Tokenizer::Impl::LoadPreTokenizer(const json& p, std::string_view file,
                                         const std::string& field, bool top_level) {
  if (p.is_null()) return Bad(file, field, "missing (byte-level BPE needs a ByteLevel step)");
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
    return Bad(file, field, "expected an object with a \"type\"");
  }
  const std::string type = p["type"];
  if (type == "Sequence" && top_level) {
    auto list = p.find("pretokenizers");
    if (list == p.end() || !list->is_array()) {
      return Bad(file, field + ".pretokenizers", "expected an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      TRIB_RETURN_IF_ERROR(LoadPreTokenizer(
          (*list)[i], file, field + ".pretokenizers[" + std::to_string(i) + "]", false));
    }
  } else if (type == "ByteLevel") {
    PreTokStep step;
    step.kind = PreTokStep::Kind::kByteLevel;
    TRIB_ASSIGN_OR_RETURN(step.add_prefix_space, GetBool(p, "add_prefix_space", true, file, field));
    TRIB_ASSIGN_OR_RETURN(bool use_regex, GetBool(p, "use_regex", true, file, field));
    if (use_regex) {
      TRIB_ASSIGN_OR_RETURN(step.regex, Regex::Compile(kGpt2Pattern, false, field));
    }
    steps.push_back(std::move(step));
  } else if (type == "Split") {
    PreTokStep step;
    auto pattern = p.find("pattern");
    if (pattern == p.end() || !pattern->is_object()) {
      return Bad(file, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    }
    if (pattern->contains("Regex") && (*pattern)["Regex"].is_string()) {
      TRIB_ASSIGN_OR_RETURN(step.regex,
                            Regex::Compile((*pattern)["Regex"].get<std::string>(), false,
                                           std::string(file) + ": " + field + ".pattern.Regex"));
    } else if (pattern->contains("String") && (*pattern)["String"].is_string()) {
      const std::string s = (*pattern)["String"];
      if (s.empty()) return Bad(file, field + ".pattern.String", "empty");
      TRIB_ASSIGN_OR_RETURN(step.regex, Regex::Compile(s, true, field));
    } else {
      return Bad(file, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    }
    auto behavior = p.find("behavior");
    if (behavior == p.end() || !behavior->is_string()) {
      return Bad(file, field + ".behavior", "expected a string");
    }
    static const std::pair<const char*, Behavior> kBehaviors[] = {
        {"Removed", Behavior::kRemoved},
        {"Isolated", Behavior::kIsolated},
        {"MergedWithPrevious", Behavior::kMergedWithPrevious},
        {"MergedWithNext", Behavior::kMergedWithNext},
        {"Contiguous", Behavior::kContiguous}};
    bool found = false;
    for (const auto& [name, b] : kBehaviors) {
      if (*behavior == name) {
        step.behavior = b;
        found = true;
      }
    }
    if (!found) {
      return Bad(file, field + ".behavior",
                 "unknown behavior " + Quote(behavior->get<std::string>()));
    }
    TRIB_ASSIGN_OR_RETURN(step.invert, GetBool(p, "invert", false, file, field));
    steps.push_back(std::move(step));
  } else if (type == "Digits") {
    PreTokStep step;
    TRIB_ASSIGN_OR_RETURN(bool individual, GetBool(p, "individual_digits", false, file, field));
    TRIB_ASSIGN_OR_RETURN(step.regex, Regex::Compile(R"(\p{N})", false, field));
    step.behavior = individual ? Behavior::kIsolated : Behavior::kContiguous;
    steps.push_back(std::move(step));
  } else {
    return Bad(file, field + ".type",
               "unsupported pre-tokenizer " + Quote(type) +
                   " (ByteLevel, Split, Digits, or a Sequence of them ending in ByteLevel)");
  }
  if (top_level) {
    if (steps.empty() || steps.back().kind != PreTokStep::Kind::kByteLevel) {
      return Bad(file, field, "byte-level BPE needs a ByteLevel pre-tokenizer as the last step");
    }
    for (size_t i = 0; i + 1 < steps.size(); ++i) {
      if (steps[i].kind == PreTokStep::Kind::kByteLevel) {
        return Bad(file, field, "ByteLevel must be the last pre-tokenizer step");
      }
    }
  }
  return Status::OK();
}

Status Tokenizer::Impl::LoadPostProcessor(const json& p, std::string_view file,
                                          const std::string& field) {
  if (p.is_null()) return Status::OK();
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
    return Bad(file, field, "expected null or an object with a \"type\"");
  }
  const std::string type = p["type"];
  if (type == "ByteLevel") return Status::OK();  // offsets only
  if (type == "Sequence") {
    auto list = p.find("processors");
    if (list == p.end() || !list->is_array()) {
      return Bad(file, field + ".processors", "expected an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      TRIB_RETURN_IF_ERROR(
          LoadPostProcessor((*list)[i], file, field + ".processors[" + std::to_string(i) + "]"));
    }
    return Status::OK();
  }
  if (type != "TemplateProcessing") {
    return Bad(file, field + ".type",
               "unsupported post-processor " + Quote(type) +
                   " (ByteLevel, TemplateProcessing or a Sequence of them)");
  }
  if (!prefix.empty() || !suffix.empty()) {
    return Bad(file, field, "more than one TemplateProcessing");
  }
  auto single = p.find("single");
  if (single == p.end() || !single->is_array())
    return Bad(file, field + ".single", "expected an array");
  auto specials = p.find("special_tokens");
  bool seen_a = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const json& item = (*single)[i];
    const std::string f = field + ".single[" + std::to_string(i) + "]";
    if (item.contains("Sequence")) {
      const json& s = item["Sequence"];
      if (!s.is_object() || s.value("id", "") != "A" || seen_a) {
        return Bad(file, f, "expected the one sequence \"A\"");
      }
      seen_a = true;
    } else if (item.contains("SpecialToken") && item["SpecialToken"].is_object() &&
               item["SpecialToken"].contains("id") && item["SpecialToken"]["id"].is_string()) {
      const std::string name = item["SpecialToken"]["id"];
      std::vector<int32_t> ids;
      if (specials != p.end() && specials->is_object() && specials->contains(name)) {
        const json& entry = (*specials)[name];
        if (!entry.contains("ids") || !entry["ids"].is_array()) {
          return Bad(file, field + ".special_tokens[" + Quote(name) + "].ids", "expected an array");
        }
        for (const json& id : entry["ids"]) {
          if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
            return Bad(file, field + ".special_tokens[" + Quote(name) + "].ids", "bad id");
          }
          ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
        }
      } else {
        return Bad(file, f, Quote(name) + " is not in " + field + ".special_tokens");
      }
      auto& dst = seen_a ? suffix : prefix;
      dst.insert(dst.end(), ids.begin(), ids.end());
    } else {
      return Bad(file, f, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    }
  }
  if (!seen_a) return Bad(file, field + ".single", "no sequence \"A\"");
  return Status::OK();
}

Status Tokenizer::Impl::LoadDecoder(const json& d, std::string_view file) {
  if (d.is_null()) return Bad(file, "decoder", "missing (byte-level BPE needs ByteLevel)");
  if (!d.is_object() || !d.contains("type") || !d["type"].is_string()) {
    return Bad(file, "decoder", "expected an object with a \"type\"");
  }
  if (d["type"] != "ByteLevel") {
    return Bad(file, "decoder.type",
               "unsupported decoder " + Quote(d["type"].get<std::string>()) + " (only ByteLevel)");
  }
  return Status::OK();
}

void Tokenizer::Impl::BuildIdTables() {
  int32_t max_id = -1;
  for (const auto& [tok, id] : vocab) max_id = std::max(max_id, id);
  for (const AddedToken& t : added) max_id = std::max(max_id, t.id);
  size = max_id + 1;
  token.assign(size, std::string());
  known.assign(size, 0);
  special.assign(size, 0);
  // Model entries; with duplicate ids the smallest string wins, so the result is deterministic.
  for (const auto& [tok, id] : vocab) {
    if (!known[id] || tok < token[id]) token[id] = tok;
    known[id] = 1;
  }
  for (const AddedToken& t : added) {  // added tokens win, as in the reference's id_to_token
    token[t.id] = t.content;
    known[t.id] = 1;
  }
  std::unordered_set<std::string> special_contents;
  for (const AddedToken& t : added) {
    if (t.special) special_contents.insert(t.content);
  }
  bytes.assign(size, std::string());
  for (int32_t id = 0; id < size; ++id) {
    if (!known[id]) continue;
    // The reference skips by content: any id whose string is a special token's is special.
    special[id] = special_contents.count(token[id]) ? 1 : 0;
    // ByteLevel decoder: a token whose characters are all in the byte alphabet becomes those
    // bytes; any other token is kept as its UTF-8 text.
    std::optional<std::string> raw = ByteLevelDecode(token[id]);
    bytes[id] = raw ? std::move(*raw) : token[id];
  }
  for (const AddedToken& t : added) {
    if (t.normalized) {
      normalized_matcher.Add(nfc ? NormalizeNfc(t.content) : t.content, &t);
    } else {
      raw_matcher.Add(t.content, &t);
    }
  }
  raw_matcher.Finish();
  normalized_matcher.Finish();
}

Status Tokenizer::Impl::LoadConfig(const json& config, std::string_view file,
                                   const json& special_map, std::string_view special_map_file,
                                   std::optional<std::string> extra_template) {
  if (!config.is_object()) return Bad(file, "(top level)", "expected an object");
  if (!special_map.is_null() && !special_map.is_object()) {
    return Bad(special_map_file, "(top level)", "expected an object");
  }
  std::string pad_token;
  // As transformers: special_tokens_map.json, when present, overrides tokenizer_config.json.
  auto read = [&](const char* key, std::string* out, std::optional<int32_t>* id) -> Status {
    std::string_view from = file;
    TRIB_ASSIGN_OR_RETURN(*out, GetSpecialToken(config, key, file));
    if (special_map.is_object() && special_map.contains(key) && !special_map[key].is_null()) {
      from = special_map_file;
      TRIB_ASSIGN_OR_RETURN(*out, GetSpecialToken(special_map, key, special_map_file));
    }
    if (out->empty()) return Status::OK();
    auto it = added_by_content.find(*out);
    if (it != added_by_content.end()) {
      *id = it->second;
      return Status::OK();
    }
    auto v = vocab.find(*out);
    if (v == vocab.end()) return Bad(from, key, Quote(*out) + " is not in the vocabulary");
    *id = v->second;
    return Status::OK();
  };
  TRIB_RETURN_IF_ERROR(read("bos_token", &bos_token, &bos_id));
  TRIB_RETURN_IF_ERROR(read("eos_token", &eos_token, &eos_id));
  TRIB_RETURN_IF_ERROR(read("pad_token", &pad_token, &pad_id));

  std::optional<std::string> source = std::move(extra_template);
  auto t = config.find("chat_template");
  if (t != config.end() && !t->is_null()) {
    if (t->is_string()) {
      source = t->get<std::string>();
    } else if (t->is_array()) {  // [{"name": ..., "template": ...}]: the "default" one
      for (const json& e : *t) {
        if (e.is_object() && e.value("name", "") == "default" && e.contains("template") &&
            e["template"].is_string()) {
          source = e["template"].get<std::string>();
        }
      }
      if (!source) return Bad(file, "chat_template", "no template named \"default\"");
    } else {
      return Bad(file, "chat_template", "expected a string or a list of named templates");
    }
  }
  if (source) {
    has_template = true;
    auto parsed = ChatTemplate::Parse(*source, bos_token);
    if (parsed.ok()) {
      chat_template = std::move(parsed).value();
    } else {
      template_status = parsed.status().WithContext(std::string(file) + ": chat_template");
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<Tokenizer::Impl>> Tokenizer::Impl::Load(
    std::string_view tokenizer_text, std::string_view tokenizer_file, std::string_view config_text,
    std::string_view config_file, std::optional<std::string> extra_template,
    std::string_view special_map_text, std::string_view special_map_file) {
  auto impl = std::make_unique<Impl>();
  TRIB_ASSIGN_OR_RETURN(json root, ParseJson(tokenizer_text, tokenizer_file));
  if (!root.is_object()) return Bad(tokenizer_file, "(top level)", "expected an object");
  auto model = root.find("model");
  if (model == root.end()) return Bad(tokenizer_file, "model", "missing");
  TRIB_RETURN_IF_ERROR(impl->LoadModel(*model, tokenizer_file));
  TRIB_RETURN_IF_ERROR(impl->LoadAddedTokens(root.value("added_tokens", json()), tokenizer_file));
  TRIB_RETURN_IF_ERROR(
      impl->LoadNormalizer(root.value("normalizer", json()), tokenizer_file, "normalizer"));
  TRIB_RETURN_IF_ERROR(impl->LoadPreTokenizer(root.value("pre_tokenizer", json()), tokenizer_file,
                                              "pre_tokenizer", true));
  TRIB_RETURN_IF_ERROR(impl->LoadPostProcessor(root.value("post_processor", json()), tokenizer_file,
                                               "post_processor"));
  TRIB_RETURN_IF_ERROR(impl->LoadDecoder(root.value("decoder", json()), tokenizer_file));
  impl->BuildIdTables();

  if (!config_text.empty() || extra_template || !special_map_text.empty()) {
    json config = json::object();
    if (!config_text.empty()) {
      TRIB_ASSIGN_OR_RETURN(config, ParseJson(config_text, config_file));
    }
    json special_map;
    if (!special_map_text.empty()) {
      TRIB_ASSIGN_OR_RETURN(special_map, ParseJson(special_map_text, special_map_file));
    }
    TRIB_RETURN_IF_ERROR(impl->LoadConfig(config, config_file, special_map, special_map_file,
                                          std::move(extra_template)));
  }
  return impl;
}

}  // namespace tributary::model
