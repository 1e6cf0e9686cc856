// Streaming RFC 4180 CSV reader producing InputRows.
//
// - Quoted fields may hold commas, doubled quotes ("") and line breaks; records end with LF or CRLF.
// - A first record whose first field is "InvoiceNo" is a header: its column names (any order, case
//   ignored) map columns onto the 8 fields; unknown columns are an error. Without a header the
//   standard order is assumed.
// - Framing problems never stop the reader: the record is returned with framing_error set
//   (stray quote, text after a closing quote, record longer than the limit), and reading resumes
//   at the next line.
// - Every record is checked for valid UTF-8.
// Views in returned rows stay valid until the next call to read_batch().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"

namespace shopflow {

class CsvReader {
public:
  // Fills `dst` with up to `capacity` bytes; returns 0 at end of input. Throws on I/O errors.
  using ReadFn = std::function<size_t(char* dst, size_t capacity)>;

  struct Options {
    size_t max_record_bytes = 1 << 20;
    size_t block_bytes = 4 << 20;
  };

  CsvReader(ReadFn read, Options options);
  explicit CsvReader(ReadFn read) : CsvReader(std::move(read), Options{}) {}

  // Appends up to `max_rows` rows to `rows` (cleared first); returns false once input is exhausted
  // and no row was produced. Blank lines are skipped. Throws std::runtime_error for a header that
  // names an unknown column.
  bool read_batch(std::vector<InputRow>& rows, size_t max_rows);

  uint64_t bytes_consumed() const { return bytes_consumed_; }
  // The header record's text, if the input had one.
  const std::string& header_line() const { return header_line_; }

private:
  enum class Parse { Ok, NeedMore };
  Parse parse_record(InputRow& row, bool at_eof);
  bool fill();
  void apply_header(const std::vector<std::string_view>& names);

  ReadFn read_;
  Options options_;
  std::string buf_;      // [begin_, end_) unread bytes
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool skipping_ = false; // inside an over-long record, dropping bytes up to the next LF
  bool first_record_ = true;
  std::string arena_;    // unescaped quoted fields of the current batch
  std::vector<std::string_view> scratch_;
  std::array<int, 64> column_to_field_{}; // column index -> Field, -1 = unmapped
  uint64_t bytes_consumed_ = 0;
  std::string too_long_message_;
  std::string header_line_;
};

// A ReadFn over a file descriptor (retries EINTR; throws with errno text on failure).
CsvReader::ReadFn fd_reader(int fd);
// A ReadFn over an in-memory buffer (which must outlive the reader).
CsvReader::ReadFn memory_reader(std::string_view data);

} // namespace shopflow
