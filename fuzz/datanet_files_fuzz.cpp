// The Datanet file parsers (txt, md, jsonl, csv) under each kind of schema. The first byte picks
// the file type and the schema; the rest is the file.
#include "fuzz_util.h"
#include "tributary/datanet/rows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary;
  if (size == 0) return 0;
  static const char* const kNames[] = {"f.txt", "f.md", "f.jsonl", "f.csv"};
  datanet::RowSchema schema;
  switch ((data[0] >> 2) % 3) {
    case 0:
      schema.kind = datanet::RowSchema::Kind::kText;
      schema.paragraphs = (data[0] & 0x10) != 0;
      break;
    case 1:
      schema.kind = datanet::RowSchema::Kind::kPromptResponse;
      break;
    default:
      schema.kind = datanet::RowSchema::Kind::kFields;
      schema.fields = {"question", "answer", "source"};
      break;
  }
  (void)datanet::ParseFile(kNames[data[0] % 4], fuzz::Text(data + 1, size - 1), schema);
  return 0;
}
