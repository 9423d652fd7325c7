#include "tributary/ledger/state.h"

#include "tributary/base/hash.h"

namespace tributary {

std::optional<Bytes> Overlay::Get(const std::string& key) const {
  auto it = writes_.find(key);
  if (it != writes_.end()) return it->second;
  return base_ ? base_->Get(key) : std::nullopt;
}

void Overlay::MergeInto(Overlay* parent) {
  for (auto& [k, v] : writes_) parent->writes_[k] = std::move(v);
  writes_.clear();
}

std::optional<Bytes> State::Get(const std::string& key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void State::Apply(const std::map<std::string, std::optional<Bytes>>& writes) {
  for (const auto& [k, v] : writes) {
    if (v) {
      tree_.Put(KeyHash(k), ValueHash(*v));
      map_[k] = *v;
    } else if (map_.erase(k) > 0) {
      tree_.Erase(KeyHash(k));
    }
  }
}

void State::ForEach(const std::function<void(const std::string&, const Bytes&)>& fn) const {
  for (const auto& [k, v] : map_) fn(k, v);
}

Hash32 State::Sha256Of(const std::string& s) { return Sha256(AsBytes(s)); }
Hash32 State::Sha256Of(ByteView b) { return Sha256(b); }

}  // namespace tributary
