#include "formats/record_body.h"

#include <simdjson.h>

#include "formats/csv_reader.h"
#include "formats/json_record.h"

namespace shopflow {

namespace {
bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if ((s[i] | 0x20) != (prefix[i] | 0x20)) return false;
  return true;
}

size_t line_of(std::string_view text, size_t pos) {
  size_t line = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}
} // namespace

RecordBody::RecordBody(std::string_view body, std::string_view content_type, size_t max_records)
    : max_records_(max_records) {
  size_ = body.size();
  padded_.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  padded_.append(body);
  padded_.append(simdjson::SIMDJSON_PADDING, '\0');
  arena_.reserve(body.size() + 64);
  std::string_view text(padded_.data(), size_);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) throw BodyError("empty body: send a JSON record, a JSON array, NDJSON or CSV");

  std::string_view ct = content_type.substr(0, content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (starts_with_ci(ct, "application/x-ndjson") || starts_with_ci(ct, "application/jsonl") ||
      starts_with_ci(ct, "application/ndjson")) {
    parse_ndjson();
  } else if (starts_with_ci(ct, "application/json")) {
    parse_json(text[first] == '[');
  } else if (starts_with_ci(ct, "text/csv")) {
    parse_csv(max_records);
  } else if (text[first] == '[') {
    parse_json(true);
  } else if (text[first] == '{') {
    // One object, or NDJSON: several lines that each hold one.
    size_t last = text.find_last_not_of(" \t\r\n");
    size_t newline = text.find('\n', first);
    if (newline == std::string_view::npos || newline > last) parse_json(false);
    else parse_ndjson();
  } else {
    parse_csv(max_records);
  }
  if (rows_.size() > max_records_)
    throw BodyError("too many records: " + std::to_string(rows_.size()) + " (at most " + std::to_string(max_records_) +
                    " per request)");
}

void RecordBody::parse_json(bool array) {
  std::string_view text(padded_.data(), size_);
  JsonRecordParser parser;
  if (!array) {
    format_ = "json";
    size_t first = text.find_first_not_of(" \t\r\n");
    size_t last = text.find_last_not_of(" \t\r\n");
    std::string_view obj = text.substr(first, last - first + 1);
    InputRow row;
    parser.parse(obj, padded_.size() - first, row, arena_);
    if (row.framing_error == "not valid JSON" || row.framing_error == "JSON value is not an object" ||
        row.framing_error == "text after the JSON object")
      throw BodyError("line " + std::to_string(line_of(text, first)) + ": " + std::string(row.framing_error));
    rows_.push_back(row);
    return;
  }
  format_ = "json-array";
  // The DOM API splits the array; each element is re-serialised (minified) and parsed as one
  // record, so a bad element becomes one malformed record, not a failed request.
  simdjson::dom::parser dom;
  simdjson::dom::element doc;
  if (auto err = dom.parse(padded_.data(), size_, false).get(doc))
    throw BodyError(std::string("not valid JSON: ") + simdjson::error_message(err));
  simdjson::dom::array arr;
  if (doc.get_array().get(arr)) throw BodyError("line 1: not a JSON array");
  for (simdjson::dom::element e : arr) {
    if (rows_.size() > max_records_) break;
    std::string& element = elements_.emplace_back(simdjson::minify(e));
    size_t n = element.size();
    element.append(simdjson::SIMDJSON_PADDING, ' ');
    InputRow row;
    parser.parse(std::string_view(element.data(), n), element.size(), row, arena_);
    rows_.push_back(row);
  }
}

void RecordBody::parse_ndjson() {
  format_ = "ndjson";
  std::string_view text(padded_.data(), size_);
  JsonRecordParser parser;
  size_t pos = 0;
  while (pos < size_ && rows_.size() <= max_records_) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = size_;
    std::string_view line = text.substr(pos, nl - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty()) {
      InputRow row;
      size_t offset = static_cast<size_t>(line.data() - padded_.data());
      parser.parse(line, padded_.size() - offset, row, arena_);
      rows_.push_back(row);
    }
    pos = nl + 1;
  }
}

void RecordBody::parse_csv(size_t max_records) {
  format_ = "csv";
  CsvReader::Options o;
  o.block_bytes = size_ + 1; // the whole body in one block: every row's views stay valid
  auto reader = std::make_shared<CsvReader>(memory_reader(std::string_view(padded_.data(), size_)), o);
  reader_ = reader;
  try {
    reader->read_batch(rows_, max_records + 1);
  } catch (const std::runtime_error& e) {
    throw BodyError(std::string("line 1: ") + e.what());
  }
}

} // namespace shopflow
