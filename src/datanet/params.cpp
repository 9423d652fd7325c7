// The Datanet library's governed parameters: default quotas for Datanets that leave them unset.
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
  };
  return specs;
}

}  // namespace tributary::datanet
