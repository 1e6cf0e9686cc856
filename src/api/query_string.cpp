#include "api/query_string.h"

#include <stdexcept>

#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/params_encoded_view.hpp>
#include <boost/url/pct_string_view.hpp>

namespace urls = boost::urls;

namespace shopflow {

namespace {
const urls::encoding_opts kForm(true); // application/x-www-form-urlencoded: '+' is a space

urls::params_encoded_view parse_form(std::string_view query) {
  auto parsed = urls::parse_query(query);
  if (!parsed) throw std::invalid_argument("the query string or form is not valid URL encoding (" + parsed.error().message() + ")");
  return *parsed;
}
} // namespace

RequestTarget parse_request_target(std::string_view target) {
  // RFC 9112 3.2.2: a server accepts the absolute form too ("http://host/path?query").
  auto parsed = target.starts_with('/') ? urls::parse_origin_form(target) : urls::parse_absolute_uri(target);
  if (!parsed) throw std::invalid_argument("the request target is not a valid URL path and query (" + parsed.error().message() + ")");
  std::string path(parsed->encoded_path());
  if (path.empty()) path.push_back('/');
  return {std::move(path), std::string(parsed->encoded_query())};
}

std::string percent_decode(std::string_view encoded, bool plus_is_space) {
  auto text = urls::make_pct_string_view(encoded);
  if (!text) throw std::invalid_argument("not valid percent-encoding (" + text.error().message() + ")");
  return text->decode(urls::encoding_opts(plus_is_space));
}

FormFields::FormFields(std::string_view encoded) {
  for (const auto& param : parse_form(encoded)) fields_.emplace_back(param.key.decode(kForm), param.value.decode(kForm));
}

std::string FormFields::get(std::string_view name) const {
  for (const auto& [key, value] : fields_)
    if (key == name) return value;
  return {};
}

std::vector<std::string> FormFields::names() const {
  std::vector<std::string> names;
  for (const auto& [key, value] : fields_)
    if (!key.empty()) names.push_back(key);
  return names;
}

} // namespace shopflow
