// `tributary attribution eval`: runs the evaluation protocols of attribution/evaluation.h and
// prints their results (docs/attribution.md, "Evaluation").
#include <iostream>
#include <memory>
#include <optional>

#include "cli/attribution-commands.h"
#include "tributary/attribution/evaluation.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

std::string Fmt(double x, int digits = 2) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, x);
  return buf;
}

void PrintPlanted(const json& r) {
  std::cout << "planted: " << r["facts"] << " facts, " << r["rows"] << " rows, "
            << r["contributions"] << " contributions, " << r["epochs"] << " epochs ("
            << Fmt(r["wall_seconds"].get<double>(), 0) << " s)\n";
  std::cout << "  greedy answer exact match " << Fmt(r["generated"]["exact_match"].get<double>())
            << "\n";
  std::printf("  %-34s %6s %6s %6s\n", "evidence", "top-1", "top-5", "MRR");
  auto row = [](const std::string& name, const json& s) {
    std::printf("  %-34s %6.2f %6.2f %6.2f\n", name.c_str(), s["top1"].get<double>(),
                s["top5"].get<double>(), s["mrr"].get<double>());
  };
  std::fflush(stdout);
  row("span", r["span"]);
  for (const auto& [name, m] : r["methods"].items()) {
    row("influence (" + name + ")", m["influence"]);
    row("combined (" + name + ")", m["combined"]);
    row("influence, paraphrase (" + name + ")", m["influence_paraphrase"]);
    row("combined, paraphrase (" + name + ")", m["combined_paraphrase"]);
  }
  row("combined, greedy answer (trak)", r["generated"]["combined"]);
  std::printf("  %-10s %-10s %12s %14s %12s %10s\n", "method", "questions", "unattributed",
              "share >= 0.5", "max cosine", "span cov.");
  for (const auto& [name, m] : r["methods"].items()) {
    for (const char* g : {"planted", "unplanted"}) {
      const json& s = m[g];
      std::printf("  %-10s %-10s %12.2f %14.2f %12.2f %10.2f\n", name.c_str(), g,
                  s["unattributed"]["mean"].get<double>(),
                  s["share_unattributed_ge_0_5"].get<double>(),
                  s["max_cosine"]["mean"].get<double>(), s["span_coverage"]["mean"].get<double>());
    }
    const json& c = m["calibration"];
    std::printf(
        "  %-10s suggested cosine_floor %.2f cosine_full %.2f: unattributed planted %.2f, "
        "unplanted %.2f\n",
        name.c_str(), c["suggested"]["cosine_floor"].get<double>(),
        c["suggested"]["cosine_full"].get<double>(),
        c["planted"]["mean_unattributed"].get<double>(),
        c["unplanted"]["mean_unattributed"].get<double>());
  }
  std::fflush(stdout);
}

void PrintNoisy(const json& r) {
  std::cout << "noisy: " << r["contributions"] << " contributions (" << r["corrupted"]
            << " corrupted), " << r["rows"] << " rows, " << r["epochs"] << " epochs ("
            << Fmt(r["wall_seconds"].get<double>(), 0) << " s)\n";
  std::printf("  %-24s %8s %12s %12s\n", "ranking", "ROC AUC", "recall@10%", "recall@20%");
  for (const auto& [name, s] : r["scores"].items()) {
    std::printf("  %-24s %8.3f %12.2f %12.2f\n", name.c_str(), s["roc_auc"].get<double>(),
                s["recall_top10"].get<double>(), s["recall_top20"].get<double>());
  }
  std::fflush(stdout);
}

void PrintLds(const json& r) {
  std::cout << "lds: " << r["subsets"] << " half-data adapters, " << r["queries"] << " queries, "
            << r["contributions"] << " contributions, " << r["epochs"] << " epochs ("
            << Fmt(r["wall_seconds"].get<double>(), 0) << " s)\n";
  std::printf("  %-20s %8s %8s\n", "scores", "LDS", "sd");
  for (const auto& [name, s] : r["lds"].items()) {
    std::printf("  %-20s %8.3f %8.3f\n", name.c_str(), s["mean"].get<double>(),
                s["sd"].get<double>());
  }
  std::fflush(stdout);
}

// Notes on stderr, a progress line per step on a terminal, each protocol's table as it ends.
class EvalPrinter : public attribution::EvaluationObserver {
 public:
  EvalPrinter(bool quiet, bool progress) : quiet_(quiet), progress_(progress) {}
  void Note(const std::string& line) override {
    if (!quiet_) std::cerr << line << "\n";
  }
  void Progress(const std::string& label, const std::string& unit, int64_t done,
                int64_t total) override {
    if (!line_ || label != label_) {
      ProgressEnd(label_);
      label_ = label;
      line_.emplace(progress_, label, unit);
    }
    line_->Update(static_cast<uint64_t>(done), static_cast<uint64_t>(total));
  }
  void ProgressEnd(const std::string& /*label*/) override {
    if (line_) line_->Finish();
    line_.reset();
  }
  void ProtocolDone(const std::string& protocol, const json& r) override {
    if (quiet_) return;
    if (protocol == "planted") PrintPlanted(r);
    if (protocol == "noisy") PrintNoisy(r);
    if (protocol == "lds") PrintLds(r);
  }

 private:
  bool quiet_, progress_;
  std::string label_;
  std::optional<ProgressLine> line_;
};

}  // namespace

int RunAttributionEval(const Common& c, const AttributionEvalArgs& a) {
  EvalPrinter printer(c.json, ShowProgress(c));
  auto report = attribution::RunEvaluation(a, &printer);
  if (!report.ok()) return Fail(report.status());
  if (c.json) {
    PrintJson(*report);
  } else {
    std::cout << "wrote " << (std::filesystem::path(a.out) / "eval.json").string() << " ("
              << Fmt((*report)["wall_seconds"].get<double>(), 0) << " s in all)\n";
  }
  return 0;
}

}  // namespace tributary::cli
