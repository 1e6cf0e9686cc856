// The lake's tables in SQL: views lake.transactions and lake.cancellations (catalog `lake`, in
// memory) over Hive-partitioned Parquet files. Each view reads the list of files in its
// connection's variable shopflow_lake_<table> (read locations), which read_now() sets to the
// lake's files as they are: a query sees a merge whole or not at all (never its inputs beside
// its output), and no file it listed is deleted before it ends (lake_holds.h). A table without
// files is an empty view of the warehouse table's shape (the warehouse attached as `warehouse`).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "db/duckdb.h"
#include "sinks/lake/lake_writer.h"

namespace shopflow {

class LakeViews {
public:
  // Attaches catalog `lake` to the database (if missing) and defines its views.
  LakeViews(DuckDatabase& db, LakeWriter& lake);
  // Points the views, for `con` only, at the lake's files now. Keep the hold until the query's
  // last row is read; run a query that reads the lake only after this (binding reads the files).
  [[nodiscard]] LakeHolds::Hold read_now(DuckConnection& con);

  // The variable holding a table's files, e.g. "shopflow_lake_transactions".
  static std::string files_variable(const std::string& table) { return "shopflow_lake_" + table; }

private:
  // Over `files` (a list literal), or empty when there are none ("").
  void define(const std::string& table, const std::string& files);

  // A table's files as a list literal ("" when none), listed anew when the lake has changed.
  std::string files_of(const std::string& table);

  LakeWriter& lake_;
  std::mutex mutex_;
  DuckConnection ddl_;                 // the views' own: DDL outside any client's transaction
  std::map<std::string, bool> reads_files_; // per table: whether its view reads files (else empty)
  struct Listed {
    uint64_t changes = UINT64_MAX; // LakeWriter::changes() before it was listed
    std::string files;
  };
  std::map<std::string, Listed> listed_; // per table
};

} // namespace shopflow
