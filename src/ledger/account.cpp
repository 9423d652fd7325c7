#include "tributary/ledger/account.h"

#include <cstring>

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"

namespace tributary {

Bytes Account::Encode() const {
  return Writer().U128(balance).U64(nonce).U128(staked).U128(unbonding).bytes();
}

Result<Account> Account::Decode(ByteView b) {
  Reader r(b);
  Account a;
  Status s = r.U128(&a.balance);
  if (s.ok()) s = r.U64(&a.nonce);
  if (s.ok()) s = r.U128(&a.staked);
  if (s.ok()) s = r.U128(&a.unbonding);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored account does not decode: " + s.message());
  return a;
}

std::optional<Amount> Account::Total() const {
  auto t = CheckedAdd(balance, staked);
  return t ? CheckedAdd(*t, unbonding) : std::nullopt;
}

Address SystemAddress(std::string_view domain) {
  Hash32 h = Blake2b256(AsBytes(domain));
  Address a;
  std::memcpy(a.bytes.data(), h.data(), a.bytes.size());
  return a;
}

Address TreasuryAddress() {
  static const Address treasury = SystemAddress("tributary/treasury/v1");
  return treasury;
}

Status MoveBalance(Overlay& state, const Address& from, const Address& to, Amount amount,
                   const std::string& what) {
  if (amount == 0) return Status::OK();
  TRIB_ASSIGN_OR_RETURN(Account a, LoadAccount(state, from));
  auto left = CheckedSub(a.balance, amount);
  if (!left) {
    return Status::FailedPrecondition(what + ": have " + AmountToString(a.balance) + ", need " +
                                          AmountToString(amount) + " base units",
                                      "insufficient_balance");
  }
  Overlay staged(&state);  // nothing reaches `state` unless both sides succeed
  a.balance = *left;
  StoreAccount(staged, from, a);
  TRIB_ASSIGN_OR_RETURN(Account b, LoadAccount(staged, to));
  auto sum = CheckedAdd(b.balance, amount);
  if (!sum)
    return Status::FailedPrecondition("recipient balance would overflow", "amount_overflow");
  b.balance = *sum;
  StoreAccount(staged, to, b);
  staged.MergeInto(&state);
  return Status::OK();
}

std::string AccountKey(const Address& address) {
  std::string k(1, 'a');
  k.append(reinterpret_cast<const char*>(address.bytes.data()), address.bytes.size());
  return k;
}

Result<Account> LoadAccount(const StateReader& state, const Address& address) {
  auto v = state.Get(AccountKey(address));
  if (!v) return Account{};
  return Account::Decode(*v);
}

void StoreAccount(Overlay& state, const Address& address, const Account& account) {
  state.Put(AccountKey(address), account.Encode());
}

std::string UnbondingKey(uint64_t release_height) {
  auto b = Writer().U8('u').U64(release_height).bytes();
  return std::string(b.begin(), b.end());
}

Result<std::vector<UnbondingEntry>> LoadUnbonding(const StateReader& state, uint64_t height) {
  std::vector<UnbondingEntry> out;
  auto v = state.Get(UnbondingKey(height));
  if (!v) return out;
  Reader r(*v);
  uint32_t n = 0;
  Status s = r.U32(&n);
  for (uint32_t i = 0; s.ok() && i < n; ++i) {
    UnbondingEntry e;
    s = r.Fixed(&e.address.bytes);
    if (s.ok()) s = r.U128(&e.amount);
    out.push_back(e);
  }
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("stored unbonding queue does not decode: " + s.message());
  return out;
}

void StoreUnbonding(Overlay& state, uint64_t height, const std::vector<UnbondingEntry>& entries) {
  if (entries.empty()) {
    state.Delete(UnbondingKey(height));
    return;
  }
  Writer w;
  w.U32(static_cast<uint32_t>(entries.size()));
  for (const auto& e : entries) w.Fixed(e.address.bytes).U128(e.amount);
  state.Put(UnbondingKey(height), std::move(w).bytes());
}

}  // namespace tributary
