// Building and signing transactions for the node the CLI talks to.
#include "cli/commands.h"
#include "cli/key-commands.h"
#include "tributary/api/node_server.h"
#include "tributary/ledger/genesis.h"

namespace tributary::cli {

using json = nlohmann::json;

Result<StoredKey> LoadKey(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("--from NAME is required", "missing_from");
  return LocalKeystore().Load(name);
}

Result<Transaction> BuildSignedTx(const Common& c, const KeyPair& key, const std::string& kind,
                                  const json& payload, const std::string& max_fee) {
  TRIB_ASSIGN_OR_RETURN(json chain, NodeGet(c, "/v1/chain"));
  const TxKind* k = NodeTxKinds().Find(kind);
  if (!k) return Status::Internal("unknown tx kind " + kind);
  Transaction tx;
  tx.chain_id = chain.value("chain_id", "");
  tx.sender = key.public_key();
  TRIB_ASSIGN_OR_RETURN(json acct,
                        NodeGet(c, "/v1/accounts/" + Address::FromPublicKey(tx.sender).ToString()));
  tx.nonce = acct.value("next_nonce", uint64_t{0});
  tx.kind = kind;
  TRIB_ASSIGN_OR_RETURN(tx.payload, k->PayloadFromJson(payload));
  int decimals = chain["token"].value("decimals", 18);
  if (!max_fee.empty()) {
    auto fee = ParseTokens(max_fee, decimals);
    if (!fee.ok()) return fee.status().WithContext("--max-fee");
    tx.max_fee = *fee;
  } else {
    // The fee depends only on the encoded size, which the max_fee value does not change.
    auto base = ParseAmount(chain["params"].value("base_fee", "0"));
    auto per_byte = ParseAmount(chain["params"].value("fee_per_byte", "0"));
    if (!base.ok() || !per_byte.ok()) return Status::Internal("node sent bad fee parameters");
    ChainParams params;
    params.base_fee = *base;
    params.fee_per_byte = *per_byte;
    auto fee = params.FeeFor(tx.Encode().size());
    if (!fee) return Status::Internal("fee overflows");
    tx.max_fee = *fee;
  }
  tx.SignWith(key);
  return tx;
}

Result<json> SubmitTxAndWait(const Common& c, const std::string& from, const std::string& kind,
                             const json& payload) {
  TRIB_ASSIGN_OR_RETURN(StoredKey key, LoadKey(from));
  TRIB_ASSIGN_OR_RETURN(Transaction tx, BuildSignedTx(c, key.key, kind, payload));
  TRIB_ASSIGN_OR_RETURN(json r,
                        NodePost(c, "/v1/tx?wait=commit", json{{"raw", ToHex(tx.Encode())}}));
  if (r.contains("receipt") && r["receipt"].value("status", "") != "success") {
    std::string error = r["receipt"].value("error", "failed");
    auto colon = error.find(": ");
    return Status::FailedPrecondition(
        colon == std::string::npos ? error : error.substr(colon + 2),
        colon == std::string::npos ? "tx_failed" : error.substr(0, colon));
  }
  if (r.value("status", "") != "committed") {
    return Status::Unavailable("the transaction was not committed in time; check `tributary tx " +
                                   r.value("hash", "") + "`",
                               "not_committed");
  }
  return r;
}

}  // namespace tributary::cli
