#include "tributary/ledger/tx_kind.h"

namespace tributary {

Status TxKindRegistry::Add(std::unique_ptr<TxKind> kind) {
  std::string name(kind->name());
  if (kinds_.count(name)) return Status::AlreadyExists("tx kind registered twice: " + name);
  kinds_.emplace(std::move(name), std::move(kind));
  return Status::OK();
}

const TxKind* TxKindRegistry::Find(std::string_view name) const {
  auto it = kinds_.find(name);
  return it == kinds_.end() ? nullptr : it->second.get();
}

std::vector<std::string> TxKindRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : kinds_) out.push_back(k);
  return out;
}

}  // namespace tributary
