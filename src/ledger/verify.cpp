#include "tributary/ledger/verify.h"

#include "tributary/base/hash.h"
#include "tributary/ledger/readable.h"

namespace tributary {
namespace {

using json = nlohmann::json;

std::vector<Hash32> LeafHashes(const std::vector<Bytes>& items) {
  std::vector<Hash32> out;
  out.reserve(items.size());
  for (const auto& b : items) out.push_back(merkle::LeafHash(b));
  return out;
}

json InclusionJson(const merkle::InclusionProof& p) {
  json path = json::array();
  for (const auto& h : p.path) path.push_back(ToHex(h));
  return {{"leaf_index", p.leaf_index}, {"tree_size", p.tree_size}, {"path", path}};
}

Status BadProof(const std::string& msg) { return Status::InvalidArgument(msg, "bad_proof"); }

Result<merkle::InclusionProof> InclusionFromJson(const json& j) {
  if (!j.is_object() || !j.contains("leaf_index") || !j.contains("tree_size") ||
      !j.contains("path") || !j["leaf_index"].is_number_unsigned() ||
      !j["tree_size"].is_number_unsigned() || !j["path"].is_array()) {
    return BadProof("inclusion proof needs leaf_index, tree_size and path");
  }
  merkle::InclusionProof p;
  p.leaf_index = j["leaf_index"].get<uint64_t>();
  p.tree_size = j["tree_size"].get<uint64_t>();
  for (const auto& h : j["path"]) {
    if (!h.is_string()) return BadProof("path entries must be hex strings");
    auto v = FixedFromHex<32>(h.get<std::string>());
    if (!v.ok()) return BadProof("path entry: " + v.status().message());
    p.path.push_back(*v);
  }
  return p;
}

Result<Bytes> HexField(const json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) {
    return BadProof(std::string("proof is missing '") + name + "'");
  }
  auto b = FromHex(j[name].get<std::string>());
  if (!b.ok()) return BadProof(std::string("'") + name + "': " + b.status().message());
  return b;
}

// The names of the members beside the proof in an API response (none for a bare proof).
std::vector<std::string> ReadableNames(const json& doc) {
  std::vector<std::string> out;
  if (!doc.is_object() || !doc.contains("proof")) return out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "proof") out.push_back(it.key());
  }
  return out;
}

}  // namespace

Result<VerifyReport> VerifyLedger(const std::filesystem::path& data_dir,
                                  const TxKindRegistry& kinds,
                                  const std::function<void(uint64_t, uint64_t)>& progress) {
  auto db = data_dir / "ledger.db";
  if (!std::filesystem::exists(db)) return Status::NotFound("no ledger at " + db.string());
  TRIB_ASSIGN_OR_RETURN(auto store, Store::Open(db));
  TRIB_ASSIGN_OR_RETURN(auto stored_genesis, store->GetMeta("genesis"));
  if (!stored_genesis) return Status::Corruption("the ledger has no genesis record");
  json gj = json::parse(AsString(*stored_genesis), nullptr, false);
  if (gj.is_discarded()) return Status::Corruption("stored genesis is not JSON");
  TRIB_ASSIGN_OR_RETURN(Genesis genesis, Genesis::FromJson(gj));
  TRIB_ASSIGN_OR_RETURN(auto latest, store->LatestHeight());
  VerifyReport rep;
  // Records the first mismatch; the caller returns the report.
  auto fail = [&rep](uint64_t height, std::string problem) -> Result<VerifyReport> {
    rep.ok = false;
    rep.first_bad_height = height;
    rep.problem = std::move(problem);
    return rep;
  };
  if (!latest) {
    return fail(0, "the ledger has no genesis block");
  }
  rep.tip = *latest;
  Executor exec(genesis, kinds);
  const Address fee_collector = Address::FromPublicKey(genesis.sequencer);
  State state;
  Hash32 prev{};
  for (uint64_t h = 0; h <= *latest; ++h) {
    auto block = store->GetBlock(h);
    if (!block.ok()) {
      return fail(h, "block cannot be read: " + block.status().message());
    }
    auto header = BlockHeader::Decode(block->header);
    if (!header.ok()) {
      return fail(h, "header does not decode: " + header.status().message());
    }
    const BlockHeader& hd = *header;
    if (hd.height != h) return fail(h, "header says height " + std::to_string(hd.height));
    if (hd.chain_id != genesis.chain_id) return fail(h, "header has the wrong chain id");
    if (hd.prev_hash != prev) return fail(h, "previous-hash link is broken");
    if (hd.proposer != genesis.sequencer) return fail(h, "proposer is not the sequencer");
    if (!hd.SignatureValid()) return fail(h, "block signature does not verify");
    if (hd.Hash() != block->hash) return fail(h, "stored block hash does not match the header");
    if (hd.tx_count != block->txs.size() || block->receipts.size() != block->txs.size()) {
      return fail(h, "tx or receipt count does not match the header");
    }
    Overlay writes(&state);
    if (h == 0) {
      if (!block->txs.empty()) return fail(h, "genesis block holds transactions");
      exec.ApplyGenesis(writes);
    } else {
      Status s = exec.BeginBlock(writes, h);
      if (!s.ok()) return fail(h, s.ToString());
      for (size_t i = 0; i < block->txs.size(); ++i) {
        const Bytes& raw = block->txs[i];
        auto tx = Transaction::Decode(raw);
        if (!tx.ok()) return fail(h, "tx " + std::to_string(i) + ": " + tx.status().ToString());
        s = exec.CheckTx(*tx, raw.size());
        if (!s.ok()) return fail(h, "tx " + std::to_string(i) + " is invalid: " + s.ToString());
        auto receipt =
            exec.ApplyTx(writes, *tx, Sha256(raw), raw.size(), h, hd.timestamp_ms, fee_collector);
        if (!receipt.ok()) {
          return fail(h,
                      "tx " + std::to_string(i) + " cannot apply: " + receipt.status().ToString());
        }
        if (receipt->Encode() != block->receipts[i]) {
          return fail(h, "receipt " + std::to_string(i) + " differs from the replayed one");
        }
        rep.txs_checked++;
      }
    }
    if (merkle::RootFromLeafHashes(LeafHashes(block->txs)) != hd.tx_root) {
      return fail(h, "tx root does not match");
    }
    if (merkle::RootFromLeafHashes(LeafHashes(block->receipts)) != hd.receipts_root) {
      return fail(h, "receipts root does not match");
    }
    state.Apply(writes.writes());
    if (state.Root() != hd.state_root) return fail(h, "state root does not match");
    prev = hd.Hash();
    rep.blocks_checked++;
    if (progress) progress(h + 1, *latest + 1);
  }
  // The stored state table must be exactly the replayed state: compared entry by entry as the
  // table is scanned (no second copy of the state in memory), naming the first key that differs.
  uint64_t stored_keys = 0;
  std::string differs;
  Status scanned = store->ScanState([&](const std::string& k, ByteView v) {
    ++stored_keys;
    auto replayed = state.Get(k);
    if (!replayed) {
      differs = "the stored state holds key " + ToHex(AsBytes(k)) + ", which the replay does not";
    } else if (!std::equal(replayed->begin(), replayed->end(), v.begin(), v.end())) {
      differs = "the stored value of key " + ToHex(AsBytes(k)) + " differs from the replayed one";
    }
    // Stop at the first difference.
    return differs.empty() ? Status::OK() : Status::Corruption(differs);
  });
  if (!scanned.ok() && differs.empty()) return scanned;
  if (differs.empty() && stored_keys != state.size()) {
    // A replayed key the table lacks: find it by looking each one up.
    Status lookup;
    state.ForEach([&](const std::string& k, const Bytes&) {
      if (!differs.empty() || !lookup.ok()) return;
      auto got = store->GetState(k);
      if (!got.ok()) {
        lookup = got.status();
      } else if (!*got) {
        differs = "the stored state lacks key " + ToHex(AsBytes(k)) + " of the replayed state";
      }
    });
    TRIB_RETURN_IF_ERROR(lookup);
    if (differs.empty()) {
      differs = "the stored state holds " + std::to_string(stored_keys) + " keys, the replay " +
                std::to_string(state.size());
    }
  }
  if (!differs.empty())
    return fail(*latest, "stored state differs from the replayed state at the tip: " + differs);
  rep.state_root = state.Root();
  return rep;
}

json TxProofJson(const TxLookup& l) {
  return {{"type", "tx"},
          {"tx", ToHex(l.raw)},
          {"receipt", ToHex(l.receipt_raw)},
          {"header", ToHex(l.header.Encode())},
          {"tx_inclusion", InclusionJson(l.tx_proof)},
          {"receipt_inclusion", InclusionJson(l.receipt_proof)}};
}

namespace {

// The SMT part of an account or state proof.
json SmtProofJson(json j, const BlockHeader& header, const std::optional<SmtProof>& proof,
                  const std::optional<Bytes>& value) {
  json siblings = json::array();
  if (proof) {
    for (const auto& s : proof->siblings) siblings.push_back(ToHex(s));
  }
  j["header"] = ToHex(header.Encode());
  j["siblings"] = siblings;
  j["value"] = value ? json(ToHex(*value)) : json(nullptr);
  if (proof && proof->other_leaf) {
    j["other_leaf"] = {{"key_hash", ToHex(proof->other_leaf->first)},
                       {"value_hash", ToHex(proof->other_leaf->second)}};
  }
  return j;
}

}  // namespace

json AccountProofJson(const AccountLookup& l) {
  return SmtProofJson({{"type", "account"}, {"address", l.address.ToString()}}, l.header, l.proof,
                      l.value);
}

json StateProofJson(const std::string& key, const StateLookup& l) {
  return SmtProofJson({{"type", "state"}, {"key", ToHex(AsBytes(key))}}, l.header, l.proof,
                      l.value);
}

Result<ProofCheck> VerifyProofJson(const json& doc, const TxKindRegistry& kinds,
                                   const std::optional<PublicKey>& trusted_sequencer,
                                   const StateViewer& state_viewer) {
  const json& p = doc.is_object() && doc.contains("proof") ? doc["proof"] : doc;
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
    return BadProof("no proof object with a 'type' found");
  }
  TRIB_ASSIGN_OR_RETURN(Bytes header_raw, HexField(p, "header"));
  auto header = BlockHeader::Decode(header_raw);
  if (!header.ok()) return BadProof("block header: " + header.status().message());
  if (!header->SignatureValid()) return BadProof("the block header's signature does not verify");
  if (trusted_sequencer && header->proposer != *trusted_sequencer) {
    return BadProof("the block was signed by " + ToHex(header->proposer) +
                    ", not the trusted sequencer");
  }
  ProofCheck out;
  out.height = header->height;
  out.proposer = header->proposer;
  const std::string type = p["type"].get<std::string>();
  out.readable = ReadableNames(doc);
  if (type == "tx") {
    out.kind = "tx";
    TRIB_RETURN_IF_ERROR(CheckOnlyMembers(
        p, {"type", "tx", "receipt", "header", "tx_inclusion", "receipt_inclusion"}, "proof"));
    TRIB_ASSIGN_OR_RETURN(Bytes tx_raw, HexField(p, "tx"));
    TRIB_ASSIGN_OR_RETURN(Bytes receipt_raw, HexField(p, "receipt"));
    TRIB_ASSIGN_OR_RETURN(auto tx_inc, InclusionFromJson(p.value("tx_inclusion", json())));
    TRIB_ASSIGN_OR_RETURN(auto rc_inc, InclusionFromJson(p.value("receipt_inclusion", json())));
    if (tx_inc.leaf_index != rc_inc.leaf_index || tx_inc.tree_size != rc_inc.tree_size) {
      return BadProof("tx and receipt proofs are for different positions");
    }
    if (tx_inc.tree_size != header->tx_count)
      return BadProof("tree size differs from the block's tx count");
    Status s = merkle::VerifyInclusion(merkle::LeafHash(tx_raw), tx_inc, header->tx_root);
    if (!s.ok()) return BadProof("the tx is not in the block's tx root: " + s.message());
    s = merkle::VerifyInclusion(merkle::LeafHash(receipt_raw), rc_inc, header->receipts_root);
    if (!s.ok()) return BadProof("the receipt is not in the block's receipts root: " + s.message());
    auto tx = Transaction::Decode(tx_raw);
    if (!tx.ok()) return BadProof("tx: " + tx.status().message());
    auto receipt = Receipt::Decode(receipt_raw);
    if (!receipt.ok()) return BadProof("receipt: " + receipt.status().message());
    Hash32 tx_hash = Sha256(tx_raw);
    if (receipt->tx_hash != tx_hash) return BadProof("the receipt belongs to another tx");
    TRIB_RETURN_IF_ERROR(CheckReadableMembers(
        doc, TxProvenMembers(*tx, *receipt, *header, tx_inc.leaf_index, kinds)));
    auto tj = tx->ToJson(kinds);
    std::string payload = tj.ok() ? (*tj)["payload"].dump() : "";
    out.summary = "tx " + ToHex(tx_hash) + " (" + tx->kind + " from " +
                  tx->sender_address().ToString() + ", nonce " + std::to_string(tx->nonce) +
                  ", payload " + payload + ") is in block " + std::to_string(header->height) +
                  " at index " + std::to_string(tx_inc.leaf_index) + " with receipt " +
                  (receipt->status == Receipt::kSuccess ? "success" : "failed: " + receipt->error) +
                  ", fee " + AmountToString(receipt->fee_charged);
    return out;
  }
  if (type == "account" || type == "state") {
    out.kind = type;
    TRIB_RETURN_IF_ERROR(CheckOnlyMembers(p,
                                          {"type", type == "account" ? "address" : "key", "header",
                                           "siblings", "value", "other_leaf"},
                                          "proof"));
    std::string key;
    Address addr;
    if (type == "account") {
      if (!p.contains("address") || !p["address"].is_string()) {
        return BadProof("proof needs 'address'");
      }
      auto a = Address::Parse(p["address"].get<std::string>());
      if (!a.ok()) return BadProof(a.status().message());
      addr = *a;
      key = AccountKey(addr);
    } else {
      TRIB_ASSIGN_OR_RETURN(Bytes k, HexField(p, "key"));
      key.assign(k.begin(), k.end());
    }
    SmtProof proof;
    if (!p.contains("siblings") || !p["siblings"].is_array())
      return BadProof("proof needs 'siblings'");
    for (const auto& s : p["siblings"]) {
      auto h =
          s.is_string() ? FixedFromHex<32>(s.get<std::string>()) : Result<Hash32>(BadProof("x"));
      if (!h.ok()) return BadProof("siblings must be 32-byte hex strings");
      proof.siblings.push_back(*h);
    }
    if (p.contains("other_leaf") && p["other_leaf"].is_object()) {
      auto k = FixedFromHex<32>(p["other_leaf"].value("key_hash", ""));
      auto v = FixedFromHex<32>(p["other_leaf"].value("value_hash", ""));
      if (!k.ok() || !v.ok()) return BadProof("other_leaf needs key_hash and value_hash");
      proof.other_leaf = std::make_pair(*k, *v);
    }
    std::optional<Hash32> value_hash;
    if (p.contains("value") && !p["value"].is_null()) {
      TRIB_ASSIGN_OR_RETURN(Bytes value, HexField(p, "value"));
      value_hash = State::ValueHash(value);
      out.state_value = std::move(value);
    }
    Status s = VerifySmtProof(header->state_root, State::KeyHash(key), value_hash, proof);
    if (!s.ok()) {
      return BadProof("the " + type + " is not proven by the block's state root: " + s.message());
    }
    out.state_key = key;
    if (type == "state") {
      std::optional<StateView> view;
      if (state_viewer) view = state_viewer(key, out.state_value);
      // Without a view nothing beside the proof can be checked, so nothing may stand there.
      TRIB_RETURN_IF_ERROR(CheckReadableMembers(doc, view ? view->members : json::object()));
      if (view) {
        out.kind = view->kind;
        out.summary = view->summary;
        return out;
      }
      out.summary = "state key " + ToHex(AsBytes(key)) + " at block " +
                    std::to_string(header->height) +
                    (value_hash ? ": value sha256 " + ToHex(*value_hash) : ": absent");
      return out;
    }
    Account account;
    if (out.state_value) {
      auto a = Account::Decode(*out.state_value);
      if (!a.ok()) return BadProof("account value does not decode");
      account = *a;
    }
    TRIB_RETURN_IF_ERROR(CheckReadableMembers(doc, AccountProvenMembers(addr, account, *header)));
    out.summary = "account " + addr.ToString() + " at block " + std::to_string(header->height) +
                  (value_hash ? ": balance " + AmountToString(account.balance) + ", staked " +
                                    AmountToString(account.staked) + ", unbonding " +
                                    AmountToString(account.unbonding) + ", nonce " +
                                    std::to_string(account.nonce)
                              : ": absent (empty account)");
    return out;
  }
  return BadProof("unknown proof type '" + type + "'");
}

}  // namespace tributary
