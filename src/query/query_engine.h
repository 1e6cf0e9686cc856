// Read-only SQL over the warehouse and the lake (Athena's role). The warehouse is attached
// read-only as the default catalog; the lake's tables are views in a catalog named `lake`
// (lake.transactions, lake.cancellations) over the Hive-partitioned Parquet files.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "db/duckdb.h"

namespace shopflow {

class QueryEngine {
public:
  // Throws std::runtime_error with a clear message when DIR has no warehouse yet or a writer
  // holds it.
  explicit QueryEngine(const std::string& data_dir);
  DuckResult query(const std::string& sql) { return con_->query(sql); }
  DuckConnection& connection() { return *con_; }

private:
  std::unique_ptr<DuckDatabase> db_;
  std::unique_ptr<DuckConnection> con_;
};

// (Re)defines lake.main.transactions and lake.main.cancellations (catalog `lake` attached, the
// warehouse attached as `warehouse`) over the Parquet files under `lake_root`; a table without
// files yet is an empty view of the warehouse table's shape. True if every table had files.
bool define_lake_views(DuckConnection& con, const std::filesystem::path& lake_root);

enum class OutputFormat { Table, Csv, Json };
// Renders a result for a terminal (aligned table), as RFC 4180 CSV with a header, or as a JSON
// array of objects (numbers unquoted, NULL as null).
std::string render(DuckResult& result, OutputFormat format);
// One value as JSON: numbers and booleans bare (nan/inf quoted), NULL as null, the rest as strings.
void append_json_value(std::string& out, DuckResult& result, size_t col, size_t row);
// The same for a value given as DuckDB's text of a value of `type` (nullopt: NULL).
void append_json_text(std::string& out, std::optional<std::string_view> value, duckdb_type type);

} // namespace shopflow
