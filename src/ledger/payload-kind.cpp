#include "tributary/ledger/payload_kind.h"

namespace tributary {

using json = nlohmann::json;

Status BadPayload(const std::string& message) {
  return Status::InvalidArgument(message, "bad_payload");
}

Status MalformedPayload(const Status& decode_error) {
  return Status::InvalidArgument("payload: " + decode_error.message(), "malformed_encoding");
}

Result<std::string> PayloadString(const json& j, const char* field,
                                  std::optional<std::string> dflt) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    if (dflt) return *dflt;
    return BadPayload(std::string("payload.") + field + " is required");
  }
  if (!it->is_string()) return BadPayload(std::string("payload.") + field + " must be a string");
  return it->get<std::string>();
}

Result<uint64_t> PayloadU64(const json& j, const char* field, std::optional<uint64_t> dflt) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    if (dflt) return *dflt;
    return BadPayload(std::string("payload.") + field + " is required");
  }
  if (!it->is_number_integer() || (!it->is_number_unsigned() && it->get<int64_t>() < 0)) {
    return BadPayload(std::string("payload.") + field + " must be a non-negative integer");
  }
  return it->get<uint64_t>();
}

Result<bool> PayloadBool(const json& j, const char* field, bool dflt) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) return BadPayload(std::string("payload.") + field + " must be true/false");
  return it->get<bool>();
}

Result<Hash32> PayloadHash(const json& j, const char* field) {
  TRIB_ASSIGN_OR_RETURN(std::string hex, PayloadString(j, field));
  auto h = FixedFromHex<32>(hex);
  if (!h.ok()) return BadPayload(std::string("payload.") + field + " must be 64 hex digits");
  return *h;
}

Result<std::vector<std::string>> PayloadStrings(const json& j, const char* field) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  std::vector<std::string> out;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return BadPayload(std::string("payload.") + field + " must be an array");
  for (const auto& v : *it) {
    if (!v.is_string()) return BadPayload(std::string("payload.") + field + " must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace tributary
