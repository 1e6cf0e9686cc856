// The JSON record codec for the seed client's shape: one object with the 8 keys of
// CONTRACT.md (`df.loc[i].to_json()`): strings or numbers, `null` for missing values, `\/`
// escapes allowed. Numbers keep their exact token text ("2.55", "17850.0", "1291191960000").
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "core/record.h"

namespace shopflow {

class JsonRecordParser {
public:
  // Parses `json` (which must be followed by simdjson::SIMDJSON_PADDING readable bytes; use
  // `capacity` to say how many bytes from json.data() may be read) into `row`. Unescaped strings
  // are appended to `arena`, whose capacity must already exceed its size + json.size() (so views
  // stay valid). Problems are reported through row.framing_error, never by throwing.
  void parse(std::string_view json, size_t capacity, InputRow& row, std::string& arena);

private:
  simdjson::ondemand::parser parser_;
};

} // namespace shopflow
