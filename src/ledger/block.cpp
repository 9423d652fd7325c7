#include "tributary/ledger/block.h"

#include "tributary/base/encoding.h"
#include "tributary/base/hash.h"

namespace tributary {
namespace {
constexpr uint8_t kBlockVersion = 1;
constexpr std::string_view kBlockDomain = "tributary/block/v1";

Writer Body(const BlockHeader& h) {
  Writer w;
  w.U8(kBlockVersion)
      .Str(h.chain_id)
      .U64(h.height)
      .Fixed(h.prev_hash)
      .U64(h.timestamp_ms)
      .Fixed(h.proposer)
      .Fixed(h.tx_root)
      .Fixed(h.receipts_root)
      .Fixed(h.state_root)
      .U32(h.tx_count);
  return w;
}
}  // namespace

Bytes BlockHeader::SigningBytes() const {
  Bytes out(kBlockDomain.begin(), kBlockDomain.end());
  Bytes body = Body(*this).bytes();
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Hash32 BlockHeader::Hash() const { return Sha256(SigningBytes()); }

Bytes BlockHeader::Encode() const {
  Writer w = Body(*this);
  w.Fixed(signature);
  return std::move(w).bytes();
}

Result<BlockHeader> BlockHeader::Decode(ByteView encoded) {
  Reader r(encoded);
  BlockHeader h;
  uint8_t version = 0;
  Status s = r.U8(&version);
  if (s.ok() && version != kBlockVersion) {
    return Status::Corruption("block header version " + std::to_string(version) + " is unknown");
  }
  if (s.ok()) s = r.Str(&h.chain_id, 64);
  if (s.ok()) s = r.U64(&h.height);
  if (s.ok()) s = r.Fixed(&h.prev_hash);
  if (s.ok()) s = r.U64(&h.timestamp_ms);
  if (s.ok()) s = r.Fixed(&h.proposer);
  if (s.ok()) s = r.Fixed(&h.tx_root);
  if (s.ok()) s = r.Fixed(&h.receipts_root);
  if (s.ok()) s = r.Fixed(&h.state_root);
  if (s.ok()) s = r.U32(&h.tx_count);
  if (s.ok()) s = r.Fixed(&h.signature);
  if (s.ok()) s = r.ExpectEnd();
  if (!s.ok()) return Status::InvalidArgument("block header: " + s.message(), "malformed_encoding");
  return h;
}

void BlockHeader::SignWith(const KeyPair& key) {
  proposer = key.public_key();
  signature = key.Sign(SigningBytes());
}

bool BlockHeader::SignatureValid() const {
  return VerifySignature(proposer, SigningBytes(), signature);
}

nlohmann::json BlockHeader::ToJson() const {
  return {{"hash", ToHex(Hash())},
          {"chain_id", chain_id},
          {"height", height},
          {"prev_hash", ToHex(prev_hash)},
          {"timestamp_ms", timestamp_ms},
          {"proposer", ToHex(proposer)},
          {"tx_root", ToHex(tx_root)},
          {"receipts_root", ToHex(receipts_root)},
          {"state_root", ToHex(state_root)},
          {"tx_count", tx_count},
          {"signature", ToHex(signature)},
          {"raw", ToHex(Encode())}};
}

}  // namespace tributary
