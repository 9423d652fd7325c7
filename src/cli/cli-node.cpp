// `tributary node`: runs the chain and its HTTP API until SIGINT/SIGTERM.
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli/commands.h"
#include "cli/key-commands.h"
#include "tributary/api/node_server.h"
#include "tributary/base/keystore.h"
#include "tributary/datanet/service.h"
#include "tributary/economy/bridge.h"
#include "tributary/economy/governance.h"
#include "tributary/settlement/commitment_poster.h"

namespace tributary::cli {
namespace {

Result<Genesis> ReadGenesisFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read genesis file " + path, "bad_genesis");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(path + " is not valid JSON", "bad_genesis");
  return Genesis::FromJson(j);
}

//! The built web app to serve at /: --web DIR (it must hold index.html; '' serves none), else
//! the one the build makes (TRIBUTARY_WEB_DIR), else web/ beside this executable; "" when none
//! of them holds an index.html.
Result<std::string> WebRoot(const std::optional<std::string>& flag) {
  namespace fs = std::filesystem;
  auto has_app = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "index.html", ec);
  };
  if (flag) {
    if (flag->empty()) return std::string();
    if (!has_app(*flag)) {
      return Status::InvalidArgument(
          "--web " + *flag + " holds no index.html (the web app is built by `make` into build/web)",
          "bad_web_dir");
    }
    return fs::absolute(*flag).string();
  }
  std::vector<fs::path> candidates;
#ifdef TRIBUTARY_WEB_DIR
  candidates.push_back(TRIBUTARY_WEB_DIR);
#endif
  candidates.push_back(ExecutableDir() / "web");
  for (const auto& dir : candidates) {
    if (has_app(dir)) return dir.string();
  }
  return std::string();
}

}  // namespace

int RunNode(const Common& common, const NodeArgs& args) {
  namespace fs = std::filesystem;
  // Every client connection is a descriptor: take all the system allows (the soft limit is often
  // 1,024), so that a burst is refused with 429s rather than with failed accepts.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  auto listen = ParseListen(args.listen);
  if (!listen.ok()) return Fail(listen.status());
  if (args.block_interval_ms < 0) {
    return Fail(Status::InvalidArgument("--block-interval-ms must be >= 0", "bad_interval"));
  }
  auto web = WebRoot(args.web);
  if (!web.ok()) return Fail(web.status());
  fs::path data = args.data;
  std::error_code ec;
  fs::create_directories(data, ec);
  if (ec) return Fail(Status::IOError("cannot create " + data.string() + ": " + ec.message()));

  // The sequencer key lives in the data directory; --dev creates it.
  fs::path seq_path =
      args.sequencer_key.empty() ? data / "sequencer.key" : fs::path(args.sequencer_key);
  std::optional<KeyPair> sequencer;
  if (fs::exists(seq_path)) {
    auto k = Keystore::ReadKeyFile(seq_path, AskPassphrase);
    if (!k.ok()) return Fail(k.status());
    sequencer = k->key;
  } else if (args.dev) {
    KeyPair k = KeyPair::Generate();
    Status s = Keystore::WriteKeyFile(seq_path, "sequencer", k);
    if (!s.ok()) return Fail(s);
    sequencer = k;
  } else {
    return Fail(Status::FailedPrecondition(
        "no sequencer key at " + seq_path.string() + " (pass --sequencer-key FILE, or --dev)",
        "no_sequencer_key"));
  }

  Status cors = CheckCorsOrigins(args.cors_origins);
  if (!cors.ok()) return Fail(cors);
  std::optional<Genesis> genesis;
  std::string dev_key_note;
  if (!args.genesis.empty()) {
    auto g = ReadGenesisFile(args.genesis);
    if (!g.ok()) return Fail(g.status());
    genesis = *g;
  } else if (args.dev) {
    // Used only if the directory holds no chain yet.
    // The dev key holds only the development chain's tokens: stored unencrypted when new.
    Keystore ks = LocalKeystore();
    Address dev;
    if (auto info = ks.Info("dev"); info.ok()) {
      dev = info->address();
    } else if (info.status().code() == Code::kNotFound) {
      auto made = ks.Create("dev", KeyProtection::kPlaintext);
      if (!made.ok()) return Fail(made.status());
      dev = made->address();
    } else {
      return Fail(info.status());
    }
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    genesis = Genesis::Dev(dev, sequencer->public_key(), static_cast<uint64_t>(now));
    economy::SetDevGovernanceParams(&*genesis);
    economy::SetDevBridgeEscrow(&*genesis);
  }
  if (genesis) {
    Status params = economy::CheckGenesisParams(*genesis);
    if (!params.ok()) return Fail(params);
  }

  if (args.state_cache_mib < 0 || args.state_cache_mib > (1 << 20)) {
    return Fail(Status::InvalidArgument("--state-cache-mib must be between 0 and 1048576",
                                        "bad_state_cache"));
  }
  if (args.db_cache_mib < 1 || args.db_cache_mib > (1 << 20)) {
    return Fail(
        Status::InvalidArgument("--db-cache-mib must be between 1 and 1048576", "bad_db_cache"));
  }
  ChainOptions opts;
  opts.data_dir = data;
  opts.state_cache_bytes = static_cast<size_t>(args.state_cache_mib) << 20;
  opts.page_cache_bytes = static_cast<size_t>(args.db_cache_mib) << 20;
  opts.genesis = genesis;
  opts.genesis_only_if_new = args.dev && args.genesis.empty();
  opts.sequencer = sequencer;
  auto chain = Chain::Open(opts, NodeTxKinds());
  if (!chain.ok()) {
    std::cerr << "error: cannot start the node: " << chain.status().message() << " ("
              << chain.status().reason() << ")\n";
    return 1;
  }

  // Removes rows of uploads whose tx never committed, then serves the Datanet routes.
  auto datanets = datanet::DatanetService::Open(data, chain->get());
  if (!datanets.ok()) {
    std::cerr << "error: cannot open the Datanet row store: " << datanets.status().message() << " ("
              << datanets.status().reason() << ")\n";
    return 1;
  }

  // Posting block commitments to an EVM chain and relaying the bridge, when --settle-* asks
  // (docs/settlement.md).
  auto settled = StartSettlement(chain->get(), *sequencer, data, args.settle);
  if (!settled.ok()) return Fail(settled.status());

  if (!fs::exists(data / "genesis.json")) {
    std::ofstream(data / "genesis.json") << (*chain)->genesis().ToJson().dump(2) << "\n";
  }

  // Block the signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ServerOptions so;
  so.host = listen->first;
  so.port = listen->second;
  so.rate_limit_rps = args.rate_limit;
  so.rate_limit_burst = std::max(1.0, args.rate_limit * 2);
  if (args.max_answers < 0) {
    return Fail(Status::InvalidArgument("--max-answers must be >= 0", "bad_max_answers"));
  }
  if (args.max_answers > 0) so.max_answers = args.max_answers;
  // Checked here too, so that a typo stops the node rather than every start of its worker.
  const std::string& adapter_dtype = args.serve.adapter_dtype;
  if (adapter_dtype != "base" && adapter_dtype != "f32" && adapter_dtype != "bf16") {
    return Fail(Status::InvalidArgument(
        "--adapter-dtype must be base, f32 or bf16, got '" + adapter_dtype + "'", "bad_dtype"));
  }
  so.index_dir = (data / "index").string();
  so.models_dir = (data / "models").string();
  so.model_tool = ModelToolPath().string();
  if (!args.base.empty()) {
    std::error_code base_ec;
    if (!fs::is_regular_file(fs::path(args.base) / "config.json", base_ec)) {
      return Fail(Status::InvalidArgument(
          "--base " + args.base + " is not a model directory (no config.json)", "bad_base"));
    }
    so.serve_base = fs::absolute(args.base).string();
  }
  so.serve_args = args.serve.ToArgs();
  so.serve_log = (data / "serve.log").string();
  // The sequencer settles the answers it sells: it signs inference.settle with its own key.
  so.settle_key = sequencer;
  so.payments_dir = (data / "payments").string();
  so.web_root = *web;
  so.cors_origins = args.cors_origins;
  so.commitments = settled->poster.get();
  so.bridge = settled->bridge.get();
  so.rewards = settled->rewards.get();
  // The operator routes' token: from --operator-token-file, or made once by --dev.
  fs::path token_path = args.operator_token_file.empty() ? data / "operator.token"
                                                         : fs::path(args.operator_token_file);
  if (!args.operator_token_file.empty() || args.dev) {
    if (!fs::exists(token_path) && args.dev && args.operator_token_file.empty()) {
      unsigned char secret[32];
      randombytes_buf(secret, sizeof secret);
      std::ofstream(token_path) << ToHex(ByteView(secret, sizeof secret)) << "\n";
      fs::permissions(token_path, fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::replace, ec);
    }
    std::ifstream in(token_path);
    std::getline(in, so.operator_token);
    if (so.operator_token.empty()) {
      return Fail(Status::InvalidArgument(
          "--operator-token-file " + token_path.string() + " is missing or empty", "bad_token"));
    }
  }
  NodeServer server(chain->get(), so, datanets->get());
  (*chain)->StartProducer(std::chrono::milliseconds(args.block_interval_ms));
  // Seeded before the API opens, so the first answer already shows the demo.
  if (args.demo) {
    Status seeded = SeedDemo(chain->get(), datanets->get(), common.json ? std::cerr : std::cout);
    if (!seeded.ok()) std::cerr << "warning: demo seeding stopped: " << seeded.ToString() << "\n";
  }
  Status s = server.Start();
  if (!s.ok()) {
    (*chain)->StopProducer();
    return Fail(s);
  }

  const Genesis& g = (*chain)->genesis();
  std::string url = "http://" + so.host + ":" + std::to_string(server.port());
  if (common.json) {
    nlohmann::json started = {{"listening", url},
                              {"chain_id", g.chain_id},
                              {"height", (*chain)->height()},
                              {"data", data.string()}};
    if (!so.web_root.empty()) started["web"] = url + "/";
    std::cout << started.dump() << std::endl;
  } else {
    std::cout << "tributary node: chain " << g.chain_id << " at height " << (*chain)->height()
              << ", data in " << data.string() << ", listening on " << url << "\n";
    if (!so.web_root.empty()) {
      std::cout << "web app: " << url << "/\n";
    } else {
      std::cout << "web app: none (build it with `make`, or pass --web DIR)\n";
    }
    if (args.dev) {
      std::cout << "\nTry it (in another terminal):\n"
                << "  build/tributary keys new --name alice\n"
                << "  build/tributary tx transfer --from dev --to alice --amount 12.5 --wait\n"
                << "  build/tributary account alice\n"
                << "  build/tributary datanet list\n"
                << "  build/tributary datanet show 1\n"
                << "  build/tributary datanet export 1@1 --out computing-v1.jsonl\n"
                << "  build/tributary tx get <hash> --out proof.json\n"
                << "  build/tributary verify-proof proof.json\n"
                << "  curl -s " << url << "/metrics\n"
                << (so.serve_base.empty() && !args.demo_models
                        ? ""
                        : "  build/tributary chat --model base --prompt \"Hello!\"\n"
                          "  curl -s " +
                              url +
                              "/v1/chat/completions -H 'Content-Type: "
                              "application/json' -d '{\"model\":\"base\",\"messages\":[{\"role\":"
                              "\"user\",\"content\":\"Hello!\"}]}'\n")
                << "Stop with Ctrl-C.\n";
    }
    std::cout << std::flush;
  }

  // The demo's models train in child processes while the node serves.
  std::unique_ptr<DemoModels> demo_models;
  if (args.demo_models) {
    auto d1 = (*datanets)->GetDatanet(1);
    auto d2 = (*datanets)->GetDatanet(2);
    if (d1.ok() && d2.ok() && d1->versions > 0 && d2->versions > 0) {
      // Once the demo's base is ready, the node serves it (unless --base named another).
      auto serve_base = [&server, has_base = !args.base.empty()](const fs::path& base) {
        if (!has_base) server.StartServing(fs::absolute(base).string());
      };
      demo_models =
          std::make_unique<DemoModels>(url, data, common.json || !::isatty(2), serve_base);
      demo_models->Start();
    } else {
      std::cerr << "warning: --demo-models needs the demo Datanets 1 and 2 with a version "
                   "(start a new data directory with --demo)\n";
    }
  }

  int sig = 0;
  sigwait(&signals, &sig);
  if (demo_models) demo_models->Stop();
  if (!common.json) std::cout << "\nstopping (signal " << sig << ")\n" << std::flush;
  server.Stop();
  (*chain)->StopProducer();
  return 0;
}

}  // namespace tributary::cli
