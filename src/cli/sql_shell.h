// The SQL shell of `shopflow sql` (no query given): statements end at ';' (one may span lines, a
// line may hold several, and every one's result is printed), and dot commands on a line of their
// own: .tables, .schema NAME, .mode table|csv|json|markdown, .timer on|off, .output [FILE],
// .help, .quit. On a terminal, lines come from libedit (editing, and history kept in
// ~/.shopflow_history); otherwise from the input as a script.
#pragma once

#include <istream>

#include "cli/query_source.h"

namespace shopflow {

// Returns the exit code: 0, or 1 if a statement or command failed (each error is printed once,
// and the shell goes on).
int run_sql_shell(QuerySource& source, std::istream& script, bool terminal, OutputFormat format);

// Runs every statement of `sql` and prints each result to `out`; false if one failed (its error
// printed on stderr, the rest not run).
bool run_statements(QuerySource& source, const std::string& sql, OutputFormat format, std::FILE* out, bool timer = false);

} // namespace shopflow
