#include "api/router.h"

#include "api/query_string.h"

namespace shopflow {

bool match_path(std::string_view pattern, std::string_view path, std::map<std::string, std::string>& params) {
  // Segment by segment: both start with '/', and split at every '/'.
  while (!pattern.empty() && !path.empty()) {
    if (pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1), path.remove_prefix(1);
    std::string_view want = pattern.substr(0, pattern.find('/')), got = path.substr(0, path.find('/'));
    if (want.size() > 5 && want.front() == '{' && want.ends_with("...}")) { // the rest of the path
      params[std::string(want.substr(1, want.size() - 5))] = percent_decode(path);
      return pattern.size() == want.size();
    }
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') params[std::string(want.substr(1, want.size() - 2))] = percent_decode(got);
    else if (want != got) return false;
    pattern.remove_prefix(want.size()), path.remove_prefix(got.size());
  }
  return pattern.empty() && path.empty();
}

} // namespace shopflow
