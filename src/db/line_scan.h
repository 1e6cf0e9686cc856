// The `shopflow_lines(id, partition)` DuckDB table function: scans blocks of LineColumns held in
// this process, in parallel, so that a batch job's lines go into the warehouse
// (INSERT ... SELECT) and the lake (COPY (SELECT ...) TO) without an extra copy.
//   id:        a number from LineScan::expose() naming a list of blocks; unknown ids are an error
//   partition: year * 100 + month to scan only that month's rows, or 0 for all rows
// Columns are those of the warehouse's transactions table, in order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "db/duckdb.h"
#include "sinks/line_columns.h"

namespace shopflow {

class LineScan {
public:
  // Registers the function on `con`'s database (once per database: every connection sees it).
  // The LineScan must outlive every query using it.
  explicit LineScan(DuckConnection& con);
  using Blocks = std::vector<std::shared_ptr<const LineColumns>>;
  // Makes `blocks` scannable, in order, under the returned id until withdraw(id).
  int64_t expose(Blocks blocks);
  void withdraw(int64_t id);
  std::shared_ptr<const Blocks> find(int64_t id) const;

private:
  mutable std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<const Blocks>> exposed_;
  int64_t next_id_ = 1;
};

} // namespace shopflow
