// Writing one CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, with
// quotes doubled. The counterpart of CsvReader.
#pragma once

#include <string>
#include <string_view>

namespace shopflow {

inline std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

} // namespace shopflow
