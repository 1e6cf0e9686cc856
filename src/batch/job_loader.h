// Moves a batch job's cleaned rows into the three sinks while the file is still being read.
//
// Lines are collected in blocks of columns (kBlockLines per table). Each full block is INSERTed
// into the warehouse right away, on an inserter thread, inside the job's transaction (so the
// warehouse load overlaps reading and cleaning). Every kPartLines lines a part ends:
//   - lake: one staged Parquet file per month and table (part-<part>.parquet), written from the
//     part's blocks through the warehouse's side connection on its own thread;
//   - tables: one sorted SST of the part's lines, built by InvoiceLineFiles' worker;
//   - warehouse: the part's rejected rows, appended by the inserter.
// The next part's end waits for the previous one, so memory stays bounded by about two
// parts whatever the file size.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sinks/warehouse/postgres/pg_warehouse.h"
#include "storage/data_dir.h"
#include "sinks/line_columns.h"

namespace shopflow {

class JobLoader {
public:
  static constexpr size_t kBlockLines = 2 * 122'880; // two DuckDB row groups
  static constexpr size_t kPartLines = 1'000'000;

  // With `pg`, the warehouse rows go into its open job transaction instead of the data dir's DuckDB.
  JobLoader(DataDir& dir, int64_t job, int64_t received_at_us, PgWarehouse* pg = nullptr);
  ~JobLoader(); // waits for all work in flight; finish() is what reports its errors

  // `row` is the 1-based row number in the file (the line's source is "batch:<job>:<row>").
  void add(const CleanResult& result, uint64_t row, std::string_view raw);
  // Loads what is left, waits for everything, and returns the tables' line files and sums.
  JobLineFiles finish();
  // Seconds per stage: warehouse, lake, tables (working threads) and waiting (importer's thread).
  const std::map<std::string, double>& stage_seconds() const { return seconds_; }

private:
  using Block = std::shared_ptr<LineColumns>;
  using Blocks = std::vector<std::shared_ptr<const LineColumns>>;
  struct Rejected {
    uint64_t row;
    RejectReason reason;
    std::string_view detail; // static text
    std::string raw;         // valid UTF-8
  };
  // One table's lines of the current part.
  struct TableLines {
    const char* name;
    size_t expected_lines; // a new block's initial capacity
    Block open;   // being filled
    Blocks full;  // handed to the inserter
  };

  Block new_block(size_t expected) const;
  void close_block(TableLines& t);
  void end_part();
  // Queues work for the inserter thread (tasks run one at a time, in order).
  void insert_later(std::function<void()> task);
  template <class F> double timed(const char* stage, F&& f);
  template <class Future> void wait(Future& f);

  DataDir& dir_;
  PgWarehouse* pg_;
  int64_t job_, received_at_us_;
  std::string source_prefix_;
  InvoiceLineFiles line_files_;
  TableLines transactions_{"transactions", kBlockLines, nullptr, {}},
      cancellations_{"cancellations", kBlockLines / 16, nullptr, {}}; // cancellations are rare
  std::vector<Rejected> rejected_;
  size_t part_lines_ = 0;
  int part_ = 0;
  // The inserter's last queued task, and the last task of the previous part.
  std::shared_future<void> inserting_, previous_part_inserted_;
  std::future<void> lake_;
  std::mutex seconds_mutex_;
  std::map<std::string, double> seconds_;
};

} // namespace shopflow
