// The one policy for SQL that clients send (POST /v1/sql, pgwire, the dashboard): which
// statements run at all, and which only for scope admin. It is decided from the text alone, by a
// lexer of our own, before DuckDB parses, binds or runs anything, so a refused statement has no
// side effect at all (binding EXPORT DATABASE, for one, already creates its directory).
//
//   read        SELECT, WITH (whose every part is a query), VALUES, FROM-first, TABLE, a
//               parenthesised query, EXPLAIN [ANALYZE] of a read, DESCRIBE / SHOW / SUMMARIZE of
//               a name or a read, PRAGMA of a catalog-reading pragma (table_info, show_tables...)
//   transaction BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT
//   write       (scope admin) INSERT, UPDATE, DELETE, TRUNCATE, CREATE, DROP, ALTER, COMMENT ON,
//               but never of a table or view the sinks own (sinks/warehouse/warehouse_tables.h),
//               an index on one or a foreign key to one, anything in the lake catalog, a schema
//               named like a catalog, nor a macro, table or view named like one of DuckDB's own
//               functions or system views (checked in DuckDB's catalog: query/builtin_names.h)
//   refused     everything else, for every caller: COPY, ATTACH, DETACH, EXPORT, IMPORT, INSTALL,
//               LOAD, SET, RESET, CALL, PREPARE, EXECUTE, CHECKPOINT, VACUUM, USE, CREATE/DROP SECRET,
//               UPDATE EXTENSIONS, ... (files reach the warehouse through `shopflow batch`)
//
// Each statement's text is handed on with its comments blanked out, one statement at a time, so
// DuckDB parses exactly the text that was classified (and refuses it if it sees more than one).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopflow {

// Unknown: the text begins with no statement DuckDB knows (a syntax error, answered as one).
enum class SqlAccess { Read, Transaction, Write, Refused, Unknown };

struct ClassifiedStatement {
  std::string text;    // the statement without its ';', comments replaced by spaces
  std::string keyword; // its first keyword, upper-cased ("SELECT", "COPY", "(" for a parenthesis)
  std::string name;    // what it is, for messages ("DELETE", "CREATE SECRET"), or its lexical error
  SqlAccess access = SqlAccess::Refused;
  bool lexical_error = false; // an unterminated string, identifier or comment, unbalanced parentheses
  // A write that only shopflow may make (refused for scope admin too): what it names and why, e.g.
  // a table the sinks own, anything in the lake catalog, a schema named like a catalog.
  std::string protected_reason;
  // The name a CREATE MACRO / FUNCTION makes, and a CREATE TABLE / VIEW or RENAME TO, lower-cased:
  // refused before any statement of the request runs if DuckDB has a built-in function, or a
  // system view or table, of that name (builtin_names.h), which the new one would hide.
  std::string created_function, created_relation;
};

// Splits `sql` at top-level semicolons (quotes, quoted identifiers, E'' and dollar-quoted strings
// and nested comments respected) and classifies each non-empty statement.
std::vector<ClassifiedStatement> classify_sql(std::string_view sql);

// Whether DuckDB's type of a prepared (bound, not run) statement is what its classification
// promised: a second check, between binding and running, that the lexer and DuckDB agree.
bool prepared_type_fits(SqlAccess access, int duckdb_statement_type);

// Why a statement may not run, with the answer's HTTP status and SQLSTATE: 400 / 42601 for a
// syntax problem (lexical_error or Unknown), 403 / 25006 for a write without scope admin, 403 /
// 42501 for what nobody may run.
struct SqlRefusal {
  std::string message;
  unsigned http_status;
  const char* sqlstate;
};
// Why `statement` (1-based `index`) may not run for this caller; nullopt if it may.
std::optional<SqlRefusal> sql_refusal(const ClassifiedStatement& statement, size_t index, bool may_write);

} // namespace shopflow
