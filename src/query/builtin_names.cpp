#include "query/builtin_names.h"

namespace shopflow {

namespace {
bool any_row(DuckConnection& con, const char* sql, const std::string& name) {
  DuckPrepared p(con, sql);
  p.bind_text(0, name);
  return p.execute().int64(0, 0) > 0;
}
} // namespace

bool duckdb_builtin_function(DuckConnection& con, const std::string& name) {
  return any_row(con, "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'system' AND lower(function_name) = $1", name);
}

bool duckdb_builtin_relation(DuckConnection& con, const std::string& name) {
  return any_row(con,
                 "SELECT (SELECT count(*) FROM duckdb_views() WHERE database_name = 'system' AND lower(view_name) = $1) + "
                 "(SELECT count(*) FROM duckdb_tables() WHERE database_name = 'system' AND lower(table_name) = $1)",
                 name);
}

} // namespace shopflow
