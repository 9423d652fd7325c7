// Receipts: the outcome of each included transaction.
//
// Encoding: 32B tx hash | u8 status | u128 fee charged | str error |
//           u32 event count | per event: str type | u32 n | n × (str key | str value)
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"

namespace tributary {

struct Event {
  std::string type;
  std::vector<std::pair<std::string, std::string>> attrs;
};

struct Receipt {
  enum StatusCode : uint8_t { kSuccess = 0, kFailed = 1 };
  Hash32 tx_hash{};
  uint8_t status = kSuccess;
  Amount fee_charged = 0;
  std::string error;  //!< "reason: message" when failed
  std::vector<Event> events;

  Bytes Encode() const;
  static Result<Receipt> Decode(ByteView b);
  nlohmann::json ToJson() const;
};

}  // namespace tributary
