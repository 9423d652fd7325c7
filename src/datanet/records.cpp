#include "tributary/datanet/records.h"

#include <algorithm>
#include <cstring>

#include "tributary/base/encoding.h"
#include "tributary/base/unicode.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/merkle.h"

namespace tributary::datanet {
namespace {

using json = nlohmann::json;

constexpr uint8_t kRecordVersion = 1;

Status Bad(const std::string& msg) { return Status::InvalidArgument(msg, "bad_datanet"); }

std::string Key(char prefix, uint64_t a) {
  Writer w;
  w.U8(static_cast<uint8_t>(prefix)).U64(a);
  return std::string(AsString(w.bytes()));
}
std::string Key(char prefix, uint64_t a, uint64_t b) {
  Writer w;
  w.U8(static_cast<uint8_t>(prefix)).U64(a).U64(b);
  return std::string(AsString(w.bytes()));
}
std::string Key(char prefix, uint64_t a, const Address& who) {
  Writer w;
  w.U8(static_cast<uint8_t>(prefix)).U64(a).Fixed(who.bytes);
  return std::string(AsString(w.bytes()));
}

Status Corrupt(const char* what, const Status& s) {
  return Status::Corruption(std::string("stored ") + what + " does not decode: " + s.message());
}

template <typename T>
Result<std::optional<T>> LoadRecord(const StateReader& s, const std::string& key,
                                    const char* what) {
  auto raw = s.Get(key);
  if (!raw) return std::optional<T>();
  auto r = T::Decode(*raw);
  if (!r.ok()) return Corrupt(what, r.status());
  return std::optional<T>(std::move(*r));
}

Status CheckText(const char* field, std::string_view v, size_t max_chars, bool required) {
  if (required && v.empty()) return Bad(std::string(field) + " is required");
  if (!IsValidUtf8(v)) return Bad(std::string(field) + " is not valid UTF-8");
  if (HasControlChars(v, false)) return Bad(std::string(field) + " holds control characters");
  if (CountCodePoints(v) > max_chars) {
    return Bad(std::string(field) + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return Status::OK();
}

// SPDX ids: idstring = 1*(ALPHA / DIGIT / "-" / "." ), plus the "+" suffix and WITH/AND/OR
// expressions are not accepted here: one license id per Datanet keeps the rule checkable.
bool IsSpdxId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || (c == '+' && i + 1 == s.size());
    if (!ok) return false;
  }
  return true;
}

bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > kMaxTagChars) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

void WriteStrings(Writer& w, const std::vector<std::string>& v) {
  w.U32(static_cast<uint32_t>(v.size()));
  for (const auto& s : v) w.Str(s);
}
Status ReadStrings(Reader& r, std::vector<std::string>* v, uint32_t max) {
  uint32_t n;
  TRIB_RETURN_IF_ERROR(r.U32(&n));
  if (n > max) return Status::InvalidArgument("too many entries");
  v->resize(n);
  for (auto& s : *v) TRIB_RETURN_IF_ERROR(r.Str(&s, 1 << 16));
  return Status::OK();
}

void WriteBool(Writer& w, bool b) { w.U8(b ? 1 : 0); }
Status ReadBool(Reader& r, bool* b) {
  uint8_t v;
  TRIB_RETURN_IF_ERROR(r.U8(&v));
  if (v > 1) return Status::InvalidArgument("bad boolean");
  *b = v == 1;
  return Status::OK();
}

Status ReadVersionByte(Reader& r) {
  uint8_t v;
  TRIB_RETURN_IF_ERROR(r.U8(&v));
  if (v != kRecordVersion) return Status::InvalidArgument("unknown record version");
  return Status::OK();
}

}  // namespace

std::string_view PolicyName(Policy p) { return p == Policy::kOpen ? "open" : "approval"; }

Result<Policy> ParsePolicy(std::string_view name) {
  if (name == "open") return Policy::kOpen;
  if (name == "approval") return Policy::kApproval;
  return Bad("policy must be 'open' or 'approval', not '" + std::string(name) + "'");
}

std::string_view StatusName(ContributionStatus s) {
  switch (s) {
    case ContributionStatus::kPending:
      return "pending";
    case ContributionStatus::kAccepted:
      return "accepted";
    case ContributionStatus::kRejected:
      return "rejected";
  }
  return "unknown";
}

Status DatanetSpec::CheckEditable() const {
  TRIB_RETURN_IF_ERROR(CheckText("summary", summary, kMaxSummaryChars, false));
  if (description.size() > kMaxDescriptionBytes) {
    return Bad("description is larger than " + std::to_string(kMaxDescriptionBytes) + " bytes");
  }
  if (!IsValidUtf8(description)) return Bad("description is not valid UTF-8");
  if (HasControlChars(description, true)) return Bad("description holds control characters");
  if (tags.size() > kMaxTags) return Bad("at most " + std::to_string(kMaxTags) + " tags");
  for (size_t i = 0; i < tags.size(); ++i) {
    if (!IsTag(tags[i])) {
      return Bad("tag '" + tags[i] + "' must be 1-32 characters of a-z, 0-9 and '-'");
    }
    for (size_t k = 0; k < i; ++k) {
      if (tags[k] == tags[i]) return Bad("tag '" + tags[i] + "' is repeated");
    }
  }
  return Status::OK();
}

Status DatanetSpec::Check() const {
  TRIB_RETURN_IF_ERROR(CheckText("name", name, kMaxNameChars, true));
  TRIB_RETURN_IF_ERROR(CheckEditable());
  if (modality != "text") {
    return Bad("modality '" + modality + "' is not supported yet (only 'text')");
  }
  if (!IsSpdxId(license)) {
    return Bad("license must be an SPDX license id such as MIT or CC-BY-4.0, not '" + license +
               "'");
  }
  // UINT32_MAX: unset in a datanet.create payload (the governed default, datanet/kinds.h).
  if (slash_bps > 10000 && slash_bps != UINT32_MAX) return Bad("slash_bps must be at most 10000");
  if (near_duplicate_bps == 0 || near_duplicate_bps > 10000) {
    return Bad("near_duplicate_bps must be in 1..10000");
  }
  // A quota of 0 in a datanet.create payload means the governed default (datanet/kinds.h).
  if (quotas.bytes_per_file > kMaxBytesPerFile) {
    return Bad("bytes_per_file may be at most " + std::to_string(kMaxBytesPerFile));
  }
  if (schema.kind == RowSchema::Kind::kFields &&
      (schema.fields.empty() || schema.fields.size() > 32)) {
    return Bad("a fields schema names 1 to 32 fields");
  }
  return Status::OK();
}

// ---- Datanet ----

Bytes Datanet::Encode() const {
  Writer w;
  w.U8(kRecordVersion).U64(id).Fixed(owner.bytes);
  w.Str(spec.name).Str(spec.summary).Str(spec.description);
  WriteStrings(w, spec.tags);
  w.Str(spec.modality).Str(spec.license).U8(static_cast<uint8_t>(spec.policy)).U128(spec.stake);
  w.U32(spec.slash_bps).U64(spec.quotas.bytes_per_day).U32(spec.quotas.files_per_day);
  w.U64(spec.quotas.bytes_per_file).U32(spec.near_duplicate_bps).Str(spec.schema.ToJson().dump());
  w.U64(created_height).U64(created_ms).U64(contributions).U64(accepted).U64(rejected);
  w.U64(accepted_rows).U64(accepted_bytes).U64(contributors).U32(versions);
  return std::move(w).bytes();
}

Result<Datanet> Datanet::Decode(ByteView b) {
  Reader r(b);
  Datanet d;
  uint8_t policy;
  std::string schema;
  TRIB_RETURN_IF_ERROR(ReadVersionByte(r));
  TRIB_RETURN_IF_ERROR(r.U64(&d.id));
  TRIB_RETURN_IF_ERROR(r.Fixed(&d.owner.bytes));
  TRIB_RETURN_IF_ERROR(r.Str(&d.spec.name));
  TRIB_RETURN_IF_ERROR(r.Str(&d.spec.summary));
  TRIB_RETURN_IF_ERROR(r.Str(&d.spec.description));
  TRIB_RETURN_IF_ERROR(ReadStrings(r, &d.spec.tags, kMaxTags));
  TRIB_RETURN_IF_ERROR(r.Str(&d.spec.modality));
  TRIB_RETURN_IF_ERROR(r.Str(&d.spec.license));
  TRIB_RETURN_IF_ERROR(r.U8(&policy));
  if (policy > 1) return Status::InvalidArgument("bad policy");
  d.spec.policy = static_cast<Policy>(policy);
  TRIB_RETURN_IF_ERROR(r.U128(&d.spec.stake));
  TRIB_RETURN_IF_ERROR(r.U32(&d.spec.slash_bps));
  TRIB_RETURN_IF_ERROR(r.U64(&d.spec.quotas.bytes_per_day));
  TRIB_RETURN_IF_ERROR(r.U32(&d.spec.quotas.files_per_day));
  TRIB_RETURN_IF_ERROR(r.U64(&d.spec.quotas.bytes_per_file));
  TRIB_RETURN_IF_ERROR(r.U32(&d.spec.near_duplicate_bps));
  TRIB_RETURN_IF_ERROR(r.Str(&schema, 1 << 16));
  auto sj = json::parse(schema, nullptr, false);
  if (sj.is_discarded()) return Status::InvalidArgument("schema is not JSON");
  TRIB_ASSIGN_OR_RETURN(d.spec.schema, RowSchema::FromJson(sj));
  TRIB_RETURN_IF_ERROR(r.U64(&d.created_height));
  TRIB_RETURN_IF_ERROR(r.U64(&d.created_ms));
  TRIB_RETURN_IF_ERROR(r.U64(&d.contributions));
  TRIB_RETURN_IF_ERROR(r.U64(&d.accepted));
  TRIB_RETURN_IF_ERROR(r.U64(&d.rejected));
  TRIB_RETURN_IF_ERROR(r.U64(&d.accepted_rows));
  TRIB_RETURN_IF_ERROR(r.U64(&d.accepted_bytes));
  TRIB_RETURN_IF_ERROR(r.U64(&d.contributors));
  TRIB_RETURN_IF_ERROR(r.U32(&d.versions));
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return d;
}

json Datanet::ToJson() const {
  return json{{"id", id},
              {"owner", owner.ToString()},
              {"name", spec.name},
              {"summary", spec.summary},
              {"description", spec.description},
              {"tags", spec.tags},
              {"modality", spec.modality},
              {"license", spec.license},
              {"policy", PolicyName(spec.policy)},
              {"stake", AmountToString(spec.stake)},
              {"slash_bps", spec.slash_bps},
              {"quotas",
               {{"bytes_per_day", spec.quotas.bytes_per_day},
                {"files_per_day", spec.quotas.files_per_day},
                {"bytes_per_file", spec.quotas.bytes_per_file}}},
              {"near_duplicate_threshold", spec.near_duplicate_bps / 10000.0},
              {"schema", spec.schema.ToJson()},
              {"created_height", created_height},
              {"created_ms", created_ms},
              {"stats",
               {{"contributions", contributions},
                {"accepted", accepted},
                {"rejected", rejected},
                {"pending", contributions - accepted - rejected},
                {"accepted_rows", accepted_rows},
                {"accepted_bytes", accepted_bytes},
                {"contributors", contributors},
                {"versions", versions}}}};
}

// ---- Contribution ----

Bytes Contribution::Encode() const {
  Writer w;
  w.U8(kRecordVersion).Fixed(id).U64(datanet).Fixed(contributor.bytes).Fixed(content_root);
  w.U64(rows).U64(bytes).U64(rejected_rows).U32(static_cast<uint32_t>(files.size()));
  for (const auto& f : files) w.Str(f.name).Str(f.type).U64(f.bytes);
  w.Fixed(report_hash).U8(static_cast<uint8_t>(status)).U128(stake).U64(index);
  w.U64(accepted_index).U64(submitted_height).U64(submitted_ms).U64(reviewed_height);
  w.Str(reason);
  WriteBool(w, spam);
  w.U128(slashed);
  return std::move(w).bytes();
}

Result<Contribution> Contribution::Decode(ByteView b) {
  Reader r(b);
  Contribution c;
  uint32_t nfiles;
  uint8_t status;
  TRIB_RETURN_IF_ERROR(ReadVersionByte(r));
  TRIB_RETURN_IF_ERROR(r.Fixed(&c.id));
  TRIB_RETURN_IF_ERROR(r.U64(&c.datanet));
  TRIB_RETURN_IF_ERROR(r.Fixed(&c.contributor.bytes));
  TRIB_RETURN_IF_ERROR(r.Fixed(&c.content_root));
  TRIB_RETURN_IF_ERROR(r.U64(&c.rows));
  TRIB_RETURN_IF_ERROR(r.U64(&c.bytes));
  TRIB_RETURN_IF_ERROR(r.U64(&c.rejected_rows));
  TRIB_RETURN_IF_ERROR(r.U32(&nfiles));
  if (nfiles > kMaxFilesPerContribution) return Status::InvalidArgument("too many files");
  c.files.resize(nfiles);
  for (auto& f : c.files) {
    TRIB_RETURN_IF_ERROR(r.Str(&f.name, 1024));
    TRIB_RETURN_IF_ERROR(r.Str(&f.type, 16));
    TRIB_RETURN_IF_ERROR(r.U64(&f.bytes));
  }
  TRIB_RETURN_IF_ERROR(r.Fixed(&c.report_hash));
  TRIB_RETURN_IF_ERROR(r.U8(&status));
  if (status > 2) return Status::InvalidArgument("bad status");
  c.status = static_cast<ContributionStatus>(status);
  TRIB_RETURN_IF_ERROR(r.U128(&c.stake));
  TRIB_RETURN_IF_ERROR(r.U64(&c.index));
  TRIB_RETURN_IF_ERROR(r.U64(&c.accepted_index));
  TRIB_RETURN_IF_ERROR(r.U64(&c.submitted_height));
  TRIB_RETURN_IF_ERROR(r.U64(&c.submitted_ms));
  TRIB_RETURN_IF_ERROR(r.U64(&c.reviewed_height));
  TRIB_RETURN_IF_ERROR(r.Str(&c.reason, 4096));
  TRIB_RETURN_IF_ERROR(ReadBool(r, &c.spam));
  TRIB_RETURN_IF_ERROR(r.U128(&c.slashed));
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return c;
}

uint64_t Contribution::FileBytes() const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.bytes;  // bounded: each file <= kMaxBytesPerFile
  return n;
}

json Contribution::ToJson() const {
  json files_json = json::array();
  for (const auto& f : files) {
    files_json.push_back({{"name", f.name}, {"type", f.type}, {"bytes", f.bytes}});
  }
  json j{{"id", ToHex(id)},
         {"datanet", datanet},
         {"contributor", contributor.ToString()},
         {"content_root", ToHex(content_root)},
         {"rows", rows},
         {"bytes", bytes},
         {"rejected_rows", rejected_rows},
         {"files", files_json},
         {"report_hash", ToHex(report_hash)},
         {"status", StatusName(status)},
         {"stake", AmountToString(stake)},
         {"index", index},
         {"submitted_height", submitted_height},
         {"submitted_ms", submitted_ms}};
  if (status == ContributionStatus::kAccepted) j["accepted_index"] = accepted_index;
  if (status != ContributionStatus::kPending && reviewed_height) {
    j["reviewed_height"] = reviewed_height;
  }
  if (status == ContributionStatus::kRejected) {
    j["reason"] = reason;
    j["spam"] = spam;
    j["slashed"] = AmountToString(slashed);
  }
  return j;
}

// ---- Version ----

Bytes Version::Encode() const {
  Writer w;
  w.U8(kRecordVersion).U64(datanet).U32(number).Fixed(root).U64(contributions).U64(rows);
  w.U64(bytes).U64(height).U64(timestamp_ms);
  return std::move(w).bytes();
}

Result<Version> Version::Decode(ByteView b) {
  Reader r(b);
  Version v;
  TRIB_RETURN_IF_ERROR(ReadVersionByte(r));
  TRIB_RETURN_IF_ERROR(r.U64(&v.datanet));
  TRIB_RETURN_IF_ERROR(r.U32(&v.number));
  TRIB_RETURN_IF_ERROR(r.Fixed(&v.root));
  TRIB_RETURN_IF_ERROR(r.U64(&v.contributions));
  TRIB_RETURN_IF_ERROR(r.U64(&v.rows));
  TRIB_RETURN_IF_ERROR(r.U64(&v.bytes));
  TRIB_RETURN_IF_ERROR(r.U64(&v.height));
  TRIB_RETURN_IF_ERROR(r.U64(&v.timestamp_ms));
  TRIB_RETURN_IF_ERROR(r.ExpectEnd());
  return v;
}

json Version::ToJson() const {
  return json{{"datanet", datanet},  {"version", number},
              {"root", ToHex(root)}, {"contributions", contributions},
              {"rows", rows},        {"bytes", bytes},
              {"height", height},    {"timestamp_ms", timestamp_ms}};
}

// ---- keys and loaders ----

std::string CounterKey() { return "N"; }
std::string DatanetKey(uint64_t id) { return Key('d', id); }
std::string ContributionKey(const Hash32& id) {
  return "c" + std::string(reinterpret_cast<const char*>(id.data()), id.size());
}
std::string ContributionListKey(uint64_t datanet, uint64_t index) {
  return Key('l', datanet, index);
}
std::string AcceptedListKey(uint64_t datanet, uint64_t index) { return Key('A', datanet, index); }
std::string VersionKey(uint64_t datanet, uint32_t number) {
  Writer w;
  w.U8('v').U64(datanet).U32(number);
  return std::string(AsString(w.bytes()));
}
std::string QuotaKey(uint64_t datanet, const Address& who) { return Key('q', datanet, who); }
std::string StatsKey(uint64_t datanet, const Address& who) { return Key('p', datanet, who); }
std::string ContributorListKey(uint64_t datanet, uint64_t index) {
  return Key('P', datanet, index);
}

Address EscrowAddress() {
  static const Address escrow = SystemAddress("tributary/datanet/escrow/v1");
  return escrow;
}

Result<uint64_t> LoadDatanetCount(const StateReader& s) {
  auto raw = s.Get(CounterKey());
  if (!raw) return uint64_t{0};
  Reader r(*raw);
  uint64_t n;
  Status st = r.U64(&n);
  if (st.ok()) st = r.ExpectEnd();
  if (!st.ok()) return Corrupt("datanet counter", st);
  return n;
}

Result<std::optional<Datanet>> LoadDatanet(const StateReader& s, uint64_t id) {
  return LoadRecord<Datanet>(s, DatanetKey(id), "datanet");
}
Result<std::optional<Contribution>> LoadContribution(const StateReader& s, const Hash32& id) {
  return LoadRecord<Contribution>(s, ContributionKey(id), "contribution");
}
Result<std::optional<Version>> LoadVersion(const StateReader& s, uint64_t datanet, uint32_t n) {
  return LoadRecord<Version>(s, VersionKey(datanet, n), "version");
}

Result<Hash32> LoadListEntry(const StateReader& s, const std::string& key) {
  auto raw = s.Get(key);
  if (!raw || raw->size() != 32) return Status::Corruption("list entry missing or malformed");
  Hash32 h;
  std::memcpy(h.data(), raw->data(), 32);
  return h;
}

Result<ContributorStats> LoadStats(const StateReader& s, uint64_t datanet, const Address& who) {
  ContributorStats st;
  auto raw = s.Get(StatsKey(datanet, who));
  if (!raw) return st;
  Reader r(*raw);
  Status e = r.U64(&st.submitted);
  if (e.ok()) e = r.U64(&st.accepted);
  if (e.ok()) e = r.U64(&st.rejected);
  if (e.ok()) e = r.U64(&st.pending);
  if (e.ok()) e = r.U64(&st.accepted_rows);
  if (e.ok()) e = r.U64(&st.slashed_count);
  if (e.ok()) e = r.ExpectEnd();
  if (!e.ok()) return Corrupt("contributor stats", e);
  return st;
}

Result<Address> LoadContributorAt(const StateReader& s, uint64_t datanet, uint64_t index) {
  auto raw = s.Get(ContributorListKey(datanet, index));
  Address a;
  if (!raw || raw->size() != a.bytes.size()) {
    return Status::Corruption("contributor list entry missing or malformed");
  }
  std::memcpy(a.bytes.data(), raw->data(), a.bytes.size());
  return a;
}

void StoreDatanet(Overlay& s, const Datanet& d) { s.Put(DatanetKey(d.id), d.Encode()); }
void StoreContribution(Overlay& s, const Contribution& c) {
  s.Put(ContributionKey(c.id), c.Encode());
}
void StoreVersion(Overlay& s, const Version& v) {
  s.Put(VersionKey(v.datanet, v.number), v.Encode());
}
void StoreListEntry(Overlay& s, const std::string& key, const Hash32& id) {
  s.Put(key, Bytes(id.begin(), id.end()));
}
void StoreStats(Overlay& s, uint64_t datanet, const Address& who, const ContributorStats& st) {
  s.Put(StatsKey(datanet, who), Writer()
                                    .U64(st.submitted)
                                    .U64(st.accepted)
                                    .U64(st.rejected)
                                    .U64(st.pending)
                                    .U64(st.accepted_rows)
                                    .U64(st.slashed_count)
                                    .bytes());
}

Hash32 ContentRoot(const std::vector<Hash32>& row_ids) {
  std::vector<Hash32> leaves;
  leaves.reserve(row_ids.size());
  for (const auto& id : row_ids) leaves.push_back(merkle::LeafHash(id));
  return merkle::RootFromLeafHashes(leaves);
}

Bytes VersionLeaf(const Contribution& c) {
  return Writer().Fixed(c.id).Fixed(c.content_root).U64(c.rows).Fixed(c.contributor.bytes).bytes();
}

Result<Contribution> DecodeVersionLeaf(ByteView leaf) {
  Reader r(leaf);
  Contribution c;
  Status s = r.Fixed(&c.id);
  if (s.ok()) s = r.Fixed(&c.content_root);
  if (s.ok()) s = r.U64(&c.rows);
  if (s.ok()) s = r.Fixed(&c.contributor.bytes);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::InvalidArgument("not a version leaf: " + s.message(), "bad_proof");
  return c;
}

}  // namespace tributary::datanet
