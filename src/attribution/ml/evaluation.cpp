// RunEvaluation: checks the options, loads the base once and runs the protocols it names.
#include "tributary/attribution/evaluation.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <set>

#include "attribution/ml/evaluation-harness.h"
#include "tributary/attribution/index_catalog.h"
#include "tributary/base/file_io.h"

namespace tributary::attribution {

Status EvaluationOptions::Validate() const {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m, "bad_option"); };
  if (protocol != "planted" && protocol != "noisy" && protocol != "lds" && protocol != "all") {
    return bad("--protocol must be planted, noisy, lds or all");
  }
  if (base.empty() || out.empty()) return bad("--base DIR and --out DIR are required");
  const bool planted = protocol == "planted" || protocol == "all";
  if (contributions < 2 || (planted && (facts < 1 || facts > contributions))) {
    return bad(
        "--contributions must be >= 2 and --facts between 1 and --contributions (one fact per "
        "contribution)");
  }
  if (planted && distractors < contributions) {
    return bad("--distractors must be at least --contributions");
  }
  if (subsets < 2 || lds_contributions < 4) {
    return bad("--subsets must be >= 2 and --lds-contributions >= 4");
  }
  if (epochs < 0 || sketch_dim < 16 || sketch_base_dim < 0 || !(lr > 0)) {
    return bad("--epochs must be >= 0, --sketch-dim >= 16, --sketch-base-dim >= 0, --lr > 0");
  }
  for (const auto& [method, floor] : {std::pair<const char*, double>{"trak", trak_floor},
                                      std::pair<const char*, double>{"tracin", tracin_floor}}) {
    auto co = CombineOptions::ForMethod(method);
    if (floor >= 0) co.cosine_floor = floor;
    if (Status s = co.Validate(); !s.ok()) {
      return bad(std::string("--") + method + "-floor: " + s.message());
    }
  }
  return Status::OK();
}

Result<nlohmann::json> RunEvaluation(const EvaluationOptions& options,
                                     EvaluationObserver* observer) {
  using eval::json;
  namespace fs = std::filesystem;
  TRIB_RETURN_IF_ERROR(options.Validate());
  EvaluationObserver silent;
  eval::Env env;
  env.options = &options;
  env.observer = observer ? observer : &silent;
  env.base_dir = options.base;
  const auto t0 = eval::Clock::now();
  TRIB_ASSIGN_OR_RETURN(env.base, model::LlamaModel::Load(options.base));
  TRIB_ASSIGN_OR_RETURN(auto tokenizer, model::Tokenizer::FromDirectory(options.base));
  env.tokenizer.emplace(std::move(tokenizer));
  TRIB_ASSIGN_OR_RETURN(env.tokenizer_id,
                        TokenizerIdOfFile(fs::path(options.base) / "tokenizer.json"));
  env.max_seq_len = std::min<int64_t>(128, env.base->config().max_position_embeddings);
  TRIB_ASSIGN_OR_RETURN(auto fortunes, eval::LoadFortunes(options.fortunes));

  const fs::path out = options.out;
  json report = {{"format", "tributary/attribution-eval/v1"},
                 {"parameters",
                  {{"base", fs::absolute(options.base).string()},
                   {"protocol", options.protocol},
                   {"facts", options.facts},
                   {"distractors", options.distractors},
                   {"contributions", options.contributions},
                   {"lds_contributions", options.lds_contributions},
                   {"epochs", options.epochs},
                   {"subsets", options.subsets},
                   {"seed", options.seed},
                   {"lr", options.lr},
                   {"sketch_dim", options.sketch_dim},
                   {"sketch_base_dim", options.sketch_base_dim},
                   {"trak_floor", options.trak_floor},
                   {"tracin_floor", options.tracin_floor},
                   {"max_seq_len", env.max_seq_len},
                   {"lora", eval::TrainOpts(env, 1).lora.ToJson()},
                   {"batch_size", eval::TrainOpts(env, 1).batch_size},
                   {"fortunes", options.fortunes},
                   {"torch_threads", at::get_num_threads()}}}};
  using Protocol =
      Result<json> (*)(const eval::Env&, const std::vector<std::string>&, const fs::path&);
  const std::pair<const char*, Protocol> protocols[] = {
      {"planted", eval::RunPlanted}, {"noisy", eval::RunNoisy}, {"lds", eval::RunLds}};
  for (const auto& [name, run] : protocols) {
    if (options.protocol != "all" && options.protocol != name) continue;
    const fs::path dir = out / name;
    // Every run starts from nothing, so results never mix runs, except for the trained adapters
    // (the protocol's, and LDS's half-data ones in subset-N), which Train reuses only when they
    // were trained on the same examples with the same options.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name != "adapter" && name.rfind("subset-", 0) != 0) fs::remove_all(e.path(), ec);
    }
    ec.clear();
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
    TRIB_ASSIGN_OR_RETURN(json r, run(env, fortunes, dir));
    report[name] = r;
    env.observer->ProtocolDone(name, r);
  }
  report["wall_seconds"] = eval::Since(t0);
  TRIB_RETURN_IF_ERROR(WriteFileAtomic(out / "eval.json", report.dump(2) + "\n"));
  return report;
}

}  // namespace tributary::attribution
