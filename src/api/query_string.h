// URL text: percent-decoding, and application/x-www-form-urlencoded query strings and forms
// ("a=1&b=x+y"): a parameter's value, and the names given.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shopflow {

// "%41B%20C" -> "AB C"; '+' stays '+' in paths (plus_is_space for query strings and forms). A '%'
// not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view s, bool plus_is_space = false);
// The first value of `key` in a query string or form, decoded; "" when it is absent.
std::string query_param(std::string_view query, std::string_view key);
// Every parameter name of a query string, decoded, in order (empty names skipped).
std::vector<std::string> query_names(std::string_view query);

} // namespace shopflow
