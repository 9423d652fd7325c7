#include "fuzz_util.h"

#include "tributary/datanet/kinds.h"
#include "tributary/economy/kinds.h"

namespace tributary::fuzz {

const TxKindRegistry& AllKinds() {
  static const TxKindRegistry* kinds = [] {
    auto* r = new TxKindRegistry();
    RegisterLedgerKinds(*r);
    datanet::RegisterDatanetKinds(*r);
    economy::RegisterEconomyKinds(*r);
    return r;
  }();
  return *kinds;
}

}  // namespace tributary::fuzz
