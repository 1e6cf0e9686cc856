// An opened data directory: the writer lock, the log's location and the three sinks.
//   DIR/LOCK              one writer at a time (storage/data_dir_lock.h)
//   DIR/BACKENDS          where each backend lives (storage/backend_urls.h); by default:
//   DIR/NODE              this data dir's id as a node of a shared (Kafka) log
//   DIR/log/              stream/local_log.h
//   DIR/warehouse.duckdb  sinks/warehouse (its folder: DIR)
//   DIR/lake/             sinks/lake (DIR/lake-scratch/: its scratch files when the lake is on S3)
//   DIR/tables/           sinks/tables (RocksDB)
//   DIR/sql-answers/      Parquet answers of POST /v1/sql while they are written (emptied at open)
//   DIR/lines-from-postgres/  a PostgreSQL warehouse's lines while the tables read them (DataDir::with_lines_from)
// A backend kept outside DIR belongs to DIR alone (an OWNER file names it; see claim_outside; an
// S3 lake's _owner object, unless workers of a Kafka log share it).
// Opening it runs recovery, which finishes or undoes whatever a crashed writer left behind, and
// then confines the warehouse's DuckDB to the lake and the answers folder (Warehouse::confine_to).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sinks/lake/lake_writer.h"
#include "sinks/tables/tables.h"
#include "sinks/warehouse/postgres/pg_warehouse.h"
#include "sinks/warehouse/warehouse.h"
#include "storage/backend_urls.h"
#include "storage/data_dir_lock.h"
#include "stream/local_log.h"

namespace shopflow {

class DataDir {
public:
  // Throws std::invalid_argument on a backend URL that is not accepted or differs from DIR/BACKENDS.
  DataDir(const std::string& path, const std::string& purpose, const BackendUrls& backends = {},
          const std::string& memory_limit = "768MB");
  ~DataDir();

  const std::string& path() const { return path_; }
  const Backends& backends() const { return backends_; }
  // The log at backends().log: the embedded one (one process opens it at a time: this data
  // dir's), or a Kafka log (options.shards partitions if it creates the topic; its transactional
  // id is this data dir's node id, so a restarted node fences its earlier self).
  std::unique_ptr<Log> open_log(const LocalLogOptions& options) const;
  // This data dir's id among the nodes of a shared log (DIR/NODE, made at first use).
  std::string node_id() const;
  Warehouse& warehouse() { return warehouse_; }
  LakeWriter& lake() { return lake_; }
  Tables& tables() { return tables_; }
  std::filesystem::path sql_answers_dir() const { return std::filesystem::path(path_) / "sql-answers"; }
  // with_lines_from()'s copies of a PostgreSQL warehouse's lines while the tables read them.
  std::filesystem::path lines_from_postgres_dir() const { return std::filesystem::path(path_) / "lines-from-postgres"; }

  // Runs `use` on the DuckDB connection while it holds, in a transaction rolled back afterwards,
  // the lines whose source lies in [from, to) copied from the PostgreSQL warehouse `pg` (this
  // data dir's DuckDB does not keep a PostgreSQL warehouse's rows): the tables derive or remove a
  // job from them.
  void with_lines_from(PgWarehouse& pg, const std::string& from, const std::string& to, const std::function<void(DuckConnection&)>& use);

  // Publishes staged lake files of committed jobs, deletes those of uncommitted ones and lake files
  // of jobs no longer imported, and derives the tables of committed jobs that lack their marker.
  void recover();

private:
  void claim_s3_lake();
  std::string path_;
  DataDirLock lock_;
  Backends backends_;
  std::vector<std::unique_ptr<DataDirLock>> outside_locks_; // of a log or lake outside DIR
  Warehouse warehouse_;
  std::unique_ptr<ObjectStore> lake_store_;
  LakeWriter lake_;
  Tables tables_;
};

// The lake's object store at `at` (a folder or an S3 bucket, whose access is checked). A new
// store is one more case here.
std::unique_ptr<ObjectStore> open_lake_store(const BackendLocation& at);

// The [from, to) range of `source` values of a batch job: "batch:<job>:" .. "batch:<job>;".
std::pair<std::string, std::string> batch_source_range(int64_t job);

} // namespace shopflow
