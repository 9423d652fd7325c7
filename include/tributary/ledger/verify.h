// Offline checks: replaying a ledger from genesis, and checking proofs.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tributary/ledger/chain.h"

namespace tributary {

struct VerifyReport {
  uint64_t blocks_checked = 0;
  uint64_t txs_checked = 0;
  uint64_t tip = 0;
  bool ok = true;
  std::optional<uint64_t> first_bad_height;  //!< set when !ok
  std::string problem;                       //!< what did not match
  Hash32 state_root{};
};

//! Replays every block in `data_dir` from genesis, recomputing every root, receipt and signature.
//! A mismatch is reported in the VerifyReport (ok=false), not as an error; errors mean the ledger
//! could not be read at all. `progress(done, total)` is called as blocks are checked.
Result<VerifyReport> VerifyLedger(const std::filesystem::path& data_dir,
                                  const TxKindRegistry& kinds,
                                  const std::function<void(uint64_t, uint64_t)>& progress = {});

//! The self-contained proof object that GET /v1/tx/{hash} returns under "proof".
nlohmann::json TxProofJson(const TxLookup& lookup);
//! The proof object that GET /v1/accounts/{address}?prove=1 returns under "proof".
nlohmann::json AccountProofJson(const AccountLookup& lookup);

//! A proof that state key `key` holds `l.value` (or is absent) as of `l.header`: the object that
//! GET /v1/receipts/{id} returns under "proof" (type "state").
nlohmann::json StateProofJson(const std::string& key, const StateLookup& l);
struct ProofCheck {
  std::string kind;      //!< "tx", "account" or "state"
  uint64_t height = 0;   //!< block the proof is against
  PublicKey proposer{};  //!< who signed that block
  std::string summary;   //!< one line, built only from verified bytes
  //! account and state proofs: the proven key and its value (nullopt: proven absent), so that a
  //! library above the ledger can decode what it stored there.
  std::string state_key;
  std::optional<Bytes> state_value;
};

//! Checks a proof offline: the block header signature, then the Merkle path(s) to its roots.
//! Accepts either an API response (with a "proof" member) or the proof object itself. When
//! `trusted_sequencer` is set the header must be signed by that key.
Result<ProofCheck> VerifyProofJson(const nlohmann::json& doc, const TxKindRegistry& kinds,
                                   const std::optional<PublicKey>& trusted_sequencer);

}  // namespace tributary
