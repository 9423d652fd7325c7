// `tributary apikey create|list|revoke`, `tributary earnings`, `tributary receipt`: paying for
// answers and seeing who earned what (docs/payments.md). Arguments and printing only; the rules
// live in economy/inference.h and the node.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "tributary/economy/inference.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

Result<Amount> OptionalTokens(const std::string& text, const char* option) {
  if (text.empty()) return Amount{0};
  auto a = ParseTokens(text, 18);
  if (!a.ok()) {
    return Status::InvalidArgument(
        std::string(option) + " must be an amount of OPEN such as 5, not '" + text + "'",
        "bad_amount");
  }
  return *a;
}

}  // namespace

int RunApiKeyCreate(const Common& c, const ApiKeyArgs& a) {
  auto daily = OptionalTokens(a.daily_limit, "--daily-limit");
  if (!daily.ok()) return Fail(daily.status());
  auto total = OptionalTokens(a.total_limit, "--total-limit");
  if (!total.ok()) return Fail(total.status());
  json models = json::array();
  for (const auto& m : SplitComma(a.models)) {
    auto id = economy::ParseModelId(m);
    if (!id.ok()) return Fail(id.status().WithContext("--models"));
    models.push_back(*id);
  }
  std::sort(models.begin(), models.end());
  if (a.expires_days < 0) {
    return Fail(Status::InvalidArgument("--expires-days must be 0 (never) or more", "bad_expiry"));
  }
  uint64_t expires_ms = 0;
  if (a.expires_days > 0) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    expires_ms = static_cast<uint64_t>(now) + static_cast<uint64_t>(a.expires_days) * 86'400'000;
  }
  const std::string secret = economy::NewApiKeySecret();
  const std::string hash = ToHex(economy::ApiKeyHash(secret));
  json payload = {{"key_hash", hash},
                  {"label", a.label},
                  {"models", models},
                  {"daily_limit", AmountToString(*daily)},
                  {"total_limit", AmountToString(*total)},
                  {"expires_ms", expires_ms}};
  // Check locally before anything is signed.
  auto check = economy::CreateApiKeyPayload::FromJson(payload);
  if (!check.ok()) return Fail(check.status());
  Status valid = check->Check();
  if (!valid.ok()) return Fail(valid);
  if (!a.save.empty()) {
    // Written before the key exists on the ledger, so a secret is never lost once it is live.
    std::ofstream out(a.save, std::ios::trunc);
    out << secret << "\n";
    out.close();
    if (!out) return Fail(Status::IOError("cannot write " + a.save, "io_error"));
    ::chmod(a.save.c_str(), 0600);
  }
  auto r = SubmitTxAndWait(c, a.from, std::string(economy::kCreateApiKeyKind), payload);
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson({{"key", secret},
               {"key_hash", hash},
               {"tx", r->value("hash", "")},
               {"height", r->value("height", uint64_t{0})}});
    return 0;
  }
  std::cout << "API key (shown once; only its hash is on the ledger):\n  " << secret << "\n"
            << "hash " << hash << ", created in block " << r->value("height", uint64_t{0}) << "\n"
            << "use it:  curl -H 'Authorization: Bearer " << secret << "' ...\n"
            << "    or:  TRIBUTARY_API_KEY=" << secret << " tributary chat --model ID\n";
  return 0;
}

int RunApiKeyList(const Common& c, const ApiKeyArgs& a) {
  auto addr = ResolveAddress(a.owner.empty() ? a.from : a.owner);
  if (!addr.ok()) return Fail(addr.status());
  auto r = NodeGet(c, "/v1/accounts/" + addr->ToString() + "/apikeys");
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  if ((*r)["keys"].empty()) std::cout << "no API keys for " << addr->ToString() << "\n";
  for (const auto& k : (*r)["keys"]) {
    std::string models;
    for (const auto& m : k["models"]) models += (models.empty() ? "" : ",") + m.dump();
    std::cout << k.value("key_hash", "") << "  "
              << (k.value("revoked", false) ? "REVOKED" : "active") << "  \""
              << k.value("label", "") << "\"  models " << (models.empty() ? "any" : models)
              << "  spent " << TokensText(k["spent_total"]) << " OPEN in " << k["requests"]
              << " answers";
    if (k.value("daily_limit", "0") != "0")
      std::cout << ", daily limit " << TokensText(k["daily_limit"]);
    if (k.value("total_limit", "0") != "0")
      std::cout << ", total limit " << TokensText(k["total_limit"]);
    std::cout << "\n";
  }
  return 0;
}

int RunApiKeyRevoke(const Common& c, const ApiKeyArgs& a) {
  // The key's hash, or the secret itself (hashed here; it is never sent).
  std::string hash = a.key;
  if (!FixedFromHex<32>(hash).ok()) hash = ToHex(economy::ApiKeyHash(a.key));
  auto r =
      SubmitTxAndWait(c, a.from, std::string(economy::kRevokeApiKeyKind), json{{"key_hash", hash}});
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson({{"revoked", hash}, {"height", r->value("height", uint64_t{0})}});
  } else {
    std::cout << "revoked " << hash << " in block " << r->value("height", uint64_t{0}) << "\n";
  }
  return 0;
}

int RunEarnings(const Common& c, const std::string& who) {
  auto addr = ResolveAddress(who);
  if (!addr.ok()) return Fail(addr.status());
  auto r = NodeGet(c, "/v1/accounts/" + addr->ToString() + "/earnings");
  if (!r.ok()) return Fail(r.status());
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  const json& e = *r;
  std::cout << addr->ToString() << " earned " << TokensText(e["total"]) << " OPEN from "
            << e["credits"] << " shares of paid answers (block " << e["height"] << ")\n";
  for (const auto& [role, amount] : e["by_role"].items()) {
    std::cout << "  as " << role << ": " << TokensText(amount) << " OPEN\n";
  }
  for (const auto& m : e["by_model"]) {
    std::cout << "  model " << m["model"] << ": " << TokensText(m["amount"]) << " OPEN\n";
  }
  for (const auto& d : e["by_datanet"]) {
    std::cout << "  Datanet " << d["datanet"] << ": " << TokensText(d["amount"]) << " OPEN\n";
  }
  for (const auto& x : e["by_contribution"]) {
    std::cout << "  contribution " << x.value("contribution", "") << ": " << TokensText(x["amount"])
              << " OPEN\n";
  }
  for (const auto& d : e["by_day"]) {
    std::cout << "  on " << d.value("day", "") << ": " << TokensText(d["amount"]) << " OPEN\n";
  }
  return 0;
}

int RunReceipt(const Common& c, const std::string& id, const std::string& out_file) {
  Status bad = economy::CheckRequestId(id);
  if (!bad.ok()) return Fail(bad);
  auto r = NodeGet(c, "/v1/receipts/" + id);
  if (!r.ok()) return Fail(r.status());
  if (!out_file.empty()) {
    std::ofstream out(out_file, std::ios::trunc);
    out << r->dump(2) << "\n";
    if (!out) return Fail(Status::IOError("cannot write " + out_file, "io_error"));
  }
  if (c.json) {
    PrintJson(*r);
    return 0;
  }
  const json& x = (*r)["receipt"];
  std::cout << "receipt " << x.value("request_id", "") << " (settled in block " << x["height"]
            << ")\n"
            << "  model " << x["model"] << ", " << x["prompt_tokens"] << " prompt + "
            << x["completion_tokens"] << " completion tokens\n"
            << "  fee " << TokensText(x["fee"]) << " OPEN, paid " << TokensText(x["paid"]) << " by "
            << x.value("payer", "") << "\n"
            << "  attribution: " << x["weights"].size() << " contributions, " << x["unattributed"]
            << " ppm unattributed\n";
  for (const auto& p : x["split"]) {
    std::cout << "    " << p.value("role", "") << " " << p.value("account", "") << ": "
              << TokensText(p["amount"]) << " OPEN";
    if (p.contains("contribution"))
      std::cout << " (contribution " << p.value("contribution", "") << ")";
    std::cout << "\n";
  }
  std::cout << (out_file.empty()
                    ? "  (--out FILE saves it with its proof for `tributary verify-proof`)\n"
                    : "  saved with its proof to " + out_file + "\n");
  return 0;
}

}  // namespace tributary::cli
