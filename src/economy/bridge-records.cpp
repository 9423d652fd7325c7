// The bridge's records in ledger state (economy/bridge.h).
#include "tributary/base/encoding.h"
#include "tributary/economy/bridge.h"
#include "tributary/ledger/account.h"

namespace tributary::economy {

std::string EvmAddressToString(const EvmAddress& a) { return "0x" + ToHex(a); }

Result<EvmAddress> ParseEvmAddress(std::string_view text) {
  const bool shaped = text.size() == 42 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  auto a =
      shaped ? FixedFromHex<20>(text.substr(2)) : Result<EvmAddress>(Status::InvalidArgument(""));
  if (!a.ok()) {
    return Status::InvalidArgument(
        "'" + std::string(text.substr(0, 64)) + "' is not an EVM address (0x and 40 hex digits)",
        "bad_evm_address");
  }
  return *a;
}

Address BridgeEscrowAddress() { return SystemAddress("tributary/bridge/v1"); }

void SetDevBridgeEscrow(Genesis* genesis) {
  if (genesis->accounts.empty() || genesis->accounts[0].balance < kDevBridgeEscrow) return;
  genesis->accounts[0].balance -= kDevBridgeEscrow;
  genesis->accounts.push_back({BridgeEscrowAddress(), kDevBridgeEscrow});
}

Bytes Withdrawal::Encode() const {
  Bytes out(64, 0);
  std::copy(recipient.begin(), recipient.end(), out.begin() + 12);
  for (int i = 0; i < 16; ++i) out[63 - i] = static_cast<uint8_t>(amount >> (8 * i));
  return out;
}

Result<Withdrawal> Withdrawal::Decode(ByteView b) {
  if (b.size() != 64) return Status::Corruption("a withdrawal record is not 64 bytes");
  for (size_t i = 0; i < 12; ++i) {
    if (b[i] != 0) return Status::Corruption("a withdrawal record's address is not left-padded");
  }
  for (size_t i = 32; i < 48; ++i) {
    if (b[i] != 0) return Status::Corruption("a withdrawal record's amount is 2^128 or more");
  }
  Withdrawal w;
  std::copy(b.begin() + 12, b.begin() + 32, w.recipient.begin());
  for (size_t i = 48; i < 64; ++i) w.amount = (w.amount << 8) | b[i];
  return w;
}

Bytes DepositCredit::Encode() const {
  return Writer().Fixed(account.bytes).U128(amount).U64(height).Fixed(evm_tx).bytes();
}

Result<DepositCredit> DepositCredit::Decode(ByteView b) {
  DepositCredit c;
  Reader r(b);
  Status s = r.Fixed(&c.account.bytes);
  if (s.ok()) s = r.U128(&c.amount);
  if (s.ok()) s = r.U64(&c.height);
  if (s.ok()) s = r.Fixed(&c.evm_tx);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("a deposit credit does not decode: " + s.message());
  return c;
}

std::string WithdrawalKey(uint64_t id) {
  Bytes b = Writer().U8('B').U64(id).bytes();
  return std::string(b.begin(), b.end());
}

std::string DepositCreditKey(uint64_t deposit_id) {
  Bytes b = Writer().U8('D').U64(deposit_id).bytes();
  return std::string(b.begin(), b.end());
}

Result<uint64_t> LoadWithdrawalCount(const StateReader& state) {
  auto raw = state.Get("C");
  if (!raw) return uint64_t{0};
  Reader r(*raw);
  uint64_t n = 0;
  Status s = r.U64(&n);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::Corruption("the stored withdrawal count does not decode");
  return n;
}

Result<uint64_t> AppendWithdrawal(Overlay& state, const Withdrawal& w) {
  TRIB_ASSIGN_OR_RETURN(uint64_t count, LoadWithdrawalCount(state));
  const uint64_t id = count + 1;
  state.Put(WithdrawalKey(id), w.Encode());
  state.Put("C", Writer().U64(id).bytes());
  return id;
}

Result<std::optional<Withdrawal>> LoadWithdrawal(const StateReader& state, uint64_t id) {
  auto raw = state.Get(WithdrawalKey(id));
  if (!raw) return std::optional<Withdrawal>();
  TRIB_ASSIGN_OR_RETURN(Withdrawal w, Withdrawal::Decode(*raw));
  return std::optional<Withdrawal>(w);
}

Result<std::optional<DepositCredit>> LoadDepositCredit(const StateReader& state,
                                                       uint64_t deposit_id) {
  auto raw = state.Get(DepositCreditKey(deposit_id));
  if (!raw) return std::optional<DepositCredit>();
  TRIB_ASSIGN_OR_RETURN(DepositCredit c, DepositCredit::Decode(*raw));
  return std::optional<DepositCredit>(c);
}

}  // namespace tributary::economy
