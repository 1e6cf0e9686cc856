#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/query_source.h"

namespace shopflow {

void add_catalog_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("catalog", "List tables, views, columns, row counts, lake partitions and files");
  struct Args {
    std::string data = kDefaultDataDir, format = "table";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}))->capture_default_str();
  cmd->callback([args, &exit_code] {
    std::unique_ptr<QuerySource> engine = open_query_source(args->data);
    OutputFormat f = args->format == "csv" ? OutputFormat::Csv : args->format == "json" ? OutputFormat::Json : OutputFormat::Table;
    auto section = [&](const char* title, const std::string& sql) {
      TextTable r = engine->query(sql);
      if (f == OutputFormat::Table) std::printf("== %s ==\n", title);
      std::string out = render(r, f);
      std::fwrite(out.data(), 1, out.size(), stdout);
      if (f == OutputFormat::Table) std::printf("\n");
    };
    // Row counts come from the tables themselves (exact), not estimates.
    std::string counts;
    for (const char* t : {"transactions", "cancellations", "rejected", "imports"})
      counts += std::string(counts.empty() ? "" : " UNION ALL ") + "SELECT '" + t + "' AS name, count(*) AS n FROM warehouse.main." + t;
    section("Warehouse tables and views",
            "SELECT t.table_catalog || '.' || t.table_name AS name, lower(t.table_type) AS kind, "
            "(SELECT count(*) FROM information_schema.columns c WHERE c.table_catalog = t.table_catalog AND "
            "c.table_name = t.table_name) AS columns, k.n AS rows FROM information_schema.tables t "
            "LEFT JOIN (" + counts + ") k ON t.table_catalog = 'warehouse' AND k.name = t.table_name "
            "ORDER BY t.table_catalog DESC, kind, name");
    section("Columns",
            "SELECT table_catalog || '.' || table_name AS table_name, column_name, data_type, is_nullable "
            "FROM information_schema.columns ORDER BY table_catalog DESC, table_name, ordinal_position");
    for (const char* t : {"transactions", "cancellations"}) {
      std::string glob = sql_literal(engine->data_dir() + "/lake/" + t + "/*/*/*.parquet");
      if (engine->query("SELECT count(*) FROM glob(" + glob + ")").rows.at(0).at(0).text == "0") {
        if (f == OutputFormat::Table) std::printf("== Lake: lake.%s ==\n(no files yet)\n\n", t);
        continue;
      }
      std::string meta = "(SELECT file_name, num_rows, regexp_extract(file_name, 'year=([0-9]+)', 1) AS year, "
                         "regexp_extract(file_name, 'month=([0-9]+)', 1) AS month FROM parquet_file_metadata(" + glob + "))";
      section((std::string("Lake partitions: lake.") + t).c_str(),
              "SELECT year, month, count(*) AS files, sum(num_rows) AS rows FROM " + meta + " GROUP BY ALL ORDER BY year, month");
      section((std::string("Lake files: lake.") + t).c_str(),
              "SELECT file_name AS file, num_rows AS rows FROM " + meta + " ORDER BY file_name");
    }
    exit_code = 0;
  });
}

} // namespace shopflow
