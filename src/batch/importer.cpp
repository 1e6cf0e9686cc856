#include "batch/importer.h"

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "batch/file_identity.h"
#include "batch/import_failures.h"
#include "batch/job_loader.h"
#include "core/clean.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/utf8.h"
#include "formats/record_source.h"
#include "util/clock.h"
#include "util/progress.h"
#include "util/sha256.h"

namespace shopflow {

namespace {

// Rows per batch handed from the reader to cleaning and the warehouse.
constexpr size_t kBatchRows = 8192;

} // namespace

uint64_t FileSummary::rejected() const {
  uint64_t n = 0;
  for (auto c : rejected_by_reason) n += c;
  return n;
}

std::string FileSummary::to_json() const {
  JsonWriter w;
  w.begin_object().field("file", escape_invalid_utf8(file)).field("sha256", sha256).field("format", format).field("job", job);
  w.field("skipped", skipped).field("replaced_job", replaced_job).field("bytes", bytes).field("rows_read", rows_read);
  w.field("transactions", transactions).field("cancellations", cancellations).field("rejected", rejected());
  w.key("rejected_by_reason").begin_object();
  for (size_t r = 1; r < kRejectReasonCount; ++r) w.field(reason_name(RejectReason(r)), rejected_by_reason[r]);
  w.end_object().field("seconds", JsonNumber{fmt::format("{:.3f}", seconds)});
  w.field("rows_per_second", JsonNumber{fmt::format("{:.0f}", rows_per_second())}).key("stage_seconds").begin_object();
  for (auto& [stage, secs] : stage_seconds) w.field(stage, JsonNumber{fmt::format("{:.3f}", secs)});
  return w.end_object().end_object().take();
}

std::string FileSummary::to_text() const {
  if (skipped)
    return fmt::format("{}: already imported as job {} (same content, sha256 {}); nothing changed. Use --force to "
                       "replace it.\n", file, job, sha256.substr(0, 12));
  std::string out = fmt::format("{}: job {}{}\n", file, job,
                                replaced_job ? fmt::format(" (replaces job {})", replaced_job) : "");
  out += fmt::format("  rows read      {:>12}\n", rows_read);
  out += fmt::format("  transactions   {:>12}\n", transactions);
  out += fmt::format("  cancellations  {:>12}\n", cancellations);
  out += fmt::format("  rejected       {:>12}\n", rejected());
  for (size_t r = 1; r < kRejectReasonCount; ++r)
    if (rejected_by_reason[r]) out += fmt::format("    {:<24}{:>10}\n", reason_name(RejectReason(r)), rejected_by_reason[r]);
  out += fmt::format("  seconds        {:>12.3f}\n", seconds);
  out += fmt::format("  rows/s         {:>12.0f}\n", rows_per_second());
  return out;
}

namespace {
std::atomic<uint64_t> g_imports_ended{0};
} // namespace

uint64_t imports_ended() { return g_imports_ended.load(); }

FileSummary BatchImporter::import_file(const std::string& path, const ImportOptions& options) {
  try {
    FileSummary summary = import_unrecorded(path, options);
    ++g_imports_ended;
    return summary;
  } catch (const std::exception& e) {
    try {
      record_import_failure(dir_.path(), path, e.what(), wall_clock_ms());
    } catch (const std::exception& journal) {
      log::error("import_failure_unrecorded", {{"file", path}, {"error", journal.what()}});
    }
    ++g_imports_ended;
    throw;
  }
}

FileSummary BatchImporter::import_unrecorded(const std::string& path, const ImportOptions& options) {
  if (dir_.backends().warehouse.postgres()) return import_into_postgres(path, options);
  auto started = std::chrono::steady_clock::now();
  int64_t started_us = wall_clock_us();
  FileSummary summary;
  summary.file = path;
  summary.sha256 = sha256_file(path);
  DuckConnection& con = dir_.warehouse().connection();

  // Held until the job commits: a send registering the same content waits, then sees the job.
  std::lock_guard identity(file_identity_mutex());
  DuckResult previous = con.query("SELECT job FROM imports WHERE sha256 = " + sql_literal(summary.sha256));
  int64_t old_job = previous.row_count() ? previous.int64(0, 0) : 0;
  if (old_job && !options.force) {
    summary.skipped = true;
    summary.job = old_job;
    return summary;
  }
  check_not_sent(con, summary, options);

  OpenedSource opened = open_record_file(path);
  summary.bytes = opened.size_bytes;
  summary.format = opened.source->format() == RecordFormat::Csv ? "csv" : "ndjson";

  dir_.warehouse().begin_write(con);
  int64_t job = 0;
  std::vector<std::string> replaced_invoices;
  JobLineFiles lines;
  try {
    job = con.query("SELECT coalesce(max(job), 0) + 1 FROM imports").int64(0, 0);
    summary.job = job;
    if (old_job) {
      // Tables first (with their marker), so that a failure before COMMIT lets recovery re-derive them.
      auto [ofrom, oto] = batch_source_range(old_job);
      replaced_invoices = dir_.tables().remove_job(con, old_job, ofrom, oto);
      std::string filter = " WHERE source >= " + sql_literal(ofrom) + " AND source < " + sql_literal(oto);
      for (const char* table : {"transactions", "cancellations", "rejected"}) con.execute(std::string("DELETE FROM ") + table + filter);
      con.execute("DELETE FROM imports WHERE job = " + std::to_string(old_job));
      summary.replaced_job = old_job;
    }
    JobLoader loader(dir_, job, started_us);
    lines = load_rows(loader, opened, path, summary, options);
    con.execute(fmt::format(
        "INSERT INTO imports VALUES ({}, {}, '{}', '{}', {}, {}, {}, {}, {}, {}, {}, {}, {}, make_timestamp({}), "
        "make_timestamp({}))",
        job, sql_literal(path), summary.sha256, summary.format, summary.bytes, summary.rows_read, summary.transactions,
        summary.cancellations, summary.rejected(), summary.rejected_by_reason[1], summary.rejected_by_reason[2],
        summary.rejected_by_reason[3], summary.rejected_by_reason[4], started_us, wall_clock_us()));
    auto commit_started = std::chrono::steady_clock::now();
    dir_.warehouse().commit(con);
    summary.stage_seconds["commit"] = seconds_since(commit_started);
  } catch (...) {
    try {
      con.execute("ROLLBACK");
    } catch (...) {
    }
    if (job) {
      dir_.lake().discard(job);
      dir_.tables().discard_line_files(job);
    }
    if (old_job) dir_.recover(); // the old job's tables were removed before the failed commit
    throw;
  }
  // Committed: the warehouse holds the job. Publish the lake files and derive the tables; a crash
  // from here on is finished by DataDir::recover().
  finish_committed(job, old_job ? std::optional(old_job) : std::nullopt, lines, replaced_invoices, summary);
  summary.seconds = seconds_since(started);
  return summary;
}

void BatchImporter::finish_committed(int64_t job, std::optional<int64_t> old_job, const JobLineFiles& lines,
                                     const std::vector<std::string>& replaced_invoices, FileSummary& summary) {
  auto started = std::chrono::steady_clock::now();
  // The lake and the tables side by side: they share nothing, and each is whole or finished by
  // recovery. The lake's error (if any) is reported after the tables are done.
  auto publishing = std::async(std::launch::async, [&] { dir_.lake().publish(job, old_job); });
  try {
    dir_.tables().ingest_job(lines, job, replaced_invoices);
    dir_.tables().discard_line_files(job);
  } catch (...) {
    publishing.wait();
    throw;
  }
  publishing.get();
  summary.stage_seconds["tables"] += seconds_since(started);
}

void BatchImporter::check_not_sent(DuckConnection& con, const FileSummary& summary, const ImportOptions& options) {
  if (auto sent = find_sent_file(con, summary.sha256); sent && !options.force)
    throw std::runtime_error(summary.file + ": this content was already sent through the stream by " + describe_sent_file(*sent) +
                             "; --force imports it again (its rows are then stored twice)");
}

JobLineFiles BatchImporter::load_rows(JobLoader& loader, OpenedSource& opened, const std::string& path, FileSummary& summary,
                                      const ImportOptions& options) {
  auto load_started = std::chrono::steady_clock::now();
  Progress progress(path, summary.bytes, options.progress);
  std::vector<InputRow> rows;
  while (opened.source->read_batch(rows, kBatchRows)) {
    for (const InputRow& row : rows) {
      ++summary.rows_read;
      if (options.fail_after_rows && summary.rows_read > options.fail_after_rows)
        throw std::runtime_error(fmt::format("injected failure after {} rows", options.fail_after_rows));
      CleanResult r = clean(row);
      switch (r.destination) {
      case Destination::Transactions: ++summary.transactions; break;
      case Destination::Cancellations: ++summary.cancellations; break;
      case Destination::Rejected: ++summary.rejected_by_reason[static_cast<size_t>(r.reason)]; break;
      }
      loader.add(r, summary.rows_read, row.raw);
    }
    progress.update(opened.source->bytes_consumed(), summary.rows_read);
  }
  JobLineFiles files = loader.finish();
  progress.finish();
  summary.stage_seconds = loader.stage_seconds();
  auto& st = summary.stage_seconds;
  st["read_clean"] = seconds_since(load_started) - st["waiting"] - st["tables"];
  st.erase("waiting");
  return files;
}

// The same job into a PostgreSQL warehouse: its rows and imports row (and, forced, the removal of
// the job it replaces) in one PostgreSQL transaction (PgWarehouse's job API); the lake and the
// tables as above. Lines the tables need from the warehouse (a replaced job's) are copied from
// PostgreSQL (DataDir::with_lines_from), and recovery derives a committed job's tables so.
FileSummary BatchImporter::import_into_postgres(const std::string& path, const ImportOptions& options) {
  auto started = std::chrono::steady_clock::now();
  int64_t started_us = wall_clock_us();
  const BackendLocation& at = dir_.backends().warehouse;
  PgWarehouse pg(at.postgres_conninfo, at.postgres_insert ? PgLoad::Insert : PgLoad::Copy);
  FileSummary summary;
  summary.file = path;
  summary.sha256 = sha256_file(path);
  std::lock_guard identity(file_identity_mutex());
  if (std::optional<int64_t> old_job = pg.imported_job(summary.sha256); old_job && !options.force) {
    summary.skipped = true;
    summary.job = *old_job;
    return summary;
  }
  check_not_sent(dir_.warehouse().connection(), summary, options);
  OpenedSource opened = open_record_file(path);
  summary.bytes = opened.size_bytes;
  summary.format = opened.source->format() == RecordFormat::Csv ? "csv" : "ndjson";

  int64_t job = pg.begin_job();
  summary.job = job;
  std::optional<int64_t> old_job;
  std::vector<std::string> replaced_invoices;
  JobLineFiles lines;
  try {
    // The job's number was taken under the imports table's lock: content imported meanwhile by
    // another process is seen now.
    old_job = pg.imported_job(summary.sha256);
    if (old_job && !options.force) {
      pg.abort_job();
      summary.skipped = true;
      summary.job = *old_job;
      return summary;
    }
    if (old_job) {
      // The tables first (their marker removed), so that a failure before the commit lets
      // recovery derive them again; their lines come from PostgreSQL.
      auto [ofrom, oto] = batch_source_range(*old_job);
      dir_.with_lines_from(pg, ofrom, oto, [&](DuckConnection& con) { replaced_invoices = dir_.tables().remove_job(con, *old_job, ofrom, oto); });
      pg.remove_job_rows(*old_job, ofrom, oto);
      summary.replaced_job = *old_job;
    }
    JobLoader loader(dir_, job, started_us, &pg);
    lines = load_rows(loader, opened, path, summary, options);
    auto commit_started = std::chrono::steady_clock::now();
    const auto& by = summary.rejected_by_reason;
    pg.commit_job({job, path, summary.sha256, summary.format,
                   {static_cast<int64_t>(summary.bytes), static_cast<int64_t>(summary.rows_read), static_cast<int64_t>(summary.transactions),
                    static_cast<int64_t>(summary.cancellations), static_cast<int64_t>(summary.rejected()), static_cast<int64_t>(by[1]),
                    static_cast<int64_t>(by[2]), static_cast<int64_t>(by[3]), static_cast<int64_t>(by[4])},
                   started_us, wall_clock_us()});
    summary.stage_seconds["commit"] = seconds_since(commit_started);
  } catch (...) {
    pg.abort_job();
    dir_.lake().discard(job);
    dir_.tables().discard_line_files(job);
    if (old_job) dir_.recover(); // the old job's tables were removed before the failed commit
    throw;
  }
  finish_committed(job, old_job, lines, replaced_invoices, summary);
  summary.seconds = seconds_since(started);
  return summary;
}

} // namespace shopflow
