// A file of records in either accepted format, read in batches of InputRows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/record.h"
#include "formats/csv_reader.h"

namespace shopflow {

enum class RecordFormat { Csv, Ndjson };

class RecordSource {
public:
  virtual ~RecordSource() = default;
  // Fills `rows` (cleared first) with up to `max_rows` rows; false at end of input. Views stay
  // valid until the next call.
  virtual bool read_batch(std::vector<InputRow>& rows, size_t max_rows) = 0;
  virtual uint64_t bytes_consumed() const = 0;
  virtual RecordFormat format() const = 0;
  // The CSV header line as it was in the file ("" for NDJSON or a CSV without one).
  virtual std::string header_line() const { return {}; }
};

// Newline-delimited JSON objects; blank lines are skipped, each other line is one row.
std::unique_ptr<RecordSource> make_ndjson_source(CsvReader::ReadFn read);
std::unique_ptr<RecordSource> make_csv_source(CsvReader::ReadFn read);

// Opens a file by path: ".ndjson"/".jsonl"/".json" are NDJSON, ".csv" is CSV, anything else is
// sniffed (first non-blank byte '{' means NDJSON). Throws std::runtime_error naming the file.
struct OpenedSource {
  std::unique_ptr<RecordSource> source;
  uint64_t size_bytes = 0;
};
OpenedSource open_record_file(const std::string& path);

} // namespace shopflow
