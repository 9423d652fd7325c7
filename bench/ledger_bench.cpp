// ledger_bench: signed transfers per second through (a) the chain (admission with signature
// check, execution, block build, one durable SQLite commit per block) on one thread, and (b)
// a node over HTTP on loopback; with Ed25519 verifications per second as the ceiling, measured
// in the same process so the ratios hold on a noisy machine.
//
// Usage: ledger_bench [--txs N] [--block-txs N] [--http-txs N] [--clients N] [--accounts N]
//        ledger_bench --smt-keys N   (the sparse Merkle tree alone: memory and rates)
#include <httplib.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include "tributary/api/node_server.h"
#include "tributary/ledger/chain.h"
#include "tributary/ledger/smt.h"

using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Setup {
  std::vector<KeyPair> senders;
  Genesis genesis;
  KeyPair sequencer = KeyPair::FromSeed({});
};

Setup MakeSetup(size_t accounts, uint32_t block_txs) {
  Setup s;
  for (size_t i = 0; i < accounts; ++i) {
    std::array<uint8_t, 32> seed{};
    std::memcpy(seed.data(), &i, sizeof(i));
    seed[31] = 1;
    s.senders.push_back(KeyPair::FromSeed(seed));
  }
  s.genesis.chain_id = "bench";
  s.genesis.sequencer = s.sequencer.public_key();
  s.genesis.params.max_block_txs = block_txs;
  Amount each = Pow10(18) * 1000000;
  for (auto& k : s.senders) {
    s.genesis.accounts.push_back({Address::FromPublicKey(k.public_key()), each});
    s.genesis.supply += each;
  }
  return s;
}

// Round-robin over senders so consecutive txs come from different accounts.
std::vector<Transaction> SignTransfers(const Setup& s, size_t n) {
  const TxKindRegistry& kinds = NodeTxKinds();
  std::vector<Transaction> txs;
  txs.reserve(n);
  std::vector<uint64_t> nonce(s.senders.size(), 0);
  std::mt19937_64 rng(7);
  for (size_t i = 0; i < n; ++i) {
    size_t from = i % s.senders.size();
    size_t to = rng() % s.senders.size();
    Transaction tx;
    tx.chain_id = s.genesis.chain_id;
    tx.sender = s.senders[from].public_key();
    tx.nonce = nonce[from]++;
    tx.kind = "transfer";
    tx.payload = *kinds.Find("transfer")
                      ->PayloadFromJson(
                          {{"to", Address::FromPublicKey(s.senders[to].public_key()).ToString()},
                           {"amount", "1000"}});
    tx.max_fee = *s.genesis.params.FeeFor(tx.Encode().size());
    tx.SignWith(s.senders[from]);
    txs.push_back(std::move(tx));
  }
  return txs;
}

struct Row {
  std::string what;
  double per_sec;
  std::string note;
};

// --smt-keys N: the state's sparse Merkle tree alone. Heap per key is mallinfo2's in-use bytes
// (small blocks and mmapped ones) before and after N inserts of random key hashes (what a node holds per state key); then the
// rates of inserts, of root computation after them, of updates of existing keys (in blocks of
// 10,000 with a root after each, as blocks apply them), and of proofs.
size_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

int SmtBench(size_t n) {
  std::mt19937_64 rng(42);
  auto random_hash = [&] {
    Hash32 h;
    for (size_t i = 0; i < h.size(); i += 8) {
      const uint64_t v = rng();
      std::memcpy(h.data() + i, &v, 8);
    }
    return h;
  };
  std::vector<Hash32> keys(n);
  for (auto& k : keys) k = random_hash();
  const Hash32 value = random_hash();
  const size_t heap0 = HeapInUse();
  auto t0 = Clock::now();
  SparseMerkleTree tree;
  for (const auto& k : keys) tree.Put(k, value);
  auto t1 = Clock::now();
  const Hash32 root = tree.Root();
  auto t2 = Clock::now();
  const size_t heap1 = HeapInUse();
  const size_t updates = std::min<size_t>(n, 200000);
  auto t3 = Clock::now();
  for (size_t i = 0; i < updates; ++i) {
    Hash32 v = value;
    std::memcpy(v.data(), &i, sizeof(i));
    tree.Put(keys[(i * 7919) % n], v);
    if ((i + 1) % 10000 == 0) (void)tree.Root();
  }
  (void)tree.Root();
  auto t4 = Clock::now();
  const size_t proofs = std::min<size_t>(n, 100000);
  size_t depth = 0;
  for (size_t i = 0; i < proofs; ++i) depth += tree.Prove(keys[(i * 104729) % n]).siblings.size();
  auto t5 = Clock::now();
  std::printf("%-36s %12s\n", "sparse Merkle tree", "");
  std::printf("%-36s %12zu\n", "keys", n);
  std::printf("%-36s %12.1f\n", "heap bytes per key", double(heap1 - heap0) / double(n));
  std::printf("%-36s %12.0f\n", "inserts/s", n / Seconds(t0, t1));
  std::printf("%-36s %12.3f\n", "first root (s)", Seconds(t1, t2));
  std::printf("%-36s %12.0f\n", "updates/s (root every 10,000)", updates / Seconds(t3, t4));
  std::printf("%-36s %12.0f\n", "proofs/s", proofs / Seconds(t4, t5));
  std::printf("%-36s %12.1f\n", "mean proof depth", double(depth) / double(proofs));
  std::printf("%-36s %12s\n", "root (first 8 bytes)", ToHex(root).substr(0, 16).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n_txs = 100000, http_txs = 20000, accounts = 2000;
  uint32_t block_txs = 10000;
  int clients = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--smt-keys") return SmtBench(std::stoul(argv[i + 1]));
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    long v = std::stol(argv[i + 1]);
    if (a == "--txs")
      n_txs = v;
    else if (a == "--http-txs")
      http_txs = v;
    else if (a == "--block-txs")
      block_txs = static_cast<uint32_t>(v);
    else if (a == "--clients")
      clients = static_cast<int>(v);
    else if (a == "--accounts")
      accounts = v;
  }
  std::vector<Row> rows;
  Setup setup = MakeSetup(accounts, block_txs);
  std::fprintf(stderr, "signing %zu + %zu transfers...\n", n_txs, http_txs);
  auto txs = SignTransfers(setup, n_txs);
  auto http_signed = SignTransfers(setup, http_txs);  // a fresh chain: nonces from 0 again

  // (c) the ceiling: Ed25519 verifications on one core.
  {
    size_t n = std::min<size_t>(n_txs, 30000);
    std::vector<Bytes> msgs;
    for (size_t i = 0; i < n; ++i) msgs.push_back(txs[i].SigningBytes());
    auto t0 = Clock::now();
    size_t ok = 0;
    for (size_t i = 0; i < n; ++i) ok += VerifySignature(txs[i].sender, msgs[i], txs[i].signature);
    double secs = Seconds(t0, Clock::now());
    rows.push_back({"ed25519 verify (1 core)", n / secs, std::to_string(ok) + " valid"});
  }

  // (a) chain + storage, one thread, one durable commit per block.
  auto dir =
      std::filesystem::temp_directory_path() / ("tributary-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  double chain_rate = 0;
  {
    ChainOptions opts;
    opts.data_dir = dir / "a";
    opts.genesis = setup.genesis;
    opts.sequencer = setup.sequencer;
    opts.mempool_limit = n_txs + 1;
    auto chain = Chain::Open(opts, NodeTxKinds());
    if (!chain.ok()) {
      std::fprintf(stderr, "open: %s\n", chain.status().ToString().c_str());
      return 1;
    }
    auto t0 = Clock::now();
    double submit_secs = 0, block_secs = 0;
    size_t blocks = 0;
    for (size_t i = 0; i < n_txs; ++i) {
      auto s0 = Clock::now();
      auto h = (*chain)->Submit(txs[i]);
      submit_secs += Seconds(s0, Clock::now());
      if (!h.ok()) {
        std::fprintf(stderr, "submit %zu: %s\n", i, h.status().ToString().c_str());
        return 1;
      }
      if ((i + 1) % block_txs == 0 || i + 1 == n_txs) {
        auto b0 = Clock::now();
        auto r = (*chain)->ProduceBlock();
        block_secs += Seconds(b0, Clock::now());
        if (!r.ok()) {
          std::fprintf(stderr, "block: %s\n", r.status().ToString().c_str());
          return 1;
        }
        blocks++;
      }
    }
    double secs = Seconds(t0, Clock::now());
    chain_rate = n_txs / secs;
    char note[160];
    std::snprintf(note, sizeof(note), "%zu blocks of %u; admission %.0f%%, block+commit %.0f%%",
                  blocks, block_txs, 100 * submit_secs / secs, 100 * block_secs / secs);
    rows.push_back({"(a) chain+SQLite, committed", chain_rate, note});
  }

  // (c) the same through SubmitBatch's two halves: signatures checked on every core (CheckTxs,
  // no lock), then admission and blocks (Admit + ProduceBlock): the state machine and storage.
  // Run twice: with the default state cache (every account fits) and with none, so that every
  // state read goes to SQLite (what a node whose state far exceeds its cache pays).
  auto run_batches = [&](const char* sub, size_t cache_bytes, double* apply_rate) -> bool {
    ChainOptions opts;
    opts.data_dir = dir / sub;
    opts.genesis = setup.genesis;
    opts.sequencer = setup.sequencer;
    opts.mempool_limit = n_txs + 1;
    opts.state_cache_bytes = cache_bytes;
    auto chain = Chain::Open(opts, NodeTxKinds());
    if (!chain.ok()) return false;
    const size_t batch = 1000;
    double check_secs = 0, apply_secs = 0;
    auto t0 = Clock::now();
    for (size_t i = 0; i < n_txs; i += batch) {
      const size_t n = std::min(batch, n_txs - i);
      auto c0 = Clock::now();
      auto checked = (*chain)->CheckTxs(std::span<const Transaction>(txs.data() + i, n));
      check_secs += Seconds(c0, Clock::now());
      std::vector<CheckedTx> ok;
      for (auto& c : checked) {
        if (!c.ok()) {
          std::fprintf(stderr, "check: %s\n", c.status().ToString().c_str());
          return false;
        }
        ok.push_back(std::move(*c));
      }
      auto a0 = Clock::now();
      for (auto& r : (*chain)->Admit(std::move(ok))) {
        if (!r.ok()) {
          std::fprintf(stderr, "admit: %s\n", r.status().ToString().c_str());
          return false;
        }
      }
      if ((i + n) % block_txs == 0 || i + n == n_txs) {
        if (!(*chain)->ProduceBlock().ok()) return false;
      }
      apply_secs += Seconds(a0, Clock::now());
    }
    const double secs = Seconds(t0, Clock::now());
    const ChainMetrics m = (*chain)->Metrics();
    char note[160];
    if (cache_bytes > 0) {
      std::snprintf(note, sizeof(note), "%u threads verify; batches of %zu; checks %.0f%%",
                    std::thread::hardware_concurrency(), batch, 100 * check_secs / secs);
      rows.push_back({"(c) chain, batch, committed", n_txs / secs, note});
    }
    std::snprintf(note, sizeof(note), "%.2f s for %zu; state reads from SQLite: %llu", apply_secs,
                  n_txs, static_cast<unsigned long long>(m.state_cache_misses));
    rows.push_back(
        {cache_bytes > 0 ? "(c') state machine+SQLite" : "(c'') (c') with no state cache",
         n_txs / apply_secs, note});
    *apply_rate = n_txs / apply_secs;
    return true;
  };
  double cached_rate = 0, uncached_rate = 0;
  if (!run_batches("c", ChainOptions().state_cache_bytes, &cached_rate)) return 1;
  if (!run_batches("c0", 0, &uncached_rate)) return 1;

  // (b) node over HTTP on loopback, clients posting pre-signed txs on keep-alive connections.
  {
    ChainOptions opts;
    opts.data_dir = dir / "b";
    opts.genesis = setup.genesis;
    opts.sequencer = setup.sequencer;
    auto chain = Chain::Open(opts, NodeTxKinds());
    if (!chain.ok()) return 1;
    ServerOptions so;
    so.port = 0;
    so.rate_limit_rps = 0;
    NodeServer server(chain->get(), so);
    if (!server.Start().ok()) return 1;
    (*chain)->StartProducer(std::chrono::milliseconds(0));
    // Each client owns a disjoint set of senders so per-sender nonces arrive in order.
    std::vector<std::vector<std::string>> bodies(clients);
    for (size_t i = 0; i < http_txs; ++i) {
      const Transaction& tx = http_signed[i];
      size_t sender = i % accounts;
      bodies[sender % clients].push_back("{\"raw\":\"" + ToHex(tx.Encode()) + "\"}");
    }
    std::atomic<size_t> errors{0};
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        httplib::Client cli("127.0.0.1", server.port());
        cli.set_keep_alive(true);
        cli.set_tcp_nodelay(true);
        for (const auto& body : bodies[c]) {
          auto r = cli.Post("/v1/tx", body, "application/json");
          if (!r || r->status != 202) {
            if (errors++ == 0)
              std::fprintf(stderr, "http: %s\n", r ? r->body.c_str() : "no answer");
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    // Wait until the last accepted txs are committed.
    while ((*chain)->Metrics().mempool_size > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    double secs = Seconds(t0, Clock::now());
    auto m = (*chain)->Metrics();
    char note[160];
    std::snprintf(note, sizeof(note), "%d clients, %llu committed in %llu blocks, %zu errors",
                  clients, static_cast<unsigned long long>(m.txs_committed),
                  static_cast<unsigned long long>(m.blocks_committed), errors.load());
    rows.push_back({"(b) node over HTTP, committed", m.txs_committed / secs, note});
    server.Stop();
    (*chain)->StopProducer();
  }

  // (d) the same over POST /v1/txs: each client sends its transfers in batches of 500.
  {
    ChainOptions opts;
    opts.data_dir = dir / "d";
    opts.genesis = setup.genesis;
    opts.sequencer = setup.sequencer;
    auto chain = Chain::Open(opts, NodeTxKinds());
    if (!chain.ok()) return 1;
    ServerOptions so;
    so.port = 0;
    so.rate_limit_rps = 0;
    NodeServer server(chain->get(), so);
    if (!server.Start().ok()) return 1;
    (*chain)->StartProducer(std::chrono::milliseconds(0));
    const size_t batch = 500;
    std::vector<std::vector<std::string>> bodies(clients);
    {
      std::vector<std::vector<std::string>> raws(clients);
      for (size_t i = 0; i < http_txs; ++i) {
        raws[(i % accounts) % clients].push_back(ToHex(http_signed[i].Encode()));
      }
      for (int c = 0; c < clients; ++c) {
        for (size_t i = 0; i < raws[c].size(); i += batch) {
          std::string body = "{\"txs\":[";
          for (size_t k = i; k < std::min(raws[c].size(), i + batch); ++k) {
            body += (k > i ? ",{\"raw\":\"" : "{\"raw\":\"") + raws[c][k] + "\"}";
          }
          bodies[c].push_back(body + "]}");
        }
      }
    }
    std::atomic<size_t> errors{0};
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        httplib::Client cli("127.0.0.1", server.port());
        cli.set_keep_alive(true);
        cli.set_tcp_nodelay(true);
        for (const auto& body : bodies[c]) {
          auto r = cli.Post("/v1/txs", body, "application/json");
          if (!r || r->status != 200 || r->body.find("\"rejected\":0") == std::string::npos) {
            if (errors++ == 0) {
              std::fprintf(stderr, "http batch: %s\n",
                           r ? r->body.substr(0, 300).c_str() : "no answer");
            }
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    while ((*chain)->Metrics().mempool_size > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    double secs = Seconds(t0, Clock::now());
    auto m = (*chain)->Metrics();
    char note[160];
    std::snprintf(note, sizeof(note), "%d clients, batches of %zu, %llu committed, %zu errors",
                  clients, batch, static_cast<unsigned long long>(m.txs_committed), errors.load());
    rows.push_back({"(d) node over HTTP, batches", m.txs_committed / secs, note});
    server.Stop();
    (*chain)->StopProducer();
  }
  std::filesystem::remove_all(dir);

  double ceiling = rows[0].per_sec;
  std::printf("\n%-32s %14s %10s  %s\n", "measurement", "per second", "vs verify", "notes");
  for (const auto& r : rows) {
    std::printf("%-32s %14.0f %9.2fx  %s\n", r.what.c_str(), r.per_sec, r.per_sec / ceiling,
                r.note.c_str());
  }
  std::printf("state machine with no state cache vs the default cache: %.2fx\n",
              uncached_rate / cached_rate);
  return 0;
}
