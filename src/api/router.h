// The one table of the HTTP routes: for each, its method, path pattern, name (the metrics label),
// the scope a caller needs, where it runs and its handler. Routing and authorisation both read it,
// so they cannot disagree.
//
// A pattern is a path whose segments are literal or a parameter: "/v1/invoices/{invoice}" matches
// "/v1/invoices/536365" with invoice = "536365" (percent-decoded; any segment, empty too, but never
// one holding a "/"); a last parameter "{name...}" takes the rest of the path, "/"s too. Literal
// segments match exactly. No method (Method::Any) matches every method.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/scopes.h"

namespace shopflow {

template <class Handler> class Router {
public:
  static constexpr std::string_view kAnyMethod = "*";
  struct Route {
    std::string method;  // "GET", "POST", ... or kAnyMethod
    std::string pattern; // "/v1/invoices/{invoice}/items/{code}"
    std::string name;    // "items": the metrics label and the log's route
    ScopeSet scope = 0;  // 0: public
    Handler handler;
  };
  struct Match {
    const Route* route = nullptr;                // null: no route for this method (see allow)
    const Route* path_route = nullptr;           // the first route of the path, whatever its method
    std::map<std::string, std::string> params;   // the pattern's parameters, percent-decoded
    std::vector<std::string> allow;              // the path's methods, when the method has no route
  };

  void add(Route route) { routes_.push_back(std::move(route)); }
  // The route for `method` and `path` (no query string): the first whose pattern matches with that
  // method; else the methods the path has (405), or nothing (404).
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

private:
  std::vector<Route> routes_;
};

// Whether `path` fits `pattern`, filling its parameters (percent-decoded, '+' kept).
bool match_path(std::string_view pattern, std::string_view path, std::map<std::string, std::string>& params);

template <class Handler> typename Router<Handler>::Match Router<Handler>::match(std::string_view method, std::string_view path) const {
  Match m;
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match_path(r.pattern, path, params)) continue;
    if (!m.path_route) m.path_route = &r;
    if (r.method == kAnyMethod || r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    if (std::find(m.allow.begin(), m.allow.end(), r.method) == m.allow.end()) m.allow.push_back(r.method);
  }
  return m;
}

} // namespace shopflow
