// What PostgreSQL clients send that DuckDB does not take as is: catalog
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

// The statements that give a session's connection what psql's and drivers' catalog queries use
// and DuckDB lacks (TEMP macros and views, which pg_compat() makes them reach): one database
// "shopflow", one role (the client) owning everything, version() of PostgreSQL 15 naming shopflow
// and DuckDB, current_user, and shopflow_current_database() (pg_compat() rewrites
// current_database() to it; pg_column_names.h names it back). Both arguments
// are SQL string literals.
std::vector<std::string> pg_session_setup(const std::string& user_literal, const std::string& version_literal);

// SET of a known session setting (accepted, changes nothing) or SHOW of one (answered).
struct SessionStatement {
  bool is_set = false;
  std::string name, value; // SHOW: the setting and its value
  std::string set_value;   // SET name = / TO value: the value given, unquoted
};

// A PostgreSQL duration setting's value in milliseconds: "250", "250ms", "5s", "2min", "1h",
// "'5s'"; nullopt for anything else.
std::optional<int64_t> parse_pg_duration_ms(std::string_view text);
std::optional<SessionStatement> session_statement(const std::string& sql);

// psql's \\d queries about one table, as queries over DuckDB's catalog; nullopt for others.
std::optional<std::string> describe_table_query(const std::string& sql);

} // namespace shopflow
