#include <algorithm>
#include <numeric>

#include "tributary/economy/fee_split.h"

namespace tributary::economy {
namespace {

constexpr uint64_t kPpm = kPartsPerMillion;
constexpr uint64_t kWeightScale = kPpm * kPpm * kPpm;  // 10^18: the weights' sum

Status Bad(const std::string& m) { return Status::InvalidArgument(m, "bad_split"); }

}  // namespace

std::optional<Amount> InferenceFee(uint64_t tokens, Amount price_per_1k) {
  auto product = CheckedMul(Amount{tokens}, price_per_1k);
  if (!product) return std::nullopt;
  return *product / 1000 + (*product % 1000 != 0 ? 1 : 0);
}

MulDivResult MulDiv(Amount a, uint64_t b, uint64_t d) {
  using u128 = unsigned __int128;
  const uint64_t lo = static_cast<uint64_t>(a), hi = static_cast<uint64_t>(a >> 64);
  const u128 p0 = u128{lo} * b;
  const u128 p1 = u128{hi} * b;
  // a x b = p1 x 2^64 + p0 as three 64-bit limbs n2 n1 n0.
  const uint64_t n0 = static_cast<uint64_t>(p0);
  const u128 mid = (p0 >> 64) + p1;  // < 2^128: p1 < 2^128 - 2^64 and (p0 >> 64) < 2^64
  const uint64_t n1 = static_cast<uint64_t>(mid), n2 = static_cast<uint64_t>(mid >> 64);
  // Long division by d, a limb at a time; with b <= d the top quotient limb is 0.
  u128 r = 0;
  u128 q = 0;
  for (uint64_t limb : {n2, n1, n0}) {
    const u128 cur = (r << 64) | limb;
    q = (q << 64) | (cur / d);
    r = cur % d;
  }
  return {q, static_cast<uint64_t>(r)};
}

std::string_view SplitRoleName(SplitRole role) {
  switch (role) {
    case SplitRole::kContributor:
      return "contributor";
    case SplitRole::kOwner:
      return "owner";
    case SplitRole::kTreasury:
      return "treasury";
    case SplitRole::kStakers:
      return "stakers";
  }
  return "unknown";
}

Result<std::vector<SplitPart>> SplitFee(const SplitInput& in) {
  if (in.protocol_ppm > kPpm || in.contributors_ppm > kPpm) {
    return Bad("shares are parts per million and at most 1000000");
  }
  uint64_t claimed = 0;
  for (size_t i = 0; i < in.claims.size(); ++i) {
    if (i > 0 && !(in.claims[i - 1].contribution < in.claims[i].contribution)) {
      return Bad("claims must be sorted by contribution id without repeats");
    }
    claimed += in.claims[i].parts;
  }
  if (claimed > kPpm) return Bad("claims hold more than 1000000 parts");
  const uint64_t unattributed = kPpm - claimed;

  // Integer weights summing to 10^18 exactly (see the header).
  const uint64_t rest = kPpm - in.protocol_ppm;
  std::vector<SplitPart> parts;
  std::vector<uint64_t> weights;
  parts.reserve(in.claims.size() + 2);
  for (const auto& c : in.claims) {
    parts.push_back({SplitRole::kContributor, c.contributor, c.contribution, c.datanet, 0});
    weights.push_back(rest * in.contributors_ppm * c.parts);
  }
  parts.push_back({SplitRole::kOwner, in.owner, {}, 0, 0});
  weights.push_back(rest * (kPpm - in.contributors_ppm) * kPpm +
                    rest * in.contributors_ppm * unattributed);
  parts.push_back({SplitRole::kTreasury, in.treasury, {}, 0, 0});
  weights.push_back(uint64_t{in.protocol_ppm} * kPpm * kPpm);

  std::vector<uint64_t> remainders(parts.size());
  Amount given = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    MulDivResult r = MulDiv(in.fee, weights[i], kWeightScale);
    parts[i].amount = r.quotient;
    remainders[i] = r.remainder;
    given += r.quotient;
  }
  // Fewer than parts.size() units are left; largest remainder first, ties in recipient order.
  Amount left = in.fee - given;
  std::vector<size_t> order(parts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  for (size_t k = 0; left > 0 && k < order.size(); ++k, --left) parts[order[k]].amount += 1;
  if (left > 0) return Status::Internal("fee split left units over");
  return parts;
}

}  // namespace tributary::economy
