// `tributary model init|init-adapter` and `tributary generate`.
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "tributary/model/generate.h"
#include "tributary/model/llama.h"
#include "tributary/model/lora.h"
#include "tributary/model/tokenizer.h"

namespace tributary::cli {
namespace {}  // namespace

int RunModelInit(const Common& common, const ModelInitArgs& a) {
  model::ModelConfig c;
  c.vocab_size = a.vocab;
  c.hidden_size = a.hidden;
  c.intermediate_size = a.intermediate;
  c.num_hidden_layers = a.layers;
  c.num_attention_heads = a.heads;
  c.num_key_value_heads = a.kv_heads;
  c.head_dim = a.heads > 0 ? a.hidden / a.heads : 0;
  c.max_position_embeddings = a.max_positions;
  c.rms_norm_eps = 1e-5;
  if (!(a.init_range > 0) || a.init_range > 1) {
    return Fail(Status::InvalidArgument("--init-range must be in (0, 1]", "bad_config"));
  }
  c.initializer_range = a.init_range;
  if (a.heads > 0 && a.hidden % a.heads != 0) {
    return Fail(Status::InvalidArgument("--hidden must be a multiple of --heads", "bad_config"));
  }
  if (a.vocab < 258) {
    return Fail(Status::InvalidArgument(
        "--vocab must be at least 258 (256 byte tokens and two special tokens)", "bad_config"));
  }
  c.bos_token_id = 256;
  c.eos_token_id = 257;
  Status s = c.Validate("--layers/--hidden/--heads/--kv-heads/--intermediate/--vocab");
  if (!s.ok()) return Fail(s);
  auto m = model::LlamaModel::Random(c, a.seed);
  s = m->Save(a.out);
  model::ByteLevelTokenizerOptions tok;
  if (a.chat) {
    // Plain ChatML, so that a test model answers /v1/chat/completions.
    tok.special_tokens.push_back("<|im_start|>");
    tok.special_tokens.push_back("<|im_end|>");
    tok.chat_template = std::string(model::ChatTemplate::ChatMLSource());
  }
  if (s.ok()) s = model::WriteByteLevelTokenizer(a.out, static_cast<int32_t>(a.vocab), tok);
  if (!s.ok()) return Fail(s);
  if (common.json) {
    PrintJson({{"out", a.out}, {"config", c.ToJson()}});
  } else {
    std::cout << "wrote a random " << a.layers << "-layer model (hidden " << a.hidden << ", vocab "
              << a.vocab << ") with a byte-level tokenizer to " << a.out << "\n";
  }
  return 0;
}

int RunModelInitAdapter(const Common& common, const AdapterInitArgs& a) {
  auto base = model::LlamaModel::Load(a.base);
  if (!base.ok()) return Fail(base.status());
  model::LoraConfig cfg;
  cfg.r = a.rank;
  cfg.lora_alpha = a.alpha;
  cfg.target_modules = SplitComma(a.targets);
  cfg.base_model_name_or_path = a.base;
  auto checked = model::LoraConfig::FromJson(cfg.ToJson(), "--rank/--alpha/--targets");
  if (!checked.ok()) return Fail(checked.status());
  auto adapter = model::LoraAdapter::Random(**base, *checked, a.seed);
  Status s = adapter.Save(a.out);
  if (!s.ok()) return Fail(s);
  if (common.json) {
    PrintJson({{"out", a.out}, {"adapter_config", checked->ToJson()}});
  } else {
    std::cout << "wrote a random rank-" << a.rank << " LoRA adapter for " << a.base << " to "
              << a.out << "\n";
  }
  return 0;
}

int RunGenerate(const Common& common, const GenerateArgs& a) {
  auto m = model::LlamaModel::Load(a.model);
  if (!m.ok()) return Fail(m.status());
  auto tok = model::Tokenizer::FromDirectory(a.model);
  if (!tok.ok()) return Fail(tok.status());
  std::optional<model::LoraAdapter> adapter;
  if (!a.adapter.empty()) {
    auto loaded = model::LoraAdapter::Load(a.adapter, **m);
    if (!loaded.ok()) return Fail(loaded.status());
    adapter = std::move(*loaded);
  }
  model::SamplingParams p;
  p.max_tokens = a.max_tokens;
  p.temperature = a.temperature;
  p.top_k = a.top_k;
  p.top_p = a.top_p;
  p.seed = a.seed;
  p.stop = a.stop;
  std::string prompt = a.prompt;
  if (a.chat) {  // the prompt as one user turn in the checkpoint's chat template
    model::ChatMessage msg{"user", a.prompt};
    auto rendered = tok->ApplyChatTemplate(std::span<const model::ChatMessage>(&msg, 1));
    if (!rendered.ok()) return Fail(rendered.status());
    prompt = *rendered;
  }
  auto r = model::Generate(**m, *tok, adapter ? &*adapter : nullptr, prompt, p,
                           [&](std::string_view piece) {
                             if (!common.json) std::cout << piece << std::flush;
                           });
  if (!r.ok()) return Fail(r.status());
  if (common.json) {
    PrintJson({{"text", r->text},
               {"tokens", r->tokens},
               {"prompt_tokens", r->prompt_tokens.size()},
               {"finish_reason", r->finish_reason}});
  } else {
    std::cout << "\n";
  }
  return 0;
}

}  // namespace tributary::cli
