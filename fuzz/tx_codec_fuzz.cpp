// The transaction codec: any bytes either fail to decode or decode to a tx whose encoding is the
// same bytes (one encoding per tx, so its hash cannot be malleated), whose payload its kind either
// refuses or turns into JSON and back to the same bytes.
#include <cstdlib>

#include "fuzz_util.h"
#include "tributary/economy/kinds.h"
#include "tributary/ledger/tx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  auto tx = Transaction::Decode(ByteView(data, size));
  if (!tx.ok()) return 0;
  if (tx->Encode() != Bytes(data, data + size)) std::abort();  // not canonical
  const TxKind* kind = economy::AllTxKinds().Find(tx->kind);
  if (!kind || !kind->CheckPayload(tx->payload).ok()) return 0;
  auto j = tx->ToJson(economy::AllTxKinds());
  if (!j.ok()) return 0;
  auto payload = kind->PayloadFromJson((*j)["payload"]);
  if (!payload.ok() || *payload != tx->payload) std::abort();  // JSON form loses something
  (*j).erase("raw");
  auto back = Transaction::FromJson(*j, economy::AllTxKinds());
  if (!back.ok() || back->Encode() != tx->Encode()) std::abort();
  return 0;
}
