// URL text through Boost.URL: a request target split into its path and query, and
// application/x-www-form-urlencoded query strings and forms ("a=1&b=x+y"): a parameter's value,
// and the names given. Text that is not valid URL encoding (a '%' without two hex digits, a space,
// a character RFC 3986 does not allow there) is refused with std::invalid_argument naming it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopflow {

struct RequestTarget {
  std::string path;  // still percent-encoded: the router decodes each segment it binds
  std::string query; // still encoded, without '?'; "" when absent
};
// A request target: origin form ("/v1/invoices/536365?x=1") or absolute form (RFC 9112 3.2).
RequestTarget parse_request_target(std::string_view target);
// A percent-encoded path segment or form field, decoded; '+' is a space only when plus_is_space.
std::string percent_decode(std::string_view encoded, bool plus_is_space = false);
// A query string or form, parsed and decoded once.
class FormFields {
public:
  explicit FormFields(std::string_view encoded); // throws std::invalid_argument when not URL encoding
  // The first value of `name`, decoded; "" when it is absent.
  std::string get(std::string_view name) const;
  // Every name given, decoded, in order (empty names skipped).
  std::vector<std::string> names() const;

private:
  std::vector<std::pair<std::string, std::string>> fields_; // (name, value), decoded, in order
};

} // namespace shopflow
