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

// The latest checkpoint and how many older ones the history holds.
struct Head {
  uint64_t history = 0;
  Checkpoint latest;
};

Result<std::optional<Head>> LoadHead(const StateReader& state, const Address& delegate) {
  auto raw = state.Get(AddressKey('w', delegate));
  if (!raw) return std::optional<Head>();
  Head h;
  Reader r(*raw);
  Status s = r.U64(&h.history);
  if (s.ok()) s = r.U64(&h.latest.height);
  if (s.ok()) s = r.U128(&h.latest.votes);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored voting checkpoint head does not decode");
  return std::optional<Head>(h);
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
  TRIB_ASSIGN_OR_RETURN(auto head, LoadHead(state, delegate));
  if (!head) return Amount{0};
  if (head->latest.height <= height) return head->latest.votes;
  // The last older checkpoint at or below `height`: binary search over increasing heights.
  uint64_t lo = 0, hi = head->history;
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
  TRIB_ASSIGN_OR_RETURN(auto head, LoadHead(state, delegate));
  return head ? head->latest.votes : Amount{0};
}

Status MoveVotes(Overlay& state, const Address& delegate, Amount delta, bool negative,
                 uint64_t height) {
  if (delta == 0) return Status::OK();
  TRIB_ASSIGN_OR_RETURN(auto head, LoadHead(state, delegate));
  Head next;
  const Amount current = head ? head->latest.votes : 0;
  auto votes = negative ? CheckedSub(current, delta) : CheckedAdd(current, delta);
  if (!votes) return Status::Internal("votes of " + delegate.ToString() + " would go out of range");
  if (head && head->latest.height == height) {
    next = *head;  // one checkpoint per block: a later change in the block overwrites it
  } else if (head) {
    // A new block: the head's checkpoint joins the history.
    state.Put(CheckpointKey(delegate, head->history),
              Writer().U64(head->latest.height).U128(head->latest.votes).bytes());
    next.history = head->history + 1;
  }
  next.latest = {height, *votes};
  state.Put(AddressKey('w', delegate),
            Writer().U64(next.history).U64(next.latest.height).U128(next.latest.votes).bytes());
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
