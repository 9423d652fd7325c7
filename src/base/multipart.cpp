#include "tributary/base/multipart.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace tributary {
namespace {

Status Bad(std::string msg) { return Status::InvalidArgument(std::move(msg), "bad_multipart"); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// A header value of the form `type; key=value; key="quoted value"`: the type and its parameters.
struct HeaderValue {
  std::string_view type;
  std::vector<std::pair<std::string_view, std::string_view>> params;

  std::optional<std::string_view> Param(std::string_view key) const {
    for (const auto& [k, v] : params) {
      if (EqualsIgnoreCase(k, key)) return v;
    }
    return std::nullopt;
  }
};

Result<HeaderValue> SplitHeaderValue(std::string_view text, std::string_view what) {
  HeaderValue out;
  size_t semi = text.find(';');
  out.type = Trim(text.substr(0, semi));
  size_t pos = semi == std::string_view::npos ? text.size() : semi + 1;
  while (pos < text.size()) {
    size_t eq = text.find('=', pos);
    size_t next_semi = text.find(';', pos);
    if (eq == std::string_view::npos || (next_semi != std::string_view::npos && next_semi < eq)) {
      // A parameter without a value ("; ;" or a bare word): skip it.
      if (next_semi == std::string_view::npos) break;
      pos = next_semi + 1;
      continue;
    }
    std::string_view key = Trim(text.substr(pos, eq - pos));
    size_t v = eq + 1;
    while (v < text.size() && (text[v] == ' ' || text[v] == '\t')) ++v;
    std::string_view value;
    if (v < text.size() && text[v] == '"') {
      size_t close = text.find('"', v + 1);
      if (close == std::string_view::npos) {
        return Bad(std::string(what) + ": the quoted value of '" + std::string(key) +
                   "' has no closing quote");
      }
      value = text.substr(v + 1, close - v - 1);
      pos = close + 1;
      size_t after = text.find(';', pos);
      pos = after == std::string_view::npos ? text.size() : after + 1;
    } else {
      size_t end = text.find(';', v);
      value =
          Trim(text.substr(v, end == std::string_view::npos ? std::string_view::npos : end - v));
      pos = end == std::string_view::npos ? text.size() : end + 1;
    }
    out.params.emplace_back(key, value);
  }
  return out;
}

// RFC 2046's bchars: what a boundary may hold (a space too, but not last).
bool IsBoundaryChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// A delimiter line found in the body: the content before it ends at `content_end` (the CRLF that
// belongs to the delimiter), and the next part's headers start at `next`.
struct Delimiter {
  size_t content_end;
  size_t next;
  bool close;
};

// The first delimiter line at or after `from`: CRLF "--" boundary (or the body's start when
// `at_start` holds), followed by "--" (the close delimiter) or by optional spaces and tabs and a
// CRLF. A match followed by anything else is content that merely starts like the boundary.
std::optional<Delimiter> FindDelimiter(std::string_view body, std::string_view dash_boundary,
                                       size_t from, bool at_start) {
  auto classify = [&](size_t content_end, size_t after) -> std::optional<Delimiter> {
    if (body.substr(after, 2) == "--") return Delimiter{content_end, after + 2, true};
    size_t p = after;
    while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) ++p;
    if (body.substr(p, 2) == "\r\n") return Delimiter{content_end, p + 2, false};
    return std::nullopt;
  };
  if (at_start && body.substr(0, dash_boundary.size()) == dash_boundary) {
    if (auto d = classify(0, dash_boundary.size())) return d;
  }
  for (size_t pos = from; pos < body.size();) {
    size_t crlf = body.find("\r\n", pos);
    if (crlf == std::string_view::npos) return std::nullopt;
    if (body.substr(crlf + 2, dash_boundary.size()) == dash_boundary) {
      if (auto d = classify(crlf, crlf + 2 + dash_boundary.size())) return d;
    }
    pos = crlf + 2;
  }
  return std::nullopt;
}

Status ParsePartHeaders(std::string_view block, const std::string& where, FormPart* part) {
  // Obsolete line folding would let a later line change an earlier header: refuse it first.
  if (block.find("\r\n ") != std::string_view::npos ||
      block.find("\r\n\t") != std::string_view::npos ||
      (!block.empty() && (block.front() == ' ' || block.front() == '\t'))) {
    return Bad(where + ": folded header lines are not accepted");
  }
  bool have_disposition = false;
  size_t pos = 0;
  while (pos < block.size()) {
    size_t end = block.find("\r\n", pos);
    std::string_view line =
        block.substr(pos, end == std::string_view::npos ? block.size() - pos : end - pos);
    pos = end == std::string_view::npos ? block.size() : end + 2;
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Bad(where + ": a header line has no name (\"Name: value\" expected)");
    }
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Disposition")) {
      if (have_disposition) return Bad(where + ": two Content-Disposition headers");
      have_disposition = true;
      TRIB_ASSIGN_OR_RETURN(HeaderValue v, SplitHeaderValue(value, where));
      if (!EqualsIgnoreCase(v.type, "form-data")) {
        return Bad(where + ": Content-Disposition is '" + std::string(v.type) + "', not form-data");
      }
      auto field = v.Param("name");
      if (!field || field->empty()) return Bad(where + ": Content-Disposition has no name");
      part->name = std::string(*field);
      if (auto filename = v.Param("filename")) part->filename = std::string(*filename);
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      part->content_type = std::string(value);
    }
  }
  if (!have_disposition) return Bad(where + ": no Content-Disposition header");
  return Status::OK();
}

}  // namespace

bool IsMultipartFormData(std::string_view content_type) {
  size_t semi = content_type.find(';');
  return EqualsIgnoreCase(Trim(content_type.substr(0, semi)), "multipart/form-data");
}

Result<std::string> MultipartBoundary(std::string_view content_type) {
  TRIB_ASSIGN_OR_RETURN(HeaderValue v, SplitHeaderValue(content_type, "Content-Type"));
  if (!EqualsIgnoreCase(v.type, "multipart/form-data")) {
    return Bad("Content-Type is '" + std::string(v.type) + "', not multipart/form-data");
  }
  auto boundary = v.Param("boundary");
  if (!boundary || boundary->empty()) return Bad("multipart/form-data without a boundary");
  if (boundary->size() > 70) return Bad("the boundary is longer than 70 characters");
  if (boundary->back() == ' ' || !std::all_of(boundary->begin(), boundary->end(), IsBoundaryChar)) {
    return Bad("the boundary holds characters RFC 2046 does not allow");
  }
  return std::string(*boundary);
}

Result<std::vector<FormPart>> ParseMultipartForm(std::string_view body, std::string_view boundary,
                                                 const MultipartLimits& limits) {
  if (boundary.empty()) return Bad("the boundary is empty");
  const std::string dash_boundary = "--" + std::string(boundary);
  auto opening = FindDelimiter(body, dash_boundary, 0, /*at_start=*/true);
  if (!opening)
    return Bad("the body never starts a part (no '--" + std::string(boundary) + "' line)");
  std::vector<FormPart> parts;
  Delimiter d = *opening;
  while (!d.close) {
    if (parts.size() == limits.max_parts) {
      return Bad("more than " + std::to_string(limits.max_parts) + " parts");
    }
    const std::string where = "part " + std::to_string(parts.size() + 1);
    FormPart part;
    size_t content_start;
    if (body.substr(d.next, 2) == "\r\n") {
      content_start = d.next + 2;  // no headers at all: caught below as no Content-Disposition
      TRIB_RETURN_IF_ERROR(ParsePartHeaders({}, where, &part));
    } else {
      std::string_view window = body.substr(d.next, limits.max_header_bytes + 4);
      size_t end = window.find("\r\n\r\n");
      if (end == std::string_view::npos) {
        return Bad(window.size() > limits.max_header_bytes
                       ? where + ": headers longer than " +
                             std::to_string(limits.max_header_bytes) + " bytes"
                       : where + ": the headers never end (no blank line)");
      }
      TRIB_RETURN_IF_ERROR(ParsePartHeaders(window.substr(0, end), where, &part));
      content_start = d.next + end + 4;
    }
    // The content may be empty, in which case its closing CRLF starts right at content_start.
    auto next = FindDelimiter(body, dash_boundary, content_start, /*at_start=*/false);
    if (!next) return Bad(where + " never ends (no closing boundary)");
    part.content = body.substr(content_start, next->content_end - content_start);
    parts.push_back(std::move(part));
    d = *next;
  }
  return parts;
}

}  // namespace tributary
