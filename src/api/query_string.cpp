#include "api/query_string.h"

#include <cctype>

namespace shopflow {

namespace {
int hex_value(char c) { return isdigit(static_cast<unsigned char>(c)) ? c - '0' : (tolower(static_cast<unsigned char>(c)) - 'a' + 10); }

// Calls f(name, value) for each "name=value" pair of a query string, both still encoded.
template <class F> void for_each_pair(std::string_view query, F&& f) {
  for (size_t pos = 0; pos <= query.size();) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (f(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1))) return;
    pos = amp + 1;
  }
}
} // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string query_param(std::string_view query, std::string_view key) {
  std::string value;
  for_each_pair(query, [&](std::string_view name, std::string_view v) {
    if (percent_decode(name, true) != key) return false;
    value = percent_decode(v, true);
    return true;
  });
  return value;
}

std::vector<std::string> query_names(std::string_view query) {
  std::vector<std::string> names;
  for_each_pair(query, [&](std::string_view name, std::string_view) {
    if (!name.empty()) names.push_back(percent_decode(name, true));
    return false;
  });
  return names;
}

} // namespace shopflow
