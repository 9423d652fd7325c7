// tributary: the node and its command-line client.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/agent-commands.h"
#include "cli/bridge-commands.h"
#include "cli/commands.h"
#include "cli/governance-commands.h"
#include "cli/key-commands.h"
#include "cli/rewards-commands.h"
#include "tributary/api/node_server.h"
#include "tributary/datanet/service.h"
#include "tributary/economy/receipt_proof.h"
#include "tributary/ledger/verify.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

struct TxArgs {
  std::string from;
  std::string to;
  std::string amount;
  std::string max_fee;
  bool wait = false;
};

int SendTx(const Common& c, const TxArgs& a, const std::string& kind) {
  auto key = LoadKey(a.from);
  if (!key.ok()) return Fail(key.status());
  auto chain = NodeGet(c, "/v1/chain");
  if (!chain.ok()) return Fail(chain.status());
  int decimals = (*chain)["token"].value("decimals", 18);
  auto amount = ParseTokens(a.amount, decimals);
  if (!amount.ok()) return Fail(amount.status().WithContext("--amount"));
  json payload = {{"amount", AmountToString(*amount)}};
  if (kind == "transfer") {
    auto to = ResolveAddress(a.to);
    if (!to.ok()) return Fail(to.status().WithContext("--to"));
    payload["to"] = to->ToString();
  }
  auto tx = BuildSignedTx(c, key->key, kind, payload, a.max_fee);
  if (!tx.ok()) return Fail(tx.status());
  auto res =
      NodePost(c, a.wait ? "/v1/tx?wait=commit" : "/v1/tx", json{{"raw", ToHex(tx->Encode())}});
  if (!res.ok()) return Fail(res.status());
  if (c.json) {
    PrintJson(*res);
  } else {
    std::cout << (*res)["status"].get<std::string>() << " " << (*res)["hash"].get<std::string>();
    if (res->contains("height")) std::cout << " in block " << (*res)["height"];
    std::cout << "\n";
    if (res->contains("receipt") && (*res)["receipt"].value("status", "") != "success") {
      std::cout << "receipt: " << (*res)["receipt"].dump() << "\n";
    }
  }
  return 0;
}

int ShowAccount(const Common& c, const std::string& who, bool prove) {
  auto addr = ResolveAddress(who);
  if (!addr.ok()) return Fail(addr.status());
  auto res = NodeGet(c, "/v1/accounts/" + addr->ToString() + (prove ? "?prove=1" : ""));
  if (!res.ok()) return Fail(res.status());
  if (c.json || prove) {
    PrintJson(*res);
  } else {
    const json& r = *res;
    std::cout << "address:    " << r["address"].get<std::string>() << "\n"
              << "balance:    " << r["balance_display"].get<std::string>() << " ("
              << r["balance"].get<std::string>() << " base units)\n"
              << "staked:     " << r["staked"].get<std::string>() << "\n"
              << "unbonding:  " << r["unbonding"].get<std::string>() << "\n"
              << "nonce:      " << r["nonce"] << " (next " << r["next_nonce"] << ")\n"
              << "as of block " << r["height"] << "\n";
  }
  return 0;
}

int ShowBlock(const Common& c, const std::string& which) {
  auto res = NodeGet(c, "/v1/blocks/" + which);
  if (!res.ok()) return Fail(res.status());
  if (c.json) {
    PrintJson(*res);
  } else {
    const json& b = *res;
    std::cout << "block " << b["height"] << " " << b["hash"].get<std::string>() << "\n"
              << "  time       " << b["timestamp_ms"] << " ms\n"
              << "  prev       " << b["prev_hash"].get<std::string>() << "\n"
              << "  state root " << b["state_root"].get<std::string>() << "\n"
              << "  tx root    " << b["tx_root"].get<std::string>() << "\n"
              << "  txs        " << b["tx_count"] << "\n";
    for (const auto& t : b["txs"]) std::cout << "    " << t.get<std::string>() << "\n";
  }
  return 0;
}

int GetTx(const Common& c, const std::string& hash, const std::string& out) {
  auto res = NodeGet(c, "/v1/tx/" + hash);
  if (!res.ok()) return Fail(res.status());
  if (!out.empty()) {
    std::ofstream f(out);
    f << res->dump(2) << "\n";
    if (!f) return Fail(Status::IOError("cannot write " + out));
    if (!c.json) std::cout << (*res)["status"].get<std::string>() << "; written to " << out << "\n";
    return 0;
  }
  PrintJson(*res);
  return 0;
}

// Checks any proof the node hands out, offline: a Datanet row (datanet::VerifyVersionRowProof),
// otherwise a tx, account or state proof (VerifyProofJson), where a state proof of a settled
// receipt is read as the receipt (economy::ReceiptStateView). Either way the bytes are checked
// first, then every readable member of the file against them (ledger/readable.h): a member that
// says something else, or one the proof cannot vouch for, is refused (reason "misleading_proof").
int VerifyProof(const Common& c, const std::string& path, const std::string& sequencer) {
  std::ifstream in(path);
  if (!in) return Fail(Status::NotFound("cannot read " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded())
    return Fail(Status::InvalidArgument(path + " is not valid JSON", "bad_json"));
  std::optional<PublicKey> trusted;
  if (!sequencer.empty()) {
    auto k = FixedFromHex<32>(sequencer);
    if (!k.ok()) return Fail(Status::InvalidArgument("--sequencer must be a 32-byte hex key"));
    trusted = *k;
  }
  auto refused = [&](const Status& s) {
    if (c.json) PrintJson({{"valid", false}, {"reason", s.reason()}, {"error", s.message()}});
    return Fail(s);
  };
  const json& inner = doc.is_object() && doc.contains("proof") ? doc["proof"] : doc;
  if (inner.is_object() && inner.value("type", "") == "datanet_row") {
    auto row = datanet::VerifyVersionRowProof(doc, trusted);
    if (!row.ok()) return refused(row.status());
    if (c.json) {
      PrintJson({{"valid", true}, {"kind", "datanet_row"}, {"row", *row}});
    } else {
      // Every label printed here is checked against the proven bytes.
      std::cout << "VALID: Datanet " << inner["datanet"] << " version " << inner["version"]
                << " holds the row " << *row;
      if (inner.contains("index")) std::cout << " at index " << inner["index"];
      std::cout << "\n(from contribution " << inner["contribution"].value("id", "") << " by "
                << inner["contribution"].value("contributor", "") << ")\n"
                << (trusted ? "" : "(pass --sequencer to pin the block signer)\n");
    }
    return 0;
  }
  auto r = VerifyProofJson(doc, NodeTxKinds(), trusted, economy::ReceiptStateView);
  if (!r.ok()) return refused(r.status());
  if (c.json) {
    PrintJson({{"valid", true},
               {"kind", r->kind},
               {"height", r->height},
               {"proposer", ToHex(r->proposer)},
               {"summary", r->summary},
               {"checked_fields", r->readable}});
  } else {
    std::cout << "VALID: " << r->summary << "\n"
              << "block " << r->height << " signed by " << ToHex(r->proposer)
              << (trusted
                      ? " (the trusted sequencer)\n"
                      : "\n(compare that key with the chain's sequencer, or pass --sequencer)\n");
    if (!r->readable.empty()) {
      std::string names;
      for (const auto& n : r->readable) names += (names.empty() ? "" : ", ") + n;
      std::cout << "the file's readable fields (" << names << ") are what the proof proves\n";
    }
  }
  return 0;
}

int LedgerVerify(const Common& c, const std::string& data) {
  ProgressLine line(ShowProgress(c), "verifying blocks", "blocks");
  auto progress = [&](uint64_t done, uint64_t total) { line.Update(done, total); };
  auto r = VerifyLedger(data, NodeTxKinds(), progress);
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    json j = {
        {"ok", r->ok}, {"blocks", r->blocks_checked}, {"txs", r->txs_checked}, {"tip", r->tip}};
    if (r->ok) j["state_root"] = ToHex(r->state_root);
    if (!r->ok) j["first_bad_height"] = *r->first_bad_height, j["problem"] = r->problem;
    PrintJson(j);
  } else if (r->ok) {
    std::cout << "ledger OK: " << r->blocks_checked << " blocks and " << r->txs_checked
              << " txs replayed from genesis; every signature and root matches (state root "
              << ToHex(r->state_root) << ")\n";
  } else {
    std::cout << "ledger MISMATCH at height " << *r->first_bad_height << ": " << r->problem << "\n";
  }
  return r->ok ? 0 : 3;
}

}  // namespace
}  // namespace tributary::cli

int main(int argc, char** argv) {
  using namespace tributary::cli;
  // The model commands live in tributary-model beside this binary, so that the ledger commands
  // and the node do not load libtorch (~0.4 s per start).
  if (IsModelCommand(argc, argv)) return ExecModelBinary(argc, argv);
  CLI::App app{"tributary: payable AI node (ledger, datanets, models, attribution)"};
  app.footer(
      "Also (run by tributary-model, which loads libtorch; each takes --help):\n"
      "  model init|init-adapter     random checkpoints and adapters\n"
      "  generate                    generate text with a model and adapter\n"
      "  factory train|eval|pretrain fine-tune and evaluate on Datanet versions\n"
      "  index build|status          span-attribution indexes of Datanet versions\n"
      "  attribute                   which contributions an answer came from\n"
      "  attribution eval            the attribution evaluation protocols");
  app.require_subcommand(1);
  app.fallthrough();  // --node and --json work after the subcommand too
  Common common;
  app.add_option("--node", common.node, "node API URL")->capture_default_str();
  app.add_flag("--json", common.json, "machine-readable output");
  app.add_option("--api-key", common.api_key,
                 "API key that pays for answers of priced models (`apikey create`)")
      ->envname("TRIBUTARY_API_KEY");

  NodeArgs node_args;
  auto* node = app.add_subcommand("node", "run a node");
  node->add_option("--data", node_args.data, "data directory")->capture_default_str();
  node->add_option("--listen", node_args.listen, "HOST:PORT to serve the API on")
      ->capture_default_str();
  node->add_option("--genesis", node_args.genesis, "genesis JSON file (for a new data directory)");
  node->add_option("--sequencer-key", node_args.sequencer_key,
                   "key file that signs blocks (default DATA/sequencer.key)");
  node->add_flag("--dev", node_args.dev,
                 "development chain: create keys and a genesis funding the local 'dev' key");
  node->add_flag("--demo", node_args.demo,
                 "with --dev: seed demo Datanets from Debian's fortunes on first start");
  node->add_flag("--demo-models", node_args.demo_models,
                 "with --demo: pretrain a base model on the demo Datanets, fine-tune and register "
                 "two adapters (in the background; cached in DATA/models)");
  node->add_option("--block-interval-ms", node_args.block_interval_ms,
                   "block interval; 0 = as soon as there is work")
      ->capture_default_str();
  node->add_option("--rate-limit", node_args.rate_limit, "requests/s per client address (0 = off)")
      ->capture_default_str();
  node->add_option("--state-cache-mib", node_args.state_cache_mib,
                   "MiB of ledger state values kept in memory (the rest is read from the database)")
      ->capture_default_str();
  node->add_option("--db-cache-mib", node_args.db_cache_mib,
                   "MiB of SQLite page cache for the ledger database")
      ->capture_default_str();
  node->add_option("--max-answers", node_args.max_answers,
                   "OpenAI answers in flight at once; more get 429 at once (0 = 56, the HTTP "
                   "threads less 8)")
      ->capture_default_str();
  node->add_option("--base", node_args.base,
                   "serve this base model (Hugging Face layout) and its registered adapters "
                   "through the OpenAI API");
  node->add_option("--cors-origin", node_args.cors_origins,
                   "a web origin (https://app.example) allowed to call the API from a browser; "
                   "repeat for more, * for any (default: only the node's own web app)")
      ->type_name("ORIGIN");
  node->add_option("--operator-token-file", node_args.operator_token_file,
                   "file holding the Bearer token of the operator routes (--dev writes "
                   "DATA/operator.token)");
  node->add_option("--web", node_args.web,
                   "directory of the built web app to serve at / (default: the one `make` "
                   "builds, when there is one; '' for none)")
      ->type_name("DIR");
  node->add_option("--max-active-adapters", node_args.serve.max_active_adapters,
                   "distinct adapters in one batch step")
      ->capture_default_str();
  node->add_option("--adapter-cache-mb", node_args.serve.adapter_cache_mb,
                   "host memory for loaded adapters, in MiB")
      ->capture_default_str();
  node->add_option("--adapter-dtype", node_args.serve.adapter_dtype,
                   "how cached adapters are stored: base (the base's dtype), f32, or bf16 (half "
                   "the memory of float32, weights rounded)")
      ->capture_default_str();
  node->add_option("--kv-budget-tokens", node_args.serve.kv_budget_tokens,
                   "KV-cache tokens reserved by running requests (admission control)")
      ->capture_default_str();
  node->add_option("--max-queued", node_args.serve.max_queued,
                   "requests waiting for admission; more get 429")
      ->capture_default_str();
  node->add_option("--max-step-tokens", node_args.serve.max_step_tokens,
                   "tokens per batched step (decodes + prompt chunks)")
      ->capture_default_str();
  node->add_option("--max-running", node_args.serve.max_running, "requests in the running batch")
      ->capture_default_str();
  node->add_option("--max-overtakes", node_args.serve.max_overtakes,
                   "times a waiting request may be passed by later ones whose adapter the batch "
                   "already runs (0: first come, first served)")
      ->capture_default_str();
  node->add_option("--prefill-chunk", node_args.serve.prefill_chunk,
                   "most prompt tokens a request prefills per step")
      ->capture_default_str();
  node->add_option("--serve-threads", node_args.serve.threads,
                   "the serving worker's torch threads (0 = libtorch's default)")
      ->capture_default_str();
  // Posting block commitments to an EVM chain (docs/settlement.md).
  node->add_option("--settle-rpc", node_args.settle.rpc,
                   "EVM JSON-RPC URL to post block commitments to (with the --settle-* below)")
      ->type_name("URL");
  node->add_option("--settle-key", node_args.settle.key,
                   "file holding the sequencer's EVM private key: one line of 64 hex digits, "
                   "mode 600")
      ->type_name("FILE");
  node->add_option("--settle-every", node_args.settle.every,
                   "post a commitment every N blocks (the contract's interval)")
      ->type_name("N");
  node->add_option("--settle-commitments", node_args.settle.commitments,
                   "address of the TributaryCommitments contract")
      ->type_name("ADDRESS");
  node->add_option("--settle-chain-id", node_args.settle.chain_id,
                   "refuse to settle unless the EVM node's chain id is this")
      ->type_name("ID");
  node->add_option("--settle-bridge", node_args.settle.bridge,
                   "address of the OpenBridge contract: credit its deposits, release withdrawals")
      ->type_name("ADDRESS");
  node->add_option("--settle-confirmations", node_args.settle.confirmations,
                   "EVM confirmations a deposit needs before it is credited")
      ->type_name("N")
      ->capture_default_str();
  node->add_option("--settle-bridge-from-block", node_args.settle.bridge_from_block,
                   "the first EVM block to look for deposits in (the bridge's deployment)")
      ->type_name("N");
  node->add_option("--settle-rewards", node_args.settle.rewards,
                   "address of the RewardDistributor: pay earnings of accounts with a payout "
                   "address there, by epoch (needs --settle-bridge)")
      ->type_name("ADDRESS");
  node->add_option("--settle-epoch-blocks", node_args.settle.epoch_blocks,
                   "close a reward epoch every N blocks")
      ->type_name("N")
      ->capture_default_str();

  ChatArgs chat_args;
  auto* chat = app.add_subcommand("chat", "chat with a model through the node's OpenAI API");
  chat->add_option("--model", chat_args.model, "model id or name (base, tributary-model-1, ...)")
      ->required();
  chat->add_option("--prompt", chat_args.prompt, "ask one question and exit");
  chat->add_option("--system", chat_args.system, "system prompt");
  chat->add_option("--max-tokens", chat_args.max_tokens, "0 = the server's default")
      ->capture_default_str();
  chat->add_option("--temperature", chat_args.temperature, "0 = greedy")->capture_default_str();
  chat->add_option("--seed", chat_args.seed, "sampling seed");
  chat->add_option("--stop", chat_args.stop, "stop string (repeatable)");
  ChatArgs complete_args;
  complete_args.temperature = 0;
  auto* complete = app.add_subcommand("complete", "continue a text through the OpenAI API");
  complete->add_option("--model", complete_args.model, "model id or name")->required();
  complete->add_option("--prompt", complete_args.prompt, "text to continue")->required();
  complete->add_option("--max-tokens", complete_args.max_tokens, "0 = the server's default (16)")
      ->capture_default_str();
  complete->add_option("--temperature", complete_args.temperature, "0 = greedy")
      ->capture_default_str();
  complete->add_option("--seed", complete_args.seed, "sampling seed");
  complete->add_option("--stop", complete_args.stop, "stop string (repeatable)");

  KeyCommands keys;
  keys.Add(app);

  auto* tx = app.add_subcommand("tx", "send or fetch transactions");
  tx->require_subcommand(1);
  TxArgs tx_args;
  auto add_send = [&](const char* name, const char* help, bool with_to) {
    auto* s = tx->add_subcommand(name, help);
    s->add_option("--from", tx_args.from, "signing key name")->required();
    if (with_to)
      s->add_option("--to", tx_args.to, "recipient address or local key name")->required();
    s->add_option("--amount", tx_args.amount, "amount in tokens, e.g. 12.5")->required();
    s->add_option("--max-fee", tx_args.max_fee, "fee cap in tokens (default: the exact fee)");
    s->add_flag("--wait", tx_args.wait, "wait until the tx is committed");
    return s;
  };
  auto* transfer = add_send("transfer", "transfer tokens", true);
  auto* stake = add_send("stake", "lock tokens as stake", false);
  auto* unstake = add_send("unstake", "unlock stake (returned after the unbonding period)", false);
  std::string tx_hash, tx_out;
  auto* tx_get = tx->add_subcommand("get", "fetch a tx with its receipt and proof");
  tx_get->add_option("hash", tx_hash, "tx hash")->required();
  tx_get->add_option("--out", tx_out, "write the JSON (a proof for verify-proof) to a file");

  std::string who;
  bool prove = false;
  auto* account = app.add_subcommand("account", "show an account");
  account->add_option("address", who, "address or local key name")->required();
  account->add_flag("--prove", prove, "include a state proof");

  std::string which;
  auto* block = app.add_subcommand("block", "show a block");
  block->add_option("height", which, "height or 'latest'")->required();

  std::string proof_file, sequencer;
  auto* verify_proof = app.add_subcommand("verify-proof", "check a proof offline");
  verify_proof
      ->add_option("file", proof_file,
                   "JSON from GET /v1/tx/{hash}, /v1/accounts/{addr}?prove=1, /v1/receipts/{id} "
                   "or a row proof (or the proof object alone)")
      ->required();
  verify_proof->footer(
      "Checks the block header's signature and every Merkle step to the proven bytes, then that\n"
      "each readable field in the file (a tx's payload, fee and receipt, a balance, a receipt's\n"
      "split, a row's index) is what those bytes say. A field that disagrees, or a member the\n"
      "proof cannot vouch for (e.g. next_nonce), is refused naming it (misleading_proof). A\n"
      "field may be left out; the output lists the ones checked.");
  verify_proof->add_option("--sequencer", sequencer,
                           "require blocks signed by this hex public key");

  auto* ledger = app.add_subcommand("ledger", "ledger maintenance");
  ledger->require_subcommand(1);
  std::string verify_data = "./var";
  auto* ledger_verify =
      ledger->add_subcommand("verify", "replay every block from genesis and check it");
  ledger_verify->add_option("--data", verify_data, "data directory")->capture_default_str();

  DatanetArgs dn;
  auto* datanet =
      app.add_subcommand("datanet", "create, contribute to, review and publish Datanets");
  datanet->require_subcommand(1);
  auto add_from = [&](CLI::App* sub) {
    sub->add_option("--from", dn.from, "signing key name")->capture_default_str();
  };
  auto* dn_create = datanet->add_subcommand("create", "create a Datanet (you own it)");
  add_from(dn_create);
  dn_create->add_option("--name", dn.name, "name")->required();
  dn_create->add_option("--summary", dn.summary, "one-line summary")->required();
  dn_create->add_option("--description", dn.description_file, "Markdown file");
  dn_create->add_option("--tags", dn.tags, "comma-separated tags (a-z, 0-9, -)");
  dn_create->add_option("--license", dn.license, "SPDX license id, e.g. CC-BY-4.0")->required();
  dn_create->add_option("--policy", dn.policy, "open | approval")->capture_default_str();
  dn_create->add_option("--schema", dn.schema, "text | prompt,response | FIELD,...")
      ->capture_default_str();
  dn_create->add_flag("--row-per-file", dn.per_file,
                      ".txt/.md: one row per file, not per paragraph");
  dn_create->add_option(
      "--stake", dn.stake,
      "tokens locked per contribution, approval policy (default: datanet.default_stake)");
  dn_create->add_option(
      "--slash-percent", dn.slash_percent,
      "share of the stake a spam rejection slashes (default: datanet.default_slash_bps)");
  dn_create
      ->add_option("--near-duplicate", dn.near_duplicate, "near-duplicate similarity threshold")
      ->capture_default_str();
  dn_create->add_option("--bytes-per-day", dn.bytes_per_day,
                        "quota per contributor per day (default: datanet.default_bytes_per_day)");
  dn_create->add_option("--files-per-day", dn.files_per_day,
                        "quota per contributor per day (default: datanet.default_files_per_day)");
  dn_create->add_option("--bytes-per-file", dn.bytes_per_file,
                        "largest file (default: datanet.default_bytes_per_file)");
  auto* dn_update = datanet->add_subcommand("update", "change summary, description or tags");
  add_from(dn_update);
  dn_update->add_option("id", dn.id, "Datanet id")->required();
  auto* up_summary = dn_update->add_option("--summary", dn.summary, "one-line summary");
  auto* up_desc = dn_update->add_option("--description", dn.description_file, "Markdown file");
  auto* up_tags = dn_update->add_option("--tags", dn.tags, "comma-separated tags");
  auto* dn_list = datanet->add_subcommand("list", "list Datanets");
  auto* dn_show =
      datanet->add_subcommand("show", "show a Datanet, its versions and top contributors");
  dn_show->add_option("id", dn.id, "Datanet id")->required();
  auto* dn_contribute = datanet->add_subcommand("contribute", "upload files as a contribution");
  add_from(dn_contribute);
  dn_contribute->add_option("--datanet", dn.id, "Datanet id")->required();
  dn_contribute->add_option("files", dn.files, "files (.txt .md .jsonl .csv)")->required();
  auto* dn_review = datanet->add_subcommand("review", "approve or reject a pending contribution");
  add_from(dn_review);
  dn_review->add_option("contribution", dn.id, "contribution id")->required();
  dn_review->add_flag("--approve", dn.approve, "accept it");
  dn_review->add_option("--reject", dn.reject, "reject it, with this reason");
  dn_review->add_flag("--spam", dn.spam, "the rejection is for spam: slash the stake");
  auto* dn_publish = datanet->add_subcommand("publish", "publish the next version");
  add_from(dn_publish);
  dn_publish->add_option("id", dn.id, "Datanet id")->required();
  auto* dn_export = datanet->add_subcommand("export", "write a version's rows with provenance");
  dn_export->add_option("version", dn.id, "ID@VERSION")->required();
  dn_export->add_option("--out", dn.out, "JSONL file")->required();
  auto* dn_board = datanet->add_subcommand("leaderboard", "contributors by accepted rows");
  dn_board->add_option("id", dn.id, "Datanet id")->required();
  dn_board->add_option("--limit", dn.limit, "how many")->capture_default_str();

  // Only register/list/show are parsed here; IsModelCommand sends the other model commands
  // (init, init-adapter, ...) to tributary-model before this parser runs.
  ModelRegistryArgs mr;
  auto* model = app.add_subcommand("model", "register models on the ledger, list and show them");
  model->require_subcommand(1);
  model->footer(
      "model init, model init-adapter and generate run in tributary-model: see `tributary model "
      "init --help`.");
  auto* model_register =
      model->add_subcommand("register", "register a trained adapter with its lineage and price");
  model_register->add_option("--from", mr.from, "signing key name (the owner)")
      ->capture_default_str();
  model_register->add_option("--name", mr.name, "model name (1-64 characters)")->required();
  model_register->add_option("--base", mr.base, "base model directory (config.json, *.safetensors)")
      ->required();
  model_register
      ->add_option("--adapter", mr.adapter,
                   "adapter directory written by training (PEFT files and training.json)")
      ->required();
  model_register->add_option("--price", mr.price, "OPEN per 1,000 tokens, e.g. 0.002")->required();
  model_register
      ->add_option("--contributors-share", mr.contributors_share,
                   "percent of each fee (after the protocol's 5%) for the data's contributors, "
                   "50-100")
      ->capture_default_str();
  auto* model_list = model->add_subcommand("list", "list registered models");
  auto* model_show = model->add_subcommand("show", "show a model with its lineage");
  model_show->add_option("id", mr.id, "model id (or tributary-model-ID)")->required();

  ApiKeyArgs ak;
  auto* apikey = app.add_subcommand("apikey", "API keys that pay for answers");
  apikey->require_subcommand(1);
  auto* apikey_create = apikey->add_subcommand("create", "create a key bound to your account");
  apikey_create->add_option("--from", ak.from, "the paying account's key name")->required();
  apikey_create->add_option("--label", ak.label, "a name for the key (up to 64 characters)");
  apikey_create->add_option("--models", ak.models,
                            "model ids it may call, comma-separated (default: any)");
  apikey_create->add_option("--daily-limit", ak.daily_limit, "OPEN it may spend per UTC day");
  apikey_create->add_option("--total-limit", ak.total_limit, "OPEN it may spend in all");
  apikey_create->add_option("--expires-days", ak.expires_days, "days until it expires (0: never)");
  apikey_create->add_option("--save", ak.save, "also write the secret to this file (mode 0600)");
  auto* apikey_list = apikey->add_subcommand("list", "list an account's keys and their spending");
  apikey_list->add_option("owner", ak.owner, "address or key name (default: --from)");
  apikey_list->add_option("--from", ak.from, "key name");
  auto* apikey_revoke = apikey->add_subcommand("revoke", "end a key");
  apikey_revoke->add_option("--from", ak.from, "the key owner's key name")->required();
  apikey_revoke->add_option("key", ak.key, "the key's hash (or the secret)")->required();
  std::string earnings_who;
  auto* earnings = app.add_subcommand("earnings", "what an account earned from paid answers");
  earnings->add_option("account", earnings_who, "address or key name")->required();
  std::string receipt_id, receipt_out;
  auto* receipt = app.add_subcommand("receipt", "a paid answer's settled receipt");
  receipt->add_option("id", receipt_id, "the answer's request id (x-tributary-request-id)")
      ->required();
  receipt->add_option("--out", receipt_out, "write it with its proof (for verify-proof)");

  GovernanceCommands governance;
  governance.Add(app);
  AgentCommands agents;
  agents.Add(app);
  BridgeCommands bridge;
  bridge.Add(app);
  RewardCommands rewards;
  rewards.Add(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*node) return RunNode(common, node_args);
    if (*chat) return RunChat(common, chat_args);
    if (*complete) return RunComplete(common, complete_args);
    if (auto rc = keys.Run(common)) return *rc;
    if (*transfer) return SendTx(common, tx_args, "transfer");
    if (*stake) return SendTx(common, tx_args, "stake");
    if (*unstake) return SendTx(common, tx_args, "unstake");
    if (*tx_get) return GetTx(common, tx_hash, tx_out);
    if (*account) return ShowAccount(common, who, prove);
    if (*block) return ShowBlock(common, which);
    if (*verify_proof) return VerifyProof(common, proof_file, sequencer);
    if (*ledger_verify) return LedgerVerify(common, verify_data);
    dn.summary_set = up_summary->count() > 0;
    dn.description_set = up_desc->count() > 0;
    dn.tags_set = up_tags->count() > 0;
    if (*dn_create) return RunDatanetCreate(common, dn);
    if (*dn_update) return RunDatanetUpdate(common, dn);
    if (*dn_list) return RunDatanetList(common);
    if (*dn_show) return RunDatanetShow(common, dn);
    if (*dn_contribute) return RunDatanetContribute(common, dn);
    if (*dn_review) return RunDatanetReview(common, dn);
    if (*dn_publish) return RunDatanetPublish(common, dn);
    if (*dn_export) return RunDatanetExport(common, dn);
    if (*dn_board) return RunDatanetLeaderboard(common, dn);
    if (*model_register) return RunModelRegister(common, mr);
    if (*model_list) return RunModelList(common);
    if (*model_show) return RunModelShow(common, mr);
    if (*apikey_create) return RunApiKeyCreate(common, ak);
    if (*apikey_list) {
      if (ak.owner.empty() && ak.from.empty()) {
        return Fail(tributary::Status::InvalidArgument("name the account: apikey list ADDR|NAME",
                                                       "missing_owner"));
      }
      return RunApiKeyList(common, ak);
    }
    if (*apikey_revoke) return RunApiKeyRevoke(common, ak);
    if (*earnings) return RunEarnings(common, earnings_who);
    if (*receipt) return RunReceipt(common, receipt_id, receipt_out);
    if (auto rc = governance.Run(common)) return *rc;
    if (auto rc = agents.Run(common)) return *rc;
    if (auto rc = bridge.Run(common)) return *rc;
    if (auto rc = rewards.Run(common)) return *rc;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
