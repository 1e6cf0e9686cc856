// The JSON record codec on arbitrary bytes; the row is cleaned. The JSON writer quotes the same
// bytes: UTF-8 text must read back the same through simdjson, anything else must be refused.
#include <cstdint>
#include <string>

#include <simdjson.h>

#include "core/clean.h"
#include "formats/json_record.h"
#include "util/json_writer.h"
#include "util/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static shopflow::JsonRecordParser parser;
  std::string padded(reinterpret_cast<const char*>(data), size);
  padded.resize(size + simdjson::SIMDJSON_PADDING, '\0');
  std::string arena;
  arena.reserve(2 * size + 64);
  shopflow::InputRow row;
  parser.parse(std::string_view(padded.data(), size), padded.size(), row, arena);
  shopflow::clean(row);
  std::string_view text(padded.data(), size);
  std::string quoted;
  try {
    quoted = shopflow::json_string(text);
  } catch (const std::invalid_argument&) {
    if (shopflow::valid_utf8(text)) __builtin_trap();
    return 0;
  }
  static simdjson::dom::parser reader;
  std::string_view back;
  if (reader.parse(quoted).get_string().get(back) || back != text) __builtin_trap();
  return 0;
}
