#include "tributary/factory/sketch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "tributary/base/bytes.h"
#include "tributary/base/hash.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"

namespace tributary::factory {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr char kMagic[8] = {'T', 'R', 'B', 'S', 'K', 'C', 'H', '1'};
constexpr size_t kHeaderBytes = 128;
constexpr size_t kKeyBytes = 128;
// Separates the base segment's projections from the adapter segment's ("BASECKPT").
constexpr uint64_t kBaseSalt = 0x42415345434B5054ULL;

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t z = a ^ (b * 0x9E3779B97F4A7C15ULL) ^ (c * 0xC2B2AE3D27D4EB4FULL);
  return Mix64(z + 0x9E3779B97F4A7C15ULL);
}

int64_t ModuleIndex(const std::string& m) {
  const auto& names = model::LoraModuleNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == m) return static_cast<int64_t>(i);
  }
  return -1;
}

void PutU32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU64(std::string& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
uint32_t GetU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

size_t Align64(size_t n) { return (n + 63) / 64 * 64; }

}  // namespace

Result<SketchProjection> SketchProjection::Create(const model::LoraAdapter& adapter,
                                                  const SketchOptions& options) {
  SketchProjection p;
  p.seed_ = options.seed;
  int64_t rank_sum = 0;
  for (const auto& slot : adapter.Slots()) {
    Module m;
    m.layer = slot.layer;
    m.module = slot.module;
    m.r = slot.weights->a.size(0);
    m.in = slot.weights->a.size(1);
    m.out = slot.weights->b.size(0);
    m.scale = slot.weights->scale;
    rank_sum += m.r;
    p.modules_.push_back(std::move(m));
  }
  if (p.modules_.empty()) return Status::InvalidArgument("the adapter targets no module");
  if (options.dim < 1) return Status::InvalidArgument("sketch dim must be positive", "bad_option");
  if (options.base_dim < 0) {
    return Status::InvalidArgument("the base sketch dim must not be negative", "bad_option");
  }
  p.k_ = std::max<int64_t>(1, options.dim / (2 * rank_sum));
  const auto modules = static_cast<int64_t>(p.modules_.size());
  if (options.base_dim > 0) {
    p.base_k_ = std::max<int64_t>(
        1, static_cast<int64_t>(std::sqrt(static_cast<double>(options.base_dim / modules))));
    // sqrt of a double can land a hair below an exact square.
    while ((p.base_k_ + 1) * (p.base_k_ + 1) * modules <= options.base_dim) ++p.base_k_;
    p.base_dim_ = modules * p.base_k_ * p.base_k_;
  }
  p.dim_ = 2 * p.k_ * rank_sum + p.base_dim_;
  torch::NoGradGuard no_grad;
  const double sd = 1.0 / std::sqrt(static_cast<double>(p.k_));
  const double base_sd = p.base_k_ > 0 ? 1.0 / std::sqrt(static_cast<double>(p.base_k_)) : 0;
  for (auto& m : p.modules_) {
    const auto layer = static_cast<uint64_t>(m.layer);
    const auto module = static_cast<uint64_t>(ModuleIndex(m.module));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(Mix(p.seed_, layer, module));
    m.r_in = torch::empty({p.k_, m.in}).normal_(0.0, sd, gen);
    m.r_out = torch::empty({p.k_, m.out}).normal_(0.0, sd, gen);
    if (p.base_k_ > 0) {
      auto base_gen =
          at::make_generator<at::CPUGeneratorImpl>(Mix(p.seed_ ^ kBaseSalt, layer, module));
      m.q_in = torch::empty({p.base_k_, m.in}).normal_(0.0, base_sd, base_gen);
      m.q_out = torch::empty({p.base_k_, m.out}).normal_(0.0, base_sd, base_gen);
    }
  }
  return p;
}

json SketchProjection::ToJson() const {
  json mods = json::array();
  for (const auto& m : modules_) {
    mods.push_back({{"layer", m.layer},
                    {"module", m.module},
                    {"r", m.r},
                    {"in", m.in},
                    {"out", m.out},
                    {"scale", m.scale}});
  }
  json j{{"method", "lora_kronecker_projection"},
         {"loss", "mean token cross-entropy over the example's loss positions"},
         {"seed", seed_},
         {"k", k_},
         {"dim", dim_},
         {"layout", "per module in (layer, module) order: S_A [r, k] then S_B [k, r]"},
         {"modules", mods}};
  if (base_k_ > 0) {
    j["base_checkpoint"] = {
        {"k", base_k_},
        {"dim", base_dim_},
        {"offset", dim_ - base_dim_},
        {"layout",
         "after the adapter's segment, per module in (layer, module) order: Q_out (dL/dW) Q_in^T "
         "[k, k] at the base model without the adapter"}};
  }
  return j;
}

Result<torch::Tensor> SketchProjection::Compute(const model::LlamaModel& base,
                                                const model::LoraAdapter& adapter,
                                                const std::vector<const Example*>& examples,
                                                int64_t batch_size) const {
  const int64_t n = static_cast<int64_t>(examples.size());
  torch::Tensor out = torch::zeros({n, dim_});
  if (n == 0) return out;
  std::map<std::pair<int64_t, std::string>, size_t> index;
  for (size_t i = 0; i < modules_.size(); ++i) index[{modules_[i].layer, modules_[i].module}] = i;
  // The base checkpoint's pass runs the base with an adapter whose B is zero: it changes no
  // output, and the gradient reaching its low-rank output is the module's output gradient g⁰_t.
  std::optional<model::LoraAdapter> zero;
  if (base_k_ > 0) {
    model::LoraConfig zc;
    zc.r = 1;
    zc.lora_alpha = 1;
    zc.target_modules = adapter.config().target_modules;
    zero.emplace(model::LoraAdapter::Init(base, zc, seed_));
  }
  std::vector<torch::Tensor> params;
  for (auto& [name, t] : adapter.NamedParameters()) params.push_back(t);
  if (zero) {
    for (auto& [name, t] : zero->NamedParameters()) params.push_back(t);
  }
  std::vector<bool> had_grad;
  for (auto& t : params) {
    had_grad.push_back(t.requires_grad());
    t.requires_grad_(true);  // so the adapted outputs are in the graph
  }
  auto restore = [&] {
    for (size_t i = 0; i < params.size(); ++i) params[i].requires_grad_(had_grad[i]);
  };
  // Column offset of each module in the adapter's segment and in the base segment.
  std::vector<int64_t> col(modules_.size()), base_col(modules_.size());
  int64_t acc = 0;
  for (size_t i = 0; i < modules_.size(); ++i) {
    col[i] = acc;
    acc += 2 * modules_[i].r * k_;
  }
  for (size_t i = 0; i < modules_.size(); ++i) {
    base_col[i] = acc;
    acc += base_k_ * base_k_;
  }
  const torch::Device dev = base.device();
  struct Captured {
    size_t module;
    torch::Tensor x, delta;
  };
  try {
    for (int64_t b0 = 0; b0 < n; b0 += std::max<int64_t>(1, batch_size)) {
      const int64_t b1 = std::min(n, b0 + std::max<int64_t>(1, batch_size));
      const int64_t nb = b1 - b0;
      std::vector<int64_t> rows, targets, example_of_row;
      std::vector<double> weights;
      int64_t offset = 0;
      for (int64_t e = b0; e < b1; ++e) {
        const Example& ex = *examples[static_cast<size_t>(e)];
        const double w = 1.0 / static_cast<double>(std::max<int64_t>(1, ex.loss_tokens()));
        for (size_t t = static_cast<size_t>(ex.loss_start); t < ex.tokens.size(); ++t) {
          rows.push_back(offset + static_cast<int64_t>(t) - 1);
          targets.push_back(ex.tokens[t]);
          weights.push_back(w);
        }
        for (size_t t = 0; t < ex.tokens.size(); ++t) example_of_row.push_back(e - b0);
        offset += static_cast<int64_t>(ex.tokens.size());
      }
      const auto ex_index = torch::tensor(example_of_row, torch::kInt64).to(dev);
      // One teacher-forced pass under `with`: each hooked module's input and the gradient of
      // Σ over examples of each one's mean token loss with respect to its low-rank output. Rows
      // of different examples never mix (attention stays within a sequence), so each row's
      // gradient is its own example's.
      auto pass = [&](const model::LoraAdapter& with, std::vector<Captured>& captured,
                      std::vector<torch::Tensor>& grads) -> Status {
        std::vector<model::KvCache> caches(static_cast<size_t>(nb));
        std::vector<model::SequenceInput> inputs;
        for (int64_t e = b0; e < b1; ++e) {
          inputs.push_back(
              {examples[static_cast<size_t>(e)]->tokens, &caches[static_cast<size_t>(e - b0)], 0});
        }
        model::LoraHooks hooks = [&](int, int64_t layer, const std::string& module,
                                     const torch::Tensor& x, const torch::Tensor& delta) {
          captured.push_back({index.at({layer, module}), x, delta});
        };
        const std::vector<const model::LoraAdapter*> adapters = {&with};
        TRIB_ASSIGN_OR_RETURN(torch::Tensor logits,
                              base.Forward(inputs, adapters, false, false, &hooks));
        auto ce = torch::nn::functional::cross_entropy(
            logits.index_select(0, torch::tensor(rows, torch::kInt64).to(dev)),
            torch::tensor(targets, torch::kInt64).to(dev),
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
        auto loss =
            (ce * torch::tensor(weights, torch::kFloat64).to(ce.scalar_type()).to(dev)).sum();
        std::vector<torch::Tensor> deltas;
        for (const auto& c : captured) deltas.push_back(c.delta);
        grads = torch::autograd::grad({loss}, deltas, {}, false, false, true);
        for (auto& g : grads) {
          if (g.defined()) g = g.to(torch::kFloat32);
        }
        return Status::OK();
      };
      std::vector<Captured> captured;
      std::vector<torch::Tensor> grads;
      if (Status st = pass(adapter, captured, grads); !st.ok()) {
        restore();
        return st;
      }
      {
        torch::NoGradGuard no_grad;
        for (size_t ci = 0; ci < captured.size(); ++ci) {
          const Module& m = modules_[captured[ci].module];
          const model::LoraWeights* w = adapter.Find(m.layer, m.module);
          torch::Tensor g = grads[ci].defined()
                                ? grads[ci]
                                : torch::zeros_like(captured[ci].delta, torch::kFloat32);
          torch::Tensor x = captured[ci].x.detach().to(torch::kFloat32);
          torch::Tensor a = w->a.detach().to(torch::kFloat32),
                        bm = w->b.detach().to(torch::kFloat32);
          auto u = g.matmul(bm) * m.scale;          // [T, r]  = s Bᵀ g_t
          auto xp = x.matmul(m.r_in.to(dev).t());   // [T, k]  = R_in x_t
          auto v = x.matmul(a.t()) * m.scale;       // [T, r]  = s A x_t
          auto gp = g.matmul(m.r_out.to(dev).t());  // [T, k]  = R_out g_t
          auto sa = torch::zeros({nb, m.r, k_}, torch::TensorOptions().device(dev));
          sa.index_add_(0, ex_index, u.unsqueeze(2) * xp.unsqueeze(1));
          auto sb = torch::zeros({nb, k_, m.r}, torch::TensorOptions().device(dev));
          sb.index_add_(0, ex_index, gp.unsqueeze(2) * v.unsqueeze(1));
          auto block = torch::cat({sa.reshape({nb, m.r * k_}), sb.reshape({nb, k_ * m.r})}, 1);
          out.narrow(0, b0, nb).narrow(1, col[captured[ci].module], 2 * m.r * k_).add_(block.cpu());
        }
      }
      if (!zero) continue;
      captured.clear();
      grads.clear();
      if (Status st = pass(*zero, captured, grads); !st.ok()) {
        restore();
        return st;
      }
      torch::NoGradGuard no_grad;
      for (size_t ci = 0; ci < captured.size(); ++ci) {
        const Module& m = modules_[captured[ci].module];
        if (!grads[ci].defined()) continue;  // the loss does not reach this module
        torch::Tensor x = captured[ci].x.detach().to(torch::kFloat32);
        auto gq = grads[ci].matmul(m.q_out.to(dev).t());  // [T, kb] = Q_out g⁰_t
        auto xq = x.matmul(m.q_in.to(dev).t());           // [T, kb] = Q_in x⁰_t
        auto sw = torch::zeros({nb, base_k_, base_k_}, torch::TensorOptions().device(dev));
        sw.index_add_(0, ex_index, gq.unsqueeze(2) * xq.unsqueeze(1));
        out.narrow(0, b0, nb)
            .narrow(1, base_col[captured[ci].module], base_k_ * base_k_)
            .add_(sw.reshape({nb, base_k_ * base_k_}).cpu());
      }
    }
  } catch (const c10::Error& e) {
    restore();
    return Status::Internal(std::string("sketching failed: ") + e.what_without_backtrace());
  } catch (const std::out_of_range&) {
    restore();
    return Status::Internal("a hooked module is not in the projection");
  }
  restore();
  return out;
}

Result<torch::Tensor> SketchProjection::ProjectBaseGradients(
    const std::map<std::pair<int64_t, std::string>, torch::Tensor>& grads) const {
  if (base_k_ == 0) return Status::FailedPrecondition("the projection has no base segment");
  std::vector<torch::Tensor> parts;
  for (const auto& m : modules_) {
    auto g = grads.find({m.layer, m.module});
    if (g == grads.end()) {
      return Status::InvalidArgument("no gradient for layer " + std::to_string(m.layer) + " " +
                                     m.module);
    }
    parts.push_back(
        m.q_out.matmul(g->second.to(torch::kFloat32).cpu()).matmul(m.q_in.t()).reshape({-1}));
  }
  return torch::cat(parts);
}

Result<torch::Tensor> SketchProjection::ProjectGradients(
    const std::vector<std::pair<std::string, torch::Tensor>>& named_grads) const {
  std::map<std::string, torch::Tensor> by_key(named_grads.begin(), named_grads.end());
  std::vector<torch::Tensor> parts;
  for (const auto& m : modules_) {
    auto ga = by_key.find(model::LoraAdapter::PeftKey(m.layer, m.module, 'A'));
    auto gb = by_key.find(model::LoraAdapter::PeftKey(m.layer, m.module, 'B'));
    if (ga == by_key.end() || gb == by_key.end()) {
      return Status::InvalidArgument("no gradient for layer " + std::to_string(m.layer) + " " +
                                     m.module);
    }
    parts.push_back(ga->second.to(torch::kFloat32).cpu().matmul(m.r_in.t()).reshape({-1}));
    parts.push_back(m.r_out.matmul(gb->second.to(torch::kFloat32).cpu()).reshape({-1}));
  }
  return torch::cat(parts);
}

Status WriteSketches(const fs::path& path, const model::LlamaModel& base,
                     const model::LoraAdapter& adapter, const std::vector<const Example*>& examples,
                     const SketchOptions& options,
                     const std::function<void(int64_t, int64_t)>& progress,
                     const std::function<bool()>& should_stop) {
  TRIB_ASSIGN_OR_RETURN(SketchProjection proj, SketchProjection::Create(adapter, options));
  const uint64_t count = examples.size();
  const std::string desc = proj.ToJson().dump();
  const size_t json_offset = kHeaderBytes;
  const size_t keys_offset = Align64(json_offset + desc.size());
  const size_t matrix_offset = Align64(keys_offset + count * kKeyBytes);
  std::string head(matrix_offset, '\0');
  std::memcpy(head.data(), kMagic, 8);
  PutU32(head, 8, 1);
  PutU32(head, 12, options.half ? 1 : 0);
  PutU32(head, 16, static_cast<uint32_t>(proj.dim()));
  PutU64(head, 24, count);
  PutU64(head, 32, proj.seed());
  PutU64(head, 40, json_offset);
  PutU64(head, 48, desc.size());
  PutU64(head, 56, keys_offset);
  PutU64(head, 64, matrix_offset);
  std::memcpy(head.data() + json_offset, desc.data(), desc.size());
  for (uint64_t i = 0; i < count; ++i) {
    const Example& e = *examples[i];
    char* rec = head.data() + keys_offset + i * kKeyBytes;
    auto row = FromHex(e.row_id);
    auto contribution = FromHex(e.contribution);
    if (!row.ok() || row->size() != 32 || !contribution.ok() || contribution->size() != 32) {
      return Status::InvalidArgument("example " + std::to_string(i) +
                                     " lacks a 64-hex row or contribution id");
    }
    std::memcpy(rec, row->data(), 32);
    std::memcpy(rec + 32, contribution->data(), 32);
    std::memcpy(rec + 64, e.contributor.data(), std::min<size_t>(64, e.contributor.size()));
  }
  fs::path tmp = path;
  tmp += ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IOError("cannot write " + tmp.string());
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  const int64_t chunk = 64;
  for (int64_t b0 = 0; b0 < static_cast<int64_t>(count); b0 += chunk) {
    if (should_stop && should_stop()) {
      out.close();
      std::error_code rm;
      fs::remove(tmp, rm);
      return Status::FailedPrecondition("sketching was interrupted", "interrupted");
    }
    const int64_t b1 = std::min<int64_t>(static_cast<int64_t>(count), b0 + chunk);
    std::vector<const Example*> part(examples.begin() + b0, examples.begin() + b1);
    TRIB_ASSIGN_OR_RETURN(torch::Tensor s, proj.Compute(base, adapter, part, options.batch_size));
    torch::Tensor t = (options.half ? s.to(torch::kFloat16) : s).contiguous();
    out.write(static_cast<const char*>(t.data_ptr()),
              static_cast<std::streamsize>(t.numel() * t.element_size()));
    if (progress) progress(b1, static_cast<int64_t>(count));
  }
  out.flush();
  if (!out) return Status::IOError("cannot write " + tmp.string());
  out.close();
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::OK();
}

SketchFile::~SketchFile() {
  if (map_) ::munmap(map_, size_);
}

Result<std::unique_ptr<SketchFile>> SketchFile::Open(const fs::path& path) {
  auto bad = [&](const std::string& m) {
    return Status::Corruption(path.string() + ": " + m, "bad_sketches");
  };
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Status::NotFound("cannot open " + path.string(), "no_sketches");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError("cannot stat " + path.string());
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < kHeaderBytes) {
    ::close(fd);
    return bad("too short for a header");
  }
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return Status::IOError("cannot map " + path.string());
  std::unique_ptr<SketchFile> f(new SketchFile());
  f->map_ = map;
  f->size_ = size;
  const auto* b = static_cast<const uint8_t*>(map);
  if (std::memcmp(b, kMagic, 8) != 0) return bad("not a sketch file (bad magic)");
  if (GetU32(b + 8) != 1) return bad("unknown format version");
  const uint32_t dtype = GetU32(b + 12);
  if (dtype > 1) return bad("unknown dtype");
  f->half_ = dtype == 1;
  f->dim_ = GetU32(b + 16);
  f->count_ = static_cast<int64_t>(GetU64(b + 24));
  f->seed_ = GetU64(b + 32);
  const uint64_t json_offset = GetU64(b + 40), json_len = GetU64(b + 48);
  f->keys_offset_ = GetU64(b + 56);
  f->matrix_offset_ = GetU64(b + 64);
  const uint64_t elem = f->half_ ? 2 : 4;
  const uint64_t count = static_cast<uint64_t>(f->count_);
  if (f->dim_ == 0 || json_offset > size || json_len > size - json_offset ||
      f->keys_offset_ > size || count > (size - f->keys_offset_) / kKeyBytes ||
      f->matrix_offset_ > size || f->matrix_offset_ % 64 != 0 ||
      count * static_cast<uint64_t>(f->dim_) > (size - f->matrix_offset_) / elem) {
    return bad("offsets or sizes do not fit the file of " + std::to_string(size) + " bytes");
  }
  f->description_ = json::parse(
      std::string(reinterpret_cast<const char*>(b + json_offset), json_len), nullptr, false);
  if (f->description_.is_discarded()) return bad("the description is not JSON");
  return f;
}

SketchKey SketchFile::Key(int64_t i) const {
  const auto* rec =
      static_cast<const uint8_t*>(map_) + keys_offset_ + static_cast<size_t>(i) * kKeyBytes;
  SketchKey k;
  k.row_id = ToHex(ByteView(rec, 32));
  k.contribution = ToHex(ByteView(rec + 32, 32));
  const char* c = reinterpret_cast<const char*>(rec + 64);
  k.contributor.assign(c, strnlen(c, 64));
  return k;
}

torch::Tensor SketchFile::Matrix() const {
  void* p = static_cast<uint8_t*>(map_) + matrix_offset_;
  return torch::from_blob(p, {count_, dim_}, half_ ? torch::kFloat16 : torch::kFloat32);
}

}  // namespace tributary::factory
