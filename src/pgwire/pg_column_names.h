// The names PostgreSQL gives a query's unnamed result columns, where DuckDB's differ: PostgreSQL
// names a function call by the function ("count", "version", "current_database"), a CASE "case",
// a cast by its operand or else by the type ("int4"), a scalar subquery by its own first column,
// EXISTS "exists", and any other expression "?column?" (its FigureColname rules); DuckDB names
// them by their text ("count_star()", "version()"). psql shows these names, and BI tools key
// results by them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/duckdb.h"

namespace shopflow {

// Reads statements' parse trees through DuckDB's json_serialize_sql on a session's connection,
// prepared once.
class PgColumnNames {
public:
  explicit PgColumnNames(DuckConnection& con) : serialize_(con, "SELECT json_serialize_sql($1::VARCHAR)") {}
  // One entry per result column of `sql` (one statement, as DuckDB gets it): the PostgreSQL name
  // where it differs from DuckDB's, nullopt where DuckDB's stands (aliases, column references).
  // Empty when the shape cannot be told from the parse (not a SELECT, a * in the select list, a
  // statement DuckDB does not parse): then every DuckDB name stands.
  std::vector<std::optional<std::string>> of(const std::string& sql);

private:
  DuckPrepared serialize_;
};

} // namespace shopflow
