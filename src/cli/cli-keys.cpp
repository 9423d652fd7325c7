// `tributary keys ...`: the local keystore and where its passphrase comes from.
#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "cli/key-commands.h"
#include "tributary/base/file_io.h"

namespace tributary::cli {
namespace {

using json = nlohmann::json;

std::string FirstLine(std::string text) {
  const size_t end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  return text;
}

// Reads a line from the terminal with echo off. nullopt when there is no terminal.
std::optional<std::string> ReadHidden(const std::string& prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  termios old{};
  const bool is_tty = ::tcgetattr(fd, &old) == 0;
  if (!is_tty) {
    ::close(fd);
    return std::nullopt;
  }
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string line;
  char ch = 0;
  while (::read(fd, &ch, 1) == 1 && ch != '\n') line.push_back(ch);
  ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return line;
}

json KeyJson(const KeyInfo& k) {
  return {{"name", k.name},
          {"address", k.address().ToString()},
          {"public_key", ToHex(k.public_key)},
          {"encrypted", k.encrypted}};
}

KeyProtection ProtectionOf(bool unencrypted) {
  return unencrypted ? KeyProtection::kPlaintext : KeyProtection::kEncrypted;
}

// Adds the way out to a refusal for want of a passphrase when a key is being stored.
Status WithUnencryptedHint(Status s) {
  if (s.reason() != "passphrase_required") return s;
  return Status::FailedPrecondition(s.message() + ", or pass --unencrypted", s.reason());
}

// A bare seed (64 hex digits on the first line), else a key file of either version.
Result<StoredKey> KeyFromText(const std::string& text, const std::string& where) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  std::string seed_hex = begin == std::string::npos ? "" : FirstLine(text.substr(begin));
  while (!seed_hex.empty() && (seed_hex.back() == ' ' || seed_hex.back() == '\t')) {
    seed_hex.pop_back();
  }
  if (seed_hex.size() == 64 &&
      seed_hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    auto seed = FixedFromHex<32>(seed_hex);
    sodium_memzero(seed_hex.data(), seed_hex.size());
    if (!seed.ok()) return seed.status();
    StoredKey k{"", KeyPair::FromSeed(*seed)};
    sodium_memzero(seed->data(), seed->size());
    return k;
  }
  sodium_memzero(seed_hex.data(), seed_hex.size());
  auto key = Keystore::ReadKeyText(text, where, AskPassphrase);
  if (!key.ok() && key.status().code() == Code::kCorruption) {
    return Status::InvalidArgument(
        key.status().message() + " (expected a key file or a 64-digit hex seed)", "bad_key_file");
  }
  return key;
}

}  // namespace

Result<std::string> AskPassphrase(const std::string& purpose, bool confirm) {
  if (const char* file = std::getenv("TRIBUTARY_PASSPHRASE_FILE"); file && *file) {
    auto text = ReadFile(file);
    if (!text.ok()) {
      return Status::InvalidArgument("cannot read TRIBUTARY_PASSPHRASE_FILE " + std::string(file) +
                                         ": " + text.status().message(),
                                     "bad_passphrase_file");
    }
    std::string line = FirstLine(std::move(*text));
    if (line.empty()) {
      return Status::InvalidArgument(
          "TRIBUTARY_PASSPHRASE_FILE " + std::string(file) + " starts with an empty line",
          "empty_passphrase");
    }
    return line;
  }
  if (const char* pass = std::getenv("TRIBUTARY_PASSPHRASE")) return std::string(pass);
  auto first = ReadHidden((confirm ? "New passphrase for " : "Passphrase for ") + purpose + ": ");
  if (!first) {
    return Status::FailedPrecondition(
        purpose + " needs a passphrase and there is no terminal to ask on: set " +
            "TRIBUTARY_PASSPHRASE_FILE or TRIBUTARY_PASSPHRASE",
        "passphrase_required");
  }
  if (confirm) {
    auto again = ReadHidden("Repeat it: ");
    if (!again || *again != *first) {
      return Status::InvalidArgument("the two passphrases differ", "passphrase_mismatch");
    }
  }
  return *first;
}

Keystore LocalKeystore() { return Keystore(Keystore::DefaultHome(), AskPassphrase); }

void KeyCommands::Add(CLI::App& app) {
  auto* keys = app.add_subcommand(
      "keys",
      "manage local keys (encrypted with a passphrase: TRIBUTARY_PASSPHRASE_FILE, "
      "TRIBUTARY_PASSPHRASE, or asked on the terminal)");
  keys->require_subcommand(1);
  new_ = keys->add_subcommand("new", "create a key");
  new_->add_option("--name", name_, "key name")->required();
  new_->add_flag("--unencrypted", unencrypted_, "store the seed unencrypted (development keys)");
  list_ = keys->add_subcommand("list", "list keys");
  show_ = keys->add_subcommand("show", "show a key's address and public key");
  show_->add_option("name", name_, "key name")->required();
  show_->add_flag("--address", address_only_, "print only the address");
  import_ = keys->add_subcommand(
      "import", "store a key from a key file (of any version) or a hex seed; - reads stdin");
  import_->add_option("--name", name_, "name for the key")->required();
  import_->add_option("source", source_, "FILE, or - for stdin")->required();
  import_->add_flag("--unencrypted", unencrypted_, "store the seed unencrypted");
  export_ = keys->add_subcommand(
      "export", "write a key unencrypted (the version 1 file every version reads)");
  export_->add_option("name", name_, "key name")->required();
  export_->add_option("--out", out_, "file to write (mode 0600); stdout when absent");
  upgrade_ = keys->add_subcommand("upgrade",
                                  "encrypt unencrypted keys in place (keys of earlier versions)");
  upgrade_->add_option("names", names_, "key names");
  upgrade_->add_flag("--all", all_, "every unencrypted key in the keystore");
  upgrade_->add_option("--file", file_, "a key file outside the keystore (a sequencer key)");
}

std::optional<int> KeyCommands::Run(const Common& c) const {
  if (*new_) return New(c);
  if (*list_) return List(c);
  if (*show_) return Show(c);
  if (*import_) return Import(c);
  if (*export_) return Export(c);
  if (*upgrade_) return Upgrade(c);
  return std::nullopt;
}

int KeyCommands::New(const Common& c) const {
  Keystore ks = LocalKeystore();
  auto k = ks.Create(name_, ProtectionOf(unencrypted_));
  if (!k.ok()) return Fail(WithUnencryptedHint(k.status()));
  if (c.json) {
    PrintJson(KeyJson({k->name, k->key.public_key(), !unencrypted_}));
  } else {
    std::cout << "created key '" << k->name << "'" << (unencrypted_ ? " (unencrypted)" : "")
              << "\naddress: " << k->address().ToString() << "\nstored in "
              << ks.PathOf(name_).string() << "\n";
  }
  return 0;
}

int KeyCommands::List(const Common& c) const {
  Keystore ks = LocalKeystore();
  auto names = ks.List();
  if (!names.ok()) return Fail(names.status());
  json out = json::array();
  for (const auto& n : *names) {
    auto k = ks.Info(n);
    if (!k.ok()) return Fail(k.status());
    out.push_back(KeyJson(*k));
    if (!c.json) {
      std::cout << n << "\t" << k->address().ToString() << "\t"
                << (k->encrypted ? "encrypted" : "unencrypted") << "\n";
    }
  }
  if (c.json) PrintJson(out);
  return 0;
}

int KeyCommands::Show(const Common& c) const {
  auto k = LocalKeystore().Info(name_);
  if (!k.ok()) return Fail(k.status());
  if (address_only_) {
    std::cout << k->address().ToString() << "\n";
  } else if (c.json) {
    PrintJson(KeyJson(*k));
  } else {
    std::cout << "name:       " << k->name << "\naddress:    " << k->address().ToString()
              << "\npublic key: " << ToHex(k->public_key)
              << "\nencrypted:  " << (k->encrypted ? "yes" : "no") << "\n";
  }
  return 0;
}

int KeyCommands::Import(const Common& c) const {
  std::string text;
  if (source_ == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto read = ReadFile(source_);
    if (!read.ok()) return Fail(read.status());
    text = std::move(*read);
  }
  auto key = KeyFromText(text, source_ == "-" ? "stdin" : source_);
  sodium_memzero(text.data(), text.size());
  if (!key.ok()) return Fail(key.status());
  auto stored = LocalKeystore().Import(name_, key->key, ProtectionOf(unencrypted_));
  if (!stored.ok()) return Fail(WithUnencryptedHint(stored.status()));
  if (c.json) {
    PrintJson(KeyJson({name_, stored->key.public_key(), !unencrypted_}));
  } else {
    std::cout << "imported key '" << name_ << "'" << (unencrypted_ ? " (unencrypted)" : "")
              << "\naddress: " << stored->address().ToString() << "\n";
  }
  return 0;
}

int KeyCommands::Export(const Common& c) const {
  (void)c;
  Keystore ks = LocalKeystore();
  auto k = ks.Load(name_);
  if (!k.ok()) return Fail(k.status());
  if (out_.empty()) {
    json j = {{"name", k->name},
              {"public_key", ToHex(k->key.public_key())},
              {"address", k->address().ToString()},
              {"seed", ToHex(k->key.seed())}};
    std::string text = j.dump(2);
    std::cout << text << "\n";
    sodium_memzero(text.data(), text.size());
    std::cerr << "warning: this is key '" << name_ << "' unencrypted; whoever reads it can spend "
              << "from " << k->address().ToString() << "\n";
    return 0;
  }
  if (std::filesystem::exists(out_)) {
    return Fail(Status::AlreadyExists(out_ + " exists; not replacing it", "file_exists"));
  }
  Status s = Keystore::WriteKeyFile(out_, k->name, k->key);
  if (!s.ok()) return Fail(s);
  std::cout << "wrote key '" << name_ << "' unencrypted to " << out_ << " (mode 0600)\n";
  return 0;
}

int KeyCommands::Upgrade(const Common& c) const {
  std::vector<std::filesystem::path> paths;
  Keystore ks = LocalKeystore();
  if (!file_.empty()) paths.push_back(file_);
  for (const auto& n : names_) {
    auto info = ks.Info(n);
    if (!info.ok()) return Fail(info.status());
    paths.push_back(ks.PathOf(n));
  }
  if (all_) {
    auto names = ks.List();
    if (!names.ok()) return Fail(names.status());
    for (const auto& n : *names) {
      auto info = ks.Info(n);
      if (!info.ok()) return Fail(info.status());
      if (!info->encrypted) paths.push_back(ks.PathOf(n));
    }
  }
  if (paths.empty() && !all_) {
    return Fail(Status::InvalidArgument("name the keys to encrypt, or pass --all or --file",
                                        "nothing_to_upgrade"));
  }
  // One passphrase for the whole run, asked once.
  std::optional<std::string> passphrase;
  auto once = [&](const std::string& purpose, bool confirm) -> Result<std::string> {
    if (!passphrase) {
      auto p = AskPassphrase(paths.size() > 1 ? std::to_string(paths.size()) + " keys" : purpose,
                             confirm);
      if (!p.ok()) return p.status();
      passphrase = *p;
    }
    return *passphrase;
  };
  json done = json::array();
  for (const auto& p : paths) {
    Status s = Keystore::EncryptKeyFile(p, once);
    if (!s.ok()) return Fail(s);
    done.push_back(p.string());
    if (!c.json) std::cout << "encrypted " << p.string() << "\n";
  }
  if (passphrase) sodium_memzero(passphrase->data(), passphrase->size());
  if (c.json)
    PrintJson({{"encrypted", done}});
  else if (done.empty())
    std::cout << "every key is encrypted already\n";
  return 0;
}

}  // namespace tributary::cli
