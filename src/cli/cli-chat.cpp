// `tributary chat` and `tributary complete`: the node's OpenAI routes from the command line,
// streamed as the answer is produced.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"

namespace tributary::cli {

namespace {

using json = nlohmann::json;

json SamplingFields(const ChatArgs& a) {
  json body = {{"model", a.model}, {"temperature", a.temperature}};
  if (a.max_tokens > 0) body["max_tokens"] = a.max_tokens;
  if (a.seed) body["seed"] = *a.seed;
  if (!a.stop.empty()) body["stop"] = a.stop;
  return body;
}

// One request; prints the text as it streams (unless --json) and returns the final usage and
// Tributary extras.
Result<json> Ask(const Common& c, const std::string& path, json body, std::string* text) {
  json last = json::object();
  std::string finish;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  const bool chat = path == "/v1/chat/completions";
  Status s = NodeStream(c, path, body, [&](const json& event) {
    if (event.contains("usage")) last["usage"] = event["usage"];
    if (event.contains("tributary")) last["tributary"] = event["tributary"];
    if (!event.contains("choices") || event["choices"].empty()) return;
    const json& choice = event["choices"][0];
    std::string piece;
    if (chat && choice.contains("delta") && choice["delta"].contains("content") &&
        choice["delta"]["content"].is_string()) {
      piece = choice["delta"]["content"];
    } else if (!chat && choice.contains("text") && choice["text"].is_string()) {
      piece = choice["text"];
    }
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
      finish = choice["finish_reason"];
    }
    *text += piece;
    if (!c.json && !piece.empty()) std::cout << piece << std::flush;
  });
  if (!s.ok()) return s;
  last["finish_reason"] = finish;
  return last;
}

void PrintDone(const Common& c, const std::string& text, const json& last) {
  if (c.json) {
    PrintJson({{"text", text},
               {"finish_reason", last.value("finish_reason", "")},
               {"usage", last.value("usage", json::object())},
               {"tributary", last.value("tributary", json::object())}});
  } else {
    std::cout << "\n";
  }
}

}  // namespace

int RunChat(const Common& common, const ChatArgs& args) {
  json messages = json::array();
  if (!args.system.empty()) messages.push_back({{"role", "system"}, {"content", args.system}});
  auto turn = [&](const std::string& user) -> int {
    messages.push_back({{"role", "user"}, {"content", user}});
    json body = SamplingFields(args);
    body["messages"] = messages;
    std::string text;
    auto last = Ask(common, "/v1/chat/completions", body, &text);
    if (!last.ok()) {
      if (!common.json && !text.empty()) std::cout << "\n";
      messages.erase(messages.end() - 1);
      return Fail(last.status());
    }
    messages.push_back({{"role", "assistant"}, {"content", text}});
    PrintDone(common, text, *last);
    return 0;
  };
  if (!args.prompt.empty()) return turn(args.prompt);
  // Interactive: one line a turn, the conversation kept; an empty line or EOF ends it.
  const bool tty = ::isatty(STDIN_FILENO);
  if (tty) std::cerr << "chatting with " << args.model << " (empty line or Ctrl-D ends)\n";
  std::string line;
  int rc = 0;
  while (true) {
    if (tty) std::cerr << "> " << std::flush;
    if (!std::getline(std::cin, line) || line.empty()) break;
    rc = turn(line);
    if (rc != 0 && !tty) return rc;
  }
  return rc;
}

int RunComplete(const Common& common, const ChatArgs& args) {
  if (args.prompt.empty()) {
    return Fail(Status::InvalidArgument("--prompt is required", "missing_prompt"));
  }
  json body = SamplingFields(args);
  body["prompt"] = args.prompt;
  std::string text;
  auto last = Ask(common, "/v1/completions", body, &text);
  if (!last.ok()) return Fail(last.status());
  PrintDone(common, text, *last);
  return 0;
}

}  // namespace tributary::cli
