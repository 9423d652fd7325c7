#include "tributary/evm/abi.h"
#include "tributary/evm/quantity.h"
#include "tributary/settlement/commitments_contract.h"

namespace tributary::settlement {
namespace {

const char* kPostedEvent =
    "CommitmentPosted(uint64 indexed height, bytes32 blockHash, bytes32 stateRoot, uint64 "
    "postedAt)";

const evm::EventAbi& PostedAbi() {
  static const evm::EventAbi* abi = new evm::EventAbi(*evm::EventAbi::Parse(kPostedEvent));
  return *abi;
}

Status NotCommitments(const evm::Address& address, const std::string& view, const Status& why) {
  return Status::FailedPrecondition(
      "the contract at " + address.ToChecksumString() + " did not answer " + view +
          " as TributaryCommitments does: is it another contract? (" + why.message() + ")",
      "not_commitments_contract");
}

Bytes Selector(const char* signature) {
  auto s = evm::FunctionSelector(signature);
  return Bytes(s.begin(), s.end());
}

Result<uint64_t> ToU64(const U256& v, const char* what) {
  auto small = evm::ToUint64(v);
  if (!small.ok()) return Status::InvalidArgument(std::string(what) + " does not fit 64 bits");
  return *small;
}

}  // namespace

Result<Bytes> CommitmentsContract::CallView(const char* signature, const Bytes& calldata) const {
  evm::CallRequest call;
  call.to = address_;
  call.data = calldata;
  auto r = rpc_->CallContract(call);
  // The contract's views never revert: a revert means another contract is at the address.
  if (!r.ok() && r.status().reason() == "execution_reverted") {
    return NotCommitments(address_, signature, r.status());
  }
  if (!r.ok()) return r.status().WithContext(std::string("TributaryCommitments.") + signature);
  return r;
}

Status CommitmentsContract::CheckDeployed() const {
  TRIB_ASSIGN_OR_RETURN(
      nlohmann::json code,
      rpc_->Call("eth_getCode", nlohmann::json::array({address_.ToLowerHex(), "latest"})));
  if (!code.is_string()) {
    return Status::Unavailable("JSON-RPC eth_getCode: malformed answer: result is not a string",
                               "rpc_bad_response");
  }
  const std::string text = code.get<std::string>();
  if (text == "0x" || text == "0x0" || text.empty()) {
    return Status::FailedPrecondition(
        "no contract at " + address_.ToChecksumString() +
            " on this EVM chain (a wrong --settle-commitments address, or another chain?)",
        "no_contract");
  }
  return Status::OK();
}

Result<uint64_t> CommitmentsContract::Interval() const {
  TRIB_ASSIGN_OR_RETURN(Bytes out, CallView("interval()", Selector("interval()")));
  const evm::AbiType t = evm::AbiType::Uint(64);
  auto v = evm::AbiDecode({&t, 1}, out);
  if (!v.ok()) return NotCommitments(address_, "interval()", v.status());
  return ToU64((*v)[0].as_uint(), "interval");
}

Result<uint64_t> CommitmentsContract::LatestHeight() const {
  TRIB_ASSIGN_OR_RETURN(Bytes out, CallView("latestHeight()", Selector("latestHeight()")));
  const evm::AbiType t = evm::AbiType::Uint(64);
  auto v = evm::AbiDecode({&t, 1}, out);
  if (!v.ok()) return NotCommitments(address_, "latestHeight()", v.status());
  return ToU64((*v)[0].as_uint(), "latestHeight");
}

Result<evm::Address> CommitmentsContract::Sequencer() const {
  TRIB_ASSIGN_OR_RETURN(Bytes out, CallView("sequencer()", Selector("sequencer()")));
  const evm::AbiType t = evm::AbiType::Address();
  auto v = evm::AbiDecode({&t, 1}, out);
  if (!v.ok()) return NotCommitments(address_, "sequencer()", v.status());
  return (*v)[0].as_address();
}

Result<PostedCommitment> CommitmentsContract::Commitment(uint64_t height) const {
  auto fn = evm::FunctionSignature::Parse("commitment(uint64)");
  const evm::AbiValue arg = evm::AbiValue::FromUint(U256(height));
  TRIB_ASSIGN_OR_RETURN(Bytes calldata, fn->EncodeCall({&arg, 1}));
  TRIB_ASSIGN_OR_RETURN(Bytes out, CallView("commitment(uint64)", calldata));
  const std::vector<evm::AbiType> types = {evm::AbiType::FixedBytes(32),
                                           evm::AbiType::FixedBytes(32), evm::AbiType::Uint(64)};
  auto v = evm::AbiDecode(types, out);
  if (!v.ok()) return NotCommitments(address_, "commitment(uint64)", v.status());
  PostedCommitment c;
  c.block_hash = (*v)[0].as_hash();
  c.state_root = (*v)[1].as_hash();
  TRIB_ASSIGN_OR_RETURN(c.posted_at, ToU64((*v)[2].as_uint(), "postedAt"));
  return c;
}

Result<bool> CommitmentsContract::IsFinal(uint64_t height) const {
  auto fn = evm::FunctionSignature::Parse("isFinal(uint64)");
  const evm::AbiValue arg = evm::AbiValue::FromUint(U256(height));
  TRIB_ASSIGN_OR_RETURN(Bytes calldata, fn->EncodeCall({&arg, 1}));
  TRIB_ASSIGN_OR_RETURN(Bytes out, CallView("isFinal(uint64)", calldata));
  const evm::AbiType t = evm::AbiType::Bool();
  auto v = evm::AbiDecode({&t, 1}, out);
  if (!v.ok()) return NotCommitments(address_, "isFinal(uint64)", v.status());
  return (*v)[0].as_bool();
}

Result<std::vector<CommitmentPostedEvent>> CommitmentsContract::PostedEvents(
    const evm::BlockTag& from, const evm::BlockTag& to, std::optional<uint64_t> height) const {
  evm::LogFilter filter;
  filter.from_block = from;
  filter.to_block = to;
  filter.addresses = {address_};
  filter.topics = {{PostedTopic()}};
  if (height) {
    auto topic = evm::EncodeTopic(evm::AbiType::Uint(64), evm::AbiValue::FromUint(U256(*height)));
    if (!topic.ok()) return topic.status();
    filter.topics.push_back({*topic});
  }
  TRIB_ASSIGN_OR_RETURN(std::vector<evm::Log> logs, rpc_->GetLogs(filter));
  std::vector<CommitmentPostedEvent> events;
  for (const evm::Log& log : logs) {
    if (log.removed || log.address != address_) continue;
    TRIB_ASSIGN_OR_RETURN(CommitmentPostedEvent e, DecodePosted(log));
    events.push_back(e);
  }
  return events;
}

Bytes CommitmentsContract::EncodePost(uint64_t height, const Hash32& block_hash,
                                      const Hash32& state_root) {
  static const evm::FunctionSignature* post =
      new evm::FunctionSignature(*evm::FunctionSignature::Parse("post(uint64,bytes32,bytes32)"));
  const std::vector<evm::AbiValue> args = {evm::AbiValue::FromUint(U256(height)),
                                           evm::AbiValue::FromHash(block_hash),
                                           evm::AbiValue::FromHash(state_root)};
  // The values fit their types by construction.
  return *post->EncodeCall(args);
}

Hash32 CommitmentsContract::PostedTopic() { return PostedAbi().Topic0(); }

Result<CommitmentPostedEvent> CommitmentsContract::DecodePosted(const evm::Log& log) {
  TRIB_ASSIGN_OR_RETURN(std::vector<evm::AbiValue> v, PostedAbi().DecodeLog(log.topics, log.data));
  CommitmentPostedEvent e;
  TRIB_ASSIGN_OR_RETURN(e.height, ToU64(v[0].as_uint(), "height"));
  e.commitment.block_hash = v[1].as_hash();
  e.commitment.state_root = v[2].as_hash();
  TRIB_ASSIGN_OR_RETURN(e.commitment.posted_at, ToU64(v[3].as_uint(), "postedAt"));
  e.evm_block = log.block_number;
  e.tx_hash = log.transaction_hash;
  return e;
}

}  // namespace tributary::settlement
