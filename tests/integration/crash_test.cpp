// Crash safety: a node killed with SIGKILL at random moments never loses a
// transaction it reported as committed, and its ledger replays cleanly.
//
// Several client threads stream transfers (one signing key each) with
// ?wait=commit while the main thread kills the node 24 times at random
// moments (fixed seed) and restarts it on the same data directory. After each
// restart every hash reported committed so far must still be reported
// committed by GET /v1/tx/{hash}; at the end `tributary ledger verify` must
// replay the whole ledger.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/test_util.h"
#include "support/tx_util.h"
#include "tributary/base/keystore.h"

namespace tributary::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kKills = 24;
constexpr uint32_t kSeed = 0x7121b5;

// What the client threads learn, shared with the main thread.
struct Ledger {
  std::mutex mu;
  std::vector<std::string> committed;  // reported committed, in order
  std::set<std::string> committed_set;
  std::vector<std::string> uncertain;   // sent, but no "committed" answer seen
  std::vector<std::string> unexpected;  // answers no client should get
  uint64_t sent = 0, conn_errors = 0, bad_nonce = 0;

  void AddCommitted(const std::string& h) {
    if (committed_set.insert(h).second) committed.push_back(h);
  }
};

// Stops and joins the client threads however the test leaves.
struct Clients {
  std::atomic<bool> stop{false};
  std::atomic<bool> paused{false};  // held while the main thread checks a restarted node
  std::vector<std::thread> threads;
  ~Clients() { Join(); }
  void Join() {
    stop = true;
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
};

void ClientLoop(int id, const KeyPair& key, const ChainInfo& chain, const std::vector<Address>& to,
                std::atomic<int>& port, Clients& clients, Ledger& ledger) {
  std::mt19937 rng(kSeed + 1000 + id);
  const Address me = Address::FromPublicKey(key.public_key());
  std::optional<uint64_t> nonce;
  while (!clients.stop) {
    if (clients.paused) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    int p = port.load();
    if (!nonce) {
      // After a restart (or a rejection) the pending txs of the old process are gone:
      // ask the node which nonce to sign next.
      nonce = FetchNextNonce(p, me);
      if (!nonce) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
    }
    Transaction tx = BuildTransfer(chain, key, *nonce, to[rng() % to.size()], 1 + rng() % 1000000);
    const std::string hash = ToHex(tx.Hash());
    HttpResponse r = SubmitTx(p, tx, /*wait_commit=*/true);
    json j = r.json();
    std::lock_guard<std::mutex> lock(ledger.mu);
    ledger.sent++;
    if (r.status == 200 && j.is_object() && j.value("status", "") == "committed") {
      if (j.value("hash", "") != hash) ledger.unexpected.push_back("hash mismatch: " + r.body);
      ledger.AddCommitted(hash);
      ++*nonce;
    } else if (r.status == 202) {
      ledger.uncertain.push_back(hash);  // accepted but not yet committed: look it up later
      ++*nonce;
    } else if (r.status == 0) {
      // The node is down (or died mid-request): the tx may or may not have been committed.
      ledger.uncertain.push_back(hash);
      ledger.conn_errors++;
      nonce.reset();
    } else if (r.status == 422 && j.is_object() && j["error"].value("code", "") == "bad_nonce") {
      // A nonce learnt from the previous process counted txs that died with its mempool.
      ledger.bad_nonce++;
      nonce.reset();
    } else {
      ledger.unexpected.push_back("HTTP " + std::to_string(r.status) + ": " + r.body);
      nonce.reset();
    }
    // A short pause between txs keeps the ledger (and the checks after each restart) small
    // enough for a few minutes on two cores; each client still sends hundreds of txs per second.
    std::this_thread::sleep_for(std::chrono::milliseconds(r.status == 0 ? 5 : 1));
  }
}

// Checks that every hash in `hashes` is committed; returns the ones that are not. One
// keep-alive connection for all the lookups: thousands of GETs stay cheap.
std::vector<std::string> MissingCommitted(int port, const std::vector<std::string>& hashes) {
  std::vector<std::string> missing;
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  c.set_connection_timeout(2);
  c.set_read_timeout(30);
  for (const auto& h : hashes) {
    auto r = c.Get(("/v1/tx/" + h).c_str());
    if (!r) r = c.Get(("/v1/tx/" + h).c_str());  // one retry on a dropped keep-alive connection
    json j = r ? json::parse(r->body, nullptr, false) : json();
    if (!r || r->status != 200 || !j.is_object() || j.value("status", "") != "committed") {
      missing.push_back(h + " -> " +
                        (r ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200)
                           : std::string("no answer")));
    }
  }
  return missing;
}

TEST(CrashTest, KillNineNeverLosesCommittedTransactions) {
  auto started = Clock::now();
  TempDir tmp;
  const auto data = tmp.path() / "data";
  const auto home = tmp.path() / "home";
  // No state cache: every state value the node reads after a restart comes from SQLite, and
  // the values of a block in flight are held in memory until its commit is durable.
  NodeProcess node(data, home,
                   {"--dev", "--block-interval-ms", "0", "--rate-limit", "0", "--state-cache-mib",
                    "0", "--db-cache-mib", "1"});
  ASSERT_TRUE(node.Start()) << node.output();

  auto dev = Keystore(home).Load("dev");
  ASSERT_TRUE(dev.ok()) << dev.status().ToString();
  auto chain = FetchChainInfo(node.port());
  ASSERT_TRUE(chain.has_value());

  // Senders: the dev key and three keys it funds first.
  std::vector<KeyPair> senders{dev->key};
  for (uint8_t i = 1; i <= 3; ++i) {
    KeyPair k = TestKey(i);
    auto h = TransferAndWait(node.port(), *chain, dev->key, Address::FromPublicKey(k.public_key()),
                             Tokens(1000));
    ASSERT_TRUE(h.has_value()) << "funding sender " << int(i) << " failed";
    senders.push_back(k);
  }
  std::vector<Address> recipients;
  for (uint8_t i = 100; i < 108; ++i)
    recipients.push_back(Address::FromPublicKey(TestKey(i).public_key()));

  Ledger ledger;
  std::atomic<int> port{node.port()};
  Clients clients;
  for (size_t i = 0; i < senders.size(); ++i) {
    clients.threads.emplace_back(ClientLoop, static_cast<int>(i), std::cref(senders[i]),
                                 std::cref(*chain), std::cref(recipients), std::ref(port),
                                 std::ref(clients), std::ref(ledger));
  }

  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> delay_ms(50, 400);
  std::vector<size_t> committed_at_kill;
  double longest_restart = 0;
  for (int round = 0; round < kKills; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    node.Kill();
    std::vector<std::string> must_survive, uncertain;
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      must_survive = ledger.committed;
      uncertain.swap(ledger.uncertain);
    }
    committed_at_kill.push_back(must_survive.size());

    auto t0 = Clock::now();
    ASSERT_TRUE(node.Start()) << "restart " << round + 1 << " failed:\n" << node.output();
    longest_restart =
        std::max(longest_restart, std::chrono::duration<double>(Clock::now() - t0).count());
    port = node.port();

    clients.paused = true;
    auto missing = MissingCommitted(node.port(), must_survive);
    ASSERT_TRUE(missing.empty()) << "after kill " << round + 1 << ", " << missing.size() << " of "
                                 << must_survive.size() << " committed txs are gone, e.g. "
                                 << missing.front();

    // Txs whose answer was lost: if the restarted node reports them committed, they join the
    // set that must survive every later crash; if still pending, look again next round.
    std::lock_guard<std::mutex> lock(ledger.mu);
    for (const auto& h : uncertain) {
      HttpResponse r = HttpGet(node.port(), "/v1/tx/" + h);
      std::string status = r.status == 200 ? r.json().value("status", "") : "";
      if (status == "committed") {
        ledger.AddCommitted(h);
      } else if (status == "pending") {
        ledger.uncertain.push_back(h);
      } else if (r.status != 404) {
        ledger.unexpected.push_back("lookup of " + h + ": HTTP " + std::to_string(r.status) + " " +
                                    r.body);
      }
    }
    clients.paused = false;
  }

  // Let the clients run a little on the final process, then stop them.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  clients.Join();

  std::vector<std::string> all, uncertain;
  uint64_t sent, conn_errors, bad_nonce;
  {
    std::lock_guard<std::mutex> lock(ledger.mu);
    all = ledger.committed;
    uncertain = ledger.uncertain;
    sent = ledger.sent;
    conn_errors = ledger.conn_errors;
    bad_nonce = ledger.bad_nonce;
    EXPECT_TRUE(ledger.unexpected.empty())
        << ledger.unexpected.size() << " unexpected answers, first: " << ledger.unexpected.front();
  }
  auto missing = MissingCommitted(node.port(), all);
  EXPECT_TRUE(missing.empty()) << missing.size() << " committed txs missing at the end, e.g. "
                               << missing.front();

  // The test must actually have exercised something: txs committed before most of the kills,
  // and the clients must have seen the node disappear.
  EXPECT_GE(all.size(), 100u) << "too few committed txs to mean anything";
  int kills_with_growth = 0;
  for (size_t i = 1; i < committed_at_kill.size(); ++i) {
    if (committed_at_kill[i] > committed_at_kill[i - 1]) kills_with_growth++;
  }
  EXPECT_GE(kills_with_growth, kKills / 2) << "commits did not progress between most kills";
  EXPECT_GT(conn_errors, 0u);

  json health = HttpGet(node.port(), "/healthz").json();
  int64_t height = health.is_object() ? health.value("height", int64_t{-1}) : -1;

  ASSERT_EQ(node.Stop(), 0) << node.output();

  auto verify = RunTributary({"ledger", "verify", "--data", data.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("ledger OK"), std::string::npos) << verify.out << verify.err;

  double secs = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf(
      "[crash] %d kills, %zu txs reported committed (%llu sent, %llu connection errors, "
      "%llu bad_nonce retries, %zu unresolved), final height %lld, longest restart %.2fs, "
      "%.1fs total\n",
      kKills, all.size(), static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(conn_errors), static_cast<unsigned long long>(bad_nonce),
      uncertain.size(), static_cast<long long>(height), longest_restart, secs);
}

}  // namespace
}  // namespace tributary::testing
