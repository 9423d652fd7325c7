#include "tributary/model/lora.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "tributary/model/llama.h"
#include "tributary/model/safetensors.h"
#include "tributary/model/tensor.h"

namespace tributary::model {
namespace {

using json = nlohmann::json;

Status Bad(const std::string& source, const std::string& msg) {
  return Status::InvalidArgument(source + ": " + msg, "bad_adapter");
}

bool IsAttention(const std::string& module) {
  return module == "q_proj" || module == "k_proj" || module == "v_proj" || module == "o_proj";
}

std::string ModulePath(int64_t layer, const std::string& module) {
  return "model.layers." + std::to_string(layer) + (IsAttention(module) ? ".self_attn." : ".mlp.") +
         module;
}

// PEFT matches pattern keys against the module path with re.match(rf".*\.{key}$", path).
bool PatternMatches(const std::string& key, const std::string& path) {
  if (path == key) return true;
  return path.size() > key.size() && path.compare(path.size() - key.size(), key.size(), key) == 0 &&
         path[path.size() - key.size() - 1] == '.';
}

// [out, in] of a projection in the base model.
std::pair<int64_t, int64_t> ModuleShape(const ModelConfig& c, const std::string& module) {
  const int64_t q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
  if (module == "q_proj") return {q, c.hidden_size};
  if (module == "k_proj" || module == "v_proj") return {kv, c.hidden_size};
  if (module == "o_proj") return {c.hidden_size, q};
  if (module == "gate_proj" || module == "up_proj") return {c.intermediate_size, c.hidden_size};
  return {c.hidden_size, c.intermediate_size};
}

// One adapted module of a base: where it is and the shapes its A [rank, in] and B [out, rank]
// must have.
struct TargetSlot {
  int64_t layer;
  std::string module;
  int64_t rank, out, in;
  double scale;
};

std::vector<TargetSlot> TargetSlots(const LoraConfig& config, const ModelConfig& mc) {
  std::vector<TargetSlot> slots;
  // PEFT targets a module when its path is a target or ends with "." + target, so a target may
  // be a short name ("q_proj", every layer) or a path ("model.layers.0.mlp.up_proj", one).
  for (int64_t layer = 0; layer < mc.num_hidden_layers; ++layer) {
    for (const std::string& module : LoraModuleNames()) {
      const std::string path = ModulePath(layer, module);
      const bool targeted =
          std::any_of(config.target_modules.begin(), config.target_modules.end(),
                      [&](const std::string& t) { return PatternMatches(t, path); });
      if (!targeted) continue;
      auto [out, in] = ModuleShape(mc, module);
      slots.push_back({layer, module, config.RankFor(path), out, in, config.ScaleFor(path)});
    }
  }
  return slots;
}

std::string Shape(const std::vector<int64_t>& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

}  // namespace

const std::vector<std::string>& LoraModuleNames() {
  static const std::vector<std::string> names = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                                 "gate_proj", "up_proj", "down_proj"};
  return names;
}

Result<LoraConfig> LoraConfig::FromJson(const json& j, const std::string& source) {
  if (!j.is_object()) return Bad(source, "must be a JSON object");
  LoraConfig c;
  if (j.contains("peft_type") && j["peft_type"] != "LORA") {
    return Bad(source, "peft_type " + j["peft_type"].dump() + " is not LORA");
  }
  if (!j.contains("r") || !j["r"].is_number_integer() || j["r"].get<int64_t>() <= 0) {
    return Bad(source, "'r' must be a positive integer");
  }
  c.r = j["r"].get<int64_t>();
  if (!j.contains("lora_alpha") || !j["lora_alpha"].is_number()) {
    return Bad(source, "'lora_alpha' must be a number");
  }
  c.lora_alpha = j["lora_alpha"].get<double>();
  if (j.contains("bias") && j["bias"] != "none") {
    return Bad(source, "'bias' " + j["bias"].dump() + " is not supported (only \"none\")");
  }
  const json& t = j.contains("target_modules") ? j["target_modules"] : json();
  if (t.is_string() && t == "all-linear") {
    c.target_modules = LoraModuleNames();
  } else if (t.is_array() && !t.empty()) {
    c.target_modules.clear();
    for (const json& m : t) {
      std::string name = m.is_string() ? m.get<std::string>() : "";
      const auto& known = LoraModuleNames();
      const std::string last = name.substr(name.find_last_of('.') + 1);
      if (std::find(known.begin(), known.end(), last) == known.end()) {
        return Bad(source, "target module " + m.dump() +
                               " is not a Llama projection (q_proj, k_proj, v_proj, o_proj, "
                               "gate_proj, up_proj, down_proj)");
      }
      c.target_modules.push_back(name);
    }
  } else {
    return Bad(source, "'target_modules' must be a list of module names or \"all-linear\"");
  }
  for (const char* key : {"layers_to_transform", "layers_pattern"}) {
    if (j.contains(key) && !j[key].is_null() && !(j[key].is_array() && j[key].empty())) {
      return Bad(source, std::string("'") + key + "' is not supported");
    }
  }
  if (j.contains("rank_pattern") && j["rank_pattern"].is_object()) {
    for (auto it = j["rank_pattern"].begin(); it != j["rank_pattern"].end(); ++it) {
      if (!it.value().is_number_integer() || it.value().get<int64_t>() <= 0) {
        return Bad(source, "rank_pattern['" + it.key() + "'] must be a positive integer");
      }
      c.rank_pattern[it.key()] = it.value().get<int64_t>();
    }
  }
  if (j.contains("alpha_pattern") && j["alpha_pattern"].is_object()) {
    for (auto it = j["alpha_pattern"].begin(); it != j["alpha_pattern"].end(); ++it) {
      if (!it.value().is_number())
        return Bad(source, "alpha_pattern['" + it.key() + "'] must be a number");
      c.alpha_pattern[it.key()] = it.value().get<double>();
    }
  }
  if (j.contains("use_dora") && j["use_dora"] == true)
    return Bad(source, "'use_dora' is not supported");
  for (const char* field : {"layers_to_transform", "layers_pattern", "layer_replication"}) {
    if (j.contains(field) && !j[field].is_null()) {
      return Bad(source, std::string("'") + field + "' is not supported");
    }
  }
  if (j.contains("lora_dropout") && !j["lora_dropout"].is_null()) {
    if (!j["lora_dropout"].is_number() || j["lora_dropout"].get<double>() < 0 ||
        j["lora_dropout"].get<double>() >= 1) {
      return Bad(source, "'lora_dropout' must be a number in [0, 1)");
    }
    c.lora_dropout = j["lora_dropout"].get<double>();
  }
  c.use_rslora = j.value("use_rslora", false);
  c.fan_in_fan_out = j.value("fan_in_fan_out", false);
  if (j.contains("base_model_name_or_path") && j["base_model_name_or_path"].is_string()) {
    c.base_model_name_or_path = j["base_model_name_or_path"].get<std::string>();
  }
  return c;
}

json LoraConfig::ToJson() const {
  return {{"peft_type", "LORA"},
          {"task_type", "CAUSAL_LM"},
          {"r", r},
          {"lora_alpha", lora_alpha},
          {"lora_dropout", lora_dropout},
          {"target_modules", target_modules},
          {"rank_pattern", rank_pattern},
          {"alpha_pattern", alpha_pattern},
          {"use_rslora", use_rslora},
          {"fan_in_fan_out", fan_in_fan_out},
          {"bias", "none"},
          {"inference_mode", true},
          {"base_model_name_or_path", base_model_name_or_path}};
}

int64_t LoraConfig::RankFor(const std::string& path) const {
  for (const auto& [key, rank] : rank_pattern) {
    if (PatternMatches(key, path)) return rank;
  }
  return r;
}

double LoraConfig::ScaleFor(const std::string& path) const {
  double alpha = lora_alpha;
  for (const auto& [key, a] : alpha_pattern) {
    if (PatternMatches(key, path)) {
      alpha = a;
      break;
    }
  }
  double rank = static_cast<double>(RankFor(path));
  return use_rslora ? alpha / std::sqrt(rank) : alpha / rank;
}

std::string LoraAdapter::PeftKey(int64_t layer, const std::string& module, char which) {
  return "base_model.model." + ModulePath(layer, module) + ".lora_" + std::string(1, which) +
         ".weight";
}

const LoraWeights* LoraAdapter::Find(int64_t layer, const std::string& module) const {
  auto it = weights_.find({layer, module});
  return it == weights_.end() ? nullptr : &it->second;
}

Result<LoraAdapter> LoraAdapter::Load(const std::filesystem::path& dir, const LlamaModel& base,
                                      std::optional<torch::ScalarType> storage) {
  auto config_path = dir / "adapter_config.json";
  std::ifstream in(config_path);
  if (!in) return Status::NotFound(config_path.string() + ": cannot read", "file_not_found");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return Bad(config_path.string(), "is not valid JSON");
  LoraAdapter adapter;
  TRIB_ASSIGN_OR_RETURN(adapter.config_, LoraConfig::FromJson(j, config_path.string()));

  auto weights_path = dir / "adapter_model.safetensors";
  TRIB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(weights_path));
  const ModelConfig& mc = base.config();
  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  for (const TargetSlot& slot : TargetSlots(adapter.config_, mc)) {
    LoraWeights w;
    w.scale = slot.scale;
    for (char which : {'A', 'B'}) {
      std::string key = PeftKey(slot.layer, slot.module, which);
      expected.insert(key);
      const TensorInfo* info = file->Find(key);
      if (!info) {
        return Status::NotFound(weights_path.string() + ": tensor '" + key + "' is missing",
                                "missing_tensor");
      }
      std::vector<int64_t> want = which == 'A' ? std::vector<int64_t>{slot.rank, slot.in}
                                               : std::vector<int64_t>{slot.out, slot.rank};
      if (info->shape != want) {
        return Status::InvalidArgument(weights_path.string() + ": tensor '" + key + "' has shape " +
                                           Shape(info->shape) + " but the base model needs " +
                                           Shape(want) + " (an adapter for another base?)",
                                       "adapter_mismatch");
      }
      // Kept on the base's device, where Forward uses them.
      torch::Tensor t =
          TensorView(*file, *info).to(storage.value_or(base.dtype())).to(base.device()).clone();
      (which == 'A' ? w.a : w.b) = t;
    }
    adapter.weights_[{slot.layer, slot.module}] = std::move(w);
  }
  for (const auto& t : file->tensors()) {
    if (!expected.count(t.name)) {
      return Status::InvalidArgument(weights_path.string() + ": unexpected tensor '" + t.name +
                                         "' (an adapter for another base, or a config that does "
                                         "not list its module?)",
                                     "adapter_mismatch");
    }
  }
  return adapter;
}

LoraAdapter LoraAdapter::Random(const LlamaModel& base, LoraConfig config, uint64_t seed) {
  LoraAdapter adapter;
  adapter.config_ = std::move(config);
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const TargetSlot& slot : TargetSlots(adapter.config_, base.config())) {
    LoraWeights w;
    w.scale = slot.scale;
    w.a = torch::empty({slot.rank, slot.in}).normal_(0.0, 1.0 / std::sqrt(slot.in), gen);
    w.b = torch::empty({slot.out, slot.rank}).normal_(0.0, 0.02, gen);
    w.a = w.a.to(base.dtype()).to(base.device());
    w.b = w.b.to(base.dtype()).to(base.device());
    adapter.weights_[{slot.layer, slot.module}] = std::move(w);
  }
  return adapter;
}

LoraAdapter LoraAdapter::Init(const LlamaModel& base, LoraConfig config, uint64_t seed) {
  LoraAdapter adapter;
  adapter.config_ = std::move(config);
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const TargetSlot& slot : TargetSlots(adapter.config_, base.config())) {
    LoraWeights w;
    w.scale = slot.scale;
    // PEFT: kaiming_uniform_(a=sqrt(5)) on A, i.e. U(-1/sqrt(in), 1/sqrt(in)); B = 0.
    const double bound = 1.0 / std::sqrt(static_cast<double>(slot.in));
    w.a = torch::empty({slot.rank, slot.in}).uniform_(-bound, bound, gen);
    w.b = torch::zeros({slot.out, slot.rank});
    w.a = w.a.to(base.dtype()).to(base.device());
    w.b = w.b.to(base.dtype()).to(base.device());
    adapter.weights_[{slot.layer, slot.module}] = std::move(w);
  }
  return adapter;
}

std::vector<std::pair<std::string, torch::Tensor>> LoraAdapter::NamedParameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& [key, w] : weights_) {
    out.emplace_back(PeftKey(key.first, key.second, 'A'), w.a);
    out.emplace_back(PeftKey(key.first, key.second, 'B'), w.b);
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return out;
}

std::vector<LoraSlotWeights> LoraAdapter::Slots() const {
  std::vector<LoraSlotWeights> out;
  for (const auto& [key, w] : weights_) out.push_back({key.first, key.second, &w});
  return out;
}

Status LoraAdapter::Save(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  std::vector<torch::Tensor> keep;
  std::vector<TensorData> tensors;
  for (const auto& [key, w] : weights_) {
    for (char which : {'A', 'B'}) {
      torch::Tensor t = (which == 'A' ? w.a : w.b).to(torch::kFloat32).contiguous();
      keep.push_back(t);
      tensors.push_back({PeftKey(key.first, key.second, which), DType::kF32, t.sizes().vec(),
                         ByteView(static_cast<const uint8_t*>(t.data_ptr()),
                                  static_cast<size_t>(t.numel()) * 4)});
    }
  }
  TRIB_RETURN_IF_ERROR(
      WriteSafetensors(dir / "adapter_model.safetensors", tensors, {{"format", "pt"}}));
  std::ofstream out(dir / "adapter_config.json");
  out << config_.ToJson().dump(2) << "\n";
  if (!out) return Status::IOError("cannot write " + (dir / "adapter_config.json").string());
  return Status::OK();
}

}  // namespace tributary::model
