#include "tributary/economy/models.h"

#include <cstring>
#include <map>

#include "tributary/base/encoding.h"
#include "tributary/base/unicode.h"
#include "tributary/economy/contributor-tally.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

// Version 2 adds contributors_share_ppm. A model with the default share keeps version 1's bytes,
// so ledgers written before the share existed replay to the same roots.
constexpr uint8_t kRecordVersion = 2;
constexpr std::string_view kOpenAiPrefix = "tributary-model-";

Status Bad(const std::string& msg) { return Status::InvalidArgument(msg, "bad_model"); }

Status Corrupt(const char* what, const Status& s) {
  return Status::Corruption(std::string("stored ") + what + " does not decode: " + s.message());
}

// Metrics are checked while parsing too: a depth cap keeps a hostile payload from recursing deep.
constexpr int kMaxMetricsDepth = 16;
struct TooDeep {};

std::optional<json> ParseMetrics(std::string_view text) {
  try {
    return json::parse(text, [](int depth, json::parse_event_t ev, json&) {
      bool opens =
          ev == json::parse_event_t::object_start || ev == json::parse_event_t::array_start;
      if (depth + (opens ? 1 : 0) > kMaxMetricsDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
  } catch (const json::exception&) {
  }
  return std::nullopt;
}

std::string Dump(const json& j) {
  // strict: metrics that are not valid UTF-8 fail CanonicalMetrics instead of being replaced.
  return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

}  // namespace

std::string OpenAiModelId(uint64_t id) { return std::string(kOpenAiPrefix) + std::to_string(id); }

Result<uint64_t> ParseModelId(std::string_view text) {
  std::string_view digits = text;
  if (digits.substr(0, kOpenAiPrefix.size()) == kOpenAiPrefix) {
    digits.remove_prefix(kOpenAiPrefix.size());
  }
  if (digits.empty() || digits.size() > 19 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos || digits == "0") {
    return Status::InvalidArgument(
        "model id must be a positive integer or tributary-model-<id>, not '" + std::string(text) +
            "'",
        "bad_model_id");
  }
  return std::stoull(std::string(digits));
}

Status CheckName(std::string_view name) {
  if (name.empty()) return Bad("name is required");
  if (!IsValidUtf8(name)) return Bad("name is not valid UTF-8");
  if (HasControlChars(name)) return Bad("name holds control characters");
  if (CountCodePoints(name) > kMaxModelNameChars) {
    return Bad("name is longer than " + std::to_string(kMaxModelNameChars) + " characters");
  }
  return Status::OK();
}

Result<std::string> CanonicalMetrics(const json& metrics) {
  if (!metrics.is_object()) return Bad("metrics must be a JSON object");
  std::string out;
  try {
    out = Dump(metrics);
  } catch (const json::exception&) {
    return Bad("metrics hold text that is not valid UTF-8");
  }
  if (out.size() > kMaxMetricsBytes) {
    return Bad("metrics are " + std::to_string(out.size()) + " bytes as JSON; at most " +
               std::to_string(kMaxMetricsBytes));
  }
  // One more round trip: what is stored must read back to the same text.
  auto again = ParseMetrics(out);
  if (!again) {
    return Bad("metrics nest deeper than " + std::to_string(kMaxMetricsDepth) + " levels");
  }
  if (Dump(*again) != out) return Bad("metrics do not survive a JSON round trip");
  return out;
}

Status CheckMetrics(std::string_view metrics) {
  if (metrics.size() > kMaxMetricsBytes) {
    return Bad("metrics are larger than " + std::to_string(kMaxMetricsBytes) + " bytes");
  }
  auto j = ParseMetrics(metrics);
  if (!j) {
    return Bad("metrics are not valid JSON (or nest deeper than " +
               std::to_string(kMaxMetricsDepth) + " levels)");
  }
  TRIB_ASSIGN_OR_RETURN(std::string canonical, CanonicalMetrics(*j));
  if (canonical != metrics) return Bad("metrics must be canonical JSON (sorted keys, no spaces)");
  return Status::OK();
}

Status CheckDataRefs(const std::vector<DataRef>& data) {
  if (data.empty()) return Bad("a model names at least one Datanet version it was trained on");
  if (data.size() > kMaxDataRefs) {
    return Bad("a model names at most " + std::to_string(kMaxDataRefs) + " Datanet versions");
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i].datanet == 0 || data[i].version == 0) {
      return Bad("Datanet ids and version numbers start at 1");
    }
    for (size_t k = 0; k < i; ++k) {
      if (data[k].datanet == data[i].datanet && data[k].version == data[i].version) {
        return Bad("Datanet " + std::to_string(data[i].datanet) + " version " +
                   std::to_string(data[i].version) + " is listed twice");
      }
    }
  }
  return Status::OK();
}

Status CheckContributorsShare(uint32_t ppm, uint32_t min_ppm) {
  if (ppm < min_ppm || ppm > kPartsPerMillion) {
    return Bad("the contributors' share must be " + std::to_string(min_ppm) +
               "..1000000 parts per million, not " + std::to_string(ppm));
  }
  return Status::OK();
}

Status CheckPrice(Amount price) {
  if (price > kMaxPricePer1kTokens) {
    return Bad("price per 1,000 tokens may be at most " + AmountToString(kMaxPricePer1kTokens) +
               " base units (10^12 OPEN)");
  }
  return Status::OK();
}

// ---- Model ----

Bytes Model::Encode() const {
  Writer w;
  const bool v2 = contributors_share_ppm != kDefaultContributorsSharePpm;
  w.U8(v2 ? kRecordVersion : 1)
      .U64(id)
      .Fixed(owner.bytes)
      .Str(name)
      .Fixed(base_hash)
      .Fixed(adapter_hash);
  w.U32(static_cast<uint32_t>(data.size()));
  for (const auto& d : data) w.U64(d.datanet).U32(d.version).Fixed(d.root);
  w.Fixed(config_hash).Str(metrics).U128(price_per_1k_tokens);
  w.U64(registered_height).U64(registered_ms);
  if (v2) w.U32(contributors_share_ppm);
  return std::move(w).bytes();
}

Result<Model> Model::Decode(ByteView b) {
  Reader r(b);
  Model m;
  uint8_t version;
  uint32_t n;
  TRIB_RETURN_IF_ERROR(r.U8(&version));
  if (version != 1 && version != kRecordVersion) {
    return Status::InvalidArgument("unknown record version");
  }
  TRIB_RETURN_IF_ERROR(r.U64(&m.id));
  TRIB_RETURN_IF_ERROR(r.Fixed(&m.owner.bytes));
  TRIB_RETURN_IF_ERROR(r.Str(&m.name, kMaxModelNameChars * 4));
  TRIB_RETURN_IF_ERROR(r.Fixed(&m.base_hash));
  TRIB_RETURN_IF_ERROR(r.Fixed(&m.adapter_hash));
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxDataRefs) return Status::InvalidArgument("too many Datanet versions");
  m.data.resize(n);
  for (auto& d : m.data) {
    TRIB_RETURN_IF_ERROR(r.U64(&d.datanet));
    TRIB_RETURN_IF_ERROR(r.U32(&d.version));
    TRIB_RETURN_IF_ERROR(r.Fixed(&d.root));
  }
  TRIB_RETURN_IF_ERROR(r.Fixed(&m.config_hash));
  TRIB_RETURN_IF_ERROR(r.Str(&m.metrics, kMaxMetricsBytes));
  TRIB_RETURN_IF_ERROR(r.U128(&m.price_per_1k_tokens));
  TRIB_RETURN_IF_ERROR(r.U64(&m.registered_height));
  TRIB_RETURN_IF_ERROR(r.U64(&m.registered_ms));
  if (version >= 2) TRIB_RETURN_IF_ERROR(r.U32(&m.contributors_share_ppm));
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

json Model::ToJson() const {
  json refs = json::array();
  for (const auto& d : data) {
    refs.push_back({{"datanet", d.datanet}, {"version", d.version}, {"root", ToHex(d.root)}});
  }
  json m = json::parse(metrics, nullptr, false);
  return json{{"id", id},
              {"openai_id", OpenAiModelId(id)},
              {"owner", owner.ToString()},
              {"name", name},
              {"base_hash", ToHex(base_hash)},
              {"adapter_hash", ToHex(adapter_hash)},
              {"data", refs},
              {"config_hash", ToHex(config_hash)},
              {"metrics", m.is_discarded() ? json::object() : m},
              {"price_per_1k_tokens", AmountToString(price_per_1k_tokens)},
              {"contributors_share_ppm", contributors_share_ppm},
              {"registered_height", registered_height},
              {"registered_ms", registered_ms}};
}

json Model::ToOpenAiJson() const {
  return json{{"id", OpenAiModelId(id)},
              {"object", "model"},
              {"created", registered_ms / 1000},
              {"owned_by", owner.ToString()},
              {"parent", ToHex(base_hash)},
              {"tributary",
               {{"name", name}, {"price_per_1k_tokens", AmountToString(price_per_1k_tokens)}}}};
}

// ---- keys and loaders ----

std::string ModelCounterKey() { return "M"; }

std::string ModelKey(uint64_t id) {
  Writer w;
  w.U8('m').U64(id);
  return std::string(AsString(w.bytes()));
}

std::string AdapterKey(const Hash32& adapter_hash) {
  return "h" + std::string(reinterpret_cast<const char*>(adapter_hash.data()), adapter_hash.size());
}

Result<uint64_t> LoadModelCount(const StateReader& s) {
  auto raw = s.Get(ModelCounterKey());
  if (!raw) return uint64_t{0};
  Reader r(*raw);
  uint64_t n;
  Status st = r.U64(&n);
  if (st.ok()) st = r.ExpectEnd();
  if (!st.ok()) return Corrupt("model counter", st);
  return n;
}

Result<std::optional<Model>> LoadModel(const StateReader& s, uint64_t id) {
  auto raw = s.Get(ModelKey(id));
  if (!raw) return std::optional<Model>();
  auto m = Model::Decode(*raw);
  if (!m.ok()) return Corrupt("model", m.status());
  return std::optional<Model>(std::move(*m));
}

Result<std::optional<uint64_t>> LoadModelIdByAdapter(const StateReader& s,
                                                     const Hash32& adapter_hash) {
  auto raw = s.Get(AdapterKey(adapter_hash));
  if (!raw) return std::optional<uint64_t>();
  Reader r(*raw);
  uint64_t id;
  Status st = r.U64(&id);
  if (st.ok()) st = r.ExpectEnd();
  if (!st.ok()) return Corrupt("adapter index entry", st);
  return std::optional<uint64_t>(id);
}

void StoreModel(Overlay& s, const Model& m) {
  s.Put(ModelKey(m.id), m.Encode());
  s.Put(AdapterKey(m.adapter_hash), Writer().U64(m.id).bytes());
}

// ---- lineage ----

Result<std::vector<VersionContributor>> LoadVersionContributors(const StateReader& s,
                                                                const datanet::Version& v) {
  ContributorTally tally([&](const auto& fn) { return fn(s); }, UINT64_MAX, 1);
  return tally.Contributors(v);
}

Result<std::vector<DataLineage>> LoadLineage(const StateReader& s, const Model& m,
                                             bool with_contributors) {
  std::vector<DataLineage> out;
  for (const auto& ref : m.data) {
    DataLineage l;
    l.ref = ref;
    TRIB_ASSIGN_OR_RETURN(auto d, datanet::LoadDatanet(s, ref.datanet));
    TRIB_ASSIGN_OR_RETURN(auto v, datanet::LoadVersion(s, ref.datanet, ref.version));
    if (!d || !v) {
      return Status::Corruption("Datanet " + std::to_string(ref.datanet) + " version " +
                                std::to_string(ref.version) + " of model " + std::to_string(m.id) +
                                " is missing");
    }
    if (v->root != ref.root) {
      return Status::Corruption("Datanet " + std::to_string(ref.datanet) + " version " +
                                std::to_string(ref.version) + " no longer has the root model " +
                                std::to_string(m.id) + " recorded");
    }
    l.datanet = std::move(*d);
    l.version = *v;
    if (with_contributors) {
      TRIB_ASSIGN_OR_RETURN(l.contributors, LoadVersionContributors(s, *v));
    }
    out.push_back(std::move(l));
  }
  return out;
}

json LineageJson(const DataLineage& l) {
  json contributors = json::array();
  for (const auto& c : l.contributors) {
    contributors.push_back({{"contributor", c.contributor.ToString()},
                            {"contributions", c.contributions},
                            {"rows", c.rows}});
  }
  return json{{"datanet", l.ref.datanet},          {"name", l.datanet.spec.name},
              {"license", l.datanet.spec.license}, {"version", l.ref.version},
              {"root", ToHex(l.ref.root)},         {"version_record", l.version.ToJson()},
              {"contributors", contributors}};
}

}  // namespace tributary::economy
