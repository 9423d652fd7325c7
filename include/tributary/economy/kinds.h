// The economy transaction kinds and their payloads.
//
//   model.register  anyone; the sender owns the model. Records a LoRA adapter with its lineage:
//                   base and adapter content hashes, the Datanet versions it was trained on
//                   (each must exist with exactly the recorded Merkle root), the training-config
//                   hash, evaluation metrics and the price per 1,000 tokens. Assigns the next
//                   model id (1, 2, ...); an adapter hash is registered at most once
//                   ("adapter_registered"). Event "model.registered" {model, owner, name,
//                   adapter_hash, price_per_1k_tokens}.
//
// Payload JSON: {"name", "base_hash", "adapter_hash", "data": [{"datanet", "version", "root"}],
// "config_hash", "metrics": {...}, "price_per_1k_tokens": "<base units>",
// "contributors_share_ppm": 500000..1000000 (optional, default 500000)}; hashes in hex, the
// price a decimal string of OPEN base units, metrics any JSON object (stored canonically).
#pragma once

#include <nlohmann/json.hpp>

#include "tributary/economy/fee_split.h"
#include "tributary/economy/models.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::economy {

struct RegisterModelPayload {
  std::string name;
  Hash32 base_hash{};
  Hash32 adapter_hash{};
  std::vector<DataRef> data;
  Hash32 config_hash{};
  std::string metrics = "{}";  //!< canonical JSON object
  Amount price_per_1k_tokens = 0;
  //! The contributors' share of each fee after the protocol's, in parts per million
  //! (fee_split.h); at least kMinContributorsSharePpm.
  uint32_t contributors_share_ppm = kDefaultContributorsSharePpm;

  Bytes Encode() const;
  static Result<RegisterModelPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  //! metrics defaults to {}; everything else is required.
  static Result<RegisterModelPayload> FromJson(const nlohmann::json& j);
  //! Stateless checks (name, hashes set, data refs, metrics, price); reason "bad_model".
  Status Check() const;
  bool operator==(const RegisterModelPayload&) const = default;
};

inline constexpr std::string_view kRegisterModelKind = "model.register";

//! Adds model.register, the payable-inference kinds (inference.h), governance, agents and the
//! bridge (bridge.h).
void RegisterEconomyKinds(TxKindRegistry& registry);

//! Every kind a node knows: the ledger's, the Datanets' and RegisterEconomyKinds'. Built once,
//! read-only after (safe to share between threads).
const TxKindRegistry& AllTxKinds();

}  // namespace tributary::economy
