#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/query_source.h"
#include "query/lake_views.h"

namespace shopflow {

namespace {
// Bookkeeping tables whose values are what a user looks for (not a count of them).
constexpr const char* kShownWhole[] = {"stream_offsets", "imports", "sent_files"};
} // namespace

void add_catalog_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("catalog", "List tables, views, columns, row counts, lake partitions and files");
  struct Args {
    std::string data = kDefaultDataDir, format = "table", table;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("table", args->table, "Show only this table or view (e.g. transactions, daily_sales, lake.transactions)");
  cmd->add_option("--data", args->data, "Data directory")->capture_default_str();
  cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}))->capture_default_str();
  cmd->callback([args, &exit_code] {
    // A name is [catalog.]table: warehouse (the default) or lake.
    std::string catalog = "warehouse", table = args->table;
    if (size_t dot = table.find('.'); dot != std::string::npos) {
      catalog = table.substr(0, dot);
      table = table.substr(dot + 1);
    }
    if (!args->table.empty() && (table.empty() || table.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos ||
                                 (catalog != "warehouse" && catalog != "lake")))
      throw CLI::ValidationError("table", "expected NAME or lake.NAME (lower-case letters, digits, _), got \"" + args->table + "\"");
    std::unique_ptr<QuerySource> engine = open_query_source(args->data);
    OutputFormat f = args->format == "csv" ? OutputFormat::Csv : args->format == "json" ? OutputFormat::Json : OutputFormat::Table;
    auto section = [&](const std::string& title, const std::string& sql) {
      TextTable r = engine->query(sql);
      if (f == OutputFormat::Table) std::printf("== %s ==\n", title.c_str());
      std::string out = render(r, f);
      std::fwrite(out.data(), 1, out.size(), stdout);
      if (f == OutputFormat::Table) std::printf("\n");
    };
    std::string only; // an SQL condition on information_schema's table_catalog and table_name
    if (!args->table.empty()) {
      only = " AND table_catalog = " + sql_literal(catalog) + " AND table_name = " + sql_literal(table);
      if (engine->query("SELECT count(*) FROM information_schema.tables WHERE true" + only).rows.at(0).at(0).text == "0")
        throw std::runtime_error("no table or view " + args->table + " (`shopflow catalog` lists them)");
    }
    // Row counts come from the tables themselves (exact), not estimates.
    std::string counts;
    for (const char* t : {"transactions", "cancellations", "rejected", "imports", "sent_files", "stream_offsets"})
      counts += std::string(counts.empty() ? "" : " UNION ALL ") + "SELECT '" + t + "' AS name, count(*) AS n FROM warehouse.main." + t;
    section(args->table.empty() ? "Warehouse tables and views" : "Table " + args->table,
            "SELECT t.table_catalog || '.' || t.table_name AS name, lower(t.table_type) AS kind, "
            "(SELECT count(*) FROM information_schema.columns c WHERE c.table_catalog = t.table_catalog AND "
            "c.table_name = t.table_name) AS columns, k.n AS rows FROM information_schema.tables t "
            "LEFT JOIN (" + counts + ") k ON t.table_catalog = 'warehouse' AND k.name = t.table_name WHERE true" + only +
            " ORDER BY t.table_catalog DESC, kind, name");
    section("Columns",
            "SELECT table_catalog || '.' || table_name AS table_name, column_name, data_type, is_nullable "
            "FROM information_schema.columns WHERE true" + only + " ORDER BY table_catalog DESC, table_name, ordinal_position");
    for (const char* t : kShownWhole)
      if (catalog == "warehouse" && table == t) section(std::string("Values of ") + t, std::string("SELECT * FROM warehouse.main.") + t + " ORDER BY ALL");
    for (const char* t : kLakeTables) {
      if (!args->table.empty() && (catalog != "lake" || table != t)) continue;
      // The files the view reads (lake_views.h), as the query that lists them finds them.
      std::string files = "getvariable(" + sql_literal(LakeViews::files_variable(t)) + ")";
      if (engine->query("SELECT len(" + files + ")").rows.at(0).at(0).text == "0") {
        if (f == OutputFormat::Table) std::printf("== Lake: lake.%s ==\n(no files yet)\n\n", t);
        continue;
      }
      std::string meta = "(SELECT file_name, num_rows, regexp_extract(file_name, 'year=([0-9]+)', 1) AS year, "
                         "regexp_extract(file_name, 'month=([0-9]+)', 1) AS month FROM parquet_file_metadata(" + files + "))";
      section(std::string("Lake partitions: lake.") + t,
              "SELECT year, month, count(*) AS files, sum(num_rows) AS rows FROM " + meta + " GROUP BY ALL ORDER BY year, month");
      section(std::string("Lake files: lake.") + t, "SELECT file_name AS file, num_rows AS rows FROM " + meta + " ORDER BY file_name");
    }
    exit_code = 0;
  });
}

} // namespace shopflow
