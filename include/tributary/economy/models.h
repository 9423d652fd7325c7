// Registered models in ledger state: the record model.register keeps, its keys and encodings,
// and the lineage read back from the Datanet records it names.
//
// State keys (the economy library owns these one-byte prefixes; datanet uses N d c l A v q p P,
// the ledger a u):
//   'M'                   -> u64 number of models (ids are 1, 2, ...)
//   'm' | u64 model       -> Model
//   'h' | 32B adapter hash -> u64 model id (an adapter is registered once)
//
// A model commits to its base checkpoint and its adapter by content hash (base/file_hash.h:
// HashModelFiles over config.json + *.safetensors, and adapter_config.json +
// adapter_model.safetensors), to the Datanet versions it was trained on by (datanet, version,
// Merkle root), to its training configuration by hash and to its evaluation metrics as canonical
// JSON. Its price is in OPEN base units per 1,000 tokens.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/fee_split.h"
#include "tributary/ledger/state.h"

namespace tributary::economy {

inline constexpr size_t kMaxModelNameChars = 64;
inline constexpr size_t kMaxMetricsBytes = 16 * 1024;  //!< canonical JSON dump
inline constexpr size_t kMaxDataRefs = 32;             //!< Datanet versions per model
//! The highest price: 10^12 OPEN per 1,000 tokens, so that price x tokens stays far inside 128
//! bits for any request (up to 10^8 tokens) the fee rules will bill.
inline const Amount kMaxPricePer1kTokens = Pow10(30);

//! One Datanet version a model was trained on.
struct DataRef {
  uint64_t datanet = 0;
  uint32_t version = 0;
  Hash32 root{};  //!< the version's Merkle root (datanet::Version::root)
  bool operator==(const DataRef&) const = default;
};

struct Model {
  uint64_t id = 0;
  Address owner;
  std::string name;
  Hash32 base_hash{};     //!< HashModelFiles(base, kBase)
  Hash32 adapter_hash{};  //!< HashModelFiles(adapter, kAdapter)
  std::vector<DataRef> data;
  Hash32 config_hash{};  //!< hash of the training configuration
  std::string metrics;   //!< canonical JSON object (nlohmann dump: sorted keys, no spaces)
  Amount price_per_1k_tokens = 0;  //!< OPEN base units per 1,000 tokens
  //! Contributors' share of each fee after the protocol's (fee_split.h); records written before
  //! the share existed (record version 1) read as the default.
  uint32_t contributors_share_ppm = kDefaultContributorsSharePpm;
  uint64_t registered_height = 0;
  uint64_t registered_ms = 0;

  Bytes Encode() const;
  static Result<Model> Decode(ByteView b);
  //! The registry form: hashes in hex, price as a decimal string of base units, metrics as JSON.
  nlohmann::json ToJson() const;
  //! The OpenAI model object (GET /v1/models "data" entries): id "tributary-model-<id>",
  //! object "model", created (Unix seconds), owned_by (owner address), parent (base hash hex).
  nlohmann::json ToOpenAiJson() const;
};

//! "tributary-model-<id>", the model's name in the OpenAI-style API.
std::string OpenAiModelId(uint64_t id);
//! Accepts "<id>" or "tributary-model-<id>"; InvalidArgument ("bad_model_id") otherwise.
Result<uint64_t> ParseModelId(std::string_view text);

//! Stateless checks of what a registration carries; reason "bad_model".
Status CheckName(std::string_view name);
//! `metrics` must be a JSON object whose canonical dump is exactly `metrics` and at most
//! kMaxMetricsBytes.
Status CheckMetrics(std::string_view metrics);
//! 1..kMaxDataRefs entries, version >= 1, no (datanet, version) twice.
Status CheckDataRefs(const std::vector<DataRef>& data);
Status CheckPrice(Amount price);
//! kMinContributorsSharePpm..10^6 (reason "bad_model").
Status CheckContributorsShare(uint32_t ppm, uint32_t min_ppm);
//! The canonical dump of a metrics object (InvalidArgument "bad_model" for anything else).
Result<std::string> CanonicalMetrics(const nlohmann::json& metrics);

std::string ModelCounterKey();
std::string ModelKey(uint64_t id);
std::string AdapterKey(const Hash32& adapter_hash);

//! Readers: nullopt when absent, Corruption when stored bytes do not decode.
Result<uint64_t> LoadModelCount(const StateReader& s);
Result<std::optional<Model>> LoadModel(const StateReader& s, uint64_t id);
Result<std::optional<uint64_t>> LoadModelIdByAdapter(const StateReader& s,
                                                     const Hash32& adapter_hash);

//! Writes the record and its adapter index (the counter is the caller's).
void StoreModel(Overlay& s, const Model& m);

//! A contributor's share of a Datanet version: accepted contributions and rows it holds.
struct VersionContributor {
  Address contributor;
  uint64_t contributions = 0;
  uint64_t rows = 0;
};

//! One entry of a model's lineage: the Datanet version as recorded, with who contributed to it.
struct DataLineage {
  DataRef ref;
  datanet::Datanet datanet;
  datanet::Version version;
  //! In order of each contributor's first accepted contribution within the version.
  std::vector<VersionContributor> contributors;
};

//! The contributors of version `v`: the first `contributions` accepted
//! contributions in acceptance order, grouped by contributor. Reads all of them; a node showing
//! lineage repeatedly keeps a ContributorTally (economy/contributor-tally.h) instead.
Result<std::vector<VersionContributor>> LoadVersionContributors(const StateReader& s,
                                                                const datanet::Version& v);
//! Each DataRef of `m` with its Datanet, version record and contributors (left empty without
//! `with_contributors`: a caller holding a ContributorTally fills them outside this read).
//! Corruption when a version the ledger accepted is gone or its root changed (versions are
//! immutable).
Result<std::vector<DataLineage>> LoadLineage(const StateReader& s, const Model& m,
                                             bool with_contributors = true);
//! {"datanet", "name", "license", "version", "root", "version_record": Version::ToJson,
//!  "contributors": [{"contributor", "contributions", "rows"}]}
nlohmann::json LineageJson(const DataLineage& l);

}  // namespace tributary::economy
