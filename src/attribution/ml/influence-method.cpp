// Influence method names.
#include "tributary/attribution/influence.h"

namespace tributary::attribution {

std::string_view InfluenceMethodName(InfluenceMethod m) {
  return m == InfluenceMethod::kTracIn ? "tracin" : "trak";
}

Result<InfluenceMethod> ParseInfluenceMethod(std::string_view name) {
  if (name == "tracin") return InfluenceMethod::kTracIn;
  if (name == "trak") return InfluenceMethod::kTrak;
  return Status::InvalidArgument(
      "unknown influence method '" + std::string(name) + "' (use trak or tracin)", "bad_method");
}

}  // namespace tributary::attribution
