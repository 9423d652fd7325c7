#include "tributary/datanet/kinds.h"

#include <memory>

#include "tributary/base/encoding.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/merkle.h"
#include "tributary/ledger/payload_kind.h"
#include "tributary/ledger/tx.h"

namespace tributary::datanet {
namespace {

using json = nlohmann::json;

uint32_t ToU32(uint64_t v) { return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX)); }

Result<Datanet> RequireDatanet(const StateReader& s, uint64_t id) {
  TRIB_ASSIGN_OR_RETURN(auto d, LoadDatanet(s, id));
  if (!d) return Status::NotFound("no Datanet " + std::to_string(id), "unknown_datanet");
  return std::move(*d);
}

Status RequireOwner(const Datanet& d, const Address& sender, const char* action) {
  if (d.owner != sender) {
    return Status::PermissionDenied(std::string("only the owner of Datanet ") +
                                        std::to_string(d.id) + " (" + d.owner.ToString() +
                                        ") may " + action,
                                    "not_owner");
  }
  return Status::OK();
}

class CreateKind final : public PayloadKind<CreatePayload> {
 public:
  std::string_view name() const override { return kCreateKind; }

 protected:
  Status Check(const CreatePayload& p) const override { return p.spec.Check(); }
  Status Run(TxContext& ctx, const CreatePayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(uint64_t count, LoadDatanetCount(ctx.state));
    Datanet d;
    d.id = count + 1;
    d.owner = ctx.sender;
    d.spec = p.spec;
    // Unset quotas take the governed defaults in force now; the record keeps the numbers.
    Quotas& q = d.spec.quotas;
    if (q.bytes_per_day == 0) {
      TRIB_ASSIGN_OR_RETURN(Amount v,
                            ParamAt(ctx.state, DatanetParam(kDefaultBytesPerDayParam), ctx.height));
      q.bytes_per_day = static_cast<uint64_t>(v);
    }
    if (q.files_per_day == 0) {
      TRIB_ASSIGN_OR_RETURN(Amount v,
                            ParamAt(ctx.state, DatanetParam(kDefaultFilesPerDayParam), ctx.height));
      q.files_per_day = static_cast<uint32_t>(v);
    }
    if (q.bytes_per_file == 0) {
      TRIB_ASSIGN_OR_RETURN(
          Amount v, ParamAt(ctx.state, DatanetParam(kDefaultBytesPerFileParam), ctx.height));
      q.bytes_per_file = static_cast<uint64_t>(v);
    }
    if (d.spec.stake == kUnsetStake) {
      TRIB_ASSIGN_OR_RETURN(d.spec.stake,
                            ParamAt(ctx.state, DatanetParam(kDefaultStakeParam), ctx.height));
    }
    if (d.spec.slash_bps == kUnsetSlashBps) {
      TRIB_ASSIGN_OR_RETURN(Amount v,
                            ParamAt(ctx.state, DatanetParam(kDefaultSlashBpsParam), ctx.height));
      d.spec.slash_bps = static_cast<uint32_t>(v);
    }
    d.created_height = ctx.height;
    d.created_ms = ctx.timestamp_ms;
    StoreDatanet(ctx.state, d);
    ctx.state.Put(CounterKey(), Writer().U64(d.id).bytes());
    ctx.events.push_back({"datanet.created",
                          {{"datanet", std::to_string(d.id)},
                           {"owner", d.owner.ToString()},
                           {"name", d.spec.name}}});
    return Status::OK();
  }
};

class UpdateKind final : public PayloadKind<UpdatePayload> {
 public:
  std::string_view name() const override { return kUpdateKind; }

 protected:
  Status Check(const UpdatePayload& p) const override {
    DatanetSpec spec;
    spec.summary = p.summary;
    spec.description = p.description;
    spec.tags = p.tags;
    return spec.CheckEditable();
  }
  Status Run(TxContext& ctx, const UpdatePayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Datanet d, RequireDatanet(ctx.state, p.datanet));
    TRIB_RETURN_IF_ERROR(RequireOwner(d, ctx.sender, "update it"));
    d.spec.summary = p.summary;
    d.spec.description = p.description;
    d.spec.tags = p.tags;
    StoreDatanet(ctx.state, d);
    ctx.events.push_back({"datanet.updated", {{"datanet", std::to_string(d.id)}}});
    return Status::OK();
  }
};

bool KnownFileType(const std::string& t) {
  return t == "txt" || t == "md" || t == "jsonl" || t == "csv" || t == "json";
}

class SubmitKind final : public PayloadKind<SubmitPayload> {
 public:
  std::string_view name() const override { return kSubmitKind; }

 protected:
  Status Check(const SubmitPayload& p) const override {
    if (p.rows == 0) return BadPayload("a contribution must add at least one row");
    if (p.bytes == 0) return BadPayload("payload.bytes must be positive");
    if (p.files.empty() || p.files.size() > kMaxFilesPerContribution) {
      return BadPayload("a contribution has 1 to " + std::to_string(kMaxFilesPerContribution) +
                        " files");
    }
    for (const auto& f : p.files) {
      if (f.name.empty() || f.name.size() > 255 || f.name.find('/') != std::string::npos) {
        return BadPayload("file names are 1-255 bytes without '/'");
      }
      if (!KnownFileType(f.type)) return BadPayload("unknown file type '" + f.type + "'");
      if (f.bytes > kMaxBytesPerFile) return BadPayload("file '" + f.name + "' is too large");
    }
    return Status::OK();
  }

  Status Run(TxContext& ctx, const SubmitPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Datanet d, RequireDatanet(ctx.state, p.datanet));
    const Quotas& q = d.spec.quotas;
    uint64_t total = 0;
    for (const auto& f : p.files) {
      if (f.bytes > q.bytes_per_file) {
        return Status::FailedPrecondition(
            "file '" + f.name + "' has " + std::to_string(f.bytes) + " bytes; Datanet " +
                std::to_string(d.id) + " allows " + std::to_string(q.bytes_per_file) + " per file",
            "quota_exceeded");
      }
      total += f.bytes;
    }
    // Daily quota: the UTC day of the block timestamp.
    QuotaUse use;
    const std::string qkey = QuotaKey(d.id, ctx.sender);
    if (auto raw = ctx.state.Get(qkey)) {
      Reader r(*raw);
      Status s = r.U64(&use.day);
      if (s.ok()) s = r.U64(&use.bytes);
      if (s.ok()) s = r.U32(&use.files);
      if (!s.ok()) return Status::Corruption("stored quota use does not decode");
    }
    const uint64_t day = ctx.timestamp_ms / kMsPerDay;
    if (use.day != day) use = QuotaUse{day, 0, 0};
    if (use.bytes + total > q.bytes_per_day || use.files + p.files.size() > q.files_per_day) {
      return Status::FailedPrecondition(
          "daily quota of Datanet " + std::to_string(d.id) + " exceeded: used " +
              std::to_string(use.bytes) + " bytes in " + std::to_string(use.files) +
              " files today, this adds " + std::to_string(total) + " bytes in " +
              std::to_string(p.files.size()) + "; the limit is " + std::to_string(q.bytes_per_day) +
              " bytes and " + std::to_string(q.files_per_day) + " files per day",
          "quota_exceeded");
    }
    use.bytes += total;
    use.files += static_cast<uint32_t>(p.files.size());
    ctx.state.Put(qkey, Writer().U64(use.day).U64(use.bytes).U32(use.files).bytes());

    Contribution c;
    c.id = ctx.tx_hash;
    c.datanet = d.id;
    c.contributor = ctx.sender;
    c.content_root = p.content_root;
    c.rows = p.rows;
    c.bytes = p.bytes;
    c.rejected_rows = p.rejected_rows;
    c.files = p.files;
    c.report_hash = p.report_hash;
    c.index = d.contributions++;
    c.submitted_height = ctx.height;
    c.submitted_ms = ctx.timestamp_ms;
    StoreListEntry(ctx.state, ContributionListKey(d.id, c.index), c.id);

    if (!ctx.state.Get(StatsKey(d.id, ctx.sender))) {
      ctx.state.Put(ContributorListKey(d.id, d.contributors++),
                    Bytes(ctx.sender.bytes.begin(), ctx.sender.bytes.end()));
    }
    TRIB_ASSIGN_OR_RETURN(ContributorStats st, LoadStats(ctx.state, d.id, ctx.sender));
    st.submitted++;
    if (d.spec.policy == Policy::kApproval) {
      c.status = ContributionStatus::kPending;
      c.stake = d.spec.stake;
      TRIB_RETURN_IF_ERROR(
          MoveBalance(ctx.state, ctx.sender, EscrowAddress(), c.stake, "contribution stake"));
      st.pending++;
    } else {
      c.status = ContributionStatus::kAccepted;
      c.accepted_index = d.accepted++;
      d.accepted_rows += c.rows;
      d.accepted_bytes += c.bytes;
      StoreListEntry(ctx.state, AcceptedListKey(d.id, c.accepted_index), c.id);
      st.accepted++;
      st.accepted_rows += c.rows;
    }
    StoreStats(ctx.state, d.id, ctx.sender, st);
    StoreContribution(ctx.state, c);
    StoreDatanet(ctx.state, d);
    ctx.events.push_back({"contribution.submitted",
                          {{"contribution", ToHex(c.id)},
                           {"datanet", std::to_string(d.id)},
                           {"contributor", ctx.sender.ToString()},
                           {"rows", std::to_string(c.rows)},
                           {"status", std::string(StatusName(c.status))},
                           {"stake", AmountToString(c.stake)}}});
    return Status::OK();
  }
};

class ReviewKind final : public PayloadKind<ReviewPayload> {
 public:
  std::string_view name() const override { return kReviewKind; }

 protected:
  Status Check(const ReviewPayload& p) const override {
    if (p.approve && (p.spam || !p.reason.empty())) {
      return BadPayload("an approval carries no reason or spam flag");
    }
    if (!p.approve && p.reason.empty()) return BadPayload("a rejection needs a reason");
    if (p.reason.size() > kMaxReasonChars * 4) return BadPayload("the reason is too long");
    return Status::OK();
  }

  Status Run(TxContext& ctx, const ReviewPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(auto found, LoadContribution(ctx.state, p.contribution));
    if (!found) {
      return Status::NotFound("no contribution " + ToHex(p.contribution), "unknown_contribution");
    }
    Contribution c = std::move(*found);
    TRIB_ASSIGN_OR_RETURN(Datanet d, RequireDatanet(ctx.state, c.datanet));
    TRIB_RETURN_IF_ERROR(RequireOwner(d, ctx.sender, "review its contributions"));
    if (c.status != ContributionStatus::kPending) {
      return Status::FailedPrecondition(
          "contribution " + ToHex(c.id) + " is already " + std::string(StatusName(c.status)),
          "already_reviewed");
    }
    TRIB_ASSIGN_OR_RETURN(ContributorStats st, LoadStats(ctx.state, d.id, c.contributor));
    st.pending--;
    Amount returned = c.stake;
    if (p.approve) {
      c.status = ContributionStatus::kAccepted;
      c.accepted_index = d.accepted++;
      d.accepted_rows += c.rows;
      d.accepted_bytes += c.bytes;
      StoreListEntry(ctx.state, AcceptedListKey(d.id, c.accepted_index), c.id);
      st.accepted++;
      st.accepted_rows += c.rows;
    } else {
      c.status = ContributionStatus::kRejected;
      c.reason = p.reason;
      c.spam = p.spam;
      d.rejected++;
      st.rejected++;
      if (p.spam) {
        auto scaled = CheckedMul(c.stake, Amount{d.spec.slash_bps});
        // Stakes near 2^128 / 10^4 cannot exist within the supply; guard anyway.
        c.slashed = scaled ? *scaled / 10000 : c.stake / 10000 * d.spec.slash_bps;
        returned = c.stake - c.slashed;
        st.slashed_count++;
        TRIB_RETURN_IF_ERROR(
            MoveBalance(ctx.state, EscrowAddress(), TreasuryAddress(), c.slashed, "slash"));
      }
    }
    TRIB_RETURN_IF_ERROR(
        MoveBalance(ctx.state, EscrowAddress(), c.contributor, returned, "stake release"));
    c.reviewed_height = ctx.height;
    StoreStats(ctx.state, d.id, c.contributor, st);
    StoreContribution(ctx.state, c);
    StoreDatanet(ctx.state, d);
    std::vector<std::pair<std::string, std::string>> attrs = {
        {"contribution", ToHex(c.id)},
        {"datanet", std::to_string(d.id)},
        {"status", std::string(StatusName(c.status))},
        {"returned", AmountToString(returned)}};
    if (!p.approve) {
      attrs.emplace_back("reason", c.reason);
      attrs.emplace_back("spam", c.spam ? "true" : "false");
      attrs.emplace_back("slashed", AmountToString(c.slashed));
    }
    ctx.events.push_back({"contribution.reviewed", attrs});
    return Status::OK();
  }
};

class PublishKind final : public PayloadKind<PublishPayload> {
 public:
  std::string_view name() const override { return kPublishKind; }

 protected:
  Status Check(const PublishPayload&) const override { return Status::OK(); }
  Status Run(TxContext& ctx, const PublishPayload& p) const override {
    TRIB_ASSIGN_OR_RETURN(Datanet d, RequireDatanet(ctx.state, p.datanet));
    TRIB_RETURN_IF_ERROR(RequireOwner(d, ctx.sender, "publish it"));
    uint64_t previous = 0;
    if (d.versions > 0) {
      TRIB_ASSIGN_OR_RETURN(auto last, LoadVersion(ctx.state, d.id, d.versions));
      if (!last) return Status::Corruption("latest version record is missing");
      previous = last->contributions;
    }
    if (d.accepted <= previous) {
      return Status::FailedPrecondition("Datanet " + std::to_string(d.id) +
                                            " has no accepted contributions since version " +
                                            std::to_string(d.versions),
                                        "nothing_to_publish");
    }
    Version v;
    v.datanet = d.id;
    v.number = d.versions + 1;
    v.contributions = d.accepted;
    std::vector<Hash32> leaves;
    leaves.reserve(d.accepted);
    for (uint64_t i = 0; i < d.accepted; ++i) {
      TRIB_ASSIGN_OR_RETURN(Hash32 id, LoadListEntry(ctx.state, AcceptedListKey(d.id, i)));
      TRIB_ASSIGN_OR_RETURN(auto c, LoadContribution(ctx.state, id));
      if (!c) return Status::Corruption("accepted contribution " + ToHex(id) + " is missing");
      leaves.push_back(merkle::LeafHash(VersionLeaf(*c)));
      v.rows += c->rows;
      v.bytes += c->bytes;
    }
    v.root = merkle::RootFromLeafHashes(leaves);
    v.height = ctx.height;
    v.timestamp_ms = ctx.timestamp_ms;
    d.versions = v.number;
    StoreVersion(ctx.state, v);
    StoreDatanet(ctx.state, d);
    ctx.events.push_back({"datanet.published",
                          {{"datanet", std::to_string(d.id)},
                           {"version", std::to_string(v.number)},
                           {"root", ToHex(v.root)},
                           {"rows", std::to_string(v.rows)}}});
    return Status::OK();
  }
};

}  // namespace

// ---- payload encodings ----

Bytes CreatePayload::Encode() const {
  Datanet d;  // the spec encodes exactly as in the record
  d.spec = spec;
  Bytes all = d.Encode();
  return all;
}

Result<CreatePayload> CreatePayload::Decode(ByteView b) {
  auto d = Datanet::Decode(b);
  if (!d.ok()) return MalformedPayload(d.status());
  Datanet zero;
  zero.spec = d->spec;
  if (zero.Encode() != Bytes(b.begin(), b.end())) {
    return MalformedPayload(
        Status::InvalidArgument("record fields must be zero in a create payload"));
  }
  return CreatePayload{d->spec};
}

json CreatePayload::ToJson() const {
  Datanet d;
  d.spec = spec;
  json j = d.ToJson();
  for (const char* k : {"id", "owner", "created_height", "created_ms", "stats"}) j.erase(k);
  j["near_duplicate_bps"] = spec.near_duplicate_bps;
  j.erase("near_duplicate_threshold");
  if (spec.stake == kUnsetStake) j.erase("stake");
  if (spec.slash_bps == kUnsetSlashBps) j.erase("slash_bps");
  return j;
}

Result<CreatePayload> CreatePayload::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  CreatePayload p;
  DatanetSpec& s = p.spec;
  TRIB_ASSIGN_OR_RETURN(s.name, PayloadString(j, "name", std::nullopt));
  TRIB_ASSIGN_OR_RETURN(s.summary, PayloadString(j, "summary", ""));
  TRIB_ASSIGN_OR_RETURN(s.description, PayloadString(j, "description", ""));
  TRIB_ASSIGN_OR_RETURN(s.tags, PayloadStrings(j, "tags"));
  TRIB_ASSIGN_OR_RETURN(s.modality, PayloadString(j, "modality", "text"));
  TRIB_ASSIGN_OR_RETURN(s.license, PayloadString(j, "license", std::nullopt));
  TRIB_ASSIGN_OR_RETURN(std::string policy, PayloadString(j, "policy", "open"));
  TRIB_ASSIGN_OR_RETURN(s.policy, ParsePolicy(policy));
  // Unset stake and slash share: the governed defaults when the tx applies.
  s.stake = kUnsetStake;
  s.slash_bps = kUnsetSlashBps;
  if (j.contains("stake") && !j["stake"].is_null()) {
    TRIB_ASSIGN_OR_RETURN(std::string stake, PayloadString(j, "stake"));
    TRIB_ASSIGN_OR_RETURN(s.stake, ParseAmount(stake));
    if (s.stake == kUnsetStake) return BadPayload("payload.stake is larger than any supply");
  }
  if (j.contains("slash_bps") && !j["slash_bps"].is_null()) {
    TRIB_ASSIGN_OR_RETURN(uint64_t slash, PayloadU64(j, "slash_bps"));
    s.slash_bps = ToU32(slash);
    if (s.slash_bps == kUnsetSlashBps) s.slash_bps = kUnsetSlashBps - 1;  // refused by Check
  }
  TRIB_ASSIGN_OR_RETURN(uint64_t near, PayloadU64(j, "near_duplicate_bps", 8000));
  s.near_duplicate_bps = ToU32(near);
  s.quotas = Quotas{0, 0, 0};  // unset: the governed defaults
  if (j.contains("quotas") && !j["quotas"].is_null()) {
    const json& q = j["quotas"];
    if (!q.is_object()) return BadPayload("payload.quotas must be an object");
    TRIB_ASSIGN_OR_RETURN(s.quotas.bytes_per_day,
                          PayloadU64(q, "bytes_per_day", s.quotas.bytes_per_day));
    TRIB_ASSIGN_OR_RETURN(uint64_t files, PayloadU64(q, "files_per_day", s.quotas.files_per_day));
    s.quotas.files_per_day = ToU32(files);
    TRIB_ASSIGN_OR_RETURN(s.quotas.bytes_per_file,
                          PayloadU64(q, "bytes_per_file", s.quotas.bytes_per_file));
  }
  if (j.contains("schema") && !j["schema"].is_null()) {
    auto schema = RowSchema::FromJson(j["schema"]);
    if (!schema.ok()) return BadPayload("payload.schema: " + schema.status().message());
    s.schema = *schema;
  }
  return p;
}

Bytes UpdatePayload::Encode() const {
  Writer w;
  w.U64(datanet).Str(summary).Str(description).U32(static_cast<uint32_t>(tags.size()));
  for (const auto& t : tags) w.Str(t);
  return std::move(w).bytes();
}

Result<UpdatePayload> UpdatePayload::Decode(ByteView b) {
  Reader r(b);
  UpdatePayload p;
  uint32_t n = 0;
  Status s = r.U64(&p.datanet);
  if (s.ok()) s = r.Str(&p.summary, 4096);
  if (s.ok()) s = r.Str(&p.description, kMaxDescriptionBytes + 1);
  if (s.ok()) s = r.U32(&n);
  if (s.ok() && n > kMaxTags) s = Status::InvalidArgument("too many tags");
  for (uint32_t i = 0; s.ok() && i < n; ++i) {
    p.tags.emplace_back();
    s = r.Str(&p.tags.back(), 256);
  }
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json UpdatePayload::ToJson() const {
  return json{
      {"datanet", datanet}, {"summary", summary}, {"description", description}, {"tags", tags}};
}

Result<UpdatePayload> UpdatePayload::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  UpdatePayload p;
  TRIB_ASSIGN_OR_RETURN(p.datanet, PayloadU64(j, "datanet", std::nullopt));
  TRIB_ASSIGN_OR_RETURN(p.summary, PayloadString(j, "summary", ""));
  TRIB_ASSIGN_OR_RETURN(p.description, PayloadString(j, "description", ""));
  TRIB_ASSIGN_OR_RETURN(p.tags, PayloadStrings(j, "tags"));
  return p;
}

Bytes SubmitPayload::Encode() const {
  Writer w;
  w.U64(datanet).Fixed(content_root).U64(rows).U64(bytes).U64(rejected_rows);
  w.U32(static_cast<uint32_t>(files.size()));
  for (const auto& f : files) w.Str(f.name).Str(f.type).U64(f.bytes);
  w.Fixed(report_hash);
  return std::move(w).bytes();
}

Result<SubmitPayload> SubmitPayload::Decode(ByteView b) {
  Reader r(b);
  SubmitPayload p;
  uint32_t n = 0;
  Status s = r.U64(&p.datanet);
  if (s.ok()) s = r.Fixed(&p.content_root);
  if (s.ok()) s = r.U64(&p.rows);
  if (s.ok()) s = r.U64(&p.bytes);
  if (s.ok()) s = r.U64(&p.rejected_rows);
  if (s.ok()) s = r.U32(&n);
  if (s.ok() && n > kMaxFilesPerContribution) s = Status::InvalidArgument("too many files");
  for (uint32_t i = 0; s.ok() && i < n; ++i) {
    FileEntry f;
    s = r.Str(&f.name, 1024);
    if (s.ok()) s = r.Str(&f.type, 16);
    if (s.ok()) s = r.U64(&f.bytes);
    p.files.push_back(std::move(f));
  }
  if (s.ok()) s = r.Fixed(&p.report_hash);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json SubmitPayload::ToJson() const {
  json files_json = json::array();
  for (const auto& f : files) {
    files_json.push_back({{"name", f.name}, {"type", f.type}, {"bytes", f.bytes}});
  }
  return json{{"datanet", datanet},
              {"content_root", ToHex(content_root)},
              {"rows", rows},
              {"bytes", bytes},
              {"rejected_rows", rejected_rows},
              {"files", files_json},
              {"report_hash", ToHex(report_hash)}};
}

Result<SubmitPayload> SubmitPayload::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  SubmitPayload p;
  TRIB_ASSIGN_OR_RETURN(p.datanet, PayloadU64(j, "datanet", std::nullopt));
  TRIB_ASSIGN_OR_RETURN(p.content_root, PayloadHash(j, "content_root"));
  TRIB_ASSIGN_OR_RETURN(p.rows, PayloadU64(j, "rows", std::nullopt));
  TRIB_ASSIGN_OR_RETURN(p.bytes, PayloadU64(j, "bytes", std::nullopt));
  TRIB_ASSIGN_OR_RETURN(p.rejected_rows, PayloadU64(j, "rejected_rows", 0));
  TRIB_ASSIGN_OR_RETURN(p.report_hash, PayloadHash(j, "report_hash"));
  auto it = j.find("files");
  if (it == j.end() || !it->is_array()) return BadPayload("payload.files must be an array");
  for (const auto& f : *it) {
    if (!f.is_object()) return BadPayload("payload.files must hold objects");
    FileEntry e;
    TRIB_ASSIGN_OR_RETURN(e.name, PayloadString(f, "name", std::nullopt));
    TRIB_ASSIGN_OR_RETURN(e.type, PayloadString(f, "type", std::nullopt));
    TRIB_ASSIGN_OR_RETURN(e.bytes, PayloadU64(f, "bytes", std::nullopt));
    p.files.push_back(std::move(e));
  }
  return p;
}

Bytes ReviewPayload::Encode() const {
  return Writer().Fixed(contribution).U8(approve ? 1 : 0).Str(reason).U8(spam ? 1 : 0).bytes();
}

Result<ReviewPayload> ReviewPayload::Decode(ByteView b) {
  Reader r(b);
  ReviewPayload p;
  uint8_t approve = 0, spam = 0;
  Status s = r.Fixed(&p.contribution);
  if (s.ok()) s = r.U8(&approve);
  if (s.ok()) s = r.Str(&p.reason, kMaxReasonChars * 4);
  if (s.ok()) s = r.U8(&spam);
  if (s.ok() && (approve > 1 || spam > 1)) s = Status::InvalidArgument("bad boolean");
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  p.approve = approve == 1;
  p.spam = spam == 1;
  return p;
}

json ReviewPayload::ToJson() const {
  json j{{"contribution", ToHex(contribution)}, {"approve", approve}};
  if (!approve) {
    j["reason"] = reason;
    j["spam"] = spam;
  }
  return j;
}

Result<ReviewPayload> ReviewPayload::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  ReviewPayload p;
  TRIB_ASSIGN_OR_RETURN(p.contribution, PayloadHash(j, "contribution"));
  auto it = j.find("approve");
  if (it == j.end() || !it->is_boolean()) return BadPayload("payload.approve must be true/false");
  p.approve = it->get<bool>();
  TRIB_ASSIGN_OR_RETURN(p.reason, PayloadString(j, "reason", ""));
  TRIB_ASSIGN_OR_RETURN(p.spam, PayloadBool(j, "spam", false));
  return p;
}

Bytes PublishPayload::Encode() const { return Writer().U64(datanet).bytes(); }

Result<PublishPayload> PublishPayload::Decode(ByteView b) {
  Reader r(b);
  PublishPayload p;
  Status s = r.U64(&p.datanet);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return MalformedPayload(s);
  return p;
}

json PublishPayload::ToJson() const { return json{{"datanet", datanet}}; }

Result<PublishPayload> PublishPayload::FromJson(const json& j) {
  if (!j.is_object()) return BadPayload("payload must be a JSON object");
  PublishPayload p;
  TRIB_ASSIGN_OR_RETURN(p.datanet, PayloadU64(j, "datanet", std::nullopt));
  return p;
}

void RegisterDatanetKinds(TxKindRegistry& registry) {
  (void)registry.Add(std::make_unique<CreateKind>());
  (void)registry.Add(std::make_unique<UpdateKind>());
  (void)registry.Add(std::make_unique<SubmitKind>());
  (void)registry.Add(std::make_unique<ReviewKind>());
  (void)registry.Add(std::make_unique<PublishKind>());
}

}  // namespace tributary::datanet
