// Genesis: the chain's identity, token, parameters and initial allocation.
//
// JSON file (amounts are decimal strings of base units):
// {
//   "chain_id": "tributary-dev",
//   "timestamp_ms": 1767225600000,
//   "token": {"symbol": "OPEN", "decimals": 18, "supply": "1000000000000000000000000000"},
//   "sequencer": "<hex Ed25519 public key that signs blocks>",
//   "params": {"max_tx_bytes": 65536, "max_block_txs": 10000, "base_fee": "...",
//              "fee_per_byte": "...", "unbonding_blocks": 100},
//   "protocol_params": {"gov.voting_period_blocks": "20"},   (optional: governed parameters
//                                                             that start away from their default)
//   "accounts": [{"address": "trb…", "balance": "…"}]
// }
// The balances must add up to the supply exactly.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/keys.h"

namespace tributary {

struct ChainParams {
  uint32_t max_tx_bytes = 64 * 1024;
  uint32_t max_block_txs = 10000;
  //! fee = base_fee + fee_per_byte * encoded size; paid to the block's proposer.
  Amount base_fee = Pow10(13);      // 0.00001 OPEN
  Amount fee_per_byte = Pow10(10);  // 0.00000001 OPEN
  uint64_t unbonding_blocks = 100;

  //! The fee for a tx of `encoded_size` bytes (nullopt on overflow).
  std::optional<Amount> FeeFor(size_t encoded_size) const;
};

struct GenesisAccount {
  Address address;
  Amount balance = 0;
};

struct Genesis {
  std::string chain_id = "tributary-dev";
  uint64_t timestamp_ms = 0;
  std::string symbol = "OPEN";
  int decimals = 18;
  Amount supply = 0;
  PublicKey sequencer{};
  ChainParams params;
  //! Governed parameters (ledger/params.h) whose value at height 0 is not their default. The
  //! names and bounds are checked by whoever knows the registry (economy::CheckGenesisParams).
  std::map<std::string, Amount> protocol_params;
  std::vector<GenesisAccount> accounts;

  static Result<Genesis> FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;
  //! Checks chain id, decimals, duplicate accounts and that balances sum to the supply.
  Status Validate() const;
  //! SHA-256 of the canonical JSON dump; pins the genesis a data directory was made with.
  Hash32 Hash() const;

  //! A development genesis: 1,000,000,000 OPEN, all to `funded`, blocks signed by `sequencer`.
  static Genesis Dev(const Address& funded, const PublicKey& sequencer, uint64_t timestamp_ms);
};

}  // namespace tributary
