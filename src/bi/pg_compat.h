// What PostgreSQL clients send that DuckDB does not take as is: statement splitting, catalog
// queries (psql's \\d) answered from DuckDB's catalog, and the session settings drivers SET and
// SHOW when they connect.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopflow {

// Rewrites catalog-query idioms DuckDB's pg_catalog does not understand.
std::string pg_compat(std::string sql);

// SET of a known session setting (accepted, changes nothing) or SHOW of one (answered).
struct SessionStatement {
  bool is_set = false;
  std::string name, value; // SHOW: the setting and its value
};
std::optional<SessionStatement> session_statement(const std::string& sql);

// psql's \\d queries about one table, as queries over DuckDB's catalog; nullopt for others.
std::optional<std::string> describe_table_query(const std::string& sql);

// Splits a query string into statements at top-level semicolons (quotes, identifiers, comments
// and dollar-quoted strings respected); empty statements are dropped.
std::vector<std::string> split_statements(std::string_view sql);

// The first keyword, upper-cased ("SELECT", "BEGIN", ...).
std::string first_word(const std::string& s);

} // namespace shopflow
