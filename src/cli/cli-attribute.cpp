// `tributary attribute`: which Datanet contributions an answer of a registered model came from
// (span and influence evidence combined, attribution/attributor.h). The node's
// POST /v1/attribution runs it with --request - --json.
#include <iostream>
#include <sstream>

#include "cli/attribution-commands.h"
#include "tributary/attribution/attributor.h"
#include "tributary/factory/data.h"

namespace tributary::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// With --json an error is one JSON object on stdout (the node maps it to its HTTP answer);
// otherwise Fail's one line on stderr.
int FailAttribute(const Common& c, const Status& s) {
  if (!c.json) return Fail(s);
  std::cout << json{{"error",
                     {{"code", s.reason()},
                      {"message", s.message()},
                      {"status", std::string(CodeName(s.code()))}}}}
                   .dump()
            << std::endl;
  return 1;
}

// Fills `a` from a JSON request: {"model", "prompt", "output" | "generate", "max_tokens",
// "method", "min_len", "max_count", "top_k"}.
Status ReadRequest(std::istream& in, AttributeArgs& a, bool* output_given) {
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (!j.is_object())
    return Status::InvalidArgument("the request is not a JSON object", "bad_json");
  auto str = [&](const char* k, std::string& out) -> Status {
    if (!j.contains(k)) return Status::OK();
    if (!j[k].is_string()) return Status::InvalidArgument(std::string(k) + " must be a string");
    out = j[k].get<std::string>();
    return Status::OK();
  };
  auto uint = [&](const char* k, auto& out, uint64_t max) -> Status {
    if (!j.contains(k)) return Status::OK();
    if (!j[k].is_number_unsigned() || j[k].get<uint64_t>() > max) {
      return Status::InvalidArgument(std::string(k) + " must be an integer in [0, " +
                                     std::to_string(max) + "]");
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(j[k].get<uint64_t>());
    return Status::OK();
  };
  if (j.contains("model") && j["model"].is_number_unsigned()) {
    a.model = std::to_string(j["model"].get<uint64_t>());
  } else {
    TRIB_RETURN_IF_ERROR(str("model", a.model));
  }
  TRIB_RETURN_IF_ERROR(str("prompt", a.prompt));
  TRIB_RETURN_IF_ERROR(str("output", a.output));
  *output_given = j.contains("output");
  TRIB_RETURN_IF_ERROR(str("method", a.method));
  if (j.contains("generate")) {
    if (!j["generate"].is_boolean()) return Status::InvalidArgument("generate must be a boolean");
    a.generate = j["generate"].get<bool>();
  }
  TRIB_RETURN_IF_ERROR(uint("max_tokens", a.max_tokens, 1024));
  TRIB_RETURN_IF_ERROR(uint("min_len", a.min_len, 1024));
  TRIB_RETURN_IF_ERROR(uint("max_count", a.max_count, 1'000'000'000));
  TRIB_RETURN_IF_ERROR(uint("top_k", a.top_k, 1000));
  return Status::OK();
}

Status CheckArgs(const AttributeArgs& a, bool output_given) {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_request"); };
  if (a.model.empty()) return bad("name the model (--model ID)");
  if (a.generate && output_given) return bad("give --output or --generate, not both");
  if (!a.generate && a.output.empty()) {
    return Status::InvalidArgument(
        "the output is empty: give the answer to attribute (--output TEXT) or --generate",
        "empty_output");
  }
  if (a.max_tokens < 1 || a.max_tokens > 1024) return bad("max_tokens must be in [1, 1024]");
  if (a.min_len < 1) return bad("min_len must be at least 1");
  if (a.top_k < 1) return bad("top_k must be at least 1");
  return Status::OK();
}

// The training data's format, from the first rows of the model's first Datanet version.
Result<bool> TrainedOnPromptResponse(const Common& c, const LocalModel& m) {
  if (m.versions.empty()) return false;
  const auto& v = m.versions.front();
  TRIB_ASSIGN_OR_RETURN(json page,
                        NodeGet(c, "/v1/datanets/" + std::to_string(v.datanet) + "/versions/" +
                                       std::to_string(v.version) + "/rows?offset=0&limit=20"));
  std::vector<factory::DataRow> rows;
  for (const auto& r : page.value("rows", json::array())) rows.push_back({"", "", "", r["row"]});
  return factory::DetectFormat(rows) == factory::ExampleFormat::kPromptResponse;
}

void PrintHuman(const json& r) {
  std::cout << "model " << r["model"].get<std::string>() << "\n";
  std::cout << "output: " << r["output"].get<std::string>() << "\n\n";
  const auto& spans = r["spans"];
  std::cout << "spans found verbatim in the training data: " << spans.size() << "\n";
  for (const auto& s : spans) {
    std::cout << "  \"" << s["text"].get<std::string>() << "\"  tokens [" << s["token_begin"]
              << ", " << s["token_end"] << "), in " << s["count"] << " row(s)";
    if (!s["rows"].empty()) {
      std::cout << ", e.g. row " << s["rows"][0]["row_id"].get<std::string>().substr(0, 12)
                << " of contribution "
                << s["rows"][0]["contribution"].get<std::string>().substr(0, 12);
    }
    std::cout << "\n";
  }
  const auto& infl = r["influence"];
  std::cout << "\nmost influential training rows (" << infl["method"].get<std::string>()
            << ", best cosine " << infl["max_cosine"] << "):\n";
  for (const auto& e : infl["top"]) {
    std::printf("  %+.4g  cos %.3f  row %s  contribution %s\n", e["score"].get<double>(),
                e["cosine"].get<double>(), e["row_id"].get<std::string>().substr(0, 12).c_str(),
                e["contribution"].get<std::string>().substr(0, 12).c_str());
  }
  std::cout << "\nweights (span coverage " << r["span_coverage"] << ", relevance " << r["relevance"]
            << "):\n";
  for (const auto& w : r["weights"]) {
    std::printf("  %8.4f  contribution %s  contributor %s\n", w["weight"].get<double>(),
                w["contribution"].get<std::string>().c_str(),
                w["contributor"].get<std::string>().c_str());
  }
  std::printf("  %8.4f  unattributed\n", r["unattributed"].get<double>());
}

}  // namespace

int RunAttribute(const Common& c, const AttributeArgs& args) {
  AttributeArgs a = args;
  bool output_given = !a.output.empty();
  if (a.request == "-") {
    a.output.clear();
    if (Status s = ReadRequest(std::cin, a, &output_given); !s.ok()) return FailAttribute(c, s);
  } else if (!a.request.empty()) {
    return FailAttribute(c, Status::InvalidArgument("--request takes '-' (stdin)", "bad_request"));
  }
  if (Status s = CheckArgs(a, output_given); !s.ok()) return FailAttribute(c, s);
  auto method = attribution::ParseInfluenceMethod(a.method);
  if (!method.ok()) return FailAttribute(c, method.status());

  auto m = ResolveModel(c, a.model, a.models_dir, a.base);
  if (!m.ok()) return FailAttribute(c, m.status());
  auto tok = attribution::TokenizerIdOfFile(m->base_dir / "tokenizer.json");
  if (!tok.ok()) return FailAttribute(c, tok.status());
  attribution::IndexCatalog catalog(a.index_dir);
  auto shards = catalog.LineageShards(*tok, m->versions);
  if (!shards.ok()) return FailAttribute(c, shards.status());
  auto prompt_response = TrainedOnPromptResponse(c, *m);
  if (!prompt_response.ok()) return FailAttribute(c, prompt_response.status());

  attribution::AttributorConfig config;
  config.base_dir = m->base_dir;
  config.adapter_dir = m->adapter_dir;
  config.shards = *shards;
  config.prompt_response = *prompt_response;
  config.influence.method = *method;
  config.combine = attribution::CombineOptions::ForMethod(a.method);
  config.influence.top_examples = a.top_k;
  config.trace.min_len = a.min_len;
  config.trace.max_count = a.max_count;
  // The first query of a sketch file computes its influence cache (a minute at 1M sketches).
  ProgressLine line(ShowProgress(c), "preparing the training sketches", "k sketches", 1e3);
  config.progress = [&line](int64_t done, int64_t total) {
    line.Update(static_cast<uint64_t>(done), static_cast<uint64_t>(total));
  };
  auto attributor = attribution::Attributor::Open(config);
  if (!attributor.ok()) return FailAttribute(c, attributor.status());

  std::string output = a.output;
  if (a.generate) {
    auto g = (*attributor)->Generate(a.prompt, a.max_tokens);
    if (!g.ok()) return FailAttribute(c, g.status());
    output = *g;
  }
  auto r = (*attributor)->Attribute(a.prompt, output);
  if (!r.ok()) return FailAttribute(c, r.status());
  json out = r->ToJson();
  out["model"] = m->record.value("openai_id", a.model);
  out["generated"] = a.generate;
  if (c.json) {
    std::cout << out.dump() << std::endl;
  } else {
    PrintHuman(out);
  }
  return 0;
}

}  // namespace tributary::cli
