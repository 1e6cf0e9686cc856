// Names DuckDB itself defines, which a client's macro, table or view must not take: DuckDB looks an
// unqualified name up in the default catalog before its own, so a macro round() or read_parquet(),
// or a view duckdb_tables, made by scope admin would change what every later query computes,
// shopflow's own views and catalog queries included.
#pragma once

#include <optional>

#include "db/duckdb.h"
#include "query/policy/sql_policy.h"

namespace shopflow {

// Why `statement` (1-based `index`) may not run on `con`'s DuckDB: sql_refusal()'s verdict, else
// that it makes a macro named like one of DuckDB's built-in functions, or a table or view named
// like a view or table of DuckDB's system catalog (duckdb_tables, pg_class...), which needs
// DuckDB's catalog to tell. nullopt if it may run. Called for every statement of a request before
// any of them runs.
std::optional<SqlRefusal> statement_refusal(DuckConnection& con, const ClassifiedStatement& statement, size_t index, bool may_write);

} // namespace shopflow
