// Entry points of the serving commands that run in tributary-model.
#pragma once

#include <string>

#include "cli/cli.h"
#include "cli/commands.h"

namespace tributary::cli {

struct ServeArgs {
  std::string base;
  std::string listen = "127.0.0.1:8646";
  std::string dtype = "f32";
  std::string name;  //!< the base's model id in the API (default: the directory's name)
  ServeBudgets budgets;
};
int RunServe(const Common& common, const ServeArgs& args);

}  // namespace tributary::cli
