// `tributary factory ...` (run by tributary-model: these load libtorch).
#pragma once

#include <cstdint>
#include <string>

#include "cli/cli.h"

namespace tributary::cli {

struct FactoryTrainArgs {
  std::string base, data, out;
  int64_t rank = 8;
  double alpha = 16, dropout = 0.05;
  std::string targets = "q_proj,k_proj,v_proj,o_proj";
  double lr = 2e-4;
  int64_t epochs = 1, batch_size = 8, grad_accum = 1, max_seq_len = 512, warmup_steps = 0;
  uint64_t seed = 0;
  int64_t checkpoint_every = 100, max_steps = 0;
  double heldout = 0.05;
  bool resume = false;
  int64_t sketch_dim = 1024;    //!< 0 = no attribution sketches
  int64_t sketch_base_dim = 0;  //!< base-checkpoint segment (factory/sketch.h); 0 = none
  bool sketch_half = false;     //!< store sketches as float16
};
int RunFactoryTrain(const Common& c, const FactoryTrainArgs& a);

struct FactoryEvalArgs {
  std::string base, adapter, data;
  int64_t max_seq_len = 512;
  double heldout = 0.05;
  bool all_rows = false;  //!< evaluate every row, not just the held-out ones
};
int RunFactoryEval(const Common& c, const FactoryEvalArgs& a);

struct FactoryPretrainArgs {
  std::string data, out;
  int64_t vocab = 2048, layers = 4, hidden = 128, heads = 4, kv_heads = 2, intermediate = 344;
  int64_t max_seq_len = 256, epochs = 20, batch_size = 16, warmup_steps = 20;
  double lr = 3e-3, heldout = 0.05;
  uint64_t seed = 0;
  int64_t checkpoint_every = 50, max_steps = 0;
  bool resume = false;
};
int RunFactoryPretrain(const Common& c, const FactoryPretrainArgs& a);

}  // namespace tributary::cli
