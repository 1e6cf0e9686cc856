// A string as a JSON string literal (quoted, with ", \ and control characters escaped; the text
// must already be UTF-8), and the body of JSON error answers. Header-only.
#pragma once

#include <string>
#include <string_view>

namespace shopflow {

inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
  }
  out.push_back('"');
}

inline std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// {"error": "<message>"}: the body of every JSON error answer.
inline std::string error_json(std::string_view message) { return "{\"error\":" + json_string(message) + "}"; }

} // namespace shopflow
