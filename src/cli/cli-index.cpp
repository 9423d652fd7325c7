// `tributary index build|status` (in progress).
#include "cli/attribution-commands.h"

namespace tributary::cli {
int RunIndexBuild(const Common&, const IndexBuildArgs&) {
  return Fail(Status::Unavailable("index build is being written"));
}
int RunIndexStatus(const Common&, const IndexStatusArgs&) {
  return Fail(Status::Unavailable("index status is being written"));
}
}  // namespace tributary::cli
