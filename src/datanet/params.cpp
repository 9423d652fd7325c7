// The Datanet library's governed parameters: default quotas for Datanets that leave them unset.
#include <cstdlib>

#include "tributary/datanet/kinds.h"

namespace tributary::datanet {

const std::vector<ParamSpec>& DatanetParams() {
  static const std::vector<ParamSpec> specs = {
      {std::string(kDefaultBytesPerDayParam), ParamUnit::kBytes, 1, 64 * kMaxBytesPerFile,
       Quotas{}.bytes_per_day, "a contributor's daily upload quota in a Datanet that sets none"},
      {std::string(kDefaultFilesPerDayParam), ParamUnit::kCount, 1, 10'000, Quotas{}.files_per_day,
       "a contributor's daily file quota in a Datanet that sets none"},
      {std::string(kDefaultBytesPerFileParam), ParamUnit::kBytes, 1, kMaxBytesPerFile,
       Quotas{}.bytes_per_file, "the largest file in a Datanet that sets none"},
      {std::string(kDefaultStakeParam), ParamUnit::kBaseUnits, 0, Pow10(9) * Pow10(18), 0,
       "the stake per contribution of an approval Datanet that sets none"},
      {std::string(kDefaultSlashBpsParam), ParamUnit::kCount, 0, 10'000, 10'000,
       "the share (basis points) of the stake a spam rejection slashes, where a Datanet sets "
       "none"},
  };
  return specs;
}

const ParamSpec& DatanetParam(std::string_view name) {
  for (const ParamSpec& spec : DatanetParams()) {
    if (spec.name == name) return spec;
  }
  std::abort();  // a name that is not a Datanet parameter: a programming error
}

}  // namespace tributary::datanet
