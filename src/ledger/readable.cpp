#include "tributary/ledger/readable.h"

#include <algorithm>

namespace tributary {
namespace {

using json = nlohmann::json;

Status Misleading(std::string msg) {
  return Status::InvalidArgument(std::move(msg), "misleading_proof");
}

// A value as the message shows it: its JSON text, cut at 80 characters.
std::string Excerpt(const json& j) {
  std::string s = j.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

}  // namespace

json TxProvenMembers(const Transaction& tx, const Receipt& receipt, const BlockHeader& header,
                     uint64_t index, const TxKindRegistry& kinds) {
  auto tj = tx.ToJson(kinds);
  return {{"hash", ToHex(tx.Hash())},
          {"status", "committed"},
          {"height", header.height},
          {"index", index},
          {"tx", tj.ok() ? *tj : json(nullptr)},
          {"receipt", receipt.ToJson()},
          {"block", header.ToJson()}};
}

json AccountProvenMembers(const Address& address, const Account& account,
                          const BlockHeader& header) {
  return {{"address", address.ToString()},
          {"balance", AmountToString(account.balance)},
          {"staked", AmountToString(account.staked)},
          {"unbonding", AmountToString(account.unbonding)},
          {"nonce", account.nonce},
          {"height", header.height},
          {"state", "committed"}};
}

Status CheckReadable(const json& shown, const json& proven, const std::string& path) {
  if (shown.is_object() && proven.is_object()) {
    for (auto it = shown.begin(); it != shown.end(); ++it) {
      auto p = proven.find(it.key());
      if (p == proven.end()) {
        return Misleading("readable field " + path + "." + it.key() +
                          " is not in the proven bytes");
      }
      TRIB_RETURN_IF_ERROR(CheckReadable(it.value(), *p, path + "." + it.key()));
    }
    for (auto it = proven.begin(); it != proven.end(); ++it) {
      if (!shown.contains(it.key())) {
        return Misleading("readable field " + path + "." + it.key() +
                          " is missing (the proven bytes say " + Excerpt(it.value()) + ")");
      }
    }
    return Status::OK();
  }
  if (shown.is_array() && proven.is_array()) {
    if (shown.size() != proven.size()) {
      return Misleading("readable field " + path + " shows " + std::to_string(shown.size()) +
                        " entries, the proven bytes " + std::to_string(proven.size()));
    }
    for (size_t i = 0; i < shown.size(); ++i) {
      TRIB_RETURN_IF_ERROR(
          CheckReadable(shown[i], proven[i], path + "[" + std::to_string(i) + "]"));
    }
    return Status::OK();
  }
  // Scalars (and a type that differs): numbers compare by value, anything else exactly.
  if (shown != proven) {
    return Misleading("readable field " + path + " disagrees with the proven bytes: shows " +
                      Excerpt(shown) + ", proven " + Excerpt(proven));
  }
  return Status::OK();
}

Status CheckReadableMembers(const json& doc, const json& proven) {
  if (!doc.is_object() || !doc.contains("proof")) return Status::OK();
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() == "proof") continue;
    auto p = proven.is_object() ? proven.find(it.key()) : proven.end();
    if (!proven.is_object() || p == proven.end()) {
      return Misleading("member '" + it.key() +
                        "' beside the proof is not something the proof proves (a proven "
                        "document carries only members derived from its bytes)");
    }
    TRIB_RETURN_IF_ERROR(CheckReadable(it.value(), *p, it.key()));
  }
  return Status::OK();
}

Status CheckOnlyMembers(const json& j, std::initializer_list<std::string_view> names,
                        const std::string& path) {
  if (!j.is_object()) return Status::OK();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
      return Misleading(path + "." + it.key() +
                        " is not part of the proof (a proof carries only what its verifier "
                        "checks)");
    }
  }
  return Status::OK();
}

}  // namespace tributary
