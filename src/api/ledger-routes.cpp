// The ledger's own routes: chain info, transactions (submit, look up with proofs), blocks and
// accounts (with state proofs).
#include "http.h"
#include "tributary/datanet/kinds.h"
#include "tributary/ledger/readable.h"
#include "tributary/ledger/verify.h"

namespace tributary::http {

using json = nlohmann::json;

// The most transactions POST /v1/txs takes at once (the body limit applies too: a transfer is
// about 420 bytes of JSON, so 1,000 fit in the default 1 MiB).
constexpr size_t kMaxBatchTxs = 1000;

void AddLedgerRoutes(httplib::Server& server, const RouteContext& ctx) {
  Chain* chain = ctx.chain;
  const ServerOptions* opts = ctx.opts;

  server.Get("/v1/chain", [=](const httplib::Request&, httplib::Response& res) {
    const Genesis& g = chain->genesis();
    SendJson(
        res, 200,
        {{"chain_id", g.chain_id},
         {"height", chain->height()},
         {"sequencer", ToHex(g.sequencer)},
         {"token",
          {{"symbol", g.symbol}, {"decimals", g.decimals}, {"supply", AmountToString(g.supply)}}},
         {"params", g.ToJson()["params"]},
         {"tx_kinds", NodeTxKinds().Names()}});
  });

  server.Post("/v1/tx", [=](const httplib::Request& req, httplib::Response& res) {
    std::string wait = req.get_param_value("wait");
    if (!wait.empty() && wait != "commit" && wait != "none") {
      return SendError(res, 400, "bad_param", "wait must be 'commit' or 'none'");
    }
    auto body = ParseBody(req, res, opts->max_json_depth, opts->max_body_bytes);
    if (!body) return;
    auto tx = Transaction::FromJson(*body, NodeTxKinds());
    if (!tx.ok()) return SendStatus(res, tx.status());
    if (tx->kind == datanet::kSubmitKind) {
      // Its rows must travel with it, or the ledger would hold a contribution no node has.
      return SendError(res, 400, "use_contribution_route",
                       "contribution.submit txs go to POST /v1/datanets/{id}/contributions "
                       "with their files");
    }
    auto hash = chain->Submit(*tx);
    if (!hash.ok()) return SendStatus(res, hash.status());
    if (wait == "commit") {
      auto timeout = opts->max_wait;
      if (chain->WaitForCommit(*hash, timeout)) {
        auto l = chain->GetTx(*hash);
        if (l.ok() && l->state == TxState::kCommitted) {
          return SendJson(res, 200,
                          {{"hash", ToHex(*hash)},
                           {"status", "committed"},
                           {"height", l->height},
                           {"receipt", l->receipt.ToJson()}});
        }
      }
    }
    SendJson(res, 202, {{"hash", ToHex(*hash)}, {"status", "pending"}});
  });

  // Many transactions in one request: signatures checked in parallel, admitted under one lock.
  // Each gets its own result; one that fails does not stop the others.
  server.Post("/v1/txs", [=](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseBody(req, res, opts->max_json_depth, opts->max_body_bytes);
    if (!body) return;
    if (!body->is_object() || !body->contains("txs") || !(*body)["txs"].is_array()) {
      return SendError(res, 400, "bad_request", "the body must be {\"txs\": [{\"raw\": …}, …]}");
    }
    const json& list = (*body)["txs"];
    if (list.empty() || list.size() > kMaxBatchTxs) {
      return SendError(res, 400, "bad_batch",
                       "a batch holds 1 to " + std::to_string(kMaxBatchTxs) +
                           " transactions, not " + std::to_string(list.size()));
    }
    std::vector<Transaction> txs;
    std::vector<json> results(list.size());
    std::vector<size_t> where;
    auto error = [](const Status& s) {
      return json{{"error", {{"code", s.reason()}, {"message", s.message()}}}};
    };
    for (size_t i = 0; i < list.size(); ++i) {
      auto tx = Transaction::FromJson(list[i], NodeTxKinds());
      if (!tx.ok()) {
        results[i] = error(tx.status());
      } else if (tx->kind == datanet::kSubmitKind) {
        results[i] = error(Status::InvalidArgument(
            "contribution.submit txs go to POST /v1/datanets/{id}/contributions with their files",
            "use_contribution_route"));
      } else {
        where.push_back(i);
        txs.push_back(std::move(*tx));
      }
    }
    auto admitted = chain->SubmitBatch(txs);
    size_t accepted = 0;
    for (size_t k = 0; k < where.size(); ++k) {
      if (admitted[k].ok()) {
        results[where[k]] = {{"hash", ToHex(*admitted[k])}, {"status", "pending"}};
        accepted++;
      } else {
        results[where[k]] = error(admitted[k].status());
      }
    }
    SendJson(res, 200,
             {{"accepted", accepted}, {"rejected", list.size() - accepted}, {"results", results}});
  });

  server.Get(R"(/v1/tx/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    auto hash = ParseHash(req.matches[1], "tx hash");
    if (!hash.ok()) return SendStatus(res, hash.status());
    auto l = chain->GetTx(*hash);
    if (!l.ok()) return SendStatus(res, l.status());
    if (l->state == TxState::kUnknown) {
      return SendError(res, 404, "tx_not_found", "no transaction " + ToHex(*hash));
    }
    auto txj = l->tx.ToJson(NodeTxKinds());
    json out = {{"hash", ToHex(*hash)}, {"tx", txj.ok() ? *txj : json(nullptr)}};
    if (l->state == TxState::kPending) {
      out["status"] = "pending";
      return SendJson(res, 200, out);
    }
    // Every member beside the proof is derived from the proven bytes (ledger/readable.h).
    out = TxProvenMembers(l->tx, l->receipt, l->header, l->index, NodeTxKinds());
    out["proof"] = TxProofJson(*l);
    SendJson(res, 200, out);
  });

  // The newest headers first, below `before` (default: all), for explorers to page through.
  server.Get("/v1/blocks", [=](const httplib::Request& req, httplib::Response& res) {
    constexpr uint64_t kMaxBlocksPage = 100;
    auto limit = PositiveParam(req, "limit", 20, kMaxBlocksPage);
    if (!limit.ok()) return SendStatus(res, limit.status());
    const uint64_t tip = chain->height();
    auto before = PositiveParam(req, "before", tip + 1, UINT64_MAX);
    if (!before.ok()) return SendStatus(res, before.status());
    json blocks = json::array();
    for (uint64_t h = std::min(*before, tip + 1); h > 0 && blocks.size() < *limit; --h) {
      auto header = chain->GetHeader(h - 1);
      if (!header.ok()) return SendStatus(res, header.status());
      json j = header->ToJson();
      j.erase("raw");  // GET /v1/blocks/{height} has them
      j.erase("signature");
      blocks.push_back(std::move(j));
    }
    SendJson(res, 200, {{"height", tip}, {"blocks", blocks}});
  });

  server.Get(R"(/v1/blocks/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    std::string which = req.matches[1];
    std::optional<uint64_t> height;
    if (which != "latest") {
      if (which.empty() || which.size() > 19 ||
          which.find_first_not_of("0123456789") != std::string::npos) {
        return SendError(res, 400, "bad_height", "height must be a number or 'latest'");
      }
      height = std::stoull(which);
    }
    auto b = chain->GetBlock(height);
    if (!b.ok()) return SendStatus(res, b.status());
    json out = b->first.ToJson();
    json txs = json::array();
    for (const auto& h : b->second) txs.push_back(ToHex(h));
    out["txs"] = txs;
    SendJson(res, 200, out);
  });

  server.Get(R"(/v1/accounts/([^/]+))", [=](const httplib::Request& req, httplib::Response& res) {
    auto addr = Address::Parse(req.matches[1].str());
    if (!addr.ok()) return SendStatus(res, addr.status());
    std::string prove = req.get_param_value("prove");
    if (!prove.empty() && prove != "0" && prove != "1" && prove != "true" && prove != "false") {
      return SendError(res, 400, "bad_param", "prove must be 1 or 0");
    }
    bool want = prove == "1" || prove == "true";
    auto a = chain->GetAccount(*addr, want);
    if (!a.ok()) return SendStatus(res, a.status());
    json out = AccountProvenMembers(*addr, a->account, a->header);
    if (want) {
      // A proven response carries only what the proof proves (ledger/readable.h): not the next
      // nonce, which counts pending txs, nor the balance in tokens, whose decimals no proof holds.
      out["proof"] = AccountProofJson(*a);
    } else {
      const Genesis& g = chain->genesis();
      out["balance_display"] = FormatTokens(a->account.balance, g.decimals) + " " + g.symbol;
      out["next_nonce"] = a->next_nonce;
    }
    SendJson(res, 200, out);
  });
}

}  // namespace tributary::http
