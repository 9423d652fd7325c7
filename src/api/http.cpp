#include "http.h"

#include <charconv>

#include "tributary/api/node_server.h"
#include "tributary/base/json_parse.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;

}  // namespace

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Messages can echo request bytes; invalid UTF-8 must not make dump() throw.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                  "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& code,
               const std::string& msg) {
  SendJson(res, status, {{"error", {{"code", code}, {"message", msg}}}});
}

json ErrorJson(const Status& s) {
  return {{"error", {{"code", s.reason()}, {"message", s.message()}}}};
}

void SendStatus(httplib::Response& res, const Status& s) {
  SendError(res, HttpStatusFor(s), s.reason(), s.message());
}

std::optional<json> ParseBody(const httplib::Request& req, httplib::Response& res, int max_depth,
                              size_t max_bytes) {
  if (req.body.size() > max_bytes) {
    SendError(res, 413, "body_too_large",
              "request body exceeds the limit of " + std::to_string(max_bytes) + " bytes");
    return std::nullopt;
  }
  auto parsed = ParseJsonBounded(req.body, max_depth);
  if (parsed.ok()) return std::move(*parsed);
  SendError(res, 400, parsed.status().reason(), parsed.status().message());
  return std::nullopt;
}

Result<uint64_t> ParseUint(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument(
        std::string(what) + " must be a non-negative integer, not '" + text + "'", "bad_param");
  }
  return std::stoull(text);
}

Result<uint64_t> UintParam(const httplib::Request& req, const char* name, uint64_t dflt,
                           uint64_t max) {
  if (!req.has_param(name)) return dflt;
  TRIB_ASSIGN_OR_RETURN(uint64_t v, ParseUint(req.get_param_value(name), name));
  if (v > max) {
    return Status::InvalidArgument(std::string(name) + " may be at most " + std::to_string(max),
                                   "bad_param");
  }
  return v;
}

Result<uint64_t> PositiveParam(const httplib::Request& req, const char* name, uint64_t dflt,
                               uint64_t max) {
  TRIB_ASSIGN_OR_RETURN(uint64_t v, UintParam(req, name, dflt, max));
  if (v == 0) {
    return Status::InvalidArgument(std::string(name) + " must be at least 1", "bad_param");
  }
  return v;
}

Result<Hash32> ParseHash(const std::string& text, const char* what) {
  auto h = FixedFromHex<32>(text);
  if (!h.ok()) {
    return Status::InvalidArgument(std::string(what) + " must be 64 hex digits", "bad_hash");
  }
  return h;
}

Result<TxLookup> SubmitAndWait(Chain* chain, const Transaction& tx,
                               std::chrono::milliseconds wait) {
  TRIB_ASSIGN_OR_RETURN(Hash32 hash, chain->Submit(tx));
  if (!chain->WaitForCommit(hash, wait)) {
    return Status::Unavailable(
        "transaction " + ToHex(hash) + " is still pending; query GET /v1/tx/" + ToHex(hash),
        "still_pending");
  }
  TRIB_ASSIGN_OR_RETURN(TxLookup l, chain->GetTx(hash));
  if (l.state != TxState::kCommitted) {
    return Status::Internal("transaction " + ToHex(hash) + " left the mempool uncommitted");
  }
  if (l.receipt.status != Receipt::kSuccess) {
    const std::string& e = l.receipt.error;
    auto colon = e.find(": ");
    std::string reason = colon == std::string::npos ? "tx_failed" : e.substr(0, colon);
    return Status::FailedPrecondition(colon == std::string::npos ? e : e.substr(colon + 2), reason);
  }
  return l;
}

std::optional<uint64_t> EventId(const Receipt& receipt, std::string_view type,
                                std::string_view attr) {
  for (const auto& e : receipt.events) {
    if (e.type != type) continue;
    for (const auto& [k, v] : e.attrs) {
      uint64_t id = 0;
      if (k == attr && std::from_chars(v.data(), v.data() + v.size(), id).ec == std::errc()) {
        return id;
      }
    }
  }
  return std::nullopt;
}

Status ReadCommitted(Chain* chain,
                     const std::function<Status(const StateReader&, uint64_t head)>& fn) {
  return chain->ReadState([&](const StateReader& s, const StateReader&, const BlockHeader& h) {
    return fn(s, h.height);
  });
}

Result<Transaction> SignedTx(const nlohmann::json& body, std::string_view kind) {
  const nlohmann::json& j = body.is_object() && body.contains("tx") ? body["tx"] : body;
  TRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::FromJson(j, NodeTxKinds()));
  if (tx.kind != kind) {
    return Status::InvalidArgument(
        "this route takes a signed " + std::string(kind) + " tx, not " + tx.kind, "wrong_kind");
  }
  return tx;
}

}  // namespace tributary::http
