// lineage_bench: what showing a model's lineage costs the chain lock as a Datanet grows. A real
// chain on SQLite gets N accepted contributions from 200 contributors and a published version;
// then, in one process, the contributors of that version are read the old way (every accepted
// contribution under one hold of the chain lock, as GET /v1/models/{id} did), through a
// ContributorTally (first request, a repeat, and the next version after 1% more contributions),
// with the state cache on and off. The column that matters to block production is the longest
// single hold of the chain lock.
//
// Usage: lineage_bench [--contributions N] [--slice N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tributary/api/node_server.h"
#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/datanet/kinds.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/contributor-tally.h"
#include "tributary/economy/models.h"
#include "tributary/ledger/chain.h"

using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

KeyPair Key(size_t i) {
  std::array<uint8_t, 32> seed{};
  std::memcpy(seed.data(), &i, sizeof(i));
  seed[31] = 11;
  return KeyPair::FromSeed(seed);
}

struct Row {
  std::string what;
  double seconds = 0;
  double longest_hold = 0;
  uint64_t read = 0;
};

void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 100000, slice = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--contributions") {
      n = std::stoull(argv[i + 1]);
    } else if (a == "--slice") {
      slice = std::stoull(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const size_t contributors = 200;
  std::vector<KeyPair> keys;
  Genesis genesis;
  genesis.chain_id = "lineage-bench";
  KeyPair sequencer = Key(100000);
  genesis.sequencer = sequencer.public_key();
  const Amount each = Pow10(18) * 1'000'000;
  for (size_t i = 0; i <= contributors; ++i) {  // key 0 owns the Datanet
    keys.push_back(Key(i));
    genesis.accounts.push_back({Address::FromPublicKey(keys.back().public_key()), each});
  }
  genesis.supply = each * (contributors + 1);
  auto dir = std::filesystem::temp_directory_path() /
             ("tributary-lineage-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::vector<uint64_t> nonce(keys.size(), 0);
  auto tx = [&](size_t from, std::string_view kind, Bytes payload) {
    Transaction t;
    t.chain_id = genesis.chain_id;
    t.nonce = nonce[from]++;
    t.kind = std::string(kind);
    t.payload = std::move(payload);
    t.max_fee = Pow10(18);
    t.SignWith(keys[from]);
    return t;
  };

  std::vector<Row> rows;
  for (size_t cache : {ChainOptions().state_cache_bytes, size_t{0}}) {
    std::fill(nonce.begin(), nonce.end(), 0);
    ChainOptions opts;
    opts.data_dir = dir / (cache ? "cached" : "uncached");
    opts.genesis = genesis;
    opts.sequencer = sequencer;
    opts.mempool_limit = 20000;
    opts.state_cache_bytes = cache;
    auto chain = Chain::Open(opts, NodeTxKinds());
    if (!chain.ok()) Die("open", chain.status());
    auto submit = [&](std::vector<Transaction> txs) {
      for (size_t i = 0; i < txs.size(); i += 5000) {
        std::span<const Transaction> part(txs.data() + i, std::min<size_t>(5000, txs.size() - i));
        for (auto& r : (*chain)->SubmitBatch(part)) {
          if (!r.ok()) Die("submit", r.status());
        }
        if (auto b = (*chain)->ProduceBlock(); !b.ok()) Die("block", b.status());
      }
    };
    datanet::DatanetSpec spec;
    spec.name = "bench";
    spec.summary = "lineage bench";
    spec.license = "CC-BY-4.0";
    spec.policy = datanet::Policy::kOpen;
    spec.quotas.files_per_day = 1u << 30;  // each contributor sends hundreds in one "day"
    spec.quotas.bytes_per_day = 1ull << 40;
    submit({tx(0, datanet::kCreateKind, datanet::CreatePayload{spec}.Encode())});
    uint64_t salt = 0;
    auto contribute = [&](uint64_t count) {
      std::vector<Transaction> txs;
      for (uint64_t i = 0; i < count; ++i, ++salt) {
        datanet::SubmitPayload p;
        p.datanet = 1;
        p.content_root = Sha256(Writer().U64(salt).bytes());
        p.rows = 1 + salt % 7;
        p.bytes = p.rows * 50;
        p.files = {{"part.txt", "txt", p.rows * 60}};
        p.report_hash = Sha256(Writer().U64(salt).Str("report").bytes());
        txs.push_back(tx(1 + salt % contributors, datanet::kSubmitKind, p.Encode()));
      }
      submit(std::move(txs));
      submit({tx(0, datanet::kPublishKind, datanet::PublishPayload{1}.Encode())});
    };
    auto version = [&](uint64_t number) {
      std::optional<datanet::Version> v;
      Status s = (*chain)->ReadState(
          [&](const StateReader& st, const StateReader&, const BlockHeader&) -> Status {
            TRIB_ASSIGN_OR_RETURN(v, datanet::LoadVersion(st, 1, number));
            return Status::OK();
          });
      if (!s.ok() || !v) Die("version", s.ok() ? Status::NotFound("no version") : s);
      return *v;
    };
    contribute(n);
    const datanet::Version v1 = version(1);
    const char* tag = cache ? "" : ", no state cache";

    // The old way: every accepted contribution under one hold of the lock.
    auto t0 = Clock::now();
    Status s = (*chain)->ReadState(
        [&](const StateReader& st, const StateReader&, const BlockHeader&) -> Status {
          return economy::LoadVersionContributors(st, v1).status();
        });
    if (!s.ok()) Die("read", s);
    const double whole = Seconds(t0, Clock::now());
    rows.push_back({std::string("all under one lock") + tag, whole, whole, v1.contributions});

    double longest = 0;
    economy::ContributorTally tally(
        [&](const std::function<Status(const StateReader&)>& fn) {
          return (*chain)->ReadState(
              [&](const StateReader& st, const StateReader&, const BlockHeader&) {
                auto h0 = Clock::now();
                Status r = fn(st);
                longest = std::max(longest, Seconds(h0, Clock::now()));
                return r;
              });
        },
        slice);
    auto timed = [&](const std::string& what, const datanet::Version& v) {
      longest = 0;
      const uint64_t before = tally.contributions_read();
      auto t = Clock::now();
      auto c = tally.Contributors(v);
      if (!c.ok()) Die(what, c.status());
      rows.push_back(
          {what + tag, Seconds(t, Clock::now()), longest, tally.contributions_read() - before});
    };
    timed("tally, first request", v1);
    timed("tally, again", v1);
    contribute(std::max<uint64_t>(n / 100, 1));
    timed("tally, next version (+1%)", version(2));
  }
  std::filesystem::remove_all(dir);

  std::printf("%llu accepted contributions from %zu contributors; slices of %llu\n\n",
              static_cast<unsigned long long>(n), contributors,
              static_cast<unsigned long long>(slice));
  std::printf("| %-44s | %10s | %17s | %10s |\n", "contributors of a version", "time (ms)",
              "longest lock (ms)", "read");
  std::printf("|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(12, '-').c_str(),
              std::string(19, '-').c_str(), std::string(12, '-').c_str());
  for (const Row& r : rows) {
    std::printf("| %-44s | %10.3f | %17.3f | %10llu |\n", r.what.c_str(), r.seconds * 1e3,
                r.longest_hold * 1e3, static_cast<unsigned long long>(r.read));
  }
  return 0;
}
