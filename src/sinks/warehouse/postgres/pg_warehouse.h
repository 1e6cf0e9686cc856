// The warehouse on PostgreSQL (--warehouse postgresql://USER@HOST:PORT/DB, Redshift's protocol):
// the tables and views of the DuckDB warehouse (sinks/warehouse/warehouse.h), same names and
// types, created if missing. Stream batches are loaded with binary COPY (or, for Amazon Redshift,
// which has no COPY ... FROM STDIN, multi-row INSERTs) in one transaction with their
// stream_offsets rows, so a crash at any moment leaves each shard's rows and offset together.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/postgres/postgres.h"
#include "sinks/cleaned_batch.h"

namespace shopflow {

// A pass refused because another writer stored some of its shards first.
struct StreamOffsetConflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How rows go in: binary COPY ... FROM STDIN, or multi-row INSERTs of text parameters.
enum class PgLoad { Copy, Insert };

class PgWarehouse {
public:
  // Connects and creates what is missing of the schema. Throws PgError.
  explicit PgWarehouse(const std::string& conninfo, PgLoad load = PgLoad::Copy);
  // The next offset of each shard that `sink` has stored.
  std::map<uint32_t, uint64_t> stream_offsets(const std::string& sink);
  // One transaction: every batch's lines, cancellations and rejected rows, and the offsets of
  // sink 'warehouse' (a shard's batches in offset order: shard_ranges()). On an error nothing of it
  // is stored (the connection is made anew if lost); StreamOffsetConflict when a shard's stored
  // offset is already past its first batch's first record.
  void store_stream_batches(const std::vector<CleanedBatch>& batches);

  // Batch jobs, all or nothing per file: begin_job() opens the job's transaction (jobs are
  // numbered one at a time, under a lock) and returns its number; add_job_lines() and
  // add_job_rejected() load inside it (one caller at a time); commit_job() adds the job's
  // imports row and commits; abort_job() rolls back (nothing of the job stays).
  std::optional<int64_t> imported_job(const std::string& sha256); // the job that imported this content
  std::set<int64_t> imported_jobs();
  int64_t begin_job();
  void add_job_lines(const char* table, const std::vector<const LineColumns*>& blocks) { load_lines_into(table, blocks); }
  void add_job_rejected(const std::vector<RejectedRow>& rows);
  struct ImportRow { // the imports table's columns, in order
    int64_t job;
    std::string file, sha256, format;
    std::vector<int64_t> counts; // bytes, rows_read, transactions, cancellations, rejected, then rejected by reason (4)
    int64_t started_us, finished_us;
  };
  void commit_job(const ImportRow& row);
  // Inside the job's transaction: deletes an earlier job's rows (source in [from, to)) and its
  // imports row (a forced re-import replaces them).
  void remove_job_rows(int64_t job, const std::string& from, const std::string& to);
  void abort_job();
  // The lines and rejected rows whose source lies in [from, to), as CSV with a header (COPY TO),
  // one file per table into `dir` (transactions.csv, cancellations.csv): a job's rows for recovery.
  void export_job_lines(const std::string& from, const std::string& to, const std::filesystem::path& dir);

private:
  void load_lines_into(const char* table, const std::vector<const LineColumns*>& blocks);
  void load_rejected_rows(const std::vector<CleanedBatch>& batches);
  std::vector<std::string> offset_statements(const std::vector<ShardRange>& ranges) const;
  std::string conninfo_;
  PgLoad load_;
  std::unique_ptr<PgConnection> con_;
};

// The schema in PostgreSQL's dialect (idempotent), for the warehouse and for tests.
std::string pg_warehouse_schema();

} // namespace shopflow
