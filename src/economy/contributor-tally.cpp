// The running tally of each Datanet version's contributors (see the header for why a tally at one
// length starts every longer one).
#include "tributary/economy/contributor-tally.h"

#include <algorithm>
#include <utility>

#include "tributary/datanet/records.h"

namespace tributary::economy {

ContributorTally::ContributorTally(StateRead read, uint64_t slice, size_t max_tallies)
    : read_(std::move(read)),
      slice_(std::max<uint64_t>(slice, 1)),
      max_tallies_(std::max<size_t>(max_tallies, 1)) {}

std::pair<uint64_t, std::shared_ptr<const ContributorTally::Tally>> ContributorTally::Nearest(
    uint64_t datanet, uint64_t length) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = tallies_.find(datanet);
  if (d == tallies_.end()) return {0, nullptr};
  auto it = d->second.upper_bound(length);
  if (it == d->second.begin()) return {0, nullptr};
  --it;
  return {it->first, it->second};
}

void ContributorTally::Keep(uint64_t datanet, uint64_t length, std::shared_ptr<const Tally> tally) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, fresh] = tallies_[datanet].try_emplace(length, std::move(tally));
  if (!fresh) return;
  if (++count_ <= max_tallies_) return;
  auto fullest = std::max_element(
      tallies_.begin(), tallies_.end(),
      [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  fullest->second.erase(fullest->second.begin());
  if (fullest->second.empty()) tallies_.erase(fullest);
  --count_;
}

Result<std::vector<VersionContributor>> ContributorTally::Contributors(const datanet::Version& v) {
  auto [start, base] = Nearest(v.datanet, v.contributions);
  Tally out = base ? *base : Tally{};
  if (start == v.contributions) return out;
  std::map<Address, size_t> at;  // contributor -> index in out
  for (size_t i = 0; i < out.size(); ++i) at.emplace(out[i].contributor, i);
  for (uint64_t next = start; next < v.contributions;) {
    const uint64_t end = std::min(v.contributions, next + std::min(slice_, v.contributions - next));
    TRIB_RETURN_IF_ERROR(read_([&](const StateReader& s) -> Status {
      for (; next < end; ++next) {
        TRIB_ASSIGN_OR_RETURN(Hash32 cid,
                              datanet::LoadListEntry(s, datanet::AcceptedListKey(v.datanet, next)));
        TRIB_ASSIGN_OR_RETURN(auto c, datanet::LoadContribution(s, cid));
        if (!c) return Status::Corruption("accepted contribution " + ToHex(cid) + " is missing");
        auto [it, fresh] = at.try_emplace(c->contributor, out.size());
        if (fresh) out.push_back({c->contributor, 0, 0});
        VersionContributor& vc = out[it->second];
        vc.contributions++;
        vc.rows += c->rows;
      }
      return Status::OK();
    }));
    std::lock_guard<std::mutex> lock(mu_);
    read_count_ += end - start;
    start = end;
  }
  Keep(v.datanet, v.contributions, std::make_shared<const Tally>(out));
  return out;
}

uint64_t ContributorTally::contributions_read() const {
  std::lock_guard<std::mutex> lock(mu_);
  return read_count_;
}

size_t ContributorTally::tallies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

}  // namespace tributary::economy
