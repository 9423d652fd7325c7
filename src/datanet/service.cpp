#include "tributary/datanet/service.h"

#include <algorithm>
#include <charconv>

#include "tributary/base/hash.h"
#include "tributary/base/parallel.h"
#include "tributary/ledger/block.h"
#include "tributary/ledger/merkle.h"
#include "tributary/ledger/readable.h"

namespace tributary::datanet {
namespace {

using json = nlohmann::json;

// The text a row was indexed by when it was parsed (rows.cpp): field values in schema order,
// joined by "\n".
Result<std::string> RowText(const std::string& canonical, const RowSchema& schema) {
  json j = json::parse(canonical, nullptr, false);
  if (!j.is_object()) return Status::Corruption("stored row is not a JSON object");
  std::string text;
  for (const auto& name : schema.FieldNames()) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      return Status::Corruption("stored row lacks field '" + name + "'");
    }
    if (!text.empty()) text += "\n";
    text += it->get<std::string>();
  }
  return text;
}

ValidationOptions OptionsFor(const Datanet& d) {
  ValidationOptions o;
  o.near_duplicate_threshold = d.spec.near_duplicate_bps / 10000.0;
  return o;
}

json ProofPathJson(const merkle::InclusionProof& p) {
  json path = json::array();
  for (const auto& h : p.path) path.push_back(ToHex(h));
  return json{{"leaf_index", p.leaf_index}, {"tree_size", p.tree_size}, {"path", path}};
}

Result<merkle::InclusionProof> ProofPathFromJson(const json& j) {
  merkle::InclusionProof p;
  if (!j.is_object() || !j.contains("leaf_index") || !j.contains("tree_size") ||
      !j.contains("path") || !j["path"].is_array() || !j["leaf_index"].is_number_unsigned() ||
      !j["tree_size"].is_number_unsigned()) {
    return Status::InvalidArgument("malformed audit path", "bad_proof");
  }
  p.leaf_index = j["leaf_index"].get<uint64_t>();
  p.tree_size = j["tree_size"].get<uint64_t>();
  for (const auto& h : j["path"]) {
    if (!h.is_string()) return Status::InvalidArgument("malformed audit path", "bad_proof");
    auto v = FixedFromHex<32>(h.get<std::string>());
    if (!v.ok()) return Status::InvalidArgument("malformed audit path hash", "bad_proof");
    p.path.push_back(*v);
  }
  return p;
}

}  // namespace

Result<std::unique_ptr<DatanetService>> DatanetService::Open(const std::filesystem::path& data_dir,
                                                             Chain* chain) {
  TRIB_ASSIGN_OR_RETURN(auto rows, RowStore::Open(data_dir / "rows.db"));
  std::unique_ptr<DatanetService> svc(new DatanetService(chain, std::move(rows)));
  TRIB_RETURN_IF_ERROR(svc->Reconcile());
  DatanetService* raw = svc.get();
  svc->listener_ = chain->AddCommitListener([raw](const CommittedBlock& b) { raw->OnCommit(b); });
  return svc;
}

DatanetService::~DatanetService() {
  if (listener_) chain_->RemoveCommitListener(listener_);
}

Status DatanetService::Reconcile() {
  TRIB_ASSIGN_OR_RETURN(auto stored, rows_->Contributions());
  for (const auto& entry : stored) {
    const auto& id = entry.first;  // a plain name: clang 14 cannot capture a structured binding
    bool known = false;
    TRIB_RETURN_IF_ERROR(chain_->ReadState(
        [&](const StateReader& committed, const StateReader&, const BlockHeader&) {
          known = committed.Get(ContributionKey(id)).has_value();
          return Status::OK();
        }));
    // An upload whose tx never committed (crash, or refused after its rows were written).
    if (!known) TRIB_RETURN_IF_ERROR(rows_->DeleteContribution(id));
  }
  return Status::OK();
}

bool DatanetService::Tracked(uint64_t datanet) {
  std::lock_guard<std::mutex> lock(freed_mu_);
  return tracked_.contains(datanet);
}

void DatanetService::FreeRows(uint64_t datanet, std::vector<Hash32> ids) {
  std::lock_guard<std::mutex> lock(freed_mu_);
  if (!tracked_.contains(datanet)) return;  // its index, when built, reads the ledger as it is now
  auto& queue = freed_[datanet];
  queue.insert(queue.end(), ids.begin(), ids.end());
}

void DatanetService::ApplyFreedLocked(uint64_t datanet, RowIndex& index) {
  std::vector<Hash32> ids;
  {
    std::lock_guard<std::mutex> lock(freed_mu_);
    auto it = freed_.find(datanet);
    if (it == freed_.end()) return;
    ids = std::move(it->second);
    freed_.erase(it);
  }
  for (const auto& id : ids) (void)index.Remove(id);
}

void DatanetService::OnCommit(const CommittedBlock& b) {
  // On the block producer's thread: never takes a Datanet's mutex, which an upload holds while it
  // validates.
  for (size_t i = 0; i < b.txs.size(); ++i) {
    const Transaction& tx = b.txs[i];
    const Receipt& r = b.receipts[i];
    if (tx.kind == kSubmitKind && r.status != Receipt::kSuccess) {
      // Its rows were stored and indexed when it was admitted; the ledger refused it after all.
      auto p = SubmitPayload::Decode(tx.payload);
      if (p.ok() && Tracked(p->datanet)) {
        auto ids = rows_->ContributionRowIds(b.hashes[i]);
        if (ids.ok()) FreeRows(p->datanet, std::move(*ids));
      }
      (void)rows_->DeleteContribution(b.hashes[i]);
    } else if (tx.kind == kReviewKind && r.status == Receipt::kSuccess) {
      auto p = ReviewPayload::Decode(tx.payload);
      if (!p.ok() || p->approve) continue;
      // Rejected rows stay stored (the contributor can still read them) but no longer block
      // others' rows as duplicates.
      for (const auto& e : r.events) {
        if (e.type != "contribution.reviewed") continue;
        for (const auto& [k, v] : e.attrs) {
          uint64_t datanet = 0;
          if (k != "datanet" ||
              std::from_chars(v.data(), v.data() + v.size(), datanet).ec != std::errc() ||
              !Tracked(datanet)) {
            continue;
          }
          auto ids = rows_->ContributionRowIds(p->contribution);
          if (ids.ok()) FreeRows(datanet, std::move(*ids));
        }
      }
    }
  }
}

Result<RowIndex> DatanetService::BuildIndex(const Datanet& d) {
  TRIB_ASSIGN_OR_RETURN(RowIndex index, RowIndex::Create(OptionsFor(d)));
  // Rows of every pending or accepted contribution, from the committed ledger, read in slices so
  // that block production never waits long on this read. The contribution list only grows; a
  // contribution rejected after its slice was read is removed through the freed-row queue.
  constexpr uint64_t kSlice = 1024;
  std::vector<Hash32> live;
  for (uint64_t next = 0; next < d.contributions;) {
    const uint64_t end = std::min(d.contributions, next + kSlice);
    TRIB_RETURN_IF_ERROR(
        chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
          for (; next < end; ++next) {
            TRIB_ASSIGN_OR_RETURN(Hash32 id, LoadListEntry(s, ContributionListKey(d.id, next)));
            TRIB_ASSIGN_OR_RETURN(auto c, LoadContribution(s, id));
            if (c && c->status != ContributionStatus::kRejected) live.push_back(id);
          }
          return Status::OK();
        }));
  }
  // Rows are read in batches and signed on every core (signing is most of the cost).
  constexpr size_t kBatch = 4096;
  std::vector<Hash32> batch_ids;
  std::vector<std::string> batch_texts;
  auto flush = [&]() -> Status {
    std::vector<MinHashSignature> signatures(batch_texts.size());
    ParallelFor(batch_texts.size(), 64, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) signatures[i] = index.Sign(batch_texts[i]);
    });
    for (size_t i = 0; i < batch_ids.size(); ++i) {
      TRIB_RETURN_IF_ERROR(index.Add(batch_ids[i], signatures[i]));
    }
    batch_ids.clear();
    batch_texts.clear();
    return Status::OK();
  };
  for (const auto& cid : live) {
    TRIB_ASSIGN_OR_RETURN(auto ids, rows_->ContributionRowIds(cid));
    for (const auto& id : ids) {
      TRIB_ASSIGN_OR_RETURN(auto row, rows_->Get(id));
      if (!row) return Status::Corruption("row " + ToHex(id) + " is missing from the row store");
      TRIB_ASSIGN_OR_RETURN(std::string text, RowText(*row, d.spec.schema));
      batch_ids.push_back(id);
      batch_texts.push_back(std::move(text));
      if (batch_ids.size() == kBatch) TRIB_RETURN_IF_ERROR(flush());
    }
  }
  TRIB_RETURN_IF_ERROR(flush());
  if (build_hook_) build_hook_(d.id);
  return index;
}

DatanetService::DatanetSlot& DatanetService::Slot(uint64_t datanet) {
  std::lock_guard<std::mutex> lock(slots_mu_);
  auto& slot = slots_[datanet];
  if (!slot) slot = std::make_unique<DatanetSlot>();
  return *slot;
}

Result<RowIndex*> DatanetService::IndexLocked(const Datanet& d, DatanetSlot& slot) {
  if (slot.index) return slot.index.get();
  {
    // From here on, rows the ledger frees are queued for this index (before it reads the ledger).
    std::lock_guard<std::mutex> freed(freed_mu_);
    tracked_.insert(d.id);
  }
  Result<RowIndex> built = BuildIndex(d);
  if (!built.ok()) {
    // No index: stop queueing for it (the next build reads the ledger afresh).
    std::lock_guard<std::mutex> freed(freed_mu_);
    tracked_.erase(d.id);
    freed_.erase(d.id);
    return built.status();
  }
  slot.index = std::make_unique<RowIndex>(std::move(*built));
  return slot.index.get();
}

Result<std::vector<ParsedFile>> DatanetService::ParseUpload(const Datanet& d,
                                                            const std::vector<UploadFile>& files) {
  const Quotas& q = d.spec.quotas;
  if (files.empty()) return Status::InvalidArgument("no files to contribute", "no_files");
  if (files.size() > std::min<uint64_t>(kMaxFilesPerContribution, q.files_per_day)) {
    return Status::FailedPrecondition(
        std::to_string(files.size()) + " files in one contribution; Datanet " +
            std::to_string(d.id) + " allows " +
            std::to_string(std::min<uint64_t>(kMaxFilesPerContribution, q.files_per_day)),
        "quota_exceeded");
  }
  std::vector<ParsedFile> parsed;
  for (const auto& f : files) {
    if (f.bytes.size() > q.bytes_per_file) {
      return Status::FailedPrecondition(
          "file '" + f.name + "' has " + std::to_string(f.bytes.size()) + " bytes; Datanet " +
              std::to_string(d.id) + " allows " + std::to_string(q.bytes_per_file) + " per file",
          "quota_exceeded");
    }
    auto p = ParseFile(f.name, f.bytes, d.spec.schema);
    if (!p.ok()) {
      return Status(p.status().code(), p.status().reason(),
                    "file '" + f.name + "': " + p.status().message());
    }
    parsed.push_back(std::move(*p));
  }
  return parsed;
}

Result<Prepared> DatanetService::PrepareLocked(const Datanet& d,
                                               const std::vector<UploadFile>& files,
                                               std::vector<ParsedFile> parsed, DatanetSlot& slot) {
  TRIB_ASSIGN_OR_RETURN(RowIndex * index, IndexLocked(d, slot));
  if (validate_hook_) validate_hook_(d.id);
  ApplyFreedLocked(d.id, *index);
  Prepared out;
  TRIB_ASSIGN_OR_RETURN(out.report, Validate(parsed, *index, OptionsFor(d)));
  SubmitPayload& p = out.payload;
  p.datanet = d.id;
  std::vector<Hash32> ids;
  for (const auto& row : out.report.accepted_rows) {
    ids.push_back(row.id);
    p.bytes += row.canonical.size();
  }
  p.content_root = ContentRoot(ids);
  p.rows = ids.size();
  p.rejected_rows = out.report.rejected;
  for (size_t i = 0; i < files.size(); ++i) {
    p.files.push_back({parsed[i].name, parsed[i].type, files[i].bytes.size()});
  }
  p.report_hash = out.report.Hash();
  return out;
}

Result<Prepared> DatanetService::Prepare(uint64_t datanet, const std::vector<UploadFile>& files) {
  TRIB_ASSIGN_OR_RETURN(Datanet d, GetDatanet(datanet));
  TRIB_ASSIGN_OR_RETURN(auto parsed, ParseUpload(d, files));
  DatanetSlot& slot = Slot(d.id);
  std::lock_guard<std::mutex> lock(slot.mu);
  return PrepareLocked(d, files, std::move(parsed), slot);
}

Result<std::pair<Hash32, Prepared>> DatanetService::Submit(uint64_t datanet,
                                                           const std::vector<UploadFile>& files,
                                                           const Transaction& tx) {
  if (tx.kind != kSubmitKind) {
    return Status::InvalidArgument(
        "the tx must be a " + std::string(kSubmitKind) + ", not " + tx.kind, "wrong_kind");
  }
  TRIB_ASSIGN_OR_RETURN(SubmitPayload signed_payload, SubmitPayload::Decode(tx.payload));
  if (signed_payload.datanet != datanet) {
    return Status::InvalidArgument("the tx contributes to Datanet " +
                                       std::to_string(signed_payload.datanet) + ", not " +
                                       std::to_string(datanet),
                                   "wrong_datanet");
  }
  TRIB_ASSIGN_OR_RETURN(Datanet d, GetDatanet(datanet));
  TRIB_ASSIGN_OR_RETURN(auto parsed, ParseUpload(d, files));
  DatanetSlot& slot = Slot(d.id);
  std::lock_guard<std::mutex> lock(slot.mu);
  TRIB_ASSIGN_OR_RETURN(Prepared prepared, PrepareLocked(d, files, std::move(parsed), slot));
  if (prepared.payload.rows == 0) {
    return Status::FailedPrecondition("no row of this upload was accepted (" +
                                          std::to_string(prepared.report.rejected) +
                                          " rejected); see the validation report",
                                      "no_rows_accepted");
  }
  if (!(prepared.payload == signed_payload)) {
    return Status::FailedPrecondition(
        "the signed contribution does not match what the node validated (report " +
            ToHex(prepared.payload.report_hash) +
            "): the Datanet changed since it was prepared, or the files differ; prepare again",
        "validation_changed");
  }
  const Hash32 id = tx.Hash();
  std::vector<std::string> canonical;
  canonical.reserve(prepared.report.accepted_rows.size());
  for (const auto& row : prepared.report.accepted_rows) canonical.push_back(row.canonical);
  TRIB_RETURN_IF_ERROR(
      rows_->PutContribution(id, d.id, canonical, prepared.report.ToJson().dump()));
  auto submitted = chain_->Submit(tx);
  if (!submitted.ok()) {
    (void)rows_->DeleteContribution(id);
    return submitted.status();
  }
  TRIB_ASSIGN_OR_RETURN(RowIndex * index, IndexLocked(d, slot));
  const auto& accepted = prepared.report.accepted_rows;
  for (size_t i = 0; i < accepted.size(); ++i) {
    TRIB_RETURN_IF_ERROR(index->Add(accepted[i].id, prepared.report.accepted_signatures[i]));
  }
  // A block that refused this tx may have committed since it was submitted: its rows were
  // queued to be freed before they were added.
  ApplyFreedLocked(d.id, *index);
  return std::make_pair(id, std::move(prepared));
}

Result<Datanet> DatanetService::GetDatanet(uint64_t id) {
  std::optional<Datanet> d;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        TRIB_ASSIGN_OR_RETURN(d, LoadDatanet(s, id));
        return Status::OK();
      }));
  if (!d) return Status::NotFound("no Datanet " + std::to_string(id), "unknown_datanet");
  return std::move(*d);
}

Result<std::vector<Datanet>> DatanetService::ListDatanets(uint64_t first, uint64_t limit) {
  std::vector<Datanet> out;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        TRIB_ASSIGN_OR_RETURN(uint64_t count, LoadDatanetCount(s));
        for (uint64_t id = std::max<uint64_t>(first, 1); id <= count && out.size() < limit; ++id) {
          TRIB_ASSIGN_OR_RETURN(auto d, LoadDatanet(s, id));
          if (!d) return Status::Corruption("Datanet " + std::to_string(id) + " is missing");
          out.push_back(std::move(*d));
        }
        return Status::OK();
      }));
  return out;
}

Result<std::vector<Version>> DatanetService::Versions(uint64_t datanet) {
  TRIB_ASSIGN_OR_RETURN(Datanet d, GetDatanet(datanet));
  std::vector<Version> out;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        for (uint32_t n = 1; n <= d.versions; ++n) {
          TRIB_ASSIGN_OR_RETURN(auto v, LoadVersion(s, datanet, n));
          if (!v) return Status::Corruption("version " + std::to_string(n) + " is missing");
          out.push_back(*v);
        }
        return Status::OK();
      }));
  return out;
}

Result<Contribution> DatanetService::GetContribution(const Hash32& id) {
  std::optional<Contribution> c;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        TRIB_ASSIGN_OR_RETURN(c, LoadContribution(s, id));
        return Status::OK();
      }));
  if (!c) return Status::NotFound("no contribution " + ToHex(id), "unknown_contribution");
  return std::move(*c);
}

Result<std::vector<Contribution>> DatanetService::Contributions(uint64_t datanet, uint64_t offset,
                                                                uint64_t limit) {
  TRIB_ASSIGN_OR_RETURN(Datanet d, GetDatanet(datanet));
  std::vector<Contribution> out;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        for (uint64_t i = offset; i < d.contributions && out.size() < limit; ++i) {
          TRIB_ASSIGN_OR_RETURN(Hash32 id, LoadListEntry(s, ContributionListKey(d.id, i)));
          TRIB_ASSIGN_OR_RETURN(auto c, LoadContribution(s, id));
          if (!c) return Status::Corruption("contribution " + ToHex(id) + " is missing");
          out.push_back(std::move(*c));
        }
        return Status::OK();
      }));
  return out;
}

Result<std::vector<std::pair<Hash32, std::string>>> DatanetService::ContributionRows(
    const Hash32& id, uint64_t offset, uint64_t limit) {
  TRIB_ASSIGN_OR_RETURN(auto ids, rows_->ContributionRowIds(id));
  std::vector<std::pair<Hash32, std::string>> out;
  for (uint64_t i = offset; i < ids.size() && out.size() < limit; ++i) {
    TRIB_ASSIGN_OR_RETURN(auto row, rows_->Get(ids[i]));
    if (!row) return Status::Corruption("row " + ToHex(ids[i]) + " is missing");
    out.emplace_back(ids[i], std::move(*row));
  }
  return out;
}

Result<json> DatanetService::ContributionReport(const Hash32& id) {
  TRIB_ASSIGN_OR_RETURN(std::string raw, rows_->ContributionReport(id));
  json j = json::parse(raw, nullptr, false);
  if (j.is_discarded()) return Status::Corruption("stored report is not JSON");
  return j;
}

Result<Version> DatanetService::GetVersion(uint64_t datanet, uint32_t number) {
  TRIB_ASSIGN_OR_RETURN(Datanet d, GetDatanet(datanet));
  std::optional<Version> v;
  if (number >= 1 && number <= d.versions) {
    TRIB_RETURN_IF_ERROR(
        chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
          TRIB_ASSIGN_OR_RETURN(v, LoadVersion(s, datanet, number));
          return Status::OK();
        }));
  }
  if (!v) {
    return Status::NotFound("Datanet " + std::to_string(datanet) + " has no version " +
                                std::to_string(number) + " (it has " + std::to_string(d.versions) +
                                ")",
                            "unknown_version");
  }
  return *v;
}

Result<std::vector<VersionRow>> DatanetService::VersionRows(uint64_t datanet, uint32_t number,
                                                            uint64_t offset, uint64_t limit) {
  TRIB_ASSIGN_OR_RETURN(Version v, GetVersion(datanet, number));
  // The version's contributions that overlap [offset, offset + limit), with their first row.
  std::vector<std::pair<Contribution, uint64_t>> members;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        uint64_t start = 0;
        const uint64_t end = offset + std::min(limit, UINT64_MAX - offset);  // saturating
        for (uint64_t i = 0; i < v.contributions && start < end; ++i) {
          TRIB_ASSIGN_OR_RETURN(Hash32 id, LoadListEntry(s, AcceptedListKey(datanet, i)));
          TRIB_ASSIGN_OR_RETURN(auto c, LoadContribution(s, id));
          if (!c) return Status::Corruption("contribution " + ToHex(id) + " is missing");
          uint64_t rows = c->rows;
          if (start + rows > offset) members.emplace_back(std::move(*c), start);
          start += rows;
        }
        return Status::OK();
      }));
  std::vector<VersionRow> out;
  for (const auto& [c, start] : members) {
    TRIB_ASSIGN_OR_RETURN(auto ids, rows_->ContributionRowIds(c.id));
    if (ids.size() != c.rows) {
      return Status::Corruption("contribution " + ToHex(c.id) + " has " +
                                std::to_string(ids.size()) + " stored rows, the ledger says " +
                                std::to_string(c.rows));
    }
    for (uint64_t k = 0; k < ids.size(); ++k) {
      uint64_t index = start + k;
      if (index < offset) continue;
      if (out.size() >= limit) break;
      TRIB_ASSIGN_OR_RETURN(auto row, rows_->Get(ids[k]));
      if (!row) return Status::Corruption("row " + ToHex(ids[k]) + " is missing");
      out.push_back({index, ids[k], std::move(*row), c.id, c.contributor});
    }
  }
  return out;
}

Result<json> DatanetService::ProveVersionRow(uint64_t datanet, uint32_t number, uint64_t index) {
  TRIB_ASSIGN_OR_RETURN(Version v, GetVersion(datanet, number));
  if (index >= v.rows) {
    return Status::NotFound(
        "version " + std::to_string(number) + " has " + std::to_string(v.rows) + " rows",
        "unknown_row");
  }
  std::vector<Hash32> leaves;
  std::optional<Contribution> owner;
  json preceding = json::array();  // the leaves of the contributions before the row's
  uint64_t owner_pos = 0, first_row = 0;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        uint64_t start = 0;
        for (uint64_t i = 0; i < v.contributions; ++i) {
          TRIB_ASSIGN_OR_RETURN(Hash32 id, LoadListEntry(s, AcceptedListKey(datanet, i)));
          TRIB_ASSIGN_OR_RETURN(auto c, LoadContribution(s, id));
          if (!c) return Status::Corruption("contribution " + ToHex(id) + " is missing");
          const Bytes leaf = VersionLeaf(*c);
          leaves.push_back(merkle::LeafHash(leaf));
          if (!owner && index < start + c->rows) {
            owner = *c;
            owner_pos = i;
            first_row = start;
          } else if (!owner) {
            preceding.push_back(ToHex(leaf));
          }
          start += c->rows;
        }
        return Status::OK();
      }));
  if (!owner) return Status::Corruption("row index beyond the version's contributions");
  TRIB_ASSIGN_OR_RETURN(auto ids, rows_->ContributionRowIds(owner->id));
  std::vector<Hash32> row_leaves;
  for (const auto& id : ids) row_leaves.push_back(merkle::LeafHash(id));
  const uint64_t k = index - first_row;
  if (k >= ids.size()) return Status::Corruption("stored rows do not match the ledger");
  TRIB_ASSIGN_OR_RETURN(auto row_path, merkle::Prove(row_leaves, k));
  TRIB_ASSIGN_OR_RETURN(auto contrib_path, merkle::Prove(leaves, owner_pos));
  TRIB_ASSIGN_OR_RETURN(auto row, rows_->Get(ids[k]));
  if (!row) return Status::Corruption("row is missing");
  TRIB_ASSIGN_OR_RETURN(StateLookup st, chain_->GetState(VersionKey(datanet, number), true));
  if (!st.value) return Status::Corruption("version record vanished");
  json siblings = json::array();
  for (const auto& h : st.proof->siblings) siblings.push_back(ToHex(h));
  return json{{"type", "datanet_row"},
              {"datanet", datanet},
              {"version", number},
              {"index", index},
              {"row", *row},
              {"row_id", ToHex(ids[k])},
              {"contribution",
               {{"id", ToHex(owner->id)},
                {"contributor", owner->contributor.ToString()},
                {"content_root", ToHex(owner->content_root)},
                {"rows", owner->rows}}},
              {"preceding", preceding},
              {"row_path", ProofPathJson(row_path)},
              {"contribution_path", ProofPathJson(contrib_path)},
              {"version_record", ToHex(*st.value)},
              {"header", ToHex(st.header.Encode())},
              {"siblings", siblings}};
}

Result<std::string> VerifyVersionRowProof(const json& doc,
                                          const std::optional<PublicKey>& sequencer) {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_proof"); };
  const json& p = doc.is_object() && doc.contains("proof") ? doc["proof"] : doc;
  if (!p.is_object() || p.value("type", "") != "datanet_row") return bad("not a datanet_row proof");
  // The response carries nothing beside the proof, and the proof only what is checked here.
  TRIB_RETURN_IF_ERROR(CheckReadableMembers(doc, json::object()));
  TRIB_RETURN_IF_ERROR(CheckOnlyMembers(
      p,
      {"type", "datanet", "version", "index", "row", "row_id", "contribution", "preceding",
       "row_path", "contribution_path", "version_record", "header", "siblings"},
      "proof"));
  try {
    std::string row = p.at("row").get<std::string>();
    Hash32 row_id = Sha256(AsBytes(row));
    if (ToHex(row_id) != p.at("row_id").get<std::string>())
      return bad("row does not hash to row_id");
    const json& c = p.at("contribution");
    TRIB_RETURN_IF_ERROR(
        CheckOnlyMembers(c, {"id", "contributor", "content_root", "rows"}, "proof.contribution"));
    Contribution leaf;
    TRIB_ASSIGN_OR_RETURN(leaf.id, FixedFromHex<32>(c.at("id").get<std::string>()));
    TRIB_ASSIGN_OR_RETURN(leaf.content_root,
                          FixedFromHex<32>(c.at("content_root").get<std::string>()));
    TRIB_ASSIGN_OR_RETURN(leaf.contributor, Address::Parse(c.at("contributor").get<std::string>()));
    if (!c.at("rows").is_number_unsigned()) return bad("contribution.rows must be a count");
    leaf.rows = c.at("rows").get<uint64_t>();
    TRIB_ASSIGN_OR_RETURN(auto row_path, ProofPathFromJson(p.at("row_path")));
    if (row_path.tree_size != leaf.rows) return bad("row path size differs from the row count");
    Status s = merkle::VerifyInclusion(merkle::LeafHash(row_id), row_path, leaf.content_root);
    if (!s.ok()) return bad("row is not in the contribution: " + s.message());
    TRIB_ASSIGN_OR_RETURN(Bytes record, FromHex(p.at("version_record").get<std::string>()));
    auto v = Version::Decode(record);
    if (!v.ok()) return bad("version record does not decode");
    TRIB_ASSIGN_OR_RETURN(auto contrib_path, ProofPathFromJson(p.at("contribution_path")));
    if (contrib_path.tree_size != v->contributions) return bad("contribution path size differs");
    s = merkle::VerifyInclusion(merkle::LeafHash(VersionLeaf(leaf)), contrib_path, v->root);
    if (!s.ok()) return bad("contribution is not in the version: " + s.message());
    // The row's index in the version: the rows of every contribution before its own (whose
    // leaves the proof carries, each checked against the left side of the contribution's audit
    // path) and then its position in its contribution.
    std::optional<uint64_t> index;
    if (p.contains("index") || p.contains("preceding")) {
      if (!p.contains("preceding") || !p["preceding"].is_array()) {
        return bad(
            "the proof lacks 'preceding' (the contributions before the row's), so its "
            "index cannot be checked");
      }
      std::vector<Hash32> before;
      uint64_t rows_before = 0;
      for (const auto& h : p["preceding"]) {
        auto b = FromHex(h.get<std::string>());
        if (!b.ok()) return bad("preceding: " + b.status().message());
        TRIB_ASSIGN_OR_RETURN(Contribution pc, DecodeVersionLeaf(*b));
        before.push_back(merkle::LeafHash(*b));
        if (rows_before + pc.rows < rows_before) return bad("preceding: row counts overflow");
        rows_before += pc.rows;
      }
      s = merkle::VerifyPrecedingLeaves(before, contrib_path);
      if (!s.ok())
        return bad("the contributions before the row's are not the version's: " + s.message());
      index = rows_before + row_path.leaf_index;
    }
    TRIB_ASSIGN_OR_RETURN(Bytes header_raw, FromHex(p.at("header").get<std::string>()));
    auto header = BlockHeader::Decode(header_raw);
    if (!header.ok()) return bad("header does not decode");
    if (!header->SignatureValid()) return bad("header signature does not verify");
    if (sequencer && header->proposer != *sequencer)
      return bad("header not signed by the sequencer");
    SmtProof proof;
    for (const auto& h : p.at("siblings")) {
      TRIB_ASSIGN_OR_RETURN(Hash32 sib, FixedFromHex<32>(h.get<std::string>()));
      proof.siblings.push_back(sib);
    }
    s = VerifySmtProof(header->state_root, State::KeyHash(VersionKey(v->datanet, v->number)),
                       State::ValueHash(record), proof);
    if (!s.ok()) return bad("version record is not in the state: " + s.message());
    // The labels must be what the proven bytes say.
    TRIB_RETURN_IF_ERROR(CheckReadable(p.at("datanet"), v->datanet, "proof.datanet"));
    TRIB_RETURN_IF_ERROR(CheckReadable(p.at("version"), v->number, "proof.version"));
    if (p.contains("index")) TRIB_RETURN_IF_ERROR(CheckReadable(p["index"], *index, "proof.index"));
    return row;
  } catch (const json::exception& e) {
    return bad(std::string("malformed proof: ") + e.what());
  }
}

Result<std::vector<LeaderboardEntry>> DatanetService::Leaderboard(uint64_t datanet, size_t limit) {
  TRIB_ASSIGN_OR_RETURN(Datanet d, GetDatanet(datanet));
  std::vector<LeaderboardEntry> out;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader&) {
        for (uint64_t i = 0; i < d.contributors; ++i) {
          TRIB_ASSIGN_OR_RETURN(Address who, LoadContributorAt(s, datanet, i));
          TRIB_ASSIGN_OR_RETURN(ContributorStats st, LoadStats(s, datanet, who));
          LeaderboardEntry e{who, st, 0};
          uint64_t decided = st.accepted + st.rejected;
          e.acceptance_ratio = decided ? static_cast<double>(st.accepted) / decided : 0;
          out.push_back(e);
        }
        return Status::OK();
      }));
  std::sort(out.begin(), out.end(), [](const LeaderboardEntry& a, const LeaderboardEntry& b) {
    if (a.stats.accepted_rows != b.stats.accepted_rows) {
      return a.stats.accepted_rows > b.stats.accepted_rows;
    }
    if (a.acceptance_ratio != b.acceptance_ratio) return a.acceptance_ratio > b.acceptance_ratio;
    return a.contributor < b.contributor;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace tributary::datanet
