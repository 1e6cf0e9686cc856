// SQL over HTTP (POST /v1/sql): the serving warehouse (the same DuckDB instance the sinks write,
// so answers include what was just ingested) and the lake (lake.transactions, lake.cancellations).
// Read-only unless the caller may write: every statement is parsed and bound first, and only
// SELECT and EXPLAIN run. A result over `max_rows` rows and a query over `timeout_ms` are refused
// with a message that says so.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>

#include "db/duckdb.h"

namespace shopflow {

enum class SqlFormat { Json, Csv, Parquet };

struct SqlRequest {
  std::string sql;
  bool allow_writes = false;
  size_t max_rows = 100'000;
  int64_t timeout_ms = 30'000;
  SqlFormat format = SqlFormat::Json;
};

struct SqlAnswer {
  unsigned status = 200;
  std::string content_type, body;
};

class SqlEndpoint {
public:
  SqlEndpoint(DuckDatabase& warehouse, std::filesystem::path lake_root);
  SqlAnswer run(const SqlRequest& request);
  // Gives a new connection up-to-date lake views (catalog `lake`, shared by the database).
  void refresh_lake_views(DuckConnection& con);

private:
  DuckDatabase& db_;
  std::filesystem::path lake_root_;
  std::mutex lake_mutex_;
  bool lake_complete_ = false; // every lake table's view reads files (no refresh needed)
};

// "SELECT" for DUCKDB_STATEMENT_TYPE_SELECT, ...
const char* statement_type_name(duckdb_statement_type type);

} // namespace shopflow
