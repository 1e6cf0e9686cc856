// The key-value tables (DynamoDB's role), in RocksDB at DIR/tables, keeping every line.
//
// Keys (one RocksDB, a one-byte table tag first; \0 separates parts, none of which contains \0):
//   'i' invoice_no \0 stock_code \0 source   -> InvoiceLine  (Invoice table: every line)
//   'c' customer_id \0 invoice_no            -> InvoiceSummary (Customer table)
//   'j' <job as decimal>                      -> "" (marker: the batch job's rows are all here)
//   'o' sink \0 shard                          -> u64 next stream offset stored (stream path)
// Values, little-endian, str = u32 length + bytes:
//   InvoiceLine:    i32 quantity, i64 invoice_date_us, i64 unit_price_milli, i64 amount_milli,
//                   u8 line_type, u8 flags (bit 0: has description), str description,
//                   str customer_id, str country
//   InvoiceSummary: i64 first invoice_date_us, i64 lines, i64 quantity, i128 amount_milli, str country
//                   (country: the least of its lines' countries, as SQL's min() gives it)
//   'v' "summary"                           -> u32 2: the InvoiceSummary format (before it, amount
//                   was i64, which a few large lines overflow; such tables are rebuilt from their lines)
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

namespace rocksdb {
class WriteBatch;
class Iterator;
}

namespace shopflow {

struct InvoiceLine {
  std::string invoice_no, stock_code, source;
  std::optional<std::string> description;
  int32_t quantity = 0;
  int64_t invoice_date_us = 0, unit_price_milli = 0, amount_milli = 0;
  LineType line_type = LineType::Other;
  std::string customer_id, country;
};

class RocksStore;
struct SummaryAcc; // one Customer-table row being added up (tables.cpp)

struct InvoiceSummary {
  std::string customer_id, invoice_no, country;
  int64_t invoice_date_us = 0, lines = 0, quantity = 0;
  MoneySum amount_milli = 0;
};

// Builds a batch job's Invoice-table lines into sorted SST files on a worker thread while the
// job loads; Tables::ingest_job() moves them into the database after the warehouse commit.
// One file per segment; at most one file is being written while the next segment loads.
class InvoiceLineFiles {
public:
  explicit InvoiceLineFiles(std::string dir);
  ~InvoiceLineFiles(); // waits for the worker; the files stay (see Tables::discard_line_files)
  // Writes one file holding every line of `blocks`.
  void add_segment(std::vector<std::shared_ptr<const LineColumns>> blocks);
  // Waits for the last file and returns every file, in order.
  std::vector<std::string> finish();

private:
  std::string dir_;
  std::future<void> writing_;
  std::vector<std::string> files_;
};

class Tables {
public:
  explicit Tables(const std::string& path);
  ~Tables();

  // Where a job's line files are built (inside the tables folder, so ingestion moves them).
  std::string line_files_dir(int64_t job) const;
  // Removes a job's line files (after ingestion, or when the job failed); without a job, those of
  // every job (recovery: an unfinished job's tables are rebuilt from the warehouse).
  void discard_line_files(std::optional<int64_t> job = std::nullopt);
  // Ingests a committed job's line files, recomputes the Customer table rows of the invoices they
  // touch (plus `extra_invoices`) from the warehouse, and sets the job marker.
  void ingest_job(const std::vector<std::string>& files, DuckConnection& warehouse, int64_t job,
                  const std::string& from, const std::string& to, const std::vector<std::string>& extra_invoices = {});

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
  void apply_stream_batches(const std::string& sink, const std::vector<CleanedBatch>& batches);
  uint64_t stream_offset(const std::string& sink, uint32_t shard) const;
  // After a failed write (disk full, say), RocksDB refuses every write until it is resumed: this
  // resumes it, or throws why it cannot yet. Nothing written before the failure is lost.
  void resume_after_error();

  std::vector<InvoiceLine> invoice_lines(const std::string& invoice_no, const std::string* stock_code = nullptr) const;
  std::vector<InvoiceSummary> customer_invoices(const std::string& customer_id) const;

private:
  void write_summaries(DuckConnection& warehouse, const std::string& from, const std::string& to,
                       const std::vector<std::string>& extra_invoices);
  void set_marker(int64_t job);
  // Rebuilds every InvoiceSummary from the Invoice table's lines when the summaries' format is
  // older than this code's (at open).
  void upgrade_summaries();
  // Adds every line whose key starts with `prefix` to the summaries of its (customer, invoice).
  void add_lines(rocksdb::Iterator* it, const std::string& prefix, std::map<std::string, SummaryAcc>& summaries) const;
  // Writes the summaries (with `also`'s other writes in the same batch); with sync, durably, else
  // without the WAL (a job flushes before its marker).
  void put_summaries(const std::map<std::string, SummaryAcc>& summaries, bool sync, rocksdb::WriteBatch* also = nullptr);
  std::string path_;
  std::unique_ptr<RocksStore> db_;
  std::mutex summaries_mutex_; // the stream path's read-add-write of summaries against a job's recompute
};

} // namespace shopflow
