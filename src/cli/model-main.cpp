// tributary-model: the model commands of `tributary` (model init, model init-adapter, generate),
// in their own executable so that only they load libtorch. `tributary` execs it for them.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace tributary::cli;
  CLI::App app{"tributary model commands"};
  app.require_subcommand(1);
  app.fallthrough();
  Common common;
  app.add_option("--node", common.node, "node API URL")->capture_default_str();
  app.add_flag("--json", common.json, "machine-readable output");

  auto* model_cmd = app.add_subcommand("model", "model checkpoints and adapters");
  model_cmd->require_subcommand(1);
  ModelInitArgs init_args;
  auto* model_init =
      model_cmd->add_subcommand("init", "write a random checkpoint with a byte-level tokenizer");
  model_init->add_option("--out", init_args.out, "output directory")->required();
  model_init->add_option("--layers", init_args.layers)->capture_default_str();
  model_init->add_option("--hidden", init_args.hidden)->capture_default_str();
  model_init->add_option("--heads", init_args.heads)->capture_default_str();
  model_init->add_option("--kv-heads", init_args.kv_heads)->capture_default_str();
  model_init->add_option("--intermediate", init_args.intermediate)->capture_default_str();
  model_init->add_option("--vocab", init_args.vocab)->capture_default_str();
  model_init->add_option("--max-positions", init_args.max_positions)->capture_default_str();
  model_init->add_option("--seed", init_args.seed)->capture_default_str();
  AdapterInitArgs adapter_args;
  auto* model_adapter =
      model_cmd->add_subcommand("init-adapter", "write a random PEFT LoRA adapter");
  model_adapter->add_option("--base", adapter_args.base, "base model directory")->required();
  model_adapter->add_option("--out", adapter_args.out, "output directory")->required();
  model_adapter->add_option("--rank", adapter_args.rank)->capture_default_str();
  model_adapter->add_option("--alpha", adapter_args.alpha)->capture_default_str();
  model_adapter->add_option("--targets", adapter_args.targets, "comma-separated modules")
      ->capture_default_str();
  model_adapter->add_option("--seed", adapter_args.seed)->capture_default_str();

  GenerateArgs gen_args;
  auto* generate = app.add_subcommand("generate", "generate text, streamed as it is produced");
  generate->add_option("--model", gen_args.model, "Hugging Face checkpoint directory")->required();
  generate->add_option("--adapter", gen_args.adapter, "PEFT LoRA adapter directory");
  generate->add_option("--prompt", gen_args.prompt, "prompt text")->required();
  generate->add_option("--max-tokens", gen_args.max_tokens)->capture_default_str();
  generate->add_option("--temperature", gen_args.temperature, "0 = greedy")->capture_default_str();
  generate->add_option("--top-k", gen_args.top_k)->capture_default_str();
  generate->add_option("--top-p", gen_args.top_p)->capture_default_str();
  generate->add_option("--seed", gen_args.seed)->capture_default_str();
  generate->add_option("--stop", gen_args.stop, "stop string (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*model_init) return RunModelInit(common, init_args);
    if (*model_adapter) return RunModelInitAdapter(common, adapter_args);
    if (*generate) return RunGenerate(common, gen_args);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
