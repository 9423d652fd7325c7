#include "tributary/ledger/votes.h"

#include "tributary/base/encoding.h"
#include "tributary/ledger/account.h"

namespace tributary {
namespace {

std::string AddressKey(char prefix, const Address& a) {
  std::string k(1, prefix);
  k.append(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
  return k;
}

std::string CheckpointKey(const Address& delegate, uint64_t index) {
  auto b = Writer().U8('W').Fixed(delegate.bytes).U64(index).bytes();
  return std::string(b.begin(), b.end());
}

struct Checkpoint {
  uint64_t height = 0;
  Amount votes = 0;
};

Result<uint64_t> CheckpointCount(const StateReader& state, const Address& delegate) {
  auto raw = state.Get(AddressKey('w', delegate));
  if (!raw) return uint64_t{0};
  Reader r(*raw);
  uint64_t n = 0;
  Status s = r.U64(&n);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored checkpoint count does not decode");
  return n;
}

Result<Checkpoint> LoadCheckpoint(const StateReader& state, const Address& delegate,
                                  uint64_t index) {
  auto raw = state.Get(CheckpointKey(delegate, index));
  if (!raw) return Status::Corruption("a voting checkpoint is missing");
  Checkpoint c;
  Reader r(*raw);
  Status s = r.U64(&c.height);
  if (s.ok()) s = r.U128(&c.votes);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored voting checkpoint does not decode");
  return c;
}

}  // namespace

Result<Amount> VotingWeight(const StateReader& state, const Address& account) {
  TRIB_ASSIGN_OR_RETURN(Account a, LoadAccount(state, account));
  auto total = a.Total();
  if (!total) return Status::Corruption("account total overflows");
  return *total;
}

Result<std::optional<Address>> LoadDelegate(const StateReader& state, const Address& account) {
  auto raw = state.Get(AddressKey('g', account));
  if (!raw) return std::optional<Address>();
  Address to;
  Reader r(*raw);
  Status s = r.Fixed(&to.bytes);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored delegate does not decode");
  return std::optional<Address>(to);
}

Result<Amount> VotesAt(const StateReader& state, const Address& delegate, uint64_t height) {
  TRIB_ASSIGN_OR_RETURN(uint64_t n, CheckpointCount(state, delegate));
  // The last checkpoint at or below `height`: binary search over the heights (increasing).
  uint64_t lo = 0, hi = n;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    TRIB_ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(state, delegate, mid));
    if (c.height <= height) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return Amount{0};
  TRIB_ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(state, delegate, lo - 1));
  return c.votes;
}

Result<Amount> CurrentVotes(const StateReader& state, const Address& delegate) {
  TRIB_ASSIGN_OR_RETURN(uint64_t n, CheckpointCount(state, delegate));
  if (n == 0) return Amount{0};
  TRIB_ASSIGN_OR_RETURN(Checkpoint c, LoadCheckpoint(state, delegate, n - 1));
  return c.votes;
}

Status MoveVotes(Overlay& state, const Address& delegate, Amount delta, bool negative,
                 uint64_t height) {
  if (delta == 0) return Status::OK();
  TRIB_ASSIGN_OR_RETURN(uint64_t n, CheckpointCount(state, delegate));
  Checkpoint last;
  if (n > 0) {
    TRIB_ASSIGN_OR_RETURN(last, LoadCheckpoint(state, delegate, n - 1));
  }
  auto votes = negative ? CheckedSub(last.votes, delta) : CheckedAdd(last.votes, delta);
  if (!votes) return Status::Internal("votes of " + delegate.ToString() + " would go out of range");
  // One checkpoint per block: a later change in the same block overwrites it.
  const uint64_t index = (n > 0 && last.height == height) ? n - 1 : n;
  state.Put(CheckpointKey(delegate, index), Writer().U64(height).U128(*votes).bytes());
  if (index == n) state.Put(AddressKey('w', delegate), Writer().U64(n + 1).bytes());
  return Status::OK();
}

Status SetDelegate(Overlay& state, const Address& account, const Address& to, uint64_t height) {
  TRIB_ASSIGN_OR_RETURN(auto from, LoadDelegate(state, account));
  if (from && *from == to) return Status::OK();
  TRIB_ASSIGN_OR_RETURN(Amount weight, VotingWeight(state, account));
  if (from) TRIB_RETURN_IF_ERROR(MoveVotes(state, *from, weight, true, height));
  TRIB_RETURN_IF_ERROR(MoveVotes(state, to, weight, false, height));
  state.Put(AddressKey('g', account), Bytes(to.bytes.begin(), to.bytes.end()));
  return Status::OK();
}

}  // namespace tributary
