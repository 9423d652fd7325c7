#include "tributary/ledger/params.h"

#include "tributary/base/encoding.h"

namespace tributary {

std::string_view ParamUnitName(ParamUnit unit) {
  switch (unit) {
    case ParamUnit::kPartsPerMillion:
      return "ppm";
    case ParamUnit::kBaseUnits:
      return "base_units";
    case ParamUnit::kBlocks:
      return "blocks";
    case ParamUnit::kCount:
      return "count";
    case ParamUnit::kBytes:
      return "bytes";
  }
  return "unknown";
}

Status ParamSpec::CheckValue(Amount v) const {
  if (v < min_value || v > max_value) {
    return Status::InvalidArgument(
        name + " must be in " + AmountToString(min_value) + ".." + AmountToString(max_value) +
            " (" + std::string(ParamUnitName(unit)) + "), not " + AmountToString(v),
        "param_out_of_bounds");
  }
  return Status::OK();
}

Status ParamRegistry::Add(ParamSpec spec) {
  if (specs_.count(spec.name)) return Status::AlreadyExists("parameter listed twice: " + spec.name);
  if (spec.min_value > spec.max_value) {
    return Status::InvalidArgument("parameter " + spec.name + " has min above max");
  }
  TRIB_RETURN_IF_ERROR(spec.CheckValue(spec.default_value));
  std::string name = spec.name;
  specs_.emplace(std::move(name), std::move(spec));
  return Status::OK();
}

const ParamSpec* ParamRegistry::Find(std::string_view name) const {
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : &it->second;
}

Result<const ParamSpec*> ParamRegistry::Require(std::string_view name) const {
  const ParamSpec* spec = Find(name);
  if (!spec) {
    return Status::InvalidArgument("unknown protocol parameter '" + std::string(name) + "'",
                                   "unknown_param");
  }
  return spec;
}

Bytes ParamRecord::Encode() const {
  return Writer().U8(1).U128(value).U64(since_height).U128(previous).bytes();
}

Result<ParamRecord> ParamRecord::Decode(ByteView b) {
  ParamRecord p;
  Reader r(b);
  uint8_t version = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != 1) s = Status::InvalidArgument("unknown record version");
  if (s.ok()) s = r.U128(&p.value);
  if (s.ok()) s = r.U64(&p.since_height);
  if (s.ok()) s = r.U128(&p.previous);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored parameter does not decode: " + s.message());
  return p;
}

std::string ParamKey(std::string_view name) { return "X" + std::string(name); }

Result<ParamValue> LoadParam(const StateReader& state, const ParamSpec& spec, uint64_t height) {
  ParamValue out;
  out.value = spec.default_value;
  auto raw = state.Get(ParamKey(spec.name));
  if (!raw) return out;
  TRIB_ASSIGN_OR_RETURN(ParamRecord rec, ParamRecord::Decode(*raw));
  out.is_default = false;
  out.record = rec;
  out.value = height >= rec.since_height ? rec.value : rec.previous;
  out.since_height = rec.since_height;
  return out;
}

Result<Amount> ParamAt(const StateReader& state, const ParamSpec& spec, uint64_t height) {
  TRIB_ASSIGN_OR_RETURN(ParamValue v, LoadParam(state, spec, height));
  return v.value;
}

Status StoreParam(Overlay& state, const ParamSpec& spec, Amount value, uint64_t since_height) {
  TRIB_RETURN_IF_ERROR(spec.CheckValue(value));
  ParamRecord rec;
  rec.value = value;
  rec.since_height = since_height;
  TRIB_ASSIGN_OR_RETURN(rec.previous,
                        ParamAt(state, spec, since_height == 0 ? 0 : since_height - 1));
  state.Put(ParamKey(spec.name), rec.Encode());
  return Status::OK();
}

}  // namespace tributary
