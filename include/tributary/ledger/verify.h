// Offline checks: replaying a ledger from genesis, and checking proofs.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

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
  std::string kind;      //!< "tx", "account", "state", or a StateView's kind ("receipt")
  uint64_t height = 0;   //!< block the proof is against
  PublicKey proposer{};  //!< who signed that block
  std::string summary;   //!< one line, built only from verified bytes
  //! account and state proofs: the proven key and its value (nullopt: proven absent), so that a
  //! library above the ledger can decode what it stored there.
  std::string state_key;
  std::optional<Bytes> state_value;
  //! The readable members beside the proof that were checked against the proven bytes (empty
  //! for a bare proof object).
  std::vector<std::string> readable;
};

//! What a library above the ledger reads in a proven state entry: a kind ("receipt"), a summary
//! built from the value, and the readable members an API response carries beside such a proof
//! (derived from the value, as the node derives them), e.g. {"status": "settled", "receipt": {..}}.
struct StateView {
  std::string kind;
  std::string summary;
  nlohmann::json members = nlohmann::json::object();
};
//! Reads a proven state entry (`value` nullopt: proven absent); nullopt when the key is not one
//! the reader knows, and the proof is then a plain "state" proof.
using StateViewer = std::function<std::optional<StateView>(const std::string& key,
                                                           const std::optional<Bytes>& value)>;

//! Checks a proof offline: the block header signature, then the Merkle path(s) to its roots.
//! Accepts either an API response (with a "proof" member) or the proof object itself. When
//! `trusted_sequencer` is set the header must be signed by that key.
//!
//! Then the readable members beside the proof (readable.h): a tx response's hash, status,
//! height, index, tx, receipt and block, an account response's address, balance, staked,
//! unbonding, nonce, height and state, and for a state proof the members `state_viewer` derives
//! from the proven entry, must be exactly what the verified bytes say; any other member, or one
//! that differs, is refused with reason "misleading_proof" naming it. So is a member of the proof
//! object the verifier does not read. A proof's own faults are "bad_proof".
Result<ProofCheck> VerifyProofJson(const nlohmann::json& doc, const TxKindRegistry& kinds,
                                   const std::optional<PublicKey>& trusted_sequencer,
                                   const StateViewer& state_viewer = {});

}  // namespace tributary
