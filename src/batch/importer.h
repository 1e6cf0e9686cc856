// `shopflow batch`: imports CSV/NDJSON files through core into the warehouse, the lake and the
// tables, all or nothing per file, and idempotently (a file's content is imported once).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/data_dir.h"
#include "core/record.h"

namespace shopflow {

struct ImportOptions {
  bool force = false;    // re-import content that was imported before, replacing its rows
  bool progress = true;  // progress on stderr
  // Testing aid: throw after this many rows (0 = never), to prove a failed file leaves nothing.
  uint64_t fail_after_rows = 0;
};

struct FileSummary {
  std::string file, sha256, format;
  int64_t job = 0;
  bool skipped = false;      // same content already imported as `job`
  int64_t replaced_job = 0;  // --force: the job whose rows were replaced
  uint64_t bytes = 0, rows_read = 0, transactions = 0, cancellations = 0;
  std::array<uint64_t, kRejectReasonCount> rejected_by_reason{};
  double seconds = 0;
  std::map<std::string, double> stage_seconds; // load, lake, commit, tables

  uint64_t rejected() const;
  double rows_per_second() const { return seconds > 0 ? rows_read / seconds : 0; }
  std::string to_json() const;
  std::string to_text() const;
};

// How many imports this process has ended (imported, skipped or failed) since it started: a reader
// of their results (the notifications' import events) looks again only when it changed. While a
// serve holds a data dir, every import of it runs in that process (others hand theirs over).
uint64_t imports_ended();

class BatchImporter {
public:
  explicit BatchImporter(DataDir& dir) : dir_(dir) {}
  // A failure (the exception thrown) is recorded in the data dir's failures journal first
  // (batch/import_failures.h).
  FileSummary import_file(const std::string& path, const ImportOptions& options);

private:
  FileSummary import_unrecorded(const std::string& path, const ImportOptions& options);
  FileSummary import_into_postgres(const std::string& path, const ImportOptions& options);
  // After the warehouse commit: publishes the job's lake files (removing those of the job it
  // replaces) and moves its lines into the tables. A crash in here is finished by recovery.
  void finish_committed(int64_t job, std::optional<int64_t> old_job, const JobLineFiles& lines,
                        const std::vector<std::string>& replaced_invoices, FileSummary& summary);
  // Refuses content that `shopflow send` streamed, unless forced.
  static void check_not_sent(DuckConnection& con, const FileSummary& summary, const ImportOptions& options);
  // Reads, cleans and loads every row of the file into `loader`; returns the tables' line files.
  static JobLineFiles load_rows(class JobLoader& loader, struct OpenedSource& opened, const std::string& path, FileSummary& summary,
                                const ImportOptions& options);
  DataDir& dir_;
};

} // namespace shopflow
