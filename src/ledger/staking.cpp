#include "tributary/ledger/staking.h"

#include <vector>

#include "tributary/base/encoding.h"
#include "tributary/ledger/account.h"
#include "tributary/ledger/votes.h"

namespace tributary {
namespace {

const Amount kAccScale = Pow10(18);
const std::string kPoolKey = "Y";

std::string StakerKey(const Address& a) {
  std::string k(1, 'y');
  k.append(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
  return k;
}

Status ReadU256(Reader& r, U256* out) {
  std::array<uint8_t, 32> b{};
  TRIB_RETURN_IF_ERROR(r.Fixed(&b));
  *out = U256::FromBytes(b);
  return Status::OK();
}

// floor(stake x (acc - snapshot) / 10^18).
Result<Amount> Accrued(Amount stake, const U256& acc, const U256& snapshot) {
  if (stake == 0) return Amount{0};
  auto diff = U256::Sub(acc, snapshot);
  if (!diff) return Status::Corruption("a staker's snapshot is ahead of the pool");
  auto product = U256::Mul(*diff, stake);
  if (!product) return Status::Internal("staking reward overflows 256 bits");
  auto share = U256::DivMod(*product, kAccScale).quotient.ToAmount();
  if (!share) return Status::Internal("staking reward overflows");
  return *share;
}

// Brings `rec`'s owed up to the pool's accumulator.
Status Accrue(const StakingPool& pool, StakerRecord* rec) {
  TRIB_ASSIGN_OR_RETURN(Amount share, Accrued(rec->counted, pool.acc, rec->snapshot));
  auto owed = CheckedAdd(rec->owed, share);
  if (!owed) return Status::Internal("staking reward overflows");
  rec->owed = *owed;
  rec->snapshot = pool.acc;
  return Status::OK();
}

// Makes `staked` the stake the pool counts for `rec` (accrue first: the snapshot must be current).
Status CountStake(StakingPool* pool, StakerRecord* rec, Amount staked) {
  if (pool->total_staked < rec->counted) return Status::Corruption("staked total below a stake");
  auto total = CheckedAdd(pool->total_staked - rec->counted, staked);
  if (!total) return Status::Internal("staked total overflows");
  pool->total_staked = *total;
  rec->counted = staked;
  return Status::OK();
}

}  // namespace

Address StakingPoolAddress() { return SystemAddress("tributary/staking/v1"); }

Bytes StakingPool::Encode() const {
  return Writer()
      .U8(1)
      .U128(total_staked)
      .Fixed(acc.ToBytes())
      .U128(carry)
      .U128(distributed)
      .U128(claimed)
      .bytes();
}

Result<StakingPool> StakingPool::Decode(ByteView b) {
  StakingPool p;
  Reader r(b);
  uint8_t version = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != 1) s = Status::InvalidArgument("unknown version");
  if (s.ok()) s = r.U128(&p.total_staked);
  if (s.ok()) s = ReadU256(r, &p.acc);
  if (s.ok()) s = r.U128(&p.carry);
  if (s.ok()) s = r.U128(&p.distributed);
  if (s.ok()) s = r.U128(&p.claimed);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored staking pool does not decode: " + s.message());
  return p;
}

Bytes StakerRecord::Encode() const {
  return Writer().U8(1).U128(counted).Fixed(snapshot.ToBytes()).U128(owed).bytes();
}

Result<StakerRecord> StakerRecord::Decode(ByteView b) {
  StakerRecord p;
  Reader r(b);
  uint8_t version = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != 1) s = Status::InvalidArgument("unknown version");
  if (s.ok()) s = r.U128(&p.counted);
  if (s.ok()) s = ReadU256(r, &p.snapshot);
  if (s.ok()) s = r.U128(&p.owed);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored staker record does not decode: " + s.message());
  return p;
}

Result<StakingPool> LoadStakingPool(const StateReader& state) {
  auto raw = state.Get(kPoolKey);
  if (!raw) return StakingPool{};
  return StakingPool::Decode(*raw);
}

Result<StakerRecord> LoadStakerRecord(const StateReader& state, const Address& staker) {
  auto raw = state.Get(StakerKey(staker));
  if (!raw) return StakerRecord{};
  return StakerRecord::Decode(*raw);
}

Result<Amount> ClaimableStakingRewards(const StateReader& state, const Address& staker) {
  TRIB_ASSIGN_OR_RETURN(StakingPool pool, LoadStakingPool(state));
  TRIB_ASSIGN_OR_RETURN(StakerRecord rec, LoadStakerRecord(state, staker));
  TRIB_RETURN_IF_ERROR(Accrue(pool, &rec));
  return rec.owed;
}

Status AddStakingRewards(Overlay& state, const Address& from, Amount amount) {
  TRIB_ASSIGN_OR_RETURN(StakingPool pool, LoadStakingPool(state));
  if (pool.total_staked == 0) {
    return Status::FailedPrecondition("nothing is staked", "no_stakers");
  }
  if (amount == 0) return Status::OK();
  auto scaled = U256::Mul(U256(amount), kAccScale);
  auto with_carry = scaled ? U256::Add(*scaled, pool.carry) : std::nullopt;
  if (!with_carry) return Status::Internal("staking reward overflows 256 bits");
  U256::DivModResult qr = U256::DivMod(*with_carry, pool.total_staked);
  auto acc = U256::Add(pool.acc, qr.quotient);
  auto distributed = CheckedAdd(pool.distributed, amount);
  if (!acc || !distributed) return Status::Internal("staking accumulator overflows");
  Overlay staged(&state);
  TRIB_RETURN_IF_ERROR(MoveBalance(staged, from, StakingPoolAddress(), amount, "staking reward"));
  pool.acc = *acc;
  pool.carry = qr.remainder;
  pool.distributed = *distributed;
  staged.Put(kPoolKey, pool.Encode());
  staged.MergeInto(&state);
  return Status::OK();
}

Result<Amount> ClaimStakingRewards(Overlay& state, const Address& staker) {
  TRIB_ASSIGN_OR_RETURN(StakingPool pool, LoadStakingPool(state));
  TRIB_ASSIGN_OR_RETURN(StakerRecord rec, LoadStakerRecord(state, staker));
  TRIB_RETURN_IF_ERROR(Accrue(pool, &rec));
  TRIB_ASSIGN_OR_RETURN(Account a, LoadAccount(state, staker));
  // Stake locked before this accounting existed starts counting here.
  const Amount paid = rec.owed;
  TRIB_RETURN_IF_ERROR(CountStake(&pool, &rec, a.staked));
  Overlay staged(&state);
  if (paid > 0) {
    TRIB_RETURN_IF_ERROR(MoveBalance(staged, StakingPoolAddress(), staker, paid, "staking claim"));
    auto claimed = CheckedAdd(pool.claimed, paid);
    if (!claimed) return Status::Internal("claimed total overflows");
    pool.claimed = *claimed;
  }
  rec.owed = 0;
  staged.Put(kPoolKey, pool.Encode());
  staged.Put(StakerKey(staker), rec.Encode());
  staged.MergeInto(&state);
  return paid;
}

Status TrackAccountChanges(Overlay& writes, const StateReader& before, uint64_t height) {
  const std::string prefix = AccountKey(Address{}).substr(0, 1);
  std::vector<Address> changed;
  for (const auto& [key, value] : writes.writes()) {
    if (key.size() != 21 || key[0] != prefix[0]) continue;
    Address a;
    std::copy(key.begin() + 1, key.end(), a.bytes.begin());
    changed.push_back(a);
  }
  for (const Address& a : changed) {
    TRIB_ASSIGN_OR_RETURN(Account old_account, LoadAccount(before, a));
    TRIB_ASSIGN_OR_RETURN(Account new_account, LoadAccount(writes, a));
    auto old_weight = old_account.Total(), new_weight = new_account.Total();
    if (!old_weight || !new_weight) return Status::Internal("account total overflows");
    if (*old_weight != *new_weight) {
      TRIB_ASSIGN_OR_RETURN(auto delegate, LoadDelegate(writes, a));
      if (delegate) {
        const bool down = *new_weight < *old_weight;
        const Amount delta = down ? *old_weight - *new_weight : *new_weight - *old_weight;
        TRIB_RETURN_IF_ERROR(MoveVotes(writes, *delegate, delta, down, height));
      }
    }
    if (old_account.staked != new_account.staked) {
      TRIB_ASSIGN_OR_RETURN(StakingPool pool, LoadStakingPool(writes));
      TRIB_ASSIGN_OR_RETURN(StakerRecord rec, LoadStakerRecord(writes, a));
      TRIB_RETURN_IF_ERROR(Accrue(pool, &rec));
      TRIB_RETURN_IF_ERROR(CountStake(&pool, &rec, new_account.staked));
      writes.Put(kPoolKey, pool.Encode());
      writes.Put(StakerKey(a), rec.Encode());
    }
  }
  return Status::OK();
}

}  // namespace tributary
