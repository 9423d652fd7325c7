//! AI agents as economic participants, and slash reports against agents and contributions
//! (docs/governance.md, "Agents and slashing").
//!
//!   agent.register {owner, name, purpose, endpoint, stake}: the sender declares itself an agent
//!       owned by `owner` and locks `stake` (at least agent.min_stake) in the agent escrow.
//!       Event "agent.registered". Agents pay for answers with API keys like any account.
//!   agent.budget {agent, daily_limit, total_limit}: the owner caps what the agent may pay for
//!       answers per UTC day and in all (0: no cap). The node refuses answers over it (403
//!       "agent_budget") and inference.settle never charges past it.
//!   agent.exit {agent}: the agent or its owner takes the stake back and retires the agent;
//!       refused while a report against it is open ("open_reports").
//!   slash.report {target: {"agent": ADDR} | {"contribution": ID}, evidence: {"receipt":
//!   REQUEST_ID}
//!       | {"contribution": ID} | {"text_hash": HEX}, reason}: anyone. The evidence must exist on
//!       the ledger (a settled receipt, a contribution). An agent's open reports pin its stake.
//!   slash.resolve {report, uphold}: for a contribution, the owner of its Datanet decides; an
//!       upheld report raises the contributor's slash count in that Datanet (each slash lowers
//!       their reward weight there by fees.penalty_per_slash_ppm). For an agent, only a passed
//!       governance proposal decides (gov.propose with "reports"); an upheld report moves
//!       slash.agent_share_ppm of the agent's stake to the treasury and raises its slash count,
//!       which lowers the reward weight of the agent's own contributions the same way.
//!
//! State keys: 'J' | 20B agent -> Agent; 'j' -> u64 agents; 'I' | u64 index -> 20B agent;
//!             'Q' -> u64 reports; 'r' | u64 report -> SlashReport.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/keys.h"
#include "tributary/ledger/state.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::economy {

inline constexpr std::string_view kMinAgentStakeParam = "agent.min_stake";
inline constexpr std::string_view kAgentSlashShareParam = "slash.agent_share_ppm";

inline constexpr std::string_view kRegisterAgentKind = "agent.register";
inline constexpr std::string_view kAgentBudgetKind = "agent.budget";
inline constexpr std::string_view kAgentExitKind = "agent.exit";
inline constexpr std::string_view kSlashReportKind = "slash.report";
inline constexpr std::string_view kSlashResolveKind = "slash.resolve";

inline constexpr size_t kMaxAgentNameChars = 64;
inline constexpr size_t kMaxAgentPurposeChars = 280;
inline constexpr size_t kMaxAgentEndpointBytes = 256;
inline constexpr size_t kMaxReportReasonChars = 280;
inline constexpr size_t kMaxEvidenceBytes = 128;

//! The account that holds agents' stakes ("tributary/agent-stake/v1").
Address AgentEscrowAddress();

struct Agent {
  Address address;  //!< the agent's own account (it signs its txs and pays for answers)
  Address owner;
  std::string name;
  std::string purpose;
  std::string endpoint;  //!< http(s) URL where it can be reached
  Amount stake = 0;      //!< locked in the agent escrow
  uint64_t registered_height = 0;
  Amount daily_budget = 0;  //!< 0: no cap
  Amount total_budget = 0;  //!< 0: no cap
  uint64_t spent_day = 0;   //!< UTC day of spent_today
  Amount spent_today = 0;
  Amount spent_total = 0;
  uint64_t open_reports = 0;
  uint64_t slash_count = 0;
  Amount slashed_total = 0;
  bool exited = false;
  uint64_t exit_height = 0;

  //! What it spent on `day` (UTC days since the epoch).
  Amount SpentOn(uint64_t day) const { return day == spent_day ? spent_today : 0; }
  //! How much more it may pay on `day` under its budgets (kAmountMax when uncapped).
  Amount Headroom(uint64_t day) const;

  Bytes Encode() const;
  static Result<Agent> Decode(ByteView b);
  nlohmann::json ToJson() const;
};

enum class ReportTarget : uint8_t { kAgent = 0, kContribution = 1 };
enum class EvidenceKind : uint8_t { kReceipt = 0, kContribution = 1, kTextHash = 2 };
enum class ReportStatus : uint8_t { kOpen = 0, kUpheld = 1, kDismissed = 2 };
std::string_view ReportStatusName(ReportStatus s);

struct SlashReport {
  uint64_t id = 0;
  Address reporter;
  ReportTarget target = ReportTarget::kAgent;
  Address agent;          //!< the target, when an agent
  Hash32 contribution{};  //!< the target, when a contribution
  EvidenceKind evidence_kind = EvidenceKind::kTextHash;
  std::string evidence;  //!< a receipt's request id, or hex of a contribution id or hash
  std::string reason;
  uint64_t height = 0;
  ReportStatus status = ReportStatus::kOpen;
  uint64_t decided_height = 0;
  Address decided_by;     //!< the Datanet owner, or the governor's system address
  uint64_t proposal = 0;  //!< the proposal that decided it (agents)
  Amount slashed = 0;     //!< stake moved to the treasury

  Bytes Encode() const;
  static Result<SlashReport> Decode(ByteView b);
  nlohmann::json ToJson() const;
};

Result<std::optional<Agent>> LoadAgent(const StateReader& state, const Address& agent);
void StoreAgent(Overlay& state, const Agent& agent);
Result<uint64_t> LoadAgentCount(const StateReader& state);
//! Lists `agent` as the index-th registered.
void AppendAgent(Overlay& state, uint64_t index, const Address& agent);
//! The index-th agent registered (0-based).
Result<Address> LoadAgentAt(const StateReader& state, uint64_t index);
Result<uint64_t> LoadReportCount(const StateReader& state);
Result<std::optional<SlashReport>> LoadReport(const StateReader& state, uint64_t id);
void StoreReport(Overlay& state, const SlashReport& r);
void StoreReportCount(Overlay& state, uint64_t n);

//! Decides report `id` (a governance decision: agents; or the Datanet owner's: contributions).
//! Upheld agent reports slash slash.agent_share_ppm of the stake to the treasury. Events
//! "slash.upheld" or "slash.dismissed". FailedPrecondition "report_closed" when not open.
Status ResolveReport(TxContext& ctx, uint64_t id, bool uphold, const Address& decided_by,
                     uint64_t proposal);

//! The address recorded as the decider of reports the governor resolves.
Address GovernorAddress();

//! Adds agent.register, agent.budget, agent.exit, slash.report and slash.resolve.
void RegisterAgentKinds(TxKindRegistry& registry);

}  // namespace tributary::economy
