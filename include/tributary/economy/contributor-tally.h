//! Who contributed to each Datanet version, kept as a running tally so that showing a model's
//! lineage does not reread every accepted contribution under the chain lock each time.
//!
//! A version's contributors are the first `contributions` entries of its Datanet's accepted
//! list, grouped by contributor (LoadVersionContributors). That list only grows and a version
//! never changes, so a tally at one length is the start of the tally at any longer one: each
//! length is read once, later versions extend the longest tally not past them, and the reading
//! goes in slices, each its own short read of the state, so block production waits on at most one
//! slice. The answer equals LoadVersionContributors(s, v) on any state holding `v`.
//!
//! Thread-safety: every method may be called from any thread. Two callers asking for the same
//! version at once may both read it; the tallies they keep are equal.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "tributary/base/status.h"
#include "tributary/datanet/records.h"
#include "tributary/economy/models.h"
#include "tributary/ledger/state.h"

namespace tributary::economy {

class ContributorTally {
 public:
  //! Runs its argument on a consistent view of the committed state (the node passes a wrapper
  //! of Chain::ReadState; tests pass their State).
  using StateRead = std::function<Status(const std::function<Status(const StateReader&)>&)>;

  //! `slice`: accepted contributions read per call of `read` (at least 1). `max_tallies`: tallies
  //! kept over all Datanets (at least 1); past it the shortest of the fullest Datanet goes.
  explicit ContributorTally(StateRead read, uint64_t slice = 1024, size_t max_tallies = 1024);

  //! The contributors of version `v`, in order of each one's first accepted contribution within
  //! it. Corruption when an accepted entry or its contribution is missing.
  Result<std::vector<VersionContributor>> Contributors(const datanet::Version& v);

  //! Accepted contributions read from the state so far (each read counts once).
  uint64_t contributions_read() const;
  //! Tallies kept now.
  size_t tallies() const;

 private:
  using Tally = std::vector<VersionContributor>;
  // The longest tally of `datanet` no longer than `length` (its length, the tally); {0, empty}
  // when none.
  std::pair<uint64_t, std::shared_ptr<const Tally>> Nearest(uint64_t datanet, uint64_t length);
  void Keep(uint64_t datanet, uint64_t length, std::shared_ptr<const Tally> tally);

  StateRead read_;
  uint64_t slice_;
  size_t max_tallies_;
  mutable std::mutex mu_;
  // Datanet -> length of the accepted prefix -> its tally.
  std::map<uint64_t, std::map<uint64_t, std::shared_ptr<const Tally>>> tallies_;
  size_t count_ = 0;
  uint64_t read_count_ = 0;
};

}  // namespace tributary::economy
