// `tributary model register|list|show`: the ledger's model registry (register signs a
// model.register tx with the lineage in the adapter's training.json; list and show read it).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "tributary/base/file_hash.h"
#include "tributary/base/hash.h"
#include "tributary/economy/kinds.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

namespace fs = std::filesystem;

constexpr std::string_view kLineageFormat = "tributary/lineage/v1";

//! What training wrote beside the adapter (ADAPTER/training.json).
struct TrainingLineage {
  Hash32 base_hash{};
  json data = json::array();  //!< [{datanet, version, root}], checked
  Hash32 config_hash{};
  json metrics = json::object();
};

Result<TrainingLineage> ReadTrainingLineage(const fs::path& adapter_dir) {
  const fs::path path = adapter_dir / "training.json";
  const std::string where = path.string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::NotFound(where +
                                " is missing: --adapter must be the directory training wrote, "
                                "with its lineage file",
                            "missing_lineage");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return Status::IOError("cannot read " + where, "io_error");
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(where + ": " + what, "bad_lineage");
  };
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_object()) return bad("must be a JSON object");
  if (!j.contains("format") || j["format"] != kLineageFormat) {
    return bad("format must be \"" + std::string(kLineageFormat) + "\"");
  }
  auto hash = [&](const json& obj, const char* field, const std::string& name) -> Result<Hash32> {
    if (!obj.is_object() || !obj.contains(field) || !obj[field].is_string()) {
      return bad(name + " is required (64 hex digits)");
    }
    auto h = FixedFromHex<32>(obj[field].get<std::string>());
    if (!h.ok()) return bad(name + " must be 64 hex digits");
    return *h;
  };
  TrainingLineage out;
  if (!j.contains("base")) return bad("base.hash is required (64 hex digits)");
  TRIB_ASSIGN_OR_RETURN(out.base_hash, hash(j["base"], "hash", "base.hash"));
  TRIB_ASSIGN_OR_RETURN(out.config_hash, hash(j, "config_hash", "config_hash"));
  // config_hash is SHA-256 of the config object's compact dump (keys sorted), as training
  // writes it; when the config is present it must match.
  if (j.contains("config") && j["config"].is_object() &&
      Sha256(AsBytes(j["config"].dump())) != out.config_hash) {
    return bad("config_hash does not match the config it describes");
  }
  if (!j.contains("data") || !j["data"].is_array() || j["data"].empty()) {
    return bad("data must list the Datanet versions trained on: [{datanet, version, root}]");
  }
  for (const auto& d : j["data"]) {
    auto uint = [&](const char* f) {
      return d.is_object() && d.contains(f) && d[f].is_number_integer() &&
             (d[f].is_number_unsigned() || d[f].get<int64_t>() > 0);
    };
    if (!uint("datanet") || !uint("version")) {
      return bad("each data entry needs a positive integer datanet and version");
    }
    TRIB_ASSIGN_OR_RETURN(Hash32 root, hash(d, "root", "data[].root"));
    out.data.push_back(
        {{"datanet", d["datanet"]}, {"version", d["version"]}, {"root", ToHex(root)}});
  }
  if (j.contains("metrics") && !j["metrics"].is_null()) {
    if (!j["metrics"].is_object()) return bad("metrics must be a JSON object");
    out.metrics = j["metrics"];
  }
  return out;
}

std::string DataList(const json& data) {
  std::string out;
  for (const auto& d : data) {
    if (!out.empty()) out += ", ";
    out += std::to_string(d.value("datanet", uint64_t{0})) + "@" +
           std::to_string(d.value("version", uint64_t{0}));
  }
  return out;
}

std::string PriceText(const json& model) {
  auto price = ParseAmount(model.value("price_per_1k_tokens", "0"));
  return (price.ok() ? FormatTokens(*price) : std::string("?")) + " OPEN per 1K tokens";
}

void PrintModel(const json& m) {
  std::cout << "model " << m["id"] << " (" << m.value("openai_id", "")
            << "): " << m.value("name", "") << "\n"
            << "  owner:    " << m.value("owner", "") << "\n"
            << "  price:    " << PriceText(m) << " (" << m.value("price_per_1k_tokens", "")
            << " base units); contributors get " << m.value("contributors_share_ppm", 500000) / 1e4
            << "% of each fee after 5% protocol\n"
            << "  base:     " << m.value("base_hash", "") << "\n"
            << "  adapter:  " << m.value("adapter_hash", "") << "\n"
            << "  config:   " << m.value("config_hash", "") << "\n"
            << "  data:     " << DataList(m["data"]) << "\n"
            << "  metrics:  " << m["metrics"].dump() << "\n"
            << "  registered in block " << m["registered_height"] << "\n";
}

}  // namespace

int RunModelRegister(const Common& c, const ModelRegistryArgs& a) {
  // Local checks first: nothing is read from the node or signed for a doomed registration.
  Status name = economy::CheckName(a.name);
  if (!name.ok()) return Fail(name.WithContext("--name"));
  auto price = ParseTokens(a.price, 18);
  if (!price.ok()) {
    std::string why = price.status().message();
    return Fail(Status::InvalidArgument(
        "--price must be a non-negative number of OPEN per 1,000 tokens such as 0.002, not '" +
            a.price + "'" +
            (why.find("decimal places") != std::string::npos ? " (" + why + ")" : ""),
        "bad_price"));
  }
  Status cap = economy::CheckPrice(*price);
  if (!cap.ok()) return Fail(cap.WithContext("--price"));
  const double share_ppm = a.contributors_share * 1e4;
  const uint32_t min_share = economy::kMinContributorsSharePpm;
  Status share = economy::CheckContributorsShare(
      share_ppm >= 0 && share_ppm <= 2e6 ? static_cast<uint32_t>(std::llround(share_ppm)) : 0,
      min_share);
  if (!share.ok()) {
    return Fail(Status::InvalidArgument(
        "--contributors-share must be " + std::to_string(min_share / 10'000) +
            "..100 (percent of each fee after the protocol's share)",
        "bad_model"));
  }
  auto lineage = ReadTrainingLineage(a.adapter);
  if (!lineage.ok()) return Fail(lineage.status());
  auto base = HashModelFiles(a.base, ModelFiles::kBase);
  if (!base.ok()) return Fail(base.status().WithContext("--base"));
  if (*base != lineage->base_hash) {
    return Fail(Status::FailedPrecondition("--base " + a.base + " hashes to " + ToHex(*base) +
                                               ", but the adapter was trained on " +
                                               ToHex(lineage->base_hash) + " (training.json)",
                                           "base_mismatch"));
  }
  auto adapter = HashModelFiles(a.adapter, ModelFiles::kAdapter);
  if (!adapter.ok()) return Fail(adapter.status().WithContext("--adapter"));
  // The ledger's own checks, asked first for messages that name training.json's entries.
  auto known = NodeGet(c, "/v1/models?adapter_hash=" + ToHex(*adapter));
  if (!known.ok()) return Fail(known.status());
  if (!(*known)["models"].empty()) {
    return Fail(Status::FailedPrecondition("adapter " + ToHex(*adapter) +
                                               " is already registered as model " +
                                               (*known)["models"][0]["id"].dump(),
                                           "adapter_registered"));
  }
  for (const auto& d : lineage->data) {
    std::string at = std::to_string(d["datanet"].get<uint64_t>()) + "/versions/" +
                     std::to_string(d["version"].get<uint64_t>());
    auto v = NodeGet(c, "/v1/datanets/" + at);
    if (!v.ok()) return Fail(v.status());
    if (v->value("root", "") != d["root"].get<std::string>()) {
      return Fail(Status::FailedPrecondition(
          "Datanet " + d["datanet"].dump() + " version " + d["version"].dump() + " has root " +
              v->value("root", "") + ", but training.json records " + d["root"].get<std::string>(),
          "root_mismatch"));
    }
  }
  json payload = {{"name", a.name},
                  {"base_hash", ToHex(*base)},
                  {"adapter_hash", ToHex(*adapter)},
                  {"data", lineage->data},
                  {"config_hash", ToHex(lineage->config_hash)},
                  {"metrics", lineage->metrics},
                  {"price_per_1k_tokens", AmountToString(*price)},
                  {"contributors_share_ppm", std::llround(share_ppm)}};
  auto key = LoadKey(a.from);
  if (!key.ok()) return Fail(key.status());
  auto tx = BuildSignedTx(c, key->key, std::string(economy::kRegisterModelKind), payload);
  if (!tx.ok()) return Fail(tx.status());
  auto r = NodePost(c, "/v1/models", json{{"tx", {{"raw", ToHex(tx->Encode())}}}});
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
  } else {
    std::cout << "registered ";
    PrintModel((*r)["model"]);
  }
  return 0;
}

int RunModelList(const Common& c) {
  auto r = NodeGet(c, "/v1/models?limit=1000");
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  for (const auto& m : (*r)["models"]) {
    std::cout << m["id"] << "\t" << m.value("name", "") << "\t" << PriceText(m) << "\tdata "
              << DataList(m["data"]) << "\t" << m.value("owner", "") << "\n";
  }
  return 0;
}

int RunModelShow(const Common& c, const ModelRegistryArgs& a) {
  auto id = economy::ParseModelId(a.id);
  if (!id.ok()) return Fail(id.status());
  auto r = NodeGet(c, "/v1/models/" + std::to_string(*id));
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  PrintModel(*r);
  std::cout << "  lineage:\n";
  for (const auto& d : (*r)["lineage"]["data"]) {
    const json& v = d["version_record"];
    std::cout << "    Datanet " << d["datanet"] << " \"" << d.value("name", "") << "\" version "
              << d["version"] << " (" << d.value("license", "") << "): " << v["rows"]
              << " rows from " << v["contributions"] << " contributions, root "
              << d.value("root", "") << "\n";
    for (const auto& who : d["contributors"]) {
      std::cout << "      " << who.value("contributor", "") << "  " << who["rows"] << " rows in "
                << who["contributions"] << " contributions\n";
    }
  }
  return 0;
}

}  // namespace tributary::cli
