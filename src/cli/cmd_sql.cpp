#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/query_source.h"
#include "cli/sql_shell.h"

namespace shopflow {

void add_sql_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sql", "Run read-only SQL over the warehouse and the lake (lake.transactions, ...); "
                                        "without a query, a SQL shell (or a script from stdin)");
  struct Args {
    std::string query, data = kDefaultDataDir, format = "table", file;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("query", args->query, "SQL statements ('-': read them from stdin; none: a shell on a terminal)");
  cmd->add_option("--file,-f", args->file, "Read SQL statements and dot commands from this file")->check(CLI::ExistingFile);
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  cmd->add_option("--format", args->format, "table, csv, json or markdown")
      ->check(CLI::IsMember({"table", "csv", "json", "markdown"}))->capture_default_str();
  cmd->callback([args, &exit_code] {
    if (!args->query.empty() && !args->file.empty()) throw CLI::ValidationError("--file", "give a query or --file, not both");
    OutputFormat f = args->format == "csv"        ? OutputFormat::Csv
                     : args->format == "json"     ? OutputFormat::Json
                     : args->format == "markdown" ? OutputFormat::Markdown
                                                  : OutputFormat::Table;
    std::unique_ptr<QuerySource> source = open_query_source(args->data);
    if (!args->file.empty()) {
      std::ifstream script(args->file);
      if (!script) throw std::runtime_error("cannot read " + args->file);
      exit_code = run_sql_shell(*source, script, false, f);
    } else if (args->query.empty() || args->query == "-") {
      exit_code = run_sql_shell(*source, std::cin, args->query.empty() && isatty(STDIN_FILENO), f);
    } else {
      exit_code = run_statements(*source, args->query, f, stdout) ? 0 : 1;
    }
  });
}

} // namespace shopflow
