// API keys, inference receipts and earnings: encodings, JSON forms, state keys and loaders.
#include <algorithm>
#include <random>

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/base/unicode.h"
#include "tributary/economy/inference.h"
#include "tributary/ledger/payload_kind.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

constexpr uint8_t kKeyRecordVersion = 1;
constexpr uint8_t kReceiptRecordVersion = 1;

Status Corrupt(const char* what, const Status& s) {
  return Status::Corruption(std::string("stored ") + what + " does not decode: " + s.message());
}

std::string Prefixed(char prefix, ByteView rest) {
  Writer w;
  w.U8(static_cast<uint8_t>(prefix)).Raw(rest);
  return std::string(AsString(w.bytes()));
}

Result<Amount> AmountField(const json& j, const char* field) {
  TRIB_ASSIGN_OR_RETURN(std::string text, PayloadString(j, field, std::string("0")));
  auto a = ParseAmount(text);
  if (!a.ok()) {
    return BadPayload(std::string("payload.") + field +
                      " must be a decimal string of base units: " + a.status().message());
  }
  return *a;
}

Status BadReceipt(const std::string& m) { return Status::InvalidArgument(m, "bad_receipt"); }

}  // namespace

Hash32 ApiKeyHash(std::string_view secret) { return Sha256(AsBytes(secret)); }

std::string NewApiKeySecret() {
  std::random_device rd;
  Bytes b(32);
  for (auto& x : b) x = static_cast<uint8_t>(rd());
  return "trb-sk-" + ToHex(b);
}

Status CheckRequestId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxRequestIdChars;
  for (char c : id) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  }
  if (!ok) {
    return Status::InvalidArgument("request id must be 1..64 characters of [A-Za-z0-9_-]",
                                   "bad_request_id");
  }
  return Status::OK();
}

// ---- ApiKey ----

bool ApiKey::Allows(uint64_t model) const {
  return models.empty() || std::find(models.begin(), models.end(), model) != models.end();
}

Bytes ApiKey::Encode() const {
  Writer w;
  w.U8(kKeyRecordVersion).Fixed(key_hash).Fixed(owner.bytes).Str(label);
  w.U32(static_cast<uint32_t>(models.size()));
  for (uint64_t m : models) w.U64(m);
  w.U128(daily_limit).U128(total_limit).U64(expires_ms).U64(created_height).U64(created_ms);
  w.U8(revoked ? 1 : 0).U64(revoked_height).U128(spent_total).U64(spent_day).U128(spent_today);
  w.U64(requests);
  return std::move(w).bytes();
}

Result<ApiKey> ApiKey::Decode(ByteView b) {
  Reader r(b);
  ApiKey k;
  uint8_t version = 0, revoked = 0;
  uint32_t n = 0;
  TRIB_RETURN_IF_ERROR(r.U8(&version));
  if (version != kKeyRecordVersion) return Status::InvalidArgument("unknown record version");
  TRIB_RETURN_IF_ERROR(r.Fixed(&k.key_hash));
  TRIB_RETURN_IF_ERROR(r.Fixed(&k.owner.bytes));
  TRIB_RETURN_IF_ERROR(r.Str(&k.label, kMaxKeyLabelChars * 4));
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxKeyModels) return Status::InvalidArgument("too many models");
  k.models.resize(n);
  for (auto& m : k.models) TRIB_RETURN_IF_ERROR(r.U64(&m));
  TRIB_RETURN_IF_ERROR(r.U128(&k.daily_limit));
  TRIB_RETURN_IF_ERROR(r.U128(&k.total_limit));
  TRIB_RETURN_IF_ERROR(r.U64(&k.expires_ms));
  TRIB_RETURN_IF_ERROR(r.U64(&k.created_height));
  TRIB_RETURN_IF_ERROR(r.U64(&k.created_ms));
  TRIB_RETURN_IF_ERROR(r.U8(&revoked));
  k.revoked = revoked != 0;
  TRIB_RETURN_IF_ERROR(r.U64(&k.revoked_height));
  TRIB_RETURN_IF_ERROR(r.U128(&k.spent_total));
  TRIB_RETURN_IF_ERROR(r.U64(&k.spent_day));
  TRIB_RETURN_IF_ERROR(r.U128(&k.spent_today));
  TRIB_RETURN_IF_ERROR(r.U64(&k.requests));
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return k;
}

json ApiKey::ToJson() const {
  return json{{"key_hash", ToHex(key_hash)},
              {"owner", owner.ToString()},
              {"label", label},
              {"models", models},
              {"daily_limit", AmountToString(daily_limit)},
              {"total_limit", AmountToString(total_limit)},
              {"expires_ms", expires_ms},
              {"created_height", created_height},
              {"created_ms", created_ms},
              {"revoked", revoked},
              {"revoked_height", revoked_height},
              {"spent_total", AmountToString(spent_total)},
              {"spent_day", spent_day},
              {"spent_today", AmountToString(spent_today)},
              {"requests", requests}};
}

// ---- apikey.create / apikey.revoke payloads ----

Bytes CreateApiKeyPayload::Encode() const {
  Writer w;
  w.Fixed(key_hash).Str(label).U32(static_cast<uint32_t>(models.size()));
  for (uint64_t m : models) w.U64(m);
  w.U128(daily_limit).U128(total_limit).U64(expires_ms);
  return std::move(w).bytes();
}

Result<CreateApiKeyPayload> CreateApiKeyPayload::Decode(ByteView b) {
  Reader r(b);
  CreateApiKeyPayload p;
  uint32_t n = 0;
  Status s = r.Fixed(&p.key_hash);
  if (s.ok()) s = r.Str(&p.label, kMaxKeyLabelChars * 4);
  if (s.ok()) s = r.U32(&n);
  if (s.ok() && n > kMaxKeyModels) s = Status::InvalidArgument("too many models");
  for (uint32_t i = 0; s.ok() && i < n; ++i) {
    uint64_t m = 0;
    s = r.U64(&m);
    p.models.push_back(m);
  }
  if (s.ok()) s = r.U128(&p.daily_limit);
  if (s.ok()) s = r.U128(&p.total_limit);
  if (s.ok()) s = r.U64(&p.expires_ms);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json CreateApiKeyPayload::ToJson() const {
  return json{{"key_hash", ToHex(key_hash)},
              {"label", label},
              {"models", models},
              {"daily_limit", AmountToString(daily_limit)},
              {"total_limit", AmountToString(total_limit)},
              {"expires_ms", expires_ms}};
}

Result<CreateApiKeyPayload> CreateApiKeyPayload::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  CreateApiKeyPayload p;
  TRIB_ASSIGN_OR_RETURN(p.key_hash, PayloadHash(j, "key_hash"));
  TRIB_ASSIGN_OR_RETURN(p.label, PayloadString(j, "label", std::string()));
  auto it = j.find("models");
  if (it != j.end() && !it->is_null()) {
    if (!it->is_array()) return BadPayload("payload.models must be an array of model ids");
    for (const auto& m : *it) {
      if (!m.is_number_integer() || (!m.is_number_unsigned() && m.get<int64_t>() <= 0)) {
        return BadPayload("payload.models must hold positive model ids");
      }
      p.models.push_back(m.get<uint64_t>());
    }
  }
  TRIB_ASSIGN_OR_RETURN(p.daily_limit, AmountField(j, "daily_limit"));
  TRIB_ASSIGN_OR_RETURN(p.total_limit, AmountField(j, "total_limit"));
  TRIB_ASSIGN_OR_RETURN(p.expires_ms, PayloadU64(j, "expires_ms", 0));
  return p;
}

Status CreateApiKeyPayload::Check() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_apikey"); };
  if (key_hash == Hash32{}) return bad("key_hash is unset");
  if (!IsValidUtf8(label)) return bad("label is not valid UTF-8");
  if (HasControlChars(label)) return bad("label holds a control character");
  if (CountCodePoints(label) > kMaxKeyLabelChars) {
    return bad("label is longer than " + std::to_string(kMaxKeyLabelChars) + " characters");
  }
  if (models.size() > kMaxKeyModels) {
    return bad("a key names at most " + std::to_string(kMaxKeyModels) + " models");
  }
  for (size_t i = 0; i < models.size(); ++i) {
    if (models[i] == 0) return bad("model ids start at 1");
    if (i > 0 && models[i] <= models[i - 1]) return bad("models must be ascending ids");
  }
  return Status::OK();
}

Bytes RevokeApiKeyPayload::Encode() const { return Writer().Fixed(key_hash).bytes(); }

Result<RevokeApiKeyPayload> RevokeApiKeyPayload::Decode(ByteView b) {
  Reader r(b);
  RevokeApiKeyPayload p;
  Status s = r.Fixed(&p.key_hash);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json RevokeApiKeyPayload::ToJson() const { return json{{"key_hash", ToHex(key_hash)}}; }

Result<RevokeApiKeyPayload> RevokeApiKeyPayload::FromJson(const json& j) {
  RevokeApiKeyPayload p;
  TRIB_ASSIGN_OR_RETURN(p.key_hash, PayloadHash(j, "key_hash"));
  return p;
}

// ---- receipts ----

void InferenceReceipt::Encode(Writer& w) const {
  w.Str(request_id).Fixed(key_hash).U64(model).Fixed(prompt_hash).Fixed(output_hash);
  w.U64(prompt_tokens).U64(completion_tokens).U128(fee);
  w.U32(static_cast<uint32_t>(weights.size()));
  for (const auto& x : weights) w.Fixed(x.contribution).U32(x.parts);
  w.U32(unattributed).Fixed(provenance_hash).U64(served_ms);
}

Status InferenceReceipt::Decode(Reader& r, InferenceReceipt* out) {
  InferenceReceipt& p = *out;
  uint32_t n = 0;
  TRIB_RETURN_IF_ERROR(r.Str(&p.request_id, kMaxRequestIdChars));
  TRIB_RETURN_IF_ERROR(r.Fixed(&p.key_hash));
  TRIB_RETURN_IF_ERROR(r.U64(&p.model));
  TRIB_RETURN_IF_ERROR(r.Fixed(&p.prompt_hash));
  TRIB_RETURN_IF_ERROR(r.Fixed(&p.output_hash));
  TRIB_RETURN_IF_ERROR(r.U64(&p.prompt_tokens));
  TRIB_RETURN_IF_ERROR(r.U64(&p.completion_tokens));
  TRIB_RETURN_IF_ERROR(r.U128(&p.fee));
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxReceiptContributions) return Status::InvalidArgument("too many weights");
  p.weights.resize(n);
  for (auto& x : p.weights) {
    TRIB_RETURN_IF_ERROR(r.Fixed(&x.contribution));
    TRIB_RETURN_IF_ERROR(r.U32(&x.parts));
  }
  TRIB_RETURN_IF_ERROR(r.U32(&p.unattributed));
  TRIB_RETURN_IF_ERROR(r.Fixed(&p.provenance_hash));
  return r.U64(&p.served_ms);
}

json InferenceReceipt::ToJson() const {
  json w = json::array();
  for (const auto& x : weights) {
    w.push_back({{"contribution", ToHex(x.contribution)}, {"parts", x.parts}});
  }
  return json{{"request_id", request_id},
              {"key_hash", ToHex(key_hash)},
              {"model", model},
              {"prompt_hash", ToHex(prompt_hash)},
              {"output_hash", ToHex(output_hash)},
              {"prompt_tokens", prompt_tokens},
              {"completion_tokens", completion_tokens},
              {"fee", AmountToString(fee)},
              {"weights", w},
              {"unattributed", unattributed},
              {"provenance_hash", ToHex(provenance_hash)},
              {"served_ms", served_ms}};
}

Result<InferenceReceipt> InferenceReceipt::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("a receipt must be a JSON object");
  InferenceReceipt p;
  TRIB_ASSIGN_OR_RETURN(p.request_id, PayloadString(j, "request_id"));
  TRIB_ASSIGN_OR_RETURN(p.key_hash, PayloadHash(j, "key_hash"));
  TRIB_ASSIGN_OR_RETURN(p.model, PayloadU64(j, "model"));
  TRIB_ASSIGN_OR_RETURN(p.prompt_hash, PayloadHash(j, "prompt_hash"));
  TRIB_ASSIGN_OR_RETURN(p.output_hash, PayloadHash(j, "output_hash"));
  TRIB_ASSIGN_OR_RETURN(p.prompt_tokens, PayloadU64(j, "prompt_tokens"));
  TRIB_ASSIGN_OR_RETURN(p.completion_tokens, PayloadU64(j, "completion_tokens"));
  TRIB_ASSIGN_OR_RETURN(p.fee, AmountField(j, "fee"));
  auto it = j.find("weights");
  if (it != j.end() && !it->is_null()) {
    if (!it->is_array()) return BadPayload("receipt weights must be an array");
    if (it->size() > kMaxReceiptContributions) return BadPayload("too many receipt weights");
    for (const auto& x : *it) {
      ReceiptWeight w;
      TRIB_ASSIGN_OR_RETURN(w.contribution, PayloadHash(x, "contribution"));
      TRIB_ASSIGN_OR_RETURN(uint64_t parts, PayloadU64(x, "parts"));
      if (parts > kPartsPerMillion) return BadPayload("receipt weight parts exceed 1000000");
      w.parts = static_cast<uint32_t>(parts);
      p.weights.push_back(w);
    }
  }
  TRIB_ASSIGN_OR_RETURN(uint64_t un, PayloadU64(j, "unattributed"));
  if (un > kPartsPerMillion) return BadPayload("receipt unattributed exceeds 1000000");
  p.unattributed = static_cast<uint32_t>(un);
  TRIB_ASSIGN_OR_RETURN(p.provenance_hash, PayloadHash(j, "provenance_hash"));
  TRIB_ASSIGN_OR_RETURN(p.served_ms, PayloadU64(j, "served_ms", 0));
  return p;
}

Status InferenceReceipt::Check() const {
  Status id = CheckRequestId(request_id);
  if (!id.ok()) return BadReceipt(id.message());
  if (model == 0) return BadReceipt("receipt " + request_id + " names no model");
  if (weights.size() > kMaxReceiptContributions) return BadReceipt("too many weights");
  uint64_t sum = unattributed;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i].parts == 0) return BadReceipt("a weight of 0 parts is left out, not listed");
    if (i > 0 && !(weights[i - 1].contribution < weights[i].contribution)) {
      return BadReceipt("receipt weights must be sorted by contribution id without repeats");
    }
    sum += weights[i].parts;
  }
  if (sum != kPartsPerMillion) {
    return BadReceipt("receipt " + request_id + ": weights and unattributed sum to " +
                      std::to_string(sum) + ", not 1000000");
  }
  return Status::OK();
}

Bytes SettleInferencePayload::Encode() const {
  Writer w;
  w.U32(static_cast<uint32_t>(receipts.size()));
  for (const auto& r : receipts) r.Encode(w);
  return std::move(w).bytes();
}

Result<SettleInferencePayload> SettleInferencePayload::Decode(ByteView b) {
  Reader r(b);
  SettleInferencePayload p;
  uint32_t n = 0;
  Status s = r.U32(&n);
  if (s.ok() && n > kMaxReceiptsPerSettle) s = Status::InvalidArgument("too many receipts");
  for (uint32_t i = 0; s.ok() && i < n; ++i) {
    p.receipts.emplace_back();
    s = InferenceReceipt::Decode(r, &p.receipts.back());
  }
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json SettleInferencePayload::ToJson() const {
  json a = json::array();
  for (const auto& r : receipts) a.push_back(r.ToJson());
  return json{{"receipts", a}};
}

Result<SettleInferencePayload> SettleInferencePayload::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("receipts") || !j["receipts"].is_array()) {
    return BadPayload("payload.receipts must be an array");
  }
  if (j["receipts"].size() > kMaxReceiptsPerSettle) {
    return BadPayload("a settlement holds at most " + std::to_string(kMaxReceiptsPerSettle) +
                      " receipts");
  }
  SettleInferencePayload p;
  for (const auto& r : j["receipts"]) {
    TRIB_ASSIGN_OR_RETURN(auto receipt, InferenceReceipt::FromJson(r));
    p.receipts.push_back(std::move(receipt));
  }
  return p;
}

Status SettleInferencePayload::Check() const {
  if (receipts.empty()) return BadReceipt("a settlement holds at least one receipt");
  if (receipts.size() > kMaxReceiptsPerSettle) return BadReceipt("too many receipts");
  for (const auto& r : receipts) TRIB_RETURN_IF_ERROR(r.Check());
  return Status::OK();
}

Bytes SettledReceipt::Encode() const {
  Writer w;
  w.U8(kReceiptRecordVersion);
  receipt.Encode(w);
  w.Fixed(payer.bytes).U128(paid).U64(height).U64(timestamp_ms).Fixed(tx_hash);
  w.U32(static_cast<uint32_t>(parts.size()));
  for (const auto& p : parts) {
    w.U8(static_cast<uint8_t>(p.role)).Fixed(p.account.bytes).Fixed(p.contribution);
    w.U64(p.datanet).U128(p.amount);
  }
  return std::move(w).bytes();
}

Result<SettledReceipt> SettledReceipt::Decode(ByteView b) {
  Reader r(b);
  SettledReceipt s;
  uint8_t version = 0;
  uint32_t n = 0;
  TRIB_RETURN_IF_ERROR(r.U8(&version));
  if (version != kReceiptRecordVersion) return Status::InvalidArgument("unknown record version");
  TRIB_RETURN_IF_ERROR(InferenceReceipt::Decode(r, &s.receipt));
  TRIB_RETURN_IF_ERROR(r.Fixed(&s.payer.bytes));
  TRIB_RETURN_IF_ERROR(r.U128(&s.paid));
  TRIB_RETURN_IF_ERROR(r.U64(&s.height));
  TRIB_RETURN_IF_ERROR(r.U64(&s.timestamp_ms));
  TRIB_RETURN_IF_ERROR(r.Fixed(&s.tx_hash));
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxReceiptContributions + 2) return Status::InvalidArgument("too many parts");
  s.parts.resize(n);
  for (auto& p : s.parts) {
    uint8_t role = 0;
    TRIB_RETURN_IF_ERROR(r.U8(&role));
    if (role > static_cast<uint8_t>(SplitRole::kStakers)) {
      return Status::InvalidArgument("unknown role");
    }
    p.role = static_cast<SplitRole>(role);
    TRIB_RETURN_IF_ERROR(r.Fixed(&p.account.bytes));
    TRIB_RETURN_IF_ERROR(r.Fixed(&p.contribution));
    TRIB_RETURN_IF_ERROR(r.U64(&p.datanet));
    TRIB_RETURN_IF_ERROR(r.U128(&p.amount));
  }
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return s;
}

json SettledReceipt::ToJson() const {
  json j = receipt.ToJson();
  json parts_json = json::array();
  for (const auto& p : parts) {
    json e = {{"role", SplitRoleName(p.role)},
              {"account", p.account.ToString()},
              {"amount", AmountToString(p.amount)}};
    if (p.role == SplitRole::kContributor) {
      e["contribution"] = ToHex(p.contribution);
      e["datanet"] = p.datanet;
    }
    parts_json.push_back(std::move(e));
  }
  j["payer"] = payer.ToString();
  j["paid"] = AmountToString(paid);
  j["height"] = height;
  j["timestamp_ms"] = timestamp_ms;
  j["tx_hash"] = ToHex(tx_hash);
  j["split"] = parts_json;
  return j;
}

std::string DescribeReceipt(const SettledReceipt& s) {
  const InferenceReceipt& r = s.receipt;
  std::string out = "receipt " + r.request_id + ": model " + std::to_string(r.model) + ", " +
                    std::to_string(r.prompt_tokens) + "+" + std::to_string(r.completion_tokens) +
                    " tokens, fee " + AmountToString(r.fee) + " paid " + AmountToString(s.paid) +
                    " by " + s.payer.ToString() + " in block " + std::to_string(s.height) +
                    "; split:";
  for (const auto& p : s.parts) {
    out += " " + std::string(SplitRoleName(p.role)) + " " + p.account.ToString();
    if (p.role == SplitRole::kContributor) out += " (contribution " + ToHex(p.contribution) + ")";
    out += " " + AmountToString(p.amount) + ";";
  }
  out.pop_back();
  return out;
}

Bytes Earnings::Encode() const { return Writer().U128(total).U64(credits).bytes(); }

Result<Earnings> Earnings::Decode(ByteView b) {
  Reader r(b);
  Earnings e;
  TRIB_RETURN_IF_ERROR(r.U128(&e.total));
  TRIB_RETURN_IF_ERROR(r.U64(&e.credits));
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return e;
}

// ---- keys and loaders ----

std::string ApiKeyKey(const Hash32& key_hash) { return Prefixed('K', ByteView(key_hash)); }

std::string OwnerKeyListKey(const Address& owner, uint64_t index) {
  Writer w;
  w.U8('k').Fixed(owner.bytes).U64(index);
  return std::string(AsString(w.bytes()));
}

std::string OwnerKeyCountKey(const Address& owner) { return Prefixed('L', ByteView(owner.bytes)); }

std::string ReceiptKey(std::string_view request_id) { return Prefixed('R', AsBytes(request_id)); }

std::string EarningsKey(const Address& account) { return Prefixed('E', ByteView(account.bytes)); }

Result<std::optional<ApiKey>> LoadApiKey(const StateReader& s, const Hash32& key_hash) {
  auto raw = s.Get(ApiKeyKey(key_hash));
  if (!raw) return std::optional<ApiKey>();
  auto k = ApiKey::Decode(*raw);
  if (!k.ok()) return Corrupt("API key", k.status());
  return std::optional<ApiKey>(std::move(*k));
}

Result<uint64_t> LoadOwnerKeyCount(const StateReader& s, const Address& owner) {
  uint64_t count = 0;
  if (auto raw = s.Get(OwnerKeyCountKey(owner))) {
    Reader r(*raw);
    if (!r.U64(&count).ok() || !r.ExpectEnd().ok()) {
      return Status::Corruption("stored key count does not decode");
    }
  }
  return count;
}

Result<std::vector<ApiKey>> LoadOwnerApiKeys(const StateReader& s, const Address& owner) {
  std::vector<ApiKey> out;
  TRIB_ASSIGN_OR_RETURN(uint64_t count, LoadOwnerKeyCount(s, owner));
  for (uint64_t i = 0; i < count; ++i) {
    auto raw = s.Get(OwnerKeyListKey(owner, i));
    Hash32 h{};
    if (!raw || raw->size() != h.size()) return Status::Corruption("owner key list is broken");
    std::copy(raw->begin(), raw->end(), h.begin());
    TRIB_ASSIGN_OR_RETURN(auto k, LoadApiKey(s, h));
    if (!k) return Status::Corruption("owner key list names a missing key");
    out.push_back(std::move(*k));
  }
  return out;
}

Result<std::optional<SettledReceipt>> LoadReceipt(const StateReader& s,
                                                  std::string_view request_id) {
  auto raw = s.Get(ReceiptKey(request_id));
  if (!raw) return std::optional<SettledReceipt>();
  auto r = SettledReceipt::Decode(*raw);
  if (!r.ok()) return Corrupt("receipt", r.status());
  return std::optional<SettledReceipt>(std::move(*r));
}

Result<Earnings> LoadEarnings(const StateReader& s, const Address& account) {
  auto raw = s.Get(EarningsKey(account));
  if (!raw) return Earnings{};
  auto e = Earnings::Decode(*raw);
  if (!e.ok()) return Corrupt("earnings", e.status());
  return *e;
}

}  // namespace tributary::economy
