// `tributary verify-proof`: any JSON document is either refused or verified; never a crash.
#include "fuzz_util.h"
#include "tributary/base/json_parse.h"
#include "tributary/economy/kinds.h"
#include "tributary/economy/receipt_proof.h"
#include "tributary/ledger/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  auto j = ParseJsonBounded(fuzz::Text(data, size), 64);
  if (!j.ok()) return 0;
  (void)VerifyProofJson(*j, economy::AllTxKinds(), std::nullopt, economy::ReceiptStateView);
  return 0;
}
