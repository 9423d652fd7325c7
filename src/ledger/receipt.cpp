#include "tributary/ledger/receipt.h"

#include "tributary/base/encoding.h"

namespace tributary {

Bytes Receipt::Encode() const {
  Writer w;
  w.Fixed(tx_hash)
      .U8(status)
      .U128(fee_charged)
      .Str(error)
      .U32(static_cast<uint32_t>(events.size()));
  for (const auto& e : events) {
    w.Str(e.type).U32(static_cast<uint32_t>(e.attrs.size()));
    for (const auto& [k, v] : e.attrs) w.Str(k).Str(v);
  }
  return std::move(w).bytes();
}

Result<Receipt> Receipt::Decode(ByteView b) {
  Reader r(b);
  Receipt rc;
  uint32_t n = 0;
  TRIB_RETURN_IF_ERROR(r.Fixed(&rc.tx_hash));
  TRIB_RETURN_IF_ERROR(r.U8(&rc.status));
  TRIB_RETURN_IF_ERROR(r.U128(&rc.fee_charged));
  TRIB_RETURN_IF_ERROR(r.Str(&rc.error, b.size()));
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  for (uint32_t i = 0; i < n; ++i) {
    Event e;
    uint32_t m = 0;
    TRIB_RETURN_IF_ERROR(r.Str(&e.type, b.size()));
    TRIB_RETURN_IF_ERROR(r.U32(&m));
    for (uint32_t j = 0; j < m; ++j) {
      std::string k, v;
      TRIB_RETURN_IF_ERROR(r.Str(&k, b.size()));
      TRIB_RETURN_IF_ERROR(r.Str(&v, b.size()));
      e.attrs.emplace_back(std::move(k), std::move(v));
    }
    rc.events.push_back(std::move(e));
  }
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return rc;
}

nlohmann::json Receipt::ToJson() const {
  nlohmann::json events_json = nlohmann::json::array();
  for (const auto& e : events) {
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& [k, v] : e.attrs) attrs[k] = v;
    events_json.push_back({{"type", e.type}, {"attrs", attrs}});
  }
  nlohmann::json j = {{"tx_hash", ToHex(tx_hash)},
                      {"status", status == kSuccess ? "success" : "failed"},
                      {"fee_charged", AmountToString(fee_charged)},
                      {"events", events_json}};
  if (!error.empty()) j["error"] = error;
  return j;
}

}  // namespace tributary
