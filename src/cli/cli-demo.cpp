// The demo `make run` seeds on a fresh development chain: contributor keys, two Datanets built
// from Debian's fortunes, accepted contributions, near duplicates caught, one contribution
// rejected by its owner, and published versions, so a newcomer sees a living Datanet.
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
#include <sstream>

#include "cli/commands.h"
#include "tributary/datanet/service.h"
#include "tributary/ledger/account.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using datanet::DatanetService;

const fs::path kFortunes = "/usr/share/games/fortunes";

// Fortunes of one file as .txt paragraphs (blank lines inside a fortune are dropped so each
// fortune is one row).
std::vector<std::string> FortuneParagraphs(const std::string& name) {
  std::ifstream in(kFortunes / name);
  std::vector<std::string> out;
  std::string line, cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  while (std::getline(in, line)) {
    if (line == "%") {
      flush();
    } else if (line.find_first_not_of(" \t\r") != std::string::npos) {
      cur += line + "\n";
    }
  }
  flush();
  return out;
}

std::string Join(const std::vector<std::string>& rows, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && i < rows.size(); ++i) out += rows[i] + "\n";
  return out;
}

// Case and spacing changed: the same words, so a near duplicate, not an exact one.
std::string Retyped(const std::string& row) {
  std::string out;
  bool start = true;
  for (char c : row) {
    if (c == ' ') {
      out += "  ";
    } else if (start && c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
    start = c == '\n';
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

Result<StoredKey> DemoKey(Keystore& ks, const std::string& name) {
  auto k = ks.Load(name);
  if (!k.ok() && k.status().code() == Code::kNotFound) k = ks.Create(name);
  return k;
}

}  // namespace

Status SeedDemo(Chain* chain, DatanetService* datanets, std::ostream& log) {
  auto existing = datanets->ListDatanets(1, 1);
  if (!existing.ok()) return existing.status();
  if (!existing->empty()) return Status::OK();  // seeded on an earlier start (or real use)
  auto computers = FortuneParagraphs("computers");
  auto science = FortuneParagraphs("science");
  if (computers.size() < 400 || science.size() < 100) {
    log << "demo: Debian's fortunes are not installed (scripts/setup installs them); no demo "
           "Datanets\n";
    return Status::OK();
  }
  Keystore ks(Keystore::DefaultHome());
  TRIB_ASSIGN_OR_RETURN(StoredKey dev, ks.Load("dev"));
  std::vector<StoredKey> people;
  for (const char* name : {"demo-owner", "demo-alice", "demo-bob", "demo-carol"}) {
    TRIB_ASSIGN_OR_RETURN(StoredKey k, DemoKey(ks, name));
    people.push_back(k);
  }
  const KeyPair& owner = people[0].key;
  const KeyPair& alice = people[1].key;
  const KeyPair& bob = people[2].key;
  const KeyPair& carol = people[3].key;
  Seeder s(chain, datanets);

  // Block 1: fund everyone, create the two Datanets.
  Hash32 last{};
  for (const auto& p : people) {
    TRIB_ASSIGN_OR_RETURN(
        last, s.Send(dev.key, "transfer",
                     {{"to", p.address().ToString()}, {"amount", AmountToString(Pow10(21))}}));
  }
  TRIB_RETURN_IF_ERROR(s.Wait(last));
  TRIB_ASSIGN_OR_RETURN(
      last, s.Send(owner, datanet::kCreateKind,
                   {{"name", "Computing fortunes"},
                    {"summary", "Quips about computers and programmers from Debian's fortunes"},
                    {"description",
                     "# Computing fortunes\n\nOne fortune per row, from the `computers` file of "
                     "Debian's `fortunes` package. Contributions are reviewed; spam is slashed.\n"},
                    {"tags", {"humor", "computing"}},
                    {"license", "BSD-4-Clause-UC"},
                    {"policy", "approval"},
                    {"stake", AmountToString(Pow10(18))}}));
  TRIB_ASSIGN_OR_RETURN(last, s.Send(owner, datanet::kCreateKind,
                                     {{"name", "Science quips"},
                                      {"summary", "Science fortunes, open to everyone"},
                                      {"tags", {"science"}},
                                      {"license", "BSD-4-Clause-UC"},
                                      {"policy", "open"}}));
  TRIB_RETURN_IF_ERROR(s.Wait(last));

  // Block 2: contributions, reviews and versions.
  size_t near = 0;
  TRIB_ASSIGN_OR_RETURN(Hash32 a1,
                        s.Contribute(alice, 1, "computers-a.txt", Join(computers, 0, 200), &near));
  TRIB_ASSIGN_OR_RETURN(Hash32 b1,
                        s.Contribute(bob, 1, "computers-b.txt", Join(computers, 200, 350), &near));
  // Carol retypes 30 of Alice's fortunes and adds 10 new ones: the retyped rows are caught as
  // near duplicates naming Alice's rows, and the owner rejects what is left.
  std::string carol_text;
  for (size_t i = 0; i < 30; ++i) carol_text += Retyped(computers[i * 5]) + "\n";
  carol_text += Join(computers, 350, 360);
  TRIB_ASSIGN_OR_RETURN(Hash32 c1,
                        s.Contribute(carol, 1, "computers-retyped.txt", carol_text, &near));
  TRIB_RETURN_IF_ERROR(
      s.Send(owner, datanet::kReviewKind, {{"contribution", ToHex(a1)}, {"approve", true}})
          .status());
  TRIB_RETURN_IF_ERROR(
      s.Send(owner, datanet::kReviewKind, {{"contribution", ToHex(b1)}, {"approve", true}})
          .status());
  TRIB_RETURN_IF_ERROR(s.Send(owner, datanet::kReviewKind,
                              {{"contribution", ToHex(c1)},
                               {"approve", false},
                               {"reason", "mostly retyped copies of existing rows"},
                               {"spam", false}})
                           .status());
  TRIB_RETURN_IF_ERROR(s.Send(owner, datanet::kPublishKind, {{"datanet", 1}}).status());
  TRIB_RETURN_IF_ERROR(
      s.Contribute(alice, 2, "science-a.txt", Join(science, 0, 60), &near).status());
  TRIB_RETURN_IF_ERROR(
      s.Contribute(carol, 2, "science-c.txt", Join(science, 60, 100), &near).status());
  TRIB_ASSIGN_OR_RETURN(last, s.Send(owner, datanet::kPublishKind, {{"datanet", 2}}));
  TRIB_RETURN_IF_ERROR(s.Wait(last));
  log << "demo: seeded Datanets 1 and 2 from Debian's fortunes (keys demo-owner, demo-alice, "
         "demo-bob, demo-carol; "
      << near << " near-duplicate rows caught, one contribution rejected, version 1 of each "
      << "published)\n";
  return Status::OK();
}

}  // namespace tributary::cli

// ---- The demo's models: pretrain a base on the demo Datanets, fine-tune two adapters, register
// them. Runs in the background of the node, in child processes (the node does not load
// libtorch); each step is skipped when its output exists, so a restart resumes the demo.

namespace tributary::cli {
DemoModels::DemoModels(std::string url, fs::path data_dir, bool quiet)
    : url_(std::move(url)), dir_(std::move(data_dir) / "models"), quiet_(quiet) {}

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

void DemoModels::Run() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  const std::string model_bin = ModelToolPath().string();
  const std::string self_bin = (ModelToolPath().parent_path() / "tributary").string();
  const fs::path base = dir_ / "demo-base";
  auto say = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::cout << line << std::endl;
  };
  if (!fs::exists(base / "pretrain.json")) {
    say("demo: pretraining a small base model on the demo Datanets (first start only, two to "
        "four minutes on 2 cores; cached in " +
        base.string() + ", log in " + (dir_ / "demo.log").string() + ")");
    std::vector<std::string> args = {model_bin,     "--node",   url_,      "factory",
                                     "pretrain",    "--data",   "1@1,2@1", "--out",
                                     base.string(), "--epochs", "24"};
    if (fs::exists(base / "checkpoints")) args.push_back("--resume");
    int rc = RunChild(args);
    if (rc != 0) {
      if (!stop_) say("demo: pretraining failed (exit " + std::to_string(rc) + "); see the log");
      return;
    }
  }
  struct Adapter {
    const char* name;
    const char* data;
  };
  for (const Adapter& a : {Adapter{"demo-computing", "1@1"}, Adapter{"demo-science", "2@1"}}) {
    const fs::path out = dir_ / a.name;
    if (!fs::exists(out / "training.json")) {
      say(std::string("demo: fine-tuning adapter ") + a.name + " on Datanet version " + a.data);
      std::vector<std::string> args = {model_bin,    "--node",      url_,     "factory", "train",
                                       "--base",     base.string(), "--data", a.data,    "--out",
                                       out.string(), "--epochs",    "4",      "--lr",    "2e-3"};
      if (fs::exists(out / "checkpoints")) args.push_back("--resume");
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
  say("demo: models ready: build/tributary model list; build/tributary generate --model " +
      base.string() + " --adapter " + (dir_ / "demo-computing").string() + " --prompt \"A\"");

  // Proof of Attribution: index each model's Datanet version, then attribute two answers to the
  // opening words of a row it was trained on: the row's own continuation (quoted from the data)
  // and the model's greedy answer.
  const Common node{url_, true};
  const std::string index_dir = (dir_.parent_path() / "index").string();
  auto summary = [](const json& r) {
    std::ostringstream line;
    line << r["spans"].size() << " span(s) in its data ->";
    int shown = 0;
    for (const auto& wt : r["weights"]) {
      if (shown++ == 3) break;
      char pct[32];
      std::snprintf(pct, sizeof pct, " %.1f%%", 100 * wt["weight"].get<double>());
      line << pct << " contribution " << wt["contribution"].get<std::string>().substr(0, 10) << " ("
           << wt["contributor"].get<std::string>().substr(0, 14) << "),";
    }
    char un[48];
    std::snprintf(un, sizeof un, " %.1f%% unattributed", 100 * r["unattributed"].get<double>());
    line << un;
    return line.str();
  };
  auto oneline = [](std::string t) {
    std::replace(t.begin(), t.end(), '\n', ' ');
    std::replace(t.begin(), t.end(), '\t', ' ');
    return t;
  };
  for (const Adapter& a : {Adapter{"demo-computing", "1@1"}, Adapter{"demo-science", "2@1"}}) {
    std::ifstream in(dir_ / a.name / "training.json");
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
    const std::string datanet = std::string(a.data).substr(0, 1);
    auto rows = NodeGet(node, "/v1/datanets/" + datanet + "/versions/1/rows?offset=3&limit=1");
    if (!rows.ok() || (*rows)["rows"].empty()) return;
    // The prompt is the row's first five words; the quote, the next 60-odd characters verbatim.
    const std::string text = (*rows)["rows"][0]["row"].value("text", "");
    size_t end = 0;
    for (int word = 0; word < 5 && end < text.size(); ++word) {
      end = text.find_first_not_of(" \n\t", end);
      end = std::min(text.find_first_of(" \n\t", end), text.size());
    }
    const std::string prompt = text.substr(0, end);
    std::string quote = text.substr(end, 70);
    if (end + 70 < text.size()) quote = quote.substr(0, quote.find_last_of(" \n\t"));
    say("demo: model " + id + " (" + a.name + "), prompt \"" + oneline(prompt) + "\":");
    for (bool generate : {false, true}) {
      std::vector<std::string> args = {model_bin, "--node",   url_,         "--json", "attribute",
                                       "--model", id,         "--prompt",   prompt,   "--index",
                                       index_dir, "--models", dir_.string()};
      if (generate) {
        args.insert(args.end(), {"--generate", "--max-tokens", "24"});
      } else {
        args.insert(args.end(), {"--output", quote});
      }
      std::string out;
      rc = RunChild(args, &out);
      json r = json::parse(out, nullptr, false);
      if (rc != 0 || !r.is_object() || !r.contains("weights")) {
        if (!stop_)
          say(std::string("demo: attributing ") + a.name + "'s answer failed; see the log");
        return;
      }
      say(std::string(generate ? "      its own answer  \"" : "      quoting its data \"") +
          oneline(r.value("output", "")) + "\"\n        " + summary(r));
    }
  }
  say("demo: attribute any answer: build/tributary attribute --model 1 --prompt \"...\" "
      "--generate   (or POST " +
      url_ + "/v1/attribution); see docs/attribution.md");
}

}  // namespace tributary::cli
