#include "sinks/warehouse/warehouse.h"

#include "core/record.h"
#include "sinks/line_schema.h"
#include "sinks/warehouse_schema.h"

namespace shopflow {

namespace {
// The schema, views included (idempotent: CREATE ... IF NOT EXISTS / OR REPLACE); the line tables'
// columns come from sinks/line_schema.h.
std::string warehouse_schema() {
  std::string columns = line_columns_sql(SqlDialect::DuckDb);
  return "CREATE TABLE IF NOT EXISTS transactions (\n  " + columns + "\n);\nCREATE TABLE IF NOT EXISTS cancellations (\n  " + columns + "\n);\n" + shared_warehouse_schema() + R"SQL(
CREATE TABLE IF NOT EXISTS sent_files (
  sha256         VARCHAR PRIMARY KEY,
  file           VARCHAR NOT NULL,
  bytes          BIGINT NOT NULL,
  batch_rows     INTEGER NOT NULL,
  registered_at  TIMESTAMP NOT NULL,
  completed_at   TIMESTAMP,
  rows_acked     BIGINT
);
ALTER TABLE sent_files ADD COLUMN IF NOT EXISTS client VARCHAR;
)SQL";
}
} // namespace

Warehouse::Warehouse(const std::string& path, const std::string& memory_limit) {
  // Extensions are never installed or auto-loaded; DuckDB's allocator purges freed memory in the
  // background (a large answer's chunks otherwise stay resident until the next allocation).
  // A checkpoint merges at most one run of small row groups (max_vacuum_tasks): the stream sink's
  // transactions leave a partial row group after their full ones, and merging all of them at
  // once stalled the sink for 7 s at 5.8M rows (0.5 s with one merge per checkpoint).
  // One DuckDB thread per statement: the importer runs its INSERTs and its lake COPYs on threads
  // of its own, side by side, and DuckDB's scheduler on top of them only adds contention.
  db_ = std::make_unique<DuckDatabase>(
      path, std::vector<std::pair<std::string, std::string>>{{"memory_limit", memory_limit},
                                                             {"threads", "1"},
                                                             {"autoinstall_known_extensions", "false"},
                                                             {"autoload_known_extensions", "false"},
                                                             {"allow_community_extensions", "false"},
                                                             {"checkpoint_threshold", DuckDatabase::kNoAutoCheckpoint},
                                                             {"allocator_background_threads", "true"},
                                                             {"max_vacuum_tasks", "1"}});
  con_ = std::make_unique<DuckConnection>(*db_);
  con_->execute(warehouse_schema());
  // (preserve_insertion_order stays on: an unordered parallel INSERT leaves row groups that the
  // checkpoint must rewrite, which costs more than the parallelism gains.)
  side_con_ = std::make_unique<DuckConnection>(*db_);
  line_scan_ = std::make_unique<LineScan>(*con_);
}

void Warehouse::begin_write(DuckConnection& con) {
  db_->checkpoint_if_due(con);
  con.execute("BEGIN TRANSACTION");
}

void Warehouse::commit(DuckConnection& con) {
  try {
    con.execute("COMMIT");
  } catch (...) {
    db_->write_failed();
    throw;
  }
}

void Warehouse::confine_to(const std::vector<std::filesystem::path>& dirs, const std::vector<std::string>& urls) {
  // A prefix without its trailing '/' would also admit a sibling ("lake" admits "lake-old").
  std::string list;
  for (const auto& d : dirs) {
    std::string dir = std::filesystem::weakly_canonical(std::filesystem::absolute(d)).string();
    if (!dir.ends_with('/')) dir += '/';
    list += (list.empty() ? "" : ", ") + sql_literal(dir);
  }
  for (const std::string& url : urls) list += (list.empty() ? "" : ", ") + sql_literal(url.ends_with('/') ? url : url + "/");
  con_->execute("SET allowed_directories = [" + list + "]");
  con_->execute("SET enable_external_access = false");
  con_->execute("SET lock_configuration = true");
}

void RejectedWriter::add(std::string_view source, std::string_view raw, std::string_view reason,
                         std::string_view detail, int64_t received_at_us) {
  rejected_.set_varchar(0, source);
  rejected_.set_varchar(1, raw);
  rejected_.set_varchar(2, reason);
  rejected_.set_varchar(3, detail);
  rejected_.set<int64_t>(4, received_at_us);
  rejected_.end_row();
}

std::map<std::string, int64_t> Warehouse::rejected_by_reason() {
  DuckConnection con(*db_);
  DuckResult r = con.query("SELECT reason, count(*) FROM rejected GROUP BY reason");
  std::map<std::string, int64_t> rejected;
  for (size_t i = 1; i < kRejectReasonCount; ++i) rejected[std::string(reason_name(static_cast<RejectReason>(i)))] = 0;
  for (size_t i = 0; i < r.row_count(); ++i) rejected[r.text(0, i)] = r.int64(1, i);
  return rejected;
}

} // namespace shopflow
