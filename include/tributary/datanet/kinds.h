// The Datanet transaction kinds and their payloads.
//
//   datanet.create       anyone; assigns the next id; the sender owns the Datanet
//   datanet.update       owner; replaces summary, description and tags
//   contribution.submit  anyone; commits to the validated rows (content root, counts, files,
//                        validation report hash); checks daily quotas (UTC day of the block
//                        timestamp); in an approval Datanet locks the stake in escrow and
//                        waits for review, in an open Datanet is accepted at once (no stake)
//   contribution.review  owner; approve, or reject with a reason; approval and rejection return
//                        the stake, except a rejection marked spam, which sends slash_bps of it
//                        to the treasury and returns the rest
//   datanet.publish      owner; the next version: every accepted contribution so far
//
// The contribution id is the hash of its contribution.submit transaction. Rows themselves are
// not on the ledger: the node that took the upload stores them (datanet/row_store.h) and the
// content root binds them. Payload JSON uses base units for amounts and hex for hashes.
#pragma once

#include <nlohmann/json.hpp>

#include "tributary/datanet/records.h"
#include "tributary/ledger/params.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::datanet {

//! Governed defaults (ledger/params.h) for the rules a Datanet's creator leaves unset (quotas 0,
//! stake kUnsetStake, slash share kUnsetSlashBps in the payload): what datanet.create records.
inline constexpr std::string_view kDefaultBytesPerDayParam = "datanet.default_bytes_per_day";
inline constexpr std::string_view kDefaultFilesPerDayParam = "datanet.default_files_per_day";
inline constexpr std::string_view kDefaultBytesPerFileParam = "datanet.default_bytes_per_file";
inline constexpr std::string_view kDefaultStakeParam = "datanet.default_stake";
inline constexpr std::string_view kDefaultSlashBpsParam = "datanet.default_slash_bps";
//! In a datanet.create payload, a stake or slash share left unset (a value no Datanet can have:
//! stakes are below the supply, slash shares at most 10,000 bps).
inline constexpr Amount kUnsetStake = kAmountMax;
inline constexpr uint32_t kUnsetSlashBps = UINT32_MAX;
//! The Datanet library's parameter specs (the economy library's registry includes them).
const std::vector<ParamSpec>& DatanetParams();
//! One of them by name (the name must be one of the constants above).
const ParamSpec& DatanetParam(std::string_view name);

struct CreatePayload {
  DatanetSpec spec;
  Bytes Encode() const;
  static Result<CreatePayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  //! Missing rules take their defaults (open, text schema); a missing quota, stake or slash share
  //! is left unset, and datanet.create records the governed default (DatanetParams) for it.
  static Result<CreatePayload> FromJson(const nlohmann::json& j);
};

struct UpdatePayload {
  uint64_t datanet = 0;
  std::string summary;
  std::string description;
  std::vector<std::string> tags;
  Bytes Encode() const;
  static Result<UpdatePayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<UpdatePayload> FromJson(const nlohmann::json& j);
};

struct SubmitPayload {
  uint64_t datanet = 0;
  Hash32 content_root{};
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t rejected_rows = 0;
  std::vector<FileEntry> files;
  Hash32 report_hash{};
  Bytes Encode() const;
  static Result<SubmitPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<SubmitPayload> FromJson(const nlohmann::json& j);
  bool operator==(const SubmitPayload&) const = default;
};

struct ReviewPayload {
  Hash32 contribution{};
  bool approve = false;
  std::string reason;  //!< required to reject
  bool spam = false;   //!< only with a rejection
  Bytes Encode() const;
  static Result<ReviewPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<ReviewPayload> FromJson(const nlohmann::json& j);
};

struct PublishPayload {
  uint64_t datanet = 0;
  Bytes Encode() const;
  static Result<PublishPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<PublishPayload> FromJson(const nlohmann::json& j);
};

inline constexpr std::string_view kCreateKind = "datanet.create";
inline constexpr std::string_view kUpdateKind = "datanet.update";
inline constexpr std::string_view kSubmitKind = "contribution.submit";
inline constexpr std::string_view kReviewKind = "contribution.review";
inline constexpr std::string_view kPublishKind = "datanet.publish";

//! Adds the five kinds above.
void RegisterDatanetKinds(TxKindRegistry& registry);

}  // namespace tributary::datanet
