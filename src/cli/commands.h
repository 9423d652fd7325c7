// Entry points of the `tributary` subcommands.
#pragma once

#include <string>

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

}  // namespace tributary::cli
