// The lake sink (S3 Parquet's role): DIR/lake/<table>/year=YYYY/month=MM/*.parquet, zstd,
// Hive-partitioned, readable by DuckDB, pandas/pyarrow and Spark.
//
// A batch job's files are first written to DIR/lake/_staging/batch-<job>/<table>/year=/month=/
// part-<i>.parquet while the job's warehouse transaction is open, then renamed into place as
// <table>/year=YYYY/month=MM/batch-<job>-<i>.parquet after it commits. Readers never look inside
// _staging. A staging folder of a committed job is published by recovery; one of an uncommitted
// job is deleted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "db/duckdb.h"

namespace shopflow {

inline constexpr const char* kLakeTables[] = {"transactions", "cancellations"};

class LakeWriter {
public:
  explicit LakeWriter(std::filesystem::path root);

  // Writes the rows of `select_sql` (no year/month columns: the folder names carry them) as one
  // staged file of the job: <table>/year=YYYY/month=MM/part-<segment>.parquet. Run through the
  // job's connection while its transaction is open.
  void stage(DuckConnection& con, int64_t job, const std::string& table, int partition, int segment,
             const std::string& select_sql);
  // Moves a job's staged files into the lake and removes its staging folder. Idempotent.
  void publish(int64_t job);
  void discard(int64_t job);
  // Deletes the published files of a job (a forced re-import replaces them).
  void remove_published(int64_t job);
  std::vector<int64_t> staged_jobs() const;

  const std::filesystem::path& root() const { return root_; }
  // A glob over a table's files, e.g. "DIR/lake/transactions/*/*/*.parquet".
  std::string glob(const std::string& table) const;

private:
  std::filesystem::path staging(int64_t job) const;
  std::filesystem::path root_;
};

} // namespace shopflow
