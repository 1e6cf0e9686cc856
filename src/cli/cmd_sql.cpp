#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/query_source.h"

namespace shopflow {

void add_sql_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sql", "Run read-only SQL over the warehouse and the lake (lake.transactions, ...)");
  struct Args {
    std::string query, data = kDefaultDataDir, format = "table";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("query", args->query, "SQL statement")->required();
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}))->capture_default_str();
  cmd->callback([args, &exit_code] {
    std::unique_ptr<QuerySource> source = open_query_source(args->data);
    TextTable result;
    try {
      result = source->query(args->query);
    } catch (const DuckError& e) {
      std::fprintf(stderr, "shopflow: SQL error: %s\n", e.what());
      exit_code = 1;
      return;
    }
    OutputFormat f = args->format == "csv" ? OutputFormat::Csv : args->format == "json" ? OutputFormat::Json : OutputFormat::Table;
    std::string out = render(result, f);
    std::fwrite(out.data(), 1, out.size(), stdout);
    exit_code = 0;
  });
}

} // namespace shopflow
