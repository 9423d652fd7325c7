// `tributary attribute` (in progress).
#include "cli/attribution-commands.h"

namespace tributary::cli {
int RunAttribute(const Common&, const AttributeArgs&) {
  return Fail(Status::Unavailable("attribute is being written"));
}
}  // namespace tributary::cli
