#include "query/builtin_names.h"

namespace shopflow {

namespace {
bool any_row(DuckConnection& con, const char* sql, const std::string& name) {
  DuckPrepared p(con, sql);
  p.bind_text(0, name);
  return p.execute().int64(0, 0) > 0;
}

bool builtin_function(DuckConnection& con, const std::string& name) {
  return any_row(con, "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'system' AND lower(function_name) = $1", name);
}

bool builtin_relation(DuckConnection& con, const std::string& name) {
  return any_row(con,
                 "SELECT (SELECT count(*) FROM duckdb_views() WHERE database_name = 'system' AND lower(view_name) = $1) + "
                 "(SELECT count(*) FROM duckdb_tables() WHERE database_name = 'system' AND lower(table_name) = $1)",
                 name);
}

std::optional<SqlRefusal> builtin_name_refusal(DuckConnection& con, const ClassifiedStatement& s, size_t index) {
  const char* what = !s.created_function.empty() && builtin_function(con, s.created_function)   ? "functions"
                     : !s.created_relation.empty() && builtin_relation(con, s.created_relation) ? "views and tables"
                                                                                               : nullptr;
  if (!what) return std::nullopt;
  const std::string& name = s.created_function.empty() ? s.created_relation : s.created_function;
  return SqlRefusal{"statement " + std::to_string(index) + " is " + s.name + " making " + name + ", the name of one of DuckDB's built-in " +
                        what + ": it would change what every later query computes, shopflow's own views and catalog queries included; "
                               "choose another name",
                    403, "42501"};
}
} // namespace

std::optional<SqlRefusal> statement_refusal(DuckConnection& con, const ClassifiedStatement& statement, size_t index, bool may_write) {
  if (auto refusal = sql_refusal(statement, index, may_write)) return refusal;
  return builtin_name_refusal(con, statement, index);
}

} // namespace shopflow
