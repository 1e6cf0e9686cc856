// Read-only SQL over the warehouse and the lake (Athena's role). The warehouse is attached
// read-only as the default catalog; the lake's tables are views in a catalog named `lake`
// (lake.transactions, lake.cancellations, lake_views.h) over the Hive-partitioned Parquet files.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/duckdb.h"
#include "query/lake_views.h"
#include "sinks/lake/object_store.h"
#include "util/json_writer.h"

namespace shopflow {

class QueryEngine {
public:
  // Throws std::runtime_error with a clear message when DIR has no warehouse yet or a writer
  // holds it.
  explicit QueryEngine(const std::string& data_dir);
  DuckResult query(const std::string& sql) {
    LakeHolds::Hold lake = read_lake_now();
    return con_->query(sql);
  }
  // Before a query run on connection() that may read the lake (LakeViews::read_now).
  [[nodiscard]] LakeHolds::Hold read_lake_now() { return lake_views_->read_now(*con_); }
  DuckConnection& connection() { return *con_; }

private:
  std::unique_ptr<DuckDatabase> db_;
  std::unique_ptr<DuckConnection> con_;
  std::unique_ptr<ObjectStore> lake_store_;
  std::unique_ptr<LakeWriter> lake_;
  std::unique_ptr<LakeViews> lake_views_;
};

// A result as text, wherever it was computed (here, or by a server's POST /v1/sql): column
// names, which columns are numeric (aligned right), and per cell its text (nullopt: NULL) and
// whether JSON writes it bare (a number or a boolean) or as a string.
struct TextTable {
  struct Cell {
    std::optional<std::string> text;
    bool bare = false;
  };
  std::vector<std::string> names;
  std::vector<bool> numeric;
  std::vector<std::vector<Cell>> rows;
};
TextTable text_table(DuckResult& result);    // scalar columns only (nested values print empty)
TextTable text_table(class TextRows& rows);  // every type, as DuckDB prints it
// The JSON answer of POST /v1/sql ({"columns": [{"name", "type"}], "rows": [[...]]}) as a table;
// throws std::runtime_error if it is not one.
TextTable text_table_from_sql_answer(const std::string& json);

enum class OutputFormat { Table, Csv, Json, Markdown };
// Renders a result for a terminal (aligned table), as RFC 4180 CSV with a header, as a JSON
// array of objects (numbers unquoted, NULL as null), or as a Markdown table.
std::string render(const TextTable& table, OutputFormat format);
inline std::string render(DuckResult& result, OutputFormat format) { return render(text_table(result), format); }
// One value, given as DuckDB's text of a value of `type` (nullopt: NULL), as JSON: numbers and
// booleans bare (nan/inf quoted), NULL as null, the rest as strings.
void write_json_value(JsonWriter& w, std::optional<std::string_view> value, duckdb_type type);

} // namespace shopflow
