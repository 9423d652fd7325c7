// Helpers for tx kinds whose payload is a struct: the PayloadKind template (decode, check, JSON
// conversion and apply in one place) and JSON field readers that name the field in their errors.
// Used by the libraries above the ledger (datanet, economy) so each kind is only its rules.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/bytes.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary {

//! InvalidArgument with reason "bad_payload".
Status BadPayload(const std::string& message);
//! A decoding failure as InvalidArgument with reason "malformed_encoding".
Status MalformedPayload(const Status& decode_error);

//! payload.<field> as a string; absent or null gives `dflt`, or an error when there is none.
Result<std::string> PayloadString(const nlohmann::json& j, const char* field,
                                  std::optional<std::string> dflt = std::nullopt);
//! payload.<field> as an integer >= 0 (nlohmann keeps small literals signed: both accepted).
Result<uint64_t> PayloadU64(const nlohmann::json& j, const char* field,
                            std::optional<uint64_t> dflt = std::nullopt);
Result<bool> PayloadBool(const nlohmann::json& j, const char* field, bool dflt);
//! payload.<field> as 64 hex digits.
Result<Hash32> PayloadHash(const nlohmann::json& j, const char* field);
//! payload.<field> as an array of strings (absent or null: empty).
Result<std::vector<std::string>> PayloadStrings(const nlohmann::json& j, const char* field);

//! A kind whose payload is a struct P with static Decode(ByteView) -> Result<P>,
//! static FromJson(json) -> Result<P>, Encode() and ToJson(). Subclasses give the name, the
//! state-independent Check and the Run that applies it.
template <typename P>
class PayloadKind : public TxKind {
 public:
  Status CheckPayload(ByteView p) const override {
    auto d = P::Decode(p);
    if (!d.ok()) return d.status();
    return Check(*d);
  }
  Result<nlohmann::json> PayloadToJson(ByteView p) const override {
    TRIB_ASSIGN_OR_RETURN(P d, P::Decode(p));
    return d.ToJson();
  }
  Result<Bytes> PayloadFromJson(const nlohmann::json& j) const override {
    TRIB_ASSIGN_OR_RETURN(P d, P::FromJson(j));
    TRIB_RETURN_IF_ERROR(Check(d));
    return d.Encode();
  }
  Status Apply(TxContext& ctx, ByteView p) const override {
    TRIB_ASSIGN_OR_RETURN(P d, P::Decode(p));
    return Run(ctx, d);
  }

 protected:
  virtual Status Check(const P& p) const = 0;
  virtual Status Run(TxContext& ctx, const P& p) const = 0;
};

}  // namespace tributary
