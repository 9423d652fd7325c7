#include "tributary/ledger/tx.h"

#include <nlohmann/json.hpp>

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary {
namespace {

constexpr uint8_t kTxVersion = 1;
constexpr std::string_view kTxDomain = "tributary/tx/v1";

Writer EncodeBody(const Transaction& tx) {
  Writer w;
  w.U8(kTxVersion)
      .Str(tx.chain_id)
      .Fixed(tx.sender)
      .U64(tx.nonce)
      .U128(tx.max_fee)
      .Str(tx.kind)
      .Blob(tx.payload);
  return w;
}

Status Malformed(const std::string& msg) {
  return Status::InvalidArgument("transaction: " + msg, "malformed_encoding");
}

}  // namespace

Bytes Transaction::SigningBytes() const {
  Bytes out(kTxDomain.begin(), kTxDomain.end());
  Bytes body = EncodeBody(*this).bytes();
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes Transaction::Encode() const {
  Writer w = EncodeBody(*this);
  w.Fixed(signature);
  return std::move(w).bytes();
}

Hash32 Transaction::Hash() const { return Sha256(Encode()); }

void Transaction::SignWith(const KeyPair& key) {
  sender = key.public_key();
  signature = key.Sign(SigningBytes());
}

bool Transaction::SignatureValid() const {
  return VerifySignature(sender, SigningBytes(), signature);
}

Result<Transaction> Transaction::Decode(ByteView encoded) {
  if (encoded.size() > kMaxTxBytesCeiling) {
    return Status::ResourceExhausted(
        "transaction of " + std::to_string(encoded.size()) + " bytes exceeds the ceiling",
        "oversized");
  }
  Reader r(encoded);
  Transaction tx;
  uint8_t version = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != kTxVersion) {
    return Malformed("unsupported version " + std::to_string(version));
  }
  if (s.ok()) s = r.Str(&tx.chain_id, kMaxChainIdBytes);
  if (s.ok()) s = r.Fixed(&tx.sender);
  if (s.ok()) s = r.U64(&tx.nonce);
  if (s.ok()) s = r.U128(&tx.max_fee);
  if (s.ok()) s = r.Str(&tx.kind, kMaxKindBytes);
  if (s.ok()) s = r.Blob(&tx.payload, kMaxTxBytesCeiling);
  if (s.ok()) s = r.Fixed(&tx.signature);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Malformed(s.message());
  return tx;
}

Result<nlohmann::json> Transaction::ToJson(const TxKindRegistry& kinds) const {
  nlohmann::json payload_json;
  if (const TxKind* k = kinds.Find(kind)) {
    auto pj = k->PayloadToJson(payload);
    payload_json = pj.ok() ? *pj : nlohmann::json(ToHex(payload));
  } else {
    payload_json = ToHex(payload);
  }
  Bytes raw = Encode();
  return nlohmann::json{{"hash", ToHex(Sha256(raw))},
                        {"chain_id", chain_id},
                        {"sender", ToHex(sender)},
                        {"from", sender_address().ToString()},
                        {"nonce", nonce},
                        {"max_fee", AmountToString(max_fee)},
                        {"kind", kind},
                        {"payload", payload_json},
                        {"signature", ToHex(signature)},
                        {"raw", ToHex(raw)}};
}

Result<Transaction> Transaction::FromJson(const nlohmann::json& j, const TxKindRegistry& kinds) {
  if (!j.is_object())
    return Status::InvalidArgument("transaction must be a JSON object", "bad_json");
  if (j.contains("raw")) {
    if (!j["raw"].is_string())
      return Status::InvalidArgument("'raw' must be a hex string", "bad_json");
    const auto& raw = j["raw"].get_ref<const std::string&>();
    if (raw.size() / 2 > kMaxTxBytesCeiling) {
      return Status::ResourceExhausted("transaction exceeds the size ceiling", "oversized");
    }
    auto bytes = FromHex(raw);
    if (!bytes.ok()) return Malformed("'raw': " + bytes.status().message());
    return Decode(*bytes);
  }
  auto field = [&](const char* name, nlohmann::json::value_t type) -> Status {
    if (!j.contains(name))
      return Status::InvalidArgument(std::string("missing field '") + name + "'", "bad_json");
    if (j[name].type() != type &&
        !(type == nlohmann::json::value_t::number_unsigned && j[name].is_number_unsigned())) {
      return Status::InvalidArgument(std::string("field '") + name + "' has the wrong type",
                                     "bad_json");
    }
    return Status::OK();
  };
  using vt = nlohmann::json::value_t;
  TRIB_RETURN_IF_ERROR(field("chain_id", vt::string));
  TRIB_RETURN_IF_ERROR(field("sender", vt::string));
  TRIB_RETURN_IF_ERROR(field("nonce", vt::number_unsigned));
  TRIB_RETURN_IF_ERROR(field("max_fee", vt::string));
  TRIB_RETURN_IF_ERROR(field("kind", vt::string));
  TRIB_RETURN_IF_ERROR(field("signature", vt::string));
  if (!j.contains("payload")) return Status::InvalidArgument("missing field 'payload'", "bad_json");
  Transaction tx;
  tx.chain_id = j["chain_id"].get<std::string>();
  if (tx.chain_id.size() > kMaxChainIdBytes) return Malformed("chain_id too long");
  TRIB_ASSIGN_OR_RETURN(tx.sender, FixedFromHex<32>(j["sender"].get<std::string>()));
  tx.nonce = j["nonce"].get<uint64_t>();
  TRIB_ASSIGN_OR_RETURN(tx.max_fee, ParseAmount(j["max_fee"].get<std::string>()));
  tx.kind = j["kind"].get<std::string>();
  if (tx.kind.size() > kMaxKindBytes) return Malformed("kind too long");
  const TxKind* k = kinds.Find(tx.kind);
  if (!k)
    return Status::InvalidArgument("unknown transaction kind '" + tx.kind + "'", "unknown_kind");
  TRIB_ASSIGN_OR_RETURN(tx.payload, k->PayloadFromJson(j["payload"]));
  TRIB_ASSIGN_OR_RETURN(tx.signature, FixedFromHex<64>(j["signature"].get<std::string>()));
  return tx;
}

}  // namespace tributary
