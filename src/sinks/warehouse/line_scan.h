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
#include <string>
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

  // Blocks made scannable for as long as this object lives.
  class Exposure {
  public:
    Exposure(LineScan& scan, Blocks blocks);
    ~Exposure() { scan_.withdraw(id_); }
    Exposure(const Exposure&) = delete;
    Exposure& operator=(const Exposure&) = delete;
    // "SELECT * FROM shopflow_lines(<id>, <partition>)"; partition 0: every row.
    std::string select(int partition = 0) const;
    // The partitions (year * 100 + month) present in any of the blocks, ascending.
    std::vector<int> partitions() const;

  private:
    LineScan& scan_;
    std::shared_ptr<const Blocks> blocks_;
    int64_t id_;
  };
  Exposure expose(Blocks blocks) { return Exposure(*this, std::move(blocks)); }
  std::shared_ptr<const Blocks> find(int64_t id) const;

private:
  int64_t add(std::shared_ptr<const Blocks> blocks);
  void withdraw(int64_t id);

private:
  mutable std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<const Blocks>> exposed_;
  int64_t next_id_ = 1;
};

} // namespace shopflow
