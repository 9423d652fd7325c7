//! Protocol parameters in ledger state: the numbers governance changes by vote
//! (docs/governance.md).
//!
//! Each library that has such a number declares its ParamSpec (name, unit, bounds, default); the
//! economy library gathers them into the one ParamRegistry the governor checks changes against.
//!
//! State key: 'X' | name -> ParamRecord (value, the height it takes effect, the value before).
//! A parameter nobody changed has no record and reads as its default, so a ledger written before a
//! parameter existed keeps its state roots on replay.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/status.h"
#include "tributary/ledger/state.h"

namespace tributary {

enum class ParamUnit : uint8_t {
  kPartsPerMillion = 0,
  kBaseUnits = 1,
  kBlocks = 2,
  kCount = 3,
  kBytes = 4,
};
std::string_view ParamUnitName(ParamUnit unit);

struct ParamSpec {
  std::string name;  //!< "<area>.<what>", e.g. "fees.protocol_share_ppm"
  ParamUnit unit = ParamUnit::kCount;
  Amount min_value = 0;
  Amount max_value = 0;
  Amount default_value = 0;
  std::string description;

  //! OK when min_value <= v <= max_value; else InvalidArgument "param_out_of_bounds" naming both.
  Status CheckValue(Amount v) const;
};

//! Specs by name. Filled once at start-up, then read-only (safe to share between threads).
class ParamRegistry {
 public:
  //! AlreadyExists on a duplicate name; InvalidArgument when the default is out of bounds.
  Status Add(ParamSpec spec);
  const ParamSpec* Find(std::string_view name) const;
  //! Every spec, by name.
  const std::map<std::string, ParamSpec, std::less<>>& all() const { return specs_; }
  //! The spec, or InvalidArgument "unknown_param".
  Result<const ParamSpec*> Require(std::string_view name) const;

 private:
  std::map<std::string, ParamSpec, std::less<>> specs_;
};

//! What is stored for a changed parameter.
struct ParamRecord {
  Amount value = 0;
  uint64_t since_height = 0;  //!< the first block `value` applies to
  Amount previous = 0;        //!< what applies to blocks before since_height

  Bytes Encode() const;
  static Result<ParamRecord> Decode(ByteView b);
};

//! A parameter as it applies to one block.
struct ParamValue {
  Amount value = 0;
  uint64_t since_height = 0;  //!< when `value` took (or takes) effect; 0 for the default
  bool is_default = true;     //!< no record: the spec's default
  std::optional<ParamRecord> record;
};

std::string ParamKey(std::string_view name);

//! The value of `spec` for the block at `height`. Corruption if the record does not decode.
Result<ParamValue> LoadParam(const StateReader& state, const ParamSpec& spec, uint64_t height);
//! Shorthand for LoadParam(...).value.
Result<Amount> ParamAt(const StateReader& state, const ParamSpec& spec, uint64_t height);
//! Sets `name` to `value` from block `since_height` on; blocks before it keep the value in force
//! at `since_height - 1` (read from `state`).
Status StoreParam(Overlay& state, const ParamSpec& spec, Amount value, uint64_t since_height);

}  // namespace tributary
