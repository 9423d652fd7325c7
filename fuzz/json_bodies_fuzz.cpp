// The JSON bodies of the node's routes: the bounded parser every route uses, then what the
// routes make of a parsed body: a signed tx (POST /v1/tx and the Datanet and model routes), each
// kind's payload, a Datanet row schema. Errors are fine; crashes, hangs and leaks are not.
#include "fuzz_util.h"
#include "tributary/base/json_parse.h"
#include "tributary/datanet/rows.h"
#include "tributary/economy/kinds.h"
#include "tributary/ledger/tx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  auto j = ParseJsonBounded(fuzz::Text(data, size), 64);
  if (!j.ok()) return 0;
  const auto& kinds = economy::AllTxKinds();
  (void)Transaction::FromJson(*j, kinds);
  if (j->is_object() && j->contains("tx")) (void)Transaction::FromJson((*j)["tx"], kinds);
  for (const auto& name : kinds.Names()) {
    auto payload = kinds.Find(name)->PayloadFromJson(*j);
    // What a kind builds from JSON it must accept as its own canonical payload.
    if (payload.ok() && !kinds.Find(name)->CheckPayload(*payload).ok()) std::abort();
  }
  (void)datanet::RowSchema::FromJson(*j);
  return 0;
}
