// The node's Datanet service: takes contribution uploads, validates them against what each
// Datanet holds and has pending, stores accepted rows and submits the signed contribution tx;
// serves rows, versions and the leaderboard from the ledger plus the row store.
//
// Upload protocol (the contributor signs what the node validated):
//  1. Prepare(datanet, files): parse + validate, nothing stored; returns the report and the
//     contribution.submit payload (content root, counts, files, report hash).
//  2. The contributor signs a contribution.submit tx with exactly that payload.
//  3. Submit(datanet, files, tx): validates again under the service lock; if the payload
//     differs (someone contributed overlapping rows meanwhile) fails with `validation_changed`
//     and nothing is stored. Otherwise stores the rows under the tx hash, then submits the tx;
//     if the chain refuses it (quota, funds, nonce) the rows are removed again.
// A crash between storing rows and the tx's commit leaves rows of an unknown contribution: Open
// removes every stored contribution the ledger does not hold, so no partial upload survives.
//
// Thread-safety: all methods are safe to call concurrently; the chain and row store are
// thread-safe. Each Datanet has its own mutex over its duplicate index: uploads to one Datanet
// validate, store and submit one at a time (each must see the rows of the one before), uploads
// to different Datanets run side by side, and files are parsed before any lock is taken. A
// Datanet's index is built on its first upload after a start, under that Datanet's mutex only,
// reading the ledger in short slices, so block commits, reads and uploads to other Datanets go on
// meanwhile. Block commits never wait for an upload's validation: rows a block frees (a refused
// upload, a rejection) are queued and leave the index before the next upload to that Datanet is
// validated.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tributary/datanet/kinds.h"
#include "tributary/datanet/records.h"
#include "tributary/datanet/row_store.h"
#include "tributary/datanet/validate.h"
#include "tributary/ledger/chain.h"

namespace tributary::datanet {

struct UploadFile {
  std::string name;  //!< the extension picks the parser (.txt .md .jsonl .csv)
  std::string bytes;
};

struct Prepared {
  ValidationReport report;
  SubmitPayload payload;
};

//! A row of a published version with its provenance.
struct VersionRow {
  uint64_t index = 0;  //!< position in the version
  Hash32 row_id{};
  std::string canonical;
  Hash32 contribution{};
  Address contributor;
};

struct LeaderboardEntry {
  Address contributor;
  ContributorStats stats;
  double acceptance_ratio = 0;  //!< accepted / reviewed-or-accepted contributions
};

class DatanetService {
 public:
  //! Opens DIR/rows.db, removes contributions the ledger does not hold and registers a commit
  //! listener on `chain` (which must outlive the service).
  static Result<std::unique_ptr<DatanetService>> Open(const std::filesystem::path& data_dir,
                                                      Chain* chain);
  //! Unregisters the commit listener (the chain may go on producing blocks).
  ~DatanetService();

  Result<Prepared> Prepare(uint64_t datanet, const std::vector<UploadFile>& files);
  //! Returns the contribution id (= tx hash) and the report.
  Result<std::pair<Hash32, Prepared>> Submit(uint64_t datanet, const std::vector<UploadFile>& files,
                                             const Transaction& tx);

  Result<Datanet> GetDatanet(uint64_t id);
  //! Datanets with id in [first, first + limit).
  Result<std::vector<Datanet>> ListDatanets(uint64_t first, uint64_t limit);
  Result<std::vector<Version>> Versions(uint64_t datanet);
  Result<Contribution> GetContribution(const Hash32& id);
  //! Contributions of a Datanet in submission order, [offset, offset + limit).
  Result<std::vector<Contribution>> Contributions(uint64_t datanet, uint64_t offset,
                                                  uint64_t limit);
  //! The contribution's stored rows (ids and canonical JSON), [offset, offset + limit).
  Result<std::vector<std::pair<Hash32, std::string>>> ContributionRows(const Hash32& id,
                                                                       uint64_t offset,
                                                                       uint64_t limit);
  //! The validation report stored with the upload, as JSON.
  Result<nlohmann::json> ContributionReport(const Hash32& id);
  Result<Version> GetVersion(uint64_t datanet, uint32_t number);
  Result<std::vector<VersionRow>> VersionRows(uint64_t datanet, uint32_t number, uint64_t offset,
                                              uint64_t limit);
  //! Inclusion proof of row `index` of a version: the row in its contribution's content tree,
  //! the contribution in the version tree, the version record in state (JSON, self-contained).
  //! It carries the leaves of the contributions before the row's ("preceding", VersionLeaf hex)
  //! so that the row's index is proven too: their row counts plus its place in its own.
  Result<nlohmann::json> ProveVersionRow(uint64_t datanet, uint32_t number, uint64_t index);
  //! Contributors by accepted rows (then acceptance ratio), at most `limit`.
  Result<std::vector<LeaderboardEntry>> Leaderboard(uint64_t datanet, size_t limit);

  RowStore& rows() { return *rows_; }

  //! Called by the builder of a Datanet's index after reading the ledger and the rows, before it
  //! installs the index: lets tests commit blocks and upload elsewhere while a build is in
  //! progress. Set before any upload; not synchronized.
  void SetIndexBuildHookForTest(std::function<void(uint64_t datanet)> hook) {
    build_hook_ = std::move(hook);
  }
  //! Called with the Datanet's mutex held, after its index is ready and before the queued freed
  //! rows are applied and the upload validated: lets tests commit blocks, or upload to another
  //! Datanet, in the middle of an upload. Set before any upload; not synchronized.
  void SetValidateHookForTest(std::function<void(uint64_t datanet)> hook) {
    validate_hook_ = std::move(hook);
  }

 private:
  DatanetService(Chain* chain, std::unique_ptr<RowStore> rows)
      : chain_(chain), rows_(std::move(rows)) {}
  Status Reconcile();
  void OnCommit(const CommittedBlock& block);
  // Rows the ledger no longer holds against new uploads (a refused submit, a rejection): queued
  // for the Datanet's index when it has one or one is being built (freed_mu_, not a Datanet's
  // mutex).
  void FreeRows(uint64_t datanet, std::vector<Hash32> ids);
  bool Tracked(uint64_t datanet);  // whether FreeRows would queue rows of `datanet`
  // One Datanet's upload state. `mu` serializes its uploads; `index` (guarded by `mu`) is its
  // duplicate index once built.
  struct DatanetSlot {
    std::mutex mu;
    std::unique_ptr<RowIndex> index;
  };
  // The slot of `datanet`, made on first use; slots live as long as the service.
  DatanetSlot& Slot(uint64_t datanet);
  // Removes the rows queued for `datanet` from its index; the slot's mutex held.
  void ApplyFreedLocked(uint64_t datanet, RowIndex& index);
  // The duplicate index of `d`, built from the row store on first use; the slot's mutex held.
  Result<RowIndex*> IndexLocked(const Datanet& d, DatanetSlot& slot);
  // Reads the rows of every pending or accepted contribution of `d` into a new index.
  Result<RowIndex> BuildIndex(const Datanet& d);
  // Checks the files against the quotas and parses them (no lock needed).
  static Result<std::vector<ParsedFile>> ParseUpload(const Datanet& d,
                                                     const std::vector<UploadFile>& files);
  // Validates parsed files against the index; the slot's mutex held.
  Result<Prepared> PrepareLocked(const Datanet& d, const std::vector<UploadFile>& files,
                                 std::vector<ParsedFile> parsed, DatanetSlot& slot);

  Chain* chain_;
  uint64_t listener_ = 0;
  std::unique_ptr<RowStore> rows_;
  std::mutex slots_mu_;  // guards the map only, never held while a slot's mutex is taken
  std::map<uint64_t, std::unique_ptr<DatanetSlot>> slots_;
  // Rows freed by committed blocks, by Datanet, not yet out of its index; tracked_: Datanets
  // with an index built or being built (others' rows are not queued: a build reads the ledger).
  std::mutex freed_mu_;
  std::map<uint64_t, std::vector<Hash32>> freed_;
  std::set<uint64_t> tracked_;
  std::function<void(uint64_t)> build_hook_;
  std::function<void(uint64_t)> validate_hook_;
};

//! Checks a proof from ProveVersionRow, bare or as the API returns it ({"proof": ...}): OK with
//! the row's canonical JSON, or the reason it fails. Trusts the header only as far as its
//! signature by `sequencer` when given. Its readable labels (datanet, version, index, row,
//! row_id, contribution) must be what the proven bytes say; a label that differs, a member the
//! check does not read, or anything beside "proof" in a response is refused ("misleading_proof"
//! where the bytes themselves verify, "bad_proof" otherwise; ledger/readable.h).
Result<std::string> VerifyVersionRowProof(const nlohmann::json& proof,
                                          const std::optional<PublicKey>& sequencer);

}  // namespace tributary::datanet
