// The JSON record codec on arbitrary bytes; the row is cleaned.
#include <cstdint>
#include <string>

#include <simdjson.h>

#include "core/clean.h"
#include "formats/json_record.h"
#include "util/json_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static shopflow::JsonRecordParser parser;
  std::string padded(reinterpret_cast<const char*>(data), size);
  padded.resize(size + simdjson::SIMDJSON_PADDING, '\0');
  std::string arena;
  arena.reserve(2 * size + 64);
  shopflow::InputRow row;
  parser.parse(std::string_view(padded.data(), size), padded.size(), row, arena);
  shopflow::clean(row);
  std::string out;
  shopflow::append_json_string(out, std::string_view(padded.data(), size));
  return 0;
}
