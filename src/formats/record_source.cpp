#include "formats/record_source.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/json_record.h"

namespace shopflow {

namespace {

class CsvSource final : public RecordSource {
public:
  explicit CsvSource(CsvReader::ReadFn read) : reader_(std::move(read)) {}
  bool read_batch(std::vector<InputRow>& rows, size_t max_rows) override { return reader_.read_batch(rows, max_rows); }
  uint64_t bytes_consumed() const override { return reader_.bytes_consumed(); }
  RecordFormat format() const override { return RecordFormat::Csv; }
  std::string header_line() const override { return reader_.header_line(); }

private:
  CsvReader reader_;
};

class NdjsonSource final : public RecordSource {
public:
  explicit NdjsonSource(CsvReader::ReadFn read) : read_(std::move(read)) { buf_.resize(kBlock + simdjson::SIMDJSON_PADDING); }

  bool read_batch(std::vector<InputRow>& rows, size_t max_rows) override {
    rows.clear();
    arena_.clear();
    if (arena_.capacity() < buf_.size()) arena_.reserve(buf_.size());
    while (rows.size() < max_rows) {
      const char* base = buf_.data();
      const char* nl = static_cast<const char*>(std::memchr(base + begin_, '\n', end_ - begin_));
      if (skipping_) { // the rest of an over-long line
        size_t stop = nl ? nl - base + 1 : end_;
        consumed_ += stop - begin_;
        begin_ = stop;
        skipping_ = nl == nullptr;
        if (skipping_ && !eof_) fill();
        if (skipping_ && eof_) break;
        continue;
      }
      if (!nl && end_ - begin_ > kMaxLine) {
        size_t keep = 4096, at = arena_.size();
        arena_.append(base + begin_, keep);
        InputRow row;
        row.raw = std::string_view(arena_.data() + at, keep);
        row.framing_error = "line longer than 1048576 bytes";
        rows.push_back(row);
        consumed_ += end_ - begin_;
        begin_ = end_;
        skipping_ = true;
        break;
      }
      if (!nl) {
        if (!eof_) {
          if (!rows.empty()) break; // views into buf_ must stay valid until the next call
          fill();
          if (buf_.size() > arena_.capacity()) arena_.reserve(buf_.size());
          continue;
        }
        if (begin_ == end_) break;
        nl = base + end_; // last line without a terminator
      }
      std::string_view line(base + begin_, nl - (base + begin_));
      consumed_ += line.size() + (nl < base + end_ ? 1 : 0);
      begin_ = std::min<size_t>(nl - base + 1, end_);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
      size_t lead = 0;
      while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
      line.remove_prefix(lead);
      if (line.empty()) continue;
      InputRow row;
      size_t capacity = buf_.size() - (line.data() - base);
      parser_.parse(line, capacity, row, arena_);
      rows.push_back(row);
    }
    return !rows.empty();
  }
  uint64_t bytes_consumed() const override { return consumed_; }
  RecordFormat format() const override { return RecordFormat::Ndjson; }

private:
  static constexpr size_t kBlock = 4 << 20;
  static constexpr size_t kMaxLine = 1 << 20;
  void fill() {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - end_ < simdjson::SIMDJSON_PADDING + 4096) buf_.resize(buf_.size() * 2);
    size_t n = read_(buf_.data() + end_, buf_.size() - simdjson::SIMDJSON_PADDING - end_);
    if (n == 0) eof_ = true;
    end_ += n;
  }

  CsvReader::ReadFn read_;
  std::string buf_; // [begin_, end_) unread; SIMDJSON_PADDING bytes always follow end_
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;
  uint64_t consumed_ = 0;
  std::string arena_;
  JsonRecordParser parser_;
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::unique_ptr<RecordSource> make_ndjson_source(CsvReader::ReadFn read) { return std::make_unique<NdjsonSource>(std::move(read)); }
std::unique_ptr<RecordSource> make_csv_source(CsvReader::ReadFn read) { return std::make_unique<CsvSource>(std::move(read)); }

OpenedSource open_record_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error(path + " is not a regular file");
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  bool ndjson = ends_with(path, ".ndjson") || ends_with(path, ".jsonl") || ends_with(path, ".json");
  if (!ndjson && !ends_with(path, ".csv")) {
    char head[256];
    ssize_t n = ::pread(fd, head, sizeof head, 0);
    for (ssize_t i = 0; i < n; ++i) {
      if (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t') continue;
      ndjson = head[i] == '{';
      break;
    }
  }
  // The reader owns the descriptor through a shared handle closed with the last copy.
  auto handle = std::shared_ptr<int>(new int(fd), [](int* p) { ::close(*p); delete p; });
  CsvReader::ReadFn read = [handle, inner = fd_reader(fd)](char* dst, size_t cap) { return inner(dst, cap); };
  OpenedSource out;
  out.size_bytes = static_cast<uint64_t>(st.st_size);
  out.source = ndjson ? make_ndjson_source(std::move(read)) : make_csv_source(std::move(read));
  return out;
}

} // namespace shopflow
