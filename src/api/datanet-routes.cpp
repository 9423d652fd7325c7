// The Datanet routes: create/update/list Datanets, upload and review contributions, publish
// versions, read rows with provenance and proofs, and the contributor leaderboard.
#include "http.h"
#include "tributary/base/json_parse.h"
#include "tributary/base/multipart.h"
#include "tributary/datanet/kinds.h"

namespace tributary::http {
namespace {

using json = nlohmann::json;
using datanet::DatanetService;

constexpr uint64_t kMaxPage = 1000;

struct Upload {
  std::vector<datanet::UploadFile> files;
  std::optional<json> tx;
};

// Reads files (and the signed tx, if any) from a multipart form or a JSON body:
//   multipart: parts with a filename are files; a part named "tx" holds the tx JSON
//   JSON: {"files": [{"name": "a.txt", "content": "..."}], "rows": [{...}], "tx": {...}}
// JSON "rows" become one file "rows.jsonl" (a row per line), parsed like any other upload.
Result<Upload> ReadUpload(const httplib::Request& req, const ServerOptions& opts) {
  Upload up;
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_upload"); };
  if (const std::string form_type = req.get_header_value(kFormContentTypeHeader);
      !form_type.empty()) {
    TRIB_ASSIGN_OR_RETURN(const std::string boundary, MultipartBoundary(form_type));
    TRIB_ASSIGN_OR_RETURN(const std::vector<FormPart> parts,
                          ParseMultipartForm(req.body, boundary));
    for (const FormPart& part : parts) {
      if (part.name == "tx") {
        if (up.tx) return bad("two 'tx' parts");
        // Bounded like every JSON body: a deeply nested part must not exhaust the stack.
        auto j = ParseJsonBounded(part.content, opts.max_json_depth);
        if (!j.ok()) return bad("the 'tx' part is not JSON within the nesting limit");
        up.tx = std::move(*j);
      } else if (!part.filename.empty()) {
        up.files.push_back({part.filename, std::string(part.content)});
      } else {
        return bad("unexpected form field '" + part.name +
                   "' (send files with a filename, and 'tx')");
      }
    }
    return up;
  }
  if (req.body.empty()) return bad("the body is empty: send files as multipart or JSON");
  httplib::Response scratch;
  auto body = ParseBody(req, scratch, opts.max_json_depth, opts.max_upload_bytes);
  if (!body) {
    return Status::InvalidArgument("the body is neither multipart/form-data nor valid JSON",
                                   "bad_json");
  }
  if (!body->is_object()) return bad("the body must be a JSON object");
  if (body->contains("files")) {
    const json& files = (*body)["files"];
    if (!files.is_array()) return bad("'files' must be an array");
    for (const auto& f : files) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
          !f.contains("content") || !f["content"].is_string()) {
        return bad("each file must be {\"name\": string, \"content\": string}");
      }
      up.files.push_back({f["name"].get<std::string>(), f["content"].get<std::string>()});
    }
  }
  if (body->contains("rows")) {
    const json& rows = (*body)["rows"];
    if (!rows.is_array()) return bad("'rows' must be an array of objects");
    std::string jsonl;
    for (const auto& r : rows) {
      if (!r.is_object()) return bad("'rows' must be an array of objects");
      jsonl += r.dump(-1, ' ', false, json::error_handler_t::strict) + "\n";
    }
    up.files.push_back({"rows.jsonl", std::move(jsonl)});
  }
  if (body->contains("tx")) up.tx = (*body)["tx"];
  return up;
}

json RowJson(const std::string& canonical) {
  json j = json::parse(canonical, nullptr, false);
  return j.is_discarded() ? json(canonical) : j;
}

json ContributionJson(DatanetService* svc, const datanet::Contribution& c, uint64_t offset,
                      uint64_t limit, bool with_report) {
  json out = c.ToJson();
  if (with_report) {
    auto report = svc->ContributionReport(c.id);
    out["report"] = report.ok() ? *report : json(nullptr);
  }
  auto rows = svc->ContributionRows(c.id, offset, limit);
  json list = json::array();
  if (rows.ok()) {
    for (const auto& [id, canonical] : *rows) {
      list.push_back({{"row_id", ToHex(id)}, {"row", RowJson(canonical)}});
    }
    out["rows_page"] = {{"offset", offset}, {"limit", limit}, {"rows", list}};
  } else {
    out["rows_page"] = nullptr;  // rows are stored only on the node that took the upload
  }
  return out;
}

// The Datanet routes' handlers, one a route; AddDatanetRoutes binds them to their paths.
class DatanetRoutes {
 public:
  explicit DatanetRoutes(const RouteContext& ctx)
      : chain_(ctx.chain), svc_(ctx.datanets), opts_(ctx.opts) {}

  void Create(const httplib::Request& req, httplib::Response& res) const;
  void List(const httplib::Request& req, httplib::Response& res) const;
  void Show(const httplib::Request& req, httplib::Response& res) const;
  void Update(const httplib::Request& req, httplib::Response& res) const;
  void Prepare(const httplib::Request& req, httplib::Response& res) const;
  void Contribute(const httplib::Request& req, httplib::Response& res) const;
  void ListContributions(const httplib::Request& req, httplib::Response& res) const;
  void ShowContribution(const httplib::Request& req, httplib::Response& res) const;
  void Review(const httplib::Request& req, httplib::Response& res) const;
  void Publish(const httplib::Request& req, httplib::Response& res) const;
  void ListVersions(const httplib::Request& req, httplib::Response& res) const;
  void ShowVersion(const httplib::Request& req, httplib::Response& res) const;
  void VersionRows(const httplib::Request& req, httplib::Response& res) const;
  void ProveRow(const httplib::Request& req, httplib::Response& res) const;
  void Leaderboard(const httplib::Request& req, httplib::Response& res) const;

 private:
  std::optional<json> BodyOf(const httplib::Request& req, httplib::Response& res) const {
    return ParseBody(req, res, opts_->max_json_depth, opts_->max_body_bytes);
  }
  Chain* chain_;
  DatanetService* svc_;
  const ServerOptions* opts_;
};

// Create: the body is a signed datanet.create tx; answers once it is committed.
void DatanetRoutes::Create(const httplib::Request& req, httplib::Response& res) const {
  auto body = BodyOf(req, res);
  if (!body) return;
  auto tx = SignedTx(*body, datanet::kCreateKind);
  if (!tx.ok()) return SendStatus(res, tx.status());
  auto l = SubmitAndWait(chain_, *tx, opts_->max_wait);
  if (!l.ok()) return SendStatus(res, l.status());
  auto id = EventId(l->receipt, "datanet.created", "datanet");
  if (id) {
    auto d = svc_->GetDatanet(*id);
    if (!d.ok()) return SendStatus(res, d.status());
    return SendJson(
        res, 201,
        {{"datanet", d->ToJson()}, {"tx", ToHex(l->receipt.tx_hash)}, {"height", l->height}});
  }
  SendError(res, 500, "internal", "datanet.created event missing from the receipt");
}

void DatanetRoutes::List(const httplib::Request& req, httplib::Response& res) const {
  auto first = UintParam(req, "from", 1, UINT64_MAX);
  if (!first.ok()) return SendStatus(res, first.status());
  auto limit = UintParam(req, "limit", 100, kMaxPage);
  if (!limit.ok()) return SendStatus(res, limit.status());
  auto list = svc_->ListDatanets(*first, *limit);
  if (!list.ok()) return SendStatus(res, list.status());
  json out = json::array();
  for (const auto& d : *list) out.push_back(d.ToJson());
  SendJson(res, 200, {{"datanets", out}});
}

void DatanetRoutes::Show(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto d = svc_->GetDatanet(*id);
  if (!d.ok()) return SendStatus(res, d.status());
  auto versions = svc_->Versions(*id);
  if (!versions.ok()) return SendStatus(res, versions.status());
  json out = d->ToJson();
  out["versions"] = json::array();
  for (const auto& v : *versions) out["versions"].push_back(v.ToJson());
  SendJson(res, 200, out);
}

// Update (summary, description, tags): a signed datanet.update tx.
void DatanetRoutes::Update(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto body = BodyOf(req, res);
  if (!body) return;
  auto tx = SignedTx(*body, datanet::kUpdateKind);
  if (!tx.ok()) return SendStatus(res, tx.status());
  auto p = datanet::UpdatePayload::Decode(tx->payload);
  if (!p.ok() || p->datanet != *id) {
    return SendError(res, 400, "wrong_datanet", "the tx updates another Datanet");
  }
  auto l = SubmitAndWait(chain_, *tx, opts_->max_wait);
  if (!l.ok()) return SendStatus(res, l.status());
  auto d = svc_->GetDatanet(*id);
  if (!d.ok()) return SendStatus(res, d.status());
  SendJson(res, 200, {{"datanet", d->ToJson()}, {"tx", ToHex(l->receipt.tx_hash)}});
}

// Validate an upload without storing anything: the report and the payload to sign.
void DatanetRoutes::Prepare(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto up = ReadUpload(req, *opts_);
  if (!up.ok()) return SendStatus(res, up.status());
  auto p = svc_->Prepare(*id, up->files);
  if (!p.ok()) return SendStatus(res, p.status());
  json out = {{"report", p->report.ToJson()},
              {"accepted", p->report.accepted},
              {"rejected", p->report.rejected},
              {"score", p->report.score}};
  out["payload"] = p->payload.rows ? p->payload.ToJson() : json(nullptr);
  SendJson(res, 200, out);
}

void DatanetRoutes::Contribute(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto up = ReadUpload(req, *opts_);
  if (!up.ok()) return SendStatus(res, up.status());
  if (!up->tx) {
    return SendError(res, 400, "missing_tx",
                     "sign a contribution.submit tx with the payload from POST "
                     "/v1/datanets/" +
                         std::to_string(*id) + "/contributions/prepare and send it as 'tx'");
  }
  auto tx = Transaction::FromJson(*up->tx, NodeTxKinds());
  if (!tx.ok()) return SendStatus(res, tx.status());
  auto r = svc_->Submit(*id, up->files, *tx);
  if (!r.ok()) return SendStatus(res, r.status());
  const auto& [cid, prepared] = *r;
  json out = {{"contribution_id", ToHex(cid)},
              {"accepted", prepared.report.accepted},
              {"rejected", prepared.report.rejected},
              {"score", prepared.report.score}};
  if (!chain_->WaitForCommit(cid, opts_->max_wait)) {
    out["status"] = "pending";
    return SendJson(res, 202, out);
  }
  auto c = svc_->GetContribution(cid);
  if (!c.ok()) {
    // Committed but failed (its receipt says why); the node removed its rows.
    auto l = chain_->GetTx(cid);
    std::string why = l.ok() ? l->receipt.error : c.status().message();
    return SendError(res, 422, "contribution_failed", why);
  }
  out["status"] = datanet::StatusName(c->status);
  out["contribution"] = c->ToJson();
  out["report"] = prepared.report.ToJson();
  SendJson(res, 201, out);
}

void DatanetRoutes::ListContributions(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto offset = UintParam(req, "offset", 0, UINT64_MAX);
  if (!offset.ok()) return SendStatus(res, offset.status());
  auto limit = UintParam(req, "limit", 100, kMaxPage);
  if (!limit.ok()) return SendStatus(res, limit.status());
  auto list = svc_->Contributions(*id, *offset, *limit);
  if (!list.ok()) return SendStatus(res, list.status());
  json out = json::array();
  for (const auto& c : *list) out.push_back(c.ToJson());
  SendJson(res, 200, {{"contributions", out}, {"offset", *offset}});
}

void DatanetRoutes::ShowContribution(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseHash(req.matches[1], "contribution id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto offset = UintParam(req, "rows_offset", 0, UINT64_MAX);
  if (!offset.ok()) return SendStatus(res, offset.status());
  auto limit = UintParam(req, "rows_limit", 100, kMaxPage);
  if (!limit.ok()) return SendStatus(res, limit.status());
  auto c = svc_->GetContribution(*id);
  if (!c.ok()) return SendStatus(res, c.status());
  SendJson(res, 200, ContributionJson(svc_, *c, *offset, *limit, true));
}

void DatanetRoutes::Review(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseHash(req.matches[1], "contribution id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto body = BodyOf(req, res);
  if (!body) return;
  auto tx = SignedTx(*body, datanet::kReviewKind);
  if (!tx.ok()) return SendStatus(res, tx.status());
  auto p = datanet::ReviewPayload::Decode(tx->payload);
  if (!p.ok() || p->contribution != *id) {
    return SendError(res, 400, "wrong_contribution", "the tx reviews another contribution");
  }
  auto l = SubmitAndWait(chain_, *tx, opts_->max_wait);
  if (!l.ok()) return SendStatus(res, l.status());
  auto c = svc_->GetContribution(*id);
  if (!c.ok()) return SendStatus(res, c.status());
  SendJson(res, 200, {{"contribution", c->ToJson()}, {"tx", ToHex(l->receipt.tx_hash)}});
}

void DatanetRoutes::Publish(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto body = BodyOf(req, res);
  if (!body) return;
  auto tx = SignedTx(*body, datanet::kPublishKind);
  if (!tx.ok()) return SendStatus(res, tx.status());
  auto p = datanet::PublishPayload::Decode(tx->payload);
  if (!p.ok() || p->datanet != *id) {
    return SendError(res, 400, "wrong_datanet", "the tx publishes another Datanet");
  }
  auto l = SubmitAndWait(chain_, *tx, opts_->max_wait);
  if (!l.ok()) return SendStatus(res, l.status());
  auto d = svc_->GetDatanet(*id);
  if (!d.ok()) return SendStatus(res, d.status());
  auto v = svc_->GetVersion(*id, d->versions);
  if (!v.ok()) return SendStatus(res, v.status());
  SendJson(res, 201, {{"version", v->ToJson()}, {"tx", ToHex(l->receipt.tx_hash)}});
}

void DatanetRoutes::ListVersions(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto vs = svc_->Versions(*id);
  if (!vs.ok()) return SendStatus(res, vs.status());
  json out = json::array();
  for (const auto& v : *vs) out.push_back(v.ToJson());
  SendJson(res, 200, {{"versions", out}});
}

void DatanetRoutes::ShowVersion(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto n = ParseUint(req.matches[2], "version");
  if (!n.ok()) return SendStatus(res, n.status());
  auto v = svc_->GetVersion(*id, static_cast<uint32_t>(std::min<uint64_t>(*n, UINT32_MAX)));
  if (!v.ok()) return SendStatus(res, v.status());
  SendJson(res, 200, v->ToJson());
}

void DatanetRoutes::VersionRows(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto n = ParseUint(req.matches[2], "version");
  if (!n.ok()) return SendStatus(res, n.status());
  auto offset = UintParam(req, "offset", 0, UINT64_MAX);
  if (!offset.ok()) return SendStatus(res, offset.status());
  auto limit = UintParam(req, "limit", 100, kMaxPage);
  if (!limit.ok()) return SendStatus(res, limit.status());
  auto rows = svc_->VersionRows(*id, static_cast<uint32_t>(std::min<uint64_t>(*n, UINT32_MAX)),
                                *offset, *limit);
  if (!rows.ok()) return SendStatus(res, rows.status());
  json list = json::array();
  for (const auto& r : *rows) {
    list.push_back({{"index", r.index},
                    {"row_id", ToHex(r.row_id)},
                    {"contribution", ToHex(r.contribution)},
                    {"contributor", r.contributor.ToString()},
                    {"row", RowJson(r.canonical)}});
  }
  SendJson(res, 200, {{"datanet", *id}, {"version", *n}, {"offset", *offset}, {"rows", list}});
}

void DatanetRoutes::ProveRow(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto n = ParseUint(req.matches[2], "version");
  if (!n.ok()) return SendStatus(res, n.status());
  auto index = ParseUint(req.matches[3], "row index");
  if (!index.ok()) return SendStatus(res, index.status());
  auto proof =
      svc_->ProveVersionRow(*id, static_cast<uint32_t>(std::min<uint64_t>(*n, UINT32_MAX)), *index);
  if (!proof.ok()) return SendStatus(res, proof.status());
  SendJson(res, 200, {{"proof", *proof}});
}

void DatanetRoutes::Leaderboard(const httplib::Request& req, httplib::Response& res) const {
  auto id = ParseUint(req.matches[1], "datanet id");
  if (!id.ok()) return SendStatus(res, id.status());
  auto limit = UintParam(req, "limit", 100, kMaxPage);
  if (!limit.ok()) return SendStatus(res, limit.status());
  auto board = svc_->Leaderboard(*id, *limit);
  if (!board.ok()) return SendStatus(res, board.status());
  json out = json::array();
  for (const auto& e : *board) {
    out.push_back({{"contributor", e.contributor.ToString()},
                   {"accepted_rows", e.stats.accepted_rows},
                   {"submitted", e.stats.submitted},
                   {"accepted", e.stats.accepted},
                   {"rejected", e.stats.rejected},
                   {"pending", e.stats.pending},
                   {"slashed", e.stats.slashed_count},
                   {"acceptance_ratio", e.acceptance_ratio}});
  }
  SendJson(res, 200, {{"datanet", *id}, {"leaderboard", out}});
}

}  // namespace

void AddDatanetRoutes(httplib::Server& server, const RouteContext& ctx) {
  auto routes = std::make_shared<const DatanetRoutes>(ctx);
  auto route = [routes](void (DatanetRoutes::*handler)(const httplib::Request&, httplib::Response&)
                            const) {
    return [routes, handler](const httplib::Request& req, httplib::Response& res) {
      ((*routes).*handler)(req, res);
    };
  };
  server.Post("/v1/datanets", route(&DatanetRoutes::Create));
  server.Get("/v1/datanets", route(&DatanetRoutes::List));
  server.Get(R"(/v1/datanets/([^/]+))", route(&DatanetRoutes::Show));
  server.Post(R"(/v1/datanets/([^/]+))", route(&DatanetRoutes::Update));
  server.Post(R"(/v1/datanets/([^/]+)/contributions/prepare)", route(&DatanetRoutes::Prepare));
  server.Post(R"(/v1/datanets/([^/]+)/contributions)", route(&DatanetRoutes::Contribute));
  server.Get(R"(/v1/datanets/([^/]+)/contributions)", route(&DatanetRoutes::ListContributions));
  server.Get(R"(/v1/contributions/([^/]+))", route(&DatanetRoutes::ShowContribution));
  server.Post(R"(/v1/contributions/([^/]+)/review)", route(&DatanetRoutes::Review));
  server.Post(R"(/v1/datanets/([^/]+)/versions)", route(&DatanetRoutes::Publish));
  server.Get(R"(/v1/datanets/([^/]+)/versions)", route(&DatanetRoutes::ListVersions));
  server.Get(R"(/v1/datanets/([^/]+)/versions/([^/]+))", route(&DatanetRoutes::ShowVersion));
  server.Get(R"(/v1/datanets/([^/]+)/versions/([^/]+)/rows)", route(&DatanetRoutes::VersionRows));
  server.Get(R"(/v1/datanets/([^/]+)/versions/([^/]+)/rows/([^/]+)/proof)",
             route(&DatanetRoutes::ProveRow));
  server.Get(R"(/v1/datanets/([^/]+)/leaderboard)", route(&DatanetRoutes::Leaderboard));
}

}  // namespace tributary::http
