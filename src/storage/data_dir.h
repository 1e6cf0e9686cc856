// An opened data directory: the writer lock and the three sinks.
//   DIR/LOCK              one writer at a time (storage/data_dir_lock.h)
//   DIR/warehouse.duckdb  sinks/warehouse
//   DIR/lake/             sinks/lake
//   DIR/tables/           sinks/tables (RocksDB)
//   DIR/sql-answers/      Parquet answers of POST /v1/sql while they are written (emptied at open)
// Opening it runs recovery, which finishes or undoes whatever a crashed writer left behind, and
// then confines the warehouse's DuckDB to the lake and the answers folder (Warehouse::confine_to).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "sinks/lake/lake_writer.h"
#include "sinks/lake/local_folder/local_folder_store.h"
#include "sinks/tables/tables.h"
#include "sinks/warehouse/warehouse.h"
#include "storage/data_dir_lock.h"

namespace shopflow {

class DataDir {
public:
  DataDir(const std::string& path, const std::string& purpose, const std::string& memory_limit = "768MB");

  const std::string& path() const { return path_; }
  Warehouse& warehouse() { return warehouse_; }
  LakeWriter& lake() { return lake_; }
  const std::filesystem::path& lake_folder() const { return lake_store_.root(); }
  Tables& tables() { return tables_; }
  std::filesystem::path sql_answers_dir() const { return std::filesystem::path(path_) / "sql-answers"; }

  // Publishes staged lake files of committed jobs, deletes those of uncommitted ones and lake files
  // of jobs no longer imported, and derives the tables of committed jobs that lack their marker.
  void recover();

private:
  std::string path_;
  DataDirLock lock_;
  Warehouse warehouse_;
  LocalFolderStore lake_store_;
  LakeWriter lake_;
  Tables tables_;
};

// The [from, to) range of `source` values of a batch job: "batch:<job>:" .. "batch:<job>;".
std::pair<std::string, std::string> batch_source_range(int64_t job);

} // namespace shopflow
