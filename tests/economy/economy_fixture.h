// A ledger for economy tests: a real Executor over State/Overlay with the ledger's, Datanet and
// economy kinds, keys for an owner, three contributors and the sequencer, and helpers that send
// signed txs and build Datanet versions with the Datanet kinds themselves.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"
#include "tributary/datanet/kinds.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/kinds.h"
#include "tributary/economy/models.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/executor.h"
#include "tributary/ledger/tx_kind.h"

namespace tributary::economy {
namespace {

using json = nlohmann::json;

constexpr uint64_t kT0 = 1767225600000ULL;  // 2026-01-01T00:00:00Z
const Amount kOpen = Pow10(18);

KeyPair Key(uint8_t n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = n;
  seed[1] = 0xec;
  seed[31] = 0x0e;
  return KeyPair::FromSeed(seed);
}
Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

Hash32 H(const std::string& tag) { return Sha256(AsBytes(tag)); }

datanet::DatanetSpec Spec(const std::string& name, datanet::Policy policy) {
  datanet::DatanetSpec s;
  s.name = name;
  s.summary = "for models";
  s.license = "CC-BY-4.0";
  s.policy = policy;
  return s;
}

// A contribution.submit payload of `rows` rows; `salt` makes its content root distinct.
datanet::SubmitPayload Submission(uint64_t datanet, uint64_t rows, uint32_t salt) {
  datanet::SubmitPayload p;
  p.datanet = datanet;
  std::vector<Hash32> ids;
  for (uint64_t i = 0; i < rows; ++i) ids.push_back(Sha256(Writer().U32(salt).U64(i).bytes()));
  p.content_root = datanet::ContentRoot(ids);
  p.rows = rows;
  p.bytes = rows * 50;
  p.files = {{"part.txt", "txt", rows * 60}};
  p.report_hash = Sha256(Writer().U32(salt).Str("report").bytes());
  return p;
}

[[maybe_unused]] RegisterModelPayload Registration(const std::string& adapter_tag, std::vector<DataRef> data) {
  RegisterModelPayload p;
  p.name = "fortune-teller";
  p.base_hash = H("base");
  p.adapter_hash = H(adapter_tag);
  p.data = std::move(data);
  p.config_hash = H("config");
  p.metrics = R"({"eval_loss":1.25,"perplexity":3.49})";
  p.price_per_1k_tokens = 2 * Pow10(15);  // 0.002 OPEN
  return p;
}

struct Applied {
  Hash32 hash{};
  Receipt receipt;
  Status action;
  Amount fee = 0;
};

class EconomyTest : public ::testing::Test {
 protected:
  EconomyTest() : owner_(Key(1)), alice_(Key(2)), bob_(Key(3)), carol_(Key(4)), seq_(Key(99)) {
    RegisterLedgerKinds(kinds_);
    datanet::RegisterDatanetKinds(kinds_);
    RegisterEconomyKinds(kinds_);
    genesis_.chain_id = "tributary-models";
    genesis_.timestamp_ms = kT0;
    genesis_.sequencer = seq_.public_key();
    genesis_.accounts = {{Addr(owner_), 1000 * kOpen},
                         {Addr(alice_), 1000 * kOpen},
                         {Addr(bob_), 1000 * kOpen},
                         {Addr(carol_), 1000 * kOpen}};
    genesis_.supply = 4000 * kOpen;
    EXPECT_TRUE(genesis_.Validate().ok());
    exec_ = std::make_unique<Executor>(genesis_, kinds_);
    state_ = std::make_unique<State>();
    Overlay o(state_.get());
    exec_->ApplyGenesis(o);
    state_->Apply(o.writes());
  }

  Applied Send(const KeyPair& from, std::string_view kind, Bytes payload) {
    Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = LoadAccount(*state_, Addr(from))->nonce;
    tx.max_fee = Pow10(16);
    tx.kind = std::string(kind);
    tx.payload = std::move(payload);
    tx.SignWith(from);
    Applied out;
    Status check = exec_->CheckTx(tx, tx.Encode().size());
    EXPECT_TRUE(check.ok()) << check.ToString();
    Bytes raw = tx.Encode();
    out.hash = tx.Hash();
    out.fee = *genesis_.params.FeeFor(raw.size());
    Overlay o(state_.get());
    ++height_;
    auto r = exec_->ApplyTx(o, tx, out.hash, raw.size(), height_, kT0 + height_ * 1000,
                            Address::FromPublicKey(seq_.public_key()), &out.action);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) out.receipt = *r;
    state_->Apply(o.writes());
    return out;
  }
  Applied Ok(const KeyPair& from, std::string_view kind, Bytes payload) {
    Applied a = Send(from, kind, std::move(payload));
    EXPECT_TRUE(a.action.ok()) << kind << ": " << a.action.ToString();
    EXPECT_EQ(a.receipt.status, Receipt::kSuccess) << a.receipt.error;
    return a;
  }
  Applied Fails(const KeyPair& from, const RegisterModelPayload& p, const std::string& reason) {
    uint64_t before = *LoadModelCount(*state_);
    Applied a = Send(from, kRegisterModelKind, p.Encode());
    EXPECT_EQ(a.action.reason(), reason) << a.action.ToString();
    EXPECT_EQ(a.receipt.status, Receipt::kFailed);
    EXPECT_EQ(a.receipt.error.rfind(reason + ": ", 0), 0u) << a.receipt.error;
    EXPECT_TRUE(a.receipt.events.empty());
    EXPECT_EQ(*LoadModelCount(*state_), before);
    return a;
  }

  uint64_t CreateDatanet(const datanet::DatanetSpec& spec) {
    Ok(owner_, datanet::kCreateKind, datanet::CreatePayload{spec}.Encode());
    return *datanet::LoadDatanetCount(*state_);
  }
  Hash32 Contribute(const KeyPair& who, uint64_t d, uint64_t rows, uint32_t salt) {
    return Ok(who, datanet::kSubmitKind, Submission(d, rows, salt).Encode()).hash;
  }
  void Approve(const Hash32& c) {
    datanet::ReviewPayload p;
    p.contribution = c;
    p.approve = true;
    Ok(owner_, datanet::kReviewKind, p.Encode());
  }
  void Reject(const Hash32& c) {
    datanet::ReviewPayload p;
    p.contribution = c;
    p.reason = "off topic";
    Ok(owner_, datanet::kReviewKind, p.Encode());
  }
  DataRef Publish(uint64_t d) {
    Ok(owner_, datanet::kPublishKind, datanet::PublishPayload{d}.Encode());
    auto n = (*datanet::LoadDatanet(*state_, d))->versions;
    auto v = datanet::LoadVersion(*state_, d, n);
    EXPECT_TRUE(v.ok() && v->has_value());
    return DataRef{d, n, (*v)->root};
  }
  Model ModelOf(uint64_t id) {
    auto m = LoadModel(*state_, id);
    EXPECT_TRUE(m.ok() && m->has_value()) << id;
    return m.ok() && m->has_value() ? **m : Model{};
  }

  // Open Datanet 1: alice (2 contributions), bob (1) in version 1; carol joins in version 2.
  void TwoVersions() {
    d_ = CreateDatanet(Spec("Fortunes", datanet::Policy::kOpen));
    Contribute(alice_, d_, 5, 1);
    Contribute(bob_, d_, 3, 2);
    Contribute(alice_, d_, 4, 3);
    v1_ = Publish(d_);
    Contribute(carol_, d_, 7, 4);
    v2_ = Publish(d_);
  }

  TxKindRegistry kinds_;
  KeyPair owner_, alice_, bob_, carol_, seq_;
  Genesis genesis_;
  std::unique_ptr<Executor> exec_;
  std::unique_ptr<State> state_;
  uint64_t height_ = 0;
  uint64_t d_ = 0;
  DataRef v1_, v2_;
};

}  // namespace
}  // namespace tributary::economy
