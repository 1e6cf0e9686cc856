// What a client may do. A route needs one scope; a client is granted a set.
//   ingest - POST records;  read - GET lookups and dashboard data;  sql - SQL endpoints;
//   admin  - batch hand-over and client management.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shopflow {

using ScopeSet = uint8_t;
enum Scope : ScopeSet { kScopeIngest = 1, kScopeRead = 2, kScopeSql = 4, kScopeAdmin = 8 };
constexpr ScopeSet kAllScopes = kScopeIngest | kScopeRead | kScopeSql | kScopeAdmin;

// The scope a name stands for, or 0. For other issuers' scopes ("https://api.shop/ingest",
// "shopflow/read") the part after the last '/' is the name.
ScopeSet scope_named(std::string_view name);
// "ingest,read" or "ingest read" -> set; throws std::invalid_argument naming an unknown scope.
ScopeSet parse_scopes(std::string_view list);
// Space-separated names, in the order above ("ingest read").
std::string scope_names(ScopeSet scopes);

} // namespace shopflow
