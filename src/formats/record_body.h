// Turns a POST body into InputRows: one JSON object, a JSON array of objects, NDJSON, or CSV with
// a header line, chosen by Content-Type (application/json, application/x-ndjson or
// application/jsonl, text/csv) or, without one, sniffed from the first bytes.
// A body that cannot be split into records at all is an error naming the line (and the field for
// a bad CSV header); a record that is split but malformed is returned with its problem set, so it
// is stored and lands in `rejected`.
#pragma once

#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"

namespace shopflow {

struct BodyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class RecordBody {
public:
  // Throws BodyError. The rows' views point into this object.
  RecordBody(std::string_view body, std::string_view content_type, size_t max_records);
  const std::vector<InputRow>& rows() const { return rows_; }
  const char* format() const { return format_; }

private:
  void parse_json(bool array);
  void parse_ndjson();
  void parse_csv(size_t max_records);

  std::string padded_; // the body followed by simdjson padding
  size_t size_ = 0;
  std::string arena_;  // unescaped JSON strings and CSV fields
  std::vector<InputRow> rows_;
  std::deque<std::string> elements_; // JSON array elements, minified (stable addresses)
  std::shared_ptr<void> reader_; // keeps CSV views alive
  const char* format_ = "";
  size_t max_records_;
};

} // namespace shopflow
