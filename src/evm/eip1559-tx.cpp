#include <string>

#include "tributary/evm/eip1559.h"
#include "tributary/evm/keccak.h"
#include "tributary/evm/quantity.h"
#include "tributary/evm/rlp.h"

// Written here (Debian packages no Ethereum transaction library); checked byte for byte against
// transactions signed by ethers (tests/evm/eip1559_test.cpp).

namespace tributary::evm {
namespace {

constexpr uint8_t kTxType = 0x02;

std::vector<RlpItem> UnsignedFields(const Eip1559Transaction& tx) {
  std::vector<RlpItem> access_list;
  access_list.reserve(tx.access_list.size());
  for (const AccessListEntry& e : tx.access_list) {
    std::vector<RlpItem> keys;
    keys.reserve(e.storage_keys.size());
    for (const Hash32& k : e.storage_keys) keys.push_back(RlpItem::String(k));
    access_list.push_back(
        RlpItem::List({RlpItem::String(e.address.bytes), RlpItem::List(std::move(keys))}));
  }
  std::vector<RlpItem> fields;
  fields.reserve(12);
  fields.push_back(RlpItem::Uint(Amount{tx.chain_id}));
  fields.push_back(RlpItem::Uint(Amount{tx.nonce}));
  fields.push_back(RlpItem::Uint(tx.max_priority_fee_per_gas));
  fields.push_back(RlpItem::Uint(tx.max_fee_per_gas));
  fields.push_back(RlpItem::Uint(Amount{tx.gas_limit}));
  fields.push_back(tx.to ? RlpItem::String(tx.to->bytes) : RlpItem());
  fields.push_back(RlpItem::Uint(tx.value));
  fields.push_back(RlpItem::String(tx.data));
  fields.push_back(RlpItem::List(std::move(access_list)));
  return fields;
}

Bytes Typed(const RlpItem& list) {
  Bytes out{kTxType};
  RlpEncodeTo(list, out);
  return out;
}

Status Shape(std::string what) {
  return Status::InvalidArgument("EIP-1559 transaction: " + what, "tx_shape");
}

// A field's integer, with the field named in the error.
template <typename T, typename F>
Status Field(const RlpItem& item, const char* name, F parse, T& out) {
  auto v = parse(item);
  if (!v.ok()) {
    return Status::InvalidArgument(
        "EIP-1559 transaction field " + std::string(name) + ": " + v.status().message(),
        "tx_field");
  }
  out = *v;
  return Status::OK();
}
Status Uint64Field(const RlpItem& item, const char* name, uint64_t& out) {
  return Field(item, name, [](const RlpItem& i) { return i.AsUint64(); }, out);
}
Status U256Field(const RlpItem& item, const char* name, U256& out) {
  return Field(item, name, [](const RlpItem& i) { return i.AsUint(); }, out);
}

Result<Hash32> Word(const RlpItem& item, const char* name) {
  if (item.is_list() || item.bytes().size() != 32) {
    return Shape(std::string(name) + " must be 32 bytes");
  }
  Hash32 h;
  std::copy(item.bytes().begin(), item.bytes().end(), h.begin());
  return h;
}

// Decodes the nine unsigned fields from items[0..8].
Result<Eip1559Transaction> DecodeFields(const std::vector<RlpItem>& f) {
  Eip1559Transaction tx;
  TRIB_RETURN_IF_ERROR(Uint64Field(f[0], "chainId", tx.chain_id));
  TRIB_RETURN_IF_ERROR(Uint64Field(f[1], "nonce", tx.nonce));
  TRIB_RETURN_IF_ERROR(U256Field(f[2], "maxPriorityFeePerGas", tx.max_priority_fee_per_gas));
  TRIB_RETURN_IF_ERROR(U256Field(f[3], "maxFeePerGas", tx.max_fee_per_gas));
  TRIB_RETURN_IF_ERROR(Uint64Field(f[4], "gasLimit", tx.gas_limit));
  if (f[5].is_list() || (f[5].bytes().size() != 0 && f[5].bytes().size() != 20)) {
    return Shape("to must be 20 bytes or empty");
  }
  if (!f[5].bytes().empty()) tx.to = *Address::FromBytes(f[5].bytes());
  TRIB_RETURN_IF_ERROR(U256Field(f[6], "value", tx.value));
  if (f[7].is_list()) return Shape("data must be a byte string");
  tx.data = f[7].bytes();
  if (!f[8].is_list()) return Shape("accessList must be a list");
  for (const RlpItem& entry : f[8].items()) {
    if (!entry.is_list() || entry.items().size() != 2) {
      return Shape("an access list entry must be [address, [storageKeys]]");
    }
    const RlpItem& addr = entry.items()[0];
    const RlpItem& keys = entry.items()[1];
    if (addr.is_list() || addr.bytes().size() != 20) {
      return Shape("an access list address must be 20 bytes");
    }
    if (!keys.is_list()) return Shape("access list storage keys must be a list");
    AccessListEntry e;
    e.address = *Address::FromBytes(addr.bytes());
    for (const RlpItem& k : keys.items()) {
      TRIB_ASSIGN_OR_RETURN(Hash32 key, Word(k, "a storage key"));
      e.storage_keys.push_back(key);
    }
    tx.access_list.push_back(std::move(e));
  }
  return tx;
}

Result<std::vector<RlpItem>> DecodeList(ByteView encoded, size_t count) {
  if (encoded.empty() || encoded[0] != kTxType) {
    return Status::InvalidArgument("not an EIP-1559 transaction (first byte must be 0x02)",
                                   "tx_type");
  }
  TRIB_ASSIGN_OR_RETURN(RlpItem item, RlpDecode(encoded.subspan(1)));
  if (!item.is_list() || item.items().size() != count) {
    return Shape("expected a list of " + std::to_string(count) + " fields");
  }
  return item.items();
}

// r or s: an integer of at most 32 bytes without leading zeros, as a 32-byte word.
Status SignatureWord(const RlpItem& item, const char* name, Hash32& out) {
  U256 v;
  TRIB_RETURN_IF_ERROR(U256Field(item, name, v));
  out = v.ToBytes();
  return Status::OK();
}

}  // namespace

Bytes Eip1559Transaction::EncodeUnsigned() const {
  return Typed(RlpItem::List(UnsignedFields(*this)));
}

Hash32 Eip1559Transaction::SigningHash() const { return Keccak256(EncodeUnsigned()); }

Bytes SignedEip1559Transaction::Encode() const {
  std::vector<RlpItem> fields = UnsignedFields(tx);
  fields.push_back(RlpItem::Uint(Amount{signature.y_parity}));
  fields.push_back(RlpItem::Uint(U256::FromBytes(signature.r)));
  fields.push_back(RlpItem::Uint(U256::FromBytes(signature.s)));
  return Typed(RlpItem::List(std::move(fields)));
}

Hash32 SignedEip1559Transaction::Hash() const { return Keccak256(Encode()); }

Result<Address> SignedEip1559Transaction::Sender() const {
  return RecoverAddress(tx.SigningHash(), signature);
}

SignedEip1559Transaction SignTransaction(const Eip1559Transaction& tx, const PrivateKey& key) {
  return {tx, key.Sign(tx.SigningHash())};
}

Result<Eip1559Transaction> DecodeUnsignedTransaction(ByteView encoded) {
  TRIB_ASSIGN_OR_RETURN(std::vector<RlpItem> fields, DecodeList(encoded, 9));
  return DecodeFields(fields);
}

Result<SignedEip1559Transaction> DecodeSignedTransaction(ByteView raw) {
  TRIB_ASSIGN_OR_RETURN(std::vector<RlpItem> fields, DecodeList(raw, 12));
  SignedEip1559Transaction signed_tx;
  TRIB_ASSIGN_OR_RETURN(signed_tx.tx, DecodeFields(fields));
  uint64_t y_parity = 0;
  TRIB_RETURN_IF_ERROR(Uint64Field(fields[9], "yParity", y_parity));
  if (y_parity > 1) {
    return Status::InvalidArgument("EIP-1559 transaction yParity must be 0 or 1", "bad_signature");
  }
  signed_tx.signature.y_parity = static_cast<uint8_t>(y_parity);
  TRIB_RETURN_IF_ERROR(SignatureWord(fields[10], "r", signed_tx.signature.r));
  TRIB_RETURN_IF_ERROR(SignatureWord(fields[11], "s", signed_tx.signature.s));
  TRIB_RETURN_IF_ERROR(CheckSignatureValues(signed_tx.signature));
  return signed_tx;
}

}  // namespace tributary::evm
