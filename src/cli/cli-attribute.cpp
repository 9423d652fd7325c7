// `tributary attribute`: which Datanet contributions an answer of a registered model came from
// (span and influence evidence combined, attribution/attributor.h). The node's
// POST /v1/attribution runs it with --request - --json.
#include <iostream>
#include <sstream>

#include "cli/attribution-commands.h"
#include "tributary/attribution/attributor.h"
#include "tributary/attribution/service.h"
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
  if (a.request == "-") {
    std::stringstream in;
    in << std::cin.rdbuf();
    auto request = attribution::AttributionRequest::FromJson(json::parse(in.str(), nullptr, false));
    if (!request.ok()) return FailAttribute(c, request.status());
    a.req = std::move(*request);
  } else if (!a.request.empty()) {
    return FailAttribute(c, Status::InvalidArgument("--request takes '-' (stdin)", "bad_request"));
  } else if (Status s = a.req.Check(!a.req.output.empty()); !s.ok()) {
    return FailAttribute(c, s);
  }
  auto method = attribution::ParseInfluenceMethod(a.req.method);
  if (!method.ok()) return FailAttribute(c, method.status());

  auto m = ResolveModel(c, a.req.model, a.models_dir, a.base);
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
  config.influence.top_examples = a.req.top_k;
  config.trace.min_len = a.req.min_len;
  config.trace.max_count = a.req.max_count;
  // The first query of a sketch file computes its influence cache (a minute at 1M sketches).
  ProgressLine line(ShowProgress(c), "preparing the training sketches", "k sketches", 1e3);
  config.progress = [&line](int64_t done, int64_t total) {
    line.Update(static_cast<uint64_t>(done), static_cast<uint64_t>(total));
  };
  auto attributor = attribution::Attributor::Open(config);
  if (!attributor.ok()) return FailAttribute(c, attributor.status());

  std::string output = a.req.output;
  if (a.req.generate) {
    auto g = (*attributor)->Generate(a.req.prompt, a.req.max_tokens);
    if (!g.ok()) return FailAttribute(c, g.status());
    output = *g;
  }
  auto r = (*attributor)->Attribute(a.req.prompt, output);
  if (!r.ok()) return FailAttribute(c, r.status());
  json out = r->ToJson();
  out["model"] = m->record.value("openai_id", a.req.model);
  out["generated"] = a.req.generate;
  if (c.json) {
    std::cout << out.dump() << std::endl;
  } else {
    PrintHuman(out);
  }
  return 0;
}

}  // namespace tributary::cli
