// Key files (either version) as `keys import` and the keystore read them. No passphrase is
// given, so an encrypted file stops before Argon2id.
#include "fuzz_util.h"
#include "tributary/base/keystore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  (void)Keystore::ReadKeyText(fuzz::Text(data, size), "fuzz input");
  return 0;
}
