// The lookup tables (sinks/lookup_tables.h) in RocksDB at DIR/tables, keeping every line; keys
// and values in tables_format.h.
// Tables are derived from the warehouse after a job commits (and again by recovery if a crash
// came first), so they never hold a line the warehouse lacks.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/record.h"
#include "db/duckdb.h"
#include "sinks/cleaned_batch.h"
#include "sinks/line_columns.h"
#include "sinks/lookup_tables.h"
#include "sinks/tables/summary_acc.h"
#include "sinks/tables/tables_format.h"

namespace rocksdb {
class WriteBatch;
class Iterator;
}

namespace shopflow {

class RocksStore;

// A batch job's Invoice-table lines in sorted SST files, and their sums by Customer-table row.
struct JobLineFiles {
  std::vector<std::string> files;
  SummarySums summaries;
};

// Builds a batch job's Invoice-table lines into sorted SST files on a worker thread while the
// job loads, adding them up by Customer-table row as it goes; Tables::ingest_job() moves them
// into the database after the warehouse commit.
// One file per part of a job (batch/job_loader.h); at most one file is being written while the next part loads.
class InvoiceLineFiles {
public:
  explicit InvoiceLineFiles(std::string dir);
  ~InvoiceLineFiles(); // waits for the worker; the files stay (see Tables::discard_line_files)
  // Writes one file holding every line of `blocks`.
  void add_part(std::vector<std::shared_ptr<const LineColumns>> blocks);
  // Waits for the last file and returns every file, in order, with the sums.
  JobLineFiles finish();

private:
  std::string dir_;
  std::future<void> writing_;
  JobLineFiles job_; // the worker adds to its sums
};

class Tables final : public LookupTables {
public:
  explicit Tables(const std::string& path);
  ~Tables() override;

  // Where a job's line files are built (inside the tables folder, so ingestion moves them).
  std::string line_files_dir(int64_t job) const;
  // Removes a job's line files (after ingestion, or when the job failed); without a job, those of
  // every job (recovery: an unfinished job's tables are rebuilt from the warehouse).
  void discard_line_files(std::optional<int64_t> job = std::nullopt);
  // Ingests a committed job's line files, adds their sums to the Customer-table rows they touch,
  // recomputes those of `replaced_invoices` (whose rows remove_job deleted) from their lines, and
  // sets the job marker.
  void ingest_job(const JobLineFiles& lines, int64_t job, const std::vector<std::string>& replaced_invoices = {});

  // Writes every line whose source lies in [from, to) and recomputes the Customer table rows of
  // every invoice those lines touch (plus `extra_invoices`), then sets the job marker.
  void derive_job(DuckConnection& warehouse, int64_t job, const std::string& from, const std::string& to,
                  const std::vector<std::string>& extra_invoices = {});
  // Deletes a job's lines and marker in one atomic write (a forced re-import replaces them).
  // Returns the invoices it touched, whose summaries must be recomputed.
  std::vector<std::string> remove_job(DuckConnection& warehouse, int64_t job, const std::string& from,
                                      const std::string& to);
  bool has_job(int64_t job) const;

  // Stream path: stores cleaned batches' lines, the recomputed Customer-table rows of the
  // invoices they touch, and `sink`'s offset for each batch's shard, in one atomic write.
  void apply_stream_batches(const std::string& sink, const std::vector<CleanedBatch>& batches) override;
  uint64_t stream_offset(const std::string& sink, uint32_t shard) const override;
  // After a failed write (disk full, say), RocksDB refuses every write until it is resumed: this
  // resumes it, or throws why it cannot yet. Nothing written before the failure is lost.
  void resume_after_error() override;

  std::vector<InvoiceLine> invoice_lines(const std::string& invoice_no, const std::string* stock_code = nullptr) const override;
  std::vector<InvoiceSummary> customer_invoices(const std::string& customer_id) const override;

private:
  void write_summaries(DuckConnection& warehouse, const std::string& from, const std::string& to,
                       const std::vector<std::string>& extra_invoices);
  // The Customer-table rows of `invoices`, from every line of theirs. Call with summaries_mutex_ held.
  SummarySums recompute_summaries(std::vector<std::string> invoices) const;
  void set_marker(int64_t job);
  // Rebuilds every InvoiceSummary from the Invoice table's lines when the summaries' format is
  // older than this code's (at open).
  void upgrade_summaries();
  // Adds the stored Customer-table row `key` (if any) to `sums`; `scratch` holds its value.
  void add_stored_row(const std::string& key, SummaryAcc& sums, std::string& scratch) const;
  // Adds every line whose key starts with `prefix` to the summaries of its (customer, invoice).
  void add_lines(rocksdb::Iterator* it, const std::string& prefix, SummarySums& summaries) const;
  // Writes the summaries (with `also`'s other writes in the same batch); with sync, durably, else
  // without the WAL (a job flushes before its marker).
  void put_summaries(const SummarySums& summaries, bool sync, rocksdb::WriteBatch* also = nullptr);
  std::string path_;
  std::unique_ptr<RocksStore> db_;
  std::mutex summaries_mutex_; // each read-add-write of summaries (stream batches, a job's ingestion) and each recompute
};

} // namespace shopflow
