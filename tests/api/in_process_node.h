// A node inside the test process: a Chain in a temporary directory (a dev genesis funding
// `funded_`) that makes a block only when a test asks, and a NodeServer on a free loopback port.
// For route tests that need neither a node process nor a block producer's timing.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "support/temp_dir.h"
#include "support/test_util.h"
#include "tributary/api/node_server.h"
#include "tributary/ledger/account.h"

namespace tributary::testing {

class InProcessNodeTest : public ::testing::Test {
 protected:
  InProcessNodeTest() : funded_(KeyPair::Generate()), sequencer_(KeyPair::Generate()) {
    const uint64_t now =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    ChainOptions o;
    o.data_dir = dir_.path() / "chain";
    o.genesis = Genesis::Dev(Addr(funded_), sequencer_.public_key(), now - 60000);
    o.sequencer = sequencer_;
    auto opened = Chain::Open(o, NodeTxKinds());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) chain_ = std::move(*opened);
  }
  ~InProcessNodeTest() override { server_.reset(); }

  static Address Addr(const KeyPair& k) { return Address::FromPublicKey(k.public_key()); }

  //! Starts the server on a free port with `opts` (host and port are set here).
  void StartServer(ServerOptions opts = {}) {
    ASSERT_NE(chain_, nullptr);
    opts.host = "127.0.0.1";
    opts.port = 0;
    opts.rate_limit_rps = 0;
    server_ = std::make_unique<NodeServer>(chain_.get(), std::move(opts));
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  //! Signs a tx of `kind` from `from`, commits it in a block of its own and returns its hash;
  //! fails the test unless it succeeded.
  Hash32 Send(const KeyPair& from, std::string_view kind, Bytes payload) {
    Transaction tx;
    tx.chain_id = chain_->genesis().chain_id;
    tx.sender = from.public_key();
    tx.nonce = chain_->GetAccount(Addr(from), false)->next_nonce;
    tx.kind = std::string(kind);
    tx.payload = std::move(payload);
    tx.max_fee = Pow10(17);
    tx.SignWith(from);
    auto h = chain_->Submit(tx);
    EXPECT_TRUE(h.ok()) << kind << ": " << h.status().ToString();
    if (!h.ok()) return Hash32{};
    auto height = chain_->ProduceBlock();
    EXPECT_TRUE(height.ok()) << height.status().ToString();
    auto r = chain_->GetTx(*h);
    EXPECT_TRUE(r.ok() && r->receipt.status == Receipt::kSuccess)
        << kind << ": " << (r.ok() ? r->receipt.error : r.status().ToString());
    return *h;
  }

  //! A client of the server that sends paths exactly as given (no encoding, no normalising).
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_url_encode(false);
    c.set_connection_timeout(5);
    c.set_read_timeout(30);
    return c;
  }
  //! GET `path` (status 0 when the connection failed).
  HttpResponse Get(const std::string& path) const {
    auto r = Client().Get(path.c_str());
    if (!r) return {};
    return {r->status, r->body};
  }

  TempDir dir_;
  KeyPair funded_, sequencer_;
  std::unique_ptr<Chain> chain_;
  std::unique_ptr<NodeServer> server_;
};

}  // namespace tributary::testing
