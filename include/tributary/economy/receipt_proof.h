// A settled inference receipt as a proven document: GET /v1/receipts/{id} returns the receipt's
// readable form beside a "state" proof of its ledger entry, and the offline verifier derives
// that form again from the proven bytes (ledger/readable.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tributary/economy/inference.h"
#include "tributary/ledger/verify.h"

namespace tributary::economy {

//! The members beside a receipt's state proof: status ("settled", which a proof of its entry
//! implies) and receipt (SettledReceipt::ToJson: the answer, the fee, who paid and the split).
nlohmann::json SettledReceiptMembers(const SettledReceipt& r);

//! A StateViewer for receipts: a proven 'R' entry that decodes to a receipt stored under its own
//! request id is kind "receipt", summarised by DescribeReceipt, with SettledReceiptMembers as
//! its readable members. Any other entry is not one it knows (nullopt).
std::optional<StateView> ReceiptStateView(const std::string& key,
                                          const std::optional<Bytes>& value);

}  // namespace tributary::economy
