// Payable inference in ledger state: API keys, inference receipts and what each account earned
// from them, with the transaction kinds that write them (docs/payments.md).
//
//   apikey.create     the sender binds a key to its account: the key's SHA-256 (the secret never
//                     touches the ledger), a label, the models it may call (empty: any), a spend
//                     limit per UTC day and in total (0: none) and an expiry (0: never).
//                     "apikey_exists" when the hash is taken. Event "apikey.created".
//   apikey.revoke     the key's owner ends it ("not_key_owner" otherwise). Event "apikey.revoked".
//   inference.settle  only the chain's sequencer (the node that served the answers) sends it:
//                     up to kMaxReceiptsPerSettle receipts. Each is settled once (receipts are
//                     idempotent by request id: a repeat is skipped with "inference.duplicate").
//                     The fee must equal InferenceFee(prompt + completion tokens, the model's
//                     price); the key's owner pays it (all of it, or the balance when that is
//                     less: a caller can move funds away between the answer and its settlement,
//                     and the receipt then records what was paid); the payment is split by
//                     SplitFee (fee_split.h) and credited in the same block. A contribution
//                     earns only when it is accepted in a Datanet version the model was trained
//                     on; a contributor's spam slashes in that Datanet lower its weight
//                     (kPenaltyPerSlashPpm each); what is removed counts as unattributed.
//                     A receipt that cannot settle (unknown key or model, wrong fee) is skipped
//                     with "inference.rejected" and its reason; the others still settle.
//
// State keys (economy prefixes, beside M m h of models.h):
//   'K' | 32B key hash              -> ApiKey
//   'k' | 20B owner | u64 index     -> 32B key hash (the owner's keys in creation order)
//   'L' | 20B owner                 -> u64 number of keys the owner created
//   'R' | request id                -> SettledReceipt
//   'E' | 20B account               -> Earnings (totals; the breakdown is an index of the node)
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"
#include "tributary/base/encoding.h"
#include "tributary/base/keys.h"
#include "tributary/economy/fee_split.h"
#include "tributary/economy/models.h"
#include "tributary/ledger/state.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::economy {

inline constexpr size_t kMaxKeyLabelChars = 64;
inline constexpr size_t kMaxKeyModels = 64;
inline constexpr size_t kMaxRequestIdChars = 64;
inline constexpr size_t kMaxReceiptContributions = 32;
inline constexpr size_t kMaxReceiptsPerSettle = 64;
inline constexpr uint64_t kMsPerDay = 86'400'000;

inline constexpr std::string_view kCreateApiKeyKind = "apikey.create";
inline constexpr std::string_view kRevokeApiKeyKind = "apikey.revoke";
inline constexpr std::string_view kSettleInferenceKind = "inference.settle";

//! The hash an API key is known by on the ledger: SHA-256 of the secret's bytes.
Hash32 ApiKeyHash(std::string_view secret);
//! A new secret: "trb-sk-" and 32 random bytes in hex.
std::string NewApiKeySecret();

struct ApiKey {
  Hash32 key_hash{};
  Address owner;
  std::string label;
  std::vector<uint64_t> models;  //!< model ids it may call; empty: any
  Amount daily_limit = 0;        //!< per UTC day; 0: no limit
  Amount total_limit = 0;        //!< over its life; 0: no limit
  uint64_t expires_ms = 0;       //!< 0: never
  uint64_t created_height = 0;
  uint64_t created_ms = 0;
  bool revoked = false;
  uint64_t revoked_height = 0;
  Amount spent_total = 0;
  uint64_t spent_day = 0;  //!< UTC day (ms / kMsPerDay) spent_today counts
  Amount spent_today = 0;
  uint64_t requests = 0;

  Bytes Encode() const;
  static Result<ApiKey> Decode(ByteView b);
  nlohmann::json ToJson() const;
  //! What it spent on UTC day `day` (0 when its count is of another day).
  Amount SpentOn(uint64_t day) const { return day == spent_day ? spent_today : 0; }
  bool Allows(uint64_t model) const;
};

struct CreateApiKeyPayload {
  Hash32 key_hash{};
  std::string label;
  std::vector<uint64_t> models;
  Amount daily_limit = 0;
  Amount total_limit = 0;
  uint64_t expires_ms = 0;

  Bytes Encode() const;
  static Result<CreateApiKeyPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  //! {"key_hash", "label", "models": [ids], "daily_limit", "total_limit" (decimal strings of
  //! base units), "expires_ms"}; all but key_hash optional.
  static Result<CreateApiKeyPayload> FromJson(const nlohmann::json& j);
  Status Check() const;  //!< reason "bad_apikey"
};

struct RevokeApiKeyPayload {
  Hash32 key_hash{};
  Bytes Encode() const;
  static Result<RevokeApiKeyPayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<RevokeApiKeyPayload> FromJson(const nlohmann::json& j);
  Status Check() const { return Status::OK(); }
};

//! One contribution's share of an answer, in parts per million.
struct ReceiptWeight {
  Hash32 contribution{};
  uint32_t parts = 0;
  bool operator==(const ReceiptWeight&) const = default;
};

//! What the node that served an answer commits to: the texts stay off the ledger (only their
//! hashes), the attribution as parts per million with the hash of its provenance so that anyone
//! holding the texts can recompute it.
struct InferenceReceipt {
  std::string request_id;  //!< [A-Za-z0-9_-], 1..kMaxRequestIdChars
  Hash32 key_hash{};       //!< the key that paid
  uint64_t model = 0;
  Hash32 prompt_hash{};  //!< SHA-256 of the prompt as the engine saw it (rendered chat)
  Hash32 output_hash{};  //!< SHA-256 of the answer's text
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  Amount fee = 0;
  std::vector<ReceiptWeight> weights;  //!< sorted by contribution id
  uint32_t unattributed = 0;           //!< parts per million; with weights sums to 10^6
  Hash32 provenance_hash{};            //!< SHA-256 of the attribution's canonical provenance
  uint64_t served_ms = 0;              //!< when the answer was given (node clock)
  bool operator==(const InferenceReceipt&) const = default;

  void Encode(Writer& w) const;
  static Status Decode(Reader& r, InferenceReceipt* out);
  nlohmann::json ToJson() const;
  static Result<InferenceReceipt> FromJson(const nlohmann::json& j);
  //! Stateless checks: the id, the weights (sorted, no repeats, at most
  //! kMaxReceiptContributions, summing with `unattributed` to 10^6), a model id. Reason
  //! "bad_receipt".
  Status Check() const;
};

struct SettleInferencePayload {
  std::vector<InferenceReceipt> receipts;
  Bytes Encode() const;
  static Result<SettleInferencePayload> Decode(ByteView b);
  nlohmann::json ToJson() const;
  static Result<SettleInferencePayload> FromJson(const nlohmann::json& j);
  Status Check() const;
};

//! A receipt as settled: who paid, how much, in which block, and every part of the split.
struct SettledReceipt {
  InferenceReceipt receipt;
  Address payer;
  Amount paid = 0;  //!< the fee, or less when the payer's balance was short
  uint64_t height = 0;
  uint64_t timestamp_ms = 0;
  Hash32 tx_hash{};
  std::vector<SplitPart> parts;

  Bytes Encode() const;
  static Result<SettledReceipt> Decode(ByteView b);
  nlohmann::json ToJson() const;
};

//! One line: the request, model, tokens, fee and payer, the block, and who received what.
std::string DescribeReceipt(const SettledReceipt& r);

//! An account's earnings from answers (all roles together).
struct Earnings {
  Amount total = 0;
  uint64_t credits = 0;  //!< parts received
  Bytes Encode() const;
  static Result<Earnings> Decode(ByteView b);
};

std::string ApiKeyKey(const Hash32& key_hash);
std::string OwnerKeyListKey(const Address& owner, uint64_t index);
std::string OwnerKeyCountKey(const Address& owner);
std::string ReceiptKey(std::string_view request_id);
std::string EarningsKey(const Address& account);

//! Readers: nullopt when absent, Corruption when stored bytes do not decode.
Result<std::optional<ApiKey>> LoadApiKey(const StateReader& s, const Hash32& key_hash);
//! How many keys `owner` has created.
Result<uint64_t> LoadOwnerKeyCount(const StateReader& s, const Address& owner);
//! The owner's keys in creation order.
Result<std::vector<ApiKey>> LoadOwnerApiKeys(const StateReader& s, const Address& owner);
Result<std::optional<SettledReceipt>> LoadReceipt(const StateReader& s,
                                                  std::string_view request_id);
Result<Earnings> LoadEarnings(const StateReader& s, const Address& account);

//! "request id must be 1..64 characters of [A-Za-z0-9_-]" (reason "bad_request_id").
Status CheckRequestId(std::string_view id);

//! Adds apikey.create, apikey.revoke and inference.settle.
void RegisterInferenceKinds(TxKindRegistry& registry);

}  // namespace tributary::economy
