// The readable members of a proven document: what an API response shows beside a proof's bytes
// (a tx's JSON form, its receipt and block, an account's balance), each derived from those bytes.
//
// The node builds its responses with the functions here, and the offline verifier derives the
// same members again from the bytes it has just verified and refuses a document whose members say
// anything else (reason "misleading_proof"), so that whoever reads the JSON instead of the
// verifier's output is not misled. A proven document carries nothing else: a member the proof
// cannot vouch for is refused too, even if harmless. Members that describe state the proof does
// not cover (an account's next nonce, which counts pending txs; a balance in display units, which
// needs the token's decimals) are left out of a proven response. A member may be dropped: an
// absent member claims nothing.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tributary/base/status.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/block.h"
#include "tributary/ledger/receipt.h"
#include "tributary/ledger/tx.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary {

//! The members beside a "tx" proof (GET /v1/tx/{hash}): hash, status ("committed", which a proof
//! against a signed block implies), height, index (the tx's position in the block), tx
//! (Transaction::ToJson with `kinds`, its payload decoded by the kind), receipt (Receipt::ToJson)
//! and block (BlockHeader::ToJson).
nlohmann::json TxProvenMembers(const Transaction& tx, const Receipt& receipt,
                               const BlockHeader& header, uint64_t index,
                               const TxKindRegistry& kinds);

//! The members beside an "account" proof (GET /v1/accounts/{a}?prove=1): address, balance,
//! staked, unbonding and nonce (of the proven account; zero when it is proven absent), height
//! and state ("committed").
nlohmann::json AccountProvenMembers(const Address& address, const Account& account,
                                    const BlockHeader& header);

//! OK when `shown` is exactly `proven`: the same members (none missing, none added), the same
//! array lengths, equal strings, numbers of equal value. Otherwise "misleading_proof", naming
//! the first member that differs below `path` (e.g. "readable field tx.payload.amount disagrees
//! with the proven bytes: shows \"5\", proven \"7\"").
Status CheckReadable(const nlohmann::json& shown, const nlohmann::json& proven,
                     const std::string& path);

//! Checks an API response against the members its proof proves: each member of `doc` other than
//! "proof" must be one of `proven`'s and CheckReadable-equal to it. A member `proven` does not
//! have is refused ("misleading_proof"): the proof cannot vouch for it. Members of `proven` that
//! `doc` lacks are fine. A `doc` that is not an object, or is the proof itself, passes.
Status CheckReadableMembers(const nlohmann::json& doc, const nlohmann::json& proven);

//! Refuses ("misleading_proof") a member of the object `j` not named in `names`: a proof object
//! carries only what its verifier reads. `path` names `j` in the message ("proof").
Status CheckOnlyMembers(const nlohmann::json& j, std::initializer_list<std::string_view> names,
                        const std::string& path);

}  // namespace tributary
