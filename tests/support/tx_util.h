// Helpers for tests that talk to a real node: building and submitting signed
// transactions, checking the API's error shape, running the binary with a
// time limit, and reading/writing files byte for byte.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/test_util.h"
#include "tributary/base/amount.h"
#include "tributary/base/bytes.h"
#include "tributary/base/keys.h"
#include "tributary/ledger/genesis.h"
#include "tributary/ledger/tx.h"

namespace tributary::testing {

//! What GET /v1/chain says about the chain, parsed.
struct ChainInfo {
  std::string chain_id;
  ChainParams params;
  int decimals = 18;
  std::string sequencer_hex;
};

//! GET /v1/chain; nullopt when the node cannot be reached or answers oddly.
std::optional<ChainInfo> FetchChainInfo(int port);
//! GET /v1/accounts/{address} -> next_nonce; nullopt on any failure.
std::optional<uint64_t> FetchNextNonce(int port, const Address& address);
//! GET /v1/accounts/{address} as JSON (null on failure).
nlohmann::json FetchAccount(int port, const Address& address);

//! A signed tx of `kind` with `payload`; max_fee is the exact fee unless given.
Transaction BuildTx(const ChainInfo& chain, const KeyPair& key, uint64_t nonce,
                    const std::string& kind, Bytes payload,
                    std::optional<Amount> max_fee = std::nullopt);
//! A signed transfer of any amount (zero included: the node must refuse it), in the canonical
//! payload encoding.
Transaction BuildTransfer(const ChainInfo& chain, const KeyPair& key, uint64_t nonce,
                          const Address& to, Amount amount);
//! {"raw": "<hex>"}
std::string RawBody(const Transaction& tx);
//! POST /v1/tx (with ?wait=commit when asked).
HttpResponse SubmitTx(int port, const Transaction& tx, bool wait_commit);
//! Sends a transfer from `key` (next nonce fetched from the node) and waits for its commit;
//! returns the tx hash when the node answered "committed".
std::optional<std::string> TransferAndWait(int port, const ChainInfo& chain, const KeyPair& key,
                                           const Address& to, Amount amount);

//! Passes when the body is {"error":{"code":string,"message":string}} (nothing else required).
::testing::AssertionResult HasErrorShape(const HttpResponse& r);
//! HasErrorShape plus the given HTTP status and error code.
::testing::AssertionResult IsJsonError(const HttpResponse& r, int status, const std::string& code);

//! A deterministic key for tests.
KeyPair TestKey(uint8_t tag);
//! 1 token (10^18 base units) times n.
Amount Tokens(uint64_t n);

//! RunTributary with a wall-clock limit: the child is SIGKILLed when it runs longer.
struct TimedCommandResult {
  int exit_code = -1;      //!< exit status when the process exited normally
  bool exited = false;     //!< WIFEXITED
  int term_signal = 0;     //!< the signal that ended it, when it did not exit
  bool timed_out = false;  //!< we killed it
  double seconds = 0;
  std::string out;
  std::string err;
};
TimedCommandResult RunTributaryTimed(const std::vector<std::string>& args,
                                     const std::vector<std::string>& env, int timeout_ms);

//! `tributary --node URL ARGS...` against `node`, with its TRIBUTARY_HOME.
CommandResult RunCli(const NodeProcess& node, std::vector<std::string> args);
//! RunCli with --json: expects exit 0 (a test failure otherwise) and returns the parsed output
//! ({} when it is not JSON).
nlohmann::json RunCliJson(const NodeProcess& node, std::vector<std::string> args);
//! Creates the local key `name` if needed, funds it with `amount` tokens from `dev` and returns
//! its address.
std::string FundedKey(const NodeProcess& node, const std::string& name, const std::string& amount);

//! A file to upload as one contribution, signed by key `from` ("" for the CLI's default, dev).
struct UploadFile {
  std::string from;
  std::string name;
  std::string content;
};
//! `datanet create --name NAME --summary test --license MIT EXTRA...`, each file contributed
//! (written under `dir` first) and accepted, then version 1 published. The Datanet's id, or 0
//! with `error` set.
uint64_t CreatePublishedDatanet(const NodeProcess& node, const std::filesystem::path& dir,
                                const std::string& name, const std::vector<std::string>& extra,
                                const std::vector<UploadFile>& files, std::string* error);

//! One "error: ..." line on stderr (containing `needle`) and a plain non-zero exit.
::testing::AssertionResult FailsWithOneErrorLine(const CommandResult& r,
                                                 const std::string& needle = "");

//! Non-empty lines of `text`.
std::vector<std::string> Lines(const std::string& text);

std::string ReadFileBytes(const std::filesystem::path& path);
void WriteFileBytes(const std::filesystem::path& path, const std::string& bytes);

//! Flips one hex digit of `hex` at `pos` to a different hex digit.
std::string FlipHexDigit(std::string hex, size_t pos);

}  // namespace tributary::testing
