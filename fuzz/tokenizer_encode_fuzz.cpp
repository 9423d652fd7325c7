// Encoding arbitrary bytes with a byte-level BPE tokenizer (what every prompt goes through), and
// recognising chat templates. Valid UTF-8 must decode back to itself.
#include <cstdlib>

#include "fuzz_util.h"
#include "tributary/base/unicode.h"
#include "tributary/model/tokenizer.h"

namespace {

const tributary::model::Tokenizer& Fixture() {
  static const tributary::model::Tokenizer* tok = [] {
    auto dir = std::filesystem::temp_directory_path() /
               ("tributary-fuzz-tok-" + std::to_string(::getpid()));
    tributary::model::ByteLevelTokenizerOptions options;
    options.merges = {{"t", "h"}, {"th", "e"}, {" ", "a"}, {"e", "r"}, {"\xc3", "\xa9"}};
    if (!tributary::model::WriteByteLevelTokenizer(dir, 512, options).ok()) std::abort();
    auto t = tributary::model::Tokenizer::FromDirectory(dir);
    if (!t.ok()) std::abort();
    std::filesystem::remove_all(dir);
    return new tributary::model::Tokenizer(std::move(*t));
  }();
  return *tok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  const auto text = fuzz::Text(data, size);
  const auto& tok = Fixture();
  auto plain = tok.Encode(text, false);
  if (IsValidUtf8(text) && tok.Decode(plain) != text) std::abort();  // lossless on valid UTF-8
  (void)tok.Decode(tok.Encode(text, true, true));
  (void)model::ChatTemplate::Parse(text, "<s>");
  return 0;
}
