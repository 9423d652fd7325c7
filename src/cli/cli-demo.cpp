// The demo `make run` seeds on a fresh development chain: contributor keys, two Datanets built
// from Debian's fortunes, accepted contributions, near duplicates caught, one contribution
// rejected by its owner, and published versions, so a newcomer sees a living Datanet.
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
