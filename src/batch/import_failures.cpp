#include "batch/import_failures.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include <simdjson.h>

#include "util/json_writer.h"

namespace shopflow {

namespace {
std::filesystem::path journal(const std::string& data_dir) { return std::filesystem::path(data_dir) / "import-failures"; }
} // namespace

void record_import_failure(const std::string& data_dir, const std::string& file, const std::string& error, int64_t at_ms) {
  JsonWriter w;
  w.begin_object().field("at_ms", at_ms).field("file", file).field("error", error).end_object();
  std::string line = w.take() + "\n";
  const std::filesystem::path path = journal(data_dir);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fdatasync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot append to " + path.string() + ": " + std::strerror(err));
}

std::vector<ImportFailure> read_import_failures(const std::string& data_dir, uint64_t from) {
  std::vector<ImportFailure> out;
  std::ifstream in(journal(data_dir), std::ios::binary);
  if (!in) return out;
  in.seekg(static_cast<std::streamoff>(from));
  std::string line;
  uint64_t at = from;
  simdjson::dom::parser parser;
  while (std::getline(in, line)) {
    if (in.eof()) break; // no newline yet: a line being written
    at += line.size() + 1;
    ImportFailure f;
    f.end = at;
    simdjson::dom::object o;
    std::string_view file, error;
    if (parser.parse(line).get_object().get(o) || o["at_ms"].get_int64().get(f.at_ms) || o["file"].get_string().get(file) ||
        o["error"].get_string().get(error))
      f.error = "(a damaged line of the failures' journal)";
    else f.file = file, f.error = error;
    out.push_back(std::move(f));
  }
  return out;
}

uint64_t import_failures_end(const std::string& data_dir) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(journal(data_dir), ec);
  return ec ? 0 : size;
}

} // namespace shopflow
