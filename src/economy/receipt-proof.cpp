#include "tributary/economy/receipt_proof.h"

namespace tributary::economy {

nlohmann::json SettledReceiptMembers(const SettledReceipt& r) {
  return {{"status", "settled"}, {"receipt", r.ToJson()}};
}

std::optional<StateView> ReceiptStateView(const std::string& key,
                                          const std::optional<Bytes>& value) {
  if (key.rfind('R', 0) != 0 || !value) return std::nullopt;
  auto settled = SettledReceipt::Decode(*value);
  if (!settled.ok() || ReceiptKey(settled->receipt.request_id) != key) return std::nullopt;
  return StateView{"receipt", DescribeReceipt(*settled), SettledReceiptMembers(*settled)};
}

}  // namespace tributary::economy
