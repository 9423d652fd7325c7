#include <fstream>
#include <sstream>

#include "tributary/settlement/evm_key_file.h"

namespace tributary::settlement {

Result<evm::PrivateKey> ReadEvmKeyFile(const std::filesystem::path& path, std::string* warning) {
  namespace fs = std::filesystem;
  if (warning) warning->clear();
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::is_regular_file(st)) {
    return Status::NotFound("cannot read the EVM key file " + path.string() +
                                (ec ? " (" + ec.message() + ")" : " (not a regular file)"),
                            "no_key_file");
  }
  const fs::perms p = st.permissions();
  if ((p & fs::perms::others_all) != fs::perms::none) {
    return Status::PermissionDenied(
        "the EVM key file " + path.string() + " is accessible to other users; chmod 600 it",
        "key_file_permissions");
  }
  if (warning && (p & fs::perms::group_read) != fs::perms::none) {
    *warning = "the EVM key file " + path.string() + " is readable by its group; chmod 600 it";
  }
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound("cannot read the EVM key file " + path.string(), "no_key_file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  const std::string_view digits =
      std::string_view(text).starts_with("0x") ? std::string_view(text).substr(2) : text;
  const bool hex64 = digits.size() == 64 &&
                     digits.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
  if (!hex64) {
    return Status::InvalidArgument("the EVM key file " + path.string() +
                                       " must hold one line: a secp256k1 private key as 64 hex "
                                       "digits (optionally 0x-prefixed)",
                                   "bad_key_file");
  }
  auto key = evm::PrivateKey::FromHex(digits);
  if (!key.ok()) {
    return Status::InvalidArgument(
        "the EVM key file " + path.string() + " holds no valid secp256k1 key (zero or >= n)",
        "bad_key_file");
  }
  return key;
}

}  // namespace tributary::settlement
