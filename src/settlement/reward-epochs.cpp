#include <algorithm>

#include "tributary/evm/abi.h"
#include "tributary/evm/merkle_tree.h"
#include "tributary/evm/quantity.h"
#include "tributary/ledger/tx.h"
#include "tributary/settlement/reward_epochs.h"
#include "tributary/settlement/tx_sender.h"

namespace tributary::settlement {
namespace {

evm::Address ToEvm(const economy::EvmAddress& a) {
  evm::Address out;
  out.bytes = a;
  return out;
}

const char* kWhat = "RewardDistributor";
const char* kReason = "not_reward_distributor";

}  // namespace

Result<EpochTree> BuildEpochTree(std::vector<std::pair<economy::EvmAddress, Amount>> leaves) {
  EpochTree tree;
  tree.leaves = std::move(leaves);
  if (tree.leaves.empty()) return tree;
  std::vector<std::vector<evm::AbiValue>> rows;
  rows.reserve(tree.leaves.size());
  for (const auto& [address, amount] : tree.leaves) {
    rows.push_back(
        {evm::AbiValue::FromAddress(ToEvm(address)), evm::AbiValue::FromUint(U256(amount))});
  }
  TRIB_ASSIGN_OR_RETURN(
      evm::StandardMerkleTree built,
      evm::StandardMerkleTree::Build({evm::AbiType::Address(), evm::AbiType::Uint(256)}, rows));
  tree.root = built.root();
  for (size_t i = 0; i < tree.leaves.size(); ++i) {
    TRIB_ASSIGN_OR_RETURN(std::vector<Hash32> proof, built.Proof(i));
    tree.proofs.push_back(std::move(proof));
  }
  return tree;
}

Bytes EncodeClaim(const RewardClaim& claim) {
  static const evm::FunctionSignature* fn = new evm::FunctionSignature(
      *evm::FunctionSignature::Parse("claim(uint64,address,uint256,bytes32[])"));
  std::vector<evm::AbiValue> proof;
  for (const Hash32& h : claim.proof) proof.push_back(evm::AbiValue::FromHash(h));
  const std::vector<evm::AbiValue> args = {
      evm::AbiValue::FromUint(U256(claim.epoch)), evm::AbiValue::FromAddress(ToEvm(claim.account)),
      evm::AbiValue::FromUint(U256(claim.amount)), evm::AbiValue::FromArray(std::move(proof))};
  return *fn->EncodeCall(args);
}

Result<evm::TransactionReceipt> SendClaim(evm::RpcClient* rpc, const evm::PrivateKey& key,
                                          const evm::Address& distributor,
                                          const RewardClaim& claim,
                                          std::chrono::milliseconds timeout) {
  TRIB_ASSIGN_OR_RETURN(uint64_t chain_id, rpc->ChainId());
  TxSender sender(rpc, key, chain_id);
  return SendAndWait(sender, distributor, EncodeClaim(claim), timeout, "claim");
}

Result<EpochTree> ClosedEpochTree(Chain* chain, uint64_t epoch) {
  std::vector<std::pair<economy::EvmAddress, Amount>> leaves;
  bool closed = false;
  TRIB_RETURN_IF_ERROR(chain->ReadState(
      [&](const StateReader& state, const StateReader&, const BlockHeader&) -> Status {
        TRIB_ASSIGN_OR_RETURN(economy::RewardEpoch e, economy::LoadRewardEpoch(state, epoch));
        closed = e.closed;
        if (closed) {
          TRIB_ASSIGN_OR_RETURN(leaves, economy::LoadEpochLeaves(state, epoch));
        }
        return Status::OK();
      }));
  if (!closed) {
    return Status::NotFound("reward epoch " + std::to_string(epoch) + " is not closed",
                            "unknown_epoch");
  }
  return BuildEpochTree(std::move(leaves));
}

Result<RewardClaim> ClaimIn(Chain* chain, uint64_t epoch, const economy::EvmAddress& account) {
  TRIB_ASSIGN_OR_RETURN(EpochTree tree, ClosedEpochTree(chain, epoch));
  for (size_t i = 0; i < tree.leaves.size(); ++i) {
    if (tree.leaves[i].first != account) continue;
    RewardClaim c;
    c.epoch = epoch;
    c.account = account;
    c.amount = tree.leaves[i].second;
    c.proof = tree.proofs[i];
    c.root = tree.root;
    return c;
  }
  return Status::NotFound(
      economy::EvmAddressToString(account) + " earned nothing in epoch " + std::to_string(epoch),
      "no_claim");
}

Result<std::unique_ptr<RewardEpochs>> RewardEpochs::Create(Chain* chain,
                                                           std::unique_ptr<evm::RpcClient> rpc,
                                                           RewardEpochsOptions options) {
  if (chain == nullptr || rpc == nullptr || !options.sequencer || options.epoch_blocks == 0) {
    return Status::InvalidArgument(
        "reward epochs need a chain, an RPC client, the sequencer's key "
        "and an epoch length >= 1",
        "bad_settle_option");
  }
  return std::unique_ptr<RewardEpochs>(new RewardEpochs(chain, std::move(rpc), std::move(options)));
}

RewardEpochs::RewardEpochs(Chain* chain, std::unique_ptr<evm::RpcClient> rpc,
                           RewardEpochsOptions options)
    : chain_(chain), rpc_(std::move(rpc)), options_(std::move(options)) {
  stats_.distributor = options_.distributor;
  stats_.epoch_blocks = options_.epoch_blocks;
}

Result<uint64_t> RewardEpochs::LastEpoch() const {
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue v, CallView(rpc_.get(), options_.distributor, kWhat, kReason,
                                                  "lastEpoch()", {}, evm::AbiType::Uint(64)));
  TRIB_ASSIGN_OR_RETURN(uint64_t last, evm::ToUint64(v.as_uint()));
  std::lock_guard<std::mutex> lock(mu_);
  stats_.contract_last_epoch = last;
  return last;
}

Status RewardEpochs::Check(const evm::Address& bridge_token) const {
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue token,
                        CallView(rpc_.get(), options_.distributor, kWhat, kReason, "token()", {},
                                 evm::AbiType::Address()));
  if (token.as_address() != bridge_token) {
    return Status::FailedPrecondition(
        "the RewardDistributor at " + options_.distributor.ToChecksumString() + " pays " +
            token.as_address().ToChecksumString() + ", not the bridge's OPEN " +
            bridge_token.ToChecksumString(),
        "rewards_mismatch");
  }
  TRIB_ASSIGN_OR_RETURN(evm::AbiValue poster,
                        CallView(rpc_.get(), options_.distributor, kWhat, kReason, "poster()", {},
                                 evm::AbiType::Address()));
  if (poster.as_address() != options_.poster) {
    return Status::FailedPrecondition("the settlement key's address " +
                                          options_.poster.ToChecksumString() +
                                          " is not the poster of the RewardDistributor at " +
                                          options_.distributor.ToChecksumString() + " (" +
                                          poster.as_address().ToChecksumString() + ")",
                                      "not_poster");
  }
  return LastEpoch().status();
}

Status RewardEpochs::CloseDue() {
  uint64_t open = 0, pending_open = 0, last_close = 0, height = 0;
  TRIB_RETURN_IF_ERROR(
      chain_->ReadState([&](const StateReader& committed, const StateReader& pending,
                            const BlockHeader& head) -> Status {
        TRIB_ASSIGN_OR_RETURN(open, economy::LoadOpenEpoch(committed));
        TRIB_ASSIGN_OR_RETURN(pending_open, economy::LoadOpenEpoch(pending));
        if (open > 1) {
          TRIB_ASSIGN_OR_RETURN(economy::RewardEpoch last,
                                economy::LoadRewardEpoch(committed, open - 1));
          last_close = last.close_height;
        }
        height = head.height;
        return Status::OK();
      }));
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.open_epoch = open;
  }
  if (pending_open != open || height < last_close + options_.epoch_blocks) return Status::OK();
  economy::CloseEpochPayload payload;
  payload.epoch = open;
  payload.recipient = options_.poster.bytes;
  const Genesis& g = chain_->genesis();
  Transaction tx;
  tx.chain_id = g.chain_id;
  tx.kind = std::string(economy::kCloseEpochKind);
  tx.payload = payload.Encode();
  tx.max_fee = *g.params.FeeFor(g.params.max_tx_bytes);
  TRIB_RETURN_IF_ERROR(chain_->SubmitSigned(std::move(tx), *options_.sequencer).status());
  std::lock_guard<std::mutex> lock(mu_);
  stats_.closes_submitted++;
  return Status::OK();
}

Result<std::optional<RewardCall>> RewardEpochs::NextCall(
    const std::function<Result<bool>(uint64_t)>& released) {
  TRIB_ASSIGN_OR_RETURN(uint64_t last, LastEpoch());
  const uint64_t epoch = last + 1;
  economy::RewardEpoch e;
  TRIB_RETURN_IF_ERROR(chain_->ReadState(
      [&](const StateReader& state, const StateReader&, const BlockHeader&) -> Status {
        TRIB_ASSIGN_OR_RETURN(e, economy::LoadRewardEpoch(state, epoch));
        return Status::OK();
      }));
  if (!e.closed) return std::optional<RewardCall>();
  RewardCall call;
  call.epoch = epoch;
  call.total = e.total;
  call.leaves = e.leaves;
  if (e.total > 0) {
    // The epoch's OPEN reaches the poster through the bridge first.
    TRIB_ASSIGN_OR_RETURN(bool done, released(e.withdrawal_id));
    if (!done) return std::optional<RewardCall>();
    TRIB_ASSIGN_OR_RETURN(evm::AbiValue token,
                          CallView(rpc_.get(), options_.distributor, kWhat, kReason, "token()", {},
                                   evm::AbiType::Address()));
    const Erc20Token open(rpc_.get(), token.as_address());
    TRIB_ASSIGN_OR_RETURN(U256 allowance, open.Allowance(options_.poster, options_.distributor));
    if (allowance < U256(e.total)) {
      call.kind = RewardCall::Kind::kApprove;
      call.to = token.as_address();
      // Once, for every later epoch too.
      std::array<uint8_t, 32> max;
      max.fill(0xff);
      call.calldata = Erc20Token::EncodeApprove(options_.distributor, U256::FromBytes(max));
      return std::optional<RewardCall>(std::move(call));
    }
    TRIB_ASSIGN_OR_RETURN(EpochTree tree, ClosedEpochTree(chain_, epoch));
    call.root = tree.root;
  }
  static const evm::FunctionSignature* post = new evm::FunctionSignature(
      *evm::FunctionSignature::Parse("postEpoch(uint64,bytes32,uint256)"));
  const std::vector<evm::AbiValue> args = {evm::AbiValue::FromUint(U256(epoch)),
                                           evm::AbiValue::FromHash(call.root),
                                           evm::AbiValue::FromUint(U256(call.total))};
  call.kind = RewardCall::Kind::kPostEpoch;
  call.to = options_.distributor;
  call.calldata = *post->EncodeCall(args);
  return std::optional<RewardCall>(std::move(call));
}

void RewardEpochs::NoteMined(const RewardCall& call, const evm::TransactionReceipt& receipt) {
  if (call.kind != RewardCall::Kind::kPostEpoch) return;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.epochs_posted++;
  stats_.post_gas_total += receipt.gas_used;
  stats_.last_posted = call;
  stats_.last_post_tx = receipt.transaction_hash;
  stats_.last_post_gas = receipt.gas_used;
  stats_.contract_last_epoch = std::max(stats_.contract_last_epoch.value_or(0), call.epoch);
}

RewardEpochsStats RewardEpochs::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace tributary::settlement
