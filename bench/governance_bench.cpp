// governance_bench: what voting checkpoints and staking rewards cost the executor. The same
// transfers are applied (execution only: no signatures, no storage) to accounts that (a) never
// delegated, (b) all delegated to themselves, so every transfer moves two delegates' votes, and
// (c) delegated and staking, with staking rewards added every 100 transfers and stakes changed
// every 50, all in one process so the ratios to (a) hold on a noisy machine. Rewards are also
// timed alone: one addition and one claim against 2,000 stakers (no loop over stakers).
//
// Usage: governance_bench [--txs N] [--accounts N] [--block-txs N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tributary/api/node_server.h"
#include "tributary/base/hash.h"
#include "tributary/economy/governance.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/executor.h"
#include "tributary/ledger/staking.h"
#include "tributary/ledger/votes.h"

using namespace tributary;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

enum class Mode { kPlain, kDelegated, kStaking };

struct Bench {
  std::vector<KeyPair> keys;
  std::vector<Address> addrs;
  Genesis genesis;
  KeyPair sequencer = KeyPair::FromSeed({});
  Address fee_payer = SystemAddress("bench/fees");

  explicit Bench(size_t accounts) {
    for (size_t i = 0; i < accounts; ++i) {
      std::array<uint8_t, 32> seed{};
      std::memcpy(seed.data(), &i, sizeof(i));
      seed[31] = 7;
      keys.push_back(KeyPair::FromSeed(seed));
      addrs.push_back(Address::FromPublicKey(keys.back().public_key()));
    }
    genesis.chain_id = "bench";
    genesis.sequencer = sequencer.public_key();
    const Amount each = Pow10(18) * 1'000'000;
    for (const auto& a : addrs) genesis.accounts.push_back({a, each});
    genesis.accounts.push_back({fee_payer, each});
    genesis.supply = each * (accounts + 1);
  }

  Transaction Tx(size_t from, uint64_t nonce, const std::string& kind, const nlohmann::json& p) {
    Transaction tx;
    tx.chain_id = genesis.chain_id;
    tx.sender = keys[from].public_key();
    tx.nonce = nonce;
    tx.kind = kind;
    tx.payload = *NodeTxKinds().Find(kind)->PayloadFromJson(p);
    tx.max_fee = Pow10(18);
    return tx;
  }

  double root_share = 0;  //!< of the last Run's time, the part spent updating the state tree

  // Applies `n` transfers in blocks of `block_txs`; returns transfers per second.
  double Run(Mode mode, size_t n, size_t block_txs) {
    Executor exec(genesis, NodeTxKinds());
    State state;
    {
      Overlay o(&state);
      exec.ApplyGenesis(o);
      state.Apply(o.writes());
    }
    std::vector<uint64_t> nonce(keys.size(), 0);
    const Address collector = Address::FromPublicKey(sequencer.public_key());
    uint64_t height = 0;
    auto apply = [&](Overlay& block, const Transaction& tx) {
      const Bytes raw = tx.Encode();
      auto r = exec.ApplyTx(block, tx, Sha256(raw), raw.size(), height, 0, collector);
      if (!r.ok() || r->status != Receipt::kSuccess) {
        std::fprintf(stderr, "tx failed: %s\n",
                     r.ok() ? r->error.c_str() : r.status().ToString().c_str());
        std::exit(1);
      }
    };
    // Setup (not timed): delegation and stake.
    if (mode != Mode::kPlain) {
      Overlay block(&state);
      ++height;
      for (size_t i = 0; i < keys.size(); ++i) {
        apply(block, Tx(i, nonce[i]++, "gov.delegate", {{"to", addrs[i].ToString()}}));
        if (mode == Mode::kStaking) {
          apply(block, Tx(i, nonce[i]++, "stake", {{"amount", AmountToString(Pow10(21))}}));
        }
      }
      state.Apply(block.writes());
    }
    std::mt19937_64 rng(7);
    std::vector<Transaction> txs;
    txs.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const size_t from = i % keys.size();
      if (mode == Mode::kStaking && i % 50 == 49) {
        txs.push_back(Tx(from, nonce[from]++, "stake", {{"amount", "1000"}}));
      } else {
        txs.push_back(Tx(from, nonce[from]++, "transfer",
                         {{"to", addrs[rng() % addrs.size()].ToString()}, {"amount", "1000"}}));
      }
    }
    auto t0 = Clock::now();
    double root_secs = 0;
    for (size_t start = 0; start < n; start += block_txs) {
      Overlay block(&state);
      ++height;
      for (size_t i = start; i < std::min(n, start + block_txs); ++i) {
        apply(block, txs[i]);
        if (mode == Mode::kStaking && i % 100 == 99) {
          Overlay reward(&block);
          if (!AddStakingRewards(reward, fee_payer, Pow10(15)).ok() ||
              !TrackAccountChanges(reward, block, height).ok()) {
            std::fprintf(stderr, "reward failed\n");
            std::exit(1);
          }
          reward.MergeInto(&block);
        }
      }
      auto r0 = Clock::now();
      state.Apply(block.writes());
      (void)state.Root();
      root_secs += Seconds(r0, Clock::now());
    }
    const double secs = Seconds(t0, Clock::now());
    root_share = root_secs / secs;
    return n / secs;
  }
};

}  // namespace

int main(int argc, char** argv) {
  size_t n = 100'000, accounts = 2000, block_txs = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const size_t v = std::stoul(argv[i + 1]);
    if (a == "--txs") {
      n = v;
    } else if (a == "--accounts") {
      accounts = v;
    } else if (a == "--block-txs") {
      block_txs = v;
    }
  }
  Bench bench(accounts);
  const double plain = bench.Run(Mode::kPlain, n, block_txs);
  const double plain_root = bench.root_share;
  const double delegated = bench.Run(Mode::kDelegated, n, block_txs);
  const double delegated_root = bench.root_share;
  const double staking = bench.Run(Mode::kStaking, n, block_txs);
  const double staking_root = bench.root_share;

  // One reward addition and one claim with `accounts` stakers: constant time, not per staker.
  Executor exec(bench.genesis, NodeTxKinds());
  State state;
  {
    Overlay o(&state);
    exec.ApplyGenesis(o);
    for (const auto& a : bench.addrs) {
      Account acct = *LoadAccount(o, a);
      acct.balance -= Pow10(21);
      acct.staked += Pow10(21);
      StoreAccount(o, a, acct);
    }
    Overlay counted(&o);  // count every stake in the pool, as the executor would
    for (const auto& a : bench.addrs) (void)ClaimStakingRewards(counted, a);
    counted.MergeInto(&o);
    state.Apply(o.writes());
  }
  const int reps = 2000;
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) {
    Overlay o(&state);
    (void)AddStakingRewards(o, bench.fee_payer, Pow10(15));
  }
  const double add_us = Seconds(t0, Clock::now()) / reps * 1e6;
  t0 = Clock::now();
  for (int i = 0; i < reps; ++i) {
    Overlay o(&state);
    (void)ClaimStakingRewards(o, bench.addrs[i % bench.addrs.size()]);
  }
  const double claim_us = Seconds(t0, Clock::now()) / reps * 1e6;

  std::printf("\n%-44s %12s %8s %12s\n", "transfers applied (execution only)", "per second",
              "vs (a)", "state tree");
  std::printf("%-44s %12.0f %7.2fx %11.0f%%\n", "(a) no delegation", plain, 1.0,
              100 * plain_root);
  std::printf("%-44s %12.0f %7.2fx %11.0f%%\n", "(b) all delegated: 2 checkpoints a transfer",
              delegated, delegated / plain, 100 * delegated_root);
  std::printf("%-44s %12.0f %7.2fx %11.0f%%\n", "(c) delegated + staking, rewards every 100",
              staking, staking / plain, 100 * staking_root);
  std::printf("\n%zu stakers: a reward addition %.1f us, a claim %.1f us\n", accounts, add_us,
              claim_us);
  return 0;
}
