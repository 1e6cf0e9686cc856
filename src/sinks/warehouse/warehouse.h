// The warehouse sink (Redshift's role): one DuckDB file, DIR/warehouse.duckdb.
//
// Tables: transactions and cancellations (the cleaned fields of CONTRACT.md), rejected (source,
// raw, reason, detail, received_at), imports (one row per committed batch job), stream_offsets
// (per sink and shard, the next log offset stored). Views: invoices, customers, daily_sales,
// product_sales. A batch job's rows are written in one transaction together with its imports
// row; a stream batch's rows in one transaction with its stream_offsets row.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/record.h"
#include "db/duckdb.h"
#include "sinks/warehouse/line_scan.h"

namespace shopflow {

// Appends rejected rows (strings are copied). Cleaned lines reach the warehouse in segments
// through the shopflow_lines table function instead (sinks/warehouse/line_scan.h).
class RejectedWriter {
public:
  explicit RejectedWriter(DuckConnection& con) : rejected_(con, "rejected") {}
  // `source` is the row's identity ("batch:3:17"); `raw` must be valid UTF-8 (util/utf8.h).
  // received_at_us: wall-clock microseconds.
  void add(std::string_view source, std::string_view raw, std::string_view reason, std::string_view detail,
           int64_t received_at_us);
  void flush() { rejected_.flush(); }

private:
  DuckAppender rejected_;
};

class Warehouse {
public:
  // Opens or creates DIR/warehouse.duckdb and its schema. memory_limit caps DuckDB's buffer pool.
  explicit Warehouse(const std::string& path, const std::string& memory_limit = "768MB");
  DuckConnection& connection() { return *con_; }
  // A second connection for work that runs beside connection()'s (lake files of a job).
  DuckConnection& side_connection() { return *side_con_; }
  DuckDatabase& database() { return *db_; }
  // shopflow_lines(), registered on connection().
  LineScan& line_scan() { return *line_scan_; }
  // From now on, DuckDB reaches no file but the database's own and those under `dirs` and the
  // URL prefixes `urls` (an S3 lake's s3://BUCKET/PREFIX/; read and write: the lake writer's
  // COPYs need it), loads no extension and takes no new setting. Extensions are never installed
  // or auto-loaded at all (set when the database opens).
  void confine_to(const std::vector<std::filesystem::path>& dirs, const std::vector<std::string>& urls = {});

  // The sinks' write transactions: begin_write() ... commit(). begin_write() checkpoints when due
  // (DuckDatabase::checkpoint_if_due; DuckDB's own checkpoints are off), and a failed commit
  // makes the next one due.
  void begin_write(DuckConnection& con);
  // Rows of table rejected by reason, every reason of the contract present (0 when none); on a
  // connection of its own (callable from any thread).
  std::map<std::string, int64_t> rejected_by_reason();
  void commit(DuckConnection& con);

private:
  std::unique_ptr<DuckDatabase> db_;
  std::unique_ptr<DuckConnection> con_, side_con_;
  std::unique_ptr<LineScan> line_scan_;
};

} // namespace shopflow
