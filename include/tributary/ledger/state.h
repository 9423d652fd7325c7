// Ledger state: a key-value map committed to by a sparse Merkle tree.
//
// Keys are short binary strings with a one-byte type prefix; each library
// that keeps state (accounts here, datanets and models later) owns its
// prefixes. The state root commits to SHA-256(key) -> SHA-256(value).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "tributary/base/bytes.h"
#include "tributary/ledger/smt.h"

namespace tributary {

//! Read access to state.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<Bytes> Get(const std::string& key) const = 0;
};

//! A set of pending writes over a base reader; nothing reaches the base until
//! the owner applies writes(). Overlays stack (an overlay over an overlay).
//! Not thread-safe.
class Overlay : public StateReader {
 public:
  explicit Overlay(const StateReader* base) : base_(base) {}
  std::optional<Bytes> Get(const std::string& key) const override;
  void Put(const std::string& key, Bytes value) { writes_[key] = std::move(value); }
  void Delete(const std::string& key) { writes_[key] = std::nullopt; }
  //! Moves this overlay's writes into `parent` (usually the overlay below it).
  void MergeInto(Overlay* parent);
  //! Writes in key order (deterministic); nullopt = delete.
  const std::map<std::string, std::optional<Bytes>>& writes() const { return writes_; }

 private:
  const StateReader* base_;
  std::map<std::string, std::optional<Bytes>> writes_;
};

//! The committed state: every key in memory plus its Merkle tree.
//! Not thread-safe; the chain serialises access.
class State : public StateReader {
 public:
  std::optional<Bytes> Get(const std::string& key) const override;
  //! Applies writes to the map and the tree.
  void Apply(const std::map<std::string, std::optional<Bytes>>& writes);
  Hash32 Root() { return tree_.Root(); }
  size_t size() const { return map_.size(); }
  //! Proof for `key` against Root().
  SmtProof Prove(const std::string& key) { return tree_.Prove(KeyHash(key)); }
  void ForEach(const std::function<void(const std::string&, const Bytes&)>& fn) const;

  static Hash32 KeyHash(const std::string& key) { return Sha256Of(key); }
  static Hash32 ValueHash(ByteView value) { return Sha256Of(value); }

 private:
  static Hash32 Sha256Of(const std::string& s);
  static Hash32 Sha256Of(ByteView b);
  std::unordered_map<std::string, Bytes> map_;
  SparseMerkleTree tree_;
};

}  // namespace tributary
