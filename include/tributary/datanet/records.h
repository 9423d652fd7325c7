// Datanets in ledger state: the records the datanet tx kinds keep, their keys and encodings.
//
// State keys (the datanet library owns these one-byte prefixes):
//   'N'                              -> u64 number of Datanets (ids are 1, 2, ...)
//   'd' | u64 datanet                -> Datanet
//   'c' | 32B contribution id        -> Contribution (the id is the hash of its submit tx)
//   'l' | u64 datanet | u64 index    -> 32B contribution id, in submission order
//   'A' | u64 datanet | u64 index    -> 32B contribution id, in acceptance order
//   'v' | u64 datanet | u32 number   -> Version (numbered from 1)
//   'q' | u64 datanet | 20B address  -> QuotaUse for the contributor's current day
//   'p' | u64 datanet | 20B address  -> ContributorStats
//   'P' | u64 datanet | u64 index    -> 20B address of the index-th contributor to the Datanet
//
// A version's rows are the rows of the first `contributions` accepted contributions, in
// acceptance order and, within each, in contribution order. Its root is the RFC 6962 Merkle
// root over one leaf per such contribution (VersionLeaf); each contribution's content root is
// the RFC 6962 root over its row ids. So a row is proven in a version by two audit paths plus
// the state proof of the version record.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"
#include "tributary/datanet/rows.h"
#include "tributary/ledger/state.h"

namespace tributary::datanet {

enum class Policy : uint8_t { kOpen = 0, kApproval = 1 };
std::string_view PolicyName(Policy p);
Result<Policy> ParsePolicy(std::string_view name);

//! Per contributor per UTC day (block time), and per file.
struct Quotas {
  uint64_t bytes_per_day = 10ull << 20;
  uint32_t files_per_day = 20;
  uint64_t bytes_per_file = 5ull << 20;
};

//! Hard ceilings no Datanet may exceed (they bound what the node accepts in one upload).
inline constexpr uint64_t kMaxBytesPerFile = 64ull << 20;
inline constexpr uint32_t kMaxFilesPerContribution = 64;
inline constexpr size_t kMaxNameChars = 64;
inline constexpr size_t kMaxSummaryChars = 280;
inline constexpr size_t kMaxDescriptionBytes = 16 * 1024;
inline constexpr size_t kMaxTags = 16;
inline constexpr size_t kMaxTagChars = 32;
inline constexpr size_t kMaxReasonChars = 280;
inline constexpr uint64_t kMsPerDay = 86400000;

//! What the creator chooses. Rules (everything but summary, description and tags) are fixed.
struct DatanetSpec {
  std::string name;
  std::string summary;
  std::string description;  //!< Markdown
  std::vector<std::string> tags;
  std::string modality = "text";
  std::string license;  //!< SPDX id
  Policy policy = Policy::kOpen;
  Amount stake = 0;            //!< locked per contribution (approval Datanets)
  uint32_t slash_bps = 10000;  //!< share of the stake a spam rejection slashes
  Quotas quotas;
  uint32_t near_duplicate_bps = 8000;  //!< near-duplicate similarity threshold
  RowSchema schema;

  //! Field limits; reason "bad_datanet".
  Status Check() const;
  Status CheckEditable() const;  //!< summary, description, tags only
};

struct Datanet {
  uint64_t id = 0;
  Address owner;
  DatanetSpec spec;
  uint64_t created_height = 0;
  uint64_t created_ms = 0;
  uint64_t contributions = 0;  //!< submitted
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t accepted_rows = 0;
  uint64_t accepted_bytes = 0;
  uint64_t contributors = 0;
  uint32_t versions = 0;

  Bytes Encode() const;
  static Result<Datanet> Decode(ByteView b);
  nlohmann::json ToJson() const;
};

enum class ContributionStatus : uint8_t { kPending = 0, kAccepted = 1, kRejected = 2 };
std::string_view StatusName(ContributionStatus s);

struct FileEntry {
  std::string name;
  std::string type;  //!< txt, md, jsonl, csv, json (JSON rows)
  uint64_t bytes = 0;
  bool operator==(const FileEntry&) const = default;
};

struct Contribution {
  Hash32 id{};
  uint64_t datanet = 0;
  Address contributor;
  Hash32 content_root{};  //!< RFC 6962 root over the accepted row ids, in order
  uint64_t rows = 0;      //!< accepted rows
  uint64_t bytes = 0;     //!< their canonical bytes
  uint64_t rejected_rows = 0;
  std::vector<FileEntry> files;
  Hash32 report_hash{};
  ContributionStatus status = ContributionStatus::kPending;
  Amount stake = 0;             //!< held in escrow while pending
  uint64_t index = 0;           //!< submission order in the Datanet
  uint64_t accepted_index = 0;  //!< acceptance order, when accepted
  uint64_t submitted_height = 0;
  uint64_t submitted_ms = 0;
  uint64_t reviewed_height = 0;
  std::string reason;  //!< rejection reason
  bool spam = false;
  Amount slashed = 0;

  Bytes Encode() const;
  static Result<Contribution> Decode(ByteView b);
  nlohmann::json ToJson() const;
  uint64_t FileBytes() const;
};

struct Version {
  uint64_t datanet = 0;
  uint32_t number = 0;
  Hash32 root{};
  uint64_t contributions = 0;  //!< accepted contributions it holds (a prefix of acceptance order)
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t height = 0;
  uint64_t timestamp_ms = 0;

  Bytes Encode() const;
  static Result<Version> Decode(ByteView b);
  nlohmann::json ToJson() const;
};

struct QuotaUse {
  uint64_t day = 0;
  uint64_t bytes = 0;
  uint32_t files = 0;
};

struct ContributorStats {
  uint64_t submitted = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t pending = 0;
  uint64_t accepted_rows = 0;
  uint64_t slashed_count = 0;
};

std::string CounterKey();
std::string DatanetKey(uint64_t id);
std::string ContributionKey(const Hash32& id);
std::string ContributionListKey(uint64_t datanet, uint64_t index);
std::string AcceptedListKey(uint64_t datanet, uint64_t index);
std::string VersionKey(uint64_t datanet, uint32_t number);
std::string QuotaKey(uint64_t datanet, const Address& who);
std::string StatsKey(uint64_t datanet, const Address& who);
std::string ContributorListKey(uint64_t datanet, uint64_t index);

//! The account that holds pending contributions' stake.
Address EscrowAddress();

//! Readers: nullopt when absent, Corruption when stored bytes do not decode.
Result<uint64_t> LoadDatanetCount(const StateReader& s);
Result<std::optional<Datanet>> LoadDatanet(const StateReader& s, uint64_t id);
Result<std::optional<Contribution>> LoadContribution(const StateReader& s, const Hash32& id);
Result<std::optional<Version>> LoadVersion(const StateReader& s, uint64_t datanet, uint32_t n);
Result<Hash32> LoadListEntry(const StateReader& s, const std::string& key);
Result<ContributorStats> LoadStats(const StateReader& s, uint64_t datanet, const Address& who);
Result<Address> LoadContributorAt(const StateReader& s, uint64_t datanet, uint64_t index);

void StoreDatanet(Overlay& s, const Datanet& d);
void StoreContribution(Overlay& s, const Contribution& c);
void StoreVersion(Overlay& s, const Version& v);
void StoreListEntry(Overlay& s, const std::string& key, const Hash32& id);
void StoreStats(Overlay& s, uint64_t datanet, const Address& who, const ContributorStats& st);

//! RFC 6962 root over row ids (each leaf is the 32-byte id).
Hash32 ContentRoot(const std::vector<Hash32>& row_ids);
//! Leaf data for a contribution in a version: id | content root | u64 rows | contributor.
Bytes VersionLeaf(const Contribution& c);
//! Reads VersionLeaf's fields back (the others are left at their defaults); "bad_proof" when
//! `leaf` is not one.
Result<Contribution> DecodeVersionLeaf(ByteView leaf);

}  // namespace tributary::datanet
