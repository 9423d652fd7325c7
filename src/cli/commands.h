// Entry points of the `tributary` subcommands.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "tributary/base/keystore.h"
#include "tributary/ledger/tx.h"

namespace tributary::cli {

//! A key from the local keystore; "--from NAME is required" when `name` is empty.
Result<StoredKey> LoadKey(const std::string& name);
//! A tx of `kind` with `payload` (the kind's JSON), signed by `key` with its next nonce and the
//! exact fee (or `max_fee` tokens when given).
Result<Transaction> BuildSignedTx(const Common& c, const KeyPair& key, const std::string& kind,
                                  const nlohmann::json& payload, const std::string& max_fee = "");
//! Signs a `kind` tx from the key `from`, sends it through POST /v1/tx and waits for its block;
//! a failed receipt becomes its error (reason and message from the receipt).
Result<nlohmann::json> SubmitTxAndWait(const Common& c, const std::string& from,
                                       const std::string& kind, const nlohmann::json& payload);

}  // namespace tributary::cli

namespace tributary {
class Chain;
namespace datanet {
class DatanetService;
}
namespace settlement {
class BridgeRelay;
class CommitmentPoster;
class RewardEpochs;
}  // namespace settlement
}  // namespace tributary

namespace tributary::cli {

//! Seeds the demo Datanets on a chain that has none yet (needs the `dev` key and the fortunes
//! package); logs one line to `log`. A no-op when Datanets exist.
Status SeedDemo(Chain* chain, datanet::DatanetService* datanets, std::ostream& log);

//! The demo's models, trained in the background of a running node by child processes:
//! pretrain a base on Datanets 1 and 2, fine-tune an adapter on each, register both. Every step
//! whose output exists in DATA/models is skipped; an interrupted one resumes next start.
class DemoModels {
 public:
  //! `quiet`: children's stderr goes to the log too (not a terminal). `on_base_ready` runs (on the
  //! demo's thread) once the base model is on disk, so the node can serve it.
  DemoModels(std::string url, std::filesystem::path data_dir, bool quiet,
             std::function<void(const std::filesystem::path&)> on_base_ready = {});
  ~DemoModels();
  void Start();
  //! Asks the running child to checkpoint and stop, and waits.
  void Stop();

 private:
  void Run();
  //! Runs a child to completion (its output goes to the log; stdout into `out` when given).
  int RunChild(const std::vector<std::string>& args, std::string* out = nullptr);
  std::string url_;
  std::filesystem::path dir_;
  bool quiet_;
  std::function<void(const std::filesystem::path&)> on_base_ready_;
  std::atomic<bool> stop_{false};
  std::atomic<pid_t> child_{0};
  std::mutex log_mu_;
  std::thread thread_;
};

//! The serving engine's budgets (serve/engine.h), shared by `node` and `serve`.
struct ServeBudgets {
  int64_t max_active_adapters = 64;
  int64_t adapter_cache_mb = 1024;
  std::string adapter_dtype = "base";
  int64_t kv_budget_tokens = 65536;
  int64_t max_queued = 256;
  int64_t max_step_tokens = 512;
  int64_t prefill_chunk = 256;
  int64_t max_running = 64;
  int64_t max_overtakes = 64;
  int threads = 0;
  //! As `serve` arguments.
  std::vector<std::string> ToArgs() const;
};

struct ChatArgs {
  std::string model;
  std::string prompt;  //!< one turn; empty: interactive (chat)
  std::string system;
  int64_t max_tokens = 0;  //!< 0: the server's default
  double temperature = 0.7;
  std::optional<int64_t> seed;
  std::vector<std::string> stop;
};
int RunChat(const Common& common, const ChatArgs& args);
int RunComplete(const Common& common, const ChatArgs& args);

//! `tributary node --settle-*`: posting block commitments to an EVM chain (docs/settlement.md).
//! Numbers are kept as text so that a bad value gets our one-line error and exit code 1.
struct SettleArgs {
  std::string rpc;          //!< --settle-rpc URL: the EVM node's JSON-RPC endpoint
  std::string key;          //!< --settle-key FILE: the sequencer's EVM key (one hex line)
  std::string every;        //!< --settle-every N: must equal the contract's interval
  std::string commitments;  //!< --settle-commitments ADDRESS: the TributaryCommitments contract
  std::string chain_id;     //!< --settle-chain-id ID: when given, eth_chainId must be this
  std::string bridge;       //!< --settle-bridge ADDRESS: the OpenBridge contract to relay
  std::string confirmations = "12";  //!< --settle-confirmations N: before crediting a deposit
  std::string bridge_from_block;     //!< --settle-bridge-from-block N: first EVM block to scan
  std::string rewards;  //!< --settle-rewards ADDRESS: the RewardDistributor to post epochs to
  std::string epoch_blocks = "100";  //!< --settle-epoch-blocks N: close a reward epoch every N
  bool any() const {
    return !rpc.empty() || !key.empty() || !every.empty() || !commitments.empty() ||
           !chain_id.empty() || !bridge.empty() || !rewards.empty();
  }
};

struct NodeArgs {
  std::string data = "./var";
  std::string listen = "127.0.0.1:8645";
  std::string genesis;
  std::string sequencer_key;
  bool dev = false;
  bool demo = false;         //!< seed the demo Datanets on first start (with --dev)
  bool demo_models = false;  //!< then pretrain, fine-tune and register the demo models
  int64_t block_interval_ms = 2000;
  double rate_limit = 200;
  int state_cache_mib = 64;  //!< memory for state values (ChainOptions::state_cache_bytes)
  int db_cache_mib = 128;    //!< SQLite's page cache of the ledger (ChainOptions::page_cache_bytes)
  int max_answers = 0;       //!< OpenAI answers in flight; more get 429 (0: the server's default)
  std::string base;          //!< serve this base through the OpenAI API
  std::string operator_token_file;
  std::vector<std::string> cors_origins;  //!< --cors-origin ORIGIN (repeatable)
  //! The built web app served at /: nullopt looks for the build's (RunNode), "" serves none.
  std::optional<std::string> web;
  ServeBudgets serve;
  SettleArgs settle;
};
int RunNode(const Common& common, const NodeArgs& args);
//! What `tributary node --settle-*` runs; the bridge outlives the poster that drives it.
struct Settlement {
  std::unique_ptr<settlement::BridgeRelay> bridge;    //!< with --settle-bridge
  std::unique_ptr<settlement::RewardEpochs> rewards;  //!< with --settle-rewards
  std::unique_ptr<settlement::CommitmentPoster> poster;
  Settlement();
  Settlement(Settlement&&) noexcept;
  ~Settlement();
};
//! Checks the --settle-* options, connects and starts posting `chain`'s commitments and relaying
//! the bridge (cli-settle.cpp; `sequencer` signs the credits of deposits), keeping the bridge's
//! files in DATA/settlement; empty when no
//! --settle-* option is given. Any bad value is an error.
Result<Settlement> StartSettlement(Chain* chain, const KeyPair& sequencer,
                                   const std::filesystem::path& data, const SettleArgs& args);

struct ModelInitArgs {
  std::string out;
  int64_t layers = 2, hidden = 64, heads = 4, kv_heads = 2, intermediate = 128, vocab = 512;
  int64_t max_positions = 2048;
  uint64_t seed = 0;
  double init_range = 0.02;  //!< std of the random weights (a tiny model may want more)
  bool chat = false;         //!< a ChatML chat template and its two special tokens
};
int RunModelInit(const Common& common, const ModelInitArgs& args);

struct AdapterInitArgs {
  std::string base, out, targets = "q_proj,v_proj";
  int64_t rank = 8;
  double alpha = 16;
  uint64_t seed = 0;
};
int RunModelInitAdapter(const Common& common, const AdapterInitArgs& args);

struct ModelImportArgs {
  std::string gguf, out, dtype = "f32";
  bool overwrite = false;
};
int RunModelImport(const Common& common, const ModelImportArgs& args);

struct ModelPullArgs {
  std::string name, out, cache, dtype = "f32", python = "python3";
  bool list = false;
};
int RunModelPull(const Common& common, const ModelPullArgs& args);

struct GenerateArgs {
  std::string model, adapter, prompt;
  int max_tokens = 64;
  double temperature = 1.0;
  int top_k = 0;
  double top_p = 1.0;
  uint64_t seed = 0;
  std::vector<std::string> stop;
  bool chat = false;  //!< wrap the prompt in the chat template as a user turn
};
int RunGenerate(const Common& common, const GenerateArgs& args);

struct DatanetArgs {
  std::string from = "dev";
  std::string id;  //!< Datanet id, contribution id, or ID@VERSION, by command
  std::string name, summary, description_file, tags, license, policy = "open", schema = "text";
  std::string stake;                    //!< "": the governed default
  std::optional<double> slash_percent;  //!< unset: the governed default
  double near_duplicate = 0.8;
  uint64_t bytes_per_day = 0, files_per_day = 0, bytes_per_file = 0;  //!< 0: governed default
  bool per_file = false;  //!< .txt/.md: a row per file instead of per paragraph
  std::vector<std::string> files;
  bool approve = false, spam = false;
  std::string reject, out;
  uint64_t limit = 20;
  bool summary_set = false, description_set = false, tags_set = false;
};
int RunDatanetCreate(const Common& c, const DatanetArgs& a);
int RunDatanetUpdate(const Common& c, const DatanetArgs& a);
int RunDatanetList(const Common& c);
int RunDatanetShow(const Common& c, const DatanetArgs& a);
int RunDatanetContribute(const Common& c, const DatanetArgs& a);
int RunDatanetReview(const Common& c, const DatanetArgs& a);
int RunDatanetPublish(const Common& c, const DatanetArgs& a);
int RunDatanetExport(const Common& c, const DatanetArgs& a);
int RunDatanetLeaderboard(const Common& c, const DatanetArgs& a);

//! `tributary model register|list|show` (the ledger's model registry; no libtorch needed).
struct ModelRegistryArgs {
  std::string from = "dev";
  std::string name, base, adapter, price;  //!< price: OPEN per 1,000 tokens, e.g. 0.002
  std::string id;                          //!< show: model id or tributary-model-<id>
  double contributors_share = 50;          //!< percent of each fee after the protocol's
};
int RunModelRegister(const Common& c, const ModelRegistryArgs& a);
int RunModelList(const Common& c);
int RunModelShow(const Common& c, const ModelRegistryArgs& a);

//! `tributary apikey create|list|revoke`, `earnings`, `receipt` (paying for answers).
struct ApiKeyArgs {
  std::string from;   //!< the paying account's key name
  std::string owner;  //!< list: an address or key name (default: --from)
  std::string label, models, daily_limit, total_limit;  //!< limits in OPEN; "" is none
  int64_t expires_days = 0;                             //!< 0: never
  std::string save;                                     //!< create: write the secret here
  std::string key;                                      //!< revoke: the key's hash or secret
};
int RunApiKeyCreate(const Common& c, const ApiKeyArgs& a);
int RunApiKeyList(const Common& c, const ApiKeyArgs& a);
int RunApiKeyRevoke(const Common& c, const ApiKeyArgs& a);
int RunEarnings(const Common& c, const std::string& who);
int RunReceipt(const Common& c, const std::string& id, const std::string& out_file);

}  // namespace tributary::cli
