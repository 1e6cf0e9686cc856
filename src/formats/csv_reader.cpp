#include "formats/csv_reader.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

#include <simdjson.h>

namespace shopflow {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}
} // namespace

CsvReader::ReadFn fd_reader(int fd) {
  return [fd](char* dst, size_t cap) -> size_t {
    for (;;) {
      ssize_t n = ::read(fd, dst, cap);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
    }
  };
}

CsvReader::ReadFn memory_reader(std::string_view data) {
  return [data, pos = size_t{0}](char* dst, size_t cap) mutable -> size_t {
    size_t n = std::min(cap, data.size() - pos);
    std::memcpy(dst, data.data() + pos, n);
    pos += n;
    return n;
  };
}

CsvReader::CsvReader(ReadFn read, Options options) : read_(std::move(read)), options_(options) {
  for (size_t i = 0; i < column_to_field_.size(); ++i) column_to_field_[i] = i < kFieldCount ? int(i) : -1;
  buf_.resize(std::max(options_.block_bytes, options_.max_record_bytes * 2));
  too_long_message_ = "record longer than " + std::to_string(options_.max_record_bytes) + " bytes";
}

// Moves unread bytes to the front and reads more. Returns false if nothing more can be read.
// Reads more input after end_. Unread bytes move to the front (invalidating views into the
// buffer) only when the buffer has no room left at its end.
bool CsvReader::fill() {
  if (eof_) return false;
  if (end_ == buf_.size() && begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  size_t n = read_(buf_.data() + end_, buf_.size() - end_);
  if (n == 0) eof_ = true;
  end_ += n;
  return n > 0;
}

void CsvReader::apply_header(const std::vector<std::string_view>& names) {
  column_to_field_.fill(-1);
  if (names.size() > column_to_field_.size()) throw std::runtime_error("CSV header has more than 64 columns");
  std::array<bool, kFieldCount> seen{};
  for (size_t c = 0; c < names.size(); ++c) {
    std::string_view name = names[c];
    while (!name.empty() && (name.front() == ' ' || name.front() == '\xEF' || name.front() == '\xBB' || name.front() == '\xBF'))
      name.remove_prefix(1); // spaces and a UTF-8 byte-order mark
    while (!name.empty() && (name.back() == ' ' || name.back() == '\r')) name.remove_suffix(1);
    int field = -1;
    for (size_t f = 0; f < kFieldCount; ++f)
      if (iequals(name, kFieldNames[f])) field = int(f);
    if (field < 0) throw std::runtime_error("CSV header names an unknown column \"" + std::string(name) +
                                            "\" (expected InvoiceNo, StockCode, Description, Quantity, "
                                            "InvoiceDate, UnitPrice, CustomerID, Country)");
    if (seen[field]) throw std::runtime_error("CSV header names column \"" + std::string(name) + "\" twice");
    seen[field] = true;
    column_to_field_[c] = field;
  }
  for (size_t f = 0; f < kFieldCount; ++f)
    if (!seen[f]) throw std::runtime_error("CSV header lacks column \"" + std::string(kFieldNames[f]) + "\"");
}

// Parses one record at begin_. On NeedMore nothing is consumed.
CsvReader::Parse CsvReader::parse_record(InputRow& row, bool at_eof) {
  const char* p = buf_.data() + begin_;
  const char* end = buf_.data() + end_;
  const char* start = p;
  scratch_.clear();
  std::string_view framing;
  bool record_done = false;
  while (!record_done) {
    if (p == end) {
      if (!at_eof) return Parse::NeedMore;
      scratch_.emplace_back(p, 0);
      break;
    }
    if (*p == '"') {
      // Quoted field: copy into the arena, turning "" into ".
      size_t arena_start = arena_.size();
      const char* q = p + 1;
      bool closed = false;
      while (q < end) {
        const char* quote = static_cast<const char*>(std::memchr(q, '"', end - q));
        if (!quote) { q = end; break; }
        arena_.append(q, quote);
        if (quote + 1 < end && quote[1] == '"') {
          arena_.push_back('"');
          q = quote + 2;
          continue;
        }
        if (quote + 1 == end && !at_eof) { q = end; break; } // cannot tell "" from " yet
        q = quote + 1;
        closed = true;
        break;
      }
      if (!closed) {
        arena_.resize(arena_start);
        if (!at_eof) return Parse::NeedMore;
        framing = "unterminated quoted field";
        scratch_.emplace_back(arena_.data() + arena_start, 0);
        p = end;
        break;
      }
      scratch_.emplace_back(arena_.data() + arena_start, arena_.size() - arena_start);
      p = q;
      if (p == end) {
        if (!at_eof) { arena_.resize(arena_start); return Parse::NeedMore; }
        break;
      }
      if (*p == ',') { ++p; continue; }
      if (*p == '\n') { ++p; break; }
      if (*p == '\r' && p + 1 < end && p[1] == '\n') { p += 2; break; }
      if (*p == '\r' && p + 1 == end && !at_eof) { arena_.resize(arena_start); return Parse::NeedMore; }
      if (framing.empty()) framing = "text after a closing quote";
      // skip the rest of this field
      while (p < end && *p != ',' && *p != '\n') ++p;
      if (p < end && *p == ',') { ++p; continue; }
      if (p < end) ++p;
      else if (!at_eof) return Parse::NeedMore;
      break;
    }
    // Unquoted field.
    const char* f = p;
    while (p < end && *p != ',' && *p != '\n' && *p != '"') ++p;
    if (p < end && *p == '"') {
      if (framing.empty()) framing = "stray quote inside an unquoted field";
      while (p < end && *p != ',' && *p != '\n') ++p;
    }
    if (p == end && !at_eof) return Parse::NeedMore;
    const char* fe = p;
    if (fe > f && fe[-1] == '\r' && (p == end || *p == '\n')) --fe;
    scratch_.emplace_back(f, fe - f);
    if (p == end) break;
    if (*p == ',') { ++p; continue; }
    ++p; // '\n'
    record_done = true;
  }
  // The raw record text without its line terminator.
  const char* raw_end = p;
  if (raw_end > start && raw_end[-1] == '\n') --raw_end;
  if (raw_end > start && raw_end[-1] == '\r') --raw_end;
  bytes_consumed_ += p - start;
  begin_ = p - buf_.data();

  row = InputRow{};
  row.raw = std::string_view(start, raw_end - start);
  row.framing_error = framing;
  row.field_count = static_cast<uint32_t>(scratch_.size());
  row.valid_utf8 = simdjson::validate_utf8(row.raw.data(), row.raw.size());
  for (size_t c = 0; c < scratch_.size() && c < column_to_field_.size(); ++c) {
    int field = column_to_field_[c];
    if (field >= 0) row.fields[field].text = scratch_[c];
  }
  return Parse::Ok;
}

bool CsvReader::read_batch(std::vector<InputRow>& rows, size_t max_rows) {
  rows.clear();
  arena_.clear();
  // The arena must never reallocate during a batch (rows hold views into it): unescaped text is
  // never longer than the raw bytes, so reserving the buffer's size suffices.
  if (arena_.capacity() < buf_.size()) arena_.reserve(buf_.size());
  if (begin_ == end_ && !fill()) return false;
  while (rows.size() < max_rows) {
    if (begin_ == end_) { // e.g. after a blank line: never look at a byte past end_
      if (eof_) break;
      if (!rows.empty() && end_ == buf_.size()) break; // a refill would move the buffer: next call
      if (!fill()) break;
    }
    // Skip blank lines.
    if (buf_[begin_] == '\n') { ++begin_; ++bytes_consumed_; continue; }
    if (buf_[begin_] == '\r' && begin_ + 1 < end_ && buf_[begin_ + 1] == '\n') { begin_ += 2; bytes_consumed_ += 2; continue; }
    if (skipping_) { // the rest of an over-long record: drop bytes up to the next line feed
      const char* nl = static_cast<const char*>(std::memchr(buf_.data() + begin_, '\n', end_ - begin_));
      size_t stop = nl ? nl - buf_.data() + 1 : end_;
      bytes_consumed_ += stop - begin_;
      begin_ = stop;
      skipping_ = nl == nullptr;
      if (begin_ == end_ && !fill()) break;
      continue;
    }
    InputRow row;
    size_t arena_mark = arena_.size();
    if (parse_record(row, eof_) == Parse::NeedMore) {
      arena_.resize(arena_mark); // drop what the incomplete record left
      if (end_ - begin_ > options_.max_record_bytes) {
        // No record ends within the limit: reject it (keeping its first 4 KiB) and resynchronise.
        size_t keep = std::min<size_t>(4096, end_ - begin_);
        size_t at = arena_.size();
        arena_.append(buf_.data() + begin_, keep);
        row = InputRow{};
        row.raw = std::string_view(arena_.data() + at, keep);
        row.framing_error = too_long_message_;
        row.valid_utf8 = true;
        rows.push_back(row);
        bytes_consumed_ += end_ - begin_;
        begin_ = end_;
        skipping_ = true;
        break;
      }
      // Rows already handed out hold views into the buffer: read more only if that moves nothing.
      if (!rows.empty() && end_ == buf_.size()) break;
      if (rows.empty()) arena_.clear();
      if (!fill() && !eof_) break;
      if (rows.empty() && buf_.size() > arena_.capacity()) arena_.reserve(buf_.size());
      continue;
    }
    if (first_record_) {
      first_record_ = false;
      // A header names at least one known column; apply_header() then insists on all of them.
      bool header = false;
      for (auto name : scratch_) {
        while (!name.empty() && (name.front() == '\xEF' || name.front() == '\xBB' || name.front() == '\xBF' || name.front() == ' '))
          name.remove_prefix(1);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\r')) name.remove_suffix(1);
        for (auto known : kFieldNames) header |= iequals(name, known);
      }
      if (header && row.framing_error.empty()) {
        apply_header(scratch_);
        header_line_ = row.raw;
        continue;
      }
    }
    rows.push_back(row);
    if (begin_ == end_ && eof_) break;
    if (begin_ == end_ && end_ == buf_.size()) break; // a refill would move the buffer: next call
    if (begin_ == end_ && !fill()) break;
  }
  return !rows.empty();
}

} // namespace shopflow
