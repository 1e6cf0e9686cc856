#include "util/log.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <stdexcept>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "util/json_writer.h"
#include "util/utf8.h"

namespace shopflow::log {

namespace {
std::atomic<Format> g_format{Format::Text};

// Lines go to stderr in blocks, one write() for many lines: a busy server's request lines cost no
// system call each. A line is written at once when the previous block went out more than
// kMaxDelay before it, and a warning or an error at once with every line before it; lines left in
// the block are written by spdlog's periodic flush (every second) or when the process ends.
class StderrBlockSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  ~StderrBlockSink() override { write_block(); }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    formatter_->format(msg, block_); // appends the line
    if (msg.level >= spdlog::level::warn || block_.size() >= kBlockBytes || msg.time - written_ >= kMaxDelay) write_block();
  }
  void flush_() override { write_block(); }

private:
  static constexpr size_t kBlockBytes = 32 << 10;
  static constexpr std::chrono::milliseconds kMaxDelay{100};
  void write_block() {
    for (size_t done = 0; done < block_.size();) {
      ssize_t n = ::write(STDERR_FILENO, block_.data() + done, block_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break; // stderr closed or full: the lines are dropped, as fwrite would
      done += static_cast<size_t>(n);
    }
    block_.clear();
    written_ = spdlog::log_clock::now();
  }
  spdlog::memory_buf_t block_; // lines not yet written
  spdlog::log_clock::time_point written_{};
};

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto made = std::make_shared<spdlog::logger>("shopflow", std::make_shared<StderrBlockSink>());
    spdlog::register_logger(made);
    spdlog::flush_every(std::chrono::seconds(1));
    made->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    made->set_level(spdlog::level::info);
    return made;
  }();
  return l;
}

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
  case Level::Debug: return spdlog::level::debug;
  case Level::Info: return spdlog::level::info;
  case Level::Warn: return spdlog::level::warn;
  case Level::Error: return spdlog::level::err;
  default: return spdlog::level::off;
  }
}

} // namespace

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::Debug;
  if (name == "info") return Level::Info;
  if (name == "warn") return Level::Warn;
  if (name == "error") return Level::Error;
  if (name == "off") return Level::Off;
  throw std::invalid_argument("log level must be debug, info, warn, error or off, not \"" + std::string(name) + "\"");
}

void init(Level level, Format format) {
  g_format = format;
  auto l = logger();
  l->set_level(to_spdlog(level));
  if (format == Format::Json)
    l->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  else
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
}

bool enabled(Level level) { return logger()->should_log(to_spdlog(level)); }

std::string format_line(Format format, std::string_view event, Fields fields) {
  // A field may quote what a client sent: bytes that are not UTF-8 are written as "\xNN", and in
  // text lines a value with a space, a quote, '=', a control character (a line break, an escape
  // sequence) or such bytes is written as a JSON string, so that no value can forge a line.
  std::string line;
  if (format == Format::Json) { // the members after "time" and "level" (the pattern writes those)
    JsonWriter w;
    w.begin_object().field("event", escape_invalid_utf8(event));
    for (auto& [k, v] : fields) w.field(escape_invalid_utf8(k), escape_invalid_utf8(v));
    std::string_view members = w.end_object().view();
    line = members.substr(1, members.size() - 2);
  } else {
    line = event;
    for (auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      bool quote = v.empty() || !valid_utf8(v) || std::any_of(v.begin(), v.end(), [](char c) {
                     return c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                   });
      line += quote ? json_string(escape_invalid_utf8(v)) : v;
    }
  }
  return line;
}

void write(Level level, std::string_view event, Fields fields) {
  if (!enabled(level)) return;
  logger()->log(to_spdlog(level), "{}", format_line(g_format, event, fields));
}

} // namespace shopflow::log
