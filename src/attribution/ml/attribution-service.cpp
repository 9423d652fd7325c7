#include "tributary/attribution/attributor.h"
#include "tributary/attribution/service.h"
#include "tributary/factory/data.h"

namespace tributary::attribution {

namespace fs = std::filesystem;
using json = nlohmann::json;

Result<AttributionRequest> AttributionRequest::FromJson(const json& j) {
  if (!j.is_object())
    return Status::InvalidArgument("the request is not a JSON object", "bad_json");
  AttributionRequest a;
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
  TRIB_RETURN_IF_ERROR(str("method", a.method));
  if (j.contains("generate")) {
    if (!j["generate"].is_boolean()) return Status::InvalidArgument("generate must be a boolean");
    a.generate = j["generate"].get<bool>();
  }
  TRIB_RETURN_IF_ERROR(uint("max_tokens", a.max_tokens, 1024));
  TRIB_RETURN_IF_ERROR(uint("min_len", a.min_len, 1024));
  TRIB_RETURN_IF_ERROR(uint("max_count", a.max_count, 1'000'000'000));
  TRIB_RETURN_IF_ERROR(uint("top_k", a.top_k, 1000));
  TRIB_RETURN_IF_ERROR(a.Check(j.contains("output")));
  return a;
}

Status AttributionRequest::Check(bool output_given) const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_request"); };
  if (model.empty()) return bad("name the model (--model ID)");
  if (generate && output_given) return bad("give --output or --generate, not both");
  if (!generate && output.empty()) {
    return Status::InvalidArgument(
        "the output is empty: give the answer to attribute (--output TEXT) or --generate",
        "empty_output");
  }
  if (max_tokens < 1 || max_tokens > 1024) return bad("max_tokens must be in [1, 1024]");
  if (min_len < 1) return bad("min_len must be at least 1");
  if (top_k < 1) return bad("top_k must be at least 1");
  return ParseInfluenceMethod(method).status();
}

// One model's attributor and the options it was opened with.
struct AttributionService::Cached {
  std::string key;
  std::unique_ptr<Attributor> attributor;
  std::mutex run_mu;
  uint64_t last_used = 0;
};

AttributionService::AttributionService(std::shared_ptr<const model::LlamaModel> base,
                                       size_t max_models)
    : base_(std::move(base)), max_models_(std::max<size_t>(1, max_models)) {}

AttributionService::~AttributionService() = default;

Result<json> AttributionService::Run(const AttributionRequest& a, const ResolvedModel& m) {
  TRIB_RETURN_IF_ERROR(a.Check(/*output_given=*/false));
  TRIB_ASSIGN_OR_RETURN(auto method, ParseInfluenceMethod(a.method));
  // Span options are per call: answers of any length share one attributor.
  std::string key = m.adapter_dir.string() + "|" + a.method + "|" + std::to_string(a.top_k);
  for (const auto& s : m.shards) key += "|" + s.string();
  std::shared_ptr<Cached> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : cache_) {
      if (c->key == key) entry = c;
    }
    if (!entry) {
      entry = std::make_shared<Cached>();
      entry->key = key;
      cache_.push_back(entry);
      if (cache_.size() > max_models_) {
        auto oldest = std::min_element(
            cache_.begin(), cache_.end(),
            [](const auto& x, const auto& y) { return x->last_used < y->last_used; });
        cache_.erase(oldest);
      }
    }
    entry->last_used = ++clock_;
  }
  std::lock_guard<std::mutex> run(entry->run_mu);
  if (!entry->attributor) {
    std::vector<factory::DataRow> rows;
    for (const auto& r : m.sample_rows) rows.push_back({"", "", "", r});
    AttributorConfig config;
    config.base_dir = m.base_dir;
    config.base_model = base_;
    config.adapter_dir = m.adapter_dir;
    config.shards = m.shards;
    config.prompt_response = factory::DetectFormat(rows) == factory::ExampleFormat::kPromptResponse;
    config.influence.method = method;
    config.influence.top_examples = a.top_k;
    config.trace.min_len = a.min_len;
    config.trace.max_count = a.max_count;
    TRIB_ASSIGN_OR_RETURN(entry->attributor, Attributor::Open(config));
  }
  std::string output = a.output;
  if (a.generate) {
    TRIB_ASSIGN_OR_RETURN(output, entry->attributor->Generate(a.prompt, a.max_tokens));
  }
  TraceOptions trace;
  trace.min_len = a.min_len;
  trace.max_count = a.max_count;
  TRIB_ASSIGN_OR_RETURN(auto r, entry->attributor->Attribute(a.prompt, output, trace));
  json out = r.ToJson();
  out["model"] = m.id;
  out["generated"] = a.generate;
  out["object"] = "attribution";
  return out;
}

std::pair<int, json> AttributionService::Handle(const json& body) {
  auto error = [](const Status& s) {
    int status = s.code() == Code::kInvalidArgument      ? 400
                 : s.code() == Code::kNotFound           ? 404
                 : s.code() == Code::kFailedPrecondition ? 422
                 : s.code() == Code::kUnavailable        ? 503
                                                         : 500;
    return std::make_pair(status,
                          json{{"error", {{"code", s.reason()}, {"message", s.message()}}}});
  };
  if (!body.is_object() || !body.contains("request") || !body.contains("model") ||
      !body["model"].is_object()) {
    return error(
        Status::InvalidArgument("expected {\"request\": ..., \"model\": ...}", "bad_request"));
  }
  auto request = AttributionRequest::FromJson(body["request"]);
  if (!request.ok()) return error(request.status());
  const json& jm = body["model"];
  ResolvedModel m;
  try {
    m.id = jm.at("id").get<std::string>();
    m.base_dir = jm.at("base_dir").get<std::string>();
    m.adapter_dir = jm.at("adapter_dir").get<std::string>();
    for (const auto& s : jm.at("shards")) m.shards.emplace_back(s.get<std::string>());
    for (const auto& r : jm.value("sample_rows", json::array())) m.sample_rows.push_back(r);
  } catch (const json::exception& e) {
    return error(
        Status::InvalidArgument(std::string("bad model record: ") + e.what(), "bad_request"));
  }
  auto r = Run(*request, m);
  if (!r.ok()) return error(r.status());
  return {200, std::move(*r)};
}

}  // namespace tributary::attribution
