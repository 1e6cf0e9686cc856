// The `shopflow_lines(id, partition)` DuckDB table function: scans LineColumns held in this
// process, in parallel, so that one segment of a batch job goes into the warehouse
// (INSERT ... SELECT) and the lake (COPY (SELECT ...) TO) without an extra copy.
//   id:        a number from LineScan::expose(); unknown ids are an error
//   partition: year * 100 + month to scan only that month's rows, or 0 for all rows
// Columns are those of the warehouse's transactions table, in order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "db/duckdb.h"
#include "sinks/line_columns.h"

namespace shopflow {

class LineScan {
public:
  // Registers the function on `con`'s database. The LineScan must outlive every query using it.
  explicit LineScan(DuckConnection& con);
  // Makes `lines` scannable under the returned id until withdraw(id).
  int64_t expose(std::shared_ptr<const LineColumns> lines);
  void withdraw(int64_t id);
  std::shared_ptr<const LineColumns> find(int64_t id) const;

private:
  mutable std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<const LineColumns>> exposed_;
  int64_t next_id_ = 1;
};

} // namespace shopflow
