#include "tributary/ledger/genesis.h"

#include <set>

#include "tributary/base/hash.h"

namespace tributary {
namespace {

using json = nlohmann::json;

Status Bad(const std::string& msg) {
  return Status::InvalidArgument("genesis: " + msg, "bad_genesis");
}

Result<Amount> AmountField(const json& obj, const char* name) {
  if (!obj.contains(name) || !obj[name].is_string()) {
    return Bad(std::string("'") + name + "' must be a string of base units");
  }
  auto a = ParseAmount(obj[name].get<std::string>());
  if (!a.ok()) return Bad(std::string("'") + name + "': " + a.status().message());
  return a;
}

}  // namespace

std::optional<Amount> ChainParams::FeeFor(size_t encoded_size) const {
  auto per = CheckedMul(fee_per_byte, encoded_size);
  return per ? CheckedAdd(base_fee, *per) : std::nullopt;
}

Result<Genesis> Genesis::FromJson(const json& j) {
  try {
    Genesis g;
    if (!j.is_object()) return Bad("must be a JSON object");
    g.chain_id = j.at("chain_id").get<std::string>();
    g.timestamp_ms = j.value("timestamp_ms", uint64_t{0});
    const json& tok = j.at("token");
    g.symbol = tok.value("symbol", std::string("OPEN"));
    g.decimals = tok.value("decimals", 18);
    TRIB_ASSIGN_OR_RETURN(g.supply, AmountField(tok, "supply"));
    auto seq = FixedFromHex<32>(j.at("sequencer").get<std::string>());
    if (!seq.ok()) return Bad("'sequencer' must be a 32-byte hex public key");
    g.sequencer = *seq;
    if (j.contains("params")) {
      const json& p = j["params"];
      g.params.max_tx_bytes = p.value("max_tx_bytes", g.params.max_tx_bytes);
      g.params.max_block_txs = p.value("max_block_txs", g.params.max_block_txs);
      g.params.unbonding_blocks = p.value("unbonding_blocks", g.params.unbonding_blocks);
      if (p.contains("base_fee")) {
        TRIB_ASSIGN_OR_RETURN(g.params.base_fee, AmountField(p, "base_fee"));
      }
      if (p.contains("fee_per_byte")) {
        TRIB_ASSIGN_OR_RETURN(g.params.fee_per_byte, AmountField(p, "fee_per_byte"));
      }
    }
    if (j.contains("protocol_params")) {
      const json& pp = j["protocol_params"];
      if (!pp.is_object()) return Bad("'protocol_params' must be an object of name: value");
      for (const auto& [name, value] : pp.items()) {
        if (name.empty() || name.size() > 64) return Bad("a protocol parameter name is too long");
        TRIB_ASSIGN_OR_RETURN(g.protocol_params[name], AmountField(pp, name.c_str()));
      }
    }
    for (const json& a : j.at("accounts")) {
      GenesisAccount ga;
      auto addr = Address::Parse(a.at("address").get<std::string>());
      if (!addr.ok()) return Bad(addr.status().message());
      ga.address = *addr;
      TRIB_ASSIGN_OR_RETURN(ga.balance, AmountField(a, "balance"));
      g.accounts.push_back(ga);
    }
    TRIB_RETURN_IF_ERROR(g.Validate());
    return g;
  } catch (const json::exception& e) {
    return Bad(e.what());
  }
}

json Genesis::ToJson() const {
  json accts = json::array();
  for (const auto& a : accounts) {
    accts.push_back({{"address", a.address.ToString()}, {"balance", AmountToString(a.balance)}});
  }
  json out = {
      {"chain_id", chain_id},
      {"timestamp_ms", timestamp_ms},
      {"token", {{"symbol", symbol}, {"decimals", decimals}, {"supply", AmountToString(supply)}}},
      {"sequencer", ToHex(sequencer)},
      {"params",
       {{"max_tx_bytes", params.max_tx_bytes},
        {"max_block_txs", params.max_block_txs},
        {"base_fee", AmountToString(params.base_fee)},
        {"fee_per_byte", AmountToString(params.fee_per_byte)},
        {"unbonding_blocks", params.unbonding_blocks}}},
      {"accounts", accts},
  };
  // Only when set, so the hash of a genesis from before governed parameters stays the same.
  if (!protocol_params.empty()) {
    json pp = json::object();
    for (const auto& [name, value] : protocol_params) pp[name] = AmountToString(value);
    out["protocol_params"] = pp;
  }
  return out;
}

Status Genesis::Validate() const {
  if (chain_id.empty() || chain_id.size() > 64) return Bad("chain_id must be 1..64 bytes");
  if (decimals < 0 || decimals > 30) return Bad("decimals must be in 0..30");
  if (symbol.empty() || symbol.size() > 16) return Bad("token symbol must be 1..16 bytes");
  if (params.max_tx_bytes < 256 || params.max_tx_bytes > (1u << 20)) {
    return Bad("max_tx_bytes must be in 256..1048576");
  }
  if (params.max_block_txs == 0 || params.max_block_txs > (1u << 20)) {
    return Bad("max_block_txs must be in 1..1048576");
  }
  // Releases are queued for a later block; 0 would queue them for a block already begun.
  if (params.unbonding_blocks == 0) return Bad("unbonding_blocks must be at least 1");
  std::set<Address> seen;
  Amount total = 0;
  for (const auto& a : accounts) {
    if (!seen.insert(a.address).second) return Bad("account listed twice: " + a.address.ToString());
    auto t = CheckedAdd(total, a.balance);
    if (!t) return Bad("balances overflow");
    total = *t;
  }
  if (total != supply) {
    return Bad("balances add up to " + AmountToString(total) + " but the supply is " +
               AmountToString(supply));
  }
  return Status::OK();
}

Hash32 Genesis::Hash() const { return Sha256(AsBytes(ToJson().dump())); }

Genesis Genesis::Dev(const Address& funded, const PublicKey& sequencer, uint64_t timestamp_ms) {
  Genesis g;
  g.timestamp_ms = timestamp_ms;
  g.supply = Pow10(9) * Pow10(18);
  g.sequencer = sequencer;
  g.params.unbonding_blocks = 10;
  g.accounts.push_back({funded, g.supply});
  return g;
}

}  // namespace tributary
