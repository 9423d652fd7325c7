// Transaction kinds: what a transaction does.
//
// Each kind is one class (one file) that decodes its payload, converts it to
// and from JSON, and applies it to state. Adding a kind is local: write the
// class and add it to a TxKindRegistry (libraries above the ledger register
// their own kinds the same way). Kinds must be deterministic: no clocks, no
// randomness, no iteration over unordered containers.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"
#include "tributary/ledger/genesis.h"
#include "tributary/ledger/receipt.h"
#include "tributary/ledger/state.h"

namespace tributary {

struct Transaction;

//! What a kind sees while it applies one transaction.
struct TxContext {
  Overlay& state;  //!< writes here are discarded if Apply fails
  const Transaction& tx;
  const Hash32& tx_hash;
  const Address& sender;
  uint64_t height;        //!< height of the block being built
  uint64_t timestamp_ms;  //!< that block's header timestamp (for daily quotas and the like)
  const ChainParams& params;
  std::vector<Event>& events;  //!< appended to the receipt on success
  PublicKey sequencer{};       //!< the genesis sequencer (the key that signs blocks)
  Amount supply = 0;           //!< the token's total supply (constant: every tx conserves it)
};

class TxKind {
 public:
  virtual ~TxKind() = default;
  virtual std::string_view name() const = 0;
  //! OK when `payload` is this kind's canonical encoding of a well-formed request.
  virtual Status CheckPayload(ByteView payload) const = 0;
  virtual Result<nlohmann::json> PayloadToJson(ByteView payload) const = 0;
  virtual Result<Bytes> PayloadFromJson(const nlohmann::json& j) const = 0;
  //! Applies the tx (the fee and nonce are already handled). A non-OK status fails the tx:
  //! its writes are dropped and the receipt records the error.
  virtual Status Apply(TxContext& ctx, ByteView payload) const = 0;
};

//! Kinds by name. Filled once at start-up, then read-only (safe to share between threads).
class TxKindRegistry {
 public:
  //! Fails with AlreadyExists on a duplicate name.
  Status Add(std::unique_ptr<TxKind> kind);
  const TxKind* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::unique_ptr<TxKind>, std::less<>> kinds_;
};

//! Adds the ledger's own kinds: transfer, stake, unstake, stake.claim.
void RegisterLedgerKinds(TxKindRegistry& registry);

}  // namespace tributary
