#include "tributary/model/llama.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>

#include "model/lora-rows.h"
#include "tributary/model/lora.h"
#include "tributary/model/safetensors.h"
#include "tributary/model/tensor.h"

namespace tributary::model {
namespace {

std::string LayerName(int64_t i, const char* rest) {
  return "model.layers." + std::to_string(i) + "." + rest;
}

// RMSNorm in float32, as the reference computes it, cast back to the input's dtype.
torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto xf = x.to(torch::kFloat32);
  auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.scalar_type());
}

torch::Tensor Linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {}) {
  return torch::nn::functional::linear(x, w, b.defined() ? b : torch::Tensor());
}

// Writes `rows` [n, kv_heads, head_dim] after the first `past` rows of a sequence's cache buffer
// and returns the `past + n` rows in use. In place while the buffer has room; otherwise a buffer
// half as large again (at most `limit` rows unless more are needed) takes the old rows. A pass
// recorded for autograd gets a fresh tensor instead, so no later in-place write can touch what its
// graph saved.
torch::Tensor Append(torch::Tensor& buffer, int64_t past, const torch::Tensor& rows, bool recorded,
                     int64_t limit, int64_t context) {
  const int64_t n = rows.size(0), total = past + n;
  if (recorded) {
    buffer = past > 0 ? torch::cat({buffer.narrow(0, 0, past), rows}, 0) : rows.clone();
    return buffer;
  }
  const int64_t capacity = buffer.defined() ? buffer.size(0) : 0;
  if (total > capacity) {
    int64_t grown = total;
    if (capacity > 0) {
      const int64_t most = std::max(total, std::min(limit > 0 ? limit : context, context));
      grown = std::min(most, std::max(total, (capacity + capacity / 2 + 15) / 16 * 16));
    }
    auto bigger = torch::empty({grown, rows.size(1), rows.size(2)}, rows.options());
    if (past > 0) bigger.narrow(0, 0, past).copy_(buffer.narrow(0, 0, past));
    buffer = std::move(bigger);
  }
  buffer.narrow(0, past, n).copy_(rows);
  return buffer.narrow(0, 0, total);
}

// Rows of the packed batch that use one adapter.
struct AdapterGroup {
  const LoraAdapter* adapter;
  torch::Tensor rows;  // int64 row indices; undefined when the group is every row
  int index = 0;       // position in Forward's `adapters`
  // When the rows are one contiguous range [first, first + count): inference then works on
  // views of that range, two operations per projection instead of five.
  int64_t first = -1, count = 0;
};

}  // namespace

torch::Tensor& ModuleWeight(LayerWeights& l, const std::string& module) {
  if (module == "q_proj") return l.q_proj;
  if (module == "k_proj") return l.k_proj;
  if (module == "v_proj") return l.v_proj;
  if (module == "o_proj") return l.o_proj;
  if (module == "gate_proj") return l.gate_proj;
  if (module == "up_proj") return l.up_proj;
  return l.down_proj;
}

Status LlamaModel::MergeAdapter(const LoraAdapter& adapter) {
  if (has_merged_adapter()) {
    return Status::FailedPrecondition("an adapter is already merged; unmerge it first");
  }
  torch::NoGradGuard no_grad;
  for (size_t li = 0; li < layers_.size(); ++li) {
    for (const std::string& module : LoraModuleNames()) {
      const LoraWeights* w = adapter.Find(static_cast<int64_t>(li), module);
      if (!w) continue;
      torch::Tensor& weight = ModuleWeight(layers_[li], module);
      merged_originals_[{static_cast<int64_t>(li), module}] = weight;
      weight = weight + torch::matmul(w->b, w->a).to(weight.scalar_type()) * w->scale;
    }
  }
  return Status::OK();
}

void LlamaModel::UnmergeAdapter() {
  for (auto& [key, original] : merged_originals_) {
    ModuleWeight(layers_[static_cast<size_t>(key.first)], key.second) = original;
  }
  merged_originals_.clear();
}

void LlamaModel::InitRope() {
  const int64_t d = config_.head_dim;
  auto inv = 1.0 / torch::pow(config_.rope_theta,
                              torch::arange(0, d, 2, torch::kFloat64) / static_cast<double>(d));
  const RopeScaling& rs = config_.rope_scaling;
  if (rs.type == "linear") {
    inv = inv / rs.factor;
  } else if (rs.type == "llama3") {
    // Hugging Face's _compute_llama3_parameters.
    const double old_ctx = static_cast<double>(rs.original_max_position_embeddings);
    const double low_wavelen = old_ctx / rs.low_freq_factor;
    const double high_wavelen = old_ctx / rs.high_freq_factor;
    auto wavelen = 2 * M_PI / inv;
    auto scaled = torch::where(wavelen > low_wavelen, inv / rs.factor, inv);
    auto smooth =
        (old_ctx / wavelen - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
    auto smoothed = (1 - smooth) * scaled / rs.factor + smooth * scaled;
    auto medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
    inv = torch::where(medium, smoothed, scaled);
  }
  inv_freq_ = inv.to(torch::kFloat32).to(device_);
}

// x: [T, heads, head_dim]; positions: [T] (int64). Hugging Face's rotate_half convention.
torch::Tensor LlamaModel::Rotate(const torch::Tensor& x, const torch::Tensor& positions) const {
  auto freqs = positions.to(torch::kFloat32).unsqueeze(1) * inv_freq_.unsqueeze(0);  // [T, D/2]
  auto emb = torch::cat({freqs, freqs}, -1);                                         // [T, D]
  auto cos = emb.cos().unsqueeze(1).to(x.scalar_type());
  auto sin = emb.sin().unsqueeze(1).to(x.scalar_type());
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, half);
  auto rotated = torch::cat({-x2, x1}, -1);
  return x * cos + rotated * sin;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> LlamaModel::WeightShapes() const {
  const ModelConfig& c = config_;
  const int64_t q_out = c.num_attention_heads * c.head_dim;
  const int64_t kv_out = c.num_key_value_heads * c.head_dim;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out = {
      {"model.embed_tokens.weight", {c.vocab_size, c.hidden_size}}};
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    out.push_back({LayerName(i, "input_layernorm.weight"), {c.hidden_size}});
    out.push_back({LayerName(i, "self_attn.q_proj.weight"), {q_out, c.hidden_size}});
    out.push_back({LayerName(i, "self_attn.k_proj.weight"), {kv_out, c.hidden_size}});
    out.push_back({LayerName(i, "self_attn.v_proj.weight"), {kv_out, c.hidden_size}});
    if (c.attention_bias) {
      out.push_back({LayerName(i, "self_attn.q_proj.bias"), {q_out}});
      out.push_back({LayerName(i, "self_attn.k_proj.bias"), {kv_out}});
      out.push_back({LayerName(i, "self_attn.v_proj.bias"), {kv_out}});
    }
    out.push_back({LayerName(i, "self_attn.o_proj.weight"), {c.hidden_size, q_out}});
    out.push_back({LayerName(i, "post_attention_layernorm.weight"), {c.hidden_size}});
    out.push_back({LayerName(i, "mlp.gate_proj.weight"), {c.intermediate_size, c.hidden_size}});
    out.push_back({LayerName(i, "mlp.up_proj.weight"), {c.intermediate_size, c.hidden_size}});
    out.push_back({LayerName(i, "mlp.down_proj.weight"), {c.hidden_size, c.intermediate_size}});
  }
  out.push_back({"model.norm.weight", {c.hidden_size}});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {c.vocab_size, c.hidden_size}});
  return out;
}

torch::Tensor* LlamaModel::Slot(const std::string& name) {
  if (name == "model.embed_tokens.weight") return &embed_;
  if (name == "model.norm.weight") return &norm_;
  if (name == "lm_head.weight") return &lm_head_;
  // model.layers.N.<rest>, as WeightShapes names them.
  const size_t dot = name.find('.', 13);
  LayerWeights& l = layers_[std::stoull(name.substr(13, dot - 13))];
  const std::string rest = name.substr(dot + 1);
  if (rest == "input_layernorm.weight") return &l.input_norm;
  if (rest == "post_attention_layernorm.weight") return &l.post_norm;
  if (rest == "self_attn.q_proj.bias") return &l.q_bias;
  if (rest == "self_attn.k_proj.bias") return &l.k_bias;
  if (rest == "self_attn.v_proj.bias") return &l.v_bias;
  // self_attn.<module>.weight or mlp.<module>.weight
  const size_t start = rest.find('.') + 1;
  return &ModuleWeight(l, rest.substr(start, rest.rfind('.') - start));
}

std::vector<std::pair<std::string, torch::Tensor>> LlamaModel::NamedParameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& [name, shape] : WeightShapes()) out.emplace_back(name, Weight(name));
  return out;
}

torch::Tensor LlamaModel::Weight(const std::string& name) const {
  return *const_cast<LlamaModel*>(this)->Slot(name);
}

Result<std::unique_ptr<LlamaModel>> LlamaModel::Load(const std::filesystem::path& dir,
                                                     torch::ScalarType dtype,
                                                     torch::Device device) {
  TRIB_ASSIGN_OR_RETURN(ModelConfig config, ModelConfig::Load(dir));
  TRIB_ASSIGN_OR_RETURN(Checkpoint ck, Checkpoint::Open(dir));
  std::unique_ptr<LlamaModel> m(new LlamaModel());
  m->config_ = config;
  m->dtype_ = dtype;
  m->device_ = device;
  m->layers_.resize(static_cast<size_t>(config.num_hidden_layers));
  torch::NoGradGuard no_grad;
  for (const auto& [name, shape] : m->WeightShapes()) {
    // Weights are copied out of the mapping so the files can be closed.
    TRIB_ASSIGN_OR_RETURN(torch::Tensor t, LoadTensor(ck, name, shape, dtype));
    *m->Slot(name) = t.to(device).clone();
  }
  if (config.tie_word_embeddings) m->lm_head_ = m->embed_;
  m->InitRope();
  return m;
}

std::unique_ptr<LlamaModel> LlamaModel::Random(const ModelConfig& config, uint64_t seed) {
  std::unique_ptr<LlamaModel> m(new LlamaModel());
  m->config_ = config;
  m->layers_.resize(static_cast<size_t>(config.num_hidden_layers));
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& [name, shape] : m->WeightShapes()) {
    bool is_norm = name.find("norm") != std::string::npos;
    bool is_bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    torch::Tensor t = is_norm   ? torch::ones(shape)
                      : is_bias ? torch::zeros(shape).normal_(0.0, config.initializer_range, gen)
                                : torch::empty(shape).normal_(0.0, config.initializer_range, gen);
    *m->Slot(name) = t;
  }
  if (config.tie_word_embeddings) m->lm_head_ = m->embed_;
  m->InitRope();
  return m;
}

void LlamaModel::To(torch::Device device, torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, shape] : WeightShapes()) {
    torch::Tensor* t = Slot(name);
    *t = t->to(device, dtype);
  }
  if (config_.tie_word_embeddings) lm_head_ = embed_;
  device_ = device;
  dtype_ = dtype;
  inv_freq_ = inv_freq_.to(device);
}

Status LlamaModel::Save(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  std::vector<torch::Tensor> keep;
  std::vector<TensorData> tensors;
  for (const auto& [name, shape] : WeightShapes()) {
    torch::Tensor t = Weight(name).to(torch::kFloat32).contiguous();
    keep.push_back(t);
    tensors.push_back(
        {name, DType::kF32, shape,
         ByteView(static_cast<const uint8_t*>(t.data_ptr()), static_cast<size_t>(t.numel()) * 4)});
  }
  TRIB_RETURN_IF_ERROR(WriteSafetensors(dir / "model.safetensors", tensors, {{"format", "pt"}}));
  std::ofstream out(dir / "config.json");
  out << config_.ToJson().dump(2) << "\n";
  if (!out) return Status::IOError("cannot write " + (dir / "config.json").string());
  return Status::OK();
}

Result<torch::Tensor> LlamaModel::Forward(const std::vector<SequenceInput>& batch,
                                          const std::vector<const LoraAdapter*>& adapters,
                                          bool last_only, bool train,
                                          const LoraHooks* hooks) const {
  const ModelConfig& c = config_;
  std::vector<int64_t> ids, positions;
  std::map<int, std::vector<int64_t>> rows_by_adapter;
  for (const auto& s : batch) {
    if (s.adapter >= static_cast<int>(adapters.size()) || s.adapter < -1 ||
        (s.adapter >= 0 && !adapters[static_cast<size_t>(s.adapter)])) {
      return Status::InvalidArgument("adapter index " + std::to_string(s.adapter) +
                                         " is not among the " + std::to_string(adapters.size()) +
                                         " adapters given",
                                     "bad_adapter");
    }
    if (s.adapter >= 0) {
      auto& rows = rows_by_adapter[s.adapter];
      for (size_t i = 0; i < s.tokens.size(); ++i)
        rows.push_back(static_cast<int64_t>(ids.size() + i));
    }
    if (s.tokens.empty()) return Status::InvalidArgument("a sequence in the batch has no tokens");
    if (!s.cache) return Status::InvalidArgument("a sequence in the batch has no KV cache");
    const int64_t past = s.cache->length();
    if (past + static_cast<int64_t>(s.tokens.size()) > c.max_position_embeddings) {
      return Status::InvalidArgument("sequence of " + std::to_string(past + s.tokens.size()) +
                                         " tokens exceeds max_position_embeddings " +
                                         std::to_string(c.max_position_embeddings),
                                     "context_too_long");
    }
    for (size_t i = 0; i < s.tokens.size(); ++i) {
      if (s.tokens[i] < 0 || s.tokens[i] >= c.vocab_size) {
        return Status::InvalidArgument("token id " + std::to_string(s.tokens[i]) +
                                           " is outside the vocabulary of " +
                                           std::to_string(c.vocab_size),
                                       "bad_token");
      }
      ids.push_back(s.tokens[i]);
      positions.push_back(past + static_cast<int64_t>(i));
    }
  }
  try {
    // Hooks read gradients of the adapted outputs, so they need the graph too (but no dropout).
    torch::AutoGradMode grad_mode(train || hooks != nullptr);
    const int64_t T = static_cast<int64_t>(ids.size());
    const int64_t hq = c.num_attention_heads, hkv = c.num_key_value_heads, d = c.head_dim;
    const int64_t group = hq / hkv;  // query heads per kv head
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    std::vector<AdapterGroup> groups;
    const bool recorded = train || hooks != nullptr;
    for (auto& [index, rows] : rows_by_adapter) {
      AdapterGroup g{adapters[static_cast<size_t>(index)], {}, index};
      const auto n = static_cast<int64_t>(rows.size());
      if (!recorded && rows.back() - rows.front() + 1 == n) {
        g.first = rows.front();
        g.count = n;
      } else if (n != T) {
        g.rows = torch::tensor(rows, torch::kInt64).to(device_);
      }
      groups.push_back(std::move(g));
    }
    // A projection of the packed rows plus each adapter's low-rank update on its own rows.
    auto project = [&](const torch::Tensor& x, int64_t li, const char* module,
                       const torch::Tensor& w, const torch::Tensor& b) {
      auto y = Linear(x, w, b);
      for (const AdapterGroup& g : groups) {
        const LoraWeights* lw = g.adapter->Find(li, module);
        if (!lw) continue;
        if (g.first >= 0 && AddLoraRows(x, *lw, g.first, g.count, y)) continue;
        // Weights kept in another dtype than the activations (a bfloat16 adapter cache on a
        // float32 base) are converted per call on libtorch's path.
        const bool widen = lw->a.scalar_type() != x.scalar_type();
        const torch::Tensor a = widen ? lw->a.to(x.scalar_type()) : lw->a;
        const torch::Tensor b = widen ? lw->b.to(x.scalar_type()) : lw->b;
        if (g.first >= 0) {  // y[range] += scale · (x[range] Aᵀ) Bᵀ, in place on views
          y.narrow(0, g.first, g.count)
              .addmm_(torch::mm(x.narrow(0, g.first, g.count), a.t()), b.t(), 1.0, lw->scale);
          continue;
        }
        auto xs = g.rows.defined() ? x.index_select(0, g.rows) : x;
        const double p = g.adapter->config().lora_dropout;
        auto xin = train && p > 0 ? torch::dropout(xs, p, true) : xs;
        auto delta = Linear(Linear(xin, a), b) * lw->scale;
        if (hooks) (*hooks)(g.index, li, module, xs, delta);
        if (g.rows.defined()) {
          y = train ? y.index_add(0, g.rows, delta) : y.index_add_(0, g.rows, delta);
        } else {
          y = train ? y + delta : y.add_(delta);
        }
      }
      return y;
    };
    auto pos = torch::tensor(positions, torch::kInt64).to(device_);
    auto h = embed_.index_select(0, torch::tensor(ids, torch::kInt64).to(device_));  // [T, H]
    for (size_t li = 0; li < layers_.size(); ++li) {
      const LayerWeights& l = layers_[li];
      const auto lidx = static_cast<int64_t>(li);
      auto x = RmsNorm(h, l.input_norm, c.rms_norm_eps);
      // The attention scale is applied to the queries once for the whole step.
      auto q = Rotate(project(x, lidx, "q_proj", l.q_proj, l.q_bias).view({T, hq, d}), pos) * scale;
      auto k = Rotate(project(x, lidx, "k_proj", l.k_proj, l.k_bias).view({T, hkv, d}), pos);
      auto v = project(x, lidx, "v_proj", l.v_proj, l.v_bias).view({T, hkv, d});
      std::vector<torch::Tensor> outs;
      int64_t offset = 0;
      for (const auto& s : batch) {
        const int64_t n = static_cast<int64_t>(s.tokens.size());
        KvCache& cache = *s.cache;
        if (cache.keys.size() != layers_.size()) {
          cache.keys.resize(layers_.size());
          cache.values.resize(layers_.size());
        }
        const int64_t past = cache.tokens, total = past + n;
        const torch::Tensor kc = Append(cache.keys[li], past, k.narrow(0, offset, n), recorded,
                                        cache.capacity_limit, c.max_position_embeddings);
        const torch::Tensor vc = Append(cache.values[li], past, v.narrow(0, offset, n), recorded,
                                        cache.capacity_limit, c.max_position_embeddings);
        if (n == 1) {
          // A decode step: the new token attends to every key (no mask), and its group of
          // query heads per kv head reads that head's keys and values in place, laid out
          // [kv head, group, d] against the cache's [kv head, total, d] (no per-query-head copy
          // of the cache).
          auto qs = q.narrow(0, offset, 1).view({hkv, group, d});
          auto scores = torch::matmul(qs, kc.permute({1, 2, 0}));  // [hkv, group, total]
          if (scores.scalar_type() != torch::kFloat32) scores = scores.to(torch::kFloat32);
          auto probs = torch::softmax(scores, -1).to(vc.scalar_type());
          outs.push_back(torch::matmul(probs, vc.transpose(0, 1)).reshape({1, hq * d}));
        } else {
          // A prompt chunk. Query head j reads kv head j / group; query i (absolute past + i)
          // may attend to keys 0..past + i. (Grouping the heads as for decode measured 2x
          // slower here on CPU, so the chunk takes the per-head copy.)
          auto keys = kc.repeat_interleave(group, 1).transpose(0, 1);    // [hq, total, d]
          auto values = vc.repeat_interleave(group, 1).transpose(0, 1);  // [hq, total, d]
          auto qs = q.narrow(0, offset, n).transpose(0, 1);              // [hq, n, d]
          auto scores = torch::matmul(qs, keys.transpose(1, 2)).to(torch::kFloat32);
          auto ipos = torch::TensorOptions().dtype(torch::kInt64).device(device_);
          auto qpos = torch::arange(past, total, ipos).unsqueeze(1);
          auto kpos = torch::arange(0, total, ipos).unsqueeze(0);
          scores = scores.masked_fill(kpos > qpos, -std::numeric_limits<float>::infinity());
          auto probs = torch::softmax(scores, -1).to(values.scalar_type());
          outs.push_back(torch::matmul(probs, values).transpose(0, 1).reshape({n, hq * d}));
        }
        offset += n;
      }
      h = h + project(torch::cat(outs, 0), lidx, "o_proj", l.o_proj, {});
      auto y = RmsNorm(h, l.post_norm, c.rms_norm_eps);
      auto gated = torch::silu(project(y, lidx, "gate_proj", l.gate_proj, {})) *
                   project(y, lidx, "up_proj", l.up_proj, {});
      h = h + project(gated, lidx, "down_proj", l.down_proj, {});
    }
    if (last_only) {
      std::vector<int64_t> last;
      int64_t end = 0;
      for (const auto& s : batch) {
        end += static_cast<int64_t>(s.tokens.size());
        last.push_back(end - 1);
      }
      h = h.index_select(0, torch::tensor(last, torch::kInt64).to(device_));
    }
    h = RmsNorm(h, norm_, c.rms_norm_eps);
    auto logits = Linear(h, lm_head_).to(torch::kFloat32);
    // Only now do the new rows count: a pass that threw left every cache's length as it was.
    for (const auto& s : batch) s.cache->tokens += static_cast<int64_t>(s.tokens.size());
    return logits;
  } catch (const c10::Error& e) {
    return Status::Internal(std::string("forward pass failed: ") + e.what_without_backtrace());
  }
}

}  // namespace tributary::model
