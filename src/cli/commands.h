// Entry points of the `tributary` subcommands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace tributary::cli {

struct NodeArgs {
  std::string data = "./var";
  std::string listen = "127.0.0.1:8645";
  std::string genesis;
  std::string sequencer_key;
  bool dev = false;
  int64_t block_interval_ms = 2000;
  double rate_limit = 200;
};
int RunNode(const Common& common, const NodeArgs& args);

struct ModelInitArgs {
  std::string out;
  int64_t layers = 2, hidden = 64, heads = 4, kv_heads = 2, intermediate = 128, vocab = 512;
  int64_t max_positions = 2048;
  uint64_t seed = 0;
};
int RunModelInit(const Common& common, const ModelInitArgs& args);

struct AdapterInitArgs {
  std::string base, out, targets = "q_proj,v_proj";
  int64_t rank = 8;
  double alpha = 16;
  uint64_t seed = 0;
};
int RunModelInitAdapter(const Common& common, const AdapterInitArgs& args);

struct GenerateArgs {
  std::string model, adapter, prompt;
  int max_tokens = 64;
  double temperature = 1.0;
  int top_k = 0;
  double top_p = 1.0;
  uint64_t seed = 0;
  std::vector<std::string> stop;
};
int RunGenerate(const Common& common, const GenerateArgs& args);

}  // namespace tributary::cli
