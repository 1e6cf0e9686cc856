// Names DuckDB itself defines, which a client's macro, table or view must not take: DuckDB looks an
// unqualified name up in the default catalog before its own, so a macro round() or read_parquet(),
// or a view duckdb_tables, made by scope admin would change what every later query computes,
// shopflow's own views and catalog queries included.
#pragma once

#include <string>

#include "db/duckdb.h"

namespace shopflow {

// Whether `name` (lower-cased) is one of DuckDB's built-in functions (macros included).
bool duckdb_builtin_function(DuckConnection& con, const std::string& name);
// Whether `name` (lower-cased) is a view or table of DuckDB's system catalog (duckdb_tables,
// pg_class, ...).
bool duckdb_builtin_relation(DuckConnection& con, const std::string& name);

} // namespace shopflow
