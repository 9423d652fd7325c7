// Ledger state: a key-value map committed to by a sparse Merkle tree.
//
// Keys are short binary strings with a one-byte type prefix; each library
// that keeps state (accounts here, datanets and models later) owns its
// prefixes. The state root commits to SHA-256(key) -> SHA-256(value).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "tributary/base/bytes.h"
#include "tributary/base/status.h"
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

class Store;

//! The committed state and its Merkle tree. Two modes:
//! - in memory (default-constructed): every value is held in memory; for tests, replay and
//!   genesis;
//! - over a Store (LoadFrom): the tree (hashes only, about 130 bytes a key) stays in memory, the
//!   values live in the store's `state` table and are read through a bounded LRU cache, so a
//!   node's memory no longer grows with every value the ledger keeps. Values applied but not yet
//!   durable in the store are held until MarkDurable().
//! Not thread-safe, reads included (they update the cache); the chain serialises access.
class State : public StateReader {
 public:
  State();
  ~State() override;
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  //! Builds the tree from every entry of `store` (which must outlive this State) and switches to
  //! reading values from it, keeping at most `cache_bytes` of them in memory.
  Status LoadFrom(Store* store, size_t cache_bytes);

  //! A store read that fails (I/O, corruption, or a value that does not match the tree) returns
  //! nullopt and is remembered for TakeReadError.
  std::optional<Bytes> Get(const std::string& key) const override;
  //! Applies writes to the values and the tree.
  void Apply(const std::map<std::string, std::optional<Bytes>>& writes);
  //! Over a store: every write applied so far is now durable there, so it need not stay held.
  void MarkDurable();
  //! The first store read error since the last call (OK when none), and forgets it. Callers check
  //! after reading, because StateReader::Get has no way to report one.
  Status TakeReadError();

  Hash32 Root() { return tree_.Root(); }
  size_t size() const { return tree_.size(); }
  //! Proof for `key` against Root().
  SmtProof Prove(const std::string& key) { return tree_.Prove(KeyHash(key)); }
  //! Visits every key held in memory: every key in memory mode (tests; `ledger verify` finding a
  //! replayed key the stored table lacks).
  void ForEach(const std::function<void(const std::string&, const Bytes&)>& fn) const;

  struct CacheStats {
    uint64_t hits = 0;    //!< reads answered from memory (a value, or an absence the tree shows)
    uint64_t misses = 0;  //!< reads that went to the store
    uint64_t bytes = 0;   //!< cached key and value bytes, with a per-entry overhead
  };
  CacheStats cache_stats() const;

  static Hash32 KeyHash(const std::string& key) { return Sha256Of(key); }
  static Hash32 ValueHash(ByteView value) { return Sha256Of(value); }

 private:
  class Values;
  static Hash32 Sha256Of(const std::string& s);
  static Hash32 Sha256Of(ByteView b);
  //! In memory mode every value; over a store the writes not yet durable plus an LRU cache.
  std::unique_ptr<Values> values_;
  SparseMerkleTree tree_;
  Store* store_ = nullptr;
  mutable Status read_error_;
};

}  // namespace tributary
