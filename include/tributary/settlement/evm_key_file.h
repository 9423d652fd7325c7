// The file holding a settlement key (`tributary node --settle-key FILE`): one line, the
// secp256k1 private key as 64 hex digits, with or without "0x", e.g.
//
//   0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
//
// Whitespace around it (a trailing newline) is ignored; anything else is an error. The key
// controls funds on the EVM chain, so the file must not be readable by other users: a file with
// any permission for "others" is refused (chmod 600 it); one readable by its group is accepted
// with a warning.
//
// Thread-safety: a pure function of the file.
#pragma once

#include <filesystem>
#include <string>

#include "tributary/base/status.h"
#include "tributary/evm/keys.h"

namespace tributary::settlement {

//! Reads the key. Errors: NotFound "no_key_file" (missing or unreadable), PermissionDenied
//! "key_file_permissions" (other users may read or write it), InvalidArgument "bad_key_file"
//! (not one line of 64 hex digits, or not a valid secp256k1 key). `warning`, when given, is set
//! to a sentence to show the user ("" when there is nothing to say).
Result<evm::PrivateKey> ReadEvmKeyFile(const std::filesystem::path& path,
                                       std::string* warning = nullptr);

}  // namespace tributary::settlement
