// Reward epochs in ledger state (economy/rewards.h).
#include "tributary/base/encoding.h"
#include "tributary/economy/rewards.h"
#include "tributary/ledger/account.h"

namespace tributary::economy {
namespace {

std::string Key(Bytes b) { return std::string(b.begin(), b.end()); }
std::string PayoutKey(const Address& a) { return Key(Writer().U8('S').Fixed(a.bytes).bytes()); }
std::string EpochKey(uint64_t epoch) { return Key(Writer().U8('F').U64(epoch).bytes()); }
std::string LeafKey(uint64_t epoch, const EvmAddress& a) {
  return Key(Writer().U8('f').U64(epoch).Fixed(a).bytes());
}
std::string LeafIndexKey(uint64_t epoch, uint64_t index) {
  return Key(Writer().U8('i').U64(epoch).U64(index).bytes());
}

Result<Amount> LoadLeaf(const StateReader& state, uint64_t epoch, const EvmAddress& a) {
  auto raw = state.Get(LeafKey(epoch, a));
  if (!raw) return Amount{0};
  Reader r(*raw);
  Amount v = 0;
  Status s = r.U128(&v);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("a reward leaf does not decode");
  return v;
}

}  // namespace

Bytes RewardEpoch::Encode() const {
  return Writer()
      .U128(total)
      .U64(leaves)
      .U8(closed ? 1 : 0)
      .U64(close_height)
      .U64(withdrawal_id)
      .Fixed(recipient)
      .bytes();
}

Result<RewardEpoch> RewardEpoch::Decode(ByteView b) {
  RewardEpoch e;
  Reader r(b);
  uint8_t closed = 0;
  Status s = r.U128(&e.total);
  if (s.ok()) s = r.U64(&e.leaves);
  if (s.ok()) s = r.U8(&closed);
  if (s.ok()) s = r.U64(&e.close_height);
  if (s.ok()) s = r.U64(&e.withdrawal_id);
  if (s.ok()) s = r.Fixed(&e.recipient);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok() || closed > 1) return Status::Corruption("a reward epoch does not decode");
  e.closed = closed == 1;
  return e;
}

Result<std::optional<EvmAddress>> LoadPayoutAddress(const StateReader& state,
                                                    const Address& account) {
  auto raw = state.Get(PayoutKey(account));
  if (!raw) return std::optional<EvmAddress>();
  if (raw->size() != 20) return Status::Corruption("a payout address is not 20 bytes");
  EvmAddress a;
  std::copy(raw->begin(), raw->end(), a.begin());
  return std::optional<EvmAddress>(a);
}

Result<uint64_t> LoadOpenEpoch(const StateReader& state) {
  auto raw = state.Get("T");
  if (!raw) return uint64_t{1};
  Reader r(*raw);
  uint64_t v = 0;
  Status s = r.U64(&v);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok() || v == 0) return Status::Corruption("the open reward epoch does not decode");
  return v;
}

Result<RewardEpoch> LoadRewardEpoch(const StateReader& state, uint64_t epoch) {
  auto raw = state.Get(EpochKey(epoch));
  if (!raw) return RewardEpoch{};
  return RewardEpoch::Decode(*raw);
}

Result<std::vector<std::pair<EvmAddress, Amount>>> LoadEpochLeaves(const StateReader& state,
                                                                   uint64_t epoch) {
  TRIB_ASSIGN_OR_RETURN(RewardEpoch e, LoadRewardEpoch(state, epoch));
  std::vector<std::pair<EvmAddress, Amount>> out;
  out.reserve(e.leaves);
  for (uint64_t i = 0; i < e.leaves; ++i) {
    auto raw = state.Get(LeafIndexKey(epoch, i));
    if (!raw || raw->size() != 20) return Status::Corruption("a reward leaf index is missing");
    EvmAddress a;
    std::copy(raw->begin(), raw->end(), a.begin());
    TRIB_ASSIGN_OR_RETURN(Amount amount, LoadLeaf(state, epoch, a));
    out.emplace_back(a, amount);
  }
  return out;
}

Status PayEarning(Overlay& state, const Address& payer, const Address& earner, Amount amount,
                  std::optional<uint64_t>* epoch) {
  epoch->reset();
  TRIB_ASSIGN_OR_RETURN(auto payout, LoadPayoutAddress(state, earner));
  if (!payout) return MoveBalance(state, payer, earner, amount, "inference fee");
  TRIB_RETURN_IF_ERROR(MoveBalance(state, payer, BridgeEscrowAddress(), amount, "inference fee"));
  TRIB_ASSIGN_OR_RETURN(uint64_t open, LoadOpenEpoch(state));
  TRIB_ASSIGN_OR_RETURN(RewardEpoch e, LoadRewardEpoch(state, open));
  TRIB_ASSIGN_OR_RETURN(Amount leaf, LoadLeaf(state, open, *payout));
  auto total = CheckedAdd(e.total, amount);
  auto sum = CheckedAdd(leaf, amount);
  if (!total || !sum) return Status::InvalidArgument("reward epoch total overflows", "amount_overflow");
  if (!state.Get(LeafKey(open, *payout))) {
    state.Put(LeafIndexKey(open, e.leaves), Bytes(payout->begin(), payout->end()));
    e.leaves++;
  }
  state.Put(LeafKey(open, *payout), Writer().U128(*sum).bytes());
  e.total = *total;
  state.Put(EpochKey(open), e.Encode());
  *epoch = open;
  return Status::OK();
}

void StorePayoutAddress(Overlay& state, const Address& account,
                        const std::optional<EvmAddress>& address) {
  if (address) {
    state.Put(PayoutKey(account), Bytes(address->begin(), address->end()));
  } else {
    state.Delete(PayoutKey(account));
  }
}

void StoreRewardEpoch(Overlay& state, uint64_t epoch, const RewardEpoch& e) {
  state.Put(EpochKey(epoch), e.Encode());
}

void StoreOpenEpoch(Overlay& state, uint64_t epoch) { state.Put("T", Writer().U64(epoch).bytes()); }

}  // namespace tributary::economy
