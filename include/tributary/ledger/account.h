// Accounts in ledger state.
//
// State keys: 'a' || 20-byte address -> Account encoding;
//             'u' || u64 release height -> unbonding entries released then.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tributary/base/amount.h"
#include "tributary/base/keys.h"
#include "tributary/ledger/state.h"

namespace tributary {

struct Account {
  Amount balance = 0;    //!< spendable
  uint64_t nonce = 0;    //!< number of txs this account has had included
  Amount staked = 0;     //!< locked by `stake`
  Amount unbonding = 0;  //!< unstaked, returned to balance at release height

  Bytes Encode() const;
  static Result<Account> Decode(ByteView b);
  //! balance + staked + unbonding, or nullopt on overflow (cannot happen within supply).
  std::optional<Amount> Total() const;
};

//! An account no key controls: its address is BLAKE2b-256 of `domain`, so nobody can sign for
//! it; only the rules of some tx kind move its funds (escrow, treasury).
Address SystemAddress(std::string_view domain);
//! The protocol treasury ("tributary/treasury/v1"). Slashed stake goes here.
Address TreasuryAddress();

std::string AccountKey(const Address& address);
//! Reads an account (all zero when absent). Corruption if the stored bytes do not decode.
Result<Account> LoadAccount(const StateReader& state, const Address& address);
void StoreAccount(Overlay& state, const Address& address, const Account& account);

//! Moves `amount` from `from`'s balance to `to`'s: insufficient_balance ("<what>: have X, need
//! Y base units") or amount_overflow, with `state` unchanged on error. Zero moves nothing.
Status MoveBalance(Overlay& state, const Address& from, const Address& to, Amount amount,
                   const std::string& what);

struct UnbondingEntry {
  Address address;
  Amount amount = 0;
};
std::string UnbondingKey(uint64_t release_height);
Result<std::vector<UnbondingEntry>> LoadUnbonding(const StateReader& state, uint64_t height);
void StoreUnbonding(Overlay& state, uint64_t height, const std::vector<UnbondingEntry>& entries);

}  // namespace tributary
