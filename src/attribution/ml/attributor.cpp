// Proof of Attribution for one adapter (attributor.h): query sketch, influence, spans, combined
// weights.
#include "tributary/attribution/attributor.h"

#include <torch/torch.h>

#include <mutex>

#include "tributary/attribution/index_catalog.h"
#include "tributary/factory/data.h"
#include "tributary/factory/sketch.h"
#include "tributary/model/generate.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"

namespace tributary::attribution {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Attributor::Impl {
  AttributorConfig config;
  std::shared_ptr<const model::LlamaModel> base;
  std::optional<model::Tokenizer> tokenizer;
  std::optional<model::LoraAdapter> adapter;
  std::optional<factory::SketchProjection> projection;
  std::unique_ptr<InfluenceIndex> influence;
  SpanIndex spans;
  std::string tokenizer_id;
  json shards_json = json::array();
  // SketchProjection::Compute toggles requires_grad on the adapter's tensors.
  mutable std::mutex compute_mu;

  // The query example (see the top of attributor.h) and the output's own tokens.
  Result<std::pair<factory::Example, std::vector<int32_t>>> Query(std::string_view prompt,
                                                                  std::string_view output) const {
    std::vector<int32_t> out_ids = tokenizer->Encode(output, false);
    if (out_ids.empty()) {
      return Status::InvalidArgument("the output is empty: there is nothing to attribute",
                                     "empty_output");
    }
    factory::Example ex;
    if (config.prompt_response) {
      factory::DataRow row{
          std::string(64, '0'), std::string(64, '0'), "query",
          json{{"prompt", std::string(prompt)}, {"response", std::string(output)}}};
      factory::ExampleOptions eo;
      eo.max_seq_len = config.max_seq_len;
      eo.heldout_bps = 0;
      TRIB_ASSIGN_OR_RETURN(
          auto set,
          factory::BuildExamples({row}, factory::ExampleFormat::kPromptResponse, *tokenizer, eo));
      if (set.examples.empty()) {
        return Status::InvalidArgument("the prompt leaves no room for the output within " +
                                           std::to_string(config.max_seq_len) + " tokens",
                                       "output_too_long");
      }
      ex = std::move(set.examples[0]);
    } else {
      if (auto bos = tokenizer->bos_id()) ex.tokens.push_back(*bos);
      for (int32_t t : tokenizer->Encode(prompt, false)) ex.tokens.push_back(t);
      // Position 0 is never predicted: with no bos and no prompt the first output token is
      // context only.
      ex.loss_start = std::max<int64_t>(1, static_cast<int64_t>(ex.tokens.size()));
      for (int32_t t : out_ids) ex.tokens.push_back(t);
      if (static_cast<int64_t>(ex.tokens.size()) > config.max_seq_len) {
        ex.tokens.resize(static_cast<size_t>(config.max_seq_len));
      }
      if (ex.loss_tokens() <= 0) {
        return Status::InvalidArgument("the prompt leaves no room for the output within " +
                                           std::to_string(config.max_seq_len) + " tokens",
                                       "output_too_long");
      }
    }
    return std::make_pair(std::move(ex), std::move(out_ids));
  }
};

Attributor::Attributor() : impl_(std::make_unique<Impl>()) {}
Attributor::~Attributor() = default;

const std::string& Attributor::tokenizer_id() const { return impl_->tokenizer_id; }
const InfluenceIndex& Attributor::influence() const { return *impl_->influence; }
const SpanIndex& Attributor::spans() const { return impl_->spans; }

namespace {

// The length of a sketch file's base-checkpoint segment (factory/sketch.h), 0 when it has none;
// Corruption when the description gives it badly.
Result<int64_t> BaseSegmentDim(const nlohmann::json& description, int64_t dim) {
  auto b = description.find("base_checkpoint");
  if (b == description.end()) return int64_t{0};
  const auto d = b->is_object() ? b->find("dim") : b->end();
  if (d == b->end() || !d->is_number_integer() || d->get<int64_t>() < 1 ||
      d->get<int64_t>() >= dim) {
    return Status::Corruption("sketches.bin describes its base-checkpoint segment badly",
                              "bad_sketches");
  }
  return d->get<int64_t>();
}

}  // namespace

Result<std::unique_ptr<Attributor>> Attributor::Open(const AttributorConfig& config) {
  TRIB_RETURN_IF_ERROR(config.combine.Validate());
  if (config.shards.empty()) {
    return Status::FailedPrecondition(
        "no span index covers this model's Datanet versions; build it with `tributary index "
        "build --model ID`",
        "index_missing");
  }
  const fs::path sketches = config.adapter_dir / "sketches.bin";
  std::error_code ec;
  if (!fs::exists(sketches, ec)) {
    return Status::NotFound("the adapter at " + config.adapter_dir.string() +
                                " has no sketches.bin (train it with --sketch-dim > 0)",
                            "no_sketches");
  }
  std::unique_ptr<Attributor> a(new Attributor());
  Impl& m = *a->impl_;
  m.config = config;
  // The sketches' layout, checked once: the floors and the query's projection both follow it.
  nlohmann::json description;
  int64_t base_dim = 0;
  {
    TRIB_ASSIGN_OR_RETURN(auto file, factory::SketchFile::Open(sketches));
    TRIB_ASSIGN_OR_RETURN(base_dim, BaseSegmentDim(file->description(), file->dim()));
    description = file->description();
  }
  if (config.calibrated_floors) {
    const CombineOptions calibrated =
        CombineOptions::ForMethod(InfluenceMethodName(config.influence.method), base_dim > 0);
    m.config.combine.cosine_floor = calibrated.cosine_floor;
    m.config.combine.cosine_full = calibrated.cosine_full;
  }
  m.config.influence.cosine_floor = m.config.combine.cosine_floor;  // one calibration for both
  TRIB_ASSIGN_OR_RETURN(m.tokenizer_id, TokenizerIdOfFile(config.base_dir / "tokenizer.json"));
  TRIB_ASSIGN_OR_RETURN(m.spans, SpanIndex::Open(config.shards));
  for (size_t i = 0; i < m.spans.shards(); ++i) {
    const ShardReader& s = m.spans.shard(i);
    if (s.info().tokenizer != m.tokenizer_id) {
      return Status::InvalidArgument("the span index " + s.path().string() +
                                         " was built with tokenizer " + s.info().tokenizer +
                                         ", not this model's " + m.tokenizer_id,
                                     "tokenizer_mismatch");
    }
    TRIB_ASSIGN_OR_RETURN(std::string sha, ShardSha256(s.path()));
    m.shards_json.push_back({{"file", s.path().filename().string()},
                             {"sha256", sha},
                             {"tokens", s.tokens()},
                             {"rows", s.rows()},
                             {"sources", ShardInfoToJson(s.info())["sources"]}});
  }
  if (config.base_model) {
    m.base = config.base_model;
  } else {
    TRIB_ASSIGN_OR_RETURN(auto loaded, model::LlamaModel::Load(config.base_dir));
    m.base = std::move(loaded);
  }
  TRIB_ASSIGN_OR_RETURN(auto tok, model::Tokenizer::FromDirectory(config.base_dir));
  m.tokenizer.emplace(std::move(tok));
  TRIB_ASSIGN_OR_RETURN(auto adapter, model::LoraAdapter::Load(config.adapter_dir, *m.base));
  m.adapter.emplace(std::move(adapter));
  TRIB_ASSIGN_OR_RETURN(m.influence,
                        InfluenceIndex::Open(sketches, m.config.influence, config.progress));
  if (m.influence->description() != description) {
    return Status::Corruption("sketches.bin changed while the attributor opened it",
                              "bad_sketches");
  }
  factory::SketchOptions so;
  so.seed = m.influence->seed();
  so.base_dim = base_dim;  // the adapter's segment is the rest
  so.dim = m.influence->dim() - base_dim;
  TRIB_ASSIGN_OR_RETURN(auto projection, factory::SketchProjection::Create(*m.adapter, so));
  if (projection.dim() != m.influence->dim()) {
    return Status::Corruption("sketches.bin has " + std::to_string(m.influence->dim()) +
                                  " values per example, the adapter's projection " +
                                  std::to_string(projection.dim()) +
                                  ": the sketches belong to another adapter",
                              "bad_sketches");
  }
  m.projection.emplace(std::move(projection));
  return a;
}

Result<std::string> Attributor::Generate(std::string_view prompt, int max_tokens) const {
  const Impl& m = *impl_;
  std::string text(prompt);
  if (m.config.prompt_response) {
    if (m.tokenizer->has_chat_template()) {
      model::ChatMessage msg{"user", std::string(prompt)};
      TRIB_ASSIGN_OR_RETURN(
          text, m.tokenizer->ApplyChatTemplate(std::span<const model::ChatMessage>(&msg, 1)));
    } else {
      text += "\n";
    }
  }
  model::SamplingParams p;
  p.max_tokens = max_tokens;
  p.temperature = 0;
  TRIB_RETURN_IF_ERROR(p.Validate());
  TRIB_ASSIGN_OR_RETURN(auto r, model::Generate(*m.base, *m.tokenizer, &*m.adapter, text, p));
  return r.text;
}

Result<Attribution> Attributor::Attribute(std::string_view prompt, std::string_view output,
                                          const std::optional<TraceOptions>& trace_options) const {
  const Impl& m = *impl_;
  TRIB_ASSIGN_OR_RETURN(auto query, m.Query(prompt, output));
  auto& [example, out_ids] = query;
  TraceOptions t = trace_options ? *trace_options : m.config.trace;
  const int64_t min_len_rule = t.min_len;
  t.min_len = MinLenForOutput(static_cast<int64_t>(out_ids.size()), t.min_len);

  Attribution r;
  r.prompt = prompt;
  r.output = output;
  r.output_tokens = static_cast<int64_t>(out_ids.size());

  // Influence: the query's sketch against the training sketches.
  torch::Tensor q;
  {
    std::lock_guard<std::mutex> lock(m.compute_mu);
    TRIB_ASSIGN_OR_RETURN(q, m.projection->Compute(*m.base, *m.adapter, {&example}, 1));
  }
  q = q.reshape({-1}).contiguous().to(torch::kFloat32);
  std::span<const float> qs(q.data_ptr<float>(), static_cast<size_t>(q.numel()));
  TRIB_ASSIGN_OR_RETURN(r.influence, m.influence->Score(qs));

  // Spans: the output's own tokens in the lineage's index.
  std::vector<uint32_t> ids(out_ids.begin(), out_ids.end());
  TraceResult trace = m.spans.Trace(std::span<const uint32_t>(ids), t);
  r.index_tokens = trace.index_tokens;
  std::vector<int64_t> byte_at(out_ids.size() + 1, 0);
  for (size_t i = 0; i < out_ids.size(); ++i) {
    byte_at[i + 1] = byte_at[i] + static_cast<int64_t>(m.tokenizer->TokenBytes(out_ids[i]).size());
  }
  for (auto& s : trace.spans) {
    ReportedSpan rs;
    rs.byte_begin = byte_at[static_cast<size_t>(s.begin)];
    rs.byte_end = byte_at[static_cast<size_t>(s.end)];
    rs.text = m.tokenizer->Decode(
        std::span<const int32_t>(out_ids.data() + s.begin, static_cast<size_t>(s.end - s.begin)));
    rs.span = std::move(s);
    r.spans.push_back(std::move(rs));
  }

  // Combined weights.
  std::vector<InfluenceEvidence> ev;
  for (const auto& c : r.influence.contributions) {
    ev.push_back({c.contribution, c.contributor, c.positive});
  }
  std::vector<Span> plain;
  for (const auto& s : r.spans) plain.push_back(s.span);
  TRIB_ASSIGN_OR_RETURN(r.combined, CombineEvidence(r.output_tokens, plain, ev,
                                                    r.influence.max_cosine, m.config.combine));

  const InfluenceOptions& io = m.influence->options();
  r.provenance = {{"rule", "tributary/attribution/v1"},
                  {"span",
                   {{"min_len", t.min_len},
                    {"min_len_rule", min_len_rule},
                    {"max_count", t.max_count},
                    {"max_occurrences", t.max_occurrences},
                    {"tokenizer", m.tokenizer_id},
                    {"shards", m.shards_json}}},
                  {"influence",
                   {{"method", InfluenceMethodName(io.method)},
                    {"damping", io.damping},
                    {"aggregate_examples", io.aggregate_examples},
                    {"cosine_floor", io.cosine_floor},
                    {"sketches_sha256", m.influence->sketches_sha256()},
                    {"sketches", m.influence->count()},
                    {"dim", m.influence->dim()},
                    {"seed", m.influence->seed()}}},
                  {"combine", m.config.combine.ToJson()},
                  {"query",
                   {{"format", m.config.prompt_response ? "prompt_response" : "text"},
                    {"tokens", example.tokens.size()},
                    {"loss_start", example.loss_start}}}};
  return r;
}

json Attribution::ToJson() const {
  json spans_json = json::array();
  for (const auto& s : spans) {
    json occ = json::array();
    std::vector<std::string> contributions, contributors;
    for (const auto& o : s.span.occurrences) {
      occ.push_back({{"row_id", o.row_id},
                     {"contribution", o.contribution},
                     {"contributor", o.contributor},
                     {"row_offset", o.offset},
                     {"output_begin", o.output_begin},
                     {"output_end", o.output_end}});
      if (std::find(contributions.begin(), contributions.end(), o.contribution) ==
          contributions.end()) {
        contributions.push_back(o.contribution);
      }
      if (std::find(contributors.begin(), contributors.end(), o.contributor) ==
          contributors.end()) {
        contributors.push_back(o.contributor);
      }
    }
    spans_json.push_back({{"text", s.text},
                          {"token_begin", s.span.begin},
                          {"token_end", s.span.end},
                          {"byte_begin", s.byte_begin},
                          {"byte_end", s.byte_end},
                          {"count", s.span.count},
                          {"score", s.span.score},
                          {"rows", occ},
                          {"contributions", contributions},
                          {"contributors", contributors}});
  }
  json c = combined.ToJson();
  return {{"prompt", prompt},
          {"output", output},
          {"output_tokens", output_tokens},
          {"index_tokens", index_tokens},
          {"spans", spans_json},
          {"influence", influence.ToJson()},
          {"weights", c["weights"]},
          {"unattributed", c["unattributed"]},
          {"unattributed_parts_per_million", c["unattributed_parts_per_million"]},
          {"span_coverage", c["span_coverage"]},
          {"relevance", c["relevance"]},
          {"provenance", provenance}};
}

}  // namespace tributary::attribution
