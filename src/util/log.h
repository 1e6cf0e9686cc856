// The process's log on stderr (spdlog): one line per event, with a level, an event name and
// fields. Text: "2026-12-03T09:00:00.123Z info request method=GET route=healthz status=200";
// JSON (--log-format json): {"time":"...","level":"info","event":"request","method":"GET",...}.
// Values are never secrets or tokens: callers pass names, ids, numbers and messages. Lines are
// written in blocks (see StderrBlockSink): a warning or an error at once, others a little later.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace shopflow::log {

enum class Level { Debug, Info, Warn, Error, Off };
enum class Format { Text, Json };

// Parses "debug", "info", "warn", "error", "off"; throws std::invalid_argument otherwise.
Level parse_level(std::string_view name);
// Sets where and how lines go (default: info, text).
void init(Level level, Format format);
bool enabled(Level level);

using Fields = std::initializer_list<std::pair<std::string_view, std::string>>;
void write(Level level, std::string_view event, Fields fields);
// A line's event and fields as write() puts them after the time and level (the text form, or
// the JSON members without braces). No value can forge a line or hold bytes that are not UTF-8.
std::string format_line(Format format, std::string_view event, Fields fields);
inline void info(std::string_view event, Fields fields = {}) { write(Level::Info, event, fields); }
inline void warn(std::string_view event, Fields fields = {}) { write(Level::Warn, event, fields); }
inline void error(std::string_view event, Fields fields = {}) { write(Level::Error, event, fields); }

} // namespace shopflow::log
