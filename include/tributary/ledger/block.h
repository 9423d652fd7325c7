// Block headers.
//
// Encoding: body = u8 version(=1) | str chain_id | u64 height | 32B prev hash |
//   u64 timestamp ms | 32B proposer key | 32B tx root | 32B receipts root |
//   32B state root | u32 tx count;  encoded header = body | 64B signature.
// The block hash is SHA-256("tributary/block/v1" || body): exactly what the
// proposer signs, so a header proves itself given the sequencer's key.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"

namespace tributary {

struct BlockHeader {
  std::string chain_id;
  uint64_t height = 0;
  Hash32 prev_hash{};
  uint64_t timestamp_ms = 0;
  PublicKey proposer{};
  Hash32 tx_root{};
  Hash32 receipts_root{};
  Hash32 state_root{};
  uint32_t tx_count = 0;
  Signature signature{};

  Bytes SigningBytes() const;
  Hash32 Hash() const;
  Bytes Encode() const;
  static Result<BlockHeader> Decode(ByteView encoded);
  void SignWith(const KeyPair& key);
  bool SignatureValid() const;
  nlohmann::json ToJson() const;
};

}  // namespace tributary
