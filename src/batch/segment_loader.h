// Moves a batch job's cleaned rows into the three sinks in segments of up to kSegmentLines lines.
//
// The importer's thread reads and cleans the next segment while a loader thread moves the full one:
//   - warehouse: INSERT ... SELECT FROM shopflow_lines(...) on the job's connection (inside the
//     job's transaction), and the segment's rejected rows through an appender;
//   - lake: one staged Parquet file per month and table (part-<segment>.parquet), written through
//     the warehouse's side connection on a third thread beside the INSERTs;
//   - tables: one sorted SST of the segment's lines, built by InvoiceLineFiles' worker.
// At most one segment is in flight, so memory stays bounded whatever the file size.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "batch/data_dir.h"
#include "sinks/line_columns.h"

namespace shopflow {

class SegmentLoader {
public:
  static constexpr size_t kSegmentLines = 1'000'000;

  SegmentLoader(DataDir& dir, int64_t job, int64_t received_at_us);
  ~SegmentLoader(); // waits for the segment in flight; its errors were or will be thrown by finish()

  // `row` is the 1-based row number in the file (the line's source is "batch:<job>:<row>").
  void add(const CleanResult& result, uint64_t row, std::string_view raw);
  // Loads the last segment, waits for everything, and returns the tables' line files.
  std::vector<std::string> finish();
  // Seconds per stage: warehouse, lake, tables (loader side) and waiting (importer side).
  const std::map<std::string, double>& stage_seconds() const { return seconds_; }

private:
  struct Rejected {
    uint64_t row;
    RejectReason reason;
    std::string_view detail; // static text
    std::string raw;
  };
  struct Segment {
    std::shared_ptr<LineColumns> transactions, cancellations;
    std::vector<Rejected> rejected;
    int index = 0;
  };

  void start_segment();
  void flush();
  void wait_for_loader();
  void load(const Segment& segment, std::map<std::string, double>& seconds);

  DataDir& dir_;
  int64_t job_, received_at_us_;
  std::string source_prefix_;
  InvoiceLineFiles line_files_;
  Segment current_;
  int next_index_ = 0;
  std::future<std::map<std::string, double>> loading_;
  std::map<std::string, double> seconds_;
};

} // namespace shopflow
