#include "auth/scopes.h"

#include <stdexcept>

namespace shopflow {

namespace {
constexpr std::pair<std::string_view, Scope> kNames[] = {
    {"ingest", kScopeIngest}, {"read", kScopeRead}, {"sql", kScopeSql}, {"admin", kScopeAdmin}};
}

ScopeSet scope_named(std::string_view name) {
  size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  for (auto& [n, s] : kNames)
    if (n == name) return s;
  return 0;
}

ScopeSet parse_scopes(std::string_view list) {
  ScopeSet out = 0;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find_first_of(", ", pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view name = list.substr(pos, end - pos);
    if (!name.empty()) {
      ScopeSet s = 0;
      for (auto& [n, bit] : kNames)
        if (n == name) s = bit;
      if (!s) throw std::invalid_argument("unknown scope \"" + std::string(name) + "\" (known: ingest, read, sql, admin)");
      out |= s;
    }
    pos = end + 1;
  }
  if (!out) throw std::invalid_argument("no scopes given (known: ingest, read, sql, admin)");
  return out;
}

std::string scope_names(ScopeSet scopes) {
  std::string out;
  for (auto& [n, bit] : kNames) {
    if (!(scopes & bit)) continue;
    if (!out.empty()) out += ' ';
    out += n;
  }
  return out;
}

} // namespace shopflow
