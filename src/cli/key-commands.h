// `tributary keys new|list|show|import|export|upgrade`: the local keystore (base/keystore.h),
// encrypted with a passphrase from TRIBUTARY_PASSPHRASE_FILE, TRIBUTARY_PASSPHRASE or the
// terminal. Arguments and printing only.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "tributary/base/keystore.h"

namespace tributary::cli {

//! The passphrase for `purpose` ("key 'alice'"): the first line of $TRIBUTARY_PASSPHRASE_FILE,
//! else $TRIBUTARY_PASSPHRASE, else asked on the terminal without echo (twice when `confirm`).
//! FailedPrecondition "passphrase_required" when none of these exists.
Result<std::string> AskPassphrase(const std::string& purpose, bool confirm);

//! The keystore in Keystore::DefaultHome() with AskPassphrase.
Keystore LocalKeystore();

class KeyCommands {
 public:
  //! Adds the commands to `app`.
  void Add(CLI::App& app);
  //! Runs the command the parsed line chose; nullopt when it chose none of these.
  std::optional<int> Run(const Common& c) const;

 private:
  int New(const Common& c) const;
  int List(const Common& c) const;
  int Show(const Common& c) const;
  int Import(const Common& c) const;
  int Export(const Common& c) const;
  int Upgrade(const Common& c) const;

  CLI::App *new_ = nullptr, *list_ = nullptr, *show_ = nullptr, *import_ = nullptr,
           *export_ = nullptr, *upgrade_ = nullptr;
  std::string name_, source_, out_, file_;
  std::vector<std::string> names_;
  bool address_only_ = false, unencrypted_ = false, all_ = false;
};

}  // namespace tributary::cli
